import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { describeRule, findRule, matchesRuleFilter, sortRuleInfos } from "./library.js";
import { compileSigmaRule, compileSigmaRules } from "./sigma.js";

const ruleText = (id: string, level: string, tags: string[], names: string) => `title: Rule ${id}
id: ${id}
status: test
level: ${level}
description: |
  Why it matters.
tags: [${tags.join(", ")}]
logsource: {product: aws, service: cloudtrail}
detection:
  sel: {eventName: ${names}}
  condition: sel
`;

const a = describeRule(
  compileSigmaRule(ruleText("a", "high", ["attack.t1078.004", "techtrail.t1078.a001"], "ConsoleLogin"), "u/a.yml"),
  "user",
);
const b = describeRule(
  compileSigmaRule(ruleText("b", "low", ["techtrail.t1562.008"], "'Delete*'"), "rules/builtin/b.yml"),
  "builtin",
);

describe("rule library", () => {
  it("describes a rule: techniques, ATT&CK, level, status, source, events", () => {
    assert.equal(a.level, "high");
    assert.equal(a.status, "test");
    assert.equal(a.description, "Why it matters.");
    assert.deepEqual(a.techniques, ["T1078.A001"]);
    assert.deepEqual(a.attack, ["T1078.004"]);
    assert.deepEqual(a.eventNames, ["consolelogin"]);
    assert.equal(a.eventSources, null);
    assert.deepEqual(b.eventNames, ["delete*"]);
    assert.equal(b.origin, "builtin");
  });

  it("filters by technique (sub-techniques included), level, minimum level and source", () => {
    const all = [a, b];
    const ids = (f: Parameters<typeof matchesRuleFilter>[1]) =>
      all.filter((r) => matchesRuleFilter(r, f)).map((r) => r.id);
    assert.deepEqual(ids({ technique: "t1078" }), ["a"]);
    assert.deepEqual(ids({ technique: "T1078.004" }), ["a"]);
    assert.deepEqual(ids({ technique: "T1562" }), ["b"]);
    assert.deepEqual(ids({ technique: "T15" }), []);
    assert.deepEqual(ids({ level: "low" }), ["b"]);
    assert.deepEqual(ids({ minLevel: "medium" }), ["a"]);
    assert.deepEqual(ids({ source: "builtin" }), ["b"]);
    assert.deepEqual(ids({ source: "user" }), ["a"]);
    assert.deepEqual(ids({ source: "u/" }), ["a"]);
  });

  it("finds a rule by ID, case-insensitive ID or file path, and sorts by source", () => {
    assert.equal(findRule([a, b], "A")?.id, "a");
    assert.equal(findRule([a, b], "b.yml")?.id, "b");
    assert.equal(findRule([a, b], "rules/builtin/b.yml")?.id, "b");
    assert.equal(findRule([a, b], "c"), undefined);
    assert.deepEqual(
      sortRuleInfos([a, b]).map((r) => r.id),
      ["b", "a"],
    );
  });

  it("describes a correlation and marks the rule it hides as correlation-only", () => {
    const text = `title: Failed sign-in
name: failed_signin
id: base-rule
logsource: {product: aws, service: cloudtrail}
detection:
  sel: {eventName: ConsoleLogin, errorMessage: Failed authentication}
  condition: sel
---
title: Sign-in burst
id: burst
level: high
tags: [techtrail.t1110]
correlation:
  type: event_count
  rules: [failed_signin]
  group-by: [sourceIPAddress]
  timespan: 10m
  condition: {gte: 10}
`;
    const { rules, correlations, errors } = compileSigmaRules([{ source: "u/burst.yml", text }]);
    assert.deepEqual(errors, []);
    const c = describeRule(correlations[0] as (typeof correlations)[number], "user");
    assert.equal(c.kind, "correlation");
    assert.deepEqual(c.correlation, {
      type: "event_count",
      rules: ["base-rule"],
      groupBy: ["sourceIPAddress"],
      timespanMs: 600_000,
      generate: false,
    });
    assert.deepEqual(c.techniques, ["T1110"]);
    assert.equal(c.eventNames, null);
    const base = describeRule(rules[0] as (typeof rules)[number], "user");
    assert.equal(base.kind, "event");
    assert.equal(base.correlationOnly, true);
  });
});
