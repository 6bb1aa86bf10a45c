// Analytics data types: the filter every analytics function takes, severity weights, quarters, and the
// result shapes (each a zod schema with its inferred type, so reports and the CLI print validated data).
import { z } from "zod";
import { TechtrailError, zodProblems } from "../core/errors.js";
import { AccountId, Severity, Tag, Timestamp } from "../incidents/model.js";

/** Which incidents an analysis looks at. Dates apply to the incident date (detected, else reported, else first activity). */
export const AnalyticsFilter = z.strictObject({
  /** Incident date at or after. */
  from: Timestamp.optional(),
  /** Incident date strictly before. */
  to: Timestamp.optional(),
  severity: z.array(Severity).min(1).optional(),
  /** 12-digit AWS account ID listed on the incident. */
  account: AccountId.optional(),
  /** Threat actor name (case- and spacing-insensitive). */
  actor: z.string().trim().min(1).optional(),
  tag: Tag.optional(),
  /** Only demo (true) or only real (false) incidents; both when absent. */
  demo: z.boolean().optional(),
});
export type AnalyticsFilter = z.infer<typeof AnalyticsFilter>;
export type AnalyticsFilterInput = z.input<typeof AnalyticsFilter>;

export function parseAnalyticsFilter(input: AnalyticsFilterInput = {}): AnalyticsFilter {
  const res = AnalyticsFilter.safeParse(input);
  if (!res.success)
    throw new TechtrailError("VALIDATION", "invalid analytics filter", { problems: zodProblems(res.error.issues) });
  return res.data;
}

/**
 * Severity weights used by mitigation impact and playbook priority: a P1 counts as much as ten P4s.
 * Documented in docs/analytics.md.
 */
export const SEVERITY_WEIGHT: Record<Severity, number> = { P1: 10, P2: 5, P3: 2, P4: 1 };

/** `2026Q3` */
export const QUARTER_RE = /^(\d{4})Q([1-4])$/;
export const Quarter = z.string().trim().toUpperCase().regex(QUARTER_RE, "expected a quarter like 2026Q3");

export function quarterOf(ts: string | number): string {
  const d = new Date(ts);
  return `${d.getUTCFullYear()}Q${Math.floor(d.getUTCMonth() / 3) + 1}`;
}

/** Start (inclusive) and end (exclusive) of a quarter as canonical timestamps. */
export function quarterRange(q: string): { from: string; to: string } {
  const m = QUARTER_RE.exec(q.trim().toUpperCase());
  if (!m) throw new TechtrailError("VALIDATION", `invalid quarter ${q}: expected a quarter like 2026Q3`);
  const y = Number(m[1]);
  const n = Number(m[2]);
  const from = new Date(Date.UTC(y, (n - 1) * 3, 1)).toISOString().replace(".000Z", "Z");
  const to = new Date(Date.UTC(y, n * 3, 1)).toISOString().replace(".000Z", "Z");
  return { from, to };
}

export function shiftQuarter(q: string, by: number): string {
  const m = QUARTER_RE.exec(q.trim().toUpperCase());
  if (!m) throw new TechtrailError("VALIDATION", `invalid quarter ${q}: expected a quarter like 2026Q3`);
  const idx = Number(m[1]) * 4 + Number(m[2]) - 1 + by;
  return `${Math.floor(idx / 4)}Q${(idx % 4) + 1}`;
}

/** The incidents an analysis covered, with a note when there were none. */
export const Scope = z.object({
  filter: AnalyticsFilter,
  /** Incidents matching the filter (with or without technique tags). */
  incidents: z.number().int().nonnegative(),
  /** True when no incident matched: every list is empty and `note` says why. */
  empty: z.boolean(),
  note: z.string().optional(),
});
export type Scope = z.infer<typeof Scope>;

export const TechniqueCount = z.object({
  id: z.string(),
  /** Catalog name, or null for an ID the catalog does not know (e.g. removed). */
  name: z.string().nullable(),
  tactics: z.array(z.string()),
  incidents: z.number().int().nonnegative(),
  /** incidents / scope.incidents (0..1). */
  share: z.number(),
});
export type TechniqueCount = z.infer<typeof TechniqueCount>;

export const TacticCount = z.object({
  id: z.string(),
  name: z.string(),
  incidents: z.number().int().nonnegative(),
  share: z.number(),
});
export type TacticCount = z.infer<typeof TacticCount>;

export const FrequencyResult = z.object({
  scope: Scope,
  /** Incidents with at least one technique tag. */
  tagged: z.number().int().nonnegative(),
  techniques: z.array(TechniqueCount),
  tactics: z.array(TacticCount),
});
export type FrequencyResult = z.infer<typeof FrequencyResult>;

export const TrendTechnique = z.object({
  id: z.string(),
  name: z.string().nullable(),
  /** Incidents with the technique in each quarter of `quarters`. */
  counts: z.array(z.number().int().nonnegative()),
  current: z.number().int().nonnegative(),
  previous: z.number().int().nonnegative(),
  change: z.number().int(),
  /** Relative change against the previous quarter; null when the previous quarter had none. */
  changePct: z.number().nullable(),
  /** Never seen before the current quarter (under the same non-date filters). */
  isNew: z.boolean(),
});
export type TrendTechnique = z.infer<typeof TrendTechnique>;

export const TrendResult = z.object({
  scope: Scope,
  quarters: z.array(z.object({ quarter: z.string(), from: z.string(), to: z.string(), incidents: z.number().int() })),
  current: z.string().nullable(),
  previous: z.string().nullable(),
  techniques: z.array(TrendTechnique),
  newTechniques: z.array(z.string()),
});
export type TrendResult = z.infer<typeof TrendResult>;

