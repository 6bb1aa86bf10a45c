// Catalog routes (read: viewer): stats, technique list and detail, search, event lookup, releases, diff,
// STIX export, Navigator layers from scores, and the matrix view with incident counts per technique.
// The catalog is immutable while the server runs, so list responses are serialised once and cached.
import { createRoute } from "@hono/zod-openapi";
import { z } from "zod";
import type { Catalog } from "../../catalog/catalog.js";
import { diffCatalogs, diffToJson } from "../../catalog/diff.js";
import { buildNavigatorLayers, LayerScores, NavigatorLayer } from "../../catalog/layer.js";
import { BUILTIN_RELEASES_DIR, listReleases, openCatalogRef } from "../../catalog/load.js";
import { CATALOG_VERSION_RE, LoadedCatalogInfo } from "../../catalog/model.js";
import { describeLoadedCatalog, loadedCatalogInfo, techniqueSource } from "../../catalog/overlay.js";
import { searchCatalog } from "../../catalog/search.js";
import { exportStix, ImportReport, importStix, StixBundle, serializeStix } from "../../catalog/stix.js";
import { TechtrailError } from "../../core/errors.js";
import type { ServerDeps } from "../context.js";
import { Flag as flag, json, jsonText, limitBody, safeJsonText } from "../http.js";
import { access, errorResponses, jsonBody, jsonContent, routeApp } from "../openapi.js";
import {
  buildMatrix,
  CatalogDiffView,
  CatalogOverview,
  EventTechniques,
  Matrix,
  matrixCounts,
  Releases,
  SearchResult,
  TechniqueDetail,
  TechniqueSummary,
  techniqueSummary,
} from "../views.js";
import { AnalyticsQuery, analyticsFilter } from "./analytics.js";

export const TechniqueListQuery = z.strictObject({
  tactic: z.string().min(1).optional(),
  includeRevoked: flag.optional(),
});
export const SearchQuery = z.strictObject({
  q: z.string().trim().min(1, "q (the search text) is required").max(200),
  limit: z.coerce.number().int().min(1).max(100).default(10),
  includeRevoked: flag.optional(),
});
/** A catalog reference the API accepts: `current` or a shipped release version (never a file path). */
export const CatalogRef = z
  .string()
  .refine((v) => v === "current" || CATALOG_VERSION_RE.test(v), "expected `current` or a release version like 2026.10");
export const DiffQuery = z.strictObject({ from: CatalogRef, to: CatalogRef.default("current") });
/** The analytics filter (period, severity, account, actor, tag, demo) plus whether revoked techniques show. */
export const MatrixQuery = AnalyticsQuery.pick({
  from: true,
  to: true,
  quarter: true,
  severity: true,
  account: true,
  actor: true,
  tag: true,
  demo: true,
}).extend({ includeRevoked: flag.optional() });
export const CatalogImportQuery = z.strictObject({
  /** Name recorded as the provenance of imported techniques. */
  source: z.string().trim().min(1, "source (a name for the bundle's origin) is required").max(100),
});
export const LayerRequest = z.strictObject({
  scores: z.union([LayerScores, z.array(z.strictObject({ id: z.string(), score: z.number().finite() }))]),
  name: z.string().max(200).optional(),
  description: z.string().max(2000).optional(),
  aggregate: z.enum(["sum", "max"]).optional(),
});

/** The loaded catalog and overlay, with the one-line summary the UI shows. */
export const CatalogInfoView = LoadedCatalogInfo.extend({ summary: z.string() });
export const TechniqueList = z.object({
  catalogVersion: z.string(),
  total: z.number().int(),
  items: z.array(TechniqueSummary),
});
export const Layers = z.object({ attack: NavigatorLayer, full: NavigatorLayer });
export const ImportPreview = z.object({ applied: z.literal(false), report: ImportReport, diff: CatalogDiffView });

const tags = ["catalog"];
const viewer = access("viewer");
const errors = errorResponses({ role: "viewer" });
const errorsById = errorResponses({ role: "viewer", path: "/{id}" });

