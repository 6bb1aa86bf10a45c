// Community statistics routes (viewer): this register against shared datasets written by `techtrail stats share`
// (src/community/share.ts). A team service keeps the datasets it receives from peers in one folder
// (`serve --community-dir DIR` or TECHTRAIL_COMMUNITY_DIR): GET lists them and compares against all or some of
// them. POST compares against datasets sent in the request (a file a user has at hand), which are never kept.
import { createRoute } from "@hono/zod-openapi";
import { z } from "zod";
import {
  CompareResult,
  checkSharedStats,
  compareWithCommunity,
  DatasetInfo,
  datasetInfo,
  readSharedStatsDir,
  type SharedStats,
} from "../../community/share.js";
import { TechtrailError } from "../../core/errors.js";
import type { ServerDeps } from "../context.js";
import { DemoParam, demoFilter, json, listParam } from "../http.js";
import { access, errorResponses, jsonBody, jsonContent, routeApp } from "../openapi.js";

const tags = ["community"];
const viewer = access("viewer");

export const CommunityDatasets = z.object({
  /** Whether the service has a datasets folder (its path is not disclosed). */
  configured: z.boolean(),
  datasets: z.array(DatasetInfo),
  /** Files in the folder that are not valid datasets, with the reason. */
  invalid: z.array(z.object({ file: z.string(), problem: z.string() })),
});
export const CommunityComparison = CompareResult.extend({ datasets: z.array(DatasetInfo) });

const MinCount = z.coerce.number().int().min(1).max(100_000).default(3);
export const CommunityCompareQuery = z.strictObject({
  /** Dataset file names of the folder (default: every valid one). */
  files: listParam(z.string().min(1)).optional(),
  minCount: MinCount,
  demo: DemoParam,
});
export const CommunityUpload = z.strictObject({
  /** Shared datasets as `stats share` writes them (the files' JSON), with a name each for messages. */
  datasets: z
    .array(z.strictObject({ name: z.string().min(1).max(200), data: z.unknown() }))
    .min(1, "send at least one dataset")
    .max(50),
  /** Datasets of the folder to add to the uploaded ones. */
  files: z.array(z.string().min(1)).max(200).optional(),
  minCount: z.number().int().min(1).max(100_000).default(3),
  demo: z.enum(["include", "exclude", "only"]).default("include"),
});

const datasetsRoute = createRoute({
  method: "get",
  path: "/community/datasets",
  summary: "Shared community datasets kept in the service's folder",
  tags,
  ...viewer,
  responses: { 200: jsonContent(CommunityDatasets), ...errorResponses({ role: "viewer" }) },
});
const compareRoute = createRoute({
  method: "get",
  path: "/community/compare",
  summary: "This register against the folder's shared datasets (all, or those named in files)",
  tags,
  ...viewer,
  request: { query: CommunityCompareQuery },
  responses: { 200: jsonContent(CommunityComparison), ...errorResponses({ role: "viewer" }) },
});
const uploadRoute = createRoute({
  method: "post",
  path: "/community/compare",
  summary: "This register against uploaded shared datasets (not stored), optionally with folder ones",
  tags,
  ...viewer,
  request: { body: jsonBody(CommunityUpload) },
  responses: { 200: jsonContent(CommunityComparison), ...errorResponses({ role: "viewer", body: true }) },
});

export function communityRoutes(deps: ServerDeps) {
  const folder = () => {
    if (!deps.communityDir)
      throw new TechtrailError(
        "NOT_FOUND",
        "this service keeps no community datasets: start it with --community-dir DIR or TECHTRAIL_COMMUNITY_DIR, or upload datasets",
        { problems: [{ field: "communityDir", message: "not configured" }] },
      );
    return readSharedStatsDir(deps.communityDir);
  };
  /** The folder's datasets named in `files` (all valid ones when absent); unknown or invalid names are refused. */
  const pick = (files: readonly string[] | undefined): Array<{ file: string; stats: SharedStats }> => {
    const { datasets, invalid } = folder();
    if (!files) return datasets;
    const problems = files.flatMap((f) => {
      if (datasets.some((d) => d.file === f)) return [];
      const bad = invalid.find((i) => i.file === f);
      return [{ source: f, field: "files", message: bad ? bad.problem : "no such dataset in the folder" }];
    });
    if (problems.length)
      throw new TechtrailError("VALIDATION", `cannot compare with ${files.join(", ")}`, { problems });
    return datasets.filter((d) => files.includes(d.file));
  };
  const compare = async (
    used: Array<{ file: string; stats: SharedStats }>,
    minCount: number,
    demo: DemoParam,
  ): Promise<z.infer<typeof CommunityComparison>> => {
    if (used.length === 0)
      throw new TechtrailError("NOT_FOUND", "no community dataset to compare with", {
        problems: [{ field: "files", message: "the folder holds no valid dataset" }],
      });
    const d = demoFilter(demo);
    const r = await compareWithCommunity(
      deps.store,
      deps.catalog,
      used.map((u) => u.stats),
      { minCount, ...(d !== undefined ? { base: { demo: d } } : {}) },
    );
    return { ...r, datasets: used.map((u) => datasetInfo(u.file, u.stats)) };
  };
  return routeApp()
    .openapi(datasetsRoute, (c) => {
      if (!deps.communityDir) return json(c, { configured: false, datasets: [], invalid: [] });
      const { datasets, invalid } = folder();
      return json(c, {
        configured: true,
        datasets: datasets.map((d) => datasetInfo(d.file, d.stats)),
        invalid,
      });
    })
    .openapi(compareRoute, async (c) => {
      const q = c.req.valid("query");
      return json(c, await compare(pick(q.files), q.minCount, q.demo));
    })
    .openapi(uploadRoute, async (c) => {
      const b = c.req.valid("json");
      const uploaded = b.datasets.map((d) => ({ file: d.name, stats: checkSharedStats(d.data, d.name) }));
      const extra = b.files?.length ? pick(b.files) : [];
      return json(c, await compare([...uploaded, ...extra], b.minCount, b.demo));
    });
}
