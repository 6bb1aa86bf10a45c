import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { gunzipSync } from "node:zlib";
import { loadBuiltinCatalog } from "../catalog/load.js";
import { TechtrailError } from "../core/errors.js";
import { loadPlaybooks } from "../playbooks/playbooks.js";
import { loadRuleLibrary } from "../scan/rule-library.js";
import { batchOf, type GenerateOptions } from "../scenarios/generate.js";
import type { SqlStore } from "../store/sql-store.js";
import { openSqliteStore } from "../store/sqlite.js";
import { FIXTURE_KEY } from "./test-fixture.js";
import {
  answerQuestion,
  type Generator,
  participantProgress,
  requireWorkshop,
  startWorkshop,
  takeHint,
  workshopDebrief,
  workshopLogsGzip,
  workshopResults,
  workshopView,
} from "./workshops.js";

/** Plays the fixture answer key: two records, and the options it was asked for. */
const calls: GenerateOptions[] = [];
const fakeGenerator: Generator = async (options, sink) => {
  calls.push(options);
  await sink.write(batchOf(['{"eventID":"a"}', '{"eventID":"b"}']));
  return { answerKey: FIXTURE_KEY, events: 2, scenarioEvents: 1 };
};

let dir: string;
let store: SqlStore;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), "techtrail-workshops-"));
  store = await openSqliteStore(join(dir, "w.db"));
});
after(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

async function rejects(p: Promise<unknown>, code: string, text: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof TechtrailError, String(e));
    assert.equal(e.code, code, e.describe());
    assert.match(e.describe(), text);
    return true;
  });
}

test("start: plays the scenario with the seed and sizes, keeps the key in the store, shows no key or seed", async () => {
  const w = await startWorkshop(
    store,
    { scenario: "ransomware-s3", seed: 42, id: "drill", createdBy: "fay", background: 300, settings: { hintCost: 4 } },
    fakeGenerator,
  );
  assert.deepEqual(calls.at(-1), { scenarios: ["ransomware-s3"], seed: 42, accounts: 1, days: 1, background: 300 });
  assert.equal(w.title, "Ransomware on S3");
  assert.equal(w.settings.hintCost, 4);
  assert.deepEqual((await requireWorkshop(store, "drill")).answerKey, FIXTURE_KEY);
  const view = await workshopView(store, w);
  assert.equal(view.questions.length, 4);
  const text = JSON.stringify(view);
  for (const secret of ["AKIAWORKSHOPFIXTURE1", "198.51.100.23", "containBy", "15:10", '"seed"', "answerKey"])
    assert.ok(!text.includes(secret), `the participant view shows ${secret}`);
  await rejects(
    startWorkshop(store, { scenario: "ransomware-s3", seed: 1, id: "drill", createdBy: "fay" }, fakeGenerator),
    "CONFLICT",
    /already exists/,
  );
  await rejects(
    startWorkshop(store, { scenario: "x", seed: 1, id: "Not An ID!", createdBy: "fay" }, fakeGenerator),
    "VALIDATION",
    /\[id\].*kebab-case/,
  );
  const auto = await startWorkshop(store, { scenario: "ransomware-s3", seed: 3, createdBy: "fay" }, fakeGenerator);
  assert.match(auto.id, /^ransomware-s3-[0-9a-f]{6}$/);
});

test("answers, hints and progress; bad input is refused and nothing of the progress is lost", async () => {
  const hint = await takeHint(store, "drill", "ana", "initial-access");
  assert.equal(hint.cost, 4);
  assert.match(hint.text, /account 111122223333/);
  const a = await answerQuestion(store, "drill", "ana", {
    question: "initial-access",
    credential: "AKIAWORKSHOPFIXTURE1",
    sourceIp: "198.51.100.23",
  });
  assert.equal(a.score.points, 21);
  await answerQuestion(store, "drill", "ana", { question: "impact", resources: ["acme-invoices", "acme-backups"] });
  const before = await participantProgress(store, "drill", "ana");
  assert.equal(before.points, 46);
  assert.deepEqual(before.open, ["techniques", "containment"]);
  await rejects(
    answerQuestion(store, "drill", "ana", { question: "impact", resources: ["x"] }),
    "CONFLICT",
    /already answered "impact"/,
  );
  await rejects(
    answerQuestion(store, "nope", "ana", { question: "impact", resources: [] }),
    "NOT_FOUND",
    /no workshop nope/,
  );
  await rejects(answerQuestion(store, "drill", "ana", { question: "motive", text: "money" }), "VALIDATION", /question/);
  await rejects(
    answerQuestion(store, "drill", "ana", { question: "containment", time: "soon" }),
    "VALIDATION",
    /ISO 8601/,
  );
  await rejects(takeHint(store, "drill", "ana", "motive"), "VALIDATION", /unknown question "motive"/);
  await rejects(
    answerQuestion(store, "drill", " ", { question: "impact", resources: [] }),
    "VALIDATION",
    /participant/,
  );
  assert.deepEqual(await participantProgress(store, "drill", "ana"), before);
  await rejects(participantProgress(store, "nope", "ana"), "NOT_FOUND", /no workshop/);
});

test("results rank participants; the debrief links steps to techniques, rules and playbooks", async () => {
  await answerQuestion(store, "drill", "bo", {
    question: "techniques",
    techniques: ["T1580", "T1530.A001", "T1486.A001", "T1485.A003"],
  });
  await answerQuestion(store, "drill", "cy", { question: "containment", time: "2026-11-02T20:00:00Z" });
  const r = await workshopResults(store, "drill");
  assert.deepEqual(
    r.participants.map((p) => [p.participant, p.points, p.rank]),
    [
      ["ana", 46, 1],
      ["bo", 30, 2],
      ["cy", 0, 3],
    ],
  );
  const catalog = loadBuiltinCatalog();
  const rules = (await loadRuleLibrary({ catalog })).infos;
  const d = workshopDebrief(await requireWorkshop(store, "drill"), catalog, rules, loadPlaybooks(catalog).playbooks);
  assert.deepEqual(
    d.steps.map((s) => s.technique.id),
    ["T1580", "T1530.A001", "T1486.A001", "T1485.A003"],
  );
  const encrypt = d.steps.find((s) => s.id === "encrypt");
  assert.ok(encrypt?.technique.name, "the catalog names the technique");
  assert.equal(encrypt?.tactic.id, "TA0040");
  assert.ok(
    encrypt?.rules.some((x) => x.id && /sse-c|SSE-C/i.test(`${x.id} ${x.title}`)),
    JSON.stringify(encrypt?.rules),
  );
  assert.deepEqual(
    encrypt?.playbooks.map((p) => p.id),
    ["s3-ransomware"],
  );
  assert.ok(d.answers[0]?.expected.includes("access key AKIAWORKSHOPFIXTURE1"));
});

test("the logs download is the generator's records as gzip JSON Lines, played from the stored settings", async () => {
  const gz = await workshopLogsGzip(await requireWorkshop(store, "drill"), fakeGenerator);
  assert.equal(gunzipSync(gz).toString(), '{"eventID":"a"}\n{"eventID":"b"}\n');
  assert.deepEqual(calls.at(-1), {
    scenarios: ["ransomware-s3"],
    seed: 42,
    accounts: 1,
    days: 1,
    background: 300,
    start: "2026-11-02T00:00:00Z",
    format: "jsonl",
  });
});
