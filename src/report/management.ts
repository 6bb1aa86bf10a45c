// The one-page management summary that opens the quarterly report: what changed since the previous period
// (with an exact test saying whether each change is more than noise), the three techniques that matter
// most and why, the controls that would have prevented the most incidents, the playbook and detection
// gaps, and the significance table behind every "rose" or "fell". A pure function of analyses the report
// already gathered, so it is tested without a store.
import { z } from "zod";
import type { ControlsResult } from "../analytics/controls.js";
import { SEVERITY_WEIGHT, type TimingResult } from "../analytics/model.js";
import { comparePoissonCounts, formatP, formatPValue, holmAdjust, RateTest } from "../analytics/significance.js";
import { formatDuration } from "../analytics/timing.js";
import type { CoverageResult } from "../coverage/coverage.js";
import type { GapsResult } from "../playbooks/gaps.js";

/** Significance level of every test in the summary. */
export const ALPHA = 0.05;
/** Fewest incidents (both periods together) before a technique gets its own test: below that nothing can be shown. */
export const MIN_TEST_EVENTS = 5;

export const ChangeTest = RateTest.extend({
  label: z.string(),
  /** Technique ID, or null for a count over all incidents. */
  technique: z.string().nullable(),
  /** Holm-adjusted over the technique tests (same as pValue for the totals). */
  adjustedP: z.number().min(0).max(1),
  significant: z.boolean(),
  direction: z.enum(["up", "down", "same"]),
  /** Plain-language reading of the test. */
  verdict: z.string(),
});
export type ChangeTest = z.infer<typeof ChangeTest>;

export const RankedTechnique = z.object({
  rank: z.number().int().positive(),
  id: z.string(),
  name: z.string().nullable(),
  incidents: z.number().int(),
  share: z.number(),
  /** P1 and P2 incidents with the technique. */
  highSeverity: z.number().int(),
  previous: z.number().int(),
  /** The technique's change test, when it had enough incidents to be tested. */
  trend: ChangeTest.nullable(),
  /** Median seconds from detection to containment for incidents with the technique. */
  containMedian: z.number().nullable(),
  /** detected: a rule or detector finding catches it; visible: logged but nothing fires; not-visible: not even logged. */
  detection: z.enum(["detected", "visible", "not-visible", "unknown"]),
  playbook: z.enum(["no-playbook", "draft", "stale", "ok", "unknown"]),
  factors: z.object({
    /** Σ severity weight over its incidents (frequency × severity). */
    weighted: z.number(),
    trend: z.number(),
    containment: z.number(),
    detection: z.number(),
  }),
  score: z.number(),
  /** Why it ranks where it does, one plain sentence per factor. */
  reasons: z.array(z.string()),
});
export type RankedTechnique = z.infer<typeof RankedTechnique>;

export const ControlLine = z.object({
  id: z.string(),
  name: z.string(),
  /** Incidents the control was weighed against (for a deployed control: those before it was in place). */
  incidents: z.number().int().nonnegative(),
  prevented: z.number().int().nonnegative(),
  shortened: z.number().int().nonnegative(),
  limited: z.number().int().nonnegative(),
  /** A fact the rule needs (initial access, credential type, times) is not recorded. */
  undetermined: z.number().int().nonnegative(),
  untouched: z.number().int().nonnegative(),
  /** Median exposure saved over the shortened incidents with a known saving (seconds). */
  savedMedian: z.number().nullable(),
  /** Keys of the incidents it would have prevented (first few). */
  examples: z.array(z.string()),
});
export type ControlLine = z.infer<typeof ControlLine>;

export const DeployedLine = z.object({
  id: z.string(),
  name: z.string(),
  since: z.string(),
  /** Incidents after deployment where the control should have acted: a finding of their own. */
  happenedAnyway: z.number().int().nonnegative(),
  examples: z.array(z.string()),
});
export type DeployedLine = z.infer<typeof DeployedLine>;

