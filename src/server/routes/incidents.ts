// Incident routes over the incident register (src/register/register.ts): list with filters, create, show, edit,
// close, delete, technique tags, history, import (JSON or CSV, all or nothing) and export. Reads need viewer,
// writes responder; the audit actor is the signed-in user.
import { Hono } from "hono";
import { z } from "zod";
import { COLUMNS } from "../../incidents/io.js";
import { Confidence, IncidentKey, IncidentStatus, Severity } from "../../incidents/model.js";
import { IncidentRegister, type ListQuery } from "../../register/register.js";
import { type AppEnv, changeContext, requireRole, type ServerDeps } from "../context.js";
import { csv, json, limitBody, readJson, readJsonValue, readQuery, validationError } from "../http.js";

const flag = z.enum(["0", "1", "true", "false"]).transform((v) => v === "1" || v === "true");
const list = <T extends z.ZodType<unknown, string>>(item: T) =>
  z
    .string()
    .transform((s) => csv(s) ?? [])
    .pipe(z.array(item));

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
  demo: flag.optional(),
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
  if (q.demo !== undefined) out.demo = q.demo;
  if (q.q) out.text = q.q;
  if (q.sort) out.sort = q.sort;
  if (q.order) out.order = q.order;
  if ("limit" in q) {
    out.limit = q.limit;
    out.offset = q.offset;
  }
  return out;
}

function keyParam(raw: string): string {
  const r = IncidentKey.safeParse(raw);
  if (!r.success)
    throw validationError(
      "incident key",
      r.error.issues.map((i) => ({ ...i, path: ["key"] })),
    );
  return r.data;
}

export function incidentRoutes(deps: ServerDeps): Hono<AppEnv> {
  const r = new Hono<AppEnv>();
  const reg = new IncidentRegister(deps.store, deps.catalog);
  const viewer = requireRole("viewer");
  const responder = requireRole("responder");

  r.get("/", viewer, async (c) => json(c, await reg.list(listQuery(readQuery(c, IncidentListQuery)))));

  r.post("/", responder, async (c) => {
    const body = await readJsonValue(c);
    return json(c, await reg.add(body, changeContext(c)), 201);
  });

  r.get("/export", viewer, async (c) => {
    const q = readQuery(c, IncidentExportQuery);
    const { text, count } = await reg.exportText(q.format, listQuery(q));
    return c.body(text, 200, {
      "Content-Type": q.format === "csv" ? "text/csv; charset=UTF-8" : "application/json; charset=UTF-8",
      "Content-Disposition": `attachment; filename="techtrail-incidents.${q.format}"`,
      "X-Incident-Count": String(count),
    });
  });

  r.post("/import", responder, limitBody(deps.limits.importBytes), async (c) => {
    const q = readQuery(c, ImportQuery);
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
    const opts: Parameters<IncidentRegister["importText"]>[1] = { format, source: "upload", dryRun: q.dryRun ?? false };
    if (q.map !== undefined) opts.map = q.map;
    const res = await reg.importText(text, opts, changeContext(c, "import through the API"));
    return json(c, { ...res, dryRun: q.dryRun ?? false }, q.dryRun ? 200 : 201);
  });

  r.get("/:key", viewer, async (c) => json(c, await reg.show(keyParam(c.req.param("key")))));

  r.patch("/:key", responder, async (c) => {
    const key = keyParam(c.req.param("key"));
    const body = await readJson(c, IncidentEdit);
    const changes: Parameters<IncidentRegister["edit"]>[1] = {};
    if (body.set) changes.set = body.set;
    if (body.add) changes.add = body.add;
    if (body.remove) changes.remove = body.remove;
    return json(c, await reg.edit(key, changes, changeContext(c, body.note)));
  });

  r.delete("/:key", responder, async (c) => json(c, await reg.delete(keyParam(c.req.param("key")), changeContext(c))));

  r.post("/:key/close", responder, async (c) => {
    const key = keyParam(c.req.param("key"));
    const body = await readJson(c, CloseBody);
    const opts: Parameters<IncidentRegister["close"]>[1] = {};
    if (body.at !== undefined) opts.at = body.at;
    if (body.recovered !== undefined) opts.recovered = body.recovered;
    if (body.lessons !== undefined) opts.lessons = body.lessons;
    return json(c, await reg.close(key, opts, changeContext(c)));
  });

  r.post("/:key/techniques", responder, async (c) => {
    const key = keyParam(c.req.param("key"));
    const body = await readJson(c, TagBody);
    const tags = body.techniques.map((t) => {
      const tag: Parameters<IncidentRegister["tag"]>[1][number] = { id: t.id };
      if (t.confidence) tag.confidence = t.confidence;
      if (t.evidence !== undefined) tag.evidence = t.evidence;
      if (t.firstSeen !== undefined) tag.firstSeen = t.firstSeen;
      return tag;
    });
    return json(c, await reg.tag(key, tags, changeContext(c, body.note), { remove: body.remove }));
  });

  r.get("/:key/history", viewer, async (c) => {
    const key = keyParam(c.req.param("key"));
    await reg.show(key).catch(async (e) => {
      // A deleted incident keeps its history; only a key that never existed is 404.
      if ((await reg.history(key)).length === 0) throw e;
    });
    return json(c, { key, items: await reg.history(key) });
  });

  return r;
}
