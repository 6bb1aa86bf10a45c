// End-to-end: data with terminal escape sequences (CloudTrail fields, unparsable lines) reaches the screen
// only escaped (`\u001b`), in the scan table, its messages and errors; JSON output is unchanged.
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { runCli } from "./cli-helper.js";

const ESC = "\u001b";
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

const record = {
  eventVersion: "1.09",
  eventSource: "cloudtrail.amazonaws.com",
  eventName: "StopLogging",
  eventTime: "2026-11-20T09:14:03Z",
  awsRegion: "us-east-1",
  sourceIPAddress: "192.0.2.7",
  userAgent: `aws-cli${ESC}[2J`,
  userIdentity: { type: "IAMUser", arn: `arn:aws:iam::111122223333:user/${ESC}]0;owned${ESC}\\x` },
  requestParameters: { name: "trail" },
  eventID: "e-1",
  recipientAccountId: "111122223333",
};

describe("terminal safety of human-readable output", () => {
  it("scan: the principal column, the not-JSON message and errors print control characters escaped", () => {
    const dir = mkdtempSync(join(tmpdir(), "techtrail-term-"));
    const file = join(dir, `logs.jsonl`);
    writeFileSync(file, `${JSON.stringify(record)}\nnot json ${ESC}[31mred\n`);
    // a wide table, so the principal column is shown whole
    const r = runCli(["scan", file, "--workers", "0", "--format", "table"], { env: { COLUMNS: "400" } });
    assert.equal(r.status, 1, r.stderr);
    assert.doesNotMatch(r.stdout, RAW_CONTROL);
    assert.doesNotMatch(r.stderr, RAW_CONTROL);
    assert.match(r.stdout, /user\/\\u001b\]0;owned/);
    assert.match(r.stderr, /skipped \(not-json\)/);
    // JSON Lines keep the value itself (JSON escapes it in its own way)
    const jsonl = runCli(["scan", file, "--workers", "0", "--format", "jsonl"]);
    const finding = JSON.parse(jsonl.stdout.split("\n")[0] ?? "");
    assert.equal(finding.principalArn, record.userIdentity.arn);
    const missing = runCli(["scan", join(dir, `no${ESC}[2Jsuch`), "--workers", "0"]);
    assert.equal(missing.status, 2);
    assert.doesNotMatch(missing.stderr, RAW_CONTROL);
    assert.match(missing.stderr, /no\\u001b\[2Jsuch/);
  });
});
