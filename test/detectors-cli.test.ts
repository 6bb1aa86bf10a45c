// End to end: `techtrail scan` on AWS detector output (GuardDuty, Security Hub ASFF, Security Lake OCSF
// Parquet) beside CloudTrail, run as a user would, with the samples in test/fixtures/detectors and the small
// test mappings in test/fixtures/detector-mappings.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { gzipSync } from "node:zlib";
import { BIN, REPO_ROOT } from "./cli-helper.js";

const FIX = join(REPO_ROOT, "test", "fixtures");
const MAPPINGS = join(FIX, "detector-mappings");

describe("techtrail scan with detector findings (end to end)", () => {
  let dir: string;
  let db: string;
  const cli = (args: string[], input?: Buffer) => {
    const r = spawnSync(process.execPath, [BIN, ...args], {
      encoding: "utf8",
      ...(input ? { input } : {}),
      cwd: REPO_ROOT,
      env: { ...process.env, TECHTRAIL_DB: db, TECHTRAIL_ACTOR: "e2e", TECHTRAIL_DATABASE_URL: "" },
    });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "techtrail-det-"));
    db = join(dir, "register.db");
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test("a mixed folder prints one summary with every source", () => {
    const r = cli(["scan", join(FIX, "detectors"), "--detector-mappings", MAPPINGS, "--json", "--workers", "1"]);
    assert.equal(r.code, 1, r.err);
    const { findings, summary } = JSON.parse(r.out);
    assert.deepEqual(Object.keys(summary.detectors.byFormat).sort(), ["asff", "guardduty", "ocsf"]);
    assert.equal(summary.detectors.findings, 10);
    assert.ok(summary.events.read > 0);
    assert.ok(findings.some((f: { detector?: unknown }) => !f.detector));
    assert.ok(findings.some((f: { detector?: { format: string } }) => f.detector?.format === "ocsf"));
    assert.match(
      r.err,
      /5 CloudTrail event\(s\) read from 1 file\(s\); 10 detector finding\(s\) \(access-analyzer 1, guardduty 6, macie 2, security-hub 1\) from 6 file\(s\), 3 of unmapped type\(s\)/,
    );
    assert.match(r.err, /unmapped guardduty type Recon:EC2\/PortProbeUnprotectedPort .*jsonl\.gz:2\): Probing/);
    const table = cli(["scan", join(FIX, "detectors"), "--detector-mappings", MAPPINGS, "--workers", "1"]);
    assert.match(table.out, /high +T1552\.005,T… +arn:aws:sts:… +guardduty:Un/);
    assert.match(table.out, /arn:aws:s3::… +macie:Policy/, "a finding without principal shows its resource");
  });

  test("a draft from findings that map to no technique says it has no tags instead of an empty list", () => {
    const none = mkdtempSync(join(dir, "no-mappings-"));
    const r = cli([
      "scan",
      join(FIX, "detectors/guardduty/get-findings.json"),
      "--detector-mappings",
      none,
      "--db",
      join(none, "own-register.db"),
      "--create-incident",
      "--quiet",
      "--format",
      "jsonl",
    ]);
    assert.equal(r.code, 1, r.err);
    assert.match(r.err, /draft incident IR-\d{4}-\d{4} created in .* without technique tags/);
    assert.doesNotMatch(r.err, /technique\(s\): *$/m);
  });

  test("--create-incident on a GuardDuty finding and the CloudTrail around it records GuardDuty", () => {
    const r = cli([
      "scan",
      join(FIX, "detectors/guardduty/get-findings.json"),
      join(FIX, "detectors/cloudtrail"),
      "--detector-mappings",
      MAPPINGS,
      "--create-incident",
      "--quiet",
      "--format",
      "jsonl",
    ]);
    assert.equal(r.code, 1, r.err);
    const key = /draft incident (IR-\d{4}-\d{4})/.exec(r.err)?.[1];
    assert.ok(key, r.err);
    const show = cli(["incident", "show", key, "--json"]);
    assert.equal(show.code, 0, show.err);
    const incident = JSON.parse(show.out);
    assert.equal(incident.detectionSource, "guardduty");
    assert.equal(incident.timeline.detected, "2026-03-14T10:14:27.512Z");
    assert.equal(incident.timeline.firstActivity, "2026-03-14T09:58:12Z");
    const refs = incident.techniques.flatMap(
      (t: { findings: Array<{ ruleId: string; eventName: string }> }) => t.findings,
    );
    assert.ok(
      refs.some((f: { ruleId: string }) => f.ruleId.startsWith("guardduty:")),
      "the GuardDuty finding is evidence",
    );
    assert.ok(
      refs.some((f: { eventName: string }) => f.eventName === "StopLogging"),
      "so is the CloudTrail",
    );
    assert.ok(incident.techniques.some((t: { id: string }) => t.id === "T1552.005"));
    assert.equal(JSON.parse(cli(["incident", "list", "--json"]).out).total, 1, "one incident");
  });

  test("detector findings on standard input are read as the same file is (GuardDuty export, gzip, ASFF)", () => {
    const withoutFile = (findings: Array<{ origin: { file: string } }>) =>
      findings.map((f) => ({ ...f, origin: { ...f.origin, file: "" } }));
    const gdExport = join(FIX, "detectors-src/guardduty-export.jsonl");
    const cases: Array<[string, Buffer]> = [
      [gdExport, readFileSync(gdExport)],
      [gdExport, gzipSync(readFileSync(gdExport))],
      [
        join(FIX, "detectors/securityhub/get-findings.json"),
        readFileSync(join(FIX, "detectors/securityhub/get-findings.json")),
      ],
    ];
    for (const [path, bytes] of cases) {
      const args = ["--detector-mappings", MAPPINGS, "--json", "--workers", "1"];
      const file = cli(["scan", path, ...args]);
      const piped = cli(["scan", "-", ...args], bytes);
      assert.equal(piped.code, file.code, piped.err);
      assert.equal(piped.code, 1, piped.err);
      const a = JSON.parse(file.out);
      const b = JSON.parse(piped.out);
      assert.ok(b.findings.length > 0);
      assert.ok(b.findings.every((f: { origin: { file: string } }) => f.origin.file === "-"));
      assert.deepEqual(withoutFile(b.findings), withoutFile(a.findings), path);
      assert.deepEqual(b.summary.detectors.bySource, a.summary.detectors.bySource);
      assert.equal(b.summary.detectors.files, 1);
      assert.equal(b.summary.detectors.findings, a.summary.detectors.findings);
      assert.deepEqual(b.summary.files, a.summary.files);
      assert.doesNotMatch(piped.err, /not-cloudtrail|nothing was scanned/);
    }
  });

  test("a malformed detector stdin is reported at its line, and stops a strict scan", () => {
    const good = readFileSync(join(FIX, "detectors-src/guardduty-export.jsonl"), "utf8").trim();
    const bad = Buffer.from(`${good}\n{"schemaVersion": "2.0", "accountId": "1\n`);
    const r = cli(["scan", "-", "--detector-mappings", MAPPINGS, "--format", "jsonl"], bad);
    assert.equal(r.code, 1, r.err);
    assert.match(r.err, /detector finding skipped \(not-json\): -:3: not JSON/);
    assert.match(
      r.err,
      /2 detector finding\(s\) \(guardduty 2\) from 1 file\(s\), 1 of unmapped type\(s\), 1 problem\(s\) \(1 not-json\)/,
    );
    const strict = cli(["scan", "-", "--detector-mappings", MAPPINGS, "--strict"], bad);
    assert.equal(strict.code, 2, strict.err);
    assert.match(strict.err, /scan stopped at the first problem \(strict\): not-json\n {2}- -:3: not-json/);
  });

  test("bad detector input is reported with its place and the run goes on", () => {
    const r = cli([
      "scan",
      join(FIX, "detectors-bad"),
      join(FIX, "detectors/cloudtrail"),
      "--detector-mappings",
      MAPPINGS,
    ]);
    assert.equal(r.code, 1, r.err);
    assert.match(
      r.err,
      /detector finding skipped \(unknown-schema-version\): .*guardduty-findings\.jsonl:1 \[schemaVersion\]/,
    );
    assert.match(r.err, /detector finding skipped \(not-ocsf\): .*not-ocsf\.parquet \[class_uid\]/);
    assert.match(r.err, /detector finding skipped \(missing-field\): .*asff-missing-fields\.json \[Title\]: finding 0/);
    assert.match(r.err, /row 1: OCSF class 4001/);
    assert.match(r.err, /8 problem\(s\)/);
  });
});