export const ControlsSummary = z.object({
  /** False when the controls analysis could not run; `note` says what it needs. */
  available: z.boolean(),
  note: z.string(),
  /** Controls not deployed that would have done something, most prevented first (as `stats controls`). */
  controls: z.array(ControlLine),
  /** Deployed controls with incidents that happened anyway. */
  deployed: z.array(DeployedLine),
});
export type ControlsSummary = z.infer<typeof ControlsSummary>;

export const GapLine = z.object({
  id: z.string(),
  name: z.string().nullable(),
  incidents: z.number().int(),
  detail: z.string(),
});
export type GapLine = z.infer<typeof GapLine>;

export const ManagementSummary = z.object({
  previousPeriod: z.object({ label: z.string(), from: z.string(), to: z.string(), incidents: z.number().int() }),
  /** What changed since the previous period, one plain sentence each. */
  changed: z.array(z.string()),
  topTechniques: z.array(RankedTechnique),
  /** How the technique score is computed, in words. */
  ranking: z.string(),
  controls: ControlsSummary,
  gaps: z.object({ playbooks: z.array(GapLine), detection: z.array(GapLine), response: z.array(GapLine) }),
  significance: z.object({
    method: z.string(),
    alpha: z.number(),
    tested: z.number().int(),
    tests: z.array(ChangeTest),
  }),
});
export type ManagementSummary = z.infer<typeof ManagementSummary>;

export interface PeriodCounts {
  label: string;
  from: string;
  to: string;
  /** When the period is still running: the time up to which it has been observed (rates are per day then). */
  observedTo?: string;
  incidents: number;
  bySeverity: Record<string, number>;
  /** Incidents per technique. */
  techniques: ReadonlyMap<string, number>;
}

export interface ManagementInput {
  current: PeriodCounts;
  previous: PeriodCounts;
  /** Catalog names of the techniques seen. */
  names: ReadonlyMap<string, string | null>;
  /** Per technique in the current period: incidents per severity. */
  severity: ReadonlyMap<string, Record<string, number>>;
  timing: TimingResult;
  /** Techniques never seen before the current period (under the same filters). */
  newTechniques: readonly string[];
  gaps: GapsResult | null;
  coverage: CoverageResult | null;
  /** The controls analysis (controlsSummary), or why it is not there. */
  controls: ControlsSummary;
}

const days = (from: string, to: string) => (Date.parse(to) - Date.parse(from)) / 86_400_000;
const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));
const round2 = (x: number) => Math.round(x * 100) / 100;
const high = (s: Record<string, number> | undefined) => (s?.P1 ?? 0) + (s?.P2 ?? 0);

function direction(t: RateTest, exp: { current: number; previous: number }): ChangeTest["direction"] {
  const now = t.current / exp.current;
  const before = t.previous / exp.previous;
  return now > before ? "up" : now < before ? "down" : "same";
}

/**
 * The plain-language reading of one test; `corrected` is the number of tests a Holm-adjusted p-value was
 * corrected for (then both p-values are named).
 */
export function verdictOf(
  t: Pick<ChangeTest, "current" | "previous" | "direction" | "pValue" | "adjustedP" | "significant">,
  corrected = 1,
): string {
  const counts = `${t.previous} → ${t.current}`;
  const p =
    corrected > 1
      ? `${formatP(t.pValue)}; ${formatPValue(t.adjustedP)} corrected for ${corrected} tests`
      : formatP(t.pValue);
  if (t.current + t.previous < MIN_TEST_EVENTS) return `too few incidents to tell (${counts})`;
  if (t.significant)
    return `more than noise: a real ${t.direction === "up" ? "increase" : "decrease"} (${counts}, ${p})`;
  if (t.direction === "same") return `no change (${counts})`;
  return `within noise: a change this size happens by chance (${counts}, ${p})`;
}

function changeTest(
  label: string,
  technique: string | null,
  current: number,
  previous: number,
  exp: { current: number; previous: number },
): ChangeTest {
  const t = comparePoissonCounts(current, previous, exp);
  const base = { ...t, label, technique, adjustedP: t.pValue, direction: direction(t, exp) };
  const significant = base.pValue < ALPHA && current + previous >= MIN_TEST_EVENTS;
  return { ...base, significant, verdict: verdictOf({ ...base, significant }) };
}

