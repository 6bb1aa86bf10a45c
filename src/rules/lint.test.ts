import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { miniCatalog, tech } from "../catalog/test-helpers.js";
import { formatLintProblem, type LintProblem, lintRules } from "./lint.js";

const catalog = miniCatalog([tech("T1562"), tech("T1562.008")]);

const good = `title: Trail stopped
id: rule-a
level: high
description: Someone stopped a trail.
tags: [techtrail.t1562.008, attack.t1562.008]
logsource: {product: aws, service: cloudtrail}
detection:
  sel: {eventName: StopLogging}
  condition: sel
`;
const tests = 'match:\n  - {"eventName": "StopLogging"}\n';

function lint(files: Record<string, string>, testFiles: Record<string, string> = {}): LintProblem[] {
  return lintRules({
    files: Object.entries(files).map(([source, text]) => ({ source, text })),
    testsText: (s) => testFiles[s.replace(/\.yml$/, ".tests.yaml")],
    catalog,
  });
}
const brief = (ps: LintProblem[]) => ps.map((p) => `${p.source}:${p.line}:${p.column} ${p.severity} ${p.check}`);

describe("lintRules", () => {
  it("finds nothing wrong with a complete rule and its tests", () => {
    assert.deepEqual(lint({ "a.yml": good }, { "a.tests.yaml": tests }), []);
  });

  it("reports YAML, schema, condition and modifier errors at file:line:column", () => {
    const ps = lint({
      "yaml.yml": "title: [unclosed\n",
      "schema.yml": good.replace("level: high", "level: severe"),
      "cond.yml": good.replace("condition: sel", "condition: sel and other").replace("rule-a", "rule-c"),
      "mod.yml": good
        .replace("eventName: StopLogging", "eventName|sounds_like: StopLogging")
        .replace("rule-a", "rule-m"),
    });
    const errors = ps.filter((p) => p.severity === "error");
    assert.deepEqual(brief(errors), [
      "cond.yml:9:22 error schema",
      "mod.yml:8:32 error unsupported",
      "schema.yml:3:8 error schema",
      "yaml.yml:2:1 error yaml",
    ]);
    assert.match(errors[1]?.message ?? "", /unknown modifier 'sounds_like'/);
    assert.match(errors[2]?.message ?? "", /^level: /);
  });

  it("reports duplicate IDs at the second definition, naming the first", () => {
    const ps = lint({ "a.yml": good, "b.yml": `# copy\n${good}` }, { "a.tests.yaml": tests, "b.tests.yaml": tests });
    assert.deepEqual(brief(ps), ["b.yml:3:5 error duplicate-id"]);
    assert.match(ps[0]?.message ?? "", /rule-a \(first defined at a\.yml:2\)/);
  });

  it("checks technique tags against the catalog: unknown techtrail tags are errors, ATT&CK ones warnings", () => {
    const ps = lint(
      { "a.yml": good.replace("[techtrail.t1562.008, attack.t1562.008]", "[techtrail.t1098.a001, attack.t1098]") },
      { "a.tests.yaml": tests },
    );
    assert.deepEqual(brief(ps), ["a.yml:5:8 error unknown-technique", "a.yml:5:30 warning unknown-technique"]);
  });

  it("warns about a missing tests file, level, description and id, and a long title", () => {
    const bare = `title: ${"x".repeat(111)}
logsource: {product: aws, service: cloudtrail}
detection:
  sel: {eventName: StopLogging}
  condition: sel
`;
    const ps = lint({ "a.yml": bare });
    assert.deepEqual(
      ps.map((p) => p.check),
      ["missing-id", "missing-level", "missing-description", "missing-tests", "title-length"],
    );
    assert.ok(ps.every((p) => p.severity === "warning"));
    assert.equal(ps.find((p) => p.check === "title-length")?.column, 8);
  });

  it("reports a malformed tests file in that file", () => {
    const ps = lint({ "a.yml": good }, { "a.tests.yaml": `${tests}nomatch: 3\n` });
    assert.deepEqual(brief(ps), ["a.tests.yaml:3:10 error tests-file"]);
    assert.equal(
      formatLintProblem(ps[0] as LintProblem),
      "a.tests.yaml:3:10: error [tests-file] nomatch: Invalid input: expected array, received number",
    );
  });
});
