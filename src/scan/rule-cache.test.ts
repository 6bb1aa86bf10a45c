import assert from "node:assert/strict";
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { loadBuiltinCatalog } from "../catalog/load.js";
import { isTechtrailError } from "../core/errors.js";
import { RuleSetCache, ruleFilesFingerprint } from "./rule-cache.js";
import { type ScanResult, scanPaths } from "./scan.js";

function tmp(): string {
  return mkdtempSync(join(tmpdir(), "techtrail-rule-cache-"));
}

const rule = (id: string, title: string) => `title: ${title}
id: ${id}
level: high
logsource: {product: aws, service: cloudtrail}
detection:
  selection:
    eventName: StopLogging
  condition: selection
`;

describe("RuleSetCache", () => {
  it("keeps one compiled rule set while the files are unchanged, and sees edits, new and removed files", async () => {
    const dir = tmp();
    const a = join(dir, "a.yml");
    writeFileSync(a, rule("r-a", "Trail stopped"));
    const cache = new RuleSetCache();
    const folders = { ruleDirs: [dir], builtin: false };
    const first = await cache.get(folders);
    assert.deepEqual(
      first.info.rules.map((r) => r.title),
      ["Trail stopped"],
    );
    assert.equal(await cache.get(folders), first, "unchanged: the same compiled set");
    assert.equal(cache.loads, 1);

    writeFileSync(a, rule("r-a", "Trail stopped (edited)"));
    const edited = await cache.get(folders);
    assert.notEqual(edited, first);
    assert.deepEqual(
      edited.info.rules.map((r) => r.title),
      ["Trail stopped (edited)"],
    );

    // same size, only the modification time differs
    writeFileSync(a, rule("r-a", "Trail stopped (EDITED)"));
    const before = await cache.get(folders);
    utimesSync(a, new Date(2001, 0, 1), new Date(2001, 0, 1));
    assert.notEqual(await cache.get(folders), before);

    writeFileSync(join(dir, "b.yml"), rule("r-b", "Second rule"));
    writeFileSync(join(dir, "b.tests.yaml"), "not a rule file\n");
    assert.equal((await cache.get(folders)).info.rules.length, 2, "a new rule file is read");
    rmSync(join(dir, "b.yml"));
    assert.equal((await cache.get(folders)).info.rules.length, 1, "a removed rule file is gone");
    assert.equal(cache.loads, 6);

    // other folders: another rule set (one is kept)
    const other = tmp();
    writeFileSync(join(other, "c.yml"), rule("r-c", "Third rule"));
    assert.deepEqual(
      (await cache.get({ ruleDirs: [other], builtin: false })).info.rules.map((r) => r.id),
      ["r-c"],
    );
    assert.equal(cache.loads, 7);
  });

  it("a missing folder is NOT_FOUND, and the failure is not kept", async () => {
    const cache = new RuleSetCache();
    const missing = join(tmp(), "nope");
    await assert.rejects(cache.get({ ruleDirs: [missing], builtin: false }), (e) => {
      return isTechtrailError(e) && e.code === "NOT_FOUND" && e.problems[0]?.source === missing;
    });
    await assert.rejects(ruleFilesFingerprint({ ruleDirs: [missing], builtin: false }), /does not exist/);
  });
});

/** Console sign-ins: a first week to learn from, then a brute force that succeeds from a new network. */
function consoleEvents(shiftDays = 0): Array<Record<string, unknown>> {
  let n = 0;
  const shift = (t: string) => new Date(Date.parse(t) + shiftDays * 86_400_000).toISOString().replace(".000Z", "Z");
  const login = (time: string, ip: string, result: "Success" | "Failure") => ({
    eventVersion: "1.09",
    userIdentity: {
      type: "IAMUser",
      userName: "alice",
      arn: "arn:aws:iam::111122223333:user/alice",
      accountId: "111122223333",
      principalId: "AIDAEXAMPLE",
    },
    eventTime: shift(time),
    eventSource: "signin.amazonaws.com",
    eventName: "ConsoleLogin",
    awsRegion: "us-east-1",
    sourceIPAddress: ip,
    userAgent: "Mozilla/5.0",
    requestParameters: null,
    responseElements: { ConsoleLogin: result },
    eventID: `00000000-0000-4000-8000-${String(++n).padStart(12, "0")}`,
    recipientAccountId: "111122223333",
    eventType: "AwsConsoleSignIn",
  });
  const out: Array<Record<string, unknown>> = [login("2024-05-01T09:00:00Z", "198.51.100.7", "Success")];
  for (let i = 0; i < 6; i++) out.push(login(`2024-05-10T03:0${i}:00Z`, "203.0.113.9", "Failure"));
  out.push(login("2024-05-10T03:20:00Z", "203.0.113.9", "Success"));
  out.push({
    ...login("2024-05-10T03:25:00Z", "203.0.113.9", "Success"),
    eventSource: "cloudtrail.amazonaws.com",
    eventName: "StopLogging",
    eventType: "AwsApiCall",
    requestParameters: { name: "org-trail" },
    responseElements: null,
  });
  return out;
}

describe("scanPaths with cached rules", () => {
  it("a small input gives the same findings and summary on this thread (cached rules) as on a worker, scan after scan", async () => {
    const catalog = loadBuiltinCatalog();
    const dir = tmp();
    const later = tmp();
    writeFileSync(join(dir, "console.json"), JSON.stringify({ Records: consoleEvents() }));
    // the same activity a month later: a scan must not remember what an earlier scan saw
    writeFileSync(join(later, "console.json"), JSON.stringify({ Records: consoleEvents(30) }));
    const cache = new RuleSetCache();
    const worker = await scanPaths([later], { workers: 1 }, { catalog });
    const first = await scanPaths([dir], { workers: 0 }, { catalog, ruleCache: cache });
    const [here, again] = [
      await scanPaths([later], { workers: 0 }, { catalog, ruleCache: cache }),
      await scanPaths([later], { workers: 0 }, { catalog, ruleCache: cache }),
    ];
    assert.equal(cache.loads, 1);
    assert.equal(first.findings.length, worker.findings.length);
    assert.equal(worker.summary.workers, 1);
    assert.equal(here.summary.workers, 0);
    const ids = new Set(worker.findings.map((f) => f.rule.title));
    assert.ok(
      worker.findings.some((f) => f.correlation?.type === "temporal_ordered"),
      `brute force then success: ${[...ids].join("; ")}`,
    );
    assert.ok(worker.findings.some((f) => f.correlation?.type === "event_count"));
    assert.ok(
      worker.findings.some((f) => f.correlation?.type === "first_seen"),
      "sign-in from a new network",
    );
    assert.ok(worker.findings.some((f) => f.rule.level === "high" && !f.correlation));
    const strip = (r: ScanResult) => ({
      ...r.summary,
      durationMs: 0,
      scanMs: 0,
      eventsPerSecond: 0,
      scanEventsPerSecond: 0,
      workers: 0,
    });
    for (const r of [here, again]) {
      assert.deepEqual(r.findings, worker.findings);
      assert.deepEqual(strip(r), strip(worker));
      assert.deepEqual(r.evidence, worker.evidence);
    }
  });
});
