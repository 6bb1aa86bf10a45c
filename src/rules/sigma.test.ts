import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { TechtrailError } from "../core/errors.js";
import { compileSigmaRule, compileSigmaRules } from "./sigma.js";

/** A minimal CloudTrail rule around a detection block (indented 4 spaces under `detection:`). */
function ruleText(detection: string, extra = ""): string {
  return `title: Test rule
id: test-rule
level: high
tags:
  - attack.t1562.008
  - techtrail.t1562.a001
  - attack.defense_evasion
logsource:
  product: aws
  service: cloudtrail
${extra}detection:
${detection
  .trim()
  .split("\n")
  .map((l) => `  ${l}`)
  .join("\n")}
`;
}
const compile = (detection: string) => compileSigmaRule(ruleText(detection), "test.yml");
const matches = (detection: string, event: Record<string, unknown>) => compile(detection).match(event);

function expectError(fn: () => unknown, code: string): TechtrailError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof TechtrailError, `expected TechtrailError, got ${String(e)}`);
    assert.equal(e.code, code, e.describe());
    return e;
  }
  assert.fail("expected an error");
}

describe("compileSigmaRule: metadata", () => {
  it("reads id, title, level, tags and source", () => {
    const r = compile("sel:\n  eventName: StopLogging\ncondition: sel");
    assert.equal(r.id, "test-rule");
    assert.equal(r.title, "Test rule");
    assert.equal(r.level, "high");
    assert.equal(r.source, "test.yml");
    assert.deepEqual(r.techniqueRefs, ["T1562.008", "T1562.A001"]);
    assert.deepEqual(r.attackRefs, ["T1562.008"]);
    assert.deepEqual(r.catalogRefs, ["T1562.A001"]);
    assert.deepEqual(r.tacticRefs, ["defense-evasion"]);
  });
});

describe("compileSigmaRule: plain values", () => {
  it("compares strings case-insensitively and exactly", () => {
    const d = "sel:\n  eventName: StopLogging\ncondition: sel";
    assert.equal(matches(d, { eventName: "stoplogging" }), true);
    assert.equal(matches(d, { eventName: "StopLoggingX" }), false);
    assert.equal(matches(d, {}), false);
  });
  it("ANDs fields of a map and ORs values of a list", () => {
    const d = "sel:\n  eventSource: cloudtrail.amazonaws.com\n  eventName: [StopLogging, DeleteTrail]\ncondition: sel";
    assert.equal(matches(d, { eventSource: "cloudtrail.amazonaws.com", eventName: "DeleteTrail" }), true);
    assert.equal(matches(d, { eventSource: "s3.amazonaws.com", eventName: "DeleteTrail" }), false);
    assert.equal(matches(d, { eventSource: "cloudtrail.amazonaws.com", eventName: "CreateTrail" }), false);
  });
  it("ORs the maps of a list", () => {
    const d = "sel:\n  - eventName: A\n  - userAgent: B\ncondition: sel";
    assert.equal(matches(d, { eventName: "a" }), true);
    assert.equal(matches(d, { userAgent: "b" }), true);
    assert.equal(matches(d, { eventName: "b" }), false);
  });
  it("compares numbers and booleans as their string forms", () => {
    assert.equal(matches("sel:\n  code: 403\ncondition: sel", { code: 403 }), true);
    assert.equal(matches("sel:\n  code: 403\ncondition: sel", { code: "403" }), true);
    assert.equal(matches("sel:\n  code: '403'\ncondition: sel", { code: 403 }), true);
    assert.equal(matches("sel:\n  readOnly: false\ncondition: sel", { readOnly: false }), true);
    assert.equal(matches("sel:\n  readOnly: false\ncondition: sel", { readOnly: "False" }), true);
    assert.equal(matches("sel:\n  readOnly: false\ncondition: sel", { readOnly: true }), false);
  });
  it("null matches an absent or null field only", () => {
    const d = "sel:\n  errorCode: null\ncondition: sel";
    assert.equal(matches(d, {}), true);
    assert.equal(matches(d, { errorCode: null }), true);
    assert.equal(matches(d, { errorCode: "AccessDenied" }), false);
    assert.equal(matches(d, { errorCode: "" }), false);
    const d2 = "sel:\n  errorCode: [null, AccessDenied]\ncondition: sel";
    assert.equal(matches(d2, {}), true);
    assert.equal(matches(d2, { errorCode: "accessdenied" }), true);
    assert.equal(matches(d2, { errorCode: "Throttling" }), false);
  });
  it("matches when any element of an array field matches", () => {
    const d = "sel:\n  resources.ARN|endswith: ':trail/main'\ncondition: sel";
    const e = { resources: [{ ARN: "arn:aws:s3:::bucket" }, { ARN: "arn:aws:cloudtrail:us-east-1:1:trail/main" }] };
    assert.equal(matches(d, e), true);
    assert.equal(matches(d, { resources: [{ ARN: "x" }] }), false);
    assert.equal(matches("sel:\n  tags: b\ncondition: sel", { tags: ["a", "B"] }), true);
    assert.equal(matches("sel:\n  tags: c\ncondition: sel", { tags: ["a", "B"] }), false);
  });
  it("resolves dot-notation fields, preferring nested objects and falling back to literal dotted keys", () => {
    const d = "sel:\n  userIdentity.type: Root\ncondition: sel";
    assert.equal(matches(d, { userIdentity: { type: "Root" } }), true);
    assert.equal(matches(d, { "userIdentity.type": "Root" }), true);
    assert.equal(matches(d, { userIdentity: { type: "IAMUser" } }), false);
    const deep = "sel:\n  requestParameters.bucketPolicy.Statement.Effect: Allow\ncondition: sel";
    assert.equal(
      matches(deep, { requestParameters: { bucketPolicy: { Statement: [{ Effect: "Deny" }, { Effect: "Allow" }] } } }),
      true,
    );
    assert.equal(matches(deep, { requestParameters: { "bucketPolicy.Statement.Effect": "Allow" } }), true);
    assert.equal(matches(deep, { requestParameters: null }), false);
  });
  it("compares object values through their JSON text", () => {
    const d = 'sel:\n  requestParameters|contains: \'"Principal":"\\*"\'\ncondition: sel';
    assert.equal(matches(d, { requestParameters: { Principal: "*" } }), true);
    assert.equal(matches(d, { requestParameters: { Principal: "arn" } }), false);
  });
});

