// End-to-end: `techtrail stats ...` on a store seeded through the Store API (hand-made fixture with known
// answers), JSON and text output, filters, an empty store and bad options.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { analyticsFixture } from "../src/analytics/test-helpers.js";
import { loadBuiltinCatalog } from "../src/catalog/load.js";
import { openSqliteStore } from "../src/store/sqlite.js";
import { runCli, runCliJson } from "./cli-helper.js";

let dir: string;
let db: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "techtrail-stats-"));
  db = join(dir, "incidents.db");
  const store = await openSqliteStore(db);
  await store.importMany(analyticsFixture(loadBuiltinCatalog().meta.version), { actor: "test" });
  await store.close();
});
after(() => rmSync(dir, { recursive: true, force: true }));

test("stats frequency --json with filters", () => {
  const all = runCliJson<{ scope: { incidents: number }; techniques: Array<{ id: string; incidents: number }> }>([
    "stats",
    "frequency",
    "--db",
    db,
    "--json",
  ]);
  assert.equal(all.scope.incidents, 5);
  assert.deepEqual(all.techniques[0], { ...all.techniques[0], id: "T1078.A001", incidents: 4 });
  const q3 = runCliJson<{ scope: { incidents: number } }>([
    "stats",
    "frequency",
    "--db",
    db,
    "--quarter",
    "2026Q3",
    "--severity",
    "p1,p2",
    "--json",
  ]);
  assert.equal(q3.scope.incidents, 3);
  const to = runCliJson<{ scope: { incidents: number } }>([
    "stats",
    "frequency",
    "--db",
    db,
    "--to",
    "2026-08-10",
    "--json",
  ]);
  assert.equal(to.scope.incidents, 3, "a bare --to date includes that day (IR-2026-0002 detected 2026-08-10T10:00Z)");
});

test("every stats subcommand answers in text and JSON", () => {
  for (const sub of ["frequency", "trend", "cooccurrence", "paths", "actors", "timing", "mitigations"]) {
    const r = runCli(["stats", sub, "--db", db]);
    assert.equal(r.status, 0, `${sub}: ${r.stderr}`);
    assert.match(r.stdout, /5 incident\(s\)|trend to 2026Q3/);
    if (["trend", "actors", "mitigations"].includes(sub)) {
      const j = runCliJson<{ scope: { incidents: number } }>(["stats", sub, "--db", db, "--json"]);
      assert.ok(j.scope.incidents > 0, sub);
    }
  }
  const trend = runCli(["stats", "trend", "--db", db, "--quarter", "2026Q3", "--quarters", "2"]);
  assert.match(trend.stdout, /new in 2026Q3: T1486\.A001, T1496\.A008, T1619\.A001/);
  const actor = runCli(["stats", "actors", "--db", db, "--incident", "IR-2026-0002"]);
  assert.match(actor.stdout, /looks most like Glass Heron/);
  const timing = runCli(["stats", "timing", "--db", db]);
  assert.match(timing.stdout, /detect median 6\.0 h/);
});

test("an empty period and an empty store say so; a missing store is an error, not a new empty one", async () => {
  const r = runCli(["stats", "cooccurrence", "--db", db, "--from", "2030-01-01"]);
  assert.equal(r.status, 0);
  assert.match(r.stdout, /note: no incidents between 2030-01-01/);
  assert.doesNotMatch(r.stdout, /NaN/);
  const emptyDb = join(dir, "empty.db");
  await (await openSqliteStore(emptyDb)).close();
  const empty = runCli(["stats", "timing", "--db", emptyDb]);
  assert.equal(empty.status, 0);
  assert.match(empty.stdout, /the incident store is empty/);
  // a typo in --db, or a command run in the wrong folder: say where techtrail looked, create nothing
  const missing = join(dir, "typo.db");
  for (const args of [
    ["stats", "timing", "--db", missing],
    ["report", "--db", missing],
    ["incident", "list", "--db", missing],
  ]) {
    const m = runCli(args);
    assert.equal(m.status, 3, `${args.join(" ")}: ${m.stderr}`);
    assert.match(m.stderr, new RegExp(`no incident register at ${missing.replace(/[.]/g, "\\.")} \\(from --db\\)`));
    assert.equal(existsSync(missing), false, `${args.join(" ")} created ${missing}`);
  }
  const cwd = mkdtempSync(join(tmpdir(), "techtrail-nodb-"));
  const none = runCli(["report"], { cwd, env: { TECHTRAIL_DB: "", TECHTRAIL_DATABASE_URL: "" } });
  assert.equal(none.status, 3);
  assert.match(none.stderr, /no incident register at .*techtrail\.db \(from the default \.\/techtrail\.db in /);
  assert.match(none.stderr, /demo seed/);
  assert.equal(existsSync(join(cwd, "techtrail.db")), false);
  rmSync(cwd, { recursive: true, force: true });
});

test("bad options give a clear message and exit code 2", () => {
  const sev = runCli(["stats", "frequency", "--db", db, "--severity", "P9"]);
  assert.equal(sev.status, 2);
  assert.match(sev.stderr, /--severity/);
  assert.doesNotMatch(sev.stderr, /\n\s+at /);
  const q = runCli(["stats", "paths", "--db", db, "--quarter", "2026Q7"]);
  assert.equal(q.status, 2);
  assert.match(q.stderr, /2026Q7/);
  const lim = runCli(["stats", "frequency", "--db", db, "--limit", "x"]);
  assert.equal(lim.status, 2);
  assert.match(lim.stderr, /--limit must be a positive integer/);
  const date = runCli(["stats", "frequency", "--db", db, "--from", "yesterday"]);
  assert.equal(date.status, 2);
  assert.match(date.stderr, /--from.*yesterday|yesterday/);
});
