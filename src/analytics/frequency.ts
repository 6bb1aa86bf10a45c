// Technique and tactic frequency: how many incidents involved each technique and each tactic, and their
// share of all incidents in scope. One GROUP BY over incident_techniques (joined to incidents only when a
// filter needs incident columns); tactics are counted per distinct incident through a technique → tactic table.
import type { Catalog } from "../catalog/catalog.js";
import { compareIds } from "../catalog/catalog.js";
import type { Severity } from "../incidents/model.js";
import { type AnalyticsFilterInput, type FrequencyResult, parseAnalyticsFilter, SEVERITY_WEIGHT } from "./model.js";
import { type AnalyticsSource, joinTechniques, num, ratio, scopeOf, str, valuesCte, whereFor } from "./query.js";

export async function techniqueFrequency(
  src: AnalyticsSource,
  catalog: Catalog,
  filter: AnalyticsFilterInput = {},
): Promise<FrequencyResult> {
  const f = parseAnalyticsFilter(filter);
  const scope = await scopeOf(src, f);
  if (scope.empty) return { scope, tagged: 0, techniques: [], tactics: [] };
  const d = src.db.dialect;
  const w = whereFor(f, d);
  const from = w.any ? `${joinTechniques(d)} ${w.sql}` : "incident_techniques t";
  const techRows = await src.db.query(
    `SELECT t.technique_id AS id, COUNT(*) AS n FROM ${from} GROUP BY t.technique_id`,
    w.params,
  );
  const taggedRows = await src.db.query(
    w.any
      ? `SELECT COUNT(*) AS n FROM incidents i ${w.sql} AND EXISTS (SELECT 1 FROM incident_techniques t WHERE t.incident_key = i.key)`
      : "SELECT COUNT(DISTINCT t.incident_key) AS n FROM incident_techniques t",
    w.params,
  );
  const techniques = techRows
    .map((r) => {
      const id = str(r.id);
      const t = catalog.technique(id);
      const n = num(r.n);
      return {
        id,
        name: t?.name ?? null,
        tactics: t ? [...t.tactics] : [],
        incidents: n,
        share: ratio(n, scope.incidents),
      };
    })
    .sort((a, b) => b.incidents - a.incidents || compareIds(a.id, b.id));

  // Tactics: distinct incidents per tactic, through a constant technique → tactic table of the IDs seen.
  const pairs = techniques.flatMap((t) => t.tactics.map((ta) => [t.id, ta]));
  let tactics: FrequencyResult["tactics"] = [];
  if (pairs.length > 0) {
    const cte = valuesCte("tt", ["technique_id", "tactic"], pairs);
    const rows = await src.db.query(
      `WITH ${cte.sql}
       SELECT tt.tactic AS tactic, COUNT(DISTINCT t.incident_key) AS n
       FROM ${w.any ? `${joinTechniques(d)} JOIN tt ON tt.technique_id = t.technique_id ${w.sql}` : "incident_techniques t JOIN tt ON tt.technique_id = t.technique_id"}
       GROUP BY tt.tactic`,
      [...cte.params, ...w.params],
    );
    const order = new Map(catalog.tactics.map((t, i) => [t.id, i]));
    tactics = rows
      .map((r) => {
        const id = str(r.tactic);
        const n = num(r.n);
        return { id, name: catalog.tactic(id)?.name ?? id, incidents: n, share: ratio(n, scope.incidents) };
      })
      .sort((a, b) => b.incidents - a.incidents || (order.get(a.id) ?? 0) - (order.get(b.id) ?? 0));
  }
  return { scope, tagged: num(taggedRows[0]?.n), techniques, tactics };
}

/** Incidents per technique and severity, and the severity-weighted sum (SEVERITY_WEIGHT) per technique. */
export async function techniqueSeverityCounts(
  src: AnalyticsSource,
  filter: AnalyticsFilterInput = {},
): Promise<Map<string, { bySeverity: Record<string, number>; incidents: number; weighted: number }>> {
  const f = parseAnalyticsFilter(filter);
  const d = src.db.dialect;
  const w = whereFor(f, d);
  const rows = await src.db.query(
    `SELECT t.technique_id AS id, i.severity AS sev, COUNT(*) AS n FROM ${joinTechniques(d)} ${w.sql} GROUP BY t.technique_id, i.severity`,
    w.params,
  );
  const out = new Map<string, { bySeverity: Record<string, number>; incidents: number; weighted: number }>();
  for (const r of rows) {
    const id = str(r.id);
    const sev = str(r.sev);
    const n = num(r.n);
    const e = out.get(id) ?? { bySeverity: {}, incidents: 0, weighted: 0 };
    e.bySeverity[sev] = (e.bySeverity[sev] ?? 0) + n;
    e.incidents += n;
    e.weighted += n * (SEVERITY_WEIGHT[sev as Severity] ?? 1);
    out.set(id, e);
  }
  return out;
}
