import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { CompiledRule } from "./model.js";
import { RuleIndex } from "./rule-index.js";
import { compileSigmaRule } from "./sigma.js";

function rule(id: string, detection: string): CompiledRule {
  const body = detection
    .trim()
    .split("\n")
    .map((l) => `  ${l}`)
    .join("\n");
  return compileSigmaRule(
    `title: ${id}\nid: ${id}\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n${body}\n`,
    `${id}.yml`,
  );
}
const names = (r: CompiledRule) => (r.eventNames === null ? null : [...r.eventNames].sort());

describe("eventName analysis", () => {
  it("constrains a rule whose every path needs an eventName equality", () => {
    assert.deepEqual(names(rule("a", "sel:\n  eventName: StopLogging\ncondition: sel")), ["stoplogging"]);
    assert.deepEqual(
      names(rule("b", "sel:\n  eventName: [A, B]\nfilter:\n  userAgent: x\ncondition: sel and not filter")),
      ["a", "b"],
    );
    assert.deepEqual(names(rule("c", "sel1:\n  eventName: A\nsel2:\n  eventName: B\ncondition: sel1 or sel2")), [
      "a",
      "b",
    ]);
    assert.deepEqual(
      names(rule("d", "s1:\n  eventName: A\ns2:\n  - eventName: B\n  - eventName: C\ncondition: 1 of them")),
      ["a", "b", "c"],
    );
    assert.deepEqual(
      names(rule("e", "sel:\n  eventName: [A, B]\nsel2:\n  eventName: [B, C]\ncondition: sel and sel2")),
      ["b"],
    );
    assert.deepEqual(names(rule("f", "sel:\n  eventName: A\nst:\n  errorCode: x\ncondition: sel and 1 of st*")), ["a"]);
    assert.deepEqual(names(rule("g", "sel:\n  eventName|cased: A\ncondition: sel")), ["a"]);
    assert.deepEqual(
      names(rule("g2", "s1:\n  eventName: A\ns2:\n  eventName: B\ns3:\n  x: 1\ncondition: 2 of s*")),
      null,
    );
    assert.deepEqual(names(rule("g3", "s1:\n  eventName: A\ns2:\n  eventName: B\ncondition: 2 of s*")), ["a", "b"]);
    assert.deepEqual(names(rule("h", "sel:\n  eventName|all: [A, B]\ncondition: sel")), []);
    assert.deepEqual(names(rule("i", "sel:\n  eventName: 'Stop\\*'\ncondition: sel")), ["stop*"]);
  });
  it("leaves a rule unconstrained when some path does not pin eventName", () => {
    assert.equal(names(rule("a", "sel:\n  eventName: A\nother:\n  userAgent: x\ncondition: sel or other")), null);
    assert.equal(names(rule("b", "sel:\n  eventName: A\ncondition: not sel")), null);
    assert.equal(names(rule("c", "sel:\n  - eventName: A\n  - userAgent: x\ncondition: sel")), null);
    assert.equal(names(rule("d", "sel:\n  eventName|contains: A\ncondition: sel")), null);
    assert.equal(names(rule("e", "sel:\n  eventName: [A, null]\ncondition: sel")), null);
    assert.equal(names(rule("f", "sel:\n  eventName: Delete*\ncondition: sel")), null);
    assert.equal(names(rule("g", "kw:\n  - StopLogging\ncondition: kw")), null);
  });
  it("keeps prefixes for wildcard and startswith eventNames", () => {
    const r = rule("a", "sel:\n  eventName: [Delete*, StopLogging]\ncondition: sel");
    assert.deepEqual(r.eventNameFilter?.prefixes, ["delete"]);
    assert.deepEqual([...(r.eventNameFilter?.values ?? [])], ["stoplogging"]);
    const s = rule(
      "b",
      "sel:\n  eventName|startswith: Update\nsel2:\n  eventName: [UpdateTrail, CreateTrail]\ncondition: sel and sel2",
    );
    assert.deepEqual(names(s), ["updatetrail"]);
    assert.deepEqual(rule("c", "sel:\n  eventName: 'D*x'\ncondition: sel").eventNameFilter, null);
  });
  it("analyses eventSource the same way", () => {
    const r = rule("a", "sel:\n  eventSource: s3.amazonaws.com\n  eventName: A\ncondition: sel");
    assert.deepEqual(r.eventSources && [...r.eventSources], ["s3.amazonaws.com"]);
  });
});

describe("RuleIndex", () => {
  const stop = rule("stop", "sel:\n  eventName: StopLogging\ncondition: sel");
  const del = rule("del", "sel:\n  eventName: Delete*\ncondition: sel");
  const any = rule("any", "sel:\n  userIdentity.type: Root\ncondition: sel");
  const both = rule("both", "sel:\n  eventName: [StopLogging, DeleteTrail]\ncondition: sel");
  it("returns candidates case-insensitively, in rule order, always including unconstrained rules", () => {
    const idx = new RuleIndex([stop, del, any, both]);
    assert.deepEqual(
      idx.candidates("StopLogging").map((r) => r.id),
      ["stop", "any", "both"],
    );
    assert.deepEqual(
      idx.candidates("STOPLOGGING").map((r) => r.id),
      ["stop", "any", "both"],
    );
    assert.deepEqual(
      idx.candidates("DeleteTrail").map((r) => r.id),
      ["del", "any", "both"],
    );
    assert.deepEqual(
      idx.candidates("GetObject").map((r) => r.id),
      ["any"],
    );
    assert.deepEqual(
      idx.candidates(undefined).map((r) => r.id),
      ["any"],
    );
    assert.equal(idx.eventNames, null);
    assert.equal(idx.rules.length, 4);
  });
  it("exposes the exact eventName set when every rule is indexable", () => {
    const idx = new RuleIndex([stop, both]);
    assert.deepEqual([...(idx.eventNames ?? [])].sort(), ["deletetrail", "stoplogging"]);
    assert.deepEqual(idx.candidates("GetObject"), []);
    assert.equal(new RuleIndex([stop, del]).eventNames, null);
  });
  it("never drops a rule that would match (candidates ⊇ matching rules)", () => {
    const rules = [stop, del, any, both];
    const idx = new RuleIndex(rules);
    const events = ["StopLogging", "deletebucket", "DeleteTrail", "GetObject", "stoplogging"].flatMap((n) => [
      { eventName: n },
      { eventName: n, userIdentity: { type: "Root" } },
    ]);
    for (const e of events) {
      const cands = new Set(idx.candidates(e.eventName));
      for (const r of rules) if (r.match(e)) assert.ok(cands.has(r), `${r.id} missing for ${e.eventName}`);
    }
  });
});
