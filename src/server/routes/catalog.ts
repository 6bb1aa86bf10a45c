// Catalog routes (read: viewer): stats, technique list and detail, search, event lookup, releases, diff,
// STIX export, Navigator layers from scores, and the matrix view with incident counts per technique.
// The catalog is immutable while the server runs, so list responses are serialised once and cached.
import { Hono } from "hono";
import { z } from "zod";
import type { AnalyticsSource } from "../../analytics/query.js";
import type { Catalog } from "../../catalog/catalog.js";
import { diffCatalogs, diffToJson } from "../../catalog/diff.js";
import { buildNavigatorLayers, LayerScores } from "../../catalog/layer.js";
import { BUILTIN_RELEASES_DIR, listReleases, openCatalogRef } from "../../catalog/load.js";
import { CATALOG_VERSION_RE } from "../../catalog/model.js";
import { searchCatalog } from "../../catalog/search.js";
import { exportStix, importStix, serializeStix } from "../../catalog/stix.js";
import { TechtrailError } from "../../core/errors.js";
import { type AppEnv, requireRole, type ServerDeps } from "../context.js";
import { json, jsonText, limitBody, readJson, readJsonValue, readQuery, safeJsonText } from "../http.js";
import { buildMatrix, matrixCounts, techniqueSummary } from "../views.js";
import { AnalyticsQuery, analyticsFilter } from "./analytics.js";

const flag = z.enum(["0", "1", "true", "false"]).transform((v) => v === "1" || v === "true");

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

export function catalogRoutes(deps: ServerDeps): Hono<AppEnv> {
  const r = new Hono<AppEnv>();
  const catalog = deps.catalog;
  const releasesDir = deps.releasesDir ?? BUILTIN_RELEASES_DIR;
  const viewer = requireRole("viewer");
  // Serialised, UTF-8 encoded responses of fixed views (stats, lists, details, diffs, STIX).
  const cache = new Map<string, Uint8Array>();
  const cached = (key: string, make: () => unknown): Uint8Array => {
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

  r.get("/", viewer, (c) =>
    jsonText(
      c,
      cached("stats", () => ({ ...catalog.stats(), meta: catalog.meta, tactics: catalog.tactics })),
    ),
  );

  r.get("/techniques", viewer, (c) => {
    const q = readQuery(c, TechniqueListQuery);
    const key = `list:${q.tactic ?? ""}:${q.includeRevoked ? 1 : 0}`;
    return jsonText(
      c,
      cached(key, () => {
        const list = q.tactic === undefined ? catalog.techniques : catalog.byTactic(q.tactic);
        const items = list.filter((t) => q.includeRevoked || t.status !== "revoked").map(techniqueSummary);
        return { catalogVersion: catalog.meta.version, total: items.length, items };
      }),
    );
  });

  r.get("/techniques/:id", viewer, (c) => {
    const t = catalog.require(c.req.param("id"));
    return jsonText(
      c,
      cached(`t:${t.id}`, () => ({
        ...t,
        tacticNames: t.tactics.map((id) => ({ id, name: catalog.tactic(id)?.name ?? id })),
        parentName: t.parent ? (catalog.technique(t.parent)?.name ?? null) : null,
        subtechniques: catalog.subtechniques(t.id).map(techniqueSummary),
        mitigationNames: t.mitigations.map((m) => ({ ...m, name: catalog.mitigation(m.id)?.name ?? m.id })),
        replacement: t.revokedBy ? techniqueSummary(catalog.require(t.revokedBy)) : null,
      })),
    );
  });

  r.get("/search", viewer, (c) => {
    const q = readQuery(c, SearchQuery);
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
    return jsonText(c, body);
  });

  r.get("/event/:name", viewer, (c) => {
    const name = c.req.param("name");
    const items = catalog.byEvent(name).map(techniqueSummary);
    if (items.length === 0)
      throw new TechtrailError("NOT_FOUND", `no technique lists the event ${name}`, { details: { event: name } });
    return json(c, { event: name, items });
  });

  r.get("/releases", viewer, (c) => json(c, { current: catalog.meta.version, releases: listReleases(releasesDir) }));

  r.get("/diff", viewer, (c) => {
    const q = readQuery(c, DiffQuery);
    return jsonText(
      c,
      cached(`diff:${q.from}:${q.to}`, () => diffToJson(diffCatalogs(openRef(q.from), openRef(q.to)))),
    );
  });

  r.get("/export/stix", viewer, (c) => {
    let text = cache.get("stix");
    if (text === undefined) {
      text = Buffer.from(serializeStix(exportStix(catalog)));
      cache.set("stix", text);
    }
    return c.body(text as Uint8Array<ArrayBuffer>, 200, {
      "Content-Type": "application/json; charset=UTF-8",
      "Content-Disposition": `attachment; filename="techtrail-catalog-${catalog.meta.version}.stix.json"`,
    });
  });

  r.post("/layer", viewer, async (c) => {
    const body = await readJson(c, LayerRequest);
    const scores = Array.isArray(body.scores)
      ? Object.fromEntries(body.scores.map((s) => [s.id, s.score]))
      : body.scores;
    const opts: Parameters<typeof buildNavigatorLayers>[2] = {};
    if (body.name !== undefined) opts.name = body.name;
    if (body.description !== undefined) opts.description = body.description;
    if (body.aggregate !== undefined) opts.aggregate = body.aggregate;
    return json(c, buildNavigatorLayers(catalog, scores, opts));
  });

  // Admin: what importing a third-party ATT&CK bundle would change (a preview; the served catalog is never
  // modified at runtime: apply with `techtrail catalog import` and restart).
  r.post("/import", requireRole("admin"), limitBody(deps.limits.uploadBytes), async (c) => {
    const q = readQuery(c, CatalogImportQuery);
    const bundle = await readJsonValue(c);
    const { catalog: merged, report } = importStix(catalog, bundle, { source: q.source, file: "upload" });
    return json(c, { applied: false, report, diff: diffToJson(diffCatalogs(catalog, merged)) });
  });

  r.get("/matrix", viewer, async (c) => {
    const q = readQuery(c, MatrixQuery);
    const { counts, parentCounts, total } = await matrixCounts(
      deps.store as unknown as AnalyticsSource,
      analyticsFilter(q),
    );
    return json(
      c,
      buildMatrix(catalog, counts, { totalIncidents: total, parentCounts, includeRevoked: q.includeRevoked ?? false }),
    );
  });

  return r;
}
