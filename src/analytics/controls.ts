// Control counterfactuals: for each control (catalog mitigation with effect rules), what it would have done to
// each incident — prevented it outright, shortened it (and by how long), limited it (blocked a later step),
// not touched it, or cannot say because a fact is missing — with the rule that decided. For controls a team
// has deployed, incidents on or after the deployment date where the control should have acted are findings.
// Pure over the store: one facts snapshot for the filter, one query for the per-incident entry facts.
import { z } from "zod";
import type { Catalog } from "../catalog/catalog.js";
import { type ControlRules, loadMitigationEffects, type SourcedRule } from "../controls/load.js";
import {
  ControlEffect,
  type ControlsInventory,
  type CredentialType,
  type DeployedControl,
  durationSeconds,
  EffectCondition,
} from "../controls/model.js";
import { canonicalTimestamp } from "../incidents/model.js";
import { factsFor, severityName, techniquesOf } from "./facts.js";
import { type AnalyticsFilterInput, parseAnalyticsFilter, Scope } from "./model.js";
import { type AnalyticsSource, quantile, str } from "./query.js";

export const ControlOutcome = z.enum(["prevented", "shortened", "limited", "undetermined", "untouched"]);
export type ControlOutcome = z.infer<typeof ControlOutcome>;

/** The rule that decided, as declared (catalog or the team's controls file). */
export const DecidingRule = z.object({
  technique: z.string(),
  effect: ControlEffect,
  within: z.string().optional(),
  when: EffectCondition.optional(),
  why: z.string(),
  /** `catalog`, or the controls file that declared the rule. */
  origin: z.string(),
});
export type DecidingRule = z.infer<typeof DecidingRule>;

/** One incident and what a control would have done to it. */
export const ControlDecision = z.object({
  key: z.string(),
  title: z.string(),
  severity: z.string(),
  status: z.string(),
  /** Incident date (detected, else reported, else first activity). */
  date: z.string().nullable(),
  outcome: ControlOutcome,
  /** What decided, in words: the incident's facts against the rule. */
  reason: z.string(),
  rule: DecidingRule.nullable(),
  /** shortened: seconds of exposure saved (null when the incident is still open and the saving unknown). */
  savedSeconds: z.number().nullable().optional(),
  /** shortened by earlier detection: time to detect as it was and as it would have been (seconds). */
  timeToDetect: z.object({ actual: z.number(), counterfactual: z.number() }).optional(),
  /** shortened: first activity to containment as it was and as it would have been (seconds). */
  exposure: z.object({ actual: z.number().nullable(), counterfactual: z.number() }).optional(),
});
export type ControlDecision = z.infer<typeof ControlDecision>;

export const ControlCounts = z.object({
  incidents: z.number().int().nonnegative(),
  prevented: z.number().int().nonnegative(),
  shortened: z.number().int().nonnegative(),
  limited: z.number().int().nonnegative(),
  undetermined: z.number().int().nonnegative(),
  untouched: z.number().int().nonnegative(),
  /** Exposure saved over the shortened incidents with a known saving (seconds). */
  savedSeconds: z.object({ total: z.number(), median: z.number().nullable(), known: z.number().int() }),
});
export type ControlCounts = z.infer<typeof ControlCounts>;

export const ControlImpact = z.object({
  id: z.string(),
  name: z.string(),
  deployed: z.boolean(),
  /** Deployed controls: in place since (YYYY-MM-DD) and, when partial, the techniques it covers. */
  since: z.string().optional(),
  scope: z.array(z.string()).optional(),
  rules: z.array(DecidingRule),
  /** Not deployed: over every incident in scope. Deployed: over the incidents that began before `since`. */
  counts: ControlCounts,
  /** The incidents behind each number except untouched, each with its deciding rule. */
  incidents: z.array(ControlDecision),
  /** Untouched incidents grouped by why no rule applied. */
  untouched: z.array(z.object({ reason: z.string(), keys: z.array(z.string()) })),
  /** Deployed controls: incidents that began on or after `since` where the control should have acted. */
  happenedAnyway: z.array(ControlDecision).optional(),
});
export type ControlImpact = z.infer<typeof ControlImpact>;

