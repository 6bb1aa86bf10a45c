// Playbook gaps: techniques ranked by priority (frequency × severity weight × trend) with what is missing —
// no playbook, a stale one, or only a draft — and response-capability gaps such as a long time to contain.
import { Badge, ErrorBox, fmtDuration, Loading, PageTitle } from "../components/common";
import { href, Link } from "../router";
import { useApi } from "../use-api";

interface GapRow {
  id: string;
  name?: string | null;
  priority?: number;
  score?: number;
  incidents?: number;
  weighted?: number;
  trend?: number;
  gap?: string;
  status?: string;
  reason?: string;
  playbooks?: Array<string | { id: string; title?: string; status?: string }>;
}
interface CapabilityGap {
  id?: string;
  technique?: string;
  name?: string | null;
  kind?: string;
  message?: string;
  reason?: string;
  medianToContain?: number | null;
}
interface GapsResponse {
  gaps?: GapRow[];
  items?: GapRow[];
  techniques?: GapRow[];
  capability?: CapabilityGap[];
  capabilityGaps?: CapabilityGap[];
  scope?: { incidents: number; note?: string };
}

const gapKind = (g: GapRow) => g.gap ?? g.status ?? "";

export function GapsPage() {
  const gaps = useApi<GapsResponse>("/api/playbooks/gaps");
  const rows = gaps.data ? (gaps.data.gaps ?? gaps.data.items ?? gaps.data.techniques ?? []) : [];
  const capability = gaps.data ? (gaps.data.capability ?? gaps.data.capabilityGaps ?? []) : [];
  return (
    <section>
      <PageTitle>Playbook gaps</PageTitle>
      <p className="muted">Which playbook should we write next? Techniques ranked by frequency × severity × trend.</p>
      {gaps.error ? <ErrorBox error={gaps.error} feature="playbook gaps" /> : null}
      {gaps.loading && !gaps.data ? <Loading /> : null}
      {gaps.data ? (
        <>
          {gaps.data.scope?.note ? <p className="notice">{gaps.data.scope.note}</p> : null}
          <table className="table" data-testid="gaps-table">
            <thead>
              <tr>
                <th className="num">#</th>
                <th>Technique</th>
                <th className="num">Priority</th>
                <th className="num">Incidents</th>
                <th>Gap</th>
                <th>Playbooks</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((g, n) => (
                <tr key={g.id}>
                  <td className="num">{n + 1}</td>
                  <td>
                    <Link to={href("techniques", g.id)} className="tid">
                      {g.id}
                    </Link>{" "}
                    {g.name ?? ""}
                  </td>
                  <td className="num">{(g.priority ?? g.score)?.toFixed(1) ?? "—"}</td>
                  <td className="num">{g.incidents ?? "—"}</td>
                  <td>
                    {gapKind(g) ? <Badge kind={gapKind(g)}>{gapKind(g)}</Badge> : null}{" "}
                    {g.reason ? <small className="muted">{g.reason}</small> : null}
                  </td>
                  <td className="small">
                    {(g.playbooks ?? [])
                      .map((p) => (typeof p === "string" ? p : `${p.title ?? p.id}${p.status ? ` (${p.status})` : ""}`))
                      .join(", ") || "—"}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {rows.length === 0 ? (
            <p className="muted">No gap: every technique seen has an active, reviewed playbook.</p>
          ) : null}
          {capability.length ? (
            <>
              <h2>Response-capability gaps</h2>
              <ul>
                {capability.map((c) => (
                  <li key={`${c.id ?? c.technique ?? ""}:${c.kind ?? ""}:${c.message ?? c.reason ?? ""}`}>
                    {(c.technique ?? c.id) ? (
                      <Link to={href("techniques", (c.technique ?? c.id) as string)} className="tid">
                        {c.technique ?? c.id}
                      </Link>
                    ) : null}{" "}
                    {c.name ?? ""} — {c.message ?? c.reason ?? c.kind}
                    {c.medianToContain ? ` (median time to contain ${fmtDuration(c.medianToContain)})` : ""}
                  </li>
                ))}
              </ul>
            </>
          ) : null}
        </>
      ) : null}
    </section>
  );
}
