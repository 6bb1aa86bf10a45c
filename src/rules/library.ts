// Rules as objects to list and show: one description per compiled rule (ID, title, level, techniques,
// status, source) and the filters `rules list` and the HTTP API apply. Pure: callers read the files.
import { z } from "zod";
import type { Catalog } from "../catalog/catalog.js";
import { CORRELATION_TYPES, type CompiledCorrelation } from "./correlation.js";
import { type CompiledRule, SIGMA_LEVELS, SigmaLevel } from "./model.js";
import { resolveRuleTechniques } from "./resolve.js";

/** Where a rule comes from: the rules shipped in rules/builtin, or a file the user gave. */
export const RuleOrigin = z.enum(["builtin", "user"]);
export type RuleOrigin = z.infer<typeof RuleOrigin>;

/** A single-event detection rule, or a correlation (incl. first_seen) over other rules' matches. */
export const RuleKind = z.enum(["event", "correlation"]);
export type RuleKind = z.infer<typeof RuleKind>;

/** What `rules list` / `rules show` print for a rule. */
export const RuleInfo = z.strictObject({
  id: z.string(),
  kind: RuleKind,
  title: z.string(),
  level: SigmaLevel,
  status: z.string().optional(),
  description: z.string().optional(),
  /** Catalog technique IDs the tags resolve to (techtrail.* tags, and attack.* tags the catalog knows). */
  techniques: z.array(z.string()),
  /** ATT&CK technique IDs as tagged (attack.tNNNN[.NNN]). */
  attack: z.array(z.string()),
  /** Technique tags that name nothing in the catalog. */
  unknownTechniques: z.array(z.string()),
  tactics: z.array(z.string()),
  tags: z.array(z.string()),
  origin: RuleOrigin,
  /** The rule file. */
  source: z.string(),
  /** The event names the rule is evaluated for (lower-case; `*` ends a prefix); null = every event. */
  eventNames: z.array(z.string()).nullable(),
  eventSources: z.array(z.string()).nullable(),
  /** An event rule that only feeds correlations (`generate: false`) and reports no finding of its own. */
  correlationOnly: z.boolean().optional(),
  /** For correlations: the type, the rules it counts (IDs), grouping and time window. */
  correlation: z
    .strictObject({
      type: z.enum(CORRELATION_TYPES),
      rules: z.array(z.string()),
      groupBy: z.array(z.string()),
      timespanMs: z.number(),
      generate: z.boolean(),
    })
    .optional(),
});
export type RuleInfo = z.infer<typeof RuleInfo>;

function filterList(f: CompiledRule["eventNameFilter"]): string[] | null {
  if (f === null) return null;
  return [...[...f.values].sort(), ...f.prefixes.map((p) => `${p}*`).sort()];
}

const isCorrelation = (r: CompiledRule | CompiledCorrelation): r is CompiledCorrelation => "ruleRefs" in r;

/**
 * Describes a compiled rule or correlation; `catalog` resolves its technique tags (without one, catalog tags
 * are kept as written).
 */
export function describeRule(
  rule: CompiledRule | CompiledCorrelation,
  origin: RuleOrigin,
  catalog?: Catalog,
): RuleInfo {
  const resolved = catalog
    ? resolveRuleTechniques(rule, catalog)
    : { techniques: [...rule.catalogRefs], unknown: [] as string[] };
  const corr = isCorrelation(rule);
  const info: RuleInfo = {
    id: rule.id,
    kind: corr ? "correlation" : "event",
    title: rule.title,
    level: rule.level,
    techniques: resolved.techniques,
    attack: [...rule.attackRefs],
    unknownTechniques: resolved.unknown,
    tactics: [...rule.tacticRefs],
    tags: [...rule.tags],
    origin,
    source: rule.source,
    eventNames: corr ? null : filterList(rule.eventNameFilter),
    eventSources: corr ? null : filterList(rule.eventSourceFilter),
  };
  if (rule.status !== undefined) info.status = rule.status;
  if (rule.description !== undefined) info.description = rule.description.trim();
  if (corr)
    info.correlation = {
      type: rule.type,
      rules: [...(rule.targets ?? rule.ruleRefs)],
      groupBy: [...rule.groupBy],
      timespanMs: rule.timespanMs,
      generate: rule.generate,
    };
  else if (rule.correlationOnly) info.correlationOnly = true;
  return info;
}

export const RuleFilter = z.strictObject({
  /** A technique ID: rules resolving to it or to one of its sub-techniques, or tagged with it (ATT&CK). */
  technique: z.string().min(1).optional(),
  /** The lowest level shown (`medium` shows medium, high and critical). */
  minLevel: SigmaLevel.optional(),
  /** Exact level. */
  level: SigmaLevel.optional(),
  /** `builtin`, `user`, or a path prefix of the rule file. */
  source: z.string().min(1).optional(),
});
export type RuleFilter = z.infer<typeof RuleFilter>;

export const levelRank = (l: SigmaLevel): number => SIGMA_LEVELS.indexOf(l);

const underTechnique = (id: string, want: string) => id === want || id.startsWith(`${want}.`);

export function matchesRuleFilter(r: RuleInfo, f: RuleFilter): boolean {
  if (f.technique !== undefined) {
    const want = f.technique.trim().toUpperCase();
    if (![...r.techniques, ...r.attack].some((id) => underTechnique(id, want))) return false;
  }
  if (f.level !== undefined && r.level !== f.level) return false;
  if (f.minLevel !== undefined && levelRank(r.level) < levelRank(f.minLevel)) return false;
  if (f.source !== undefined) {
    if (f.source === "builtin" || f.source === "user") {
      if (r.origin !== f.source) return false;
    } else if (!r.source.startsWith(f.source.replace(/\/+$/, ""))) return false;
  }
  return true;
}

/** Rules in a stable order for listing: by source file, then ID. */
export function sortRuleInfos(list: RuleInfo[]): RuleInfo[] {
  return [...list].sort((a, b) =>
    a.source !== b.source ? (a.source < b.source ? -1 : 1) : a.id < b.id ? -1 : a.id > b.id ? 1 : 0,
  );
}

/** Finds a rule by ID (exact, then case-insensitive) or by its file path (exact or ending in /path). */
export function findRule<T extends { id: string; source: string }>(list: readonly T[], key: string): T | undefined {
  const lower = key.toLowerCase();
  return (
    list.find((r) => r.id === key) ??
    list.find((r) => r.id.toLowerCase() === lower) ??
    list.find((r) => r.source === key || r.source.endsWith(`/${key.replace(/^\.\//, "")}`))
  );
}
