// Playbook gaps: techniques ranked by priority (severity-weighted frequency × trend) with their playbook status —
// no playbook, a stale one, or only a draft — and response-capability gaps (long median time to detect/contain).
import { useState } from "react";
import type { DemoParam, GapsResult, Playbook } from "../api-types";
import { client } from "../client";
import { Badge, ErrorBox, fmtDay, fmtDuration, Loading, PageTitle, plural } from "../components/common";
import { DemoSelect } from "../components/demo-select";
import { href, Link } from "../router";
import { useCall } from "../use-api";

export function GapsPage() {
  const [demo, setDemo] = useState<DemoParam>("include");
  const [onlyGaps, setOnlyGaps] = useState(true);
  const gaps = useCall(client.playbooks.gaps.$get, { query: { demo } });
  const rows = (gaps.data?.techniques ?? []).filter((g) => !onlyGaps || g.status !== "ok");
  const playbooks = useCall(client.playbooks.$get, {});
  return (
    <section>
      <PageTitle
        actions={
          <div className="toolbar">
            <DemoSelect value={demo} onChange={setDemo} inline />
            <label className="inline">
              <input type="checkbox" checked={onlyGaps} onChange={(e) => setOnlyGaps(e.target.checked)} />
              gaps only
            </label>
          </div>
        }
      >
        Playbook gaps
      </PageTitle>
      <p className="muted">
        Which playbook do we write next? Techniques ranked by severity-weighted incident count × trend.
      </p>
      {gaps.error ? <ErrorBox error={gaps.error} feature="playbook gaps" /> : null}
      {gaps.loading && !gaps.data ? <Loading /> : null}
      {gaps.data ? (
        <>
          {gaps.data.scope.note ? <p className="notice">{gaps.data.scope.note}</p> : null}
          <p className="muted" data-testid="gaps-summary">
            {plural(gaps.data.scope.incidents, "incident")} · {plural(gaps.data.playbooks, "playbook")} ·{" "}
            {plural(gaps.data.next.length, "gap")} · stale after {gaps.data.staleMonths} months · trend{" "}
            {gaps.data.trendQuarters.previous ?? "—"} → {gaps.data.trendQuarters.current ?? "—"}
          </p>
          <GapTable rows={rows} />
          {rows.length === 0 ? (
            <p className="muted">No gap: every technique seen has an active, reviewed playbook.</p>
          ) : null}
          <h2>Response-capability gaps</h2>
          <ResponseGaps gaps={gaps.data.responseGaps} />
        </>
      ) : null}
      <h2>Playbooks</h2>
      {playbooks.error ? <ErrorBox error={playbooks.error} feature="playbooks" /> : null}
      {playbooks.data ? <PlaybookTable items={playbooks.data.items} /> : null}
    </section>
  );
}

/** Techniques by priority with their playbook status and the playbooks that cover them. */
function GapTable({ rows }: { rows: GapsResult["techniques"] }) {
  return (
    <table className="table" data-testid="gaps-table">
      <thead>
        <tr>
          <th className="num">#</th>
          <th>Technique</th>
          <th className="num">Incidents</th>
          <th className="num">Weighted</th>
          <th className="num">Trend</th>
          <th className="num">Priority</th>
          <th>Status</th>
          <th>Playbooks</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((g) => (
          <tr key={g.id}>
            <td className="num">{g.rank}</td>
            <td>
              <Link to={href("techniques", g.id)} className="tid">
                {g.id}
              </Link>{" "}
              {g.name ?? "(not in catalog)"}
            </td>
            <td className="num">{g.incidents}</td>
            <td className="num">{g.weighted}</td>
            <td className="num">×{g.trendFactor.toFixed(2)}</td>
            <td className="num">{g.priority.toFixed(1)}</td>
            <td>
              <Badge kind={g.status}>{g.status}</Badge> <small className="muted">{g.reason}</small>
            </td>
            <td className="small">
              {g.playbooks.length
                ? g.playbooks
                    .map(
                      (p) =>
                        `${p.id} (${p.status}, reviewed ${fmtDay(p.lastReviewed)}${p.via === "parent" ? ", via parent" : ""})`,
                    )
                    .join("; ")
                : "—"}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Techniques whose median time to detect or contain is over the threshold. */
function ResponseGaps({ gaps }: { gaps: GapsResult["responseGaps"] }) {
  return (
    <>
      {gaps.length === 0 ? (
        <p className="muted">No technique with a long median time to detect or contain.</p>
      ) : (
        <table className="table compact" data-testid="response-gaps">
          <thead>
            <tr>
              <th>Technique</th>
              <th>Slow to</th>
              <th className="num">Median</th>
              <th className="num">Threshold</th>
              <th className="num">Incidents</th>
              <th>Playbooks</th>
            </tr>
          </thead>
          <tbody>
            {gaps.map((r) => (
              <tr key={`${r.id}:${r.kind}`}>
                <td>
                  <Link to={href("techniques", r.id)} className="tid">
                    {r.id}
                  </Link>{" "}
                  {r.name ?? ""}
                </td>
                <td>{r.kind}</td>
                <td className="num">{fmtDuration(r.median)}</td>
                <td className="num">{fmtDuration(r.thresholdSeconds)}</td>
                <td className="num">{r.samples}</td>
                <td className="small">{r.playbooks.join(", ") || "—"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

function PlaybookTable({ items }: { items: Playbook[] }) {
  return (
    <table className="table compact" data-testid="playbook-list">
      <thead>
        <tr>
          <th>Playbook</th>
          <th>Status</th>
          <th>Owner</th>
          <th>Reviewed</th>
          <th className="num">Techniques</th>
          <th>Missing phases</th>
        </tr>
      </thead>
      <tbody>
        {items.map((p) => (
          <tr key={p.id}>
            <td>
              <Link to={href("playbooks", p.id)}>{p.title}</Link>
            </td>
            <td>
              <Badge kind={p.status}>{p.status}</Badge>
            </td>
            <td>{p.owner}</td>
            <td className="nowrap">{fmtDay(p.last_reviewed)}</td>
            <td className="num">{p.techniques.length}</td>
            <td className="small">{p.missingPhases.join(", ") || "—"}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
