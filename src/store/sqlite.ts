// SQLite adapter (better-sqlite3): the embedded default store. WAL so readers never block the writer,
// foreign keys on, a busy timeout so concurrent processes wait for the write lock instead of failing,
// migrations applied on open (see migrations.ts).
import { closeSync, existsSync, mkdirSync, openSync } from "node:fs";
import { dirname, resolve } from "node:path";
import Database from "better-sqlite3";
import { TechtrailError } from "../core/errors.js";
import { applyMigrations } from "./migrations.js";
import { Mutex, type Row, type SqlDb, type SqlValue } from "./sql.js";
import { SQLITE_CACHE_KIB, SqlStore } from "./sql-store.js";

export type Statement = Database.Statement<unknown[], unknown>;

const toParam = (v: SqlValue | undefined): unknown => (typeof v === "boolean" ? (v ? 1 : 0) : (v ?? null));

/** Lock timeouts and constraint violations become CONFLICT errors a person can act on. */
function sqliteError(e: unknown): unknown {
  const code = (e as { code?: string }).code ?? "";
  if (code === "SQLITE_BUSY" || code === "SQLITE_LOCKED")
    return new TechtrailError(
      "CONFLICT",
      "the SQLite store is busy (another process holds the write lock); try again",
      {
        cause: e,
      },
    );
  if (code.startsWith("SQLITE_CONSTRAINT"))
    return new TechtrailError("CONFLICT", `the change conflicts with stored data: ${(e as Error).message}`, {
      cause: e,
    });
  return e;
}

export class SqliteDb implements SqlDb {
  readonly dialect = "sqlite" as const;

  /** `inTransaction` handles are given to transaction callbacks: they already hold the lock. */
  constructor(
    readonly db: Database.Database,
    private readonly statements: Map<string, Statement> = new Map(),
    private readonly lock = new Mutex(),
    private readonly inTransaction = false,
  ) {}

  private prepare(sql: string): Statement {
    let s = this.statements.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.statements.set(sql, s);
    }
    return s;
  }

  private guard<T>(fn: () => T): Promise<T> {
    // Inside a transaction the caller already holds the lock; elsewhere wait for it.
    if (this.inTransaction) return Promise.resolve().then(fn);
    return this.lock.run(async () => fn());
  }

  query<T extends Row = Row>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    return this.guard(() => {
      const s = this.prepare(sql);
      const args = params.map(toParam);
      if (s.reader) return s.all(...args) as T[];
      s.run(...args);
      return [];
    });
  }

  run(sql: string, params: readonly SqlValue[] = []): Promise<number> {
    return this.guard(() => this.prepare(sql).run(...params.map(toParam)).changes);
  }

  insertMany(table: string, columns: readonly string[], rows: ReadonlyArray<readonly SqlValue[]>): Promise<void> {
    return this.guard(() => {
      const s = this.prepare(
        `INSERT INTO ${table} (${columns.join(", ")}) VALUES (${columns.map(() => "?").join(", ")})`,
      );
      for (const r of rows) s.run(...r.map(toParam));
    });
  }

  transaction<T>(fn: (tx: SqlDb) => Promise<T>): Promise<T> {
    if (this.inTransaction) return fn(this);
    return this.lock.run(async () => {
      try {
        this.db.exec("BEGIN IMMEDIATE");
      } catch (e) {
        throw sqliteError(e);
      }
      try {
        const result = await fn(new SqliteDb(this.db, this.statements, this.lock, true));
        this.db.exec("COMMIT");
        return result;
      } catch (e) {
        if (this.db.inTransaction) this.db.exec("ROLLBACK");
        throw sqliteError(e);
      }
    });
  }

  async close(): Promise<void> {
    await this.lock.run(async () => {
      if (this.db.open) this.db.close();
    });
  }
}

export interface SqliteOptions {
  /** Milliseconds to wait for another process's write lock (default 15 s). */
  busyTimeoutMs?: number;
}

/** Opens (creating if needed) a SQLite incident store at `file`. */
export async function openSqliteStore(file: string, opts: SqliteOptions = {}): Promise<SqlStore> {
  const path = file === ":memory:" ? file : resolve(file);
  let db: Database.Database;
  try {
    if (path !== ":memory:") {
      mkdirSync(dirname(path), { recursive: true });
      // The file holds password hashes and session/token hashes: a new one is readable by its owner only
      // (SQLite gives the -wal and -shm files the mode of the database file).
      if (!existsSync(path)) closeSync(openSync(path, "a", 0o600));
    }
    db = new Database(path, { timeout: opts.busyTimeoutMs ?? 15_000 });
    // 8 KiB pages hold several ~2 KB incident documents and audit snapshots each (4 KiB pages waste about
    // half their space on them). Only takes effect on a new, empty database.
    db.pragma("page_size = 8192");
    db.pragma("journal_mode = WAL");
    db.pragma("foreign_keys = ON");
    // NORMAL is durable across process crashes in WAL mode; only an OS crash may drop the last commits.
    db.pragma("synchronous = NORMAL");
    // 64 MiB page cache: big imports update several indexes at once.
    db.pragma(`cache_size = ${SQLITE_CACHE_KIB}`);
  } catch (e) {
    throw new TechtrailError("IO", `cannot open SQLite database ${path}: ${(e as Error).message}`, { cause: e });
  }
  const sql = new SqliteDb(db);
  try {
    await applyMigrations(sql);
  } catch (e) {
    await sql.close();
    throw e;
  }
  return new SqlStore(sql, path);
}
