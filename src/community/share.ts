// Anonymised community statistics: a team's incident analytics for one quarter, reduced to aggregate
// cells that each cover at least k incidents (smaller cells are suppressed), optionally with Laplace noise,
// so teams can pool what they see without exposing incidents. `compareWithCommunity` merges shared files and
// sets this register against them. The counting is done by src/analytics; this module only aggregates.
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import {
  type AnalyticsFilter,
  type AnalyticsSource,
  Quarter,
  quarterRange,
  responseTiming,
  tacticPaths,
  techniqueCooccurrence,
  techniqueFrequency,
} from "../analytics/index.js";
import type { Catalog } from "../catalog/catalog.js";
import { TechtrailError, zodProblems } from "../core/errors.js";
import { rng } from "../incidents/demo.js";

export const SHARE_SCHEMA = "techtrail.community-stats";
export const SHARE_SCHEMA_VERSION = 1;
export const DEFAULT_K = 5;

const Count = z.number().int().nonnegative();
/** Median in whole hours (rounded, so no cell carries an incident's exact duration). */
const Hours = z.number().int().nonnegative().nullable();

export const SharedStats = z.strictObject({
  schema: z.literal(SHARE_SCHEMA),
  schemaVersion: z.literal(SHARE_SCHEMA_VERSION),
  quarter: Quarter,
  catalogVersion: z.string(),
  /** Every released count is at least k incidents. */
  k: z.number().int().min(2),
  /** Laplace noise parameter per cell, or null when counts are exact. */
  epsilon: z.number().positive().nullable(),
  /** Incidents in the quarter (itself a cell: at least k). */
  incidents: Count,
  techniques: z.array(z.strictObject({ id: z.string(), incidents: Count })),
  pairs: z.array(z.strictObject({ a: z.string(), b: z.string(), incidents: Count })),
  paths: z.array(z.strictObject({ tactics: z.array(z.string()).min(1), incidents: Count })),
  /** Per technique: median hours to detect / contain, each released only over at least k samples. */
  timing: z.array(
    z.strictObject({
      technique: z.string(),
      detectSamples: Count,
      medianDetectHours: Hours,
      containSamples: Count,
      medianContainHours: Hours,
    }),
  ),
  sources: z.array(z.strictObject({ source: z.string(), incidents: Count })),
});
export type SharedStats = z.infer<typeof SharedStats>;

export interface ShareOptions {
  quarter: string;
  k?: number;
  /** Laplace noise with scale 1/epsilon on every count; must be > 0. */
  epsilon?: number;
  /** Deterministic noise for tests only; otherwise the noise comes from the OS CSPRNG. */
  seed?: number;
}

function uniform(seed: number | undefined): () => number {
  if (seed !== undefined) return rng(seed);
  // 48 random bits from the OS CSPRNG per draw.
  return () => randomBytes(6).readUIntBE(0, 6) / 2 ** 48;
}

function laplace(u: () => number, scale: number): number {
  const x = u() - 0.5;
  return -scale * Math.sign(x) * Math.log(1 - 2 * Math.abs(x) || Number.MIN_VALUE);
}

export function validateShareOptions(o: ShareOptions): Required<Pick<ShareOptions, "quarter" | "k">> & ShareOptions {
  const quarter = Quarter.safeParse(o.quarter);
  if (!quarter.success)
    throw new TechtrailError("VALIDATION", `--quarter: expected a quarter like 2026Q3, got "${o.quarter}"`, {
      problems: [{ field: "--quarter", message: "expected a quarter like 2026Q3" }],
    });
  const k = o.k ?? DEFAULT_K;
  if (!Number.isInteger(k) || k < 2)
    throw new TechtrailError("VALIDATION", `--k must be a whole number of at least 2, got ${k}`, {
      problems: [{ field: "--k", message: "expected a whole number ≥ 2" }],
    });
  if (o.epsilon !== undefined && !(Number.isFinite(o.epsilon) && o.epsilon > 0))
    throw new TechtrailError("VALIDATION", `--epsilon must be a number greater than 0, got ${o.epsilon}`, {
      problems: [{ field: "--epsilon", message: "expected a number > 0" }],
    });
  return { ...o, quarter: quarter.data, k };
}

