import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { compileSigmaRules } from "../rules/index.js";
import { buildBaseline } from "./baseline.js";
import { CorrelationRun, type CorrTuple, StringInterner, sourceNetworkOf, Tap } from "./correlate.js";
import { scanPaths } from "./scan.js";

const T0 = Date.parse("2026-11-20T09:00:00Z");
const at = (min: number) => new Date(T0 + min * 60_000).toISOString().replace(/\.\d{3}Z$/, "Z");
let n = 0;
function login(min: number, ok: boolean, user = "dev-alice", ip = "198.51.100.23"): Record<string, unknown> {
  return {
    eventVersion: "1.09",
    userIdentity: {
      type: "IAMUser",
      accountId: "111122223333",
      userName: user,
      arn: `arn:aws:iam::111122223333:user/${user}`,
    },
    eventTime: at(min),
    eventSource: "signin.amazonaws.com",
    eventName: "ConsoleLogin",
    awsRegion: "us-east-1",
    sourceIPAddress: ip,
    responseElements: { ConsoleLogin: ok ? "Success" : "Failure" },
    eventID: `1b2c3d4e-0000-4000-8000-${String(++n).padStart(12, "0")}`,
    recipientAccountId: "111122223333",
  };
}
const BRUTE = "0b7e4a9d-3c2f-4b18-9e65-8d1a7c3f2e54";
const NEW_NET = "2b8f6d3c-7e1a-4c59-9a04-5d2e8b1f7c63";

/** A CloudTrail delivery file name for minute `min` (the scan orders correlated input by it). */
const deliveryName = (min: number) =>
  `111122223333_CloudTrail_us-east-1_${at(min).replace(/[-:]/g, "").slice(0, 13)}Z_abc${min}.json`;

function tree(files: Array<[string, Array<Record<string, unknown>>]>): string {
  const dir = mkdtempSync(join(tmpdir(), "techtrail-corr-"));
  for (const [name, records] of files) writeFileSync(join(dir, name), JSON.stringify({ Records: records }));
  return dir;
}

