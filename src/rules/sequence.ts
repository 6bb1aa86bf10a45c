// Runs a rule set's correlation and first_seen rules over an in-memory list of CloudTrail records, in the
// order given: what `rules test` and the rule tests use to check a correlation against its `sequences`.
// Pure; the scan engine does the same work across threads (src/scan/correlate.ts).
import type { CompiledCorrelation } from "./correlation.js";
import { type CorrelationResult, Correlator } from "./correlation-engine.js";
import { getterFor, neededFields, principalOf, str, textOf } from "./correlation-fields.js";
import { type Baseline, FirstSeenTracker } from "./first-seen.js";
import type { CompiledRule } from "./model.js";

export function evaluateSequence(
  rules: readonly CompiledRule[],
  correlations: readonly CompiledCorrelation[],
  records: ReadonlyArray<Record<string, unknown>>,
  opts: { baseline?: Baseline; reorderWindowMs?: number } = {},
): CorrelationResult[] {
  const out: CorrelationResult[] = [];
  const correlator = new Correlator(correlations, (r) => out.push(r), {
    reorderWindowMs: opts.reorderWindowMs ?? 0,
    minBuffered: 0,
  });
  const firstSeen = new FirstSeenTracker(correlations, opts.baseline ? { baseline: opts.baseline } : {});
  const need = neededFields(correlations);
  const getters = new Map([...need].map(([id, fields]) => [id, fields.map((f) => [f, getterFor(f)] as const)]));
  records.forEach((event, i) => {
    const time = Date.parse(str(event.eventTime) ?? "");
    for (const rule of rules) {
      if (!(correlator.wants(rule.id) || firstSeen.wants(rule.id)) || !rule.match(event)) continue;
      const values: Record<string, string> = {};
      for (const [f, g] of getters.get(rule.id) ?? []) values[f] = textOf(g(event)) ?? "";
      const fields: Record<string, string> = {};
      for (const k of ["eventTime", "eventName", "eventSource", "sourceIPAddress"]) {
        const v = str(event[k]);
        if (v !== undefined) fields[k] = v;
      }
      const p = principalOf(event);
      if (p !== undefined) fields.principalArn = p;
      const ref = { time, at: [i], fields };
      if (correlator.wants(rule.id)) correlator.push({ rule: rule.id, time, values, event: ref });
      if (firstSeen.wants(rule.id)) firstSeen.add(rule.id, time, values, ref);
    }
  });
  correlator.finish();
  out.push(...firstSeen.results());
  return out;
}
