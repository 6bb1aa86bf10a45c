// techtrail's first_seen rules ("new terms"): a combination of field values (principal + source network,
// principal + region, access key + user agent, ...) seen for the first time after a learning period. Only the
// earliest occurrence of each combination matters, so the order in which events arrive does not: threads keep
// the earliest per combination and the results are decided once all input is read. The history is the scanned
// logs themselves (the learning period starts at the first event the rule's selection matched) or a baseline
// built from earlier logs. Pure: no I/O.
import { z } from "zod";
import type { CompiledCorrelation } from "./correlation.js";
import { type CorrelationResult, compareAt, type EventRef } from "./correlation-engine.js";

export const BASELINE_FORMAT = "techtrail-baseline";

/** A baseline file: per first_seen rule, the combinations already seen and when first. */
export const Baseline = z.strictObject({
  format: z.literal(BASELINE_FORMAT),
  version: z.literal(1),
  created: z.string(),
  /** techtrail and catalog versions the baseline was built with (a mismatch warns). */
  techtrailVersion: z.string(),
  catalogVersion: z.string(),
  rules: z.record(
    z.string(),
    z.strictObject({
      signature: z.string(),
      fields: z.array(z.string()),
      from: z.string().optional(),
      to: z.string().optional(),
      combos: z.record(z.string(), z.string()),
    }),
  ),
});
export type Baseline = z.infer<typeof Baseline>;

export interface FirstSeenOptions {
  /** Combinations tracked per rule; beyond it new ones are counted as overflow and not tracked (default 1,000,000). */
  maxCombos?: number;
  baseline?: Baseline;
}

interface Entry {
  time: number;
  event: EventRef;
  values: Record<string, string>;
}

interface RuleState {
  c: CompiledCorrelation;
  combos: Map<string, Entry>;
  start: number;
  end: number;
  overflow: number;
  known: ReadonlySet<string> | undefined;
}

/** What identifies a first_seen rule's meaning: a baseline for another definition must not be trusted silently. */
export function firstSeenSignature(c: CompiledCorrelation): string {
  return JSON.stringify({ fields: c.groupBy, rules: c.targets ?? c.ruleRefs, aliases: c.aliases });
}

/** The key of one combination: the field values joined (NUL-separated, so values cannot collide). */
export function comboKey(values: readonly string[]): string {
  return values.join("\u0000");
}

export class FirstSeenTracker {
  private readonly states: RuleState[];
  private readonly byTarget = new Map<string, RuleState[]>();
  private readonly maxCombos: number;
  /** Problems worth a warning (baseline for another rule definition). */
  readonly warnings: string[] = [];

  constructor(correlations: readonly CompiledCorrelation[], opts: FirstSeenOptions = {}) {
    this.maxCombos = opts.maxCombos ?? 1_000_000;
    this.states = correlations
      .filter((c) => c.type === "first_seen")
      .map((c) => {
        const b = opts.baseline?.rules[c.id];
        if (b && b.signature !== firstSeenSignature(c))
          this.warnings.push(`baseline for rule ${c.id} was built for another definition of the rule; it is ignored`);
        const known = b && b.signature === firstSeenSignature(c) ? new Set(Object.keys(b.combos)) : undefined;
        return {
          c,
          combos: new Map(),
          start: Number.POSITIVE_INFINITY,
          end: Number.NEGATIVE_INFINITY,
          overflow: 0,
          known,
        };
      });
    for (const s of this.states)
      for (const t of s.c.targets ?? []) {
        const list = this.byTarget.get(t) ?? [];
        list.push(s);
        this.byTarget.set(t, list);
      }
  }

  wants(ruleId: string): boolean {
    return this.byTarget.has(ruleId);
  }

  /** One matched event of a rule that first_seen rules read; `values` maps field path → value. */
  add(ruleId: string, time: number, values: Record<string, string>, event: EventRef): void {
    if (!Number.isFinite(time)) return;
    for (const s of this.byTarget.get(ruleId) ?? []) {
      if (time < s.start) s.start = time;
      if (time > s.end) s.end = time;
      const parts: string[] = [];
      const own: Record<string, string> = {};
      let missing = false;
      for (const f of s.c.groupBy) {
        const ref = s.c.ruleRefs[(s.c.targets ?? []).indexOf(ruleId)] ?? ruleId;
        const v = values[s.c.aliases[f]?.[ref] ?? f];
        if (v === undefined || v === "") {
          missing = true;
          break;
        }
        parts.push(v);
        own[f] = v;
      }
      if (missing) continue;
      const key = comboKey(parts);
      const prev = s.combos.get(key);
      if (prev) {
        if (time < prev.time || (time === prev.time && compareAt(event.at, prev.event.at) < 0))
          s.combos.set(key, { time, event, values: own });
      } else if (s.combos.size < this.maxCombos) s.combos.set(key, { time, event, values: own });
      else s.overflow++;
    }
  }

  /** Combinations first seen after the learning period (and not in the baseline), oldest first. */
  results(): CorrelationResult[] {
    const out: CorrelationResult[] = [];
    for (const s of this.states) {
      // with a baseline the history is the baseline; without, the first learning period of the scan
      const learnedUntil = s.known ? Number.NEGATIVE_INFINITY : s.start + s.c.learningMs;
      for (const [key, e] of s.combos) {
        if (s.known?.has(key) || e.time < learnedUntil) continue;
        out.push({
          correlation: s.c,
          time: e.time,
          group: e.values,
          count: 1,
          firstTime: e.time,
          lastTime: e.time,
          rules: [...(s.c.targets ?? [])],
          trigger: e.event,
          evidence: [e.event],
        });
      }
    }
    return out.sort((a, b) => a.time - b.time);
  }

  /** Combinations dropped by the cap, per rule ID (non-zero only). */
  overflow(): Record<string, number> {
    return Object.fromEntries(this.states.filter((s) => s.overflow > 0).map((s) => [s.c.id, s.overflow]));
  }

  /** The state as a baseline's rules section (merged with an earlier baseline's combinations). */
  toBaselineRules(previous?: Baseline): Baseline["rules"] {
    const rules: Baseline["rules"] = {};
    for (const s of this.states) {
      const combos: Record<string, string> = {};
      const prev = previous?.rules[s.c.id];
      if (prev && prev.signature === firstSeenSignature(s.c)) Object.assign(combos, prev.combos);
      for (const [k, e] of s.combos) {
        const iso = new Date(e.time).toISOString();
        const old = combos[k];
        if (old === undefined || iso < old) combos[k] = iso;
      }
      const r: Baseline["rules"][string] = { signature: firstSeenSignature(s.c), fields: s.c.groupBy, combos };
      if (Number.isFinite(s.start)) r.from = new Date(s.start).toISOString();
      if (Number.isFinite(s.end)) r.to = new Date(s.end).toISOString();
      rules[s.c.id] = r;
    }
    return rules;
  }
}