export const ControlsResult = z.object({
  scope: Scope,
  /** The team of the controls file, or null without one. */
  team: z.string().nullable(),
  /** Controls not deployed, most incidents prevented first, then shortened. */
  controls: z.array(ControlImpact),
  /** Controls the team has deployed, with the incidents that happened anyway. */
  deployed: z.array(ControlImpact),
  /** Catalog mitigations with no effect rules: not evaluated. */
  withoutRules: z.array(z.object({ id: z.string(), name: z.string() })),
  /** Incidents in scope lacking the facts prevents rules need. */
  missing: z.object({
    initialAccessTechnique: z.number().int().nonnegative(),
    credentialType: z.number().int().nonnegative(),
  }),
});
export type ControlsResult = z.infer<typeof ControlsResult>;

export interface ControlsOptions {
  /** Effect rules by mitigation (default: the catalog's, catalog/mitigation-effects.yaml). */
  rules?: ControlRules;
  /** The team's deployed controls (controls.yaml). */
  inventory?: ControlsInventory;
  /** The controls file's name, recorded as the origin of its rules. */
  inventorySource?: string;
  /** Only these controls (mitigation IDs). */
  only?: readonly string[];
}

/** What analytics needs to know about one incident beyond the facts snapshot. */
interface Entry {
  title: string;
  status: string;
  first: number;
  detected: number;
  contained: number;
  entry: string | undefined;
  credential: string | undefined;
  /** The coarse way in (`initialAccess`), undefined when not recorded or `unknown`. */
  vector: string | undefined;
  /** Technique ID → first seen (ms, NaN when unknown). */
  seen: Map<string, number>;
}

const ms = (v: unknown): number => {
  if (v === null || v === undefined) return Number.NaN;
  if (v instanceof Date) return v.getTime();
  return Date.parse(String(v));
};

async function readEntries(src: AnalyticsSource, keys: ReadonlySet<string>): Promise<Map<string, Entry>> {
  const out = new Map<string, Entry>();
  const rows = await src.db.query(
    "SELECT key, title, status, first_activity_at, detected_at, contained_at, initial_access, initial_access_technique, credential_type FROM incidents",
  );
  for (const r of rows) {
    const key = str(r.key);
    if (!keys.has(key)) continue;
    out.set(key, {
      title: str(r.title),
      status: str(r.status),
      first: ms(r.first_activity_at),
      detected: ms(r.detected_at),
      contained: ms(r.contained_at),
      entry: r.initial_access_technique == null ? undefined : str(r.initial_access_technique),
      credential: r.credential_type == null ? undefined : str(r.credential_type),
      vector: r.initial_access == null || r.initial_access === "unknown" ? undefined : str(r.initial_access),
      seen: new Map(),
    });
  }
  const tech = await src.db.query("SELECT incident_key, technique_id, first_seen FROM incident_techniques");
  for (const r of tech) {
    const e = out.get(str(r.incident_key));
    if (e) e.seen.set(str(r.technique_id), ms(r.first_seen));
  }
  return out;
}

/** A rule on T covers T and its sub-techniques. */
const covers = (ruleTechnique: string, id: string): boolean =>
  id === ruleTechnique || id.startsWith(`${ruleTechnique}.`);

/** `3d 4h`, `5h 10m`, `40m`: for reasons people read. */
export function humanSeconds(s: number): string {
  const m = Math.round(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 48) return m % 60 ? `${h}h ${m % 60}m` : `${h}h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d}d ${h % 24}h` : `${d}d`;
}

/** `prevents T1078.A002 when credential is root-password`: a rule in words (CLI lists and reasons). */
export function ruleText(r: Pick<DecidingRule, "effect" | "technique" | "within" | "when">): string {
  const cond: string[] = [];
  if (r.when?.credential) cond.push(`credential is ${r.when.credential.join(" or ")}`);
  if (r.when?.initialAccess) cond.push(`initial access is ${r.when.initialAccess.join(" or ")}`);
  if (r.when?.vector) cond.push(`the way in was ${r.when.vector.join(" or ")}`);
  if (r.when?.has) cond.push(`the incident has ${r.when.has.join(" or ")}`);
  if (r.when?.lacks) cond.push(`the incident lacks ${r.when.lacks.join(" and ")}`);
  const within = r.within ? ` within ${r.within}` : "";
  return `${r.effect} ${r.technique}${within}${cond.length ? ` when ${cond.join(" and ")}` : ""}`;
}

const describeRule = (control: string, r: SourcedRule): string => `${control} ${ruleText(r)}`;

