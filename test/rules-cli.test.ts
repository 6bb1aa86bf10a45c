// End-to-end tests of `techtrail rules list|show|test|lint|coverage` on the built-in rules and a user folder.
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { RuleCoverage } from "../src/coverage/api-calls.js";
import { LintProblem, RuleInfo, RuleTestResult } from "../src/rules/index.js";
import { runCli } from "./cli-helper.js";
import { sharedPath, skipUnlessShared } from "./shared.js";

const FACTS = "data/public-aws-detections/public-aws-detections.jsonl";

const userRule = (id: string, name: string) => `title: User rule ${id}
id: ${id}
level: critical
status: test
tags: [techtrail.t1562.008, attack.t1562.008]
logsource: {product: aws, service: cloudtrail}
detection:
  sel: {eventName: ${name}}
  condition: sel
`;

function userFolder(): string {
  const dir = mkdtempSync(join(tmpdir(), "techtrail-rules-cli-"));
  writeFileSync(join(dir, "good.yml"), userRule("user-good", "StopLogging"));
  writeFileSync(join(dir, "good.tests.yaml"), 'match:\n  - {"eventName": "StopLogging"}\n');
  writeFileSync(join(dir, "bad.yml"), userRule("user-bad", "DeleteTrail"));
  writeFileSync(
    join(dir, "bad.tests.yaml"),
    'match:\n  - {"eventName": "DeleteTrail"}\nnomatch:\n  - {"eventName": "DeleteTrail"}\n',
  );
  return dir;
}

describe("techtrail rules", () => {
  it("list --json describes every rule; filters by technique, level and source", () => {
    const dir = userFolder();
    const all = runCli(["rules", "list", "--json", "--rules", dir]);
    assert.equal(all.status, 0, all.stderr);
    const rules = (JSON.parse(all.stdout) as { rules: unknown[] }).rules.map((r) => RuleInfo.parse(r));
    assert.ok(rules.length > 100);
    assert.ok(rules.some((r) => r.origin === "builtin" && r.source.startsWith("rules/builtin/")));
    const r = runCli([
      "rules",
      "list",
      "--json",
      "--rules",
      dir,
      "--source",
      "user",
      "--technique",
      "T1562",
      "--level",
      "critical",
    ]);
    assert.deepEqual(
      (JSON.parse(r.stdout) as { rules: RuleInfo[] }).rules.map((x) => x.id),
      ["user-bad", "user-good"],
    );
    const table = runCli(["rules", "list", "--min-level", "critical", "--rules", dir]);
    assert.match(table.stdout, /user-good .*critical/);
    assert.doesNotMatch(table.stdout, / low /);
    const bad = runCli(["rules", "list", "--level", "severe"]);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--level/);
  });

  it("show prints one rule by ID or file; an unknown ID exits 3", () => {
    const dir = userFolder();
    const r = runCli(["rules", "show", "good.yml", "--rules", dir, "--no-builtin-rules"]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^user-good {2}User rule user-good/);
    assert.match(r.stdout, /level: +critical/);
    assert.match(r.stdout, /techniques: +T1562\.008/);
    const missing = runCli(["rules", "show", "no-such-rule"]);
    assert.equal(missing.status, 3);
    assert.match(missing.stderr, /no rule no-such-rule/);
  });

  it("test prints per-rule pass/fail with the failing record's line and exits 1 on failure", () => {
    const dir = userFolder();
    const r = runCli(["rules", "test", "--rules", dir, "--no-builtin-rules"]);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stdout, /^PASS +user-good/m);
    assert.match(r.stdout, /^FAIL +user-bad/m);
    assert.match(r.stdout, /bad\.tests\.yaml:4:5 \[nomatch\.0\]: nomatch\[0\] matches/);
    assert.match(r.stdout, /1 passed, 1 failed/);
    const json = runCli(["rules", "test", "user-good", "--json", "--rules", dir, "--no-builtin-rules"]);
    assert.equal(json.status, 0, json.stderr);
    const out = JSON.parse(json.stdout) as { passed: number; failed: number; results: unknown[] };
    assert.equal(out.passed, 1);
    assert.equal(RuleTestResult.parse(out.results[0]).status, "pass");
  });

  it("lint reports problems as file:line:column, exits 1 on errors; the built-in rules lint clean", () => {
    const dir = userFolder();
    writeFileSync(
      join(dir, "broken.yml"),
      userRule("user-good", "StopLogging").replace("condition: sel", "condition: sel or"),
    );
    const r = runCli(["rules", "lint", dir, "--json"]);
    assert.equal(r.status, 1, r.stderr);
    const out = JSON.parse(r.stdout) as { files: number; errors: number; problems: LintProblem[] };
    assert.equal(out.files, 3);
    const errors = out.problems.filter((p) => p.severity === "error").map((p) => LintProblem.parse(p));
    assert.deepEqual(
      errors.map((p) => [p.source.replace(dir, ""), p.line, p.check]),
      [
        ["/broken.yml", 9, "schema"],
        ["/good.yml", 2, "duplicate-id"],
      ],
    );
    const builtin = runCli(["rules", "lint", "--strict"]);
    assert.equal(builtin.status, 0, builtin.stdout);
    assert.match(builtin.stdout, /file\(s\): 0 error\(s\), 0 warning\(s\)/);
  });

  it("coverage --json accounts for every API call of the public facts; a missing facts file is a clear error", {
    skip: skipUnlessShared(FACTS),
  }, () => {
    const r = runCli(["rules", "coverage", "--json", "--facts", sharedPath(FACTS)]);
    assert.equal(r.status, 0, r.stderr);
    const c = RuleCoverage.parse(JSON.parse(r.stdout));
    assert.equal(c.facts.detections, 250);
    assert.ok(c.apiCalls.count > 300);
    assert.equal(c.apiCalls.count, c.covered.count + c.decidedNotCovered.count + c.undecided.count);
    assert.ok(
      c.covered.calls.some((x) => x.eventSource === "cloudtrail.amazonaws.com" && x.eventName === "StopLogging"),
    );
    assert.ok(c.techniquesWithRules.count > 100);
    const missing = runCli(["rules", "coverage", "--facts", "/nonexistent/facts.jsonl"]);
    assert.equal(missing.status, 3);
    assert.match(missing.stderr, /facts \/nonexistent\/facts\.jsonl not found[\s\S]*--facts FILE/);
  });

  it("test passes for every built-in rule", () => {
    const r = runCli(["rules", "test", "--failed"]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^\d+ passed, 0 failed$/m);
  });
});