describe("compileSigmaRule: wildcards", () => {
  it("supports * and ? in plain values", () => {
    assert.equal(matches("sel:\n  eventName: Delete*\ncondition: sel", { eventName: "deletebucket" }), true);
    assert.equal(matches("sel:\n  eventName: Delete*\ncondition: sel", { eventName: "CreateBucket" }), false);
    assert.equal(matches("sel:\n  eventName: '*Bucket'\ncondition: sel", { eventName: "DeleteBucket" }), true);
    assert.equal(matches("sel:\n  eventName: '*lete*'\ncondition: sel", { eventName: "DeleteBucket" }), true);
    assert.equal(matches("sel:\n  eventName: 'Del*Buck*'\ncondition: sel", { eventName: "DeleteBucketPolicy" }), true);
    assert.equal(matches("sel:\n  eventName: 'Del*Buck'\ncondition: sel", { eventName: "DeleteBucketPolicy" }), false);
    assert.equal(matches("sel:\n  x: 'a?c'\ncondition: sel", { x: "ABC" }), true);
    assert.equal(matches("sel:\n  x: 'a?c'\ncondition: sel", { x: "abbc" }), false);
    assert.equal(matches("sel:\n  x: '*'\ncondition: sel", { x: "" }), true);
    assert.equal(matches("sel:\n  x: '*'\ncondition: sel", {}), false);
  });
  it("matches many-wildcard patterns without backtracking", () => {
    const long = "a".repeat(200_000);
    const start = performance.now();
    assert.equal(matches("sel:\n  x: '*a*a*a*a*a*a*a*b'\ncondition: sel", { x: long }), false);
    assert.equal(matches("sel:\n  x: '*a?a*a?a*a?a*b'\ncondition: sel", { x: long }), false);
    assert.ok(performance.now() - start < 1000, `took ${performance.now() - start} ms`);
    assert.equal(matches("sel:\n  x: 'ab*ba'\ncondition: sel", { x: "aba" }), false);
    assert.equal(matches("sel:\n  x: 'ab*ba'\ncondition: sel", { x: "abba" }), true);
    assert.equal(matches("sel:\n  x: 'a*b*c'\ncondition: sel", { x: "AxBxBxC" }), true);
    assert.equal(matches("sel:\n  x: 'a*b*c'\ncondition: sel", { x: "acb" }), false);
    assert.equal(matches("sel:\n  x|cased: 'a*B*c'\ncondition: sel", { x: "abc" }), false);
    assert.equal(matches("sel:\n  x: '*a??b*'\ncondition: sel", { x: "zA\n\nBz" }), true);
  });
  it("treats escaped wildcards and regex metacharacters literally", () => {
    assert.equal(matches("sel:\n  x: 'a\\*b'\ncondition: sel", { x: "a*b" }), true);
    assert.equal(matches("sel:\n  x: 'a\\*b'\ncondition: sel", { x: "axxb" }), false);
    assert.equal(matches("sel:\n  x: 'a\\?'\ncondition: sel", { x: "a?" }), true);
    assert.equal(matches("sel:\n  x: 'a.b*'\ncondition: sel", { x: "axbc" }), false);
    assert.equal(matches("sel:\n  x: 'a.b*(c'\ncondition: sel", { x: "a.bzz(c" }), true);
    assert.equal(matches("sel:\n  x: 'C:\\Windows'\ncondition: sel", { x: "c:\\windows" }), true);
  });
});

