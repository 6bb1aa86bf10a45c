// The quarterly incident-response report as data: every analysis for one period (a quarter or a date
// range) plus playbook gaps and detection coverage, validated as one zod schema. Renderers for Markdown,
// HTML and JSON live in render-*.ts; this module only gathers.
import { z } from "zod";
import { actorProfiles } from "../analytics/actors.js";
import { controlsImpact } from "../analytics/controls.js";
import { techniqueCooccurrence } from "../analytics/cooccurrence.js";
import { factsFor, severityName } from "../analytics/facts.js";
import { techniqueFrequency, techniqueSeverityCounts } from "../analytics/frequency.js";
import { mitigationImpact } from "../analytics/mitigations.js";
import {
  ActorsResult,
  type AnalyticsFilter,
  type AnalyticsFilterInput,
  CooccurrenceResult,
  FrequencyResult,
  MitigationsResult,
  PathsResult,
  parseAnalyticsFilter,
  QUARTER_RE,
  quarterOf,
  quarterRange,
  shiftQuarter,
  TimingResult,
  TrendResult,
} from "../analytics/model.js";
import { tacticPaths } from "../analytics/paths.js";
import { type AnalyticsSource, tsValue } from "../analytics/query.js";
import { responseTiming } from "../analytics/timing.js";
import { techniqueTrend } from "../analytics/trend.js";
import type { Catalog } from "../catalog/catalog.js";
import { CompareResult, compareWithCommunity, DatasetInfo, datasetInfo, type SharedStats } from "../community/share.js";
import { type ControlRules, loadMitigationEffects } from "../controls/load.js";
import type { ControlsInventory } from "../controls/model.js";
import { TechtrailError } from "../core/errors.js";
import { CoverageResult, computeCoverage } from "../coverage/coverage.js";
import type { MonitoringProfile } from "../coverage/profile.js";
import { GapsResult, playbookGaps } from "../playbooks/gaps.js";
import type { Playbook } from "../playbooks/playbooks.js";
import {
  type ControlsSummary,
  controlsSummary,
  controlsUnavailable,
  ManagementSummary,
  managementSummary,
} from "./management.js";

/** The community comparison of a report, with the datasets it merged. */
export const CommunityComparison = CompareResult.extend({ datasets: z.array(DatasetInfo) });
export type CommunityComparison = z.infer<typeof CommunityComparison>;

export const ReportPeriod = z.object({
  label: z.string(),
  quarter: z.string().nullable(),
  from: z.string(),
  to: z.string(),
});
export type ReportPeriod = z.infer<typeof ReportPeriod>;

export const ReportData = z.object({
  format: z.literal("techtrail-report/1"),
  title: z.string(),
  generatedAt: z.string(),
  period: ReportPeriod,
  catalog: z.object({ name: z.string(), version: z.string() }),
  filter: z.record(z.string(), z.unknown()),
  /** True when no incident falls in the period: the report says so and has no analyses. */
  empty: z.boolean(),
  note: z.string().optional(),
  summary: z.object({
    incidents: z.number().int(),
    previousPeriodIncidents: z.number().int(),
    tagged: z.number().int(),
    bySeverity: z.record(z.string(), z.number().int()),
    demo: z.number().int(),
  }),
  frequency: FrequencyResult,
  trend: TrendResult,
  cooccurrence: CooccurrenceResult,
  paths: PathsResult,
  actors: ActorsResult,
  timing: TimingResult,
  mitigations: MitigationsResult,
  gaps: GapsResult.nullable(),
  coverage: CoverageResult.nullable(),
  /** The one-page summary that opens the report. */
  management: ManagementSummary,
  /** This team against shared community datasets (`--community FILE...`), null without them. */
  community: CommunityComparison.nullable().default(null),
});
export type ReportData = z.infer<typeof ReportData>;

export interface ReportOptions {
  /** `2026Q3`; default: `from`/`to` when given, else the latest quarter with incidents. */
  quarter?: string;
  from?: string;
  to?: string;
  /** Other filters (severity, account, actor, tag, demo); dates come from the period. */
  filter?: AnalyticsFilterInput;
  playbooks?: readonly Playbook[];
  profile?: MonitoringProfile;
  /** The controls analysis' inputs: effect rules (default the built-in catalog's) and the team's deployed controls. */
  controls?: { rules?: ControlRules; inventory?: ControlsInventory; source?: string };
  /** Shared community datasets (`techtrail stats share` files) to compare this team with. */
  community?: ReadonlyArray<{ file: string; stats: SharedStats }>;
  /** Incidents a technique needs on one side to be compared with the community (default 3). */
  communityMinCount?: number;
  /** Time stamp written into the report (default now); tests pin it. */
  now?: string;
  title?: string;
}

