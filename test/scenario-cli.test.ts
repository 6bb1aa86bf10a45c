// End-to-end: `techtrail scenario list|show|generate` as a user runs them, and `techtrail scan` on the result
// finds the scenario's techniques (issue 16's "done when").
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { AnswerKey } from "../src/scenarios/answer-key.js";
import { runCli } from "./cli-helper.js";

describe("techtrail scenario", () => {
  it("generate ransomware-s3 --accounts 3 --days 2 --background 50000 --seed 1 writes an S3 tree and answer key that scan finds", () => {
    const out = join(mkdtempSync(join(tmpdir(), "techtrail-scenario-cli-")), "X");
    const g = runCli([
      "scenario",
      "generate",
      "ransomware-s3",
      "--accounts",
      "3",
      "--days",
      "2",
      "--background",
      "50000",
      "--seed",
      "1",
      "--out",
      out,
    ]);
    assert.equal(g.status, 0, g.stderr);
    assert.match(g.stderr, /events \(\d+ from 1 scenario\(s\)\)/);
    const accounts = readdirSync(join(out, "AWSLogs"));
    assert.equal(accounts.length, 3);
    const key = AnswerKey.parse(JSON.parse(readFileSync(join(out, "answer-key.json"), "utf8")));
    const scenario = key.scenarios[0];
    assert.ok(scenario && scenario.name === "ransomware-s3");
    assert.ok(existsSync(join(out, "AWSLogs", scenario.account, "CloudTrail", scenario.region)));

    const s = runCli(["scan", join(out, "AWSLogs"), "--format", "jsonl", "--summary-json", join(out, "..", "s.json")]);
    assert.equal(s.status, 1, s.stderr);
    const summary = JSON.parse(readFileSync(join(out, "..", "s.json"), "utf8")) as {
      techniques: Array<{ id: string }>;
      events: { read: number };
    };
    assert.ok(summary.events.read > 100_000);
    const seen = new Set(summary.techniques.map((t) => t.id));
    for (const step of scenario.steps.filter((x) => x.cloudtrailVisible))
      assert.ok(seen.has(step.technique), `scan did not report ${step.technique} (${step.id})`);
    // findings point at the answer key's events
    const ids = new Set(scenario.steps.flatMap((x) => x.eventIds));
    const findings = s.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { eventID?: string });
    assert.ok(findings.filter((f) => f.eventID && ids.has(f.eventID)).length >= scenario.steps.length);
  });

  it("refuses --days 0, negative sizes and unknown scenarios with the known ones", () => {
    const out = mkdtempSync(join(tmpdir(), "techtrail-scenario-cli-bad-"));
    const zero = runCli(["scenario", "generate", "ransomware-s3", "--days", "0", "--out", out]);
    assert.equal(zero.status, 2);
    assert.match(zero.stderr, /--days expects a whole number of at least 1, got "0"/);
    const neg = runCli(["scenario", "generate", "ransomware-s3", "--background", "-5", "--out", out]);
    assert.equal(neg.status, 2);
    assert.match(neg.stderr, /--background expects a whole number of at least 0/);
    const unknown = runCli(["scenario", "generate", "ransomware", "--out", out]);
    assert.equal(unknown.status, 3);
    assert.match(unknown.stderr, /unknown scenario ransomware; known scenarios: .*ransomware-s3/);
    assert.doesNotMatch(unknown.stderr + zero.stderr, /at .*\.js:\d+/);
  });

  it("--out - streams the same JSON Lines to standard output, the answer key to --answer-key, and scan reads them from a pipe", () => {
    const dir = mkdtempSync(join(tmpdir(), "techtrail-scenario-stdout-"));
    const args = [
      "scenario",
      "generate",
      "credential-misuse",
      "--background",
      "4000",
      "--seed",
      "5",
      "--format",
      "jsonl",
    ];
    const piped = runCli([...args, "--out", "-", "--answer-key", join(dir, "key.json")]);
    assert.equal(piped.status, 0, piped.stderr);
    assert.match(piped.stderr, /to standard output/);
    const folder = runCli([...args, "--out", join(dir, "F")]);
    assert.equal(folder.status, 0, folder.stderr);
    assert.equal(piped.stdout, readFileSync(join(dir, "F", "events.jsonl"), "utf8"));
    assert.equal(readFileSync(join(dir, "key.json"), "utf8"), readFileSync(join(dir, "F", "answer-key.json"), "utf8"));
    const key = AnswerKey.parse(JSON.parse(readFileSync(join(dir, "key.json"), "utf8")));
    const s = runCli(["scan", "-", "--format", "jsonl"], { input: piped.stdout });
    assert.equal(s.status, 1, s.stderr);
    const found = new Set(
      s.stdout
        .trim()
        .split("\n")
        .map((l) => (JSON.parse(l) as { eventID?: string }).eventID),
    );
    const steps = key.scenarios[0]?.steps.filter((x) => x.cloudtrailVisible) ?? [];
    assert.ok(steps.length > 0);
    for (const step of steps)
      assert.ok(
        step.eventIds.some((id) => found.has(id)),
        `no finding on step ${step.id}`,
      );

    for (const bad of [
      [...args, "--out", "-"],
      ["scenario", "generate", "credential-misuse", "--out", "-", "--answer-key", join(dir, "k2.json")],
      [...args, "--out", join(dir, "G"), "--answer-key", join(dir, "k3.json")],
    ]) {
      const r = runCli(bad);
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, /--answer-key/);
      assert.equal(r.stdout, "");
    }
  });

  it("lists and shows the packs", () => {
    const list = runCli(["scenario", "list", "--json"]);
    assert.equal(list.status, 0, list.stderr);
    const packs = JSON.parse(list.stdout) as Array<{ name: string; steps: number }>;
    assert.ok(packs.length >= 12);
    const show = runCli(["scenario", "show", "ses-abuse"]);
    assert.equal(show.status, 0, show.stderr);
    assert.match(show.stdout, /branch region: home/);
    assert.match(show.stdout, /T1496\.A001/);
  });
});
