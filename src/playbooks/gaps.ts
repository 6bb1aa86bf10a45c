// "Which playbook do we write next": ranks the techniques seen in incidents by a documented priority
// (severity-weighted incident count × trend factor) and marks those without a playbook, with only draft
// playbooks, or whose playbook was not reviewed in N months; plus response-capability gaps (techniques
// whose median time to contain or detect is long).
import { z } from "zod";
import { factsFor } from "../analytics/facts.js";
import { techniqueSeverityCounts } from "../analytics/frequency.js";
import { type AnalyticsFilterInput, parseAnalyticsFilter, Scope } from "../analytics/model.js";
import type { AnalyticsSource } from "../analytics/query.js";
import { responseTiming } from "../analytics/timing.js";
import { techniqueTrend } from "../analytics/trend.js";
import type { Catalog } from "../catalog/catalog.js";
import { compareIds } from "../catalog/catalog.js";
import { type Playbook, playbooksFor } from "./playbooks.js";

export const GapStatus = z.enum(["no-playbook", "draft", "stale", "ok"]);
export type GapStatus = z.infer<typeof GapStatus>;

export const GapRow = z.object({
  rank: z.number().int().positive(),
  id: z.string(),
  name: z.string().nullable(),
  incidents: z.number().int().nonnegative(),
  /** Σ severity weight over the incidents with the technique (= frequency × mean severity weight). */
  weighted: z.number(),
  /** Smoothed ratio of this quarter's share to last quarter's, clamped to [0.5, 2] (see trendFactor). */
  trendFactor: z.number(),
  priority: z.number(),
  status: GapStatus,
  playbooks: z.array(
    z.object({ id: z.string(), status: z.string(), lastReviewed: z.string(), via: z.enum(["technique", "parent"]) }),
  ),
  reason: z.string(),
});
export type GapRow = z.infer<typeof GapRow>;

export const ResponseGap = z.object({
  id: z.string(),
  name: z.string().nullable(),
  kind: z.enum(["contain", "detect"]),
  /** Seconds. */
  median: z.number(),
  thresholdSeconds: z.number(),
  samples: z.number().int(),
  playbooks: z.array(z.string()),
});
export type ResponseGap = z.infer<typeof ResponseGap>;

export const GapsResult = z.object({
  scope: Scope,
  asOf: z.string(),
  staleMonths: z.number(),
  trendQuarters: z.object({ current: z.string().nullable(), previous: z.string().nullable() }),
  techniques: z.array(GapRow),
  /** The gaps (status ≠ ok), highest priority first: the "write next" list. */
  next: z.array(z.string()),
  responseGaps: z.array(ResponseGap),
  playbooks: z.number().int(),
});
export type GapsResult = z.infer<typeof GapsResult>;

export interface GapsOptions {
  /** A playbook not reviewed for this many months is stale (default 12). */
  staleMonths?: number;
  /** Reference date for staleness (default now). */
  asOf?: string;
  /** Median time to contain above this many hours is a response gap (default 24). */
  containHours?: number;
  /** Median time to detect above this many hours is a response gap (default 72). */
  detectHours?: number;
  /** Fewest incidents with timings before a response gap is reported (default 3). */
  minSamples?: number;
}

/**
 * How much more (or less) often a technique appeared this quarter than last, as a ratio of smoothed shares
 * of each quarter's incidents — so a quarter that has only just begun is not mistaken for a decline:
 * clamp(((current + 1) / (incidents now + 2)) / ((previous + 1) / (incidents before + 2)), 0.5, 2).
 */
export function trendFactor(current: number, incidentsNow: number, previous: number, incidentsBefore: number): number {
  const now = (current + 1) / (incidentsNow + 2);
  const before = (previous + 1) / (incidentsBefore + 2);
  return Math.min(2, Math.max(0.5, now / before));
}

function monthsBetween(fromIso: string, toIso: string): number {
  const a = new Date(fromIso);
  const b = new Date(toIso);
  return (
    (b.getUTCFullYear() - a.getUTCFullYear()) * 12 +
    (b.getUTCMonth() - a.getUTCMonth()) -
    (b.getUTCDate() < a.getUTCDate() ? 1 : 0)
  );
}

