// The incident list's filters as they live in the address (#/incidents?status=open&q=key) and their translation
// to the typed query of GET /api/incidents (and /export): empty fields are no filter, and values a select would
// never produce are dropped rather than sent.
import { DEMO_PARAMS, INCIDENT_SORTS, type IncidentQuery } from "./api-types";

export const FILTER_FIELDS = [
  "q",
  "status",
  "severity",
  "technique",
  "tactic",
  "actor",
  "demo",
  "sort",
  "order",
] as const;
export type FilterField = (typeof FILTER_FIELDS)[number];
export type Filters = Record<FilterField, string>;

export const NO_FILTERS = Object.fromEntries(FILTER_FIELDS.map((f) => [f, ""])) as Filters;

export function filtersOf(query: URLSearchParams): Filters {
  return Object.fromEntries(FILTER_FIELDS.map((f) => [f, query.get(f) ?? ""])) as Filters;
}

const oneOf = <T extends string>(values: readonly T[], v: string): T | undefined => values.find((x) => x === v);

/** The API query for the filters (without paging). */
export function incidentQuery(f: Filters): Omit<IncidentQuery, "limit" | "offset"> {
  return {
    q: f.q.trim(),
    status: f.status,
    severity: f.severity,
    technique: f.technique.trim(),
    tactic: f.tactic,
    actor: f.actor.trim(),
    demo: oneOf(DEMO_PARAMS, f.demo),
    sort: oneOf(INCIDENT_SORTS, f.sort),
    order: oneOf(["asc", "desc"] as const, f.order),
  };
}