describe("scan with correlation rules", () => {
  it("correlates events across files in time order, with 0 and 2 workers alike", async () => {
    // the failures are split over two delivery files; the later file sorts first by name
    const dir = tree([
      [`a-${deliveryName(5)}`, [login(5, false), login(6, false), login(7, false)]],
      [`b-${deliveryName(0)}`, [login(0, false), login(1, false)]],
    ]);
    for (const workers of [0, 2]) {
      const r = await scanPaths([dir], { workers });
      const hits = r.findings.filter((f) => f.rule.id === BRUTE);
      assert.equal(hits.length, 1, `workers ${workers}`);
      const f = hits[0];
      assert.equal(f?.correlation?.type, "event_count");
      assert.equal(f?.correlation?.count, 5);
      assert.deepEqual(f?.correlation?.group, { "userIdentity.userName": "dev-alice" });
      assert.equal(f?.eventTime, at(7));
      assert.equal(f?.correlation?.evidence.length, 5);
      assert.ok(f?.origin.file.includes("a-"));
      assert.ok(f?.techniques.includes("T1110.001"));
      assert.equal(r.summary.findings.byRule[BRUTE], 1);
      assert.equal(r.summary.correlations?.late, 0);
      // the base rules report nothing of their own
      assert.ok(!r.findings.some((x) => x.rule.id === "2f8d6b1c-7a3e-4e59-8c0d-5b1a9e7f3c42"));
    }
  });

  it("counts events later than the reorder window and says so", async () => {
    const dir = tree([
      // the second event of one.json pushes the first out of the buffer: later, older events come too late
      ["one.json", [login(600, false), login(700, false)]],
      ["two.json", [login(0, false), login(1, false), login(2, false), login(3, false), login(4, false)]],
    ]);
    const r = await scanPaths([dir], { workers: 0, reorderWindowMs: 60_000, reorderMinEvents: 0 });
    assert.equal(r.summary.correlations?.late, 5);
    assert.match(
      r.summary.correlations?.warnings.join("\n") ?? "",
      /5 matched event\(s\) arrived after later events had been correlated/,
    );
    assert.equal(r.findings.filter((f) => f.rule.id === BRUTE).length, 0);
    const wide = await scanPaths([dir], { workers: 0, reorderWindowMs: 24 * 3_600_000, reorderMinEvents: 0 });
    assert.equal(wide.findings.filter((f) => f.rule.id === BRUTE).length, 1);
  });

  it("first_seen: a baseline from earlier logs makes only new combinations fire", async () => {
    const history = tree([["h.json", [login(0, true), login(60, true, "dev-bob", "192.0.2.10")]]]);
    const built = await buildBaseline([history], { workers: 0 });
    assert.ok(built.combinations >= 2);
    assert.ok(built.baseline.rules[NEW_NET]);
    const later = tree([
      [
        "l.json",
        [
          login(2000, true, "dev-alice", "198.51.100.99"),
          login(2001, true, "dev-alice", "203.0.113.5"),
          login(2002, true, "dev-bob", "192.0.2.77"),
        ],
      ],
    ]);
    const r = await scanPaths([later], { workers: 0, baseline: built.baseline });
    const hits = r.findings.filter((f) => f.rule.id === NEW_NET);
    assert.deepEqual(
      hits.map((f) => f.correlation?.group["techtrail.sourceNetwork"]),
      ["203.0.113.0/24"],
    );
    // without the baseline the same short scan is all learning period
    const none = await scanPaths([later], { workers: 0 });
    assert.equal(none.findings.filter((f) => f.rule.id === NEW_NET).length, 0);
  });

  it("compares networks at /24 (IPv4) and /48 (IPv6); service names stay as they are", () => {
    assert.equal(sourceNetworkOf("203.0.113.77"), "203.0.113.0/24");
    assert.equal(sourceNetworkOf("2001:db8:abcd:12::1"), "2001:db8:abcd::/48");
    assert.equal(sourceNetworkOf("2001:db8::1"), "2001:db8:0::/48");
    assert.equal(sourceNetworkOf("ec2.amazonaws.com"), "ec2.amazonaws.com");
  });

  it("holds one copy of the strings that tuples from the scanning threads repeat", () => {
    // each worker message brings its own copies of every string; the reorder buffer keeps the events (here
    // all of them: the same second, and fewer than the buffer's minimum), so copies would add up
    setFlagsFromString("--expose-gc");
    const gc = runInNewContext("gc") as () => void;
    const text =
      "title: base\nname: base\nid: base-id\nlogsource: {product: aws, service: cloudtrail}\n" +
      "detection:\n  sel:\n    eventName: GetPasswordData\n  condition: sel\n---\n" +
      "title: burst\nid: burst\nlevel: high\ncorrelation:\n  type: event_count\n  rules: [base]\n" +
      "  group-by: [userIdentity.arn]\n  timespan: 10m\n  condition: {gte: 1000000}\n";
    const { rules, correlations, errors } = compileSigmaRules([{ text, source: "c.yml" }]);
    assert.deepEqual(errors, []);
    const tap = new Tap(rules, correlations);
    const run = new CorrelationRun(
      correlations,
      rules.map((r) => r.id),
      tap.fieldNames,
      { reorderWindowMs: 3_600_000, minBuffered: 100_000 },
    );
    // a long user agent, as attacker tooling sends: 20 KB in each of 3,000 events (60 MB as copies)
    const agent = `tool/1.0 ${"x".repeat(20_000)}`;
    const event = (i: number) => ({
      eventTime: "2026-11-20T09:00:00Z",
      eventSource: "ec2.amazonaws.com",
      eventName: "GetPasswordData",
      eventID: `1b2c3d4e-0000-4000-8000-${String(i).padStart(12, "0")}`,
      userAgent: agent,
      userIdentity: { arn: "arn:aws:sts::111122223333:assumed-role/r/s" },
    });
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let b = 0; b < 6; b++) {
      for (let i = 0; i < 500; i++) tap.capture(0, event(b * 500 + i), b * 500 + i);
      // what postMessage does to a batch: a deep copy, strings included
      run.accept(b, structuredClone(tap.take()) as CorrTuple[]);
    }
    gc();
    const grown = process.memoryUsage().heapUsed - before;
    assert.ok(grown < 20 * 1024 * 1024, `the buffered events take ${Math.round(grown / 1048576)} MB`);
    const done = run.finish();
    assert.equal(done.summary.events, 3000);
  });

  it("the string table stays within its limit whatever the number of distinct values", () => {
    const table = new StringInterner(1000);
    for (let i = 0; i < 10_000; i++) {
      assert.equal(table.get(`v${i}`), `v${i}`);
      assert.ok(table.size <= 1000, `size ${table.size} at ${i}`);
    }
    assert.equal(table.get("v9999"), "v9999");
  });
});
