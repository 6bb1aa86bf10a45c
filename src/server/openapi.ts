// The OpenAPI 3.1 document of the HTTP API, generated from the same zod schemas the routes validate with
// (z.toJSONSchema, JSON Schema 2020-12 as OpenAPI 3.1 uses). ROUTES is the list of documented endpoints; a test
// checks it against the routes the app really serves.
import { z } from "zod";
import {
  ActorMatch,
  ActorsResult,
  CooccurrenceResult,
  FrequencyResult,
  PathsResult,
  TimingResult,
  TrendResult,
} from "../analytics/model.js";
import { ApiToken, LoginRequest, NewToken, NewUser, PasswordChange, User, UserPatch } from "../auth/model.js";
import { CatalogMeta, Technique } from "../catalog/model.js";
import { CoverageResult } from "../coverage/coverage.js";
import { AuditEntry, Incident, IncidentSummary, NewIncident } from "../incidents/model.js";
import { GapsResult } from "../playbooks/gaps.js";
import { ErrorBody } from "./errors.js";
import { AnalyticsQuery, ReportQuery } from "./routes/analytics.js";
import {
  CatalogImportQuery,
  DiffQuery,
  LayerRequest,
  MatrixQuery,
  SearchQuery,
  TechniqueListQuery,
} from "./routes/catalog.js";
import {
  CloseBody,
  ImportQuery,
  IncidentEdit,
  IncidentExportQuery,
  IncidentListQuery,
  TagBody,
} from "./routes/incidents.js";
import { ScanQuery } from "./routes/scan.js";
import { TokenListQuery } from "./routes/users.js";
import { Matrix, TechniqueSummary } from "./views.js";

export interface RouteDoc {
  method: "get" | "post" | "patch" | "delete" | "put";
  /** OpenAPI path with {param} placeholders. */
  path: string;
  summary: string;
  tag: string;
  /** Minimum role; "public" needs no sign-in. */
  role: "public" | "viewer" | "responder" | "admin";
  query?: z.ZodObject;
  body?: z.ZodType;
  /** Other request body media types (CSV, multipart). */
  bodyTypes?: Record<string, { description: string }>;
  response?: z.ZodType;
  status?: number;
  /** Non-JSON response types. */
  responseTypes?: string[];
}

const Ok = z.object({ ok: z.boolean() });
const Items = (item: z.ZodType) => z.object({ items: z.array(item) });

const ROUTE_LIST: RouteDoc[] = [];

/** Adds documented routes (route modules call this at import time for their own endpoints). */
export function documentRoutes(...routes: RouteDoc[]): void {
  ROUTE_LIST.push(...routes);
}

