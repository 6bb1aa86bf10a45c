// Threat-actor routes over the store's actors (src/store/actor-store.ts): list, create, show (with techniques
// and attributed incidents), edit, history, link an incident, merge. Reads need viewer, writes responder; the
// audit actor is the signed-in user.
import { createRoute } from "@hono/zod-openapi";
import { z } from "zod";
import {
  Actor,
  ActorAuditEntry,
  ActorDetail,
  ActorReference,
  ActorSummary,
  DeclaredTechnique,
  Motivation,
  NewActor,
} from "../../incidents/actor.js";
import { Confidence, Incident, IncidentKey } from "../../incidents/model.js";
import { changeContext, type ServerDeps } from "../context.js";
import { json } from "../http.js";
import { access, errorResponses, jsonBody, jsonContent, routeApp } from "../openapi.js";

export const ActorList = z.object({ items: z.array(ActorSummary) });
const { id: _id, createdAt: _created, updatedAt: _updated, ...newActorShape } = NewActor.shape;
/** Body of POST /api/actors: a new actor (the ID is assigned; the store checks names and aliases). */
export const NewActorBody = z.strictObject(newActorShape);
/** Body of PATCH /api/actors/{id}: the fields given replace the actor's ("" or null clears a date). */
export const ActorEdit = z.strictObject({
  name: z.string().optional(),
  aliases: z.array(z.string()).optional(),
  description: z.string().optional(),
  motivation: Motivation.nullable().optional(),
  firstSeen: z.string().nullable().optional(),
  lastSeen: z.string().nullable().optional(),
  indicators: z.array(z.unknown()).optional(),
  techniques: z.array(DeclaredTechnique).optional(),
  references: z.array(ActorReference).optional(),
  note: z.string().max(2000).optional(),
});
export const ActorChange = z.object({ actor: Actor, changed: z.boolean() });
export const LinkBody = z.strictObject({
  incident: IncidentKey,
  confidence: Confidence.default("likely"),
  note: z.string().max(2000).optional(),
});
export const MergeBody = z.strictObject({
  /** The actor (ID, name or alias) merged into this one. */
  from: z.string().min(1),
  note: z.string().max(2000).optional(),
});
export const MergeResult = z.object({ actor: Actor, incidents: z.array(z.string()) });
export const ActorHistory = z.object({ id: z.string(), items: z.array(ActorAuditEntry) });
const RefParam = z.object({ id: z.string().min(1).max(200) });

const tags = ["actors"];
const viewer = access("viewer");
const responder = access("responder");
const idErrors = errorResponses({ role: "viewer", path: "/{id}" });
const writeErrors = errorResponses({ role: "responder", path: "/{id}", body: true });

const listRoute = createRoute({
  method: "get",
  path: "/",
  summary: "Threat actors (not merged away) with incident, technique and indicator counts",
  tags,
  ...viewer,
  responses: { 200: jsonContent(ActorList), ...errorResponses({ role: "viewer" }) },
});
const create = createRoute({
  method: "post",
  path: "/",
  summary: "Record a threat actor (indicators are checked: IP, CIDR, ASN, user-agent RE2 pattern, key, account)",
  tags,
  ...responder,
  request: { body: jsonBody(NewActorBody) },
  responses: { 201: jsonContent(Actor, "Created"), ...errorResponses({ role: "responder", body: true }) },
});
const show = createRoute({
  method: "get",
  path: "/{id}",
  summary: "One actor (ID, name or alias) with its techniques (seen in incidents, declared) and attributed incidents",
  tags,
  ...viewer,
  request: { params: RefParam },
  responses: { 200: jsonContent(ActorDetail), ...idErrors },
});
const edit = createRoute({
  method: "patch",
  path: "/{id}",
  summary: "Change an actor; a new name keeps the old one as an alias and renames the attributed incidents' actor",
  tags,
  ...responder,
  request: { params: RefParam, body: jsonBody(ActorEdit) },
  responses: { 200: jsonContent(ActorChange), ...writeErrors },
});
const history = createRoute({
  method: "get",
  path: "/{id}/history",
  summary: "The actor's audit trail, with the trails of actors merged into it",
  tags,
  ...viewer,
  request: { params: RefParam },
  responses: { 200: jsonContent(ActorHistory), ...idErrors },
});
const link = createRoute({
  method: "post",
  path: "/{id}/incidents",
  summary: "Attribute an incident to this actor with a confidence (audited on both)",
  tags,
  ...responder,
  request: { params: RefParam, body: jsonBody(LinkBody) },
  responses: { 200: jsonContent(z.object({ incident: Incident, changed: z.boolean() })), ...writeErrors },
});
const merge = createRoute({
  method: "post",
  path: "/{id}/merge",
  summary: "Merge another actor into this one: names, indicators, techniques join; every attribution moves",
  tags,
  ...responder,
  request: { params: RefParam, body: jsonBody(MergeBody) },
  responses: { 200: jsonContent(MergeResult), ...writeErrors },
});

export function actorRoutes(deps: ServerDeps) {
  const { store, catalog } = deps;
  return routeApp()
    .openapi(listRoute, async (c) => json(c, { items: await store.listActors() }))
    .openapi(create, async (c) => json(c, await store.createActor(c.req.valid("json"), changeContext(c)), 201))
    .openapi(show, async (c) =>
      json(c, await store.actorDetail(c.req.valid("param").id, (id) => catalog.technique(id)?.name)),
    )
    .openapi(edit, async (c) => {
      const { note, ...body } = c.req.valid("json");
      const r = await store.updateActor(
        c.req.valid("param").id,
        (a) => {
          const next = { ...a, ...body } as Record<string, unknown>;
          for (const f of ["motivation", "firstSeen", "lastSeen"] as const)
            if (body[f] === null || body[f] === "") delete next[f];
          return next as Actor;
        },
        changeContext(c, note),
      );
      return json(c, r);
    })
    .openapi(history, async (c) => {
      const a = await store.requireActor(c.req.valid("param").id);
      return json(c, { id: a.id, items: await store.actorHistory(a.id) });
    })
    .openapi(link, async (c) => {
      const body = c.req.valid("json");
      return json(
        c,
        await store.linkIncident(body.incident, c.req.valid("param").id, body.confidence, changeContext(c, body.note)),
      );
    })
    .openapi(merge, async (c) => {
      const body = c.req.valid("json");
      return json(c, await store.mergeActors(c.req.valid("param").id, body.from, changeContext(c, body.note)));
    });
}
