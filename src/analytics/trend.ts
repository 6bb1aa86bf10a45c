// Per-quarter trend: incidents per technique in each of the last N quarters, the change of the current
// quarter against the previous one, and techniques never seen before the current quarter.
import type { Catalog } from "../catalog/catalog.js";
import { compareIds } from "../catalog/catalog.js";
import {
  type AnalyticsFilter,
  type AnalyticsFilterInput,
  parseAnalyticsFilter,
  quarterOf,
  quarterRange,
  shiftQuarter,
  type TrendResult,
} from "./model.js";
import {
  type AnalyticsSource,
  describeEmpty,
  joinTechniques,
  num,
  quarterExpr,
  scopeOf,
  str,
  tsParam,
  tsValue,
  valuesCte,
  whereFor,
} from "./query.js";

export interface TrendOptions {
  /** Current quarter (`2026Q3`); default: the quarter of `filter.to` (exclusive), else the latest with incidents. */
  quarter?: string;
  /** Quarters shown, ending with the current one (default 4). */
  quarters?: number;
}

/** Latest incident date under the filter's non-date conditions. */
async function latestDate(src: AnalyticsSource, f: AnalyticsFilter): Promise<string | null> {
  const w = whereFor(f, src.db.dialect, { dates: false });
  const rows = await src.db.query(`SELECT MAX(i.incident_at) AS at FROM incidents i ${w.sql}`, w.params);
  return tsValue(rows[0]?.at);
}

export async function techniqueTrend(
  src: AnalyticsSource,
  catalog: Catalog,
  filter: AnalyticsFilterInput = {},
  opts: TrendOptions = {},
): Promise<TrendResult> {
  const base = parseAnalyticsFilter(filter);
  const n = Math.max(2, Math.min(40, Math.floor(opts.quarters ?? 4)));
  let current = opts.quarter?.trim().toUpperCase();
  if (current)
    quarterRange(current); // validates
  else if (base.to) current = quarterOf(Date.parse(base.to) - 1);
  else {
    const latest = await latestDate(src, base);
    if (latest) current = quarterOf(latest);
  }
  if (!current) {
    const scope = await scopeOf(src, base);
    return { scope, quarters: [], current: null, previous: null, techniques: [], newTechniques: [] };
  }
  const quarters = Array.from({ length: n }, (_, i) => shiftQuarter(current as string, i - n + 1));
  const first = quarters[0] as string;
  const f: AnalyticsFilter = { ...base, from: quarterRange(first).from, to: quarterRange(current).to };
  const scope = await scopeOf(src, f);
  const previous = shiftQuarter(current, -1);
  const qList = quarters.map((q) => ({ quarter: q, ...quarterRange(q), incidents: 0 }));
  if (scope.empty) return { scope, quarters: qList, current, previous, techniques: [], newTechniques: [] };

  const d = src.db.dialect;
  const w = whereFor(f, d);
  const qx = quarterExpr(d, "i.incident_at");
  const perQuarter = await src.db.query(
    `SELECT ${qx} AS q, COUNT(*) AS n FROM incidents i ${w.sql} GROUP BY ${qx}`,
    w.params,
  );
  const idx = new Map(quarters.map((q, i) => [q, i]));
  for (const r of perQuarter) {
    const i = idx.get(str(r.q));
    const slot = i === undefined ? undefined : qList[i];
    if (slot) slot.incidents = num(r.n);
  }
  const rows = await src.db.query(
    `SELECT ${qx} AS q, t.technique_id AS id, COUNT(*) AS n FROM ${joinTechniques(d)} ${w.sql} GROUP BY ${qx}, t.technique_id`,
    w.params,
  );
  const counts = new Map<string, number[]>();
  for (const r of rows) {
    const i = idx.get(str(r.q));
    if (i === undefined) continue;
    const id = str(r.id);
    const list = counts.get(id) ?? new Array<number>(n).fill(0);
    list[i] = num(r.n);
    counts.set(id, list);
  }

  // New this quarter: present now, and no earlier incident (same non-date filters) has it.
  const inCurrent = [...counts.entries()].filter(([, c]) => (c[n - 1] ?? 0) > 0).map(([id]) => id);
  const newIds = new Set<string>();
  if (inCurrent.length > 0) {
    const cte = valuesCte(
      "cur",
      ["id"],
      inCurrent.map((id) => [id]),
    );
    const w2 = whereFor(base, d, {
      alias: "i2",
      dates: false,
      extra: ["t2.technique_id = cur.id", "i2.incident_at < ?"],
    });
    const seenBefore = await src.db.query(
      `WITH ${cte.sql} SELECT cur.id AS id FROM cur WHERE EXISTS (
         SELECT 1 FROM incident_techniques t2 JOIN incidents i2 ON i2.key = t2.incident_key ${w2.sql})`,
      [...cte.params, tsParam(quarterRange(current).from), ...w2.params],
    );
    const before = new Set(seenBefore.map((r) => str(r.id)));
    for (const id of inCurrent) if (!before.has(id)) newIds.add(id);
  }

  const techniques = [...counts.entries()]
    .map(([id, c]) => {
      const cur = c[n - 1] ?? 0;
      const prev = c[n - 2] ?? 0;
      return {
        id,
        name: catalog.technique(id)?.name ?? null,
        counts: c,
        current: cur,
        previous: prev,
        change: cur - prev,
        changePct: prev > 0 ? (cur - prev) / prev : null,
        isNew: newIds.has(id),
      };
    })
    .sort((a, b) => b.current - a.current || b.change - a.change || compareIds(a.id, b.id));
  if (scope.incidents > 0 && (qList[n - 1]?.incidents ?? 0) === 0)
    scope.note = `${describeEmpty({ ...base, ...quarterRange(current) })} in ${current}`;
  return {
    scope,
    quarters: qList,
    current,
    previous,
    techniques,
    newTechniques: [...newIds].sort(compareIds),
  };
}