const info = createRoute({
  method: "get",
  path: "/info",
  summary: "Which catalog (version, folder) and which team overlay (namespace, counts, warnings) are loaded",
  tags,
  ...viewer,
  responses: { 200: jsonContent(CatalogInfoView), ...errors },
});
const overview = createRoute({
  method: "get",
  path: "/",
  summary: "Catalog statistics, metadata and tactics",
  tags,
  ...viewer,
  responses: { 200: jsonContent(CatalogOverview), ...errors },
});
const techniques = createRoute({
  method: "get",
  path: "/techniques",
  summary: "Technique summaries, optionally of one tactic",
  tags,
  ...viewer,
  request: { query: TechniqueListQuery },
  responses: { 200: jsonContent(TechniqueList), ...errorResponses({ role: "viewer", path: "/{tactic}" }) },
});
const technique = createRoute({
  method: "get",
  path: "/techniques/{id}",
  summary: "One technique with sub-techniques, tactic and mitigation names",
  tags,
  ...viewer,
  request: { params: z.object({ id: z.string() }) },
  responses: { 200: jsonContent(TechniqueDetail), ...errorsById },
});
const search = createRoute({
  method: "get",
  path: "/search",
  summary: "Ranked search by name, alias, description, events",
  tags,
  ...viewer,
  request: { query: SearchQuery },
  responses: { 200: jsonContent(SearchResult), ...errors },
});
const byEvent = createRoute({
  method: "get",
  path: "/event/{name}",
  summary: "Techniques revealed by a CloudTrail event (CreateAccessKey or iam:CreateAccessKey)",
  tags,
  ...viewer,
  request: { params: z.object({ name: z.string() }) },
  responses: { 200: jsonContent(EventTechniques), ...errorsById },
});
const releases = createRoute({
  method: "get",
  path: "/releases",
  summary: "Shipped catalog releases",
  tags,
  ...viewer,
  responses: { 200: jsonContent(Releases), ...errors },
});
const diff = createRoute({
  method: "get",
  path: "/diff",
  summary: "Differences between two catalog versions",
  tags,
  ...viewer,
  request: { query: DiffQuery },
  responses: { 200: jsonContent(CatalogDiffView), ...errorResponses({ role: "viewer", path: "/{version}" }) },
});
const stix = createRoute({
  method: "get",
  path: "/export/stix",
  summary: "The catalog as a STIX 2.1 bundle (a download)",
  tags,
  ...viewer,
  responses: {
    200: { description: "A STIX 2.1 bundle", content: { "application/json": { schema: { type: "object" as const } } } },
    ...errors,
  },
});
const layer = createRoute({
  method: "post",
  path: "/layer",
  summary: "ATT&CK Navigator layers (attack and full) from technique scores",
  tags,
  ...viewer,
  request: { body: jsonBody(LayerRequest) },
  responses: { 200: jsonContent(Layers), ...errorResponses({ role: "viewer", body: true }) },
});
const importPreview = createRoute({
  method: "post",
  path: "/import",
  summary:
    "Preview importing an ATT&CK-format STIX 2.0/2.1 bundle: report and diff (the served catalog is not changed)",
  tags,
  ...access("admin"),
  request: { query: CatalogImportQuery, body: jsonBody(StixBundle, "an ATT&CK-format STIX 2.0/2.1 bundle") },
  responses: { 200: jsonContent(ImportPreview), ...errorResponses({ role: "admin", body: true }) },
});
const matrix = createRoute({
  method: "get",
  path: "/matrix",
  summary: "Tactics with their techniques and incident counts per technique",
  tags,
  ...viewer,
  request: { query: MatrixQuery },
  responses: { 200: jsonContent(Matrix), ...errors },
});

