// Mitigation impact: ranks the catalog's mitigations by the severity-weighted number of incidents that
// involved at least one technique the mitigation addresses (each incident counted once per mitigation),
// listing the techniques and the most severe, most recent incidents behind each score.
import type { Catalog } from "../catalog/catalog.js";
import { compareIds } from "../catalog/catalog.js";
import type { Severity } from "../incidents/model.js";
import {
  type AnalyticsFilterInput,
  type MitigationImpact,
  type MitigationsResult,
  parseAnalyticsFilter,
  SEVERITY_WEIGHT,
} from "./model.js";
import { type AnalyticsSource, incidentTechniqueLists, scopeOf } from "./query.js";

interface Acc {
  score: number;
  incidents: number;
  bySeverity: Record<string, number>;
  techniques: Map<string, number>;
  examples: Array<{ key: string; severity: string; date: string | null }>;
}

const sevRank = (s: string) => (s in SEVERITY_WEIGHT ? Number(s.slice(1)) : 9);

function better(a: { severity: string; date: string | null; key: string }, b: typeof a): boolean {
  const sa = sevRank(a.severity);
  const sb = sevRank(b.severity);
  if (sa !== sb) return sa < sb;
  if ((a.date ?? "") !== (b.date ?? "")) return (a.date ?? "") > (b.date ?? "");
  return a.key > b.key;
}

export async function mitigationImpact(
  src: AnalyticsSource,
  catalog: Catalog,
  filter: AnalyticsFilterInput = {},
  opts: { incidentLimit?: number; limit?: number } = {},
): Promise<MitigationsResult> {
  const f = parseAnalyticsFilter(filter);
  const scope = await scopeOf(src, f);
  const weights = { ...SEVERITY_WEIGHT };
  if (scope.empty) return { scope, weights, mitigations: [], unmitigated: 0 };
  const exampleLimit = Math.max(0, Math.floor(opts.incidentLimit ?? 10));
  const lists = await incidentTechniqueLists(src, f);
  const mitigationsOf = new Map<string, string[]>();
  const acc = new Map<string, Acc>();
  let unmitigated = 0;
  for (const l of lists) {
    const hit = new Map<string, string[]>();
    for (const id of l.techniques) {
      let ms = mitigationsOf.get(id);
      if (!ms) {
        ms = catalog.technique(id)?.mitigations.map((m) => m.id) ?? [];
        mitigationsOf.set(id, ms);
      }
      for (const m of ms) {
        const list = hit.get(m) ?? [];
        list.push(id);
        hit.set(m, list);
      }
    }
    if (hit.size === 0) {
      unmitigated++;
      continue;
    }
    const w = SEVERITY_WEIGHT[l.severity as Severity] ?? 1;
    for (const [m, techs] of hit) {
      let a = acc.get(m);
      if (!a) {
        a = { score: 0, incidents: 0, bySeverity: {}, techniques: new Map(), examples: [] };
        acc.set(m, a);
      }
      a.score += w;
      a.incidents++;
      a.bySeverity[l.severity] = (a.bySeverity[l.severity] ?? 0) + 1;
      for (const t of techs) a.techniques.set(t, (a.techniques.get(t) ?? 0) + 1);
      if (exampleLimit > 0) {
        const ex = { key: l.key, severity: l.severity, date: l.date };
        const worst = a.examples[a.examples.length - 1];
        if (a.examples.length < exampleLimit || (worst && better(ex, worst))) {
          a.examples.push(ex);
          a.examples.sort((x, y) => (better(x, y) ? -1 : better(y, x) ? 1 : 0));
          if (a.examples.length > exampleLimit) a.examples.pop();
        }
      }
    }
  }
  const mitigations: MitigationImpact[] = [...acc.entries()]
    .map(([id, a]) => ({
      id,
      name: catalog.mitigation(id)?.name ?? id,
      score: a.score,
      incidents: a.incidents,
      bySeverity: a.bySeverity,
      techniques: [...a.techniques.entries()]
        .map(([tid, n]) => ({ id: tid, incidents: n }))
        .sort((x, y) => y.incidents - x.incidents || compareIds(x.id, y.id)),
      examples: a.examples,
    }))
    .sort((x, y) => y.score - x.score || y.incidents - x.incidents || (x.id < y.id ? -1 : 1));
  return {
    scope,
    weights,
    mitigations: opts.limit ? mitigations.slice(0, opts.limit) : mitigations,
    unmitigated,
  };
}
