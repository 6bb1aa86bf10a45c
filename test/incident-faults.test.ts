// Faults of the incident store: a process killed in the middle of an import leaves the store exactly as
// before; two processes writing at once lose nothing and corrupt nothing (SQLite always, PostgreSQL when
// TECHTRAIL_TEST_DATABASE_URL is set, as in .ci/run).
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import Database from "better-sqlite3";
import { loadBuiltinCatalog } from "../src/catalog/load.js";
import { generateDemoIncidents } from "../src/incidents/demo.js";
import { sampleIncident } from "../src/store/contract.js";
import { openPostgresStore } from "../src/store/postgres.js";
import { dropSchemas } from "../src/store/postgres-test-store.js";
import type { SqlStore } from "../src/store/sql-store.js";
import { openSqliteStore } from "../src/store/sqlite.js";
import { BIN } from "./cli-helper.js";

const WRITER = join(process.cwd(), "test", "helpers", "store-writer.ts");

function run(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; signal: string | null }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", ...args], {
      stdio: ["ignore", "ignore", "pipe"],
      env: { ...process.env, ...env },
    });
    let err = "";
    child.stderr.on("data", (d) => {
      err += String(d);
    });
    child.on("exit", (code, signal) => {
      if (code !== 0 && signal === null) process.stderr.write(err);
      resolve({ code, signal });
    });
  });
}

describe("store faults", () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "techtrail-faults-"));
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  test("sqlite: SIGKILL in the middle of an import leaves the store exactly as before", async () => {
    const db = join(dir, "kill.db");
    const store = await openSqliteStore(db);
    for (let i = 0; i < 3; i++) await store.create(sampleIncident({ title: `before ${i}` }), { actor: "t" });
    const before = await store.exportAll();
    const historyBefore = await store.history("IR-2026-0001");
    await store.close();

    // A file big enough that the import takes several seconds.
    const big = join(dir, "big.json");
    const incidents = generateDemoIncidents(loadBuiltinCatalog(), { incidents: 25_000, seed: 9 });
    writeFileSync(big, JSON.stringify({ format: "techtrail-incidents/1", incidents }));

    const child = spawn(process.execPath, [BIN, "incident", "import", big, "--db", db], {
      stdio: "ignore",
    });
    const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
      child.on("exit", (code, signal) => resolve({ code, signal })),
    );
    // Kill while the import's write transaction is open: a probe connection that cannot take the write
    // lock (BEGIN IMMEDIATE fails at once) proves the child holds it; give it time to write batches first.
    const probe = new Database(db, { timeout: 0 });
    let killedMidway = false;
    for (let waited = 0; waited < 180_000 && child.exitCode === null; waited += 20) {
      let locked = false;
      try {
        probe.exec("BEGIN IMMEDIATE");
        probe.exec("ROLLBACK");
      } catch {
        locked = true;
      }
      if (locked) {
        await new Promise((r) => setTimeout(r, 1200));
        killedMidway = child.exitCode === null && child.kill("SIGKILL");
        break;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    probe.close();
    const { signal } = await exited;
    assert.ok(killedMidway, "the import was still running when it was killed");
    assert.equal(signal, "SIGKILL");

    const check = new Database(db);
    assert.equal(check.pragma("integrity_check", { simple: true }), "ok");
    check.close();
    const reopened = await openSqliteStore(db);
    try {
      assert.deepEqual(await reopened.exportAll(), before);
      assert.equal(await reopened.count(), 3);
      assert.deepEqual(await reopened.history("IR-2026-0001"), historyBefore);
      const rows = await reopened.db.query<{ n: number }>("SELECT COUNT(*) AS n FROM audit_log");
      assert.equal(Number(rows[0]?.n), 3);
      // And the store keeps working: the next key follows the last committed one.
      assert.equal((await reopened.create(sampleIncident(), { actor: "t" })).key, "IR-2026-0004");
    } finally {
      await reopened.close();
    }
  });

  async function concurrentWriters(target: string, store: SqlStore, schema?: string): Promise<void> {
    await store.create(sampleIncident({ key: "IR-2020-0001", title: "shared", tags: [] }), { actor: "t" });
    const n = 25;
    const results = await Promise.all(
      ["a", "b"].map((w) => run([WRITER, target, w, String(n), ...(schema ? [schema] : [])])),
    );
    assert.deepEqual(
      results.map((r) => r.code),
      [0, 0],
    );
    assert.equal(await store.count(), 1 + 2 * n);
    const keys = (await store.exportAll()).map((i) => i.key);
    assert.equal(new Set(keys).size, keys.length);
    const shared = await store.require("IR-2020-0001");
    assert.equal(shared.tags.length, 2 * n, "no read-modify-write update was lost");
    for (const w of ["a", "b"]) for (let i = 0; i < n; i++) assert.ok(shared.tags.includes(`${w}-${i}`));
    const history = await store.history("IR-2020-0001");
    assert.equal(history.filter((h) => h.action === "update").length, 2 * n);
    const titles = (await store.list({ text: "incident", limit: 1000 })).items.map((i) => i.title);
    assert.equal(titles.length, 2 * n);
  }

  test("sqlite: two processes writing at once lose nothing and corrupt nothing", async () => {
    const db = join(dir, "concurrent.db");
    const store = await openSqliteStore(db);
    try {
      await concurrentWriters(db, store);
      const rows = await store.db.query<{ integrity_check: string }>("PRAGMA integrity_check");
      assert.equal(rows[0]?.integrity_check, "ok");
    } finally {
      await store.close();
    }
  });

  const url = process.env.TECHTRAIL_TEST_DATABASE_URL;
  test("postgres: two processes writing at once lose nothing and corrupt nothing", {
    skip: url ? false : "TECHTRAIL_TEST_DATABASE_URL is not set (scripts/with-postgres.sh sets it)",
  }, async () => {
    if (!url) return;
    const schema = `tt_faults_${process.pid}`;
    const store = await openPostgresStore(url, { schema });
    try {
      await concurrentWriters(url, store, schema);
    } finally {
      await store.close();
      await dropSchemas(url, [schema]);
    }
  });
});
