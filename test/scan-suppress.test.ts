// Suppression in the scan: `scanPaths` with a Suppressor hides matching findings, counts them per entry in the
// summary, and passes them on marked only when asked; `techtrail scan --suppress --show-suppressed` end to end.
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { Finding, parseSuppressions, scanPaths } from "../src/scan/index.js";
import { runCli } from "./cli-helper.js";

const record = (arn: string, ua: string, i: number) => ({
  eventVersion: "1.09",
  eventTime: `2026-11-20T09:0${i}:00Z`,
  eventSource: "cloudtrail.amazonaws.com",
  eventName: "StopLogging",
  awsRegion: "us-east-1",
  sourceIPAddress: "203.0.113.7",
  userAgent: ua,
  userIdentity: { type: "AssumedRole", arn, accountId: "111122223333" },
  requestParameters: { name: "main-trail" },
  recipientAccountId: "111122223333",
});
const CI = "arn:aws:sts::111122223333:assumed-role/ci-deploy/build-7";
const TERRAFORM = "APN/1.0 HashiCorp/1.0 Terraform/1.9.5";

function logs(): string {
  const dir = mkdtempSync(join(tmpdir(), "techtrail-suppress-"));
  const file = join(dir, "trail.jsonl");
  const lines = [
    record(CI, TERRAFORM, 1),
    record(CI, TERRAFORM, 2),
    record(CI, "aws-cli/2.15", 3), // the CI role without Terraform: still reported
    record("arn:aws:sts::111122223333:assumed-role/Admin/mallory", TERRAFORM, 4),
  ];
  writeFileSync(file, `${lines.map((l) => JSON.stringify(l)).join("\n")}\n`);
  writeFileSync(
    join(dir, "suppress.yaml"),
    `suppressions:
  - reason: Terraform by the CI deployment role
    principals: "arn:aws:sts::*:assumed-role/ci-deploy/*"
    userAgents: "*Terraform*"
  - reason: Expired exception
    expires: 2020-01-01
    eventNames: StopLogging
`,
  );
  return dir;
}

describe("scan with suppression", () => {
  it("hides matching findings, counts them per entry, and shows them marked only when asked", async () => {
    const dir = logs();
    const suppress = parseSuppressions(
      `suppressions:\n  - reason: Terraform by the CI deployment role\n    principals: "arn:aws:sts::*:assumed-role/ci-deploy/*"\n    userAgents: "*Terraform*"\n`,
      "s.yaml",
    );
    const plain = await scanPaths([join(dir, "trail.jsonl")], { workers: 0 });
    const hidden = await scanPaths([join(dir, "trail.jsonl")], { workers: 0 }, { suppress });
    const stopped = (fs: Finding[]) => fs.filter((f) => f.eventName === "StopLogging");
    assert.equal(stopped(plain.findings).length - stopped(hidden.findings).length, 2);
    assert.ok(hidden.findings.every((f) => f.principalArn !== CI || f.userAgent !== TERRAFORM));
    assert.equal(hidden.summary.findings.total, plain.summary.findings.total - hidden.summary.suppressed.total);
    assert.deepEqual(
      hidden.summary.suppressed.byEntry.map((e) => [e.index, e.reason]),
      [[0, "Terraform by the CI deployment role"]],
    );
    assert.ok(hidden.summary.suppressed.total >= 2);
    assert.deepEqual(plain.summary.suppressed, { total: 0, byEntry: [] });
    const shown = await scanPaths([join(dir, "trail.jsonl")], { workers: 0 }, { suppress, showSuppressed: true });
    const marked = shown.findings.filter((f) => f.suppressed);
    assert.equal(marked.length, hidden.summary.suppressed.total);
    assert.ok(marked.every((f) => f.suppressed?.index === 0 && Finding.safeParse(f).success));
    assert.equal(shown.summary.findings.total, hidden.summary.findings.total);
  });

  it("techtrail scan --suppress warns about expired entries; --show-suppressed prints marked findings", () => {
    const dir = logs();
    const r = runCli([
      "scan",
      join(dir, "trail.jsonl"),
      "--suppress",
      join(dir, "suppress.yaml"),
      "--show-suppressed",
      "--format",
      "jsonl",
      "--summary-json",
      join(dir, "s.json"),
      "--workers",
      "0",
    ]);
    assert.equal(r.status, 1, r.stderr);
    assert.match(
      r.stderr,
      /suppress\.yaml:5 \[suppressions\.1\.expires\]: entry 2 \("Expired exception"\) expired on 2020-01-01/,
    );
    const findings = r.stdout
      .trim()
      .split("\n")
      .map((l) => Finding.parse(JSON.parse(l)));
    assert.ok(findings.some((f) => f.suppressed?.reason === "Terraform by the CI deployment role"));
    assert.ok(findings.some((f) => !f.suppressed && f.principalArn === CI));
    const bad = runCli(["scan", join(dir, "trail.jsonl"), "--suppress", join(dir, "trail.jsonl")]);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /invalid suppression file|invalid YAML/);
  });
});
