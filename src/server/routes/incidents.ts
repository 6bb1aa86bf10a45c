// Incident routes over the incident register (src/register/register.ts): list with filters, create, show, edit,
// close, delete, technique tags, history, import (JSON or CSV, all or nothing) and export. Reads need viewer,
// writes responder; the audit actor is the signed-in user.
import { createRoute } from "@hono/zod-openapi";
import { z } from "zod";
import { COLUMNS } from "../../incidents/io.js";
import {
  AuditEntry,
  Confidence,
  Incident,
  IncidentKey,
  IncidentStatus,
  IncidentSummary,
  NewIncident,
  Severity,
  TechniqueTag,
} from "../../incidents/model.js";
import { IncidentRegister, type ListQuery } from "../../register/register.js";
import { changeContext, type ServerDeps } from "../context.js";
import { DemoParam, demoFilter, Flag as flag, json, limitBody, listParam as list, validationError } from "../http.js";
import { access, errorResponses, jsonBody, jsonContent, rawBody, routeApp } from "../openapi.js";

export const IncidentListQuery = z.strictObject({
  status: list(IncidentStatus).optional(),
  severity: list(Severity).optional(),
  /** Technique IDs (a parent matches its sub-techniques); any matches. */
  technique: list(z.string().min(1)).optional(),
  /** Tactic IDs or names; any technique of any of them matches. */
  tactic: list(z.string().min(1)).optional(),
  actor: z.string().min(1).optional(),
  campaign: z.string().min(1).optional(),
  tag: z.string().min(1).optional(),
  from: z.string().min(1).optional(),
  to: z.string().min(1).optional(),
  demo: DemoParam,
  /** Case-insensitive substring of the title. */
  q: z.string().min(1).max(200).optional(),
  sort: z.enum(["date", "key", "severity"]).optional(),
  order: z.enum(["asc", "desc"]).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(50),
  offset: z.coerce.number().int().min(0).default(0),
});
export const IncidentExportQuery = IncidentListQuery.omit({ limit: true, offset: true }).extend({
  format: z.enum(["json", "csv"]).default("json"),
});
export const ImportQuery = z.strictObject({
  format: z.enum(["json", "csv"]).optional(),
  dryRun: flag.optional(),
  /** Update incidents whose keys exist (only the fields the file gives) instead of refusing them. */
  upsert: flag.optional(),
  /** Column mapping as `source=column,...` (see `techtrail incident import --map`). */
  map: z.string().max(2000).optional(),
});

const Column = z.enum(COLUMNS);
/** Body of PATCH /api/incidents/:key: fields by CSV column name; "" or null clears; lists take add/remove. */
export const IncidentEdit = z.strictObject({
  set: z
    .partialRecord(
      Column,
      z.union([z.string(), z.null()]).transform((v) => v ?? ""),
    )
    .optional(),
  add: z.array(z.tuple([Column, z.string()])).optional(),
  remove: z.array(z.tuple([Column, z.string()])).optional(),
  note: z.string().max(2000).optional(),
});
export const TagBody = z.strictObject({
  techniques: z
    .array(
      z.strictObject({
        id: z.string().trim().min(1),
        confidence: Confidence.optional(),
        evidence: z.string().max(20_000).optional(),
        firstSeen: z.string().optional(),
      }),
    )
    .min(1, "give at least one technique"),
  /** Remove these tags instead of adding them. */
  remove: z.boolean().default(false),
  note: z.string().max(2000).optional(),
});
export const CloseBody = z.strictObject({
  at: z.string().optional(),
  recovered: z.string().optional(),
  lessons: z.string().max(50_000).optional(),
});

/**
 * Body of POST /api/incidents: a NewIncident whose technique tags may leave out catalogVersion (the served
 * catalog's is used). The register then checks the cross-field rules and the technique IDs against the catalog.
 */
export const NewIncidentBody = z.strictObject({
  ...NewIncident.shape,
  techniques: z.array(TechniqueTag.partial({ catalogVersion: true })).default([]),
});
export const IncidentPage = z.object({
  items: z.array(IncidentSummary),
  total: z.number().int(),
  limit: z.number().int(),
  offset: z.number().int(),
});
export type IncidentPage = z.infer<typeof IncidentPage>;
/** A change's result: the incident after it, and whether anything changed. */
export const IncidentChange = z.object({ incident: Incident, changed: z.boolean() });
export const ImportResult = z.object({
  created: z.number().int(),
  keys: z.array(z.string()),
  /** With upsert: incidents changed (one audit row each), their keys, and incidents left as they were. */
  updated: z.number().int(),
  updatedKeys: z.array(z.string()),
  unchanged: z.number().int(),
  dryRun: z.boolean(),
});
export const IncidentHistory = z.object({ key: z.string(), items: z.array(AuditEntry) });
const KeyParam = z.object({ key: IncidentKey });

