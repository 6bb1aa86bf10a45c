// End to end: the `techtrail incident`, `demo seed` and `scan --create-incident` commands on the built-in
// catalog, run as a user would (child processes, exit codes, stdout JSON). Uses the Stratus Red Team
// detonation logs from ../shared/data/stratus-detonation-logs (Apache-2.0).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { BIN } from "./cli-helper.js";
import { sharedPath, skipUnlessShared } from "./shared.js";

const STRATUS = sharedPath("data/stratus-detonation-logs/raw");

describe("techtrail incident (end to end)", () => {
  let dir: string;
  let db: string;
  const cli = (args: string[], input?: string) => {
    const r = spawnSync(process.execPath, [BIN, ...args], {
      encoding: "utf8",
      input,
      env: { ...process.env, TECHTRAIL_DB: db, TECHTRAIL_ACTOR: "e2e", TECHTRAIL_DATABASE_URL: "" },
    });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };
  const json = (args: string[]) => {
    const r = cli([...args, "--json"]);
    assert.equal(r.code, 0, r.err);
    return JSON.parse(r.out);
  };
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "techtrail-e2e-"));
    db = join(dir, "register.db");
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test("demo seed then incident list --json shows the register", () => {
    const seeded = json(["demo", "seed", "--incidents", "120", "--seed", "3"]);
    assert.equal(seeded.created, 120);
    const page = json(["incident", "list", "--limit", "500"]);
    assert.equal(page.total, 120);
    assert.ok(page.items.every((i: { isDemo: boolean }) => i.isDemo));
    const again = cli(["demo", "seed"]);
    assert.equal(again.code, 4, "CONFLICT exit code");
    assert.match(again.err, /--replace/);
    const same = cli(["demo", "seed", "--incidents", "120", "--seed", "3"]);
    assert.equal(same.code, 0, "the same demo set again is a no-op");
    assert.match(same.out, /already in .*nothing to do/);
    const impact = json(["incident", "list", "--tactic", "impact", "--status", "closed", "-n", "5"]);
    assert.ok(impact.total > 0 && impact.total < 120);
  });

  test("add, tag, edit, close, history with the audit actor", () => {
    const added = json([
      "incident",
      "add",
      "--title",
      "Access key on GitHub",
      "--severity",
      "p2",
      "--detected",
      "2026-06-01T08:00:00Z",
      "--account",
      "123456789012",
      "--technique",
      "T1078.A001:confirmed",
      "--threat-actor",
      "ember wasp",
    ]);
    assert.match(added.key, /^IR-2026-\d{4}$/);
    assert.equal(added.threatActor, "Ember Wasp");
    const key = added.key as string;
    const phrase = cli(["incident", "tag", key, "crypto mining"]);
    assert.equal(phrase.code, 2);
    assert.match(phrase.err, /is not a technique ID/);
    assert.match(phrase.err, /T1496/);
    assert.equal(json(["incident", "tag", key, "T1496.A008", "--confidence", "likely"]).techniques.length, 2);
    const bad = cli(["incident", "edit", key, "--set", "contained=2026-05-01"]);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /timeline\.contained/);
    assert.equal(json(["incident", "edit", key, "--add", "tags=prod", "--actor", "alice"]).changed, true);
    assert.equal(json(["incident", "close", key, "--at", "2026-06-03", "--lessons", "rotate keys"]).status, "closed");
    const history = json(["incident", "history", key]);
    assert.deepEqual(
      history.map((h: { action: string; actor: string }) => `${h.action}:${h.actor}`),
      ["create:e2e", "tag:e2e", "update:alice", "close:e2e"],
    );
    assert.equal(cli(["incident", "show", "IR-1999-0001"]).code, 3);
    assert.equal(cli(["incident", "delete", key]).code, 2, "needs --yes off a terminal");
  });

  test("add --initial-access-technique/--credential-type: stored, shown, and refused when wrong", () => {
    const added = json([
      "incident",
      "add",
      "--title",
      "Root password phished",
      "--detected",
      "2026-06-02T08:00:00Z",
      "--technique",
      "T1078.A002:confirmed",
      "--initial-access",
      "compromised-console-credentials",
      "--initial-access-technique",
      "t1078.a002",
      "--credential-type",
      "root-password",
    ]);
    assert.equal(added.initialAccessTechnique, "T1078.A002");
    assert.equal(added.credentialType, "root-password");
    const shown = cli(["incident", "show", added.key]);
    assert.equal(shown.code, 0, shown.err);
    assert.match(
      shown.out,
      /initial access: compromised-console-credentials, technique T1078\.A002, credential root-password/,
    );
    const untagged = cli([
      "incident",
      "add",
      "--title",
      "x",
      "--technique",
      "T1078.A001",
      "--initial-access-technique",
      "T1078.A002",
    ]);
    assert.equal(untagged.code, 2);
    assert.match(untagged.err, /initialAccessTechnique.*not among the incident's techniques/);
    const badType = cli(["incident", "add", "--title", "x", "--credential-type", "root-token"]);
    assert.equal(badType.code, 2);
    assert.match(badType.err, /credentialType/);
  });

  test("export → import round-trips exactly (CSV and JSON); a bad file imports nothing", () => {
    const csv = join(dir, "all.csv");
    const js = join(dir, "all.json");
    assert.equal(cli(["incident", "export", "--format", "csv", "--out", csv]).code, 0);
    assert.equal(cli(["incident", "export", "--out", js]).code, 0);
    for (const file of [csv, js]) {
      const other = join(dir, `copy-${file.endsWith("csv") ? "csv" : "json"}.db`);
      const r = spawnSync(process.execPath, [BIN, "incident", "import", file, "--db", other], {
        encoding: "utf8",
      });
      assert.equal(r.status, 0, r.stderr);
      const back = spawnSync(
        process.execPath,
        [BIN, "incident", "export", "--db", other, "--format", file.endsWith("csv") ? "csv" : "json"],
        { encoding: "utf8" },
      );
      assert.equal(back.stdout, readFileSync(file, "utf8"));
    }
    const before = json(["incident", "list"]).total;
    const broken = join(dir, "broken.csv");
    writeFileSync(broken, "title,accounts,detected,contained\nok,123456789012,,\nbad,12,2026-01-02,2026-01-01\n");
    const r = cli(["incident", "import", broken]);
    assert.equal(r.code, 2);
    assert.match(r.err, /broken\.csv:3:2 \[accounts\.0\]/);
    assert.match(r.err, /broken\.csv:3:4 \[timeline\.contained\]/);
    assert.equal(json(["incident", "list"]).total, before);
    const fresh = join(dir, "fresh.csv");
    writeFileSync(fresh, "Name,Priority\nNew from sheet,High\n");
    const dry = json(["incident", "import", fresh, "--dry-run", "--map", "Name=title"]);
    assert.equal(dry.dryRun, true);
    assert.equal(dry.created, 1);
    assert.equal(json(["incident", "list"]).total, before);
    const clash = cli(["incident", "import", csv, "--dry-run"]);
    assert.equal(clash.code, 4, "a dry run reports duplicate keys as a conflict");
    assert.match(clash.err, /already exists in the register/);
  });

  test("a Stratus log becomes a draft incident with evidence in one command", {
    skip: skipUnlessShared("data/stratus-detonation-logs/raw"),
  }, () => {
    const file = join(STRATUS, "aws.credential-access.ec2-get-password-data.json");
    const r = cli([
      "scan",
      file,
      "--create-incident",
      "--title",
      "GetPasswordData spree",
      "--quiet",
      "--format",
      "json",
    ]);
    assert.equal(r.code, 1, "scan exits 1 when there are findings");
    const key = /draft incident (IR-\d{4}-\d{4})/.exec(r.err)?.[1];
    assert.ok(key, r.err);
    const incident = json(["incident", "show", key]);
    assert.equal(incident.title, "GetPasswordData spree");
    assert.ok(incident.tags.includes("draft"));
    const withFindings = incident.techniques.filter((t: { findings: unknown[] }) => t.findings.length > 0);
    assert.ok(withFindings.length > 0);
    const f = withFindings[0].findings[0];
    assert.ok(f.ruleId && f.eventID && f.eventTime && f.eventName);
    assert.ok(
      withFindings.some((t: { findings: Array<{ eventName: string }> }) =>
        t.findings.some((x) => x.eventName === "GetPasswordData"),
      ),
    );
  });
});