export const Pair = z.object({
  a: z.string(),
  b: z.string(),
  /** Incidents with both. */
  count: z.number().int().positive(),
  /** count / incidents. */
  support: z.number(),
  /** count / incidents with a. */
  confidenceAB: z.number(),
  /** count / incidents with b. */
  confidenceBA: z.number(),
  /** support / (share of a × share of b): > 1 means they go together more than chance. */
  lift: z.number(),
});
export type Pair = z.infer<typeof Pair>;

export const CooccurrenceResult = z.object({
  scope: Scope,
  /** Incidents with at least two techniques. */
  multiTechnique: z.number().int().nonnegative(),
  /** Number of distinct pairs seen (before minCount and limit). */
  distinctPairs: z.number().int().nonnegative(),
  pairs: z.array(Pair),
  /** Incidents per technique, for heatmaps. */
  singles: z.record(z.string(), z.number().int()),
});
export type CooccurrenceResult = z.infer<typeof CooccurrenceResult>;

export const PathsResult = z.object({
  scope: Scope,
  paths: z.array(
    z.object({
      tactics: z.array(z.string()),
      names: z.array(z.string()),
      incidents: z.number().int(),
      share: z.number(),
    }),
  ),
  transitions: z.array(z.object({ from: z.string(), to: z.string(), count: z.number().int() })),
  /** Tactic an incident started with (first technique by first-seen time). */
  entry: z.array(z.object({ tactic: z.string(), name: z.string(), incidents: z.number().int() })),
});
export type PathsResult = z.infer<typeof PathsResult>;

export const ActorProfile = z.object({
  key: z.string(),
  name: z.string(),
  incidents: z.number().int().positive(),
  techniques: z.array(z.object({ id: z.string(), incidents: z.number().int(), share: z.number() })),
  /** Techniques in at least `minShare` of the actor's incidents: the set Jaccard similarity uses. */
  signature: z.array(z.string()),
});
export type ActorProfile = z.infer<typeof ActorProfile>;

export const ActorsResult = z.object({
  scope: Scope,
  minShare: z.number(),
  actors: z.array(ActorProfile),
  similarity: z.array(
    z.object({ a: z.string(), b: z.string(), jaccard: z.number(), weighted: z.number(), shared: z.array(z.string()) }),
  ),
});
export type ActorsResult = z.infer<typeof ActorsResult>;

export const ActorMatch = z.object({
  incident: z.string(),
  techniques: z.array(z.string()),
  attributedTo: z.string().nullable(),
  matches: z.array(
    z.object({
      /** The actor's name key. */
      actor: z.string(),
      /** The actor entity's ID (ACT-0001) when the register has it. */
      id: z.string().optional(),
      name: z.string(),
      /** Weighted mean of the components that apply (0..1). */
      score: z.number(),
      /** What the score rests on: each component with its score, weight and evidence. */
      components: z.array(
        z.object({
          name: z.enum(["techniques", "ordering", "indicators"]),
          score: z.number(),
          weight: z.number(),
          detail: z.string(),
        }),
      ),
      /** The components in one sentence. */
      explanation: z.string(),
      /** Jaccard similarity of the incident's techniques and the actor's signature alone. */
      jaccard: z.number(),
      shared: z.array(z.string()),
      /** Indicators of the actor the incident's findings matched. */
      indicators: z.array(z.string()),
      /** Incidents of the actor the profile was built from (this incident left out). */
      incidents: z.number().int(),
    }),
  ),
  note: z.string().optional(),
});
export type ActorMatch = z.infer<typeof ActorMatch>;

export const DurationStats = z.object({
  samples: z.number().int().nonnegative(),
  /** Seconds; null when there are no samples. */
  median: z.number().nullable(),
  p90: z.number().nullable(),
});
export type DurationStats = z.infer<typeof DurationStats>;

export const TimingRow = z.object({
  key: z.string(),
  name: z.string().nullable(),
  incidents: z.number().int().nonnegative(),
  share: z.number(),
  timeToDetect: DurationStats,
  timeToContain: DurationStats,
});
export type TimingRow = z.infer<typeof TimingRow>;

export const TimingResult = z.object({
  scope: Scope,
  overall: z.object({ timeToDetect: DurationStats, timeToContain: DurationStats }),
  byTechnique: z.array(TimingRow),
  /** Detection-source mix with timing per source (`unknown` when not recorded). */
  bySource: z.array(TimingRow),
});
export type TimingResult = z.infer<typeof TimingResult>;

export const MitigationImpact = z.object({
  id: z.string(),
  name: z.string(),
  /** Severity-weighted incident count (SEVERITY_WEIGHT). */
  score: z.number(),
  incidents: z.number().int().positive(),
  bySeverity: z.record(z.string(), z.number().int()),
  /** Techniques seen in the incidents that this mitigation addresses, with their incident counts. */
  techniques: z.array(z.object({ id: z.string(), incidents: z.number().int() })),
  /** Most severe, then most recent incidents (at most `incidentLimit`). */
  examples: z.array(z.object({ key: z.string(), severity: z.string(), date: z.string().nullable() })),
});
export type MitigationImpact = z.infer<typeof MitigationImpact>;

export const MitigationsResult = z.object({
  scope: Scope,
  weights: z.record(z.string(), z.number()),
  mitigations: z.array(MitigationImpact),
  /** Incidents with techniques of which none has a catalog mitigation. */
  unmitigated: z.number().int().nonnegative(),
});
export type MitigationsResult = z.infer<typeof MitigationsResult>;
