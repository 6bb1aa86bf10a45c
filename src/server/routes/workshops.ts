// Workshop routes: responders start workshops (they become the facilitator), every signed-in user takes part
// (answers, hints and their own score; the participant is the signed-in user), the facilitator or an admin sees
// everyone's results and the debrief, and closes the workshop, after which the debrief is open to all.
// No response ever carries the answer key or the seed (which would reproduce it): participant views are built
// from WorkshopView and Progress only; results and the debrief are the facilitator's (or everyone's once closed).
import { createRoute } from "@hono/zod-openapi";
import { z } from "zod";
import type { Principal } from "../../auth/model.js";
import { TechtrailError } from "../../core/errors.js";
import { loadPlaybooks } from "../../playbooks/playbooks.js";
import { loadRuleLibrary } from "../../scan/rule-library.js";
import { loadScenarioPacks } from "../../scenarios/pack.js";
import {
  Answer,
  Debrief,
  HintTaken,
  Progress,
  QuestionId,
  StoredAnswer,
  WorkshopId,
  type WorkshopRecord,
  WorkshopResults,
  WorkshopView,
} from "../../workshops/model.js";
import {
  answerQuestion,
  participantProgress,
  requireWorkshop,
  startWorkshop,
  takeHint,
  workshopDebrief,
  workshopLogsGzip,
  workshopResults,
  workshopView,
} from "../../workshops/workshops.js";
import { type AppContext, principalOf, type ServerDeps } from "../context.js";
import { ErrorBody } from "../errors.js";
import { json } from "../http.js";
import { access, errorResponses, jsonBody, jsonContent, routeApp } from "../openapi.js";

/**
 * What a facilitator chooses when starting a workshop from the web. Sizes are bounded because the server plays the
 * scenario on the request and builds each logs download in memory: at most 180,000 events, a download of some
 * 20 MB that the Scan page still accepts.
 */
export const StartWorkshopBody = z.strictObject({
  scenario: z.string().trim().min(1).max(100),
  seed: z
    .number()
    .int()
    .nonnegative()
    .max(2 ** 31),
  id: WorkshopId.optional(),
  title: z.string().trim().min(1).max(200).optional(),
  accounts: z.number().int().min(1).max(3).optional(),
  days: z.number().int().min(1).max(3).optional(),
  background: z.number().int().min(0).max(20_000).optional(),
  hintCost: z.number().int().min(0).max(25).optional(),
  toleranceMinutes: z.number().int().min(1).max(1440).optional(),
});

export const WorkshopListItem = WorkshopView.omit({ questions: true, settings: true });
export const ScenarioChoice = z.object({ name: z.string(), title: z.string(), summary: z.string() });
/** Workshops, and the scenario packs a new one can be started from. */
export const WorkshopList = z.object({ items: z.array(WorkshopListItem), scenarios: z.array(ScenarioChoice) });
/** A workshop for the signed-in user: the participant view, and whether they run it. */
export const WorkshopDetail = WorkshopView.extend({ facilitator: z.boolean() });
export const HintBody = z.strictObject({ question: QuestionId });

const tags = ["workshops"];
const idParam = z.object({ id: z.string().min(1).max(64) });
const path = "/{id}";
const readErrors = errorResponses({ role: "viewer", path });
const writeErrors = { ...errorResponses({ role: "viewer", path, body: true }), 409: conflict() };

function conflict() {
  return {
    description: "Answered already, out of hints, the workshop is closed, or the ID is taken",
    content: { "application/json": { schema: ErrorBody } },
  };
}

const list = createRoute({
  method: "get",
  path: "/",
  summary: "Workshops, newest first, and the scenario packs to start one from",
  tags,
  ...access("viewer"),
  responses: { 200: jsonContent(WorkshopList), ...errorResponses({ role: "viewer" }) },
});
const start = createRoute({
  method: "post",
  path: "/",
  summary: "Start a workshop from a scenario pack and a seed; the caller is its facilitator",
  tags,
  ...access("responder"),
  request: { body: jsonBody(StartWorkshopBody) },
  responses: {
    201: jsonContent(WorkshopDetail, "The workshop as participants see it"),
    ...errorResponses({ role: "responder", body: true }),
    409: conflict(),
  },
});
const show = createRoute({
  method: "get",
  path,
  summary: "A workshop's questions and status (never its answer key)",
  tags,
  ...access("viewer"),
  request: { params: idParam },
  responses: { 200: jsonContent(WorkshopDetail), ...readErrors },
});
const answer = createRoute({
  method: "post",
  path: "/{id}/answers",
  summary: "Answer one question as the signed-in user (once per question); returns its score and why",
  tags,
  ...access("viewer"),
  request: { params: idParam, body: jsonBody(Answer) },
  responses: { 201: jsonContent(StoredAnswer, "The scored answer"), ...writeErrors },
});
const hint = createRoute({
  method: "post",
  path: "/{id}/hints",
  summary: "Take the next hint of an unanswered question (costs points on that question)",
  tags,
  ...access("viewer"),
  request: { params: idParam, body: jsonBody(HintBody) },
  responses: { 201: jsonContent(HintTaken, "The hint"), ...writeErrors },
});
const score = createRoute({
  method: "get",
  path: "/{id}/score",
  summary: "The signed-in user's answers, hints and score",
  tags,
  ...access("viewer"),
  request: { params: idParam },
  responses: { 200: jsonContent(Progress), ...readErrors },
});
const results = createRoute({
  method: "get",
  path: "/{id}/results",
  summary: "Every participant's score, ranked (facilitator or admin)",
  tags,
  ...access("viewer"),
  request: { params: idParam },
  responses: { 200: jsonContent(WorkshopResults), ...readErrors },
});
const debrief = createRoute({
  method: "get",
  path: "/{id}/debrief",
  summary: "Expected answers and each step with its technique, rules and playbooks (facilitator, or all once closed)",
  tags,
  ...access("viewer"),
  request: { params: idParam },
  responses: { 200: jsonContent(Debrief), ...readErrors },
});
const close = createRoute({
  method: "post",
  path: "/{id}/close",
  summary: "Close a workshop: no more answers or hints, the debrief opens to everyone (facilitator or admin)",
  tags,
  ...access("viewer"),
  request: { params: idParam },
  responses: { 200: jsonContent(WorkshopDetail), ...readErrors },
});
const logs = createRoute({
  method: "get",
  path: "/{id}/logs",
  summary: "The workshop's CloudTrail logs as gzip JSON Lines (scan-ready; no answer key)",
  tags,
  ...access("viewer"),
  request: { params: idParam },
  responses: {
    200: {
      description: "gzip-compressed JSON Lines, one CloudTrail record per line",
      content: { "application/gzip": { schema: { type: "string" as const, format: "binary" } } },
    },
    ...readErrors,
  },
});

