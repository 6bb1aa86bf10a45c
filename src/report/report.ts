// The quarterly incident-response report as data: every analysis for one period (a quarter or a date
// range) plus playbook gaps and detection coverage, validated as one zod schema. Renderers for Markdown,
// HTML and JSON live in render-*.ts; this module only gathers.
import { z } from "zod";
import { actorProfiles } from "../analytics/actors.js";
import { techniqueCooccurrence } from "../analytics/cooccurrence.js";
import { factsFor, severityName } from "../analytics/facts.js";
import { techniqueFrequency } from "../analytics/frequency.js";
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
  quarterOf,
  quarterRange,
  TimingResult,
  TrendResult,
} from "../analytics/model.js";
import { tacticPaths } from "../analytics/paths.js";
import { type AnalyticsSource, tsValue } from "../analytics/query.js";
import { responseTiming } from "../analytics/timing.js";
import { techniqueTrend } from "../analytics/trend.js";
import type { Catalog } from "../catalog/catalog.js";
import { TechtrailError } from "../core/errors.js";
import { CoverageResult, computeCoverage } from "../coverage/coverage.js";
import type { MonitoringProfile } from "../coverage/profile.js";
import { GapsResult, playbookGaps } from "../playbooks/gaps.js";
import type { Playbook } from "../playbooks/playbooks.js";

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
  const span = Date.parse(period.to) - Date.parse(period.from);
  const prev: AnalyticsFilter = {
    ...base,
    from: new Date(Date.parse(period.from) - span).toISOString(),
    to: period.from,
  };
  const frequency = await techniqueFrequency(src, catalog, f);
  const { by, demo } = await severityCounts(src, f);
  const previous = await severityCounts(src, prev);
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
      previousPeriodIncidents: Object.values(previous.by).reduce((s, n) => s + n, 0),
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
  };
  if (empty)
    report.note = `No incidents in ${period.label}${frequency.scope.note ? ` (${frequency.scope.note})` : ""}.`;
  return ReportData.parse(report);
}
