// Analytics routes (viewer): technique frequency, quarterly trend, co-occurrence, tactic paths, actor profiles
// and matching, response timing, mitigation impact (src/analytics); playbooks and playbook gaps
// (src/playbooks); detection coverage against a built-in monitoring profile (src/coverage). All read the
// incident store; every query takes the same filter (period or quarter, severity, account, actor, tag, demo).
import { createRoute } from "@hono/zod-openapi";
import { z } from "zod";
import {
  actorProfiles,
  ControlsResult,
  controlsImpact,
  matchIncidentToActors,
  mitigationImpact,
  responseTiming,
  tacticPaths,
  techniqueCooccurrence,
  techniqueFrequency,
  techniqueTrend,
} from "../../analytics/index.js";
import {
  ActorMatch,
  ActorsResult,
  type AnalyticsFilterInput,
  CooccurrenceResult,
  FrequencyResult,
  MitigationsResult,
  PathsResult,
  quarterRange,
  TimingResult,
  TrendResult,
} from "../../analytics/model.js";
import { readSharedStatsDir } from "../../community/share.js";
import { TechtrailError } from "../../core/errors.js";
import { CoverageResult, coverageFromStore } from "../../coverage/coverage.js";
import { builtinProfileNames, DEFAULT_PROFILE, loadProfile } from "../../coverage/profile.js";
import { GapsResult, playbookGaps } from "../../playbooks/gaps.js";
import { loadPlaybooks, Playbook, type PlaybookRegistry, requirePlaybook } from "../../playbooks/playbooks.js";
import { renderReport } from "../../report/render.js";
import { buildReport, ReportData, type ReportOptions } from "../../report/report.js";
import type { ServerDeps } from "../context.js";
import { DemoParam, demoFilter, json } from "../http.js";
import { access, errorResponses, jsonContent, routeApp } from "../openapi.js";
import { inventoryInEffect } from "./controls.js";

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
/** How long a coverage result is reused (its incident weights may be this much out of date). */
export const COVERAGE_TTL_MS = 15_000;
const count = (max: number) => z.coerce.number().int().min(1).max(max);

/** Filter query parameters shared by every analytics endpoint. */
export const AnalyticsQuery = z.strictObject({
  from: z.string().min(1).optional(),
  /** A bare date includes the whole day. */
  to: z.string().min(1).optional(),
  /** One quarter (2026Q3) instead of from/to. */
  quarter: z.string().min(1).optional(),
  severity: z.string().min(1).optional(),
  account: z.string().min(1).optional(),
  actor: z.string().min(1).optional(),
  tag: z.string().min(1).optional(),
  demo: DemoParam,
  limit: count(500).optional(),
  quarters: count(40).optional(),
  minCount: count(100_000).optional(),
  minShare: z.coerce.number().min(0).max(1).optional(),
  sort: z.enum(["count", "lift"]).optional(),
  staleMonths: count(120).optional(),
  profile: z.string().min(1).optional(),
});
type AnalyticsQuery = z.output<typeof AnalyticsQuery>;

export const ReportQuery = AnalyticsQuery.omit({
  limit: true,
  quarters: true,
  minCount: true,
  minShare: true,
  sort: true,
  staleMonths: true,
}).extend({
  format: z.enum(["json", "md", "html"]).default("json"),
  /** Add the team-vs-community section over every valid dataset of the service's community folder. */
  community: z
    .enum(["0", "1"])
    .transform((x) => x === "1")
    .optional(),
  download: z
    .enum(["0", "1"])
    .transform((x) => x === "1")
    .optional(),
  /**
   * The team's deployed controls in the controls analysis (default 1): the service's --controls file, else the
   * controls.yaml kept in the register (GET/PUT /api/controls). 0 weighs every control as not deployed.
   */
  controls: z
    .enum(["0", "1"])
    .transform((x) => x === "1")
    .optional(),
});