documentRoutes(
  { method: "get", path: "/api/health", summary: "Liveness and versions", tag: "service", role: "public" },
  { method: "get", path: "/api/openapi.json", summary: "This document", tag: "service", role: "public" },
  {
    method: "post",
    path: "/api/auth/login",
    summary: "Sign in: sets the HttpOnly session cookie and returns the CSRF token",
    tag: "auth",
    role: "public",
    body: LoginRequest,
  },
  { method: "post", path: "/api/auth/logout", summary: "End the session", tag: "auth", role: "viewer", response: Ok },
  {
    method: "get",
    path: "/api/auth/me",
    summary: "The signed-in user, role and CSRF token",
    tag: "auth",
    role: "viewer",
  },
  {
    method: "post",
    path: "/api/auth/password",
    summary: "Change one's own password",
    tag: "auth",
    role: "viewer",
    body: PasswordChange,
  },
  { method: "get", path: "/api/users", summary: "List users", tag: "admin", role: "admin", response: Items(User) },
  {
    method: "post",
    path: "/api/users",
    summary: "Create a user (a password is generated and returned once when none is given)",
    tag: "admin",
    role: "admin",
    body: NewUser,
    status: 201,
  },
  { method: "get", path: "/api/users/{name}", summary: "One user", tag: "admin", role: "admin", response: User },
  {
    method: "patch",
    path: "/api/users/{name}",
    summary: "Change role, password or disabled flag",
    tag: "admin",
    role: "admin",
    body: UserPatch,
    response: User,
  },
  {
    method: "delete",
    path: "/api/users/{name}",
    summary: "Delete a user",
    tag: "admin",
    role: "admin",
    response: User,
  },
  {
    method: "get",
    path: "/api/tokens",
    summary: "List API tokens",
    tag: "admin",
    role: "admin",
    query: TokenListQuery,
    response: Items(ApiToken),
  },
  {
    method: "post",
    path: "/api/tokens",
    summary: "Create an API token (the secret is returned once)",
    tag: "admin",
    role: "admin",
    body: NewToken,
    status: 201,
  },
  {
    method: "delete",
    path: "/api/tokens/{id}",
    summary: "Revoke an API token",
    tag: "admin",
    role: "admin",
    response: ApiToken,
  },
  {
    method: "get",
    path: "/api/catalog",
    summary: "Catalog statistics, metadata and tactics",
    tag: "catalog",
    role: "viewer",
    response: z.object({ meta: CatalogMeta }).loose(),
  },
  {
    method: "get",
    path: "/api/catalog/techniques",
    summary: "Technique summaries, optionally of one tactic",
    tag: "catalog",
    role: "viewer",
    query: TechniqueListQuery,
    response: z.object({ catalogVersion: z.string(), total: z.number(), items: z.array(TechniqueSummary) }),
  },
  {
    method: "get",
    path: "/api/catalog/techniques/{id}",
    summary: "One technique with sub-techniques, tactic and mitigation names",
    tag: "catalog",
    role: "viewer",
    response: Technique,
  },
  {
    method: "get",
    path: "/api/catalog/search",
    summary: "Ranked search by name, alias, description, events",
    tag: "catalog",
    role: "viewer",
    query: SearchQuery,
  },
  {
    method: "get",
    path: "/api/catalog/event/{name}",
    summary: "Techniques revealed by a CloudTrail event (CreateAccessKey or iam:CreateAccessKey)",
    tag: "catalog",
    role: "viewer",
  },
  { method: "get", path: "/api/catalog/releases", summary: "Shipped catalog releases", tag: "catalog", role: "viewer" },
  {
    method: "get",
    path: "/api/catalog/diff",
    summary: "Differences between two catalog versions",
    tag: "catalog",
    role: "viewer",
    query: DiffQuery,
  },
  {
    method: "get",
    path: "/api/catalog/export/stix",
    summary: "The catalog as a STIX 2.1 bundle",
    tag: "catalog",
    role: "viewer",
  },
  {
    method: "post",
    path: "/api/catalog/layer",
    summary: "ATT&CK Navigator layers (attack and full) from technique scores",
    tag: "catalog",
    role: "viewer",
    body: LayerRequest,
  },
  {
    method: "post",
    path: "/api/catalog/import",
    summary:
      "Preview importing an ATT&CK-format STIX 2.0/2.1 bundle: report and diff (the served catalog is not changed)",
    tag: "catalog",
    role: "admin",
    query: CatalogImportQuery,
    bodyTypes: { "application/json": { description: "a STIX bundle" } },
  },
  {
    method: "get",
    path: "/api/catalog/matrix",
    summary: "Tactics with their techniques and incident counts per technique",
    tag: "catalog",
    role: "viewer",
    query: MatrixQuery,
    response: Matrix,
  },
  {
    method: "get",
    path: "/api/incidents",
    summary: "Incident summaries with filters and paging",
    tag: "incidents",
    role: "viewer",
    query: IncidentListQuery,
    response: z.object({ items: z.array(IncidentSummary), total: z.number(), limit: z.number(), offset: z.number() }),
  },
  {
    method: "post",
    path: "/api/incidents",
    summary: "Create an incident (key assigned when absent)",
    tag: "incidents",
    role: "responder",
    body: NewIncident,
    response: Incident,
    status: 201,
  },
  {
    method: "get",
    path: "/api/incidents/{key}",
    summary: "One incident",
    tag: "incidents",
    role: "viewer",
    response: Incident,
  },
  {
    method: "patch",
    path: "/api/incidents/{key}",
    summary: "Change fields (by CSV column name; lists take add/remove)",
    tag: "incidents",
    role: "responder",
    body: IncidentEdit,
  },
  {
    method: "delete",
    path: "/api/incidents/{key}",
    summary: "Delete an incident (its history stays)",
    tag: "incidents",
    role: "responder",
    response: Incident,
  },
  {
    method: "post",
    path: "/api/incidents/{key}/close",
    summary: "Close an incident",
    tag: "incidents",
    role: "responder",
    body: CloseBody,
  },
  {
    method: "post",
    path: "/api/incidents/{key}/techniques",
    summary: "Add, update or remove technique tags",
    tag: "incidents",
    role: "responder",
    body: TagBody,
  },
  {
    method: "get",
    path: "/api/incidents/{key}/history",
    summary: "Audit trail of an incident",
    tag: "incidents",
    role: "viewer",
    response: z.object({ key: z.string(), items: z.array(AuditEntry) }),
  },
  {
    method: "post",
    path: "/api/incidents/import",
    summary: "Import incidents from JSON or CSV: all records or none",
    tag: "incidents",
    role: "responder",
    query: ImportQuery,
    bodyTypes: {
      "application/json": { description: "techtrail-incidents/1 JSON or an array of incidents" },
      "text/csv": { description: "one incident per row (columns as in export)" },
    },
    status: 201,
  },
  {
    method: "get",
    path: "/api/incidents/export",
    summary: "Export incidents as JSON or CSV",
    tag: "incidents",
    role: "viewer",
    query: IncidentExportQuery,
    responseTypes: ["text/csv"],
  },
  {
    method: "post",
    path: "/api/scan",
    summary: "Scan uploaded CloudTrail files (multipart field `file`); ?createIncident=1 stores a draft incident",
    tag: "scan",
    role: "responder",
    query: ScanQuery,
    bodyTypes: { "multipart/form-data": { description: "one or more files in the field `file` (plain names only)" } },
  },
  ...(
    [
      ["/api/stats/frequency", "Incidents per technique and tactic with their share", FrequencyResult],
      ["/api/stats/trend", "Quarterly technique trend (quarter = current quarter, quarters = how many)", TrendResult],
      [
        "/api/stats/cooccurrence",
        "Technique pairs seen together (minCount, limit, sort=count|lift)",
        CooccurrenceResult,
      ],
      ["/api/stats/paths", "Tactic paths and transitions", PathsResult],
      ["/api/stats/actors", "Threat actor technique profiles", ActorsResult],
      ["/api/stats/actors/match/{key}", "Actors whose profile resembles an incident", ActorMatch],
      ["/api/stats/timing", "Time to detect and contain, by detection source", TimingResult],
      ["/api/stats/mitigations", "Mitigations ranked by the incidents they would have addressed", undefined],
      ["/api/playbooks/gaps", "Techniques seen in incidents without an active, reviewed playbook", GapsResult],
      ["/api/coverage", "Detection coverage of a built-in monitoring profile, weighted by incidents", CoverageResult],
    ] as Array<[string, string, z.ZodType | undefined]>
  ).map(
    ([path, summary, response]): RouteDoc => ({
      method: "get",
      path,
      summary,
      tag: "analytics",
      role: "viewer",
      query: AnalyticsQuery,
      ...(response ? { response } : {}),
    }),
  ),
  {
    method: "get",
    path: "/api/reports",
    summary: "Quarterly (or from/to) report as JSON, Markdown or self-contained HTML",
    tag: "analytics",
    role: "viewer",
    query: ReportQuery,
    responseTypes: ["text/markdown", "text/html"],
  },
  { method: "get", path: "/api/playbooks", summary: "Response playbooks", tag: "analytics", role: "viewer" },
  { method: "get", path: "/api/playbooks/{id}", summary: "One playbook", tag: "analytics", role: "viewer" },
  {
    method: "get",
    path: "/api/coverage/profiles",
    summary: "Built-in monitoring profile names",
    tag: "analytics",
    role: "viewer",
  },
);

