// Technique co-occurrence: for every pair of techniques seen in the same incident, the pair count,
// support, confidence both ways and lift. Pairs are counted over the incident facts snapshot with
// integer-coded technique IDs in a typed k × k matrix, which stays fast for 100,000 incidents.
import type { Catalog } from "../catalog/catalog.js";
import { compareIds } from "../catalog/catalog.js";
import { type Facts, factsFor, techniquesOf } from "./facts.js";
import { type AnalyticsFilterInput, type CooccurrenceResult, type Pair, parseAnalyticsFilter } from "./model.js";
import { type AnalyticsSource, ratio } from "./query.js";

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

/** Pair counts over the selected incidents of a facts snapshot (integer codes, a k × k matrix). */
function countCodedPairs(
  facts: Facts,
  sel: Int32Array,
): { singles: Map<string, number>; pairs: Map<string, number>; multi: number } {
  const k = facts.techIds.length;
  const single = new Uint32Array(k);
  const matrix = new Uint32Array(k * k);
  let multi = 0;
  for (const i of sel) {
    const codes = techniquesOf(facts, i);
    if (codes.length > 1) multi++;
    for (let x = 0; x < codes.length; x++) {
      const a = codes[x] as number;
      single[a] = (single[a] ?? 0) + 1;
      for (let y = x + 1; y < codes.length; y++) {
        const b = codes[y] as number;
        const cell = a < b ? a * k + b : b * k + a;
        matrix[cell] = (matrix[cell] ?? 0) + 1;
      }
    }
  }
  const singles = new Map<string, number>();
  for (let c = 0; c < k; c++) if ((single[c] ?? 0) > 0) singles.set(facts.techIds[c] as string, single[c] ?? 0);
  const pairs = new Map<string, number>();
  for (let a = 0; a < k; a++)
    for (let b = a + 1; b < k; b++) {
      const n = matrix[a * k + b] ?? 0;
      if (n === 0) continue;
      const ia = facts.techIds[a] as string;
      const ib = facts.techIds[b] as string;
      pairs.set(compareIds(ia, ib) <= 0 ? `${ia}|${ib}` : `${ib}|${ia}`, n);
    }
  return { singles, pairs, multi };
}

export async function techniqueCooccurrence(
  src: AnalyticsSource,
  _catalog: Catalog,
  filter: AnalyticsFilterInput = {},
  opts: CooccurrenceOptions = {},
): Promise<CooccurrenceResult> {
  const f = parseAnalyticsFilter(filter);
  const { facts, sel, scope } = await factsFor(src, f);
  const empty = { scope, multiTechnique: 0, distinctPairs: 0, pairs: [], singles: {} };
  if (scope.empty) return empty;
  const { singles, pairs, multi } = countCodedPairs(facts, sel);
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
