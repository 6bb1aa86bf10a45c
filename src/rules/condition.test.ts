import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConditionAggregationError, ConditionSyntaxError, expandOfPattern, parseCondition } from "./condition.js";

describe("parseCondition", () => {
  it("binds not tighter than and, and tighter than or", () => {
    assert.deepEqual(parseCondition("a or not b and c"), {
      kind: "or",
      items: [
        { kind: "id", name: "a", pos: 0 },
        {
          kind: "and",
          items: [
            { kind: "not", expr: { kind: "id", name: "b", pos: 9 } },
            { kind: "id", name: "c", pos: 15 },
          ],
        },
      ],
    });
  });
  it("parses quantifiers and parentheses", () => {
    assert.deepEqual(parseCondition("(1 of sel_*) and all of them"), {
      kind: "and",
      items: [
        { kind: "of", quantifier: 1, pattern: "sel_*", pos: 6 },
        { kind: "of", quantifier: "all", pattern: null, pos: 24 },
      ],
    });
    assert.deepEqual(parseCondition("any of x"), { kind: "of", quantifier: 1, pattern: "x", pos: 7 });
  });
  it("reports syntax errors at their offset", () => {
    const at = (src: string) => {
      try {
        parseCondition(src);
      } catch (e) {
        assert.ok(e instanceof ConditionSyntaxError);
        return e.pos;
      }
      assert.fail(`no error for ${src}`);
    };
    assert.equal(at("a and"), 5);
    assert.equal(at("(a or b"), 7);
    assert.equal(at("a b"), 2);
    assert.equal(at("a and or"), 6);
    assert.equal(at("a # b"), 2);
    assert.equal(at("1 of"), 4);
    assert.equal(at("a_*"), 0);
    assert.equal(at(""), 0);
  });
  it("flags aggregations as correlations", () => {
    assert.throws(() => parseCondition("sel | count() > 5"), ConditionAggregationError);
    assert.throws(() => parseCondition("sel1 | near sel2"), ConditionAggregationError);
  });
});

describe("expandOfPattern", () => {
  it("selects by wildcard and excludes _-prefixed identifiers from them", () => {
    const ids = ["sel_a", "sel_b", "filter", "_hidden"];
    assert.deepEqual(expandOfPattern("sel_*", ids), ["sel_a", "sel_b"]);
    assert.deepEqual(expandOfPattern(null, ids), ["sel_a", "sel_b", "filter"]);
    assert.deepEqual(expandOfPattern("filter", ids), ["filter"]);
    assert.deepEqual(expandOfPattern("x*", ids), []);
  });
});