/** Technique tests with Holm's correction across all of them. */
function techniqueTests(input: ManagementInput, exp: { current: number; previous: number }): ChangeTest[] {
  const ids = new Set([...input.current.techniques.keys(), ...input.previous.techniques.keys()]);
  const raw: ChangeTest[] = [];
  for (const id of ids) {
    const now = input.current.techniques.get(id) ?? 0;
    const before = input.previous.techniques.get(id) ?? 0;
    if (now + before < MIN_TEST_EVENTS) continue;
    const name = input.names.get(id);
    raw.push(changeTest(name ? `${id} ${name}` : id, id, now, before, exp));
  }
  const adj = holmAdjust(raw.map((t) => t.pValue));
  return raw
    .map((t, i) => {
      const adjustedP = adj[i] as number;
      const significant = adjustedP < ALPHA;
      return { ...t, adjustedP, significant, verdict: verdictOf({ ...t, adjustedP, significant }, raw.length) };
    })
    .sort((a, b) => a.pValue - b.pValue || b.current + b.previous - (a.current + a.previous));
}

const DETECTION_FACTOR = { detected: 1, visible: 1.5, "not-visible": 2, unknown: 1 } as const;
const TREND_FACTOR = { up: 1.5, down: 0.75, same: 1 } as const;

export const RANKING_TEXT =
  "Score = severity-weighted incidents (P1 10, P2 5, P3 2, P4 1: frequency × severity) × trend (1.5 for a significant rise, 0.75 for a significant fall, else 1) × time to contain (the technique's median over the overall median, held to 0.5–2; 1 with fewer than 3 timed incidents) × detection gap (2 when the monitoring cannot see it, 1.5 when it sees but nothing detects it, else 1).";

function rankTechniques(input: ManagementInput, tests: ReadonlyMap<string, ChangeTest>): RankedTechnique[] {
  const overallContain = input.timing.overall.timeToContain.median;
  const timing = new Map(input.timing.byTechnique.map((t) => [t.key, t]));
  const cover = new Map((input.coverage?.techniques ?? []).map((t) => [t.id, t]));
  const playbook = new Map((input.gaps?.techniques ?? []).map((t) => [t.id, t]));
  const rows: Omit<RankedTechnique, "rank">[] = [];
  for (const [id, incidents] of input.current.techniques) {
    const sev = input.severity.get(id) ?? {};
    const weighted = Object.entries(sev).reduce(
      (s, [k, n]) => s + n * (SEVERITY_WEIGHT[k as keyof typeof SEVERITY_WEIGHT] ?? 1),
      0,
    );
    const test = tests.get(id) ?? null;
    const trend = test?.significant ? TREND_FACTOR[test.direction] : 1;
    const tc = timing.get(id)?.timeToContain;
    const containMedian = tc?.median ?? null;
    const containment =
      tc && tc.samples >= 3 && containMedian !== null && overallContain
        ? round2(clamp(containMedian / overallContain, 0.5, 2))
        : 1;
    const cv = cover.get(id);
    const detection: RankedTechnique["detection"] = !input.coverage
      ? "unknown"
      : !cv?.visible
        ? "not-visible"
        : cv.detected
          ? "detected"
          : "visible";
    const pb = playbook.get(id)?.status ?? "unknown";
    const score = round2(weighted * trend * containment * DETECTION_FACTOR[detection]);
    const reasons = [
      `${incidents} incident(s), ${Math.round((incidents / Math.max(1, input.current.incidents)) * 100)}% of the period; ${high(sev)} of them P1/P2.`,
    ];
    if (test) reasons.push(`Trend: ${test.verdict}.`);
    else reasons.push(`Trend: too few incidents to tell (${input.previous.techniques.get(id) ?? 0} → ${incidents}).`);
    if (containMedian !== null && overallContain)
      reasons.push(
        `Contained in ${formatDuration(containMedian)} (median) against ${formatDuration(overallContain)} overall${containment === 1 && (tc?.samples ?? 0) < 3 ? ", too few timed incidents to weigh" : ""}.`,
      );
    if (detection === "not-visible") reasons.push("Detection gap: the monitoring profile does not even log it.");
    else if (detection === "visible")
      reasons.push("Detection gap: logged, but no rule or detector finding catches it.");
    else if (detection === "detected") reasons.push("Detected by deployed rules or detector findings.");
    if (pb === "no-playbook") reasons.push("No playbook covers it.");
    else if (pb === "draft" || pb === "stale") reasons.push(`Its playbook is ${pb}.`);
    rows.push({
      id,
      name: input.names.get(id) ?? null,
      incidents,
      share: incidents / Math.max(1, input.current.incidents),
      highSeverity: high(sev),
      previous: input.previous.techniques.get(id) ?? 0,
      trend: test,
      containMedian,
      detection,
      playbook: pb,
      factors: { weighted, trend, containment, detection: DETECTION_FACTOR[detection] },
      score,
      reasons,
    });
  }
  rows.sort((a, b) => b.score - a.score || b.incidents - a.incidents || a.id.localeCompare(b.id));
  return rows.slice(0, 3).map((r, i) => ({ rank: i + 1, ...r }));
}