describe("compileSigmaRule: modifiers", () => {
  it("contains, startswith, endswith (case-insensitive)", () => {
    assert.equal(matches("sel:\n  userAgent|contains: Boto3\ncondition: sel", { userAgent: "x boto3/1.2" }), true);
    assert.equal(matches("sel:\n  userAgent|contains: Boto3\ncondition: sel", { userAgent: "aws-cli" }), false);
    assert.equal(matches("sel:\n  x|startswith: ABC\ncondition: sel", { x: "abcdef" }), true);
    assert.equal(matches("sel:\n  x|startswith: ABC\ncondition: sel", { x: "zabc" }), false);
    assert.equal(matches("sel:\n  x|endswith: DEF\ncondition: sel", { x: "abcdef" }), true);
    assert.equal(matches("sel:\n  x|endswith: DEF\ncondition: sel", { x: "defa" }), false);
    // Wildcards inside a contains value still apply.
    assert.equal(matches("sel:\n  x|contains: 'a*c'\ncondition: sel", { x: "zzabbbczz" }), true);
  });
  it("all requires every value", () => {
    const d = "sel:\n  x|contains|all: [foo, bar]\ncondition: sel";
    assert.equal(matches(d, { x: "foo and bar" }), true);
    assert.equal(matches(d, { x: "foo only" }), false);
    const e = "sel:\n  tags|all: [a, b]\ncondition: sel";
    assert.equal(matches(e, { tags: ["a", "b", "c"] }), true);
    assert.equal(matches(e, { tags: ["a", "c"] }), false);
  });
  it("cased compares case-sensitively", () => {
    assert.equal(matches("sel:\n  x|cased: Root\ncondition: sel", { x: "Root" }), true);
    assert.equal(matches("sel:\n  x|cased: Root\ncondition: sel", { x: "root" }), false);
    assert.equal(matches("sel:\n  x|contains|cased: oo\ncondition: sel", { x: "ROOT" }), false);
    assert.equal(matches("sel:\n  x|startswith|cased: Ro*t\ncondition: sel", { x: "Roxxt!" }), true);
  });
  it("re is case-sensitive, unanchored, with i/m/s sub-modifiers", () => {
    assert.equal(matches("sel:\n  x|re: 'ab+c'\ncondition: sel", { x: "zzabbbczz" }), true);
    assert.equal(matches("sel:\n  x|re: 'ab+c'\ncondition: sel", { x: "ABC" }), false);
    assert.equal(matches("sel:\n  x|re|i: 'ab+c'\ncondition: sel", { x: "ABC" }), true);
    assert.equal(matches("sel:\n  x|re: '^b$'\ncondition: sel", { x: "a\nb" }), false);
    assert.equal(matches("sel:\n  x|re|m: '^b$'\ncondition: sel", { x: "a\nb" }), true);
    assert.equal(matches("sel:\n  x|re: 'a.b'\ncondition: sel", { x: "a\nb" }), false);
    assert.equal(matches("sel:\n  x|re|s: 'a.b'\ncondition: sel", { x: "a\nb" }), true);
    const imds = "sel:\n  userIdentity.arn|re: '.+:assumed-role/aws:.+'\ncondition: sel";
    assert.equal(matches(imds, { userIdentity: { arn: "arn:aws:sts::1:assumed-role/aws:ec2-instance/i-1" } }), true);
    assert.equal(matches(imds, { userIdentity: { arn: "arn:aws:sts::1:assumed-role/admin/bob" } }), false);
  });
  it("re runs in linear time: (a+)+$ on a 41-character value answers at once", () => {
    const rule = compile("sel:\n  x|re: '(a+)+$'\ncondition: sel");
    const start = performance.now();
    assert.equal(rule.match({ x: `${"a".repeat(40)}!` }), false);
    assert.equal(rule.match({ x: "a".repeat(41) }), true);
    // a backtracking engine takes minutes here; RE2 takes microseconds (the bound leaves room for slow CI)
    assert.ok(performance.now() - start < 500, `took ${performance.now() - start} ms`);
  });
  it("re refuses lookaround and backreferences (no linear-time form) naming the rule file", () => {
    for (const re of ["(?=a)b", "(a)\\1", "(?<!x)y"]) {
      const e = expectError(() => compile(`sel:\n  x|re: '${re}'\ncondition: sel`), "VALIDATION");
      assert.match(e.message, /^test\.yml.*unsupported regular expression.*RE2 syntax/s, e.message);
    }
    // JavaScript spellings that RE2 writes differently still work
    assert.equal(matches("sel:\n  x|re: '\\u0041(?<n>b)'\ncondition: sel", { x: "zAb" }), true);
  });
  it("cidr matches IPv4 and IPv6 ranges", () => {
    const d = "sel:\n  sourceIPAddress|cidr: ['10.0.0.0/8', '2001:db8::/32', '192.168.1.7']\ncondition: sel";
    assert.equal(matches(d, { sourceIPAddress: "10.200.3.4" }), true);
    assert.equal(matches(d, { sourceIPAddress: "11.0.0.1" }), false);
    assert.equal(matches(d, { sourceIPAddress: "2001:db8:ffff::1" }), true);
    assert.equal(matches(d, { sourceIPAddress: "2001:db9::1" }), false);
    assert.equal(matches(d, { sourceIPAddress: "192.168.1.7" }), true);
    assert.equal(matches(d, { sourceIPAddress: "192.168.1.8" }), false);
    assert.equal(matches(d, { sourceIPAddress: "::ffff:10.1.1.1" }), true);
    assert.equal(matches(d, { sourceIPAddress: "AWS Internal" }), false);
    assert.equal(matches(d, { sourceIPAddress: "ec2.amazonaws.com" }), false);
  });
  it("exists tests presence", () => {
    assert.equal(matches("sel:\n  errorCode|exists: true\ncondition: sel", { errorCode: "x" }), true);
    assert.equal(matches("sel:\n  errorCode|exists: true\ncondition: sel", {}), false);
    assert.equal(matches("sel:\n  errorCode|exists: false\ncondition: sel", {}), true);
    assert.equal(matches("sel:\n  errorCode|exists: false\ncondition: sel", { errorCode: null }), true);
    assert.equal(matches("sel:\n  errorCode|exists: false\ncondition: sel", { errorCode: "" }), false);
  });
  it("fieldref compares two fields of the same record", () => {
    const d = "sel:\n  userIdentity.userName|fieldref: requestParameters.userName\ncondition: sel";
    assert.equal(matches(d, { userIdentity: { userName: "Bob" }, requestParameters: { userName: "bob" } }), true);
    assert.equal(matches(d, { userIdentity: { userName: "alice" }, requestParameters: { userName: "bob" } }), false);
    assert.equal(matches(d, { userIdentity: { userName: "alice" } }), false);
    const e = "sel:\n  userIdentity.arn|fieldref|endswith: requestParameters.userName\ncondition: sel";
    assert.equal(
      matches(e, { userIdentity: { arn: "arn:aws:iam::1:user/bob" }, requestParameters: { userName: "bob" } }),
      true,
    );
  });
  it("lt/lte/gt/gte compare numbers", () => {
    assert.equal(matches("sel:\n  n|gt: 5\ncondition: sel", { n: 6 }), true);
    assert.equal(matches("sel:\n  n|gt: 5\ncondition: sel", { n: "5" }), false);
    assert.equal(matches("sel:\n  n|gte: 5\ncondition: sel", { n: "5" }), true);
    assert.equal(matches("sel:\n  n|lt: 5\ncondition: sel", { n: "abc" }), false);
  });
  it("rejects unsupported and unknown modifiers with UNSUPPORTED", () => {
    for (const m of ["windash", "base64", "base64offset"]) {
      const err = expectError(() => compile(`sel:\n  x|${m}: abc\ncondition: sel`), "UNSUPPORTED");
      assert.match(err.message, new RegExp(`modifier '${m}'`));
      assert.equal(err.problems[0]?.line, 13);
    }
    const err = expectError(() => compile("sel:\n  x|bogus: abc\ncondition: sel"), "UNSUPPORTED");
    assert.match(err.message, /unknown modifier 'bogus'/);
  });
  it("rejects invalid modifier values with VALIDATION", () => {
    expectError(() => compile("sel:\n  x|cidr: 10.0.0.0/33\ncondition: sel"), "VALIDATION");
    expectError(() => compile("sel:\n  x|re: '('\ncondition: sel"), "VALIDATION");
    expectError(() => compile("sel:\n  x|exists: maybe\ncondition: sel"), "VALIDATION");
    expectError(() => compile("sel:\n  x|contains|startswith: a\ncondition: sel"), "VALIDATION");
    expectError(() => compile("sel:\n  x|i: a\ncondition: sel"), "VALIDATION");
    expectError(() => compile("sel:\n  x|gt: abc\ncondition: sel"), "VALIDATION");
  });
});

