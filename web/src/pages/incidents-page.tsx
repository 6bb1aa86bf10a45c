// Incident list with filters (status, severity, technique, tactic, actor, demo) and title search. The filters
// live in the URL (#/incidents?status=open&q=key) so other pages can link to a filtered list.
import { type FormEvent, useState } from "react";
import { type IncidentPage, SEVERITIES, STATUSES, type Tactic } from "../api-types";
import { RequireRole } from "../auth";
import { client } from "../client";
import { Badge, DemoBadge, ErrorBox, fmtDay, Loading, PageTitle } from "../components/common";
import { IncidentTransfer } from "../components/incident-transfer";
import { type FilterField, type Filters, filtersOf, incidentQuery, NO_FILTERS } from "../incident-filters";
import { href, hrefQuery, Link, navigate } from "../router";
import { useCall } from "../use-api";

const PAGE = 50;

export function IncidentsPage({ query }: { query: URLSearchParams }) {
  const current = filtersOf(query);
  const offset = Number(query.get("offset") ?? "0") || 0;
  const list = useCall(client.incidents.$get, { query: { ...incidentQuery(current), limit: PAGE, offset } });
  const catalog = useCall(client.catalog.$get, {});

  const go = (values: Partial<Filters>, off = 0) =>
    navigate(hrefQuery("#/incidents", { ...values, offset: off ? String(off) : undefined }));

  return (
    <section>
      <PageTitle
        actions={
          <RequireRole need="responder">
            <a className="button primary" href={href("incidents", "new")} data-testid="new-incident">
              New incident
            </a>
          </RequireRole>
        }
      >
        Incidents
      </PageTitle>
      <IncidentFilters current={current} tactics={catalog.data?.tactics ?? []} onApply={(f) => go(f)} />
      <IncidentTransfer query={incidentQuery(current)} onImported={list.reload} />
      {list.error ? <ErrorBox error={list.error} /> : null}
      {list.loading && !list.data ? <Loading /> : null}
      {list.data ? (
        <>
          <p className="muted" data-testid="incident-count">
            {list.data.total} incident{list.data.total === 1 ? "" : "s"}
            {list.data.total > PAGE ? ` · showing ${offset + 1}–${Math.min(offset + PAGE, list.data.total)}` : ""}
          </p>
          <IncidentTable items={list.data.items} />
          <div className="pager">
            {offset > 0 ? (
              <button type="button" onClick={() => go(current, Math.max(0, offset - PAGE))}>
                ← Previous
              </button>
            ) : null}
            {offset + PAGE < list.data.total ? (
              <button type="button" onClick={() => go(current, offset + PAGE)}>
                Next →
              </button>
            ) : null}
          </div>
        </>
      ) : null}
    </section>
  );
}

/** The filter form: edits a draft, applied (into the address) on submit. */
function IncidentFilters(props: { current: Filters; tactics: Tactic[]; onApply: (f: Filters) => void }) {
  const [draft, setDraft] = useState(props.current);
  const set = (f: FilterField) => (e: { target: { value: string } }) => setDraft({ ...draft, [f]: e.target.value });
  function submit(e: FormEvent) {
    e.preventDefault();
    props.onApply(draft);
  }
  const { tactics } = props;
  return (
    <form className="filters" onSubmit={submit} aria-label="Filter incidents">
      <label>
        Search titles
        <input type="search" name="q" value={draft.q} onChange={set("q")} placeholder="words in the title" />
      </label>
      <label>
        Status
        <select name="status" value={draft.status} onChange={set("status")}>
          <option value="">any</option>
          {STATUSES.map((s) => (
            <option key={s}>{s}</option>
          ))}
        </select>
      </label>
      <label>
        Severity
        <select name="severity" value={draft.severity} onChange={set("severity")}>
          <option value="">any</option>
          {SEVERITIES.map((s) => (
            <option key={s}>{s}</option>
          ))}
        </select>
      </label>
      <label>
        Technique
        <input name="technique" value={draft.technique} onChange={set("technique")} placeholder="T1078" size={10} />
      </label>
      <label>
        Tactic
        <select name="tactic" value={draft.tactic} onChange={set("tactic")}>
          <option value="">any</option>
          {tactics.map((t) => (
            <option key={t.id} value={t.id}>
              {t.name}
            </option>
          ))}
        </select>
      </label>
      <label>
        Actor
        <input name="actor" value={draft.actor} onChange={set("actor")} size={12} />
      </label>
      <label>
        Data
        <select name="demo" value={draft.demo} onChange={set("demo")}>
          <option value="">real and demo</option>
          <option value="exclude">real only</option>
          <option value="only">demo only</option>
        </select>
      </label>
      <label>
        Sort
        <select name="sort" value={draft.sort} onChange={set("sort")}>
          <option value="">date</option>
          <option value="key">key</option>
          <option value="severity">severity</option>
        </select>
      </label>
      <div className="filter-buttons">
        <button type="submit" className="primary">
          Apply
        </button>
        <button
          type="button"
          onClick={() => {
            setDraft(NO_FILTERS);
            props.onApply(NO_FILTERS);
          }}
        >
          Clear
        </button>
      </div>
    </form>
  );
}

function IncidentTable({ items }: { items: IncidentPage["items"] }) {
  return (
    <table className="table" data-testid="incident-table">
      <thead>
        <tr>
          <th>Key</th>
          <th>Title</th>
          <th>Status</th>
          <th>Severity</th>
          <th>Date</th>
          <th>Actor</th>
          <th>Techniques</th>
        </tr>
      </thead>
      <tbody>
        {items.map((i) => (
          <tr key={i.key}>
            <td className="nowrap">
              <Link to={href("incidents", i.key)}>{i.key}</Link>
            </td>
            <td>
              {i.title} <DemoBadge demo={i.isDemo} />
            </td>
            <td>
              <Badge kind={i.status}>{i.status}</Badge>
            </td>
            <td>
              <Badge kind={i.severity}>{i.severity}</Badge>
            </td>
            <td className="nowrap">{fmtDay(i.date)}</td>
            <td>{i.threatActor ?? "—"}</td>
            <td className="ids">
              {i.techniques.map((t) => (
                <Link key={t} to={href("techniques", t)} className="tid">
                  {t}
                </Link>
              ))}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