const runs = (w: WorkshopRecord, p: Principal) => p.role === "admin" || w.createdBy === p.user.name;

function requireFacilitator(w: WorkshopRecord, p: Principal, what: string): void {
  if (!runs(w, p))
    throw new TechtrailError("FORBIDDEN", `only the facilitator (${w.createdBy}) or an admin may ${what}`, {
      details: { workshop: w.id },
    });
}

export function workshopRoutes(deps: ServerDeps) {
  const { store, catalog } = deps;
  // The rule descriptions for debriefs are compiled once, on the first debrief.
  let rules: Promise<Awaited<ReturnType<typeof loadRuleLibrary>>["infos"]> | undefined;
  const ruleInfos = () => {
    rules ??= loadRuleLibrary({ catalog }).then(
      (l) => l.infos,
      (e: unknown) => {
        rules = undefined;
        throw e;
      },
    );
    return rules;
  };
  // The shipped packs cannot change while the server runs.
  let scenarios: Array<z.infer<typeof ScenarioChoice>> | undefined;
  const scenarioChoices = () =>
    (scenarios ??= [...loadScenarioPacks(catalog).values()]
      .map((p) => ({ name: p.name, title: p.title, summary: p.summary.trim() }))
      .sort((a, b) => (a.name < b.name ? -1 : 1)));
  const detail = async (c: AppContext, w: WorkshopRecord) => ({
    ...(await workshopView(store, w)),
    facilitator: runs(w, principalOf(c)),
  });

  return routeApp()
    .openapi(list, async (c) => {
      const items = (await store.listWorkshops()).map((w) => ({
        id: w.id,
        title: w.title,
        scenario: w.logs.scenario,
        scenarioTitle: w.scenarioTitle,
        status: w.status,
        createdBy: w.createdBy,
        createdAt: w.createdAt,
        closedAt: w.closedAt,
        participants: w.participants,
      }));
      return json(c, { items, scenarios: scenarioChoices() });
    })
    .openapi(start, async (c) => {
      const b = c.req.valid("json");
      const w = await startWorkshop(store, {
        scenario: b.scenario,
        seed: b.seed,
        createdBy: principalOf(c).user.name,
        ...(b.id ? { id: b.id } : {}),
        ...(b.title ? { title: b.title } : {}),
        ...(b.accounts ? { accounts: b.accounts } : {}),
        ...(b.days ? { days: b.days } : {}),
        ...(b.background !== undefined ? { background: b.background } : {}),
        settings: {
          ...(b.hintCost !== undefined ? { hintCost: b.hintCost } : {}),
          ...(b.toleranceMinutes !== undefined ? { timeToleranceMinutes: b.toleranceMinutes } : {}),
        },
      });
      return json(c, await detail(c, w), 201);
    })
    .openapi(show, async (c) => json(c, await detail(c, await requireWorkshop(store, c.req.valid("param").id))))
    .openapi(answer, async (c) => {
      const a = await answerQuestion(store, c.req.valid("param").id, principalOf(c).user.name, c.req.valid("json"));
      return json(c, a, 201);
    })
    .openapi(hint, async (c) => {
      const h = await takeHint(store, c.req.valid("param").id, principalOf(c).user.name, c.req.valid("json").question);
      return json(c, h, 201);
    })
    .openapi(score, async (c) =>
      json(c, await participantProgress(store, c.req.valid("param").id, principalOf(c).user.name)),
    )
    .openapi(results, async (c) => {
      const w = await requireWorkshop(store, c.req.valid("param").id);
      requireFacilitator(w, principalOf(c), "see everyone's results");
      return json(c, await workshopResults(store, w.id));
    })
    .openapi(debrief, async (c) => {
      const w = await requireWorkshop(store, c.req.valid("param").id);
      if (w.status !== "closed")
        requireFacilitator(w, principalOf(c), "read the debrief before the workshop is closed");
      const playbooks = loadPlaybooks(catalog).playbooks;
      return json(c, workshopDebrief(w, catalog, await ruleInfos(), playbooks));
    })
    .openapi(close, async (c) => {
      const w = await requireWorkshop(store, c.req.valid("param").id);
      requireFacilitator(w, principalOf(c), "close the workshop");
      return json(c, await detail(c, await store.closeWorkshop(w.id)));
    })
    .openapi(logs, async (c) => {
      const w = await requireWorkshop(store, c.req.valid("param").id);
      const gz = await workshopLogsGzip(w);
      return c.body(new Uint8Array(gz), 200, {
        "Content-Type": "application/gzip",
        "Content-Disposition": `attachment; filename="workshop-${w.id}.jsonl.gz"`,
      });
    });
}
