import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { TechtrailError } from "../core/errors.js";
import { RuleIndex } from "./rule-index.js";
import { compileSigmaRule } from "./sigma.js";
import { parseRuleTests, runRuleTests, testsFileName } from "./testing.js";

const rule = compileSigmaRule(
  `title: Trail stopped
id: trail-stopped
logsource: {product: aws, service: cloudtrail}
detection:
  sel: {eventSource: cloudtrail.amazonaws.com, eventName: StopLogging}
  condition: sel
`,
  "rules/trail-stopped.yml",
);
const stop = '{"eventSource": "cloudtrail.amazonaws.com", "eventName": "StopLogging"}';
const start = '{"eventSource": "cloudtrail.amazonaws.com", "eventName": "StartLogging"}';
const run = (text: string | undefined, index?: RuleIndex) =>
  runRuleTests({ kind: "event", rule }, "rules/trail-stopped.tests.yaml", text, index ? { index } : {});

describe("rule tests", () => {
  it("names the tests file beside the rule", () => {
    assert.equal(testsFileName("rules/builtin/x.yml"), "rules/builtin/x.tests.yaml");
    assert.equal(testsFileName("a/b.yaml"), "a/b.tests.yaml");
  });

  it("passes when match records match and nomatch records do not", () => {
    const r = run(`match:\n  - ${stop}\nnomatch:\n  - ${start}\n`, new RuleIndex([rule]));
    assert.equal(r.status, "pass");
    assert.equal(r.cases, 2);
    assert.deepEqual(r.failures, []);
  });

  it("fails with the line of each wrong record", () => {
    const r = run(`match:\n  - ${stop}\n  - ${start}\nnomatch:\n  - ${stop}\n`);
    assert.equal(r.status, "fail");
    assert.deepEqual(
      r.failures.map((f) => [f.line, f.field, f.message]),
      [
        [3, "match.1", "match[1] does not match"],
        [5, "nomatch.0", "nomatch[0] matches"],
      ],
    );
  });

  it("fails when the eventName index would not offer the rule for a match record", () => {
    // The record matches the closure, but the index offers the rule only for StopLogging: a broken filter.
    const odd = { ...rule, eventNameFilter: { values: new Set(["other"]), prefixes: [] } };
    const r = runRuleTests({ kind: "event", rule: odd }, "t.tests.yaml", `match:\n  - ${stop}\n`, {
      index: new RuleIndex([odd]),
    });
    assert.equal(r.status, "fail");
    assert.match(r.failures[0]?.message ?? "", /index hides the rule/);
  });

  it("an event rule needs at least one match record", () => {
    const r = run(`nomatch:\n  - ${start}\n`);
    assert.equal(r.status, "fail");
    assert.match(r.failures[0]?.message ?? "", /at least one record it must match/);
  });

  it("reports a missing tests file and a malformed one without throwing", () => {
    assert.equal(run(undefined).status, "missing");
    const bad = run(`match:\n  - ${stop}\nextra: 1\n`);
    assert.equal(bad.status, "invalid");
    assert.equal(bad.failures[0]?.line, 3);
    const yaml = run("match: [\n");
    assert.equal(yaml.status, "invalid");
    assert.ok(yaml.failures[0]?.line !== undefined);
  });

  it("parseRuleTests throws a located VALIDATION error for records that are not maps", () => {
    try {
      parseRuleTests("match:\n  - 42\n", "x.tests.yaml");
      assert.fail("expected an error");
    } catch (e) {
      assert.ok(e instanceof TechtrailError);
      assert.equal(e.code, "VALIDATION");
      assert.equal(e.problems[0]?.line, 2);
      assert.equal(e.problems[0]?.field, "match.0");
    }
  });
});
