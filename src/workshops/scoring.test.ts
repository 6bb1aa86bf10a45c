import assert from "node:assert/strict";
import { test } from "node:test";
import { TechtrailError } from "../core/errors.js";
import { WorkshopSettings } from "./model.js";
import {
  expectedAnswers,
  hintsFor,
  MAX_POINTS,
  questionsFor,
  resourceName,
  scoreAnswer,
  summariseResources,
} from "./scoring.js";
import { FIXTURE_KEY, FIXTURE_SCENARIO as S } from "./test-fixture.js";

const settings = WorkshopSettings.parse({});

test("four questions worth 100 points, each with hints drawn from the scenario", () => {
  const qs = questionsFor(S);
  assert.deepEqual(
    qs.map((q) => q.id),
    ["initial-access", "techniques", "impact", "containment"],
  );
  assert.equal(MAX_POINTS, 100);
  assert.ok(qs.every((q) => q.hints >= 1));
  assert.match(hintsFor("initial-access", S)[0] ?? "", /111122223333, 2026-11-02 14:00–16:00 UTC/);
  assert.match(hintsFor("techniques", S)[0] ?? "", /4 step\(s\) using 4 distinct/);
  assert.match(hintsFor("impact", S)[0] ?? "", /1 resource\(s\) were deleted and 2 encrypted/);
});

test("initial access: key and IP right is full marks; a network or the identity earns part", () => {
  const full = scoreAnswer(
    { question: "initial-access", credential: "akiaworkshopfixture1", sourceIp: "198.51.100.23" },
    S,
    settings,
    0,
  );
  assert.equal(full.points, 25);
  const part = scoreAnswer(
    { question: "initial-access", credential: "ci-deploy", sourceIp: "198.51.100.0/24" },
    S,
    settings,
    0,
  );
  assert.equal(part.points, 12);
  assert.match(part.explanation.join(" "), /right identity.*access key/);
  const wrong = scoreAnswer(
    { question: "initial-access", credential: "AKIAOTHERKEY00000000", sourceIp: "203.0.113.9" },
    S,
    settings,
    0,
  );
  assert.equal(wrong.points, 0);
  // Explanations never name the expected values.
  assert.ok(!JSON.stringify(wrong).includes("AKIAWORKSHOPFIXTURE1"));
  assert.ok(!JSON.stringify(wrong).includes("198.51.100.23"));
});

test("techniques: set and order scored apart; parents earn half; extra techniques cost precision", () => {
  const perfect = scoreAnswer(
    { question: "techniques", techniques: ["T1580", "T1530.A001", "T1486.A001", "T1485.A003"] },
    S,
    settings,
    0,
  );
  assert.equal(perfect.points, 30);
  const shuffled = scoreAnswer(
    { question: "techniques", techniques: ["T1485.A003", "T1486.A001", "T1530.A001", "T1580"] },
    S,
    settings,
    0,
  );
  assert.equal(shuffled.points, 22.5, "all four named (20) but only one in order (2.5)");
  const partial = scoreAnswer(
    { question: "techniques", techniques: ["T1580", "T1486.A001", "T1078.A001"] },
    S,
    settings,
    0,
  );
  // 2 hits of 3 named, 2 of 4 expected: F1 = 4/7 → 11.4; 2 in order → 5.
  assert.equal(partial.points, 16.4);
  assert.match(partial.explanation.join(" "), /Not part of this attack: T1078\.A001/);
  const parent = scoreAnswer({ question: "techniques", techniques: ["T1580.A901"] }, S, settings, 0);
  assert.ok(parent.points > 0 && parent.points < 10, String(parent.points));
  assert.match(parent.explanation.join(" "), /same family/);
  const byParent = scoreAnswer(
    { question: "techniques", techniques: ["T1580", "T1530.A001", "T1486", "T1485.A003"] },
    S,
    settings,
    0,
  );
  assert.equal(byParent.points, 27.5, "3.5 of 4 named (17.5), all four in order (10)");
});