/** The analytics filter of a query (the library validates the values and names bad fields). */
export function analyticsFilter(
  q: Omit<Partial<AnalyticsQuery>, "demo"> & Pick<AnalyticsQuery, "demo">,
): AnalyticsFilterInput {
  const f: AnalyticsFilterInput = {};
  if (q.quarter) {
    if (q.from || q.to)
      throw new TechtrailError("VALIDATION", "use either quarter or from/to, not both", {
        problems: [{ field: "quarter", message: "conflicts with from/to" }],
      });
    Object.assign(f, quarterRange(q.quarter));
  }
  if (q.from) f.from = q.from;
  if (q.to) {
    const to = q.to.trim();
    const ms = Date.parse(`${to}T00:00:00Z`);
    f.to = DATE_ONLY.test(to) && !Number.isNaN(ms) ? new Date(ms + 86_400_000).toISOString() : to;
  }
  if (q.severity)
    f.severity = q.severity.split(",").map((s) => s.trim().toUpperCase()) as AnalyticsFilterInput["severity"];
  if (q.account) f.account = q.account;
  if (q.actor) f.actor = q.actor;
  if (q.tag) f.tag = q.tag;
  const demo = demoFilter(q.demo);
  if (demo !== undefined) f.demo = demo;
  return f;
}

const tags = ["analytics"];
const viewer = access("viewer");
const errors = errorResponses({ role: "viewer" });
const errorsById = errorResponses({ role: "viewer", path: "/{id}" });

/** A GET /api/stats/... route: the shared analytics query and a result schema. */
const stats = <P extends string, T extends z.ZodType>(path: P, summary: string, result: T) =>
  createRoute({
    method: "get",
    path,
    summary,
    tags,
    ...viewer,
    request: { query: AnalyticsQuery },
    responses: { 200: jsonContent(result), ...errors },
  });

const frequency = stats("/stats/frequency", "Incidents per technique and tactic with their share", FrequencyResult);
const trend = stats(
  "/stats/trend",
  "Quarterly technique trend (quarter = current quarter, quarters = how many)",
  TrendResult,
);
const cooccurrence = stats(
  "/stats/cooccurrence",
  "Technique pairs seen together (minCount, limit, sort=count|lift)",
  CooccurrenceResult,
);
const paths = stats("/stats/paths", "Tactic paths and transitions", PathsResult);
const actors = stats("/stats/actors", "Threat actor technique profiles", ActorsResult);
const actorMatch = createRoute({
  method: "get",
  path: "/stats/actors/match/{key}",
  summary: "Actors whose profile resembles an incident",
  tags,
  ...viewer,
  request: { params: z.object({ key: z.string() }), query: AnalyticsQuery },
  responses: { 200: jsonContent(ActorMatch), ...errorsById },
});
const timing = stats("/stats/timing", "Time to detect and contain, by detection source", TimingResult);
const mitigations = stats(
  "/stats/mitigations",
  "Mitigations ranked by the incidents they would have addressed",
  MitigationsResult,
);
const controls = createRoute({
  method: "get",
  path: "/stats/controls",
  summary:
    "What each control not yet deployed would have prevented, shortened, limited or not touched, and what deployed controls missed (the server's --controls file, else the register's controls.yaml)",
  tags,
  ...viewer,
  request: {
    query: AnalyticsQuery.extend({
      /** Only these controls (comma-separated mitigation IDs). */
      control: z.string().min(1).optional(),
    }),
  },
  responses: { 200: jsonContent(ControlsResult), ...errors },
});
const playbookList = createRoute({
  method: "get",
  path: "/playbooks",
  summary: "Response playbooks",
  tags,
  ...viewer,
  responses: { 200: jsonContent(z.object({ items: z.array(Playbook) })), ...errors },
});
const gaps = stats("/playbooks/gaps", "Techniques seen in incidents without an active, reviewed playbook", GapsResult);
const playbook = createRoute({
  method: "get",
  path: "/playbooks/{id}",
  summary: "One playbook",
  tags,
  ...viewer,
  request: { params: z.object({ id: z.string() }) },
  responses: { 200: jsonContent(Playbook), ...errorsById },
});
const report = createRoute({
  method: "get",
  path: "/reports",
  summary:
    "Quarterly (or from/to) report as JSON, Markdown or self-contained HTML; the controls section weighs the team's deployed controls (GET /api/controls) unless controls=0",
  tags,
  ...viewer,
  request: { query: ReportQuery },
  responses: {
    200: {
      description: "The report (format=json, md or html)",
      content: {
        "application/json": { schema: ReportData },
        "text/markdown": { schema: z.string() },
        "text/html": { schema: z.string() },
      },
    },
    ...errorResponses({ role: "viewer", path: "/{profile}" }),
  },
});
const profiles = createRoute({
  method: "get",
  path: "/coverage/profiles",
  summary: "Built-in monitoring profile names and the one used when a request names none",
  tags,
  ...viewer,
  responses: { 200: jsonContent(z.object({ items: z.array(z.string()), default: z.string() })), ...errors },
});
const coverage = stats(
  "/coverage",
  `Detection coverage of a built-in monitoring profile (default: ${DEFAULT_PROFILE}, as the CLI), weighted by incidents`,
  CoverageResult,
);

