// Detection coverage against a monitoring profile: per technique visible / detected / validated, the
// frequency-weighted score of each level, and the most frequent techniques that would go unseen.
import { useState } from "react";
import { Badge, ErrorBox, Loading, PageTitle, pct } from "../components/common";
import { type CoverageReport, levelOf } from "../coverage";
import { href, Link } from "../router";
import { useApi } from "../use-api";

export function CoveragePage() {
  const [profile, setProfile] = useState("");
  const cov = useApi<CoverageReport>("/api/coverage", { profile: profile || undefined });
  const profiles = cov.data?.profiles ?? [];
  const rows = [...(cov.data?.techniques ?? [])].sort(
    (a, b) => (b.incidents ?? b.frequency ?? 0) - (a.incidents ?? a.frequency ?? 0) || a.id.localeCompare(b.id),
  );
  return (
    <section>
      <PageTitle
        actions={
          profiles.length ? (
            <label className="inline">
              Monitoring profile
              <select value={profile} onChange={(e) => setProfile(e.target.value)}>
                <option value="">default</option>
                {profiles.map((p) => (
                  <option key={p.id} value={p.id}>
                    {p.name ?? p.id}
                  </option>
                ))}
              </select>
            </label>
          ) : null
        }
      >
        Detection coverage
      </PageTitle>
      <p className="muted">Would our monitoring catch what we see most?</p>
      {cov.error ? <ErrorBox error={cov.error} feature="detection coverage" /> : null}
      {cov.loading && !cov.data ? <Loading /> : null}
      {cov.data ? (
        <>
          {cov.data.scores ? (
            <dl className="facts inline-facts" data-testid="coverage-scores">
              {Object.entries(cov.data.scores).map(([k, v]) => (
                <div key={k} className="fact-row">
                  <dt>{k}</dt>
                  <dd>{v === null ? "—" : pct(v)}</dd>
                </div>
              ))}
            </dl>
          ) : null}
          {cov.data.unseen?.length ? (
            <>
              <h2>Frequent techniques that would go unseen</h2>
              <ul>
                {cov.data.unseen.slice(0, 10).map((u) => (
                  <li key={u.id}>
                    <Link to={href("techniques", u.id)} className="tid">
                      {u.id}
                    </Link>{" "}
                    {u.name ?? ""} <small className="muted">{u.incidents ?? u.frequency ?? ""}</small>
                  </li>
                ))}
              </ul>
            </>
          ) : null}
          <table className="table compact" data-testid="coverage-table">
            <thead>
              <tr>
                <th>Technique</th>
                <th className="num">Incidents</th>
                <th>Level</th>
                <th>Rules</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.id}>
                  <td>
                    <Link to={href("techniques", r.id)} className="tid">
                      {r.id}
                    </Link>{" "}
                    {r.name ?? ""}
                  </td>
                  <td className="num">{r.incidents ?? r.frequency ?? "—"}</td>
                  <td>
                    <Badge kind={`cov-${levelOf(r)}`}>{levelOf(r)}</Badge>
                  </td>
                  <td className="small">{(r.rules ?? []).join(", ")}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      ) : null}
    </section>
  );
}