function gapLines(input: ManagementInput): ManagementSummary["gaps"] {
  const playbooks = (input.gaps?.techniques ?? [])
    .filter((t) => t.status !== "ok")
    .slice(0, 3)
    .map((t) => ({ id: t.id, name: t.name, incidents: t.incidents, detail: t.reason }));
  const detection = [
    ...(input.coverage?.unseen ?? []).map((t) => ({ ...t, detail: "not logged by the monitoring profile" })),
    ...(input.coverage?.undetected ?? []).map((t) => ({ ...t, detail: "logged, but no rule or detector finding" })),
  ]
    .sort((a, b) => b.incidents - a.incidents)
    .slice(0, 3)
    .map((t) => ({ id: t.id, name: t.name, incidents: t.incidents, detail: t.detail }));
  const response = (input.gaps?.responseGaps ?? []).slice(0, 3).map((g) => ({
    id: g.id,
    name: g.name,
    incidents: g.samples,
    detail: `median time to ${g.kind} ${formatDuration(g.median)} (limit ${formatDuration(g.thresholdSeconds)})${g.playbooks.length ? "" : ", no playbook"}`,
  }));
  return { playbooks, detection, response };
}

export function managementSummary(input: ManagementInput): ManagementSummary {
  const { current: cur, previous: prev } = input;
  // A period still running is compared per day observed, or every quarter in progress would look like a fall.
  const running =
    cur.observedTo !== undefined &&
    Date.parse(cur.observedTo) > Date.parse(cur.from) &&
    Date.parse(cur.observedTo) < Date.parse(cur.to);
  const observedTo = running ? (cur.observedTo as string) : cur.to;
  const exp = {
    current: days(cur.from, observedTo),
    previous: days(prev.from, prev.to),
  };
  const total = changeTest("All incidents", null, cur.incidents, prev.incidents, exp);
  const severe = changeTest("P1 and P2 incidents", null, high(cur.bySeverity), high(prev.bySeverity), exp);
  const techTests = techniqueTests(input, exp);
  const byId = new Map(techTests.map((t) => [t.technique as string, t]));

  const changed: string[] = [];
  if (running)
    changed.push(
      `${cur.label} is still running (${Math.round(exp.current)} of ${Math.round(days(cur.from, cur.to))} days so far): counts are compared per day.`,
    );
  changed.push(
    `${cur.incidents} incident(s) in ${cur.label} against ${prev.incidents} in ${prev.label}: ${total.verdict}.`,
    `P1/P2 incidents ${high(prev.bySeverity)} → ${high(cur.bySeverity)}: ${severe.verdict}.`,
  );
  const movers = techTests.filter((t) => t.significant);
  changed.push(
    movers.length
      ? `Techniques that changed by more than chance explains (${techTests.length} tested, Holm-corrected): ${movers
          .slice(0, 4)
          .map(
            (t) =>
              `${t.label} ${t.direction === "up" ? "rose" : "fell"} ${t.previous} → ${t.current} (${formatP(t.adjustedP)})`,
          )
          .join("; ")}.`
      : techTests.length
        ? `No technique changed by more than chance explains (${techTests.length} tested with at least ${MIN_TEST_EVENTS} incidents in the two periods, Holm-corrected).`
        : `Too few incidents per technique to test any technique's change (each needs at least ${MIN_TEST_EVENTS} in the two periods).`,
  );
  if (input.newTechniques.length)
    changed.push(
      `New this period: ${input.newTechniques
        .slice(0, 5)
        .map((id) => `${id} ${input.names.get(id) ?? ""}`.trim())
        .join("; ")}${input.newTechniques.length > 5 ? ` and ${input.newTechniques.length - 5} more` : ""}.`,
    );
  const c = input.timing.overall;
  if (c.timeToContain.median !== null || c.timeToDetect.median !== null)
    changed.push(
      `Median time to detect ${formatDuration(c.timeToDetect.median)}, to contain ${formatDuration(c.timeToContain.median)}.`,
    );

  return ManagementSummary.parse({
    previousPeriod: { label: prev.label, from: prev.from, to: prev.to, incidents: prev.incidents },
    changed,
    topTechniques: rankTechniques(input, byId),
    ranking: RANKING_TEXT,
    controls: input.controls,
    gaps: gapLines(input),
    significance: {
      method: `Exact conditional test of two Poisson rates (the current count out of both periods' counts is binomial when the rate did not change; period lengths ${Math.round(exp.current)} and ${Math.round(exp.previous)} days). Technique rows are Holm-corrected for the ${techTests.length} techniques tested; significant below ${ALPHA}.`,
      alpha: ALPHA,
      tested: techTests.length,
      tests: [total, severe, ...techTests.slice(0, 4)],
    },
  });
}

