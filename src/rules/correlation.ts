// Sigma correlation rules (specification 2.0: event_count, value_count, temporal, temporal_ordered) and
// techtrail's first_seen extension: the document schema, compilation to plain data, the conversion of legacy
// Sigma v1 aggregations (`| count() by f > N`, `| near`, `timeframe`), and reference resolution (names or IDs,
// chains, cycles). Pure: the stateful evaluation lives in correlation-engine.ts.
import { z } from "zod";
import type { Problem } from "../core/errors.js";
import { SigmaLevel } from "./model.js";

export const CORRELATION_TYPES = ["event_count", "value_count", "temporal", "temporal_ordered", "first_seen"] as const;
export type CorrelationType = (typeof CORRELATION_TYPES)[number];

const OPS = ["gt", "gte", "lt", "lte", "eq", "neq"] as const;
export type ConditionOp = (typeof OPS)[number];

/** `condition:` of a correlation: one or more bounds (AND), plus `field` for value_count. */
export const CorrelationCondition = z
  .strictObject({
    gt: z.number().int().nonnegative().optional(),
    gte: z.number().int().nonnegative().optional(),
    lt: z.number().int().nonnegative().optional(),
    lte: z.number().int().nonnegative().optional(),
    eq: z.number().int().nonnegative().optional(),
    neq: z.number().int().nonnegative().optional(),
    field: z.string().min(1).optional(),
  })
  .refine((c) => OPS.some((o) => c[o] !== undefined), { message: "needs at least one of gt, gte, lt, lte, eq, neq" });

export const CorrelationSection = z.strictObject({
  type: z.enum(CORRELATION_TYPES),
  rules: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
  "group-by": z.union([z.string().min(1), z.array(z.string().min(1))]).optional(),
  timespan: z.string().optional(),
  condition: CorrelationCondition.optional(),
  aliases: z.record(z.string(), z.record(z.string(), z.string().min(1))).optional(),
  generate: z.boolean().optional(),
  /** first_seen only: combinations seen during this period after the first matching event only teach. */
  "learning-period": z.string().optional(),
  ordered: z.boolean().optional(),
});

export const CorrelationDoc = z.looseObject({
  title: z.string().min(1),
  id: z.string().min(1).optional(),
  name: z.string().min(1).optional(),
  status: z.string().optional(),
  description: z.string().optional(),
  level: SigmaLevel.optional(),
  tags: z.array(z.string().min(1)).default([]),
  generate: z.boolean().optional(),
  correlation: CorrelationSection,
});
export type CorrelationDoc = z.infer<typeof CorrelationDoc>;

export interface Bound {
  op: ConditionOp;
  value: number;
}

