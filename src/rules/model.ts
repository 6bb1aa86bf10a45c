// Data types of the Sigma rule engine: the accepted shape of a Sigma rule document (zod) and the
// compiled-rule interface the scanner consumes. Pure; no I/O.
import { z } from "zod";

export const SIGMA_LEVELS = ["informational", "low", "medium", "high", "critical"] as const;
export const SigmaLevel = z.enum(SIGMA_LEVELS);
export type SigmaLevel = z.infer<typeof SigmaLevel>;

/** A plain Sigma value: strings, numbers, booleans and null (null = field absent or null). */
export const SigmaScalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);
export type SigmaScalar = z.infer<typeof SigmaScalar>;

/** `field|modifier: value` or `field: [values]` inside a search identifier. */
export const SigmaFieldMap = z.record(z.string(), z.union([SigmaScalar, z.array(SigmaScalar)]));
export type SigmaFieldMap = z.infer<typeof SigmaFieldMap>;

/** A search identifier: a map (AND of fields), a list of maps (OR), or keywords (a string or list of plain values). */
export const SigmaSearchIdentifier = z.union([
  SigmaFieldMap,
  z.array(SigmaFieldMap).min(1),
  z.string(),
  z.array(z.union([z.string(), z.number()])).min(1),
]);
export type SigmaSearchIdentifier = z.infer<typeof SigmaSearchIdentifier>;

export const SigmaLogsource = z.looseObject({
  product: z.string().optional(),
  service: z.string().optional(),
  category: z.string().optional(),
  definition: z.string().optional(),
});
export type SigmaLogsource = z.infer<typeof SigmaLogsource>;

export const SigmaDetection = z.looseObject({
  condition: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
  timeframe: z.string().optional(),
});
export type SigmaDetection = z.infer<typeof SigmaDetection>;

/** One Sigma detection rule document. Unknown top-level fields (author, references, ...) are allowed. */
export const SigmaRuleDoc = z.looseObject({
  title: z.string().min(1),
  id: z.string().min(1).optional(),
  name: z.string().min(1).optional(),
  status: z.string().optional(),
  description: z.string().optional(),
  level: SigmaLevel.optional(),
  tags: z.array(z.string().min(1)).default([]),
  logsource: SigmaLogsource,
  detection: SigmaDetection,
});
export type SigmaRuleDoc = z.infer<typeof SigmaRuleDoc>;

/** Values a field can take for a rule to match: exact lower-cased values or lower-cased prefixes. */
export interface ValueFilter {
  values: ReadonlySet<string>;
  prefixes: readonly string[];
}

/** A rule compiled to closures: match() does no parsing, comparison values are pre-lowercased. */
export interface CompiledRule {
  id: string;
  title: string;
  level: SigmaLevel;
  status?: string;
  description?: string;
  /** Raw tags as written in the rule. */
  tags: string[];
  /** Technique IDs from tags, upper-case: attack.t1078.004 → T1078.004, techtrail.t1078.a001 → T1078.A001. */
  techniqueRefs: string[];
  /** IDs from `techtrail.*` tags only (catalog IDs). */
  catalogRefs: string[];
  /** IDs from `attack.tNNNN[.NNN]` tags only (ATT&CK IDs). */
  attackRefs: string[];
  /** Tactic short names from tags: attack.defense-evasion / attack.defense_evasion → defense-evasion. */
  tacticRefs: string[];
  /** File path or label the rule came from. */
  source: string;
  /** Exact eventName values the rule can match (lower-cased), or null when it can match any eventName. */
  eventNames: ReadonlySet<string> | null;
  /** Exact eventSource values (lower-cased) or null. */
  eventSources: ReadonlySet<string> | null;
  /** eventName filter that also covers prefixes (`Delete*`, `eventName|startswith`); null = any eventName. */
  eventNameFilter: ValueFilter | null;
  /** eventSource filter with prefixes; null = any eventSource. */
  eventSourceFilter: ValueFilter | null;
  /** The rule's `name` (how correlations may refer to it). */
  name?: string;
  /** Matches feed correlations only and report no finding of their own (see compileSigmaRules). */
  correlationOnly?: boolean;
  /** The detection section as written (plain data; the scanner's pre-filter derives literals from it). */
  detection?: SigmaDetection;
  match(event: Record<string, unknown>): boolean;
}

/** A CloudTrail record as rules see it: any JSON object. */
export const CloudTrailRecord = z.record(z.string(), z.unknown());
export type CloudTrailRecord = z.infer<typeof CloudTrailRecord>;

/**
 * `<rule>.tests.yaml` beside a rule, the one schema for every kind of rule test. Event rules use `match`
 * (records the rule must match, at least one) and `nomatch` (near misses it must not match); other rule kinds
 * add their keys here (e.g. `sequences:` for correlation rules) and a runner in testing.ts, which also checks
 * that the keys a rule kind needs are present.
 */
/** One test sequence of a correlation or first_seen rule: records in time order and the findings expected. */
export const RuleSequence = z.strictObject({
  name: z.string().min(1),
  /** The correlation the count is about (default: the file's correlation that no other one references). */
  rule: z.string().min(1).optional(),
  /** Findings expected from these records (0: a near miss that must stay silent). */
  expect: z.number().int().nonnegative(),
  records: z.array(CloudTrailRecord).min(1),
});
export type RuleSequence = z.infer<typeof RuleSequence>;

export const RuleTestsFile = z.strictObject({
  match: z.array(CloudTrailRecord).default([]),
  nomatch: z.array(CloudTrailRecord).default([]),
  /** Correlation and first_seen rules: sequences of records (at least one that fires and one near miss). */
  sequences: z.array(RuleSequence).default([]),
});
export type RuleTestsFile = z.infer<typeof RuleTestsFile>;
