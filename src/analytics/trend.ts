// Per-quarter trend: incidents per technique in each of the last N quarters, the change of the current
// quarter against the previous one, and techniques never seen before the current quarter (under the same
// non-date filters). One pass over the incident facts snapshot.
import type { Catalog } from "../catalog/catalog.js";
import { compareIds } from "../catalog/catalog.js";
import { loadFacts, scopeFor, selectIncidents, techniquesOf } from "./facts.js";
import {
  type AnalyticsFilter,
  type AnalyticsFilterInput,
  parseAnalyticsFilter,
  quarterOf,
  quarterRange,
  shiftQuarter,
  type TrendResult,
} from "./model.js";
import { type AnalyticsSource, describeEmpty } from "./query.js";

export interface TrendOptions {
  /** Current quarter (`2026Q3`); default: the quarter of `filter.to` (exclusive), else the latest with incidents. */
  quarter?: string;
  /** Quarters shown, ending with the current one (default 4). */
  quarters?: number;
}

export async function techniqueTrend(
  src: AnalyticsSource,
  catalog: Catalog,
  filter: AnalyticsFilterInput = {},
  opts: TrendOptions = {},
): Promise<TrendResult> {
  const base = parseAnalyticsFilter(filter);
  const n = Math.max(2, Math.min(40, Math.floor(opts.quarters ?? 4)));
  const facts = await loadFacts(src);
  // Incidents under the non-date conditions: the window is cut from these, "new" is judged against them.
  const all = await selectIncidents(src, facts, base, { dates: false });
  let current = opts.quarter?.trim().toUpperCase();
  if (current)
    quarterRange(current); // validates
  else if (base.to) current = quarterOf(Date.parse(base.to) - 1);
  else {
    let latest = Number.NaN;
    for (const i of all) {
      const at = facts.at[i] as number;
      if (!(at <= latest)) latest = Number.isNaN(at) ? latest : at;
    }
    if (!Number.isNaN(latest)) current = quarterOf(latest);
  }
  if (!current) {
    return { scope: scopeFor(base, 0), quarters: [], current: null, previous: null, techniques: [], newTechniques: [] };
  }
  const quarters = Array.from({ length: n }, (_, i) => shiftQuarter(current as string, i - n + 1));
  const first = quarters[0] as string;
  const f: AnalyticsFilter = { ...base, from: quarterRange(first).from, to: quarterRange(current).to };
  const previous = shiftQuarter(current, -1);
  const qList = quarters.map((q) => ({ quarter: q, ...quarterRange(q), incidents: 0 }));
  const starts = qList.map((q) => Date.parse(q.from));
  const end = Date.parse(quarterRange(current).to);
  const curStart = starts[n - 1] as number;
  const k = facts.techIds.length;
  const counts = new Uint32Array(k * n);
  const seenBefore = new Uint8Array(k);
  let inWindow = 0;
  for (const i of all) {
    const at = facts.at[i] as number;
    if (!(at < end)) continue;
    const codes = techniquesOf(facts, i);
    if (at < curStart) for (const c of codes) seenBefore[c] = 1;
    if (!(at >= (starts[0] as number))) continue;
    let q = n - 1;
    while (q > 0 && at < (starts[q] as number)) q--;
    inWindow++;
    const slot = qList[q];
    if (slot) slot.incidents++;
    for (const c of codes) counts[c * n + q] = (counts[c * n + q] ?? 0) + 1;
  }
  const scope = scopeFor(f, inWindow);
  if (scope.empty) return { scope, quarters: qList, current, previous, techniques: [], newTechniques: [] };
  const techniques: TrendResult["techniques"] = [];
  const newTechniques: string[] = [];
  for (let c = 0; c < k; c++) {
    const row = Array.from(counts.subarray(c * n, c * n + n));
    if (row.every((x) => x === 0)) continue;
    const id = facts.techIds[c] as string;
    const cur = row[n - 1] ?? 0;
    const prev = row[n - 2] ?? 0;
    const isNew = cur > 0 && seenBefore[c] === 0;
    if (isNew) newTechniques.push(id);
    techniques.push({
      id,
      name: catalog.technique(id)?.name ?? null,
      counts: row,
      current: cur,
      previous: prev,
      change: cur - prev,
      changePct: prev > 0 ? (cur - prev) / prev : null,
      isNew,
    });
  }
  techniques.sort((a, b) => b.current - a.current || b.change - a.change || compareIds(a.id, b.id));
  if ((qList[n - 1]?.incidents ?? 0) === 0)
    scope.note = `${describeEmpty({ ...base, ...quarterRange(current) })} in ${current}`;
  return { scope, quarters: qList, current, previous, techniques, newTechniques: newTechniques.sort(compareIds) };
}
