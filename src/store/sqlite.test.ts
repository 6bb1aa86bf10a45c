// Runs the store contract against SQLite files in a temp folder, plus SQLite-specific checks.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import Database from "better-sqlite3";
import { TechtrailError } from "../core/errors.js";
import { registerActorMigrationTest, registerStoreContract, sampleIncident } from "./contract.js";
import { MIGRATIONS, SCHEMA_VERSION } from "./migrations.js";
import { openSqliteStore, SqliteDb } from "./sqlite.js";

registerStoreContract("sqlite", async () => {
  const dir = mkdtempSync(join(tmpdir(), "techtrail-sqlite-"));
  const store = await openSqliteStore(join(dir, "register.db"));
  return {
    store,
    cleanup: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

test("sqlite: WAL, foreign keys and migrations are in place; reopening keeps data and schema version", async () => {
  const dir = mkdtempSync(join(tmpdir(), "techtrail-sqlite-"));
  try {
    const file = join(dir, "sub", "t.db");
    const s1 = await openSqliteStore(file);
    await s1.close();
    const s2 = await openSqliteStore(file);
    await s2.close();
    const db = new Database(file, { readonly: true });
    assert.equal(db.pragma("journal_mode", { simple: true }), "wal");
    const versions = db.prepare("SELECT version FROM schema_migrations").all() as Array<{ version: number }>;
    assert.deepEqual(
      versions.map((v) => v.version),
      MIGRATIONS.map((m) => m.version),
    );
    assert.equal(versions.at(-1)?.version, SCHEMA_VERSION);
    const fks = db.prepare("PRAGMA foreign_key_list(incident_techniques)").all();
    assert.equal(fks.length, 1);
    db.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("sqlite: a database from a newer techtrail is refused", async () => {
  const dir = mkdtempSync(join(tmpdir(), "techtrail-sqlite-"));
  try {
    const file = join(dir, "t.db");
    await (await openSqliteStore(file)).close();
    const db = new Database(file);
    db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', 'x')").run();
    db.close();
    await assert.rejects(openSqliteStore(file), /schema version 999/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("sqlite: a write lock held too long by another process is a CONFLICT asking to retry, not a crash", async () => {
  const dir = mkdtempSync(join(tmpdir(), "techtrail-sqlite-"));
  try {
    const file = join(dir, "busy.db");
    await (await openSqliteStore(file)).close();
    const other = new Database(file);
    other.exec("BEGIN IMMEDIATE");
    const store = await openSqliteStore(file, { busyTimeoutMs: 50 });
    try {
      await assert.rejects(
        store.create(sampleIncident(), { actor: "t" }),
        (e: unknown) => e instanceof TechtrailError && e.code === "CONFLICT" && /busy/.test(e.message),
      );
      other.exec("ROLLBACK");
      assert.equal((await store.create(sampleIncident(), { actor: "t" })).key, "IR-2026-0001");
    } finally {
      await store.close();
      other.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a new SQLite database file (and its WAL) is readable by its owner only (0600)", {
  skip: process.platform === "win32" ? "POSIX modes" : false,
}, async () => {
  const dir = mkdtempSync(join(tmpdir(), "techtrail-mode-"));
  try {
    const file = join(dir, "new.db");
    const store = await openSqliteStore(file);
    await store.create(sampleIncident(), { actor: "t" });
    assert.equal(statSync(file).mode & 0o777, 0o600);
    if (existsSync(`${file}-wal`)) assert.equal(statSync(`${file}-wal`).mode & 0o777, 0o600);
    await store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

registerActorMigrationTest("sqlite", async () => {
  const dir = mkdtempSync(join(tmpdir(), "techtrail-sqlite-"));
  const db = new SqliteDb(new Database(join(dir, "old.db")));
  return {
    db,
    cleanup: async () => {
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