describe("compileSigmaRule: keywords", () => {
  it("matches a keyword list against any string value in the record", () => {
    const d = "keywords:\n  - trufflehog\n  - 'pacu*session'\ncondition: keywords";
    assert.equal(matches(d, { userAgent: "TruffleHog v3" }), true);
    assert.equal(matches(d, { a: { b: ["x", "PACU 1.0 session"] } }), true);
    assert.equal(matches(d, { userAgent: "aws-cli" }), false);
  });
});

describe("compileSigmaRule: conditions", () => {
  const ev = (a: boolean, b: boolean, c: boolean) => ({ a: a ? "1" : "0", b: b ? "1" : "0", c: c ? "1" : "0" });
  const base = "sa:\n  a: '1'\nsb:\n  b: '1'\nsc:\n  c: '1'\n";
  const cases: Array<[string, (a: boolean, b: boolean, c: boolean) => boolean]> = [
    ["sa and sb or sc", (a, b, c) => (a && b) || c],
    ["sa or sb and sc", (a, b, c) => a || (b && c)],
    ["not sa and sb", (a, b) => !a && b],
    ["not (sa and sb)", (a, b) => !(a && b)],
    ["(sa or sb) and sc", (a, b, c) => (a || b) && c],
    ["not not sa", (a) => a],
    ["sa and not sb and not sc", (a, b, c) => a && !b && !c],
    ["1 of s*", (a, b, c) => a || b || c],
    ["all of s*", (a, b, c) => a && b && c],
    ["any of them", (a, b, c) => a || b || c],
    ["all of them", (a, b, c) => a && b && c],
    ["1 of them and not sc", (a, b, c) => (a || b || c) && !c],
  ];
  for (const [cond, expected] of cases) {
    it(`evaluates '${cond}' like its boolean formula`, () => {
      const r = compile(`${base}condition: ${cond}`);
      for (const a of [false, true])
        for (const b of [false, true])
          for (const c of [false, true]) assert.equal(r.match(ev(a, b, c)), expected(a, b, c), `${a} ${b} ${c}`);
    });
  }
  it("accepts upper-case keywords", () => {
    const r = compile(`${base}condition: sa AND NOT sb`);
    assert.equal(r.match(ev(true, false, false)), true);
    assert.equal(r.match(ev(true, true, false)), false);
  });
  it("treats a list of conditions as OR", () => {
    const r = compile(`${base}condition:\n  - sa and sb\n  - sc`);
    assert.equal(r.match(ev(true, true, false)), true);
    assert.equal(r.match(ev(false, false, true)), true);
    assert.equal(r.match(ev(true, false, false)), false);
  });
  it("supports N of, and excludes _-prefixed identifiers from them", () => {
    const r = compile(`${base}condition: 2 of s*`);
    assert.equal(r.match(ev(true, false, true)), true);
    assert.equal(r.match(ev(true, false, false)), false);
    const t = compile("sel:\n  a: '1'\n_helper:\n  b: '1'\ncondition: all of them");
    assert.equal(t.match({ a: "1", b: "0" }), true);
  });
});

