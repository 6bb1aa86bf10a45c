import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { TechtrailError } from "../core/errors.js";
import { type CorrelationResult, Correlator } from "./correlation-engine.js";
import { userAgentFamily } from "./correlation-fields.js";
import { FirstSeenTracker } from "./first-seen.js";
import { evaluateSequence } from "./sequence.js";
import { compileSigmaRules } from "./sigma.js";

const T0 = Date.parse("2026-11-20T10:00:00Z");
const at = (min: number) => new Date(T0 + min * 60_000).toISOString();

function base(name: string, eventName: string, extra = ""): string {
  return `title: ${name}\nname: ${name}\nid: ${name}-id\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  sel:\n    eventName: ${eventName}\n${extra}  condition: sel\n---\n`;
}
function corr(body: string, title = "corr"): string {
  return `title: ${title}\nid: ${title}\nlevel: high\ncorrelation:\n${body}`;
}
function rec(eventName: string, min: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    eventName,
    eventSource: "iam.amazonaws.com",
    eventTime: at(min),
    sourceIPAddress: "203.0.113.7",
    userIdentity: { type: "IAMUser", arn: "arn:aws:iam::111122223333:user/a" },
    ...extra,
  };
}
function run(text: string, records: Array<Record<string, unknown>>): CorrelationResult[] {
  const { rules, correlations, errors } = compileSigmaRules([{ text, source: "c.yml" }]);
  assert.deepEqual(
    errors.map((e) => e.describe()),
    [],
  );
  return evaluateSequence(rules, correlations, records);
}

