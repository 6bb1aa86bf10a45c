// Validation of incidents against the schema and the catalog, and resolution of what a person types
// for a technique (an ID in any case, or a phrase that the catalog search turns into suggestions).
import type { Catalog } from "../catalog/catalog.js";
import { TECHNIQUE_ID_RE } from "../catalog/model.js";
import { type SearchHit, searchCatalog } from "../catalog/search.js";
import { type Problem, TechtrailError, zodProblems } from "../core/errors.js";
import { NewIncident, type NewIncidentInput } from "./model.js";

export interface ValidateOptions {
  /** Where the record came from, for problem locations (file name, `row 12`). */
  source?: string;
  line?: number;
  /** Accept techniques the catalog marks revoked (imports of old data; `remap` moves them later). */
  allowRevoked?: boolean;
}

/** Problems of the techniques of an incident against a catalog (unknown, revoked). */
export function catalogProblems(
  techniques: ReadonlyArray<{ id: string }>,
  catalog: Catalog,
  opts: ValidateOptions = {},
): Problem[] {
  const problems: Problem[] = [];
  techniques.forEach((t, n) => {
    const found = catalog.technique(t.id);
    const at = (message: string) =>
      problems.push(located({ field: `techniques.${n}.id`, message }, opts.source, opts.line));
    if (!found) at(`unknown technique ${t.id} (not in catalog ${catalog.meta.version})`);
    else if (found.status === "revoked" && !opts.allowRevoked)
      at(`technique ${found.id} is revoked${found.revokedBy ? `; use ${found.revokedBy}` : ""}`);
  });
  return problems;
}

function located(p: Problem, source?: string, line?: number): Problem {
  const out: Problem = { ...p };
  if (source !== undefined) out.source = source;
  if (line !== undefined) out.line = line;
  return out;
}

/**
 * Validates one incident record: schema (with the catalog version filled in on techniques that lack it),
 * then catalog membership. Technique IDs come back in the catalog's spelling.
 */
export function checkNewIncident(
  raw: unknown,
  catalog: Catalog,
  opts: ValidateOptions = {},
): { value?: NewIncident; problems: Problem[] } {
  const filled = withCatalogVersion(raw, catalog.meta.version);
  const res = NewIncident.safeParse(filled);
  if (!res.success) {
    return { problems: zodProblems(res.error.issues, opts.source).map((p) => located(p, opts.source, opts.line)) };
  }
  const problems = catalogProblems(res.data.techniques, catalog, opts);
  if (problems.length > 0) return { problems };
  const value = res.data;
  for (const t of value.techniques) t.id = catalog.technique(t.id)?.id ?? t.id;
  return { value, problems: [] };
}

/** Like checkNewIncident but throws one VALIDATION error naming every problem. */
export function validateNewIncident(raw: unknown, catalog: Catalog, opts: ValidateOptions = {}): NewIncident {
  const { value, problems } = checkNewIncident(raw, catalog, opts);
  if (!value) {
    throw new TechtrailError("VALIDATION", `invalid incident${opts.source ? ` in ${opts.source}` : ""}`, {
      problems,
    });
  }
  return value;
}

function withCatalogVersion(raw: unknown, version: string): unknown {
  if (typeof raw !== "object" || raw === null || !Array.isArray((raw as NewIncidentInput).techniques)) return raw;
  const r = raw as Record<string, unknown> & { techniques: unknown[] };
  return {
    ...r,
    techniques: r.techniques.map((t) =>
      typeof t === "object" && t !== null && (t as { catalogVersion?: unknown }).catalogVersion === undefined
        ? { ...t, catalogVersion: version }
        : t,
    ),
  };
}

export type TechniqueResolution =
  | { kind: "id"; id: string }
  | { kind: "suggestions"; query: string; hits: SearchHit[] }
  | { kind: "unknown"; query: string };

/** What a person typed for a technique: a known ID (any case) or a phrase with ranked suggestions. */
export function resolveTechniqueRef(catalog: Catalog, ref: string, limit = 5): TechniqueResolution {
  const q = ref.trim();
  const t = catalog.technique(q);
  if (t) return { kind: "id", id: t.id };
  if (TECHNIQUE_ID_RE.test(q.toUpperCase())) return { kind: "unknown", query: q };
  const hits = searchCatalog(catalog, q, { limit });
  return hits.length > 0 ? { kind: "suggestions", query: q, hits } : { kind: "unknown", query: q };
}

/** Resolves or throws: unknown IDs are NOT_FOUND, phrases list the suggestions (for non-interactive use). */
export function requireTechniqueRef(catalog: Catalog, ref: string): string {
  const r = resolveTechniqueRef(catalog, ref);
  if (r.kind === "id") return r.id;
  if (r.kind === "unknown")
    throw new TechtrailError("NOT_FOUND", `unknown technique "${ref}" (not an ID in catalog ${catalog.meta.version})`, {
      problems: [{ field: "technique", message: `no technique ID or search match for "${ref}"` }],
    });
  throw new TechtrailError(
    "VALIDATION",
    `"${ref}" is not a technique ID; give one of the suggested IDs (or run \`techtrail catalog search\`)`,
    {
      problems: r.hits.map((h) => ({ field: "technique", message: `${h.id}  ${h.name}  (score ${h.score})` })),
      details: { query: ref, suggestions: r.hits.map((h) => ({ id: h.id, name: h.name, score: h.score })) },
    },
  );
}