function listQuery(q: z.output<typeof IncidentExportQuery> | z.output<typeof IncidentListQuery>): ListQuery {
  const out: ListQuery = {};
  if (q.status) out.status = q.status;
  if (q.severity) out.severity = q.severity;
  if (q.technique) out.technique = q.technique;
  if (q.tactic) out.tactic = q.tactic;
  if (q.actor) out.threatActor = q.actor;
  if (q.campaign) out.campaign = q.campaign;
  if (q.tag) out.tag = q.tag;
  if (q.from) out.from = q.from;
  if (q.to) out.to = q.to;
  const demo = demoFilter(q.demo);
  if (demo !== undefined) out.demo = demo;
  if (q.q) out.text = q.q;
  if (q.sort) out.sort = q.sort;
  if (q.order) out.order = q.order;
  if ("limit" in q) {
    out.limit = q.limit;
    out.offset = q.offset;
  }
  return out;
}

const tags = ["incidents"];
const viewer = access("viewer");
const responder = access("responder");
const readErrors = errorResponses({ role: "viewer" });
const keyErrors = errorResponses({ role: "viewer", path: "/{key}" });
const writeErrors = errorResponses({ role: "responder", path: "/{key}", body: true });

const listRoute = createRoute({
  method: "get",
  path: "/",
  summary: "Incident summaries with filters and paging",
  tags,
  ...viewer,
  request: { query: IncidentListQuery },
  responses: { 200: jsonContent(IncidentPage), ...readErrors },
});
const create = createRoute({
  method: "post",
  path: "/",
  summary: "Create an incident (key assigned when absent)",
  tags,
  ...responder,
  request: { body: jsonBody(NewIncidentBody) },
  responses: { 201: jsonContent(Incident, "Created"), ...errorResponses({ role: "responder", body: true }) },
});
const exportRoute = createRoute({
  method: "get",
  path: "/export",
  summary: "Export incidents as JSON or CSV (a download; X-Incident-Count gives the number)",
  tags,
  ...viewer,
  request: { query: IncidentExportQuery },
  responses: {
    200: {
      description: "techtrail-incidents/1 JSON or CSV",
      content: {
        "application/json": { schema: { type: "object" as const } },
        "text/csv": { schema: { type: "string" as const } },
      },
    },
    ...readErrors,
  },
});
const importRoute = createRoute({
  method: "post",
  path: "/import",
  summary: "Import incidents from JSON or CSV: all records or none (?upsert=true updates existing keys)",
  tags,
  ...responder,
  request: {
    query: ImportQuery,
    body: rawBody({
      "application/json": "techtrail-incidents/1 JSON or an array of incidents",
      "text/csv": "one incident per row (columns as in export)",
    }),
  },
  responses: {
    200: jsonContent(ImportResult, "Dry run: what would be imported"),
    201: jsonContent(ImportResult, "Imported"),
    ...errorResponses({ role: "responder", body: true }),
  },
});
const show = createRoute({
  method: "get",
  path: "/{key}",
  summary: "One incident",
  tags,
  ...viewer,
  request: { params: KeyParam },
  responses: { 200: jsonContent(Incident), ...keyErrors },
});
const edit = createRoute({
  method: "patch",
  path: "/{key}",
  summary: "Change fields (by CSV column name; lists take add/remove)",
  tags,
  ...responder,
  request: { params: KeyParam, body: jsonBody(IncidentEdit) },
  responses: { 200: jsonContent(IncidentChange), ...writeErrors },
});
const remove = createRoute({
  method: "delete",
  path: "/{key}",
  summary: "Delete an incident (its history stays)",
  tags,
  ...responder,
  request: { params: KeyParam },
  responses: { 200: jsonContent(Incident), ...errorResponses({ role: "responder", path: "/{key}" }) },
});
const close = createRoute({
  method: "post",
  path: "/{key}/close",
  summary: "Close an incident",
  tags,
  ...responder,
  request: { params: KeyParam, body: jsonBody(CloseBody) },
  responses: { 200: jsonContent(IncidentChange), ...writeErrors },
});
const tag = createRoute({
  method: "post",
  path: "/{key}/techniques",
  summary: "Add, update or remove technique tags",
  tags,
  ...responder,
  request: { params: KeyParam, body: jsonBody(TagBody) },
  responses: { 200: jsonContent(IncidentChange), ...writeErrors },
});
const history = createRoute({
  method: "get",
  path: "/{key}/history",
  summary: "Audit trail of an incident (kept after deletion)",
  tags,
  ...viewer,
  request: { params: KeyParam },
  responses: { 200: jsonContent(IncidentHistory), ...keyErrors },
});