type JsonSchema = Record<string, unknown>;

function schemaOf(s: z.ZodType, io: "input" | "output"): JsonSchema {
  const js = z.toJSONSchema(s, { io, unrepresentable: "any", target: "draft-2020-12" }) as JsonSchema;
  delete js.$schema;
  return js;
}

const ErrorSchema: JsonSchema = schemaOf(ErrorBody, "output");

let cached: JsonSchema | undefined;

/** The documented routes (for tests that compare them with the app's routes). */
export function documentedRoutes(): readonly RouteDoc[] {
  return ROUTE_LIST;
}

export function openApiDocument(): JsonSchema {
  if (cached) return cached;
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of ROUTE_LIST) {
    const op: Record<string, unknown> = {
      summary: r.summary,
      tags: [r.tag],
      operationId: `${r.method}${r.path.replace(/[{}]/g, "").replace(/[^A-Za-z0-9]+(.)?/g, (_, ch: string = "") => ch.toUpperCase())}`,
      "x-role": r.role,
    };
    if (r.role === "public") op.security = [];
    const params: unknown[] = [];
    for (const m of r.path.matchAll(/\{(\w+)\}/g))
      params.push({ name: m[1], in: "path", required: true, schema: { type: "string" } });
    if (r.query) {
      const js = schemaOf(r.query, "input");
      const props = (js.properties ?? {}) as Record<string, JsonSchema>;
      const required = new Set((js.required as string[] | undefined) ?? []);
      for (const [name, schema] of Object.entries(props))
        params.push({ name, in: "query", required: required.has(name), schema });
    }
    if (params.length) op.parameters = params;
    const content: Record<string, unknown> = {};
    if (r.body) content["application/json"] = { schema: schemaOf(r.body, "input") };
    for (const [type, v] of Object.entries(r.bodyTypes ?? {}))
      content[type] = { schema: { type: "string", description: v.description } };
    if (Object.keys(content).length) op.requestBody = { required: true, content };
    const okContent: Record<string, unknown> = {
      "application/json": { schema: r.response ? schemaOf(r.response, "output") : { type: "object" } },
    };
    for (const t of r.responseTypes ?? []) okContent[t] = { schema: { type: "string" } };
    const err = (description: string) => ({
      description,
      content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
    });
    const responses: Record<string, unknown> = { [String(r.status ?? 200)]: { description: "OK", content: okContent } };
    responses["400"] = err("Invalid input (malformed JSON, wrong types; details.problems names the fields)");
    if (r.role !== "public") {
      responses["401"] = err("Not signed in");
      responses["403"] = err("Role too low, or missing/wrong CSRF token on a cookie-authenticated write");
    }
    if (r.path.includes("{")) responses["404"] = err("Unknown ID");
    if (r.body || r.bodyTypes) responses["413"] = err("Body too large");
    if (r.path === "/api/auth/login") responses["429"] = err("Too many failed sign-ins");
    op.responses = responses;
    paths[r.path] ??= {};
    (paths[r.path] as Record<string, unknown>)[r.method] = op;
  }
  cached = {
    openapi: "3.1.0",
    info: {
      title: "techtrail API",
      version: "0.1.0",
      description:
        "Threat-technique catalog, incident register, CloudTrail scanning and analytics for AWS incident response. " +
        "Authenticate with the session cookie from POST /api/auth/login (send X-CSRF-Token on writes) or with " +
        "`Authorization: Bearer tt_...`. Roles: viewer (read), responder (write incidents, scan), admin (users, tokens).",
    },
    servers: [{ url: "/" }],
    security: [{ session: [] }, { bearer: [] }],
    components: {
      securitySchemes: {
        session: { type: "apiKey", in: "cookie", name: "tt_session" },
        bearer: { type: "http", scheme: "bearer", bearerFormat: "tt_..." },
      },
      schemas: { Error: ErrorSchema },
    },
    paths,
  };
  return cached;
}
