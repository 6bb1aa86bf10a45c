// `techtrail workshop` end to end with the real generator: a facilitator starts a workshop (logs written scan-ready,
// no answer key beside them), a participant answers from what the logs show, a second answer and an unknown
// workshop are refused with their exit codes, the scores and results add up, and the logs come out the same again.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { openSqliteStore } from "../src/store/sqlite.js";
import type { WorkshopRecord } from "../src/workshops/model.js";
import { runCli } from "./cli-helper.js";

let dir: string;
let db: string;
let key: WorkshopRecord["answerKey"]["scenarios"][number];

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "techtrail-workshop-cli-"));
  db = join(dir, "w.db");
});
after(() => rmSync(dir, { recursive: true, force: true }));

const ws = (...args: string[]) => runCli(["workshop", ...args, "--db", db]);

function files(d: string): string[] {
  return readdirSync(d, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

test("start writes scan-ready logs without the answer key, which stays in the store", async () => {
  const out = join(dir, "logs");
  const r = ws(
    "start",
    "ransomware-s3",
    "--seed",
    "3",
    "--id",
    "drill",
    "--background",
    "400",
    "--out",
    out,
    "--format",
    "jsonl",
    "--facilitator",
    "fay",
  );
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /workshop drill started/);
  assert.match(r.stderr, /no answer key/);
  const written = files(out);
  assert.ok(written.length > 0);
  assert.ok(!written.some((f) => f.endsWith("answer-key.json")), written.join(", "));
  const store = await openSqliteStore(db);
  try {
    const w = await store.getWorkshop("drill");
    assert.ok(w);
    key = w.answerKey.scenarios[0] as typeof key;
  } finally {
    await store.close();
  }
  // The logs hold the attacker's first call.
  assert.ok(written.some((f) => readFileSync(f, "utf8").includes(key.initialAccess.eventId)));
  const shown = ws("show", "drill", "--json");
  assert.equal(shown.status, 0, shown.stderr);
  assert.ok(!shown.stdout.includes(key.initialAccess.sourceIp) && !shown.stdout.includes('"seed"'));

  const again = join(dir, "again");
  assert.equal(ws("logs", "drill", "--out", again, "--format", "jsonl").status, 0);
  assert.deepEqual(
    files(again).map((f) => readFileSync(f)),
    written.map((f) => readFileSync(f)),
    "the same logs again, byte for byte",
  );
  const taken = ws("start", "ransomware-s3", "--seed", "4", "--id", "drill");
  assert.equal(taken.status, 4, taken.stderr);
  assert.match(taken.stderr, /already exists/);
  const unknown = ws("start", "no-such-scenario", "--seed", "1");
  assert.notEqual(unknown.status, 0);
  assert.match(unknown.stderr, /ransomware-s3/, "the known scenarios are listed");
});

test("a participant answers from the logs: full marks, once; bad input refused with exit codes", () => {
  const ia = key.initialAccess;
  const hint = ws("hint", "drill", "techniques", "--participant", "ana");
  assert.equal(hint.status, 0, hint.stderr);
  assert.match(hint.stdout, /hint 1 for techniques/);
  const a1 = ws(
    "answer",
    "drill",
    "initial-access",
    ia.accessKeyId ?? ia.principalArn,
    ia.sourceIp,
    "--participant",
    "ana",
  );
  assert.equal(a1.status, 0, a1.stderr);
  assert.match(a1.stdout, /Initial access: 25 of 25/);
  const techniques = [...new Set([...key.steps].sort((a, b) => (a.start < b.start ? -1 : 1)).map((s) => s.technique))];
  const a2 = ws("answer", "drill", "techniques", techniques.join(","), "--participant", "ana");
  assert.match(a2.stdout, /Techniques: 25 of 30/, "30 minus one hint");
  const buckets = [
    ...new Set(
      [...key.impact.deleted, ...key.impact.encrypted].map((r) => r.replace(/^arn:aws:s3:::/, "").split("/")[0] ?? r),
    ),
  ];
  const a3 = ws("answer", "drill", "impact", ...(buckets.length ? buckets : ["none"]), "--participant", "ana");
  assert.match(a3.stdout, /Impact: 25 of 25/, a3.stdout);
  const a4 = ws("answer", "drill", "containment", key.containBy, "--participant", "ana");
  assert.match(a4.stdout, /Containment: 20 of 20/);

  const twice = ws("answer", "drill", "containment", key.containBy, "--participant", "ana");
  assert.equal(twice.status, 4);
  assert.match(twice.stderr, /already answered "containment"/);
  const nowhere = ws("answer", "nope", "impact", "none", "--participant", "ana");
  assert.equal(nowhere.status, 3);
  assert.match(nowhere.stderr, /no workshop nope/);
  const shape = ws("answer", "drill", "initial-access", "AKIAONLYONEVALUE", "--participant", "bo");
  assert.equal(shape.status, 2);
  assert.match(shape.stderr, /two values: CREDENTIAL SOURCE_IP/);
  assert.doesNotMatch(shape.stderr, /\n\s+at /, "no stack trace");

  ws("answer", "drill", "containment", "2026-11-02T23:59:00Z", "--participant", "bo");
  const mine = ws("score", "drill", "--participant", "ana", "--json");
  assert.equal((JSON.parse(mine.stdout) as { points: number }).points, 95);
  const results = ws("score", "drill");
  assert.match(results.stdout, /1\s+ana\s+95\/100/);
  assert.match(results.stdout, /2\s+bo\s+/);
});

test("debrief links each step to its technique, rules and playbooks; close stops answers", () => {
  const d = ws("debrief", "drill", "--json");
  assert.equal(d.status, 0, d.stderr);
  const debrief = JSON.parse(d.stdout) as {
    steps: Array<{ technique: { name: string | null }; rules: unknown[]; playbooks: unknown[] }>;
  };
  assert.equal(debrief.steps.length, key.steps.length);
  assert.ok(
    debrief.steps.every((s) => s.technique.name),
    "every step's technique is in the catalog",
  );
  assert.ok(debrief.steps.some((s) => s.rules.length > 0 && s.playbooks.length > 0));
  assert.equal(ws("close", "drill").status, 0);
  const late = ws("answer", "drill", "impact", "none", "--participant", "cy");
  assert.equal(late.status, 4);
  assert.match(late.stderr, /closed/);
  const list = ws("list");
  assert.match(list.stdout, /drill\s+.*ransomware-s3\s+closed\s+2\s+fay/);
  assert.ok(existsSync(db));
});
