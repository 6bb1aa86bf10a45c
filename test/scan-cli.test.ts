// End-to-end tests of `techtrail scan`: output formats, files written, exit status, stdin, bad input.
// Data: ../shared/data/stratus-detonation-logs (Apache-2.0, DataDog/stratus-red-team).
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { Finding, ScanSummary } from "../src/scan/index.js";
import { runCli } from "./cli-helper.js";
import { sharedPath, skipUnlessShared } from "./shared.js";

const RAW = sharedPath("data/stratus-detonation-logs/raw");
const TRAIL_STOP = join(RAW, "aws.defense-evasion.cloudtrail-stop.json");

describe("techtrail scan", { skip: skipUnlessShared("data/stratus-detonation-logs/raw") }, () => {
  it("--format jsonl prints exactly one valid finding per line and exits 1 when there are findings", () => {
    const r = runCli(["scan", TRAIL_STOP, "--format", "jsonl", "--workers", "0"]);
    assert.equal(r.status, 1, r.stderr);
    const lines = r.stdout.split("\n").filter((l) => l !== "");
    assert.ok(lines.length > 0);
    assert.ok(r.stdout.endsWith("\n"));
    for (const l of lines) Finding.parse(JSON.parse(l));
    assert.ok(lines.some((l) => JSON.parse(l).techniques.includes("T1562.008")));
    assert.match(r.stderr, /finding\(s\)/);
  });

  it("writes findings, summary and Navigator layers to files; --quiet keeps stderr empty", () => {
    const dir = mkdtempSync(join(tmpdir(), "techtrail-scan-cli-"));
    const r = runCli([
      "scan",
      RAW,
      "--format",
      "csv",
      "--out",
      join(dir, "f.csv"),
      "--summary-json",
      join(dir, "s.json"),
      "--layer",
      join(dir, "layer.json"),
      "--quiet",
    ]);
    assert.equal(r.status, 1, r.stderr);
    assert.equal(r.stdout, "");
    assert.equal(r.stderr, "");
    const csv = readFileSync(join(dir, "f.csv"), "utf8").trim().split("\n");
    assert.match(csv[0] ?? "", /^eventTime,ruleId,ruleTitle,level,techniques/);
    const summary = ScanSummary.parse(JSON.parse(readFileSync(join(dir, "s.json"), "utf8")));
    assert.equal(csv.length - 1, summary.findings.total);
    assert.equal(summary.events.read, 310);
    const layer = JSON.parse(readFileSync(join(dir, "layer.json"), "utf8"));
    assert.ok(Array.isArray(layer.techniques) && layer.techniques.length > 0);
    assert.ok(existsSync(join(dir, "layer.full.json")));
  });

  it("reads stdin, prints a table, and exits 0 without findings", () => {
    const quiet = JSON.stringify({
      eventSource: "s3.amazonaws.com",
      eventName: "HeadObject",
      eventTime: "2024-01-01T00:00:00Z",
      userIdentity: { type: "IAMUser", arn: "arn:aws:iam::111122223333:user/a" },
    });
    const none = runCli(["scan", "-", "--workers", "0"], { input: `${quiet}\n` });
    assert.equal(none.status, 0, none.stderr);
    assert.match(none.stdout, /No findings\./);
    const some = runCli(["scan", "-", "--format", "table"], { input: readFileSync(TRAIL_STOP, "utf8") });
    assert.equal(some.status, 1, some.stderr);
    assert.match(some.stdout, /T1562\.008/);
    assert.match(some.stdout, /technique\s+name\s+findings/);
  });

  it("exits 2 on errors: missing path, bad option, and the first bad record under --strict", () => {
    const missing = runCli(["scan", "/no/such/dir"]);
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /\/no\/such\/dir/);
    assert.doesNotMatch(missing.stderr, /\bat .*\.ts:\d+/, "no stack trace");
    const badFormat = runCli(["scan", TRAIL_STOP, "--format", "xml"]);
    assert.equal(badFormat.status, 2);
    assert.match(badFormat.stderr, /unknown --format xml/);
    const badWorkers = runCli(["scan", TRAIL_STOP, "--workers", "many"]);
    assert.equal(badWorkers.status, 2);
    const dir = mkdtempSync(join(tmpdir(), "techtrail-scan-cli-"));
    const file = join(dir, "bad.jsonl");
    const good = JSON.stringify(JSON.parse(readFileSync(TRAIL_STOP, "utf8"))[0]);
    writeFileSync(file, `${good}\nnot json\n${good}\n`);
    const lenient = runCli(["scan", file, "--workers", "0", "--format", "jsonl"]);
    assert.match(lenient.stderr, /skipped \(not-json\): .*bad\.jsonl:2/);
    assert.notEqual(lenient.status, 2);
    const strict = runCli(["scan", file, "--strict", "--workers", "0"]);
    assert.equal(strict.status, 2);
    assert.match(strict.stderr, /strict/);
    assert.match(strict.stderr, /bad\.jsonl:2/);
  });

  it("reports a rule with an error as file:line:column and scans on; --strict stops", () => {
    const dir = mkdtempSync(join(tmpdir(), "techtrail-scan-rules-"));
    writeFileSync(
      join(dir, "bad.yml"),
      "title: bad\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  sel:\n    eventName: X\n  condition: sel or (\n",
    );
    writeFileSync(join(dir, "bad.tests.yaml"), "not: [a rule"); // rule tests are not rules
    const r = runCli(["scan", TRAIL_STOP, "--rules", dir, "--workers", "0", "--format", "jsonl"]);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /rule skipped: .*bad\.yml:6:\d+/);
    assert.doesNotMatch(r.stderr, /tests\.yaml/);
    const strict = runCli(["scan", TRAIL_STOP, "--rules", dir, "--strict", "--workers", "0"]);
    assert.equal(strict.status, 2);
    const noRules = runCli(["scan", TRAIL_STOP, "--no-builtin-rules", "--workers", "0"]);
    assert.equal(noRules.status, 2);
    assert.match(noRules.stderr, /no rules/);
  });

  it("exits 9 and says why when no CloudTrail event was read", () => {
    const dir = mkdtempSync(join(tmpdir(), "techtrail-scan-none-"));
    writeFileSync(join(dir, "README.md"), "# notes\n");
    writeFileSync(join(dir, "other.jsonl"), '{"foo": 1}\n{"bar": 2}\n');
    const r = runCli(["scan", dir, "--workers", "0", "--quiet"], { env: { COLUMNS: "" } });
    assert.equal(r.status, 9, r.stderr);
    assert.match(
      r.stderr,
      /^techtrail: 0 CloudTrail event\(s\) read from 1 file\(s\); 1 file\(s\) skipped: 1 unknown-format; skipped: 2 not-cloudtrail: nothing was scanned/m,
    );
    assert.match(r.stdout, /No CloudTrail events read/);
    assert.doesNotMatch(r.stdout, /No findings/);
  });

  it("--json, --min-level, and a table that collapses repeats and fits 100 columns", () => {
    const dir = mkdtempSync(join(tmpdir(), "techtrail-scan-table-"));
    const event = JSON.parse(readFileSync(TRAIL_STOP, "utf8")).find(
      (e: { eventName: string }) => e.eventName === "StopLogging",
    );
    const file = join(dir, "repeats.jsonl");
    writeFileSync(
      file,
      [0, 1, 2]
        .map((i) => JSON.stringify({ ...event, eventID: `id-${i}`, eventTime: `2024-01-0${i + 1}T00:00:00Z` }))
        .join("\n"),
    );
    const rules = join(dir, "rules");
    mkdirSync(rules);
    writeFileSync(
      join(rules, "info.yml"),
      "title: Any trail call\nid: info-trail\nlevel: informational\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  sel:\n    eventSource: cloudtrail.amazonaws.com\n  condition: sel\n",
    );
    const table = runCli(["scan", file, "--rules", rules, "--workers", "0"], { env: { COLUMNS: "" } });
    assert.equal(table.status, 1, table.stderr);
    const lines = table.stdout.split("\n");
    for (const l of lines) assert.ok(l.length <= 100, `${l.length} columns: ${l}`);
    const rows = lines.filter((l) => l.startsWith("2024-01-01T00:00:00Z"));
    assert.equal(rows.length, 1, table.stdout);
    assert.match(rows[0] ?? "", /^2024-01-01T00:00:00Z\s+2024-01-03T00:00:00Z\s+3\s+high/);
    assert.match(table.stdout, /3 finding\(s\) below level low not shown/);
    assert.match(table.stderr, /3 CloudTrail event\(s\) read from 1 file\(s\); 3 finding\(s\) \(\+3 below low\)/);
    const json = runCli(["scan", file, "--rules", rules, "--workers", "0", "--json", "--min-level", "informational"]);
    assert.equal(json.status, 1, json.stderr);
    const doc = JSON.parse(json.stdout) as { findings: Finding[]; summary: ScanSummary };
    assert.equal(doc.findings.length, 6, "one finding per event and rule, nothing collapsed");
    assert.equal(doc.summary.findings.belowMinLevel, 0);
    assert.deepEqual(doc.summary.findings.byLevel, { high: 3, informational: 3 });
    const bad = runCli(["scan", file, "--min-level", "severe"]);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /unknown --min-level severe/);
  });
});