/** The period a report covers, from options or the latest incident. */
export async function reportPeriod(
  src: AnalyticsSource,
  opts: Pick<ReportOptions, "quarter" | "from" | "to" | "now">,
): Promise<ReportPeriod> {
  if (opts.quarter) {
    if (opts.from || opts.to)
      throw new TechtrailError("VALIDATION", "give either a quarter or --from/--to, not both", {
        problems: [{ field: "quarter", message: "conflicts with from/to" }],
      });
    const q = opts.quarter.trim().toUpperCase();
    if (!QUARTER_RE.test(q))
      throw new TechtrailError(
        "VALIDATION",
        `unknown quarter ${JSON.stringify(opts.quarter)}: expected a quarter like 2026Q3 (year, Q, 1-4)`,
        {
          problems: [{ field: "quarter", message: "expected YYYYQ1 to YYYYQ4" }],
        },
      );
    return { label: q, quarter: q, ...quarterRange(q) };
  }
  if (opts.from || opts.to) {
    const f = parseAnalyticsFilter({ ...(opts.from ? { from: opts.from } : {}), ...(opts.to ? { to: opts.to } : {}) });
    if (!f.from || !f.to)
      throw new TechtrailError("VALIDATION", "a date-range report needs both --from and --to", {
        problems: [{ field: f.from ? "to" : "from", message: "missing" }],
      });
    if (Date.parse(f.to) <= Date.parse(f.from))
      throw new TechtrailError("VALIDATION", `the period is empty: ${f.to} is not after ${f.from}`, {
        problems: [{ field: "to", message: "must be after from" }],
      });
    return { label: `${f.from.slice(0, 10)} – ${f.to.slice(0, 10)}`, quarter: null, from: f.from, to: f.to };
  }
  const rows = await src.db.query("SELECT MAX(incident_at) AS at FROM incidents");
  const latest = tsValue(rows[0]?.at) ?? opts.now ?? new Date().toISOString();
  const q = quarterOf(latest);
  return { label: q, quarter: q, ...quarterRange(q) };
}

/** The period a report compares with: the previous quarter, or the same length just before a date range. */
export function previousPeriod(period: ReportPeriod): { label: string; from: string; to: string } {
  if (period.quarter) {
    const q = shiftQuarter(period.quarter, -1);
    return { label: q, ...quarterRange(q) };
  }
  const span = Date.parse(period.to) - Date.parse(period.from);
  const from = new Date(Date.parse(period.from) - span).toISOString().replace(".000Z", "Z");
  return { label: `${from.slice(0, 10)} – ${period.from.slice(0, 10)}`, from, to: period.from };
}

/** Why a period has no incidents: the filter, a period still to come, or one before the register starts. */
async function emptyNote(
  src: AnalyticsSource,
  period: ReportPeriod,
  scopeNote: string | undefined,
  now: string | undefined,
): Promise<string> {
  const parts = [`No incidents in ${period.label}${scopeNote ? ` (${scopeNote})` : ""}.`];
  const [row] = await src.db.query("SELECT MIN(incident_at) AS first_at, MAX(incident_at) AS last_at FROM incidents");
  const first = tsValue(row?.first_at);
  const last = tsValue(row?.last_at);
  const today = now ?? new Date().toISOString();
  if (Date.parse(period.from) > Date.parse(today))
    parts.push(`${period.label} has not started yet (today is ${today.slice(0, 10)}).`);
  else if (first && last)
    parts.push(`The register holds incidents from ${first.slice(0, 10)} to ${last.slice(0, 10)}.`);
  return parts.join(" ");
}

/** The controls part of the summary: `stats controls`' counts, or why there are none. */
async function reportControls(
  src: AnalyticsSource,
  catalog: Catalog,
  f: AnalyticsFilter,
  empty: boolean,
  opts: ReportOptions["controls"] = {},
): Promise<ControlsSummary> {
  if (empty) return controlsUnavailable("No incidents in the period, so no control has anything to prevent.");
  const rules = opts.rules ?? loadMitigationEffects(catalog);
  if (rules.size === 0 && !opts.inventory?.controls.some((c) => c.effects.length))
    return controlsUnavailable(
      "The controls analysis needs control effects (which techniques a mitigation prevents, detects or limits: mitigation-effects.yaml beside the catalog, or effects in a controls file); this catalog has none, so the report cannot say which controls would have prevented incidents.",
    );
  const result = await controlsImpact(src, catalog, f, {
    rules,
    ...(opts.inventory ? { inventory: opts.inventory } : {}),
    ...(opts.source ? { inventorySource: opts.source } : {}),
  });
  return controlsSummary(result, opts.inventory ? (opts.source ?? "controls file") : null);
}

async function severityCounts(
  src: AnalyticsSource,
  f: AnalyticsFilter,
): Promise<{ by: Record<string, number>; demo: number }> {
  const { facts, sel } = await factsFor(src, f);
  const by: Record<string, number> = { P1: 0, P2: 0, P3: 0, P4: 0 };
  let demo = 0;
  for (const i of sel) {
    const s = severityName(facts.sev[i] as number);
    by[s] = (by[s] ?? 0) + 1;
    demo += facts.demo[i] ?? 0;
  }
  return { by, demo };
}