describe("compileSigmaRule: errors", () => {
  it("reports YAML errors as PARSE with a line", () => {
    const err = expectError(
      () => compileSigmaRule("title: x\ndetection:\n  sel: [a\n  condition: sel\n", "bad.yml"),
      "PARSE",
    );
    assert.ok(err.problems[0]?.line !== undefined);
    assert.equal(err.problems[0]?.source, "bad.yml");
  });
  it("reports a bad condition with line and column", () => {
    const text = ruleText("sel:\n  eventName: A\ncondition: sel and (sel or sel");
    const err = expectError(() => compileSigmaRule(text, "bad.yml"), "VALIDATION");
    const lines = text.split("\n");
    const lineNo = lines.findIndex((l) => l.includes("condition:")) + 1;
    const col = (lines[lineNo - 1] as string).length + 1; // end of condition
    assert.equal(err.problems[0]?.line, lineNo);
    assert.equal(err.problems[0]?.column, col);
    assert.match(err.message, new RegExp(`^bad\\.yml:${lineNo}:${col}: expected '\\)'`));
  });
  it("reports an unknown identifier with its column (quoted conditions too)", () => {
    const text = ruleText("sel:\n  eventName: A\ncondition: 'sel and not filtr'");
    const err = expectError(() => compileSigmaRule(text, "bad.yml"), "VALIDATION");
    const line = text.split("\n").findIndex((l) => l.includes("condition:")) + 1;
    const lineText = text.split("\n")[line - 1] as string;
    assert.equal(err.problems[0]?.line, line);
    assert.equal(err.problems[0]?.column, lineText.indexOf("filtr") + 1);
    assert.match(err.message, /unknown search identifier 'filtr' \(defined: sel\)/);
  });
  it("reports a pattern that matches nothing and stray tokens", () => {
    expectError(() => compile("sel:\n  a: 1\ncondition: 1 of filter_*"), "VALIDATION");
    expectError(() => compile("sel:\n  a: 1\ncondition: sel sel"), "VALIDATION");
    expectError(() => compile("sel:\n  a: 1\ncondition: sel and"), "VALIDATION");
    expectError(() => compile("sel:\n  a: 1\ncondition: sel_*"), "VALIDATION");
    expectError(() => compile("sel:\n  a: 1\ncondition: 3x of sel"), "VALIDATION");
    expectError(() => compile("sel:\n  a: 1\ncondition: sel & sel"), "VALIDATION");
  });
  it("reports schema errors with located problems", () => {
    const err = expectError(
      () => compileSigmaRule("title: x\nlevel: urgent\nlogsource:\n  product: aws\n  service: cloudtrail\n", "s.yml"),
      "VALIDATION",
    );
    const fields = err.problems.map((p) => p.field);
    assert.ok(fields.includes("level"), JSON.stringify(err.problems));
    assert.ok(fields.includes("detection"), JSON.stringify(err.problems));
    assert.equal(err.problems.find((p) => p.field === "level")?.line, 2);
  });
  it("rejects malformed search identifiers and techtrail tags", () => {
    const nested = expectError(() => compile("sel:\n  eventName: X\n  a: {b: c}\ncondition: sel"), "VALIDATION");
    assert.match(nested.message, /field 'a' must be/);
    assert.equal(nested.problems[0]?.line, 14);
    assert.equal(nested.problems[0]?.field, "detection.sel.a");
    expectError(() => compile("sel: 12\ncondition: sel"), "VALIDATION");
    expectError(() => compile("sel: {}\ncondition: sel"), "VALIDATION");
    const bad = ruleText("sel:\n  a: 1\ncondition: sel").replace("techtrail.t1562.a001", "techtrail.bogus");
    const err = expectError(() => compileSigmaRule(bad, "t.yml"), "VALIDATION");
    assert.match(err.message, /techtrail\.bogus/);
    assert.equal(err.problems[0]?.line, 6);
  });
  it("rejects other logsources as UNSUPPORTED", () => {
    const text = ruleText("sel:\n  a: 1\ncondition: sel").replace("product: aws", "product: windows");
    const err = expectError(() => compileSigmaRule(text, "w.yml"), "UNSUPPORTED");
    assert.match(err.message, /^w\.yml: logsource \{product: windows, service: cloudtrail\} is not supported/);
  });
  it("turns legacy aggregations into correlations and refuses other aggregations, naming the construct", () => {
    for (const [cond, type] of [
      ["sel | count() > 5", "event_count"],
      ["sel | count() by sourceIPAddress > 5", "event_count"],
      ["sel | count(userIdentity.arn) by sourceIPAddress >= 3", "value_count"],
      ["sel | near sel2", "temporal"],
    ] as const) {
      const { rules, correlations, errors } = compileSigmaRules([
        { text: ruleText(`sel:\n  a: 1\nsel2:\n  b: 2\ntimeframe: 5m\ncondition: ${cond}`), source: "c.yml" },
      ]);
      assert.deepEqual(
        errors.map((e) => e.describe()),
        [],
      );
      assert.equal(correlations[0]?.type, type, cond);
      assert.equal(correlations[0]?.id, "test-rule");
      assert.equal(correlations[0]?.timespanMs, 300_000);
      assert.ok(rules.every((r) => r.correlationOnly));
    }
    const err = expectError(
      () => compileSigmaRule(ruleText("sel:\n  a: 1\ncondition: sel | sum(bytes) > 5"), "c.yml"),
      "UNSUPPORTED",
    );
    assert.match(err.message, /aggregation '\| sum' is not supported/);
    assert.equal(err.problems[0]?.field, "detection.condition");
    const tf = ruleText("sel:\n  a: 1\ntimeframe: 5 minutes\ncondition: sel | count() > 2");
    assert.match(expectError(() => compileSigmaRule(tf, "c.yml"), "VALIDATION").message, /bad timeframe '5 minutes'/);
    // a single-event condition under a timeframe stays a plain rule
    assert.equal(compileSigmaRule(ruleText("sel:\n  a: 1\ntimeframe: 5m\ncondition: sel"), "c.yml").id, "test-rule");
  });
});

