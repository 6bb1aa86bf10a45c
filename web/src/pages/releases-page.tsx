// Catalog releases and the difference between two versions (added, removed, changed, deprecated, revoked).
import { type FormEvent, useState } from "react";
import type { CatalogDiff } from "../api-types";
import { href as apiHref, client } from "../client";
import { ErrorBox, Loading, PageTitle } from "../components/common";
import { href, hrefQuery, Link, navigate } from "../router";
import { useCall } from "../use-api";

export function ReleasesPage({ from, to }: { from: string | null; to: string | null }) {
  const rel = useCall(client.catalog.releases.$get, {});
  const versions = rel.data ? ["current", ...rel.data.releases.filter((r) => r !== "current")] : [];
  const [f, setF] = useState(from ?? "");
  const [t, setT] = useState(to ?? "current");
  const diff = useCall(from ? client.catalog.diff.$get : null, { query: { from: from ?? "", to: to ?? "current" } });

  function submit(e: FormEvent) {
    e.preventDefault();
    navigate(hrefQuery("#/releases", { from: f, to: t }));
  }

  return (
    <section>
      <PageTitle>Catalog releases</PageTitle>
      {rel.error ? <ErrorBox error={rel.error} /> : null}
      {!rel.data ? (
        <Loading />
      ) : (
        <>
          <p>
            Current catalog: <strong data-testid="catalog-current">{rel.data.current}</strong> ·{" "}
            <a href={apiHref(client.catalog.export.stix.$path())} download>
              download as STIX 2.1
            </a>
          </p>
          <ul data-testid="release-list">
            {rel.data.releases.length === 0 ? <li className="muted">No release shipped.</li> : null}
            {rel.data.releases.map((r) => (
              <li key={r}>
                {r}{" "}
                <a href={hrefQuery("#/releases", { from: r, to: "current" })} className="small">
                  compare with current
                </a>
              </li>
            ))}
          </ul>
          <form className="filters" onSubmit={submit} aria-label="Compare catalog versions">
            <label>
              From
              <select value={f} onChange={(e) => setF(e.target.value)} name="from" required>
                <option value="">choose…</option>
                {versions.map((v) => (
                  <option key={v}>{v}</option>
                ))}
              </select>
            </label>
            <label>
              To
              <select value={t} onChange={(e) => setT(e.target.value)} name="to">
                {versions.map((v) => (
                  <option key={v}>{v}</option>
                ))}
              </select>
            </label>
            <div className="filter-buttons">
              <button type="submit" className="primary" disabled={!f}>
                Compare
              </button>
            </div>
          </form>
        </>
      )}
      {diff.error ? <ErrorBox error={diff.error} /> : null}
      {diff.loading ? <Loading /> : null}
      {diff.data ? <DiffView d={diff.data} /> : null}
    </section>
  );
}

function DiffView({ d }: { d: CatalogDiff }) {
  const total = d.added.length + d.removed.length + d.changed.length + d.deprecated.length + d.revoked.length;
  const list = (title: string, rows: Array<{ id: string; name: string; extra?: string }>) =>
    rows.length ? (
      <>
        <h3>
          {title} ({rows.length})
        </h3>
        <ul>
          {rows.map((r) => (
            <li key={r.id}>
              <Link to={href("techniques", r.id)} className="tid">
                {r.id}
              </Link>{" "}
              {r.name} {r.extra ? <small className="muted">{r.extra}</small> : null}
            </li>
          ))}
        </ul>
      </>
    ) : null;
  return (
    <div className="card" data-testid="catalog-diff">
      <h2>
        {d.from} → {d.to}
      </h2>
      {total === 0 ? <p className="muted">No difference.</p> : null}
      {list("Added", d.added)}
      {list("Removed", d.removed)}
      {list(
        "Changed",
        d.changed.map((c) => ({ ...c, extra: c.fields.join(", ") })),
      )}
      {list("Deprecated", d.deprecated)}
      {list(
        "Revoked",
        d.revoked.map((r) => ({ ...r, extra: `→ ${r.revokedBy}${r.replacementName ? ` ${r.replacementName}` : ""}` })),
      )}
    </div>
  );
}