/** What the summary says when there is no controls analysis: no invented counts, and what it would need. */
export function controlsUnavailable(why: string): ControlsSummary {
  return { available: false, note: why, controls: [], deployed: [] };
}

/**
 * The summary's view of `controlsImpact` (the numbers of `techtrail stats controls`): controls that would have
 * done something, how many incidents lacked the facts its rules need, and deployed controls' misses.
 */
export function controlsSummary(r: ControlsResult, source: string | null): ControlsSummary {
  const acting = r.controls.filter(
    (c) => c.counts.prevented + c.counts.shortened + c.counts.limited + c.counts.undetermined > 0,
  );
  const controls = acting.map((c) => ({
    id: c.id,
    name: c.name,
    incidents: c.counts.incidents,
    prevented: c.counts.prevented,
    shortened: c.counts.shortened,
    limited: c.counts.limited,
    undetermined: c.counts.undetermined,
    untouched: c.counts.untouched,
    savedMedian: c.counts.savedSeconds.median,
    examples: c.incidents
      .filter((d) => d.outcome === "prevented")
      .slice(0, 5)
      .map((d) => d.key),
  }));
  const deployed = r.deployed
    .filter((c) => (c.happenedAnyway?.length ?? 0) > 0)
    .map((c) => ({
      id: c.id,
      name: c.name,
      since: c.since ?? "",
      happenedAnyway: c.happenedAnyway?.length ?? 0,
      examples: (c.happenedAnyway ?? []).slice(0, 5).map((d) => d.key),
    }));
  const n = r.scope.incidents;
  const parts = [
    `Counterfactual counts over the ${n} incident(s) of the period, from the catalog's control effect rules${source ? ` and ${r.team ? `${r.team}'s ` : ""}controls file ${source}` : ""} (each count is explained incident by incident by \`techtrail stats controls\`).`,
  ];
  if (!source) parts.push("No deployed-controls file was given (--controls), so every control counts as not deployed.");
  const { initialAccessTechnique: noEntry, credentialType: noCred } = r.missing;
  if (noEntry || noCred)
    parts.push(
      `${noEntry} incident(s) lack the initial-access technique and ${noCred} the credential type that "prevents" rules need; a control cannot be credited with those, so prevention counts are a lower bound.`,
    );
  if (!controls.some((c) => c.prevented > 0))
    parts.push("No control would have prevented an incident of the period outright, on the facts recorded.");
  return { available: true, note: parts.join(" "), controls, deployed };
}