/** The shareable dataset of one quarter of the register. Extra filter fields (e.g. demo) narrow it further. */
export async function buildSharedStats(
  src: AnalyticsSource,
  catalog: Catalog,
  options: ShareOptions,
  base: Partial<AnalyticsFilter> = {},
): Promise<SharedStats> {
  const o = validateShareOptions(options);
  const k = o.k;
  const filter = { ...base, ...quarterRange(o.quarter) };
  const [freq, co, paths, timing] = await Promise.all([
    techniqueFrequency(src, catalog, filter),
    techniqueCooccurrence(src, catalog, filter, { minCount: k, limit: 1_000_000 }),
    tacticPaths(src, catalog, filter, { limit: 1_000_000 }),
    responseTiming(src, catalog, filter),
  ]);
  const u = uniform(o.seed);
  // A cell is released only when its true count reaches k and, with noise, its noisy count does too.
  const cell = (n: number): number | null => {
    if (n < k) return null;
    const v = o.epsilon === undefined ? n : Math.round(n + laplace(u, 1 / o.epsilon));
    return v >= k ? v : null;
  };
  const hours = (s: number | null) => (s === null ? null : Math.round(s / 3600));
  const keep = <T extends { incidents: number | null }>(rows: T[]) =>
    rows.filter((r): r is T & { incidents: number } => r.incidents !== null);
  const incidents = cell(freq.scope.incidents);
  const empty = incidents === null;
  const data: SharedStats = {
    schema: SHARE_SCHEMA,
    schemaVersion: SHARE_SCHEMA_VERSION,
    quarter: o.quarter,
    catalogVersion: catalog.meta.version,
    k,
    epsilon: o.epsilon ?? null,
    incidents: incidents ?? 0,
    techniques: empty ? [] : keep(freq.techniques.map((t) => ({ id: t.id, incidents: cell(t.incidents) }))),
    pairs: empty ? [] : keep(co.pairs.map((p) => ({ a: p.a, b: p.b, incidents: cell(p.count) }))),
    paths: empty ? [] : keep(paths.paths.map((p) => ({ tactics: p.tactics, incidents: cell(p.incidents) }))),
    timing: empty
      ? []
      : timing.byTechnique.flatMap((t) => {
          const d = cell(t.timeToDetect.samples);
          const c = cell(t.timeToContain.samples);
          if (d === null && c === null) return [];
          return [
            {
              technique: t.key,
              detectSamples: d ?? 0,
              medianDetectHours: d === null ? null : hours(t.timeToDetect.median),
              containSamples: c ?? 0,
              medianContainHours: c === null ? null : hours(t.timeToContain.median),
            },
          ];
        }),
    sources: empty ? [] : keep(timing.bySource.map((s) => ({ source: s.key, incidents: cell(s.incidents) }))),
  };
  return SharedStats.parse(data);
}

/** Every count cell of a dataset with its field path (for the k check). Zero sample counts mean "not released". */
function cells(d: SharedStats): Array<[string, number]> {
  const out: Array<[string, number]> = [];
  if (d.incidents > 0) out.push(["incidents", d.incidents]);
  for (const [i, t] of d.techniques.entries()) out.push([`techniques[${i}].incidents`, t.incidents]);
  for (const [i, t] of d.pairs.entries()) out.push([`pairs[${i}].incidents`, t.incidents]);
  for (const [i, t] of d.paths.entries()) out.push([`paths[${i}].incidents`, t.incidents]);
  for (const [i, t] of d.sources.entries()) out.push([`sources[${i}].incidents`, t.incidents]);
  for (const [i, t] of d.timing.entries()) {
    if (t.detectSamples > 0 || t.medianDetectHours !== null) out.push([`timing[${i}].detectSamples`, t.detectSamples]);
    if (t.containSamples > 0 || t.medianContainHours !== null)
      out.push([`timing[${i}].containSamples`, t.containSamples]);
  }
  return out;
}

/** Parses and checks a shared dataset: schema version, shape, and every cell at least its declared k. */
export function parseSharedStats(text: string, file: string): SharedStats {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new TechtrailError("PARSE", `${file}: not JSON (${(e as Error).message})`, {
      problems: [{ source: file, message: "expected a JSON shared statistics file" }],
    });
  }
  return checkSharedStats(raw, file);
}

