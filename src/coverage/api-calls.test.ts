import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { miniCatalog, tech } from "../catalog/test-helpers.js";
import { TechtrailError } from "../core/errors.js";
import { compileSigmaRules } from "../rules/index.js";
import { computeRuleCoverage, loadPublicFacts, type PublicDetection, parseCoverageDecisions } from "./api-calls.js";

const rule = (id: string, sel: string, tag = "techtrail.t1098") => `title: Rule ${id}
id: ${id}
tags: [${tag}]
logsource: {product: aws, service: cloudtrail}
detection:
  sel: ${sel}
  condition: sel
`;
const { rules } = compileSigmaRules([
  { source: "a.yml", text: rule("iam-user", "{eventSource: iam.amazonaws.com, eventName: CreateUser}") },
  { source: "b.yml", text: rule("any-src", "{eventName: [ListKeys, GetSecretValue]}") },
  { source: "c.yml", text: rule("lambda", "{eventName|startswith: UpdateFunctionCode}") },
  { source: "d.yml", text: rule("ua-only", "{userAgent|contains: pacu}") },
]);
const catalog = miniCatalog([
  tech("T1098", { events: ["iam:CreateUser"] }),
  tech("T1530", { events: ["s3:GetObject", "lambda:UpdateFunctionCode20150331v2"] }),
]);
const fact = (name: string, eventSources: string[], eventNames: string[]): PublicDetection => ({
  id: name,
  name,
  source: "test",
  eventSources,
  eventNames,
  attack: [],
});
const decisions = parseCoverageDecisions(
  `decisions:
  - {eventSource: s3.amazonaws.com, eventName: GetObject, reason: noise, note: Routine reads.}
  - {eventSource: iam.amazonaws.com, eventName: CreateUser, reason: noise, note: Covered anyway.}
  - {eventSource: ec2.amazonaws.com, eventName: RunInstances, reason: noise, note: Not in the facts.}
  - {eventSource: s3.amazonaws.com, eventName: GetObject, reason: noise, note: Twice.}
`,
  "decisions.yaml",
);
const cover = (facts: PublicDetection[]) =>
  computeRuleCoverage({ facts, factsFile: "f", decisions, decisionsFile: "decisions.yaml", rules, catalog });

describe("rule coverage of published API calls", () => {
  it("pairs names with sources, then sorts calls into covered, decided and undecided", () => {
    const r = cover([
      fact("one source", ["iam.amazonaws.com"], ["CreateUser", "DeleteUser"]),
      fact("no source", [], ["GetObject", "ListKeys", "UpdateFunctionCode", "Mystery"]),
      fact("many sources", ["kms.amazonaws.com", "iam.amazonaws.com"], ["CreateUser", "ScheduleKeyDeletion"]),
    ]);
    const key = (c: { eventSource: string | null; eventName: string }) => `${c.eventSource ?? "?"}:${c.eventName}`;
    assert.deepEqual(r.apiCalls.calls.map(key), [
      "iam.amazonaws.com:CreateUser",
      "iam.amazonaws.com:DeleteUser",
      "lambda.amazonaws.com:UpdateFunctionCode",
      "s3.amazonaws.com:GetObject",
      "?:ListKeys",
      "?:Mystery",
      "?:ScheduleKeyDeletion",
    ]);
    // CreateUser named by two detections is one call
    assert.equal(r.apiCalls.calls[0]?.detections, 2);
    assert.deepEqual(r.covered.calls.map(key), [
      "iam.amazonaws.com:CreateUser",
      "lambda.amazonaws.com:UpdateFunctionCode",
      "?:ListKeys",
    ]);
    assert.deepEqual(r.covered.calls[0]?.rules, ["iam-user"]);
    assert.deepEqual(r.decidedNotCovered.calls, [
      { eventSource: "s3.amazonaws.com", eventName: "GetObject", reason: "noise" },
    ]);
    assert.deepEqual(r.undecided.calls.map(key), [
      "iam.amazonaws.com:DeleteUser",
      "?:Mystery",
      "?:ScheduleKeyDeletion",
    ]);
    assert.deepEqual(r.undecided.calls[2]?.candidateSources, ["iam.amazonaws.com", "kms.amazonaws.com"]);
    assert.equal(r.apiCalls.count, r.covered.count + r.decidedNotCovered.count + r.undecided.count);
  });

  it("a rule that constrains no eventName covers nothing; a rule without eventSource covers any source", () => {
    const r = cover([fact("x", ["secretsmanager.amazonaws.com"], ["GetSecretValue", "ListSecrets"])]);
    assert.deepEqual(
      r.covered.calls.map((c) => [c.eventName, c.rules]),
      [["GetSecretValue", ["any-src"]]],
    );
  });

  it("lists decision problems: duplicates (error), covered calls and calls the facts lack (warnings)", () => {
    const r = cover([fact("x", ["iam.amazonaws.com"], ["CreateUser"]), fact("y", ["s3.amazonaws.com"], ["GetObject"])]);
    assert.deepEqual(
      r.decisions.problems.map((p) => [p.line, p.severity, p.message.split(" (")[0]?.split(";")[0]]),
      [
        [3, "warning", "iam.amazonaws.com CreateUser is covered by a.yml"],
        [4, "warning", "ec2.amazonaws.com RunInstances is not an API call of the public facts"],
        [5, "error", "duplicate decision for s3.amazonaws.com GetObject"],
      ],
    );
  });

  it("ignores values that are not API names and bare verb wildcards; keeps service call patterns", () => {
    const r = cover([
      fact("w", [], ["List*", "CreateUser AND something"]),
      fact("p", ["lambda.amazonaws.com"], ["UpdateFunctionCode*"]),
    ]);
    assert.deepEqual(
      r.ignored.map((i) => i.eventName),
      ["List*", "CreateUser AND something"],
    );
    assert.deepEqual(
      r.covered.calls.map((c) => c.eventName),
      ["UpdateFunctionCode*"],
    );
  });

  it("counts active catalog techniques with and without rules", () => {
    const r = cover([]);
    assert.deepEqual(r.techniquesWithRules.techniques, [{ id: "T1098", rules: 4 }]);
    assert.deepEqual(
      r.techniquesWithoutRules.techniques.map((t) => [t.id, t.events]),
      [["T1530", 2]],
    );
  });

  it("rejects malformed decisions with file:line:column and field", () => {
    try {
      parseCoverageDecisions(
        "decisions:\n  - {eventSource: iam, eventName: CreateUser, reason: boring, note: x}\n",
        "d.yaml",
      );
      assert.fail("expected an error");
    } catch (e) {
      assert.ok(e instanceof TechtrailError);
      assert.deepEqual(
        e.problems.map((p) => [p.line, p.field]),
        [
          [2, "decisions.0.eventSource"],
          [2, "decisions.0.reason"],
        ],
      );
    }
  });

  it("reads facts line by line, naming the bad line; a missing file is NOT_FOUND", () => {
    const dir = mkdtempSync(join(tmpdir(), "techtrail-facts-"));
    const file = join(dir, "f.jsonl");
    writeFileSync(file, `${JSON.stringify(fact("ok", [], ["A"]))}\n{"id": "x"}\nnot json\n`);
    try {
      loadPublicFacts(file);
      assert.fail("expected an error");
    } catch (e) {
      assert.ok(e instanceof TechtrailError);
      assert.equal(e.code, "VALIDATION");
      assert.deepEqual([...new Set(e.problems.map((p) => p.line))], [2, 3]);
    }
    assert.throws(() => loadPublicFacts(join(dir, "absent.jsonl")), /not found/);
  });
});