/** A correlation compiled to plain data (safe to send to worker threads). */
export interface CompiledCorrelation {
  id: string;
  name?: string;
  title: string;
  level: z.infer<typeof SigmaLevel>;
  status?: string;
  description?: string;
  tags: string[];
  techniqueRefs: string[];
  catalogRefs: string[];
  attackRefs: string[];
  tacticRefs: string[];
  source: string;
  type: CorrelationType;
  /** References as written (rule names or IDs). */
  ruleRefs: string[];
  /** Group-by fields (aliases allowed). */
  groupBy: string[];
  /** alias → (rule reference → field). */
  aliases: Record<string, Record<string, string>>;
  timespanMs: number;
  learningMs: number;
  bounds: Bound[];
  /** value_count: the field whose distinct values are counted. */
  field?: string;
  /** Whether the referenced rules also report their own findings (Sigma `generate`, default false). */
  generate: boolean;
  /** The referenced rule or correlation IDs, set once references are resolved. */
  targets?: string[];
}

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `90m`, `1h`, `2d` → milliseconds; undefined when malformed. */
export function parseTimespan(text: string): number | undefined {
  const m = /^(\d+)([smhdw])$/.exec(text.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  return n > 0 ? n * (UNIT_MS[m[2] as string] as number) : undefined;
}

/** True when the count satisfies every bound. */
export function satisfies(bounds: readonly Bound[], n: number): boolean {
  for (const b of bounds) {
    const ok =
      b.op === "gt"
        ? n > b.value
        : b.op === "gte"
          ? n >= b.value
          : b.op === "lt"
            ? n < b.value
            : b.op === "lte"
              ? n <= b.value
              : b.op === "eq"
                ? n === b.value
                : n !== b.value;
    if (!ok) return false;
  }
  return true;
}

/** Conditions that only grow true as a window fills (no upper bound): they fire as soon as they hold. */
export function isMonotone(bounds: readonly Bound[]): boolean {
  return bounds.every((b) => b.op === "gt" || b.op === "gte");
}

export function boundsOf(cond: z.infer<typeof CorrelationCondition> | undefined): Bound[] {
  if (!cond) return [];
  return OPS.filter((o) => cond[o] !== undefined).map((op) => ({ op, value: cond[op] as number }));
}

/** A problem found while compiling a correlation, with the YAML path it concerns. */
export interface CorrelationIssue {
  path: PropertyKey[];
  message: string;
}

/** Checks the correlation section's type-specific requirements; returns issues (empty = fine). */
export function checkSection(sec: z.infer<typeof CorrelationSection>): CorrelationIssue[] {
  const issues: CorrelationIssue[] = [];
  const at = (path: PropertyKey[], message: string) => issues.push({ path: ["correlation", ...path], message });
  if (sec.type === "first_seen") {
    if (sec.timespan !== undefined) at(["timespan"], "first_seen takes 'learning-period', not 'timespan'");
    if (sec["learning-period"] !== undefined && parseTimespan(sec["learning-period"]) === undefined)
      at(
        ["learning-period"],
        `bad learning period '${sec["learning-period"]}' (expected a number and s, m, h, d or w)`,
      );
    if (!sec["group-by"] || [sec["group-by"]].flat().length === 0)
      at(["group-by"], "first_seen needs group-by: the fields whose combination must be new");
    if (sec.condition) at(["condition"], "first_seen takes no condition");
    return issues;
  }
  if (sec["learning-period"] !== undefined) at(["learning-period"], "only first_seen takes a learning period");
  if (sec.timespan === undefined) at([], `${sec.type} needs a timespan`);
  else if (parseTimespan(sec.timespan) === undefined)
    at(["timespan"], `bad timespan '${sec.timespan}' (expected a number and s, m, h, d or w, e.g. 10m)`);
  if ((sec.type === "event_count" || sec.type === "value_count") && !sec.condition)
    at([], `${sec.type} needs a condition (gt, gte, lt, lte, eq or neq)`);
  if (sec.type === "value_count" && !sec.condition?.field)
    at(["condition"], "value_count needs condition.field: the field whose distinct values are counted");
  if (sec.type !== "value_count" && sec.condition?.field !== undefined)
    at(["condition", "field"], `condition.field is only used by value_count, not ${sec.type}`);
  const refs = [sec.rules].flat();
  if ((sec.type === "temporal" || sec.type === "temporal_ordered") && refs.length < 2)
    at(["rules"], `${sec.type} needs at least two rules`);
  for (const [alias, map] of Object.entries(sec.aliases ?? {}))
    for (const ref of Object.keys(map))
      if (!refs.includes(ref)) at(["aliases", alias, ref], `alias '${alias}' names '${ref}', which is not in rules`);
  return issues;
}

// ---- legacy Sigma v1 aggregations ----

export interface LegacyAggregation {
  /** The search expression before the pipe. */
  search: string;
  kind: "count" | "near";
  /** count(field): distinct values of field (value_count); empty: events (event_count). */
  countField?: string;
  groupBy: string[];
  bound?: Bound;
  /** near: the identifiers that must occur near the search. */
  near?: string[];
}

const COUNT_RE =
  /^(.*?)\|\s*count\(\s*([\w.]*)\s*\)\s*(?:by\s+([\w.]+(?:\s*,\s*[\w.]+)*)\s*)?(<=|>=|<|>|==|=|!=)\s*(\d+)\s*$/i;
const NEAR_RE = /^(.*?)\|\s*near\s+(.+)$/i;
const OP_OF: Record<string, ConditionOp> = {
  "<": "lt",
  "<=": "lte",
  ">": "gt",
  ">=": "gte",
  "=": "eq",
  "==": "eq",
  "!=": "neq",
};

/** Parses `sel | count(f) by g > N` and `sel1 | near sel2 and sel3`; undefined when the text has another form. */
export function parseLegacyAggregation(condition: string): LegacyAggregation | undefined {
  const c = COUNT_RE.exec(condition);
  if (c) {
    const agg: LegacyAggregation = {
      search: (c[1] as string).trim(),
      kind: "count",
      groupBy: c[3] ? c[3].split(",").map((s) => s.trim()) : [],
      bound: { op: OP_OF[c[4] as string] as ConditionOp, value: Number(c[5]) },
    };
    if (c[2]) agg.countField = c[2];
    return agg;
  }
  const n = NEAR_RE.exec(condition);
  if (n) {
    const near = (n[2] as string).split(/\s+and\s+/i).map((s) => s.trim());
    if (near.every((s) => /^[\w.*-]+$/.test(s)))
      return { search: (n[1] as string).trim(), kind: "near", groupBy: [], near };
  }
  return undefined;
}

// ---- references ----

export interface RuleRefTarget {
  id: string;
  name?: string;
}

/**
 * Resolves every correlation's references to rule or correlation IDs, by ID first, then name. Reports
 * unknown references and cycles; correlations with problems are left out of `ok`.
 */
export function resolveReferences(
  rules: readonly RuleRefTarget[],
  correlations: readonly CompiledCorrelation[],
): { ok: Map<string, string[]>; problems: Array<{ correlation: CompiledCorrelation; problem: Problem }> } {
  const byKey = new Map<string, string>();
  for (const t of [...rules, ...correlations]) {
    if (t.name !== undefined && !byKey.has(t.name)) byKey.set(t.name, t.id);
  }
  for (const t of [...rules, ...correlations]) byKey.set(t.id, t.id);
  const corrById = new Map(correlations.map((c) => [c.id, c]));
  const resolved = new Map<string, string[]>();
  const problems: Array<{ correlation: CompiledCorrelation; problem: Problem }> = [];
  for (const c of correlations) {
    const targets: string[] = [];
    for (const ref of c.ruleRefs) {
      const id = byKey.get(ref);
      if (id === undefined) {
        problems.push({
          correlation: c,
          problem: {
            source: c.source,
            field: "correlation.rules",
            message: `correlation '${c.title}' references unknown rule '${ref}' (no rule or correlation has that id or name)`,
          },
        });
      } else targets.push(id);
    }
    if (targets.length === c.ruleRefs.length) resolved.set(c.id, targets);
  }
  // Cycles: a correlation that reaches itself through correlation references.
  const state = new Map<string, 1 | 2>();
  const cyclic = new Set<string>();
  const visit = (id: string, stack: string[]): void => {
    if (state.get(id) === 2) return;
    if (state.get(id) === 1) {
      for (const s of stack.slice(stack.indexOf(id))) cyclic.add(s);
      return;
    }
    state.set(id, 1);
    for (const t of resolved.get(id) ?? []) if (corrById.has(t)) visit(t, [...stack, t]);
    state.set(id, 2);
  };
  for (const c of correlations) visit(c.id, [c.id]);
  for (const id of cyclic) {
    const c = corrById.get(id) as CompiledCorrelation;
    resolved.delete(id);
    problems.push({
      correlation: c,
      problem: {
        source: c.source,
        field: "correlation.rules",
        message: `correlation '${c.title}' is part of a reference cycle`,
      },
    });
  }
  // A correlation over a correlation that failed also fails.
  let changed = true;
  while (changed) {
    changed = false;
    for (const [id, targets] of resolved) {
      const bad = targets.find((t) => corrById.has(t) && !resolved.has(t));
      if (bad === undefined) continue;
      resolved.delete(id);
      changed = true;
      const c = corrById.get(id) as CompiledCorrelation;
      problems.push({
        correlation: c,
        problem: {
          source: c.source,
          field: "correlation.rules",
          message: `correlation '${c.title}' references correlation '${bad}', which could not be loaded`,
        },
      });
    }
  }
  return { ok: resolved, problems };
}

/** The field a correlation reads for a group-by name in events of one referenced rule (aliases applied). */
export function fieldFor(c: CompiledCorrelation, groupField: string, ref: string): string {
  return c.aliases[groupField]?.[ref] ?? groupField;
}