/** Whether a rule's conditions hold: yes, no (with the fact that failed), or unknown (with the missing fact). */
function conditionHolds(
  r: SourcedRule,
  e: Entry,
  techniques: readonly string[],
): { state: "yes" } | { state: "no"; why: string } | { state: "unknown"; missing: string } {
  const c = r.when;
  if (!c) return { state: "yes" };
  if (c.credential) {
    if (e.credential === undefined) return { state: "unknown", missing: "credential type not recorded" };
    if (!c.credential.includes(e.credential as CredentialType))
      return { state: "no", why: `credential was ${e.credential}, the rule needs ${c.credential.join(" or ")}` };
  }
  if (c.initialAccess) {
    if (e.entry === undefined) return { state: "unknown", missing: "initial-access technique not recorded" };
    const entry = e.entry;
    if (!c.initialAccess.some((t) => covers(t, entry)))
      return { state: "no", why: `initial access was ${entry}, the rule needs ${c.initialAccess.join(" or ")}` };
  }
  if (c.vector) {
    if (e.vector === undefined) return { state: "unknown", missing: "initial-access vector not recorded" };
    if (!c.vector.includes(e.vector as (typeof c.vector)[number]))
      return { state: "no", why: `the way in was ${e.vector}, the rule needs ${c.vector.join(" or ")}` };
  }
  if (c.has && !c.has.some((h) => techniques.some((t) => covers(h, t))))
    return { state: "no", why: `the incident has none of ${c.has.join(", ")}` };
  if (c.lacks) {
    const found = techniques.filter((t) => c.lacks?.some((l) => covers(l, t)));
    if (found.length) return { state: "no", why: `the incident has ${found.join(", ")}, which the rule excludes` };
  }
  return { state: "yes" };
}

interface Verdict {
  outcome: ControlOutcome;
  reason: string;
  rule: SourcedRule | null;
  savedSeconds?: number | null;
  timeToDetect?: { actual: number; counterfactual: number };
  exposure?: { actual: number | null; counterfactual: number };
}

const RANK: Record<ControlOutcome, number> = { prevented: 4, shortened: 3, limited: 2, undetermined: 1, untouched: 0 };

/** Evaluates one control's rules against one incident; the strongest outcome wins (longest saving among shortened). */
function decide(control: string, rules: readonly SourcedRule[], techniques: readonly string[], e: Entry): Verdict {
  let best: Verdict | undefined;
  const misses: string[] = [];
  const offer = (v: Verdict) => {
    if (
      !best ||
      RANK[v.outcome] > RANK[best.outcome] ||
      (v.outcome === "shortened" &&
        best.outcome === "shortened" &&
        (v.savedSeconds ?? Number.POSITIVE_INFINITY) > (best.savedSeconds ?? Number.POSITIVE_INFINITY))
    )
      best = v;
  };
  for (const r of rules) {
    const hits = techniques.filter((t) => covers(r.technique, t));
    if (hits.length === 0) continue;
    const text = describeRule(control, r);
    const cond = conditionHolds(r, e, techniques);
    if (cond.state === "no") {
      misses.push(`${text}, but ${cond.why}`);
      continue;
    }
    if (cond.state === "unknown") {
      offer({ outcome: "undetermined", reason: `${text}; cannot tell: ${cond.missing}`, rule: r });
      continue;
    }
    if (r.effect === "prevents") {
      if (e.entry === undefined) {
        offer({
          outcome: "undetermined",
          reason: `${text}; the incident has ${hits.join(", ")} but no initial-access technique recorded, so whether it was the way in is unknown`,
          rule: r,
        });
        continue;
      }
      const entry = e.entry;
      if (covers(r.technique, entry)) {
        const cred = e.credential ? ` with a ${e.credential} credential` : "";
        offer({ outcome: "prevented", reason: `initial access ${entry}${cred}: ${text}`, rule: r });
      } else
        offer({
          outcome: "limited",
          reason: `${text}: blocks the later step ${hits.join(", ")}; the way in (${entry}) stays open`,
          rule: r,
        });
      continue;
    }
    const within = durationSeconds(r.within ?? "") ?? 0;
    // The technique's first sign: its first-seen time, else the incident's first activity.
    const starts = hits.map((t) => e.seen.get(t) ?? Number.NaN).filter((x) => !Number.isNaN(x));
    const start = starts.length ? Math.min(...starts) : e.first;
    if (Number.isNaN(start)) {
      offer({ outcome: "undetermined", reason: `${text}; cannot tell: no first-activity time`, rule: r });
      continue;
    }
    const first = Number.isNaN(e.first) ? start : Math.min(e.first, start);
    if (r.effect === "detects") {
      if (Number.isNaN(e.detected)) {
        offer({ outcome: "undetermined", reason: `${text}; cannot tell: no detection time`, rule: r });
        continue;
      }
      const would = start + within * 1000;
      const saved = Math.round((e.detected - would) / 1000);
      if (saved <= 0) {
        misses.push(`${text}, but the incident was detected that soon anyway`);
        continue;
      }
      const actualTtd = Math.round((e.detected - first) / 1000);
      const exposureActual = Number.isNaN(e.contained) ? null : Math.round((e.contained - first) / 1000);
      offer({
        outcome: "shortened",
        reason: `${text}: detected ${humanSeconds(saved)} earlier (time to detect ${humanSeconds(actualTtd)} → ${humanSeconds(actualTtd - saved)})`,
        rule: r,
        savedSeconds: saved,
        timeToDetect: { actual: actualTtd, counterfactual: actualTtd - saved },
        ...(exposureActual !== null
          ? { exposure: { actual: exposureActual, counterfactual: Math.max(0, exposureActual - saved) } }
          : {}),
      });
      continue;
    }
    // limits: the activity is cut off `within` after it starts.
    const cutoff = start + within * 1000;
    const cutExposure = Math.round((cutoff - first) / 1000);
    if (Number.isNaN(e.contained)) {
      offer({
        outcome: "shortened",
        reason: `${text}: still not contained; the control would have cut it off ${humanSeconds(cutExposure)} after first activity`,
        rule: r,
        savedSeconds: null,
        exposure: { actual: null, counterfactual: cutExposure },
      });
      continue;
    }
    const saved = Math.round((e.contained - cutoff) / 1000);
    if (saved <= 0) {
      misses.push(`${text}, but the incident was contained that soon anyway`);
      continue;
    }
    const actual = Math.round((e.contained - first) / 1000);
    offer({
      outcome: "shortened",
      reason: `${text}: cut off ${humanSeconds(saved)} sooner (first activity to containment ${humanSeconds(actual)} → ${humanSeconds(cutExposure)})`,
      rule: r,
      savedSeconds: saved,
      exposure: { actual, counterfactual: cutExposure },
    });
  }
  if (best) return best;
  if (misses.length) return { outcome: "untouched", reason: misses.join("; "), rule: null };
  return { outcome: "untouched", reason: "no technique of the incident is one the control's rules cover", rule: null };
}