describe("compileSigmaRules", () => {
  it("compiles multi-document files with correlation documents, collecting errors per file", () => {
    const base = ruleText("sel:\n  eventName: ConsoleLogin\ncondition: sel").replace("id: test-rule", "id: base");
    const multi = `${base}---\ntitle: many logins\nname: many\ncorrelation:\n  type: event_count\n  rules: [base]\n  group-by: [sourceIPAddress]\n  timespan: 1h\n  condition: {gte: 10}\n`;
    const { rules, correlations, errors } = compileSigmaRules([
      { text: multi, source: "multi.yml" },
      { text: "title: [", source: "broken.yml" },
      { text: ruleText("sel:\n  a: 1\ncondition: sel"), source: "ok.yml" },
      { text: ruleText("sel:\n  a: 1\ncondition: sel"), source: "dup.yml" },
    ]);
    assert.deepEqual(
      rules.map((r) => r.source),
      ["multi.yml", "ok.yml"],
    );
    assert.deepEqual(
      errors.map((e) => e.code),
      ["PARSE", "CONFLICT"],
    );
    assert.deepEqual(
      correlations.map((c) => [c.id, c.type, c.targets]),
      [["many", "event_count", ["base"]]],
    );
    // the base rule is read by a correlation that does not generate: it reports nothing itself
    assert.equal(rules[0]?.correlationOnly, true);
    assert.match(errors[1]?.message ?? "", /duplicate rule id test-rule/);
  });
  it("reports an empty file", () => {
    const { rules, errors } = compileSigmaRules([{ text: "# nothing\n", source: "empty.yml" }]);
    assert.equal(rules.length, 0);
    assert.match(errors[0]?.message ?? "", /empty\.yml: file holds no Sigma rule/);
  });
});