export function analyticsRoutes(deps: ServerDeps) {
  const src = deps.store;
  const cat = deps.catalog;
  let registry: PlaybookRegistry | undefined;
  const playbooks = () => {
    registry ??= loadPlaybooks(cat);
    return registry;
  };
  const opt = <T extends object>(o: T): T =>
    Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

  // Coverage compiles every rule of the profile (about a second), so results are shared for a short while:
  // the rule side cannot change while the server runs; the incident weights may lag by COVERAGE_TTL_MS.
  const coverageCache = new Map<string, { at: number; result: Promise<CoverageResult> }>();

  return routeApp()
    .openapi(frequency, async (c) => {
      const v = c.req.valid("query");
      const res = await techniqueFrequency(src, cat, analyticsFilter(v));
      return json(c, v.limit ? { ...res, techniques: res.techniques.slice(0, v.limit) } : res);
    })
    .openapi(trend, async (c) => {
      const v = c.req.valid("query");
      // Here `quarter` names the current quarter of the trend rather than a filter period.
      const f = analyticsFilter({ ...v, quarter: undefined });
      return json(c, await techniqueTrend(src, cat, f, opt({ quarters: v.quarters, quarter: v.quarter })));
    })
    .openapi(cooccurrence, async (c) => {
      const v = c.req.valid("query");
      return json(
        c,
        await techniqueCooccurrence(
          src,
          cat,
          analyticsFilter(v),
          opt({ minCount: v.minCount, limit: v.limit, sort: v.sort }),
        ),
      );
    })
    .openapi(paths, async (c) => {
      const v = c.req.valid("query");
      return json(c, await tacticPaths(src, cat, analyticsFilter(v), opt({ limit: v.limit })));
    })
    .openapi(actors, async (c) => {
      const v = c.req.valid("query");
      return json(c, await actorProfiles(src, cat, analyticsFilter(v), opt({ minShare: v.minShare })));
    })
    .openapi(actorMatch, async (c) => {
      const v = c.req.valid("query");
      return json(
        c,
        await matchIncidentToActors(
          src,
          cat,
          c.req.valid("param").key,
          analyticsFilter(v),
          opt({ minShare: v.minShare, limit: v.limit }),
        ),
      );
    })
    .openapi(timing, async (c) => json(c, await responseTiming(src, cat, analyticsFilter(c.req.valid("query")))))
    .openapi(mitigations, async (c) => {
      const v = c.req.valid("query");
      return json(c, await mitigationImpact(src, cat, analyticsFilter(v), opt({ limit: v.limit })));
    })
    .openapi(controls, async (c) => {
      const v = c.req.valid("query");
      const only = v.control
        ?.split(",")
        .map((x) => x.trim().toUpperCase())
        .filter(Boolean);
      for (const id of only ?? [])
        if (!cat.mitigation(id))
          throw new TechtrailError("NOT_FOUND", `unknown control ${id} (controls are catalog mitigation IDs)`, {
            problems: [{ field: "control", message: `unknown control ${id}` }],
          });
      const team = await inventoryInEffect(deps);
      return json(
        c,
        await controlsImpact(src, cat, analyticsFilter(v), {
          ...(team ? { inventory: team.inventory, inventorySource: team.source } : {}),
          ...(only ? { only } : {}),
        }),
      );
    })
    .openapi(playbookList, (c) => json(c, { items: playbooks().playbooks }))
    .openapi(gaps, async (c) => {
      const v = c.req.valid("query");
      return json(
        c,
        await playbookGaps(src, cat, playbooks().playbooks, analyticsFilter(v), opt({ staleMonths: v.staleMonths })),
      );
    })
    .openapi(playbook, (c) => json(c, requirePlaybook(playbooks(), c.req.valid("param").id)))
    .openapi(report, async (c) => {
      const v = c.req.valid("query");
      const names = builtinProfileNames();
      if (v.profile !== undefined && !names.includes(v.profile))
        throw new TechtrailError("NOT_FOUND", `no built-in monitoring profile ${v.profile}`, {
          problems: [{ field: "profile", message: `known profiles: ${names.join(", ") || "none"}` }],
        });
      // The period is the report's own (quarter, or from/to); the other filters narrow the incidents.
      const period = analyticsFilter({
        ...v,
        severity: undefined,
        account: undefined,
        actor: undefined,
        tag: undefined,
        demo: "include",
        quarter: undefined,
      });
      const filter = analyticsFilter({ ...v, from: undefined, to: undefined, quarter: undefined });
      const opts: ReportOptions = { filter, playbooks: playbooks().playbooks };
      const team = v.controls === false ? undefined : await inventoryInEffect(deps);
      if (team) opts.controls = { inventory: team.inventory, source: team.source };
      if (v.quarter) opts.quarter = v.quarter;
      if (period.from) opts.from = period.from;
      if (period.to) opts.to = period.to;
      if (v.profile) opts.profile = loadProfile(v.profile, cat);
      if (v.community) {
        if (!deps.communityDir)
          throw new TechtrailError("NOT_FOUND", "this service keeps no community datasets (--community-dir DIR)", {
            problems: [{ field: "community", message: "no community folder configured" }],
          });
        opts.community = readSharedStatsDir(deps.communityDir).datasets;
      }
      const data = await buildReport(src, cat, opts);
      if (v.format === "json") return json(c, data);
      const text = renderReport(data, cat, v.format);
      const name = `techtrail-report-${data.period.label.replace(/[^A-Za-z0-9-]+/g, "_")}.${v.format}`;
      return c.body(text, 200, {
        "Content-Type": v.format === "html" ? "text/html; charset=UTF-8" : "text/markdown; charset=UTF-8",
        "Content-Disposition": `${v.download ? "attachment" : "inline"}; filename="${name}"`,
        // The HTML report is self-contained: inline style, inline SVG charts, no script at all.
        ...(v.format === "html"
          ? {
              "Content-Security-Policy":
                "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; base-uri 'none'",
            }
          : {}),
      });
    })
    .openapi(profiles, (c) => json(c, { items: builtinProfileNames(), default: DEFAULT_PROFILE }))
    .openapi(coverage, async (c) => {
      const v = c.req.valid("query");
      const f = analyticsFilter(v);
      const names = builtinProfileNames();
      // The CLI's default profile, so `techtrail coverage` and the UI score the same monitoring.
      const name = v.profile ?? DEFAULT_PROFILE;
      // Only built-in profile names: a query must never name a file on the server.
      if (!names.includes(name))
        throw new TechtrailError("NOT_FOUND", `no built-in monitoring profile ${name}`, {
          problems: [{ field: "profile", message: `known profiles: ${names.join(", ") || "none"}` }],
        });
      const key = JSON.stringify([name, f, v.limit ?? null]);
      const hit = coverageCache.get(key);
      if (hit && Date.now() - hit.at < COVERAGE_TTL_MS) return json(c, await hit.result);
      const result = coverageFromStore(src, cat, loadProfile(name, cat), f, opt({ limit: v.limit }));
      coverageCache.set(key, { at: Date.now(), result });
      result.catch(() => coverageCache.delete(key));
      if (coverageCache.size > 200) coverageCache.delete(coverageCache.keys().next().value as string);
      return json(c, await result);
    });
}
