// View models the web UI needs that are compositions of library results (each a zod schema with its inferred
// type, also used by the OpenAPI document): technique summaries and the tactic × technique matrix with incident
// counts per technique.
import { z } from "zod";
import { type AnalyticsFilterInput, parseAnalyticsFilter } from "../analytics/model.js";
import { type AnalyticsSource, incidentTechniqueLists, scopeOf } from "../analytics/query.js";
import type { Catalog } from "../catalog/catalog.js";
import { CatalogDiffJson } from "../catalog/diff.js";
import { CatalogMeta, OverlayAdditions, Tactic, Technique, TechniqueStatus } from "../catalog/model.js";
import { techniqueSource } from "../catalog/overlay.js";

/** `overlay`: defined by the team overlay loaded on top of the catalog (docs/catalog-overlays.md). */
export const TechniqueSource = z.enum(["catalog", "overlay"]);

export const TechniqueSummary = z.object({
  id: z.string(),
  name: z.string(),
  tactics: z.array(z.string()),
  parent: z.string().nullable(),
  status: TechniqueStatus,
  services: z.array(z.string()),
  events: z.array(z.string()),
  aliases: z.array(z.string()),
  source: TechniqueSource,
});
export type TechniqueSummary = z.infer<typeof TechniqueSummary>;

export function techniqueSummary(t: Technique): TechniqueSummary {
  return {
    id: t.id,
    name: t.name,
    tactics: t.tactics,
    parent: t.parent ?? null,
    status: t.status,
    services: t.services,
    events: t.events,
    aliases: t.aliases,
    source: techniqueSource(t.id),
  };
}

export const MatrixCell = z.object({
  id: z.string(),
  name: z.string(),
  status: TechniqueStatus,
  source: TechniqueSource,
  /** Incidents tagged with exactly this technique. */
  incidents: z.number().int(),
  /** Incidents tagged with this technique or one of its sub-techniques (counted once each). */
  incidentsWithSubtechniques: z.number().int(),
  subtechniques: z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      status: TechniqueStatus,
      source: TechniqueSource,
      incidents: z.number().int(),
    }),
  ),
});
export type MatrixCell = z.infer<typeof MatrixCell>;

export const Matrix = z.object({
  catalogVersion: z.string(),
  /** Incidents matching the filter (with or without technique tags). */
  totalIncidents: z.number().int(),
  /** Largest incidentsWithSubtechniques of any cell, for colour scales. */
  maxIncidents: z.number().int(),
  tactics: z.array(
    z.object({ id: z.string(), shortname: z.string(), name: z.string(), techniques: z.array(MatrixCell) }),
  ),
});
export type Matrix = z.infer<typeof Matrix>;

/**
 * Tactics as columns in kill-chain order, top-level techniques as cells, sub-techniques nested. A technique
 * listed under several tactics appears in each column. `parentCounts` (from matrixCounts) counts an incident
 * once per parent even when it carries several of its sub-techniques.
 */
export function buildMatrix(
  catalog: Catalog,
  counts: Map<string, number>,
  opts: { totalIncidents: number; parentCounts?: Map<string, number>; includeRevoked?: boolean },
): Matrix {
  let maxIncidents = 0;
  const tactics = catalog.tactics.map((ta) => {
    const techniques = catalog
      .byTactic(ta.id)
      .filter((t) => t.parent === undefined && (opts.includeRevoked || t.status !== "revoked"))
      .map((t): MatrixCell => {
        const subs = catalog
          .subtechniques(t.id)
          .filter((s) => opts.includeRevoked || s.status !== "revoked")
          .map((s) => ({
            id: s.id,
            name: s.name,
            status: s.status,
            source: techniqueSource(s.id),
            incidents: counts.get(s.id) ?? 0,
          }));
        const own = counts.get(t.id) ?? 0;
        const rolled = opts.parentCounts?.get(t.id) ?? own + subs.reduce((n, s) => n + s.incidents, 0);
        maxIncidents = Math.max(maxIncidents, rolled);
        return {
          id: t.id,
          name: t.name,
          status: t.status,
          source: techniqueSource(t.id),
          incidents: own,
          incidentsWithSubtechniques: rolled,
          subtechniques: subs,
        };
      });
    return { id: ta.id, shortname: ta.shortname, name: ta.name, techniques };
  });
  return { catalogVersion: catalog.meta.version, totalIncidents: opts.totalIncidents, maxIncidents, tactics };
}

/** Exact per-technique counts plus per-parent counts where an incident counts once per parent. */
export async function matrixCounts(
  src: AnalyticsSource,
  filter: AnalyticsFilterInput = {},
): Promise<{ counts: Map<string, number>; parentCounts: Map<string, number>; total: number }> {
  const f = parseAnalyticsFilter(filter);
  const counts = new Map<string, number>();
  const parentCounts = new Map<string, number>();
  const [scope, lists] = await Promise.all([scopeOf(src, f), incidentTechniqueLists(src, f)]);
  for (const i of lists) {
    const parents = new Set<string>();
    for (const id of new Set(i.techniques)) {
      counts.set(id, (counts.get(id) ?? 0) + 1);
      parents.add(id.split(".")[0] as string);
    }
    for (const p of parents) parentCounts.set(p, (parentCounts.get(p) ?? 0) + 1);
  }
  return { counts, parentCounts, total: scope.incidents };
}

/** GET /api/catalog: the counts of Catalog.stats(), with the tactics themselves and the catalog metadata. */
export const CatalogOverview = z.object({
  version: z.string(),
  name: z.string(),
  techniques: z.number().int(),
  activeTechniques: z.number().int(),
  subtechniques: z.number().int(),
  techniquesWithEvents: z.number().int(),
  events: z.number().int(),
  mitigations: z.number().int(),
  dataSources: z.number().int(),
  deprecated: z.number().int(),
  revoked: z.number().int(),
  perTactic: z.record(z.string(), z.number().int()),
  meta: CatalogMeta,
  tactics: z.array(Tactic),
});
export type CatalogOverview = z.infer<typeof CatalogOverview>;

/** A technique with the names the UI shows next to IDs: tactics, parent, sub-techniques, mitigations. */
export const TechniqueDetail = z.object({
  ...Technique.shape,
  tacticNames: z.array(z.object({ id: z.string(), name: z.string() })),
  parentName: z.string().nullable(),
  subtechniques: z.array(TechniqueSummary),
  mitigationNames: z.array(z.object({ id: z.string(), how: z.string(), name: z.string() })),
  replacement: TechniqueSummary.nullable(),
  source: TechniqueSource,
  /** What the loaded overlay added to this catalog technique (also merged into the fields above), if anything. */
  overlayAdditions: OverlayAdditions.nullable(),
});
export type TechniqueDetail = z.infer<typeof TechniqueDetail>;

export const SearchHit = TechniqueSummary.extend({ score: z.number(), matched: z.array(z.string()) });
export type SearchHit = z.infer<typeof SearchHit>;
export const SearchResult = z.object({ query: z.string(), items: z.array(SearchHit) });

export const EventTechniques = z.object({ event: z.string(), items: z.array(TechniqueSummary) });
export const Releases = z.object({ current: z.string(), releases: z.array(z.string()) });

/** What changed between two catalog versions (diffToJson); the schema lives with the diff. */
export const CatalogDiffView = CatalogDiffJson;
export type CatalogDiffView = z.infer<typeof CatalogDiffView>;
