// Analytics routes (viewer): technique frequency, quarterly trend, co-occurrence, tactic paths, actor profiles
// and matching, response timing, mitigation impact (src/analytics); playbooks and playbook gaps
// (src/playbooks); detection coverage against a built-in monitoring profile (src/coverage). All read the
// incident store; every query takes the same filter (period or quarter, severity, account, actor, tag, demo).
import { Hono } from "hono";
import { z } from "zod";
import {
  actorProfiles,
  matchIncidentToActors,
  mitigationImpact,
  responseTiming,
  tacticPaths,
  techniqueCooccurrence,
  techniqueFrequency,
  techniqueTrend,
} from "../../analytics/index.js";
import { type AnalyticsFilterInput, quarterRange } from "../../analytics/model.js";
import type { AnalyticsSource } from "../../analytics/query.js";
import { TechtrailError } from "../../core/errors.js";
import { coverageFromStore } from "../../coverage/coverage.js";
import { builtinProfileNames, loadProfile } from "../../coverage/profile.js";
import { playbookGaps } from "../../playbooks/gaps.js";
import { loadPlaybooks, type PlaybookRegistry, requirePlaybook } from "../../playbooks/playbooks.js";
import { renderReport } from "../../report/render.js";
import { buildReport, type ReportOptions } from "../../report/report.js";
import { type AppEnv, requireRole, type ServerDeps } from "../context.js";
import { json, readQuery } from "../http.js";

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
  demo: z.enum(["include", "only", "exclude"]).default("include"),
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
  download: z
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
  if (q.demo === "only") f.demo = true;
  else if (q.demo === "exclude") f.demo = false;
  return f;
}

export function analyticsRoutes(deps: ServerDeps): Hono<AppEnv> {
  const r = new Hono<AppEnv>();
  const viewer = requireRole("viewer");
  const src = deps.store as unknown as AnalyticsSource;
  const cat = deps.catalog;
  let registry: PlaybookRegistry | undefined;
  const playbooks = () => {
    registry ??= loadPlaybooks(cat);
    return registry;
  };
  const q = (c: Parameters<typeof readQuery>[0]) => {
    const v = readQuery(c, AnalyticsQuery);
    return { v, f: analyticsFilter(v) };
  };
  const opt = <T extends object>(o: T): T =>
    Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

  // Coverage compiles every rule of the profile (about a second), so results are shared for a short while:
  // the rule side cannot change while the server runs; the incident weights may lag by COVERAGE_TTL_MS.
  const coverageCache = new Map<string, { at: number; result: Promise<unknown> }>();

  r.get("/stats/frequency", viewer, async (c) => {
    const { v, f } = q(c);
    const res = await techniqueFrequency(src, cat, f);
    return json(c, v.limit ? { ...res, techniques: res.techniques.slice(0, v.limit) } : res);
  });
  r.get("/stats/trend", viewer, async (c) => {
    const v = readQuery(c, AnalyticsQuery);
    // Here `quarter` names the current quarter of the trend rather than a filter period.
    const f = analyticsFilter({ ...v, quarter: undefined });
    return json(c, await techniqueTrend(src, cat, f, opt({ quarters: v.quarters, quarter: v.quarter })));
  });
  r.get("/stats/cooccurrence", viewer, async (c) => {
    const { v, f } = q(c);
    return json(
      c,
      await techniqueCooccurrence(src, cat, f, opt({ minCount: v.minCount, limit: v.limit, sort: v.sort })),
    );
  });
  r.get("/stats/paths", viewer, async (c) => {
    const { v, f } = q(c);
    return json(c, await tacticPaths(src, cat, f, opt({ limit: v.limit })));
  });
  r.get("/stats/actors", viewer, async (c) => {
    const { v, f } = q(c);
    return json(c, await actorProfiles(src, cat, f, opt({ minShare: v.minShare })));
  });
  r.get("/stats/actors/match/:key", viewer, async (c) => {
    const { v, f } = q(c);
    return json(
      c,
      await matchIncidentToActors(src, cat, c.req.param("key"), f, opt({ minShare: v.minShare, limit: v.limit })),
    );
  });
  r.get("/stats/timing", viewer, async (c) => {
    const { f } = q(c);
    return json(c, await responseTiming(src, cat, f));
  });
  r.get("/stats/mitigations", viewer, async (c) => {
    const { v, f } = q(c);
    return json(c, await mitigationImpact(src, cat, f, opt({ limit: v.limit })));
  });

  r.get("/playbooks", viewer, (c) => json(c, { items: playbooks().playbooks }));
  r.get("/playbooks/gaps", viewer, async (c) => {
    const { v, f } = q(c);
    return json(c, await playbookGaps(src, cat, playbooks().playbooks, f, opt({ staleMonths: v.staleMonths })));
  });
  r.get("/playbooks/:id", viewer, (c) => json(c, requirePlaybook(playbooks(), c.req.param("id"))));

  r.get("/reports", viewer, async (c) => {
    const v = readQuery(c, ReportQuery);
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
    if (v.quarter) opts.quarter = v.quarter;
    if (period.from) opts.from = period.from;
    if (period.to) opts.to = period.to;
    if (v.profile) opts.profile = loadProfile(v.profile, cat);
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
  });

  r.get("/coverage/profiles", viewer, (c) => json(c, { items: builtinProfileNames() }));
  r.get("/coverage", viewer, async (c) => {
    const { v, f } = q(c);
    const names = builtinProfileNames();
    const name = v.profile ?? names[0];
    // Only built-in profile names: a query must never name a file on the server.
    if (name === undefined || !names.includes(name))
      throw new TechtrailError("NOT_FOUND", `no built-in monitoring profile ${name ?? ""}`, {
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
  return r;
}
