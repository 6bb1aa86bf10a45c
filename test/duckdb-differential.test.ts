// Proof of equivalence: the JS engine and the DuckDB engine (scan --engine duckdb) give identical findings —
// same rules, same events, same fields and origins — over the shared corpora (Invictus CloudTrail delivery
// files, Stratus Red Team detonations as raw arrays and as JSON Lines), the records of every rule test file
// (as JSON Lines, a gzipped Records delivery file and a JSON array), and a small synthetic corpus.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { gzipSync } from "node:zlib";
import { duckdbEngine } from "../src/duckdb/engine.js";
import { type Finding, scanPaths } from "../src/scan/index.js";
import { type Rec, testRecords } from "../src/sql/test-helpers.js";
import { sharedPath, skipUnlessShared } from "./shared.js";

const RULE_DIRS = ["rules/optional"];

/** Records made to sit on the edges: case, wildcards' special characters, lists, nulls, dotted keys, junk. */
function synthetic(): Array<Rec | string> {
  const out: Array<Rec | string> = [];
  const names = ["StopLogging", "stoplogging", "DeleteTrail", "ConsoleLogin", "PutBucketPolicy", "CreateUser"];
  for (let i = 0; i < 300; i++) {
    const name = names[i % names.length] as string;
    out.push({
      eventVersion: "1.09",
      eventID: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
      eventTime: `2026-01-01T00:${String(i % 60).padStart(2, "0")}:00Z`,
      eventSource:
        i % 7 === 0
          ? "CLOUDTRAIL.amazonaws.com"
          : name === "ConsoleLogin"
            ? "signin.amazonaws.com"
            : "cloudtrail.amazonaws.com",
      eventName: name,
      awsRegion: "us-east-1",
      sourceIPAddress:
        name === "ConsoleLogin"
          ? `198.51.100.${i % 2}`
          : i % 3 === 0
            ? `10.0.${i % 256}.1`
            : i % 3 === 1
              ? "::ffff:203.0.113.9"
              : "AWS Internal",
      userIdentity:
        i % 5 === 0
          ? { type: "Root", arn: "arn:aws:iam::111122223333:root", accountId: "111122223333" }
          : {
              type: "IAMUser",
              arn: `arn:aws:iam::111122223333:user/u${i}`,
              accessKeyId: `AKIA${i}`,
              // failed console sign-ins of five users from few addresses: brute-force and spraying correlations
              ...(name === "ConsoleLogin" ? { userName: `user${Math.floor(i / 6) % 5}` } : {}),
            },
      ...(i % 4 === 0 ? { errorCode: "AccessDenied" } : {}),
      ...(i % 6 === 0 ? { "userIdentity.arn": "flattened" } : {}),
      requestParameters: i % 2 === 0 ? { name: `trail_${i}%`, items: [{ a: 1 }, { a: "x" }] } : null,
      responseElements: name === "ConsoleLogin" ? { ConsoleLogin: i % 2 ? "Failure" : "Success" } : null,
      recipientAccountId: "111122223333",
    });
  }
  out.push("not json", '{"eventName": 1}', "[]", "");
  return out;
}

const key = (f: Finding) => JSON.stringify(f);

async function compare(paths: string[]): Promise<Finding[]> {
  const js = await scanPaths(paths, { workers: 0, ruleDirs: RULE_DIRS, minLevel: "informational" });
  const dd = await scanPaths(
    paths,
    { workers: 0, ruleDirs: RULE_DIRS, minLevel: "informational" },
    { external: duckdbEngine({ requested: "duckdb" }) },
  );
  assert.equal(dd.summary.engine?.used, "duckdb", dd.summary.engine?.reason);
  assert.ok((dd.summary.engine?.sqlRules ?? 0) > 150, `${dd.summary.engine?.sqlRules} rules in SQL`);
  const a = js.findings.map(key).sort();
  const b = dd.findings.map(key).sort();
  const onlyJs = a.filter((k) => !b.includes(k));
  const onlyDuck = b.filter((k) => !a.includes(k));
  assert.deepEqual({ onlyJs: onlyJs.slice(0, 5), onlyDuck: onlyDuck.slice(0, 5) }, { onlyJs: [], onlyDuck: [] });
  assert.equal(a.length, b.length);
  assert.equal(dd.summary.findings.total, js.summary.findings.total);
  assert.deepEqual(dd.summary.findings.byRule, js.summary.findings.byRule);
  // an event two rules matched counts once in either engine
  assert.equal(dd.summary.events.matched, js.summary.events.matched);
  assert.equal(dd.summary.correlations?.findings, js.summary.correlations?.findings);
  return dd.findings;
}

describe("JS and DuckDB engines give identical findings", () => {
  const dir = mkdtempSync(join(tmpdir(), "tt-diff-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("rule test records as JSON Lines, a gzipped Records file and a JSON array", async () => {
    const recs = testRecords("rules");
    const d = join(dir, "tests");
    mkdirSync(d);
    writeFileSync(join(d, "records.jsonl"), `${recs.map((r) => JSON.stringify(r)).join("\n")}\n`);
    writeFileSync(
      join(d, "111122223333_CloudTrail_us-east-1_20260101T0000Z_a.json.gz"),
      gzipSync(JSON.stringify({ Records: recs })),
    );
    writeFileSync(join(d, "array.json"), JSON.stringify(recs));
    const n = (await compare([d])).length;
    assert.ok(n > 3 * 200, `${n} findings`);
  });

  it("a synthetic corpus with junk lines", async () => {
    const d = join(dir, "synthetic");
    mkdirSync(d);
    writeFileSync(
      join(d, "events.jsonl"),
      synthetic()
        .map((r) => (typeof r === "string" ? r : JSON.stringify(r)))
        .join("\n"),
    );
    const found = await compare([d]);
    assert.ok(found.length > 50);
    // correlations (event_count and value_count over failed sign-ins) fire, per window, alike
    const corr = found.filter((f) => f.correlation);
    assert.ok(
      corr.some((f) => f.correlation?.type === "event_count"),
      "a brute-force correlation finding",
    );
    assert.ok(
      corr.some((f) => f.correlation?.type === "value_count"),
      "a password-spraying correlation finding",
    );
  });

  it("Invictus CloudTrail delivery files", {
    skip: skipUnlessShared("data/invictus-aws-dataset/CloudTrail"),
  }, async () => {
    assert.ok((await compare([sharedPath("data/invictus-aws-dataset/CloudTrail")])).length > 100);
  });

  it("Stratus Red Team detonations: raw arrays and events.jsonl", {
    skip: skipUnlessShared("data/stratus-detonation-logs/raw", "data/stratus-detonation-logs/events.jsonl"),
  }, async () => {
    // events.jsonl wraps each record ({"event": {...}, ...}): unwrapped into plain JSON Lines
    const lines = readFileSync(sharedPath("data/stratus-detonation-logs/events.jsonl"), "utf8").split("\n");
    const out = lines.filter((l) => l.trim()).map((l) => JSON.stringify((JSON.parse(l) as { event: Rec }).event));
    const file = join(dir, "stratus.jsonl");
    writeFileSync(file, `${out.join("\n")}\n`);
    assert.ok((await compare([sharedPath("data/stratus-detonation-logs/raw"), file])).length > 100);
  });
});