describe("correlation rules", () => {
  const failed = base("failed", "ConsoleLogin", "    errorMessage: Failed authentication\n");
  const counting = `${failed}${corr("  type: event_count\n  rules: [failed]\n  group-by: [sourceIPAddress]\n  timespan: 10m\n  condition: {gte: 3}\n")}`;

  it("event_count fires once per burst, per group, within the timespan", () => {
    const f = (min: number, ip = "203.0.113.7") =>
      rec("ConsoleLogin", min, { errorMessage: "Failed authentication", sourceIPAddress: ip });
    assert.equal(run(counting, [f(0), f(1), f(2)]).length, 1);
    assert.equal(run(counting, [f(0), f(1), f(2), f(3)]).length, 1, "one result per burst, not one per event");
    assert.equal(run(counting, [f(0), f(1), f(2), f(3), f(4), f(5)]).length, 2);
    assert.equal(run(counting, [f(0), f(6), f(12)]).length, 0, "three events, never three in 10 minutes");
    assert.equal(run(counting, [f(0), f(1, "198.51.100.1"), f(2)]).length, 0, "two groups of fewer than three");
    const [r] = run(counting, [f(0), f(1), f(2)]);
    assert.deepEqual(r?.group, { sourceIPAddress: "203.0.113.7" });
    assert.equal(r?.count, 3);
    assert.equal(r?.evidence.length, 3);
  });

  it("value_count counts distinct values; upper bounds are judged when the window closes", () => {
    const text = `${base("denied", "GetObject")}${corr("  type: value_count\n  rules: [denied]\n  group-by: [sourceIPAddress]\n  timespan: 1h\n  condition: {field: requestParameters.bucketName, gt: 2}\n")}`;
    const g = (min: number, bucket: string) => rec("GetObject", min, { requestParameters: { bucketName: bucket } });
    assert.equal(run(text, [g(0, "a"), g(1, "a"), g(2, "b"), g(3, "b")]).length, 0);
    const [r] = run(text, [g(0, "a"), g(1, "b"), g(2, "c")]);
    assert.equal(r?.distinct, 3);
    const few = `${base("login", "ConsoleLogin")}${corr("  type: event_count\n  rules: [login]\n  group-by: [sourceIPAddress]\n  timespan: 10m\n  condition: {lt: 2}\n")}`;
    // one login alone in its window: fewer than two, reported when the window closes
    assert.equal(run(few, [rec("ConsoleLogin", 0)]).length, 1);
    assert.equal(run(few, [rec("ConsoleLogin", 0), rec("ConsoleLogin", 1)]).length, 0);
    assert.equal(run(few, [rec("ConsoleLogin", 0), rec("ConsoleLogin", 20)]).length, 2, "two windows of one");
  });

  it("temporal needs every rule in the timespan; temporal_ordered also their order", () => {
    const two = `${base("create", "CreateUser")}${base("key", "CreateAccessKey")}`;
    const temporal = `${two}${corr("  type: temporal\n  rules: [create, key]\n  group-by: [sourceIPAddress]\n  timespan: 10m\n")}`;
    const ordered = `${two}${corr("  type: temporal_ordered\n  rules: [create, key]\n  group-by: [sourceIPAddress]\n  timespan: 10m\n")}`;
    assert.equal(run(temporal, [rec("CreateAccessKey", 0), rec("CreateUser", 1)]).length, 1);
    assert.equal(run(temporal, [rec("CreateUser", 0), rec("CreateAccessKey", 11)]).length, 0);
    assert.equal(run(ordered, [rec("CreateUser", 0), rec("CreateAccessKey", 1)]).length, 1);
    assert.equal(run(ordered, [rec("CreateAccessKey", 0), rec("CreateUser", 1)]).length, 0, "wrong order");
    assert.equal(run(ordered, [rec("CreateUser", 0), rec("CreateAccessKey", 12)]).length, 0, "too far apart");
  });

  it("chains correlations and applies aliases (the specification's brute force example)", () => {
    const text = `${base("fail", "ConsoleLogin", "    errorMessage: Failed authentication\n")}${base("ok", "ConsoleLogin", "    responseElements.ConsoleLogin: Success\n")}${corr("  type: event_count\n  rules: [fail]\n  group-by: [sourceIPAddress]\n  timespan: 10m\n  condition: {gte: 3}\n", "many_fail").replace("id: many_fail", "id: many_fail\nname: many_fail")}---\n${corr("  type: temporal_ordered\n  rules: [many_fail, ok]\n  group-by: [ip]\n  aliases:\n    ip:\n      many_fail: sourceIPAddress\n      ok: sourceIPAddress\n  timespan: 30m\n", "then_ok")}`;
    const f = (m: number) => rec("ConsoleLogin", m, { errorMessage: "Failed authentication" });
    const ok = (m: number) => rec("ConsoleLogin", m, { responseElements: { ConsoleLogin: "Success" } });
    const results = run(text, [f(0), f(1), f(2), ok(5)]);
    assert.deepEqual(results.map((r) => r.correlation.id).sort(), ["many_fail", "then_ok"]);
    assert.deepEqual(
      run(text, [f(0), f(1), ok(5)]).map((r) => r.correlation.id),
      [],
    );
  });

  it("reports unknown references, cycles, bad timespans and missing fields by file, line and field", () => {
    const check = (text: string, pattern: RegExp, line?: number) => {
      const { errors, correlations } = compileSigmaRules([{ text, source: "bad.yml" }]);
      assert.equal(correlations.length, 0);
      assert.ok(errors.length > 0, "expected an error");
      const e = errors[0] as TechtrailError;
      assert.ok(e instanceof TechtrailError);
      assert.match(e.describe(), pattern);
      if (line !== undefined) assert.equal(e.problems[0]?.line, line);
    };
    check(corr("  type: event_count\n  rules: [nope]\n  timespan: 1h\n  condition: {gt: 1}\n"), /unknown rule 'nope'/);
    check(
      corr("  type: event_count\n  rules: [x]\n  timespan: 1 hour\n  condition: {gt: 1}\n"),
      /bad timespan '1 hour'/,
      7,
    );
    check(
      corr("  type: value_count\n  rules: [x]\n  timespan: 1h\n  condition: {gt: 1}\n"),
      /value_count needs condition.field/,
    );
    check(corr("  type: sum\n  rules: [x]\n  timespan: 1h\n"), /correlation\.type/);
    check(corr("  type: event_count\n  rules: [x]\n  group-by: [a]\n  timespan: 1h\n"), /needs a condition/);
    const cycle = `${corr("  type: event_count\n  rules: [b]\n  timespan: 1h\n  condition: {gt: 1}\n", "a")}---\n${corr("  type: event_count\n  rules: [a]\n  timespan: 1h\n  condition: {gt: 1}\n", "b")}`;
    check(cycle, /reference cycle/);
  });

  it("orders events within the reorder window and counts later ones as late", () => {
    const { correlations } = compileSigmaRules([{ text: counting, source: "c.yml" }]);
    const out: CorrelationResult[] = [];
    const c = new Correlator(correlations, (r) => out.push(r), { reorderWindowMs: 5 * 60_000, minBuffered: 0 });
    const input = (min: number) => ({
      rule: "failed-id",
      time: T0 + min * 60_000,
      values: { sourceIPAddress: "203.0.113.7" },
      event: { time: T0 + min * 60_000, at: [min], fields: {} },
    });
    // 12 and 11 arrive before 10: the buffer puts them in order; 30 releases them; 1 then comes too late
    for (const m of [12, 11, 10, 30, 1]) c.push(input(m));
    c.finish();
    assert.equal(out.length, 1);
    assert.equal(out[0]?.firstTime, T0 + 10 * 60_000);
    assert.equal(c.stats.late, 1);
  });

  it("keeps state bounded: 1,000,000 distinct group keys through one rule", () => {
    const { correlations } = compileSigmaRules([{ text: counting, source: "c.yml" }]);
    let fired = 0;
    const c = new Correlator(correlations, () => fired++, { reorderWindowMs: 60_000, minBuffered: 0 });
    global.gc?.();
    const before = process.memoryUsage().heapUsed;
    const ev = { time: 0, at: [0], fields: {} };
    for (let i = 0; i < 1_000_000; i++) {
      // one event per key, a second apart: each group expires ten minutes after its event
      c.push({ rule: "failed-id", time: T0 + i * 1000, values: { sourceIPAddress: `k${i}` }, event: ev });
    }
    const during = process.memoryUsage().heapUsed;
    assert.ok(c.stats.peakGroups <= 60 * 11 + 100, `peak live groups ${c.stats.peakGroups}`);
    assert.ok(during - before < 200 * 1024 * 1024, `heap grew by ${Math.round((during - before) / 1048576)} MB`);
    c.finish();
    assert.equal(fired, 0);
    assert.equal(c.stats.events, 1_000_000);
  });

  it("caps live groups when keys do not expire, counting what the cap evicts", () => {
    const { correlations } = compileSigmaRules([{ text: counting, source: "c.yml" }]);
    const c = new Correlator(correlations, () => undefined, { reorderWindowMs: 0, maxGroups: 1000, minBuffered: 0 });
    const ev = { time: 0, at: [0], fields: {} };
    for (let i = 0; i < 5000; i++)
      c.push({ rule: "failed-id", time: T0, values: { sourceIPAddress: `k${i}` }, event: ev });
    assert.ok(c.groups <= 1000);
    assert.equal(c.stats.evictedByCap, 4000);
  });
});

