// End to end: a team's own ticket IDs as incident keys (`incident key-pattern`) and `incident import --upsert`
// updating incidents by key, run as a user would (child processes, exit codes, stdout JSON, the audit trail).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { BIN } from "./cli-helper.js";

describe("techtrail incident: team keys and import --upsert (end to end)", () => {
  let dir: string;
  let db: string;
  const cli = (args: string[]) => {
    const r = spawnSync(process.execPath, [BIN, ...args], {
      encoding: "utf8",
      env: { ...process.env, TECHTRAIL_DB: db, TECHTRAIL_ACTOR: "e2e", TECHTRAIL_DATABASE_URL: "" },
    });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };
  const json = (args: string[]) => {
    const r = cli([...args, "--json"]);
    assert.equal(r.code, 0, r.err);
    return JSON.parse(r.out);
  };
  const sheet = (name: string, rows: string[][]) => {
    const file = join(dir, name);
    writeFileSync(file, `${rows.map((r) => r.join(",")).join("\n")}\n`);
    return file;
  };
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "techtrail-keys-"));
    db = join(dir, "register.db");
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test("ticket IDs are refused, naming the file, line, column and the expected pattern, until configured", () => {
    const file = sheet("tickets.csv", [
      ["Ticket", "Title", "Detected", "TTPs"],
      ["SEC-1001", "Key on GitHub", "2026-05-02 10:00", "T1078.A001:confirmed"],
      ["SEC-1002", "Mining in eu-west-1", "2026-05-03 11:00", "T1496.A008"],
    ]);
    const refused = cli(["incident", "import", file, "--map", "Ticket=key"]);
    assert.equal(refused.code, 2, refused.err);
    assert.match(refused.err, /tickets\.csv:2:1 \[key\]: key SEC-1001 does not match .*IR-YYYY-NNNN/);
    assert.match(refused.err, /tickets\.csv:3:1 \[key\]/);
    assert.deepEqual(json(["incident", "key-pattern"]), { keyPattern: null });
    const badPattern = cli(["incident", "key-pattern", "SEC-(\\d+"]);
    assert.equal(badPattern.code, 2);
    assert.match(badPattern.err, /keyPattern.*not a regular expression/);
    assert.deepEqual(json(["incident", "key-pattern", "SEC-\\d{4,}"]), { keyPattern: "SEC-\\d{4,}" });
    assert.match(cli(["incident", "key-pattern"]).out, /IR-YYYY-NNNN or SEC-\\d\{4,\}/);
    const r = json(["incident", "import", file, "--map", "Ticket=key"]);
    assert.deepEqual(r.keys, ["SEC-1001", "SEC-1002"]);
    assert.equal(json(["incident", "show", "sec-1001"]).title, "Key on GitHub");
    // A key the pattern does not accept names the expected pattern; nothing of the file is imported.
    const mixed = sheet("mixed.csv", [
      ["key", "title"],
      ["SEC-2001", "fine"],
      ["OPS-7", "not a SEC ticket"],
    ]);
    const no = cli(["incident", "import", mixed]);
    assert.equal(no.code, 2);
    assert.match(
      no.err,
      /mixed\.csv:3:1 \[key\]: key OPS-7 does not match the register's key pattern: expected a key matching SEC-\\d\{4,\}/,
    );
    assert.equal(cli(["incident", "show", "SEC-2001"]).code, 3);
  });

  test("import --upsert updates existing keys (only the columns given), audits each change, creates the rest", () => {
    const file = sheet("update.csv", [
      ["Ticket", "Title", "Contained", "Priority"],
      ["SEC-1001", "Key on GitHub (rotated)", "2026-05-02 12:00", ""],
      ["SEC-1002", "Mining in eu-west-1", "", "critical"],
      ["SEC-1003", "New ticket", "", "high"],
    ]);
    const plain = cli(["incident", "import", file, "--map", "Ticket=key"]);
    assert.equal(plain.code, 4, "without --upsert an existing key is a conflict");
    assert.match(plain.err, /update\.csv:2 \[key\]: record 1: incident SEC-1001 already exists.*--upsert/);
    const dry = json(["incident", "import", file, "--map", "Ticket=key", "--upsert", "--dry-run"]);
    assert.deepEqual([dry.keys, dry.updatedKeys, dry.unchanged], [["SEC-1003"], ["SEC-1001", "SEC-1002"], 0]);
    assert.equal(json(["incident", "show", "SEC-1001"]).title, "Key on GitHub", "the dry run wrote nothing");
    const r = cli(["incident", "import", file, "--map", "Ticket=key", "--upsert"]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /imported 1 incident\(s\) \(SEC-1003\), 2 updated \(SEC-1001, SEC-1002\), 0 unchanged/);
    const one = json(["incident", "show", "SEC-1001"]);
    assert.equal(one.title, "Key on GitHub (rotated)");
    assert.equal(one.timeline.contained, "2026-05-02T12:00:00Z");
    assert.equal(one.timeline.detected, "2026-05-02T10:00:00Z", "a column the sheet lacks is kept");
    assert.deepEqual(
      one.techniques.map((t: { id: string }) => t.id),
      ["T1078.A001"],
    );
    assert.equal(json(["incident", "show", "SEC-1002"]).severity, "P1");
    const history = json(["incident", "history", "SEC-1001"]);
    assert.deepEqual(
      history.map((e: { action: string }) => e.action),
      ["import", "update"],
    );
    assert.equal(history[1].note, `import --upsert from ${file}: changed title, timeline`);
    assert.match(cli(["incident", "history", "SEC-1001"]).out, /update .*title, timeline/);
    // The same file again changes nothing and writes no audit row.
    const again = json(["incident", "import", file, "--map", "Ticket=key", "--upsert"]);
    assert.deepEqual([again.created, again.updated, again.unchanged], [0, 0, 3]);
    assert.equal(json(["incident", "history", "SEC-1001"]).length, 2);
  });

  test("an upsert that would break an incident's timeline names the line and imports nothing", () => {
    const file = sheet("broken.csv", [
      ["key", "title", "contained"],
      ["SEC-1004", "would be new", ""],
      ["SEC-1002", "Mining in eu-west-1", "2026-01-01"],
    ]);
    const r = cli(["incident", "import", file, "--upsert"]);
    assert.equal(r.code, 2, r.err);
    assert.match(
      r.err,
      /broken\.csv:3 \[timeline\.contained\]: record 2: SEC-1002 after the update: contained .* is before/,
    );
    assert.equal(cli(["incident", "show", "SEC-1004"]).code, 3);
  });
});
