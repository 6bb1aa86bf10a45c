// Technique and tactic frequency: how many incidents involved each technique and each tactic (an incident
// counts once per tactic however many of its techniques share it), and their share of the incidents in
// scope. Computed over the incident facts snapshot (facts.ts) with integer-coded technique IDs.
import type { Catalog } from "../catalog/catalog.js";
import { compareIds } from "../catalog/catalog.js";
import { type Facts, factsFor, severityName, techniquesOf } from "./facts.js";
import { type AnalyticsFilterInput, type FrequencyResult, parseAnalyticsFilter, SEVERITY_WEIGHT } from "./model.js";
import { type AnalyticsSource, ratio } from "./query.js";

/** Per technique code: indexes of its tactics in catalog.tactics (kill-chain order). */
export function tacticIndexes(catalog: Catalog, facts: Facts): number[][] {
  const pos = new Map(catalog.tactics.map((t, i) => [t.id, i]));
  return facts.techIds.map((id) =>
    (catalog.technique(id)?.tactics ?? []).map((ta) => pos.get(ta)).filter((x): x is number => x !== undefined),
  );
}

export async function techniqueFrequency(
  src: AnalyticsSource,
  catalog: Catalog,
  filter: AnalyticsFilterInput = {},
): Promise<FrequencyResult> {
  const f = parseAnalyticsFilter(filter);
  const { facts, sel, scope } = await factsFor(src, f);
  if (scope.empty) return { scope, tagged: 0, techniques: [], tactics: [] };
  const counts = new Uint32Array(facts.techIds.length);
  const tacticsOf = tacticIndexes(catalog, facts);
  const tacticCounts = new Uint32Array(catalog.tactics.length);
  const stamp = new Int32Array(catalog.tactics.length).fill(-1);
  let tagged = 0;
  for (const i of sel) {
    const codes = techniquesOf(facts, i);
    if (codes.length > 0) tagged++;
    for (const c of codes) {
      counts[c] = (counts[c] ?? 0) + 1;
      for (const ta of tacticsOf[c] ?? [])
        if (stamp[ta] !== i) {
          stamp[ta] = i;
          tacticCounts[ta] = (tacticCounts[ta] ?? 0) + 1;
        }
    }
  }
  const techniques: FrequencyResult["techniques"] = [];
  facts.techIds.forEach((id, c) => {
    const n = counts[c] ?? 0;
    if (n === 0) return;
    const t = catalog.technique(id);
    techniques.push({
      id,
      name: t?.name ?? null,
      tactics: t ? [...t.tactics] : [],
      incidents: n,
      share: ratio(n, scope.incidents),
    });
  });
  techniques.sort((a, b) => b.incidents - a.incidents || compareIds(a.id, b.id));
  const tactics: FrequencyResult["tactics"] = [];
  catalog.tactics.forEach((ta, i) => {
    const n = tacticCounts[i] ?? 0;
    if (n > 0) tactics.push({ id: ta.id, name: ta.name, incidents: n, share: ratio(n, scope.incidents) });
  });
  tactics.sort((a, b) => b.incidents - a.incidents);
  return { scope, tagged, techniques, tactics };
}

/** Incidents per technique and severity, and the severity-weighted sum (SEVERITY_WEIGHT) per technique. */
export async function techniqueSeverityCounts(
  src: AnalyticsSource,
  filter: AnalyticsFilterInput = {},
): Promise<Map<string, { bySeverity: Record<string, number>; incidents: number; weighted: number }>> {
  const f = parseAnalyticsFilter(filter);
  const { facts, sel } = await factsFor(src, f);
  const out = new Map<string, { bySeverity: Record<string, number>; incidents: number; weighted: number }>();
  const byCode: Array<{ bySeverity: Record<string, number>; incidents: number; weighted: number } | undefined> = [];
  for (const i of sel) {
    const sev = severityName(facts.sev[i] as number);
    for (const c of techniquesOf(facts, i)) {
      let e = byCode[c];
      if (!e) {
        e = { bySeverity: {}, incidents: 0, weighted: 0 };
        byCode[c] = e;
        out.set(facts.techIds[c] as string, e);
      }
      e.bySeverity[sev] = (e.bySeverity[sev] ?? 0) + 1;
      e.incidents++;
      e.weighted += SEVERITY_WEIGHT[sev];
    }
  }
  return out;
}