/** Checks an already parsed shared dataset (an upload's JSON) like parseSharedStats; `file` names it in errors. */
export function checkSharedStats(raw: unknown, file: string): SharedStats {
  const obj = (raw ?? {}) as Record<string, unknown>;
  if (obj.schema !== SHARE_SCHEMA || obj.schemaVersion !== SHARE_SCHEMA_VERSION)
    throw new TechtrailError(
      "VALIDATION",
      `${file}: schemaVersion ${JSON.stringify(obj.schemaVersion)} of ${JSON.stringify(obj.schema)} is not supported (expected ${SHARE_SCHEMA} version ${SHARE_SCHEMA_VERSION})`,
      { problems: [{ source: file, field: "schemaVersion", message: `expected ${SHARE_SCHEMA_VERSION}` }] },
    );
  const res = SharedStats.safeParse(raw);
  if (!res.success) {
    const problems = zodProblems(res.error.issues).map((p) => ({ ...p, source: file }));
    throw new TechtrailError(
      "VALIDATION",
      `${file}: not a valid shared statistics file (${problems.map((p) => `${p.field}: ${p.message}`).join("; ")})`,
      { problems },
    );
  }
  const d = res.data;
  const low = cells(d).filter(([, n]) => n < d.k);
  if (low.length > 0)
    throw new TechtrailError(
      "VALIDATION",
      `${file}: ${low.length} cell(s) below the declared k = ${d.k}, first ${low[0]?.[0]} = ${low[0]?.[1]}`,
      {
        problems: low.map(([field, n]) => ({ source: file, field, message: `count ${n} is below k = ${d.k}` })),
      },
    );
  return d;
}

export function readSharedStats(file: string): SharedStats {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new TechtrailError("NOT_FOUND", `${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? e})`, {
      problems: [{ source: file, message: "cannot read the file" }],
    });
  }
  return parseSharedStats(text, file);
}

/** A shared dataset of a folder, described without its cells. */
export const DatasetInfo = z.object({
  file: z.string(),
  quarter: z.string(),
  catalogVersion: z.string(),
  k: z.number().int(),
  epsilon: z.number().nullable(),
  incidents: z.number().int(),
});
export type DatasetInfo = z.infer<typeof DatasetInfo>;

export function datasetInfo(file: string, d: SharedStats): DatasetInfo {
  return {
    file,
    quarter: d.quarter,
    catalogVersion: d.catalogVersion,
    k: d.k,
    epsilon: d.epsilon,
    incidents: d.incidents,
  };
}

/**
 * The shared datasets a team keeps in one folder (the `*.json` files at its top, by name): the valid ones and,
 * for each file that is not a valid dataset, the reason (so one bad file does not hide the others).
 */
export function readSharedStatsDir(dir: string): {
  datasets: Array<{ file: string; stats: SharedStats }>;
  invalid: Array<{ file: string; problem: string }>;
} {
  let names: string[];
  try {
    names = readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isFile() && e.name.toLowerCase().endsWith(".json"))
      .map((e) => e.name)
      .sort();
  } catch (e) {
    throw new TechtrailError(
      "NOT_FOUND",
      `community datasets folder ${dir} cannot be read (${(e as NodeJS.ErrnoException).code ?? e})`,
      { problems: [{ source: dir, message: "expected a folder of files written by `techtrail stats share`" }] },
    );
  }
  const datasets: Array<{ file: string; stats: SharedStats }> = [];
  const invalid: Array<{ file: string; problem: string }> = [];
  for (const name of names) {
    try {
      datasets.push({ file: name, stats: parseSharedStats(readFileSync(join(dir, name), "utf8"), name) });
    } catch (e) {
      invalid.push({ file: name, problem: e instanceof TechtrailError ? e.message : String(e) });
    }
  }
  return { datasets, invalid };
}

export const CompareResult = z.object({
  files: z.number().int(),
  quarters: z.array(z.string()),
  community: z.object({ incidents: z.number().int() }),
  local: z.object({ incidents: z.number().int() }),
  minCount: z.number().int(),
  techniques: z.array(
    z.object({
      id: z.string(),
      name: z.string().nullable(),
      local: z.number().int(),
      localShare: z.number(),
      community: z.number().int(),
      communityShare: z.number(),
      /** localShare / communityShare; null when the community has none. */
      ratio: z.number().nullable(),
      verdict: z.enum(["over", "under", "similar"]),
    }),
  ),
  slowerToContain: z.array(
    z.object({
      id: z.string(),
      name: z.string().nullable(),
      localMedianHours: z.number(),
      communityMedianHours: z.number(),
      localSamples: z.number().int(),
    }),
  ),
});
export type CompareResult = z.infer<typeof CompareResult>;