const emptyCounts = (): ControlCounts => ({
  incidents: 0,
  prevented: 0,
  shortened: 0,
  limited: 0,
  undetermined: 0,
  untouched: 0,
  savedSeconds: { total: 0, median: null, known: 0 },
});

const ruleOut = (r: SourcedRule): DecidingRule => {
  const o: DecidingRule = { technique: r.technique, effect: r.effect, why: r.why, origin: r.origin };
  if (r.within !== undefined) o.within = r.within;
  if (r.when !== undefined) o.when = r.when;
  return o;
};

/**
 * What each control would have done to the incidents in scope (filter), explained per incident. Controls are
 * the catalog mitigations with effect rules; a controls inventory marks some deployed (since a date, maybe for
 * some techniques only) and may add the team's own rules.
 */
export async function controlsImpact(
  src: AnalyticsSource,
  catalog: Catalog,
  filter: AnalyticsFilterInput = {},
  opts: ControlsOptions = {},
): Promise<ControlsResult> {
  const f = parseAnalyticsFilter(filter);
  const { facts, sel, scope } = await factsFor(src, f);
  const catalogRules = opts.rules ?? loadMitigationEffects(catalog);
  const deployedBy = new Map<string, DeployedControl>((opts.inventory?.controls ?? []).map((c) => [c.control, c]));
  const origin = opts.inventorySource ?? "controls file";
  const rulesOf = new Map<string, SourcedRule[]>();
  for (const [id, rules] of catalogRules) rulesOf.set(id, [...rules]);
  for (const c of deployedBy.values())
    if (c.effects.length)
      rulesOf.set(c.control, [...(rulesOf.get(c.control) ?? []), ...c.effects.map((r) => ({ ...r, origin }))]);
  const only = opts.only ? new Set(opts.only) : undefined;
  const withoutRules = catalog.mitigations
    .filter((m) => !rulesOf.has(m.id) && (!only || only.has(m.id)))
    .map((m) => ({ id: m.id, name: m.name }));

  const keys = new Set<string>();
  for (const i of sel) keys.add(facts.keys[i] as string);
  const entries = keys.size ? await readEntries(src, keys) : new Map<string, Entry>();
  let noEntry = 0;
  let noCredential = 0;
  for (const e of entries.values()) {
    if (e.entry === undefined) noEntry++;
    if (e.credential === undefined) noCredential++;
  }

  const controls: ControlImpact[] = [];
  const deployed: ControlImpact[] = [];
  const ids = [...rulesOf.keys()].filter((id) => !only || only.has(id)).sort();
  for (const id of ids) {
    const dep = deployedBy.get(id);
    let rules = rulesOf.get(id) ?? [];
    // A partial deployment covers only its techniques (a rule on a parent counts for a listed sub-technique).
    if (dep?.techniques) {
      const scopeIds = dep.techniques;
      rules = rules.filter((r) => scopeIds.some((t) => covers(r.technique, t) || covers(t, r.technique)));
    }
    const sinceMs = dep ? Date.parse(`${dep.since}T00:00:00Z`) : Number.NaN;
    const counts = emptyCounts();
    const listed: ControlDecision[] = [];
    const anyway: ControlDecision[] = [];
    const untouched = new Map<string, string[]>();
    const savings: number[] = [];
    for (const i of sel) {
      const key = facts.keys[i] as string;
      const e = entries.get(key);
      if (!e) continue;
      const techniques = [...techniquesOf(facts, i)].map((c) => facts.techIds[c] as string);
      const v = decide(id, rules, techniques, e);
      const at = facts.at[i] as number;
      const began = Number.isNaN(e.first) ? at : e.first;
      const decision: ControlDecision = {
        key,
        title: e.title,
        severity: severityName(facts.sev[i] as number),
        status: e.status,
        date: Number.isNaN(at) ? null : canonicalTimestamp(at),
        outcome: v.outcome,
        reason: v.reason,
        rule: v.rule ? ruleOut(v.rule) : null,
      };
      if (v.savedSeconds !== undefined) decision.savedSeconds = v.savedSeconds;
      if (v.timeToDetect) decision.timeToDetect = v.timeToDetect;
      if (v.exposure) decision.exposure = v.exposure;
      if (dep && began >= sinceMs) {
        // In place when the incident began: any effect it should have had is a finding.
        if (v.outcome !== "untouched" && v.outcome !== "undetermined") anyway.push(decision);
        continue;
      }
      counts.incidents++;
      counts[v.outcome]++;
      if (v.outcome === "untouched") {
        const list = untouched.get(v.reason) ?? [];
        list.push(key);
        untouched.set(v.reason, list);
        continue;
      }
      if (typeof v.savedSeconds === "number") savings.push(v.savedSeconds);
      listed.push(decision);
    }
    savings.sort((a, b) => a - b);
    counts.savedSeconds = {
      total: savings.reduce((s, x) => s + x, 0),
      median: savings.length ? quantile(savings, 0.5) : null,
      known: savings.length,
    };
    listed.sort((a, b) => RANK[b.outcome] - RANK[a.outcome] || (b.date ?? "").localeCompare(a.date ?? ""));
    const impact: ControlImpact = {
      id,
      name: catalog.mitigation(id)?.name ?? id,
      deployed: dep !== undefined,
      rules: rules.map(ruleOut),
      counts,
      incidents: listed,
      untouched: [...untouched.entries()]
        .map(([reason, ks]) => ({ reason, keys: ks }))
        .sort((a, b) => b.keys.length - a.keys.length || a.reason.localeCompare(b.reason)),
    };
    if (dep) {
      impact.since = dep.since;
      if (dep.techniques) impact.scope = dep.techniques;
      anyway.sort((a, b) => RANK[b.outcome] - RANK[a.outcome] || (b.date ?? "").localeCompare(a.date ?? ""));
      impact.happenedAnyway = anyway;
      deployed.push(impact);
    } else controls.push(impact);
  }
  controls.sort(
    (a, b) =>
      b.counts.prevented - a.counts.prevented ||
      b.counts.shortened - a.counts.shortened ||
      b.counts.limited - a.counts.limited ||
      a.id.localeCompare(b.id),
  );
  deployed.sort(
    (a, b) => (b.happenedAnyway?.length ?? 0) - (a.happenedAnyway?.length ?? 0) || a.id.localeCompare(b.id),
  );
  return {
    scope,
    team: opts.inventory?.team ?? null,
    controls,
    deployed,
    withoutRules,
    missing: { initialAccessTechnique: noEntry, credentialType: noCredential },
  };
}
