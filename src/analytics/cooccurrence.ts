// Technique co-occurrence: for every pair of techniques seen in the same incident, the pair count,
// support, confidence both ways and lift. Technique lists come from SQL one row per incident; pairs are
// counted in JS with integer-coded IDs (a typed matrix), which stays fast for 100,000 incidents.
import type { Catalog } from "../catalog/catalog.js";
import { compareIds } from "../catalog/catalog.js";
import { type AnalyticsFilterInput, type CooccurrenceResult, type Pair, parseAnalyticsFilter } from "./model.js";
import { type AnalyticsSource, incidentTechniqueLists, ratio, scopeOf } from "./query.js";

export interface CooccurrenceOptions {
  /** Pairs seen in fewer incidents are left out (default 2). */
  minCount?: number;
  /** Most pairs returned (default 25). */
  limit?: number;
  /** Order of the top pairs (default count). */
  sort?: "count" | "lift";
}

/** Pair counts over technique lists (pure; exported for tests). */
export function countPairs(lists: ReadonlyArray<readonly string[]>): {
  ids: string[];
  singles: Map<string, number>;
  pairs: Map<string, number>;
  multi: number;
} {
  const code = new Map<string, number>();
  const ids: string[] = [];
  for (const l of lists)
    for (const id of l)
      if (!code.has(id)) {
        code.set(id, ids.length);
        ids.push(id);
      }
  const k = ids.length;
  const single = new Uint32Array(k);
  const matrix = new Uint32Array(k * k);
  let multi = 0;
  const buf: number[] = [];
  for (const l of lists) {
    buf.length = 0;
    for (const id of l) {
      const c = code.get(id) as number;
      if (!buf.includes(c)) buf.push(c);
    }
    for (const c of buf) single[c] = (single[c] ?? 0) + 1;
    if (buf.length > 1) multi++;
    for (let x = 0; x < buf.length; x++)
      for (let y = x + 1; y < buf.length; y++) {
        const a = buf[x] as number;
        const b = buf[y] as number;
        const cell = a < b ? a * k + b : b * k + a;
        matrix[cell] = (matrix[cell] ?? 0) + 1;
      }
  }
  const singles = new Map<string, number>();
  ids.forEach((id, i) => {
    singles.set(id, single[i] ?? 0);
  });
  const pairs = new Map<string, number>();
  for (let a = 0; a < k; a++)
    for (let b = a + 1; b < k; b++) {
      const n = matrix[a * k + b] ?? 0;
      if (n === 0) continue;
      const ia = ids[a] as string;
      const ib = ids[b] as string;
      pairs.set(compareIds(ia, ib) <= 0 ? `${ia}|${ib}` : `${ib}|${ia}`, n);
    }
  return { ids, singles, pairs, multi };
}

export async function techniqueCooccurrence(
  src: AnalyticsSource,
  _catalog: Catalog,
  filter: AnalyticsFilterInput = {},
  opts: CooccurrenceOptions = {},
): Promise<CooccurrenceResult> {
  const f = parseAnalyticsFilter(filter);
  const scope = await scopeOf(src, f);
  const empty = { scope, multiTechnique: 0, distinctPairs: 0, pairs: [], singles: {} };
  if (scope.empty) return empty;
  const lists = await incidentTechniqueLists(src, f);
  const { singles, pairs, multi } = countPairs(lists.map((l) => l.techniques));
  const n = scope.incidents;
  const minCount = Math.max(1, Math.floor(opts.minCount ?? 2));
  const out: Pair[] = [];
  for (const [key, count] of pairs) {
    if (count < minCount) continue;
    const [a, b] = key.split("|") as [string, string];
    const ca = singles.get(a) ?? 0;
    const cb = singles.get(b) ?? 0;
    out.push({
      a,
      b,
      count,
      support: ratio(count, n),
      confidenceAB: ratio(count, ca),
      confidenceBA: ratio(count, cb),
      lift: ca > 0 && cb > 0 ? (count * n) / (ca * cb) : 0,
    });
  }
  const byLift = opts.sort === "lift";
  out.sort(
    (x, y) =>
      (byLift ? y.lift - x.lift : y.count - x.count) ||
      (byLift ? y.count - x.count : y.lift - x.lift) ||
      compareIds(x.a, y.a) ||
      compareIds(x.b, y.b),
  );
  return {
    scope,
    multiTechnique: multi,
    distinctPairs: pairs.size,
    pairs: out.slice(0, Math.max(1, Math.floor(opts.limit ?? 25))),
    singles: Object.fromEntries([...singles.entries()].sort((a, b) => compareIds(a[0], b[0]))),
  };
}
