// Tactic progressions: inside each incident, techniques in first-seen order mapped to a tactic (the
// technique's earliest tactic in kill-chain order), repeats collapsed; then the most common paths,
// tactic-to-tactic transitions and the tactics incidents start with.
import type { Catalog } from "../catalog/catalog.js";
import { type AnalyticsFilterInput, type PathsResult, parseAnalyticsFilter } from "./model.js";
import { type AnalyticsSource, incidentTechniqueLists, ratio, scopeOf } from "./query.js";

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
  const scope = await scopeOf(src, f);
  if (scope.empty) return { scope, paths: [], transitions: [], entry: [] };
  const lists = await incidentTechniqueLists(src, f, { ordered: true });
  const paths = new Map<string, number>();
  const transitions = new Map<string, number>();
  const entry = new Map<string, number>();
  const cache = new Map<string, string[]>();
  for (const l of lists) {
    const sig = l.techniques.join(",");
    let path = cache.get(sig);
    if (!path) {
      path = tacticPath(catalog, l.techniques);
      cache.set(sig, path);
    }
    if (path.length === 0) continue;
    const key = path.join(">");
    paths.set(key, (paths.get(key) ?? 0) + 1);
    const start = path[0] as string;
    entry.set(start, (entry.get(start) ?? 0) + 1);
    for (let i = 1; i < path.length; i++) {
      const tk = `${path[i - 1]}>${path[i]}`;
      transitions.set(tk, (transitions.get(tk) ?? 0) + 1);
    }
  }
  const name = (id: string) => catalog.tactic(id)?.name ?? id;
  const limit = Math.max(1, Math.floor(opts.limit ?? 15));
  return {
    scope,
    paths: [...paths.entries()]
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
