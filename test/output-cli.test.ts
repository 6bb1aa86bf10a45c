// End to end: the commands' output options go through one helper (src/core/fs.ts): /dev/null and FIFOs are
// written in place, `-` is stdout, a symbolic link's target is written and the link kept.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { lstatSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { BIN, runCli } from "./cli-helper.js";

const dir = mkdtempSync(join(tmpdir(), "techtrail-output-"));
after(() => rmSync(dir, { recursive: true, force: true }));

// One StopLogging record (made up for this test) so that scan has a finding to write.
const RECORD = JSON.stringify({
  eventVersion: "1.10",
  eventTime: "2026-10-01T10:00:00Z",
  eventSource: "cloudtrail.amazonaws.com",
  eventName: "StopLogging",
  awsRegion: "eu-west-1",
  sourceIPAddress: "203.0.113.7",
  userIdentity: { type: "IAMUser", arn: "arn:aws:iam::111122223333:user/x", accountId: "111122223333" },
  requestParameters: { name: "org-trail" },
  eventID: "5b0b4a59-7d0e-4a57-9d55-0c6a1b7f0e11",
  recipientAccountId: "111122223333",
});

test("scan --out, --summary-json and catalog export --out leave /dev/null a character device", () => {
  const scan = runCli(
    ["scan", "-", "--format", "jsonl", "--out", "/dev/null", "--summary-json", "/dev/null", "--quiet"],
    {
      input: `${RECORD}\n`,
    },
  );
  assert.equal(scan.status, 1, scan.stderr); // 1 = findings
  assert.equal(scan.stdout, "");
  const exp = runCli(["catalog", "export", "--out", "/dev/null"]);
  assert.equal(exp.status, 0, exp.stderr);
  assert.ok(statSync("/dev/null").isCharacterDevice());
});

test("--out - is stdout; a symbolic link's target is written and the link kept", () => {
  const plain = runCli(["catalog", "export"]);
  const dash = runCli(["catalog", "export", "--out", "-"]);
  assert.equal(dash.status, 0, dash.stderr);
  assert.equal(dash.stdout, plain.stdout);
  const target = join(dir, "layer.json");
  const link = join(dir, "current-layer.json");
  writeFileSync(target, "{}");
  symlinkSync(target, link);
  const r = runCli(["catalog", "layer", "--out", link]);
  assert.equal(r.status, 0, r.stderr);
  assert.ok(lstatSync(link).isSymbolicLink());
  assert.equal(JSON.parse(readFileSync(target, "utf8")).domain, "enterprise-attack");
});

test("scan --out FIFO streams the findings to the reader", async () => {
  const fifo = join(dir, "findings.fifo");
  const mk = spawn("mkfifo", [fifo]);
  await new Promise((r) => mk.on("close", r));
  const reader = spawn("cat", [fifo]);
  let got = "";
  reader.stdout.on("data", (d) => {
    got += String(d);
  });
  const scan = spawn(process.execPath, [BIN, "scan", "-", "--format", "jsonl", "--out", fifo, "--quiet"]);
  scan.stdin.end(`${RECORD}\n`);
  const [code] = await Promise.all([
    new Promise((r) => scan.on("close", r)),
    new Promise((r) => reader.on("close", r)),
  ]);
  assert.equal(code, 1);
  assert.equal(JSON.parse(got.trim()).eventName, "StopLogging");
  assert.ok(lstatSync(fifo).isFIFO());
});