/**
 * This register against the merged community datasets, over the quarters the files cover. Counts are summed;
 * a community median is the sample-weighted mean of the files' medians (the files carry no raw durations).
 * A technique is over- or under-represented when its share here differs by a factor of 1.5 and it has at
 * least `minCount` incidents on one side.
 */
export async function compareWithCommunity(
  src: AnalyticsSource,
  catalog: Catalog,
  datasets: SharedStats[],
  opts: { minCount?: number; base?: Partial<AnalyticsFilter> } = {},
): Promise<CompareResult> {
  const minCount = opts.minCount ?? 3;
  const quarters = [...new Set(datasets.map((d) => d.quarter))].sort();
  const tech = new Map<string, number>();
  const contain = new Map<string, { w: number; sum: number }>();
  let communityIncidents = 0;
  for (const d of datasets) {
    communityIncidents += d.incidents;
    for (const t of d.techniques) tech.set(t.id, (tech.get(t.id) ?? 0) + t.incidents);
    for (const t of d.timing)
      if (t.medianContainHours !== null) {
        const e = contain.get(t.technique) ?? { w: 0, sum: 0 };
        e.w += t.containSamples;
        e.sum += t.containSamples * t.medianContainHours;
        contain.set(t.technique, e);
      }
  }
  const localCounts = new Map<string, number>();
  const localContain = new Map<string, { samples: number; median: number }>();
  let localIncidents = 0;
  for (const q of quarters) {
    const filter = { ...opts.base, ...quarterRange(q) };
    const [f, t] = await Promise.all([techniqueFrequency(src, catalog, filter), responseTiming(src, catalog, filter)]);
    localIncidents += f.scope.incidents;
    for (const x of f.techniques) localCounts.set(x.id, (localCounts.get(x.id) ?? 0) + x.incidents);
    for (const x of t.byTechnique) {
      const m = x.timeToContain.median;
      if (m === null) continue;
      // Across several quarters: the sample-weighted mean of the quarterly medians, as for the community.
      const e = localContain.get(x.key) ?? { samples: 0, median: 0 };
      const n = x.timeToContain.samples;
      e.median = (e.median * e.samples + m * n) / (e.samples + n);
      e.samples += n;
      localContain.set(x.key, e);
    }
  }
  const share = (n: number, of: number) => (of > 0 ? n / of : 0);
  const ids = new Set([...tech.keys(), ...localCounts.keys()]);
  const techniques: CompareResult["techniques"] = [];
  for (const id of ids) {
    const local = localCounts.get(id) ?? 0;
    const community = tech.get(id) ?? 0;
    if (local < minCount && community < minCount) continue;
    const localShare = share(local, localIncidents);
    const communityShare = share(community, communityIncidents);
    const ratio = communityShare > 0 ? localShare / communityShare : null;
    const verdict = ratio === null || ratio >= 1.5 ? "over" : ratio <= 1 / 1.5 ? "under" : "similar";
    techniques.push({
      id,
      name: catalog.technique(id)?.name ?? null,
      local,
      localShare,
      community,
      communityShare,
      ratio,
      verdict: local === 0 && community === 0 ? "similar" : verdict,
    });
  }
  techniques.sort(
    (a, b) => (b.ratio ?? Number.POSITIVE_INFINITY) - (a.ratio ?? Number.POSITIVE_INFINITY) || (a.id < b.id ? -1 : 1),
  );
  const slowerToContain: CompareResult["slowerToContain"] = [];
  for (const [id, e] of localContain) {
    const c = contain.get(id);
    if (!c || c.w === 0 || e.samples < minCount) continue;
    const localMedianHours = e.median / 3600;
    const communityMedianHours = c.sum / c.w;
    if (localMedianHours > communityMedianHours)
      slowerToContain.push({
        id,
        name: catalog.technique(id)?.name ?? null,
        localMedianHours,
        communityMedianHours,
        localSamples: e.samples,
      });
  }
  slowerToContain.sort(
    (a, b) =>
      b.localMedianHours / Math.max(b.communityMedianHours, 1) -
      a.localMedianHours / Math.max(a.communityMedianHours, 1),
  );
  return {
    files: datasets.length,
    quarters,
    community: { incidents: communityIncidents },
    local: { incidents: localIncidents },
    minCount,
    techniques,
    slowerToContain,
  };
}