test("impact: a bucket covers its objects; naming nothing when something was hit scores zero", () => {
  const full = scoreAnswer(
    { question: "impact", resources: ["acme-invoices", "arn:aws:s3:::acme-backups/db/2026-11-01.dump"] },
    S,
    settings,
    0,
  );
  assert.equal(full.points, 25);
  const half = scoreAnswer(
    { question: "impact", resources: ["acme-invoices/2026/inv-001.pdf", "acme-logs"] },
    S,
    settings,
    0,
  );
  // precision 1/2, recall 1/3: F1 = 0.4 → 10.
  assert.equal(half.points, 10);
  assert.match(half.explanation.join(" "), /Not deleted or encrypted: acme-logs/);
  assert.equal(scoreAnswer({ question: "impact", resources: [] }, S, settings, 0).points, 0);
  const none = structuredClone(S);
  none.impact = { deleted: [], encrypted: [], exfiltrated: [], created: [] };
  assert.equal(scoreAnswer({ question: "impact", resources: ["none"] }, none, settings, 0).points, 25);
  assert.equal(scoreAnswer({ question: "impact", resources: ["acme-invoices"] }, none, settings, 0).points, 0);
  assert.equal(resourceName("arn:aws:ec2:eu-west-1:111122223333:instance/i-0abc"), "i-0abc");
  assert.equal(resourceName("arn:aws:s3:::b/k/x"), "b/k/x");
});

test("containment: full marks within the tolerance, then less, nothing far off; offsets and bare times read", () => {
  const exact = scoreAnswer({ question: "containment", time: "2026-11-02T15:25:00Z" }, S, settings, 0);
  assert.equal(exact.points, 20, "15 minutes late is within the 30-minute tolerance");
  assert.equal(scoreAnswer({ question: "containment", time: "2026-11-02 16:10" }, S, settings, 0).points, 13.3);
  assert.equal(scoreAnswer({ question: "containment", time: "2026-11-02T17:10:00+02:00" }, S, settings, 0).points, 20);
  const late = scoreAnswer({ question: "containment", time: "2026-11-02T20:00:00Z" }, S, settings, 0);
  assert.equal(late.points, 0);
  assert.match(late.explanation.join(" "), /Too late/);
  assert.throws(
    () => scoreAnswer({ question: "containment", time: "yesterday" }, S, settings, 0),
    (e: unknown) => e instanceof TechtrailError && e.code === "VALIDATION" && /ISO 8601/.test(e.message),
  );
});

test("hints cost points, never below zero", () => {
  const a = { question: "initial-access", credential: "AKIAWORKSHOPFIXTURE1", sourceIp: "198.51.100.23" } as const;
  const two = scoreAnswer(a, S, settings, 2);
  assert.deepEqual([two.raw, two.penalty, two.points], [25, 10, 15]);
  const costly = scoreAnswer(a, S, WorkshopSettings.parse({ hintCost: 20 }), 2);
  assert.deepEqual([costly.penalty, costly.points], [25, 0]);
});

test("the debrief's expected answers name the key, the techniques in order and the impact", () => {
  const e = expectedAnswers(S);
  assert.ok(e[0]?.expected.includes("access key AKIAWORKSHOPFIXTURE1"));
  assert.deepEqual(e[1]?.expected, ["T1580", "T1530.A001", "T1486.A001", "T1485.A003"]);
  assert.equal(e[2]?.expected.length, 3);
  assert.equal(FIXTURE_KEY.scenarios.length, 1);
  const many = Array.from({ length: 40 }, (_, i) => `arn:aws:s3:::docs/c/${i}.pdf`);
  assert.deepEqual(summariseResources([...many, "arn:aws:s3:::logs/a", "i-0abc"]), [
    "arn:aws:s3:::docs/… (40 objects)",
    "arn:aws:s3:::logs/a",
    "i-0abc",
  ]);
});
