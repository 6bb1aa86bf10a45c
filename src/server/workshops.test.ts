// Workshop endpoints through app.request(): participant flow (questions, hints, answers, score), the facilitator's
// results, debrief and close, bad input (unknown workshop, second answer, wrong shapes), and the rule that no
// participant-facing response ever carries the answer key or the seed.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { gunzipSync } from "node:zlib";
import { fixtureWorkshop } from "../workshops/test-fixture.js";
import { bearer, type Fixture, login, makeFixture, withSession } from "./test-helpers.js";

let f: Fixture;
/** Every body a viewer (a participant) received. */
const seenByParticipant: string[] = [];

before(async () => {
  f = await makeFixture();
  // The responder runs it (the fixture key stands in for a generated one).
  await f.store.createWorkshop({ ...fixtureWorkshop("drill"), createdBy: "responder" });
});
after(async () => {
  await f.close();
});

type Err = { error: { code: string; message: string; details?: { problems?: Array<{ field?: string }> } } };

async function as(role: "viewer" | "responder" | "admin", path: string, method = "GET", body?: unknown) {
  const res = await f.app.request(`/api/workshops${path}`, bearer(f.tokens[role], method, body));
  const text = await res.text();
  if (role === "viewer") seenByParticipant.push(text);
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

describe("workshops over HTTP", () => {
  test("participants see questions, take hints, answer once and read their score", async () => {
    const list = await as("viewer", "");
    assert.equal(list.status, 200);
    assert.deepEqual(
      (list.body.items as Array<{ id: string }>).map((w) => w.id),
      ["drill"],
    );
    const packs = list.body.scenarios as Array<{ name: string; title: string }>;
    assert.ok(
      packs.some((p) => p.name === "ransomware-s3" && p.title),
      JSON.stringify(packs),
    );
    const shown = await as("viewer", "/drill");
    assert.equal(shown.status, 200);
    assert.equal((shown.body.questions as unknown[]).length, 4);
    assert.equal(shown.body.facilitator, false);
    assert.equal((await as("responder", "/drill")).body.facilitator, true);

    const hint = await as("viewer", "/drill/hints", "POST", { question: "techniques" });
    assert.equal(hint.status, 201);
    assert.match(String(hint.body.text), /4 step\(s\)/);
    const a = await as("viewer", "/drill/answers", "POST", {
      question: "techniques",
      techniques: ["T1580", "T1530.A001", "T1486.A001", "T1485.A003"],
    });
    assert.equal(a.status, 201);
    assert.deepEqual((a.body.score as { points: number; penalty: number }).points, 25);
    const again = await as("viewer", "/drill/answers", "POST", { question: "techniques", techniques: ["T1580"] });
    assert.equal(again.status, 409);
    assert.match((again.body as Err).error.message, /already answered "techniques"/);
    const score = await as("viewer", "/drill/score");
    assert.equal(score.body.points, 25);
    assert.equal(score.body.participant, "viewer");
    assert.deepEqual(score.body.open, ["initial-access", "impact", "containment"]);
  });

  test("bad input: unknown workshop, wrong answer shapes and times are refused; the progress stays", async () => {
    const missing = await as("viewer", "/nope/answers", "POST", { question: "impact", resources: [] });
    assert.equal(missing.status, 404);
    assert.match((missing.body as Err).error.message, /no workshop nope/);
    const shape = await as("viewer", "/drill/answers", "POST", { question: "initial-access", credential: "AKIA" });
    assert.equal(shape.status, 400);
    assert.ok(
      (shape.body as Err).error.details?.problems?.some((p) => p.field === "sourceIp"),
      JSON.stringify(shape.body),
    );
    const time = await as("viewer", "/drill/answers", "POST", { question: "containment", time: "after lunch" });
    assert.equal(time.status, 400);
    assert.match((time.body as Err).error.message, /ISO 8601/);
    assert.equal((await as("viewer", "/drill/hints", "POST", { question: "motive" })).status, 400);
    const score = await as("viewer", "/drill/score");
    assert.equal(score.body.points, 25);
    assert.equal((score.body.answers as unknown[]).length, 1);
    // A cookie session without its CSRF token cannot answer.
    const s = await login(f.app, "viewer");
    const forged = await f.app.request(
      "/api/workshops/drill/answers",
      withSession(s, "POST", { question: "impact", resources: [] }, false),
    );
    assert.equal(forged.status, 403);
  });

  test("results, debrief and close are the facilitator's; the debrief opens to all once closed", async () => {
    assert.equal((await as("viewer", "/drill/results")).status, 403);
    assert.equal((await as("viewer", "/drill/debrief")).status, 403);
    assert.equal((await as("viewer", "/drill/close", "POST")).status, 403);
    const results = await as("responder", "/drill/results");
    assert.equal(results.status, 200);
    assert.deepEqual(
      (results.body.participants as Array<{ participant: string; rank: number }>).map((p) => [p.participant, p.rank]),
      [["viewer", 1]],
    );
    assert.equal((await as("admin", "/drill/results")).status, 200);
    const d = await as("responder", "/drill/debrief");
    assert.equal(d.status, 200);
    const steps = d.body.steps as Array<{
      technique: { id: string };
      rules: unknown[];
      playbooks: Array<{ id: string }>;
    }>;
    assert.equal(steps.length, 4);
    assert.ok(steps[2]?.rules.length);
    assert.deepEqual(
      steps[2]?.playbooks.map((p) => p.id),
      ["s3-ransomware"],
    );
    // Everything a participant received while the workshop was open: no answer key, no seed.
    const text = seenByParticipant.join("\n");
    for (const secret of [
      "AKIAWORKSHOPFIXTURE1",
      "198.51.100.23",
      "0d6c2a3e-0000-4000-8000",
      "2026-11-02T15:10",
      "acme-backups",
      "answerKey",
      '"seed"',
      "ci-deploy",
    ])
      assert.ok(!text.includes(secret), `a participant was served ${secret}`);

    const closed = await as("responder", "/drill/close", "POST");
    assert.equal(closed.status, 200);
    assert.equal(closed.body.status, "closed");
    const late = await as("viewer", "/drill/answers", "POST", { question: "impact", resources: ["acme-invoices"] });
    assert.equal(late.status, 409);
    assert.match((late.body as Err).error.message, /closed/);
    const open = await as("viewer", "/drill/debrief");
    assert.equal(open.status, 200);
    assert.ok(JSON.stringify(open.body).includes("AKIAWORKSHOPFIXTURE1"), "the debrief names the key once closed");
  });

  test("the workshop routes are in the OpenAPI document; starting needs the responder role", async () => {
    const doc = (await (await f.app.request("/api/openapi.json")).json()) as { paths: Record<string, unknown> };
    for (const p of [
      "/api/workshops",
      "/api/workshops/{id}/answers",
      "/api/workshops/{id}/results",
      "/api/workshops/{id}/logs",
    ])
      assert.ok(doc.paths[p], `${p} is documented`);
    assert.equal((await as("viewer", "", "POST", { scenario: "ransomware-s3", seed: 1 })).status, 403);
    const bad = await as("responder", "", "POST", { scenario: "ransomware-s3", seed: -1 });
    assert.equal(bad.status, 400);
  });

  test("a responder starts a workshop from a pack; the logs download is scan-ready JSON Lines without the key", async () => {
    const started = await as("responder", "", "POST", {
      scenario: "cryptomining-ec2",
      seed: 9,
      id: "mining",
      background: 200,
    });
    assert.equal(started.status, 201, JSON.stringify(started.body));
    assert.equal(started.body.facilitator, true);
    assert.ok(!JSON.stringify(started.body).includes('"seed"'));
    const w = await f.store.getWorkshop("mining");
    assert.ok(w);
    const res = await f.app.request("/api/workshops/mining/logs", bearer(f.tokens.viewer));
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "application/gzip");
    assert.match(res.headers.get("content-disposition") ?? "", /workshop-mining\.jsonl\.gz/);
    const lines = gunzipSync(Buffer.from(await res.arrayBuffer()))
      .toString()
      .trim()
      .split("\n");
    assert.ok(lines.length > 100, String(lines.length));
    const ids = new Set(lines.map((l) => (JSON.parse(l) as { eventID: string }).eventID));
    assert.ok(ids.has(w.answerKey.scenarios[0]?.initialAccess.eventId ?? ""), "the attack is in the logs");
    assert.ok(!lines.some((l) => l.includes("containBy")), "no answer key in the download");
    const unknown = await as("responder", "", "POST", { scenario: "no-such-pack", seed: 1 });
    assert.equal(unknown.status, 404);
    assert.match((unknown.body as Err).error.message, /ransomware-s3/);
    assert.equal((await as("viewer", "/nope/logs")).status, 404);
  });
});
