// Mitigation impact: ranks the catalog's mitigations by the severity-weighted number of incidents that
// involved at least one technique the mitigation addresses (each incident counted once per mitigation),
// listing the techniques and the most severe, most recent incidents behind each score.
import type { Catalog } from "../catalog/catalog.js";
import { compareIds } from "../catalog/catalog.js";
import { canonicalTimestamp } from "../incidents/model.js";
import { type Facts, factsFor, severityName, techniquesOf } from "./facts.js";
import {
  type AnalyticsFilterInput,
  type MitigationImpact,
  type MitigationsResult,
  parseAnalyticsFilter,
  SEVERITY_WEIGHT,
} from "./model.js";
import type { AnalyticsSource } from "./query.js";

/** Incident index a ranks before b: more severe, then more recent, then higher key. */
function better(facts: Facts, a: number, b: number): boolean {
  const sa = facts.sev[a] as number;
  const sb = facts.sev[b] as number;
  if (sa !== sb) return sa < sb;
  const ta = facts.at[a] as number;
  const tb = facts.at[b] as number;
  const xa = Number.isNaN(ta) ? Number.NEGATIVE_INFINITY : ta;
  const xb = Number.isNaN(tb) ? Number.NEGATIVE_INFINITY : tb;
  if (xa !== xb) return xa > xb;
  return (facts.keys[a] as string) > (facts.keys[b] as string);
}

export async function mitigationImpact(
  src: AnalyticsSource,
  catalog: Catalog,
  filter: AnalyticsFilterInput = {},
  opts: { incidentLimit?: number; limit?: number } = {},
): Promise<MitigationsResult> {
  const f = parseAnalyticsFilter(filter);
  const { facts, sel, scope } = await factsFor(src, f);
  const weights = { ...SEVERITY_WEIGHT };
  if (scope.empty) return { scope, weights, mitigations: [], unmitigated: 0 };
  const exampleLimit = Math.max(0, Math.floor(opts.incidentLimit ?? 10));
  // Integer codes: technique code → mitigation indexes.
  const mIds: string[] = [];
  const mCode = new Map<string, number>();
  const mitigationsOf: number[][] = facts.techIds.map((id) =>
    (catalog.technique(id)?.mitigations ?? []).map((m) => {
      let c = mCode.get(m.id);
      if (c === undefined) {
        c = mIds.length;
        mCode.set(m.id, c);
        mIds.push(m.id);
      }
      return c;
    }),
  );
  const M = mIds.length;
  const K = facts.techIds.length;
  const score = new Float64Array(M);
  const incidents = new Uint32Array(M);
  const bySev = new Uint32Array(M * 4);
  const techCounts = new Uint32Array(M * K);
  const stamp = new Int32Array(M).fill(-1);
  const examples: number[][] = Array.from({ length: M }, () => []);
  let unmitigated = 0;
  for (const i of sel) {
    const codes = techniquesOf(facts, i);
    if (codes.length === 0) continue;
    const sevCode = facts.sev[i] as number;
    const w = SEVERITY_WEIGHT[severityName(sevCode)];
    let any = false;
    for (const c of codes)
      for (const m of mitigationsOf[c] ?? []) {
        any = true;
        techCounts[m * K + c] = (techCounts[m * K + c] ?? 0) + 1;
        if (stamp[m] === i) continue;
        stamp[m] = i;
        score[m] = (score[m] ?? 0) + w;
        incidents[m] = (incidents[m] ?? 0) + 1;
        bySev[m * 4 + sevCode] = (bySev[m * 4 + sevCode] ?? 0) + 1;
        if (exampleLimit > 0) {
          const list = examples[m] as number[];
          const worst = list[list.length - 1];
          if (list.length < exampleLimit || (worst !== undefined && better(facts, i, worst))) {
            let k = list.length;
            while (k > 0 && better(facts, i, list[k - 1] as number)) k--;
            list.splice(k, 0, i);
            if (list.length > exampleLimit) list.pop();
          }
        }
      }
    if (!any) unmitigated++;
  }
  const mitigations: MitigationImpact[] = [];
  for (let m = 0; m < M; m++) {
    if ((incidents[m] ?? 0) === 0) continue;
    const id = mIds[m] as string;
    const sevs: Record<string, number> = {};
    for (let s = 0; s < 4; s++) if ((bySev[m * 4 + s] ?? 0) > 0) sevs[severityName(s)] = bySev[m * 4 + s] ?? 0;
    const techniques: Array<{ id: string; incidents: number }> = [];
    for (let c = 0; c < K; c++) {
      const n = techCounts[m * K + c] ?? 0;
      if (n > 0) techniques.push({ id: facts.techIds[c] as string, incidents: n });
    }
    techniques.sort((x, y) => y.incidents - x.incidents || compareIds(x.id, y.id));
    mitigations.push({
      id,
      name: catalog.mitigation(id)?.name ?? id,
      score: score[m] ?? 0,
      incidents: incidents[m] ?? 0,
      bySeverity: sevs,
      techniques,
      examples: (examples[m] ?? []).map((i) => {
        const at = facts.at[i] as number;
        return {
          key: facts.keys[i] as string,
          severity: severityName(facts.sev[i] as number),
          date: Number.isNaN(at) ? null : canonicalTimestamp(at),
        };
      }),
    });
  }
  mitigations.sort((x, y) => y.score - x.score || y.incidents - x.incidents || (x.id < y.id ? -1 : 1));
  return {
    scope,
    weights,
    mitigations: opts.limit ? mitigations.slice(0, opts.limit) : mitigations,
    unmitigated,
  };
}