export function incidentRoutes(deps: ServerDeps) {
  const reg = new IncidentRegister(deps.store, deps.catalog);
  return routeApp()
    .openapi(listRoute, async (c) => json(c, await reg.list(listQuery(c.req.valid("query")))))
    .openapi(create, async (c) => json(c, await reg.add(c.req.valid("json"), changeContext(c)), 201))
    .openapi(exportRoute, async (c) => {
      const q = c.req.valid("query");
      const { text, count } = await reg.exportText(q.format, listQuery(q));
      return c.body(text, 200, {
        "Content-Type": q.format === "csv" ? "text/csv; charset=UTF-8" : "application/json; charset=UTF-8",
        "Content-Disposition": `attachment; filename="techtrail-incidents.${q.format}"`,
        "X-Incident-Count": String(count),
      });
    })
    .openapi(
      { ...importRoute, middleware: [...importRoute.middleware, limitBody(deps.limits.importBytes)] },
      async (c) => {
        const q = c.req.valid("query");
        const type = (c.req.header("content-type") ?? "").toLowerCase();
        const format = q.format ?? (type.includes("csv") ? "csv" : type.includes("json") ? "json" : undefined);
        if (format === undefined)
          throw validationError("import", [
            {
              code: "custom",
              path: ["format"],
              message: "send Content-Type application/json or text/csv, or ?format=json|csv",
              input: type,
            },
          ]);
        const text = await c.req.text();
        const opts: Parameters<IncidentRegister["importText"]>[1] = {
          format,
          source: "upload",
          dryRun: q.dryRun ?? false,
          upsert: q.upsert ?? false,
        };
        if (q.map !== undefined) opts.map = q.map;
        const res = await reg.importText(text, opts, changeContext(c, "import through the API"));
        const body = { ...res, dryRun: q.dryRun ?? false };
        return q.dryRun ? json(c, body, 200) : json(c, body, 201);
      },
    )
    .openapi(show, async (c) => json(c, await reg.show(c.req.valid("param").key)))
    .openapi(edit, async (c) => {
      const { key } = c.req.valid("param");
      const body = c.req.valid("json");
      const changes: Parameters<IncidentRegister["edit"]>[1] = {};
      if (body.set) changes.set = body.set;
      if (body.add) changes.add = body.add;
      if (body.remove) changes.remove = body.remove;
      return json(c, await reg.edit(key, changes, changeContext(c, body.note)));
    })
    .openapi(remove, async (c) => json(c, await reg.delete(c.req.valid("param").key, changeContext(c))))
    .openapi(close, async (c) => {
      const { key } = c.req.valid("param");
      const body = c.req.valid("json");
      const opts: Parameters<IncidentRegister["close"]>[1] = {};
      if (body.at !== undefined) opts.at = body.at;
      if (body.recovered !== undefined) opts.recovered = body.recovered;
      if (body.lessons !== undefined) opts.lessons = body.lessons;
      return json(c, await reg.close(key, opts, changeContext(c)));
    })
    .openapi(tag, async (c) => {
      const { key } = c.req.valid("param");
      const body = c.req.valid("json");
      const tags = body.techniques.map((t) => {
        const tag: Parameters<IncidentRegister["tag"]>[1][number] = { id: t.id };
        if (t.confidence) tag.confidence = t.confidence;
        if (t.evidence !== undefined) tag.evidence = t.evidence;
        if (t.firstSeen !== undefined) tag.firstSeen = t.firstSeen;
        return tag;
      });
      return json(c, await reg.tag(key, tags, changeContext(c, body.note), { remove: body.remove }));
    })
    .openapi(history, async (c) => {
      const { key } = c.req.valid("param");
      await reg.show(key).catch(async (e) => {
        // A deleted incident keeps its history; only a key that never existed is 404.
        if ((await reg.history(key)).length === 0) throw e;
      });
      return json(c, { key, items: await reg.history(key) });
    });
}
