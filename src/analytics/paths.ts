// Tactic progressions: inside each incident, techniques in first-seen order mapped to a tactic (the
// technique's earliest tactic in kill-chain order), repeats collapsed; then the most common paths,
// tactic-to-tactic transitions and the tactics incidents start with.
import type { Catalog } from "../catalog/catalog.js";
import { factsFor, techniquesOf } from "./facts.js";
import { type AnalyticsFilterInput, type PathsResult, parseAnalyticsFilter } from "./model.js";
import { type AnalyticsSource, ratio } from "./query.js";

/** Tactic path of one incident's techniques (already in first-seen order). */
export function tacticPath(catalog: Catalog, techniques: readonly string[]): string[] {
  const order = new Map(catalog.tactics.map((t, i) => [t.id, i]));
  const path: string[] = [];
  for (const id of techniques) {
    const t = catalog.technique(id);
    if (!t) continue;
    let best: string | undefined;
    for (const ta of t.tactics) if (best === undefined || (order.get(ta) ?? 99) < (order.get(best) ?? 99)) best = ta;
    if (best !== undefined && path[path.length - 1] !== best) path.push(best);
  }
  return path;
}

export async function tacticPaths(
  src: AnalyticsSource,
  catalog: Catalog,
  filter: AnalyticsFilterInput = {},
  opts: { limit?: number } = {},
): Promise<PathsResult> {
  const f = parseAnalyticsFilter(filter);
  const { facts, sel, scope } = await factsFor(src, f);
  if (scope.empty) return { scope, paths: [], transitions: [], entry: [] };
  const paths = new Map<string, number>();
  const transitions = new Map<string, number>();
  const entry = new Map<string, number>();
  // Per technique code: its earliest tactic in kill-chain order (index into catalog.tactics), -1 if none.
  const order = new Map(catalog.tactics.map((t, i) => [t.id, i]));
  const best = facts.techIds.map((id) => {
    let b = -1;
    for (const ta of catalog.technique(id)?.tactics ?? []) {
      const o = order.get(ta);
      if (o !== undefined && (b < 0 || o < b)) b = o;
    }
    return b;
  });
  const path: number[] = [];
  for (const i of sel) {
    path.length = 0;
    for (const c of techniquesOf(facts, i)) {
      const t = best[c] ?? -1;
      if (t >= 0 && path[path.length - 1] !== t) path.push(t);
    }
    if (path.length === 0) continue;
    // Tactic indexes as characters: a short exact key for the path.
    const key = String.fromCharCode(...path.map((t) => t + 65));
    paths.set(key, (paths.get(key) ?? 0) + 1);
  }
  const tacticId = (code: number) => catalog.tactics[code - 65]?.id ?? "";
  for (const [key, n] of paths) {
    const ids = Array.from(key, (ch) => tacticId(ch.charCodeAt(0)));
    const start = ids[0] as string;
    entry.set(start, (entry.get(start) ?? 0) + n);
    for (let k = 1; k < ids.length; k++) {
      const tk = `${ids[k - 1]}>${ids[k]}`;
      transitions.set(tk, (transitions.get(tk) ?? 0) + n);
    }
  }
  const named = new Map(
    [...paths].map(([key, n]) => [Array.from(key, (ch) => tacticId(ch.charCodeAt(0))).join(">"), n]),
  );
  const name = (id: string) => catalog.tactic(id)?.name ?? id;
  const limit = Math.max(1, Math.floor(opts.limit ?? 15));
  return {
    scope,
    paths: [...named.entries()]
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .slice(0, limit)
      .map(([k, n]) => {
        const tactics = k.split(">");
        return { tactics, names: tactics.map(name), incidents: n, share: ratio(n, scope.incidents) };
      }),
    transitions: [...transitions.entries()]
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .map(([k, count]) => {
        const [from, to] = k.split(">") as [string, string];
        return { from, to, count };
      }),
    entry: [...entry.entries()]
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .map(([tactic, incidents]) => ({ tactic, name: name(tactic), incidents })),
  };
}