export async function buildReport(
  src: AnalyticsSource,
  catalog: Catalog,
  opts: ReportOptions = {},
): Promise<ReportData> {
  const period = await reportPeriod(src, opts);
  const base = parseAnalyticsFilter({ ...(opts.filter ?? {}) });
  const f: AnalyticsFilter = { ...base, from: period.from, to: period.to };
  const prevPeriod = previousPeriod(period);
  const prev: AnalyticsFilter = { ...base, from: prevPeriod.from, to: prevPeriod.to };
  const frequency = await techniqueFrequency(src, catalog, f);
  const { by, demo } = await severityCounts(src, f);
  const previous = await severityCounts(src, prev);
  const previousFrequency = await techniqueFrequency(src, catalog, prev);
  const trendQuarter = period.quarter ?? quarterOf(Date.parse(period.to) - 1);
  const trend = await techniqueTrend(src, catalog, base, { quarter: trendQuarter, quarters: 4 });
  const cooccurrence = await techniqueCooccurrence(src, catalog, f, { minCount: 1, limit: 500 });
  const paths = await tacticPaths(src, catalog, f, { limit: 10 });
  const actors = await actorProfiles(src, catalog, f);
  const timing = await responseTiming(src, catalog, f);
  const mitigations = await mitigationImpact(src, catalog, f, { limit: 15, incidentLimit: 5 });
  const empty = frequency.scope.empty;
  const gaps =
    opts.playbooks && !empty
      ? await playbookGaps(src, catalog, opts.playbooks, f, {
          asOf: (opts.now ?? new Date().toISOString()).slice(0, 10),
        })
      : null;
  let coverage: CoverageResult | null = null;
  if (opts.profile && !empty) {
    const freqMap = new Map(frequency.techniques.map((t) => [t.id, t.incidents]));
    coverage = await computeCoverage(catalog, opts.profile, { frequency: freqMap, limit: 10 });
    // Keep the report small: only techniques seen in the period (the scores cover all of them).
    coverage.techniques = coverage.techniques.filter((t) => t.incidents > 0);
  }
  const management = managementSummary({
    current: {
      label: period.label,
      from: period.from,
      to: period.to,
      observedTo: opts.now ?? new Date().toISOString(),
      incidents: frequency.scope.incidents,
      bySeverity: by,
      techniques: new Map(frequency.techniques.map((t) => [t.id, t.incidents])),
    },
    previous: {
      ...prevPeriod,
      incidents: previousFrequency.scope.incidents,
      bySeverity: previous.by,
      techniques: new Map(previousFrequency.techniques.map((t) => [t.id, t.incidents])),
    },
    names: new Map(
      [...frequency.techniques, ...previousFrequency.techniques].map((t) => [t.id, t.name] as [string, string | null]),
    ),
    severity: new Map([...(await techniqueSeverityCounts(src, f))].map(([id, c]) => [id, c.bySeverity])),
    timing,
    // A quarter's new techniques come from the whole history (trend); a date range's from the period before.
    newTechniques: period.quarter
      ? trend.newTechniques
      : frequency.techniques.filter((t) => !previousFrequency.techniques.some((p) => p.id === t.id)).map((t) => t.id),
    gaps,
    coverage,
    controls: await reportControls(src, catalog, f, empty, opts.controls),
  });
  const report: ReportData = {
    format: "techtrail-report/1",
    title: opts.title ?? `Incident response report ${period.label}`,
    generatedAt: opts.now ?? new Date().toISOString(),
    period,
    catalog: { name: catalog.meta.name, version: catalog.meta.version },
    filter: Object.fromEntries(Object.entries(base).filter(([, v]) => v !== undefined)),
    empty,
    summary: {
      incidents: frequency.scope.incidents,
      previousPeriodIncidents: previousFrequency.scope.incidents,
      tagged: frequency.tagged,
      bySeverity: by,
      demo,
    },
    frequency,
    trend,
    cooccurrence,
    paths,
    actors,
    timing,
    mitigations,
    gaps,
    coverage,
    management,
    // The files' own quarters are compared (a dataset holds one quarter), with the report's other filters.
    community: opts.community?.length
      ? {
          ...(await compareWithCommunity(
            src,
            catalog,
            opts.community.map((c) => c.stats),
            { base, ...(opts.communityMinCount ? { minCount: opts.communityMinCount } : {}) },
          )),
          datasets: opts.community.map((c) => datasetInfo(c.file, c.stats)),
        }
      : null,
  };
  if (empty) report.note = await emptyNote(src, period, frequency.scope.note, opts.now);
  return ReportData.parse(report);
}