describe("derived fields", () => {
  it("reduces user agents to the tool, without versions", () => {
    assert.equal(userAgentFamily("aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0"), "aws-cli");
    assert.equal(userAgentFamily("Boto3/1.34.2 md/Botocore#1.34.2"), "boto3");
    assert.equal(userAgentFamily("[S3Browser]"), "s3browser");
    assert.equal(userAgentFamily("console.amazonaws.com"), "console.amazonaws.com");
    assert.equal(userAgentFamily("python-requests/2.31.0"), "python-requests");
  });
});

describe("first_seen rules", () => {
  const text = `${base("call", "GetCallerIdentity")}${corr("  type: first_seen\n  rules: [call]\n  group-by: [techtrail.principal, techtrail.sourceNetwork]\n  learning-period: 1d\n", "new_net")}`;
  const call = (min: number, ip: string) => rec("GetCallerIdentity", min, { sourceIPAddress: ip });

  it("fires for a combination first seen after the learning period, comparing /24 networks", () => {
    const day = 24 * 60;
    const results = run(text, [
      call(0, "198.51.100.7"),
      call(day + 5, "198.51.100.200"), // same /24 as during learning: known
      call(day + 10, "203.0.113.9"), // new network after learning: fires
      call(day + 20, "203.0.113.10"), // same new /24 again: no second finding
    ]);
    assert.equal(results.length, 1);
    assert.deepEqual(results[0]?.group, {
      "techtrail.principal": "arn:aws:iam::111122223333:user/a",
      "techtrail.sourceNetwork": "203.0.113.0/24",
    });
    assert.equal(run(text, [call(0, "198.51.100.7"), call(60, "203.0.113.9")]).length, 0, "still learning");
  });

  it("learns from a baseline instead, and warns on a baseline built for another rule definition", () => {
    const { rules, correlations } = compileSigmaRules([{ text, source: "c.yml" }]);
    const history = new FirstSeenTracker(correlations);
    const seen = {
      "techtrail.principal": "arn:aws:iam::111122223333:user/a",
      "techtrail.sourceNetwork": "198.51.100.0/24",
    };
    history.add("call-id", T0, seen, { time: T0, at: [0], fields: {} });
    const baseline = {
      format: "techtrail-baseline" as const,
      version: 1 as const,
      created: at(0),
      techtrailVersion: "0",
      catalogVersion: "0",
      rules: history.toBaselineRules(),
    };
    const later = [call(10, "198.51.100.8"), call(20, "203.0.113.9")];
    const results = evaluateSequence(rules, correlations, later, { baseline });
    assert.deepEqual(
      results.map((r) => r.group["techtrail.sourceNetwork"]),
      ["203.0.113.0/24"],
    );
    const entry = baseline.rules.new_net;
    assert.ok(entry);
    const other = { ...baseline, rules: { new_net: { ...entry, signature: "x" } } };
    const t = new FirstSeenTracker(correlations, { baseline: other });
    assert.match(t.warnings[0] ?? "", /another definition/);
  });
});