export function catalogRoutes(deps: ServerDeps) {
  const catalog = deps.catalog;
  const releasesDir = deps.releasesDir ?? BUILTIN_RELEASES_DIR;
  // Serialised, UTF-8 encoded responses of fixed views (stats, lists, details, diffs, STIX).
  const cache = new Map<string, Uint8Array>();
  const cached = <T>(key: string, make: () => T): Uint8Array => {
    let v = cache.get(key);
    if (v === undefined) {
      v = Buffer.from(safeJsonText(make()));
      if (cache.size < 1000) cache.set(key, v);
    }
    return v;
  };
  // Search results by query: bounded, oldest entry dropped first (Map keeps insertion order).
  const searches = new Map<string, Uint8Array>();
  const openRef = (ref: string): Catalog => (ref === "current" ? catalog : openCatalogRef(ref, { releasesDir }));

  const loadedInfo = loadedCatalogInfo(catalog, { catalogDir: deps.catalogDir });
  const loaded = { ...loadedInfo, summary: describeLoadedCatalog(loadedInfo) };
  return (
    routeApp()
      .openapi(info, (c) => json(c, loaded))
      .openapi(overview, (c) =>
        jsonText<CatalogOverview>(
          c,
          cached(
            "stats",
            (): CatalogOverview => ({ ...catalog.stats(), meta: catalog.meta, tactics: [...catalog.tactics] }),
          ),
        ),
      )
      .openapi(techniques, (c) => {
        const q = c.req.valid("query");
        const key = `list:${q.tactic ?? ""}:${q.includeRevoked ? 1 : 0}`;
        return jsonText<z.infer<typeof TechniqueList>>(
          c,
          cached(key, () => {
            const list = q.tactic === undefined ? catalog.techniques : catalog.byTactic(q.tactic);
            const items = list.filter((t) => q.includeRevoked || t.status !== "revoked").map(techniqueSummary);
            return { catalogVersion: catalog.meta.version, total: items.length, items };
          }),
        );
      })
      .openapi(technique, (c) => {
        const t = catalog.require(c.req.valid("param").id);
        return jsonText<TechniqueDetail>(
          c,
          cached(
            `t:${t.id}`,
            (): TechniqueDetail => ({
              ...t,
              tacticNames: t.tactics.map((id) => ({ id, name: catalog.tactic(id)?.name ?? id })),
              parentName: t.parent ? (catalog.technique(t.parent)?.name ?? null) : null,
              subtechniques: catalog.subtechniques(t.id).map(techniqueSummary),
              mitigationNames: t.mitigations.map((m) => ({ ...m, name: catalog.mitigation(m.id)?.name ?? m.id })),
              replacement: t.revokedBy ? techniqueSummary(catalog.require(t.revokedBy)) : null,
              source: techniqueSource(t.id),
              overlayAdditions: catalog.overlay?.patched[t.id] ?? null,
            }),
          ),
        );
      })
      .openapi(search, (c) => {
        const q = c.req.valid("query");
        const key = `${q.limit}:${q.includeRevoked ? 1 : 0}:${q.q}`;
        let body = searches.get(key);
        if (body === undefined) {
          const hits = searchCatalog(catalog, q.q, { limit: q.limit, includeRevoked: q.includeRevoked ?? false });
          body = Buffer.from(
            safeJsonText({
              query: q.q,
              items: hits.map((h) => ({ ...techniqueSummary(h.technique), score: h.score, matched: h.matched })),
            }),
          );
          if (searches.size >= 2000) searches.delete(searches.keys().next().value as string);
          searches.set(key, body);
        }
        return jsonText<z.infer<typeof SearchResult>>(c, body);
      })
      .openapi(byEvent, (c) => {
        const name = c.req.valid("param").name;
        const items = catalog.byEvent(name).map(techniqueSummary);
        if (items.length === 0)
          throw new TechtrailError("NOT_FOUND", `no technique lists the event ${name}`, { details: { event: name } });
        return json(c, { event: name, items });
      })
      .openapi(releases, (c) => json(c, { current: catalog.meta.version, releases: listReleases(releasesDir) }))
      .openapi(diff, (c) => {
        const q = c.req.valid("query");
        return jsonText<CatalogDiffView>(
          c,
          cached(`diff:${q.from}:${q.to}`, () => diffToJson(diffCatalogs(openRef(q.from), openRef(q.to)))),
        );
      })
      .openapi(stix, (c) => {
        let text = cache.get("stix");
        if (text === undefined) {
          text = Buffer.from(serializeStix(exportStix(catalog)));
          cache.set("stix", text);
        }
        return c.body(text as Uint8Array<ArrayBuffer>, 200, {
          "Content-Type": "application/json; charset=UTF-8",
          "Content-Disposition": `attachment; filename="techtrail-catalog-${catalog.meta.version}.stix.json"`,
        });
      })
      .openapi(layer, (c) => {
        const body = c.req.valid("json");
        const scores = Array.isArray(body.scores)
          ? Object.fromEntries(body.scores.map((s) => [s.id, s.score]))
          : body.scores;
        const opts: Parameters<typeof buildNavigatorLayers>[2] = {};
        if (body.name !== undefined) opts.name = body.name;
        if (body.description !== undefined) opts.description = body.description;
        if (body.aggregate !== undefined) opts.aggregate = body.aggregate;
        return json(c, buildNavigatorLayers(catalog, scores, opts));
      })
      // Admin: what importing a third-party ATT&CK bundle would change (a preview; the served catalog is never
      // modified at runtime: apply with `techtrail catalog import` and restart).
      .openapi(
        { ...importPreview, middleware: [...importPreview.middleware, limitBody(deps.limits.uploadBytes)] },
        (c) => {
          const { catalog: merged, report } = importStix(catalog, c.req.valid("json"), {
            source: c.req.valid("query").source,
            file: "upload",
          });
          return json(c, { applied: false as const, report, diff: diffToJson(diffCatalogs(catalog, merged)) });
        },
      )
      .openapi(matrix, async (c) => {
        const q = c.req.valid("query");
        const { counts, parentCounts, total } = await matrixCounts(deps.store, analyticsFilter(q));
        return json(
          c,
          buildMatrix(catalog, counts, {
            totalIncidents: total,
            parentCounts,
            includeRevoked: q.includeRevoked ?? false,
          }),
        );
      })
  );
}