export async function playbookGaps(
  src: AnalyticsSource,
  catalog: Catalog,
  playbooks: readonly Playbook[],
  filter: AnalyticsFilterInput = {},
  opts: GapsOptions = {},
): Promise<GapsResult> {
  const f = parseAnalyticsFilter(filter);
  const staleMonths = opts.staleMonths ?? 12;
  const asOf = (opts.asOf ?? new Date().toISOString()).slice(0, 10);
  const { scope } = await factsFor(src, f);
  const base = {
    scope,
    asOf,
    staleMonths,
    playbooks: playbooks.length,
  };
  if (scope.empty)
    return { ...base, trendQuarters: { current: null, previous: null }, techniques: [], next: [], responseGaps: [] };
  const counts = await techniqueSeverityCounts(src, f);
  const trend = await techniqueTrend(src, catalog, f, { quarters: 2 });
  const byTrend = new Map(trend.techniques.map((t) => [t.id, t]));
  const nNow = trend.quarters.at(-1)?.incidents ?? 0;
  const nBefore = trend.quarters.at(-2)?.incidents ?? 0;
  const rows: Omit<GapRow, "rank">[] = [];
  for (const [id, c] of counts) {
    const tr = byTrend.get(id);
    const factor = trendFactor(tr?.current ?? 0, nNow, tr?.previous ?? 0, nBefore);
    const cover = playbooksFor(catalog, playbooks, id).filter((x) => x.playbook.status !== "retired");
    const active = cover.filter((x) => x.playbook.status === "active");
    let status: GapStatus;
    let reason: string;
    if (cover.length === 0) {
      status = "no-playbook";
      reason = "no playbook covers it";
    } else if (active.length === 0) {
      status = "draft";
      reason = `only draft playbook(s): ${cover.map((x) => x.playbook.id).join(", ")}`;
    } else {
      const newest = active
        .map((x) => x.playbook.last_reviewed)
        .sort()
        .at(-1) as string;
      const age = monthsBetween(newest, asOf);
      if (age > staleMonths) {
        status = "stale";
        reason = `last reviewed ${newest} (${age} months ago, limit ${staleMonths})`;
      } else {
        status = "ok";
        reason = `covered by ${active.map((x) => x.playbook.id).join(", ")}`;
      }
    }
    rows.push({
      id,
      name: catalog.technique(id)?.name ?? null,
      incidents: c.incidents,
      weighted: c.weighted,
      trendFactor: factor,
      priority: Math.round(c.weighted * factor * 100) / 100,
      status,
      playbooks: cover.map((x) => ({
        id: x.playbook.id,
        status: x.playbook.status,
        lastReviewed: x.playbook.last_reviewed,
        via: x.via,
      })),
      reason,
    });
  }
  rows.sort((a, b) => b.priority - a.priority || b.incidents - a.incidents || compareIds(a.id, b.id));
  const techniques = rows.map((r, i) => ({ rank: i + 1, ...r }));

  const timing = await responseTiming(src, catalog, f);
  const containS = (opts.containHours ?? 24) * 3600;
  const detectS = (opts.detectHours ?? 72) * 3600;
  const minSamples = opts.minSamples ?? 3;
  const responseGaps: ResponseGap[] = [];
  for (const t of timing.byTechnique) {
    const pbs = playbooksFor(catalog, playbooks, t.key).map((x) => x.playbook.id);
    const c = t.timeToContain;
    if (c.median !== null && c.samples >= minSamples && c.median > containS)
      responseGaps.push({
        id: t.key,
        name: t.name,
        kind: "contain",
        median: c.median,
        thresholdSeconds: containS,
        samples: c.samples,
        playbooks: pbs,
      });
    const d = t.timeToDetect;
    if (d.median !== null && d.samples >= minSamples && d.median > detectS)
      responseGaps.push({
        id: t.key,
        name: t.name,
        kind: "detect",
        median: d.median,
        thresholdSeconds: detectS,
        samples: d.samples,
        playbooks: pbs,
      });
  }
  responseGaps.sort((a, b) => b.median / b.thresholdSeconds - a.median / a.thresholdSeconds);
  return {
    ...base,
    trendQuarters: { current: trend.current, previous: trend.previous },
    techniques,
    next: techniques.filter((t) => t.status !== "ok").map((t) => t.id),
    responseGaps,
  };
}
