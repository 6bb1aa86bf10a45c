// PostgreSQL adapter (pg): the store for teams, chosen by TECHTRAIL_DATABASE_URL=postgres://...
// Same schema and logic as SQLite (sql-store.ts); transactions run on one pooled client.

import pg from "pg";
import { TechtrailError } from "../core/errors.js";
import { applyMigrations, currentVersion } from "./migrations.js";
import { redactMessage, redactUrl } from "./redact.js";
import { chunk, type Row, type SqlDb, type SqlValue } from "./sql.js";
import { SqlStore } from "./sql-store.js";

/** `?` → `$1, $2, ...` (statements never contain a literal question mark). */
function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

const toParam = (v: SqlValue | undefined): unknown => (typeof v === "bigint" ? v.toString() : (v ?? null));

type Queryable = pg.Pool | pg.PoolClient;

/** Unique violations, deadlocks and serialisation failures become CONFLICT errors. */
function pgError(e: unknown): unknown {
  const code = (e as { code?: string }).code;
  if (code === "23505")
    return new TechtrailError("CONFLICT", `the change conflicts with stored data: ${(e as Error).message}`, {
      cause: e,
    });
  if (code === "40P01" || code === "40001")
    return new TechtrailError("CONFLICT", "a concurrent change got in the way; try again", { cause: e });
  return e;
}

export class PgDb implements SqlDb {
  readonly dialect = "postgres" as const;

  constructor(
    private readonly pool: pg.Pool,
    private readonly client?: pg.PoolClient,
  ) {}

  private get q(): Queryable {
    return this.client ?? this.pool;
  }

  async query<T extends Row = Row>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    const res = await this.q.query(numbered(sql), params.map(toParam));
    return res.rows as T[];
  }

  async run(sql: string, params: readonly SqlValue[] = []): Promise<number> {
    const res = await this.q.query(numbered(sql), params.map(toParam));
    return res.rowCount ?? 0;
  }

  async insertMany(table: string, columns: readonly string[], rows: ReadonlyArray<readonly SqlValue[]>): Promise<void> {
    // PostgreSQL allows 65535 parameters per statement.
    const perStatement = Math.max(1, Math.min(1000, Math.floor(60_000 / columns.length)));
    for (const part of chunk(rows, perStatement)) {
      const params: unknown[] = [];
      const values = part.map((r) => {
        const ph = r.map((v) => {
          params.push(toParam(v));
          return `$${params.length}`;
        });
        return `(${ph.join(", ")})`;
      });
      await this.q.query(`INSERT INTO ${table} (${columns.join(", ")}) VALUES ${values.join(", ")}`, params);
    }
  }

  async transaction<T>(fn: (tx: SqlDb) => Promise<T>): Promise<T> {
    if (this.client) return fn(this);
    const client = await this.pool.connect();
    try {
      await client.query("BEGIN");
      const result = await fn(new PgDb(this.pool, client));
      await client.query("COMMIT");
      return result;
    } catch (e) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw pgError(e);
    } finally {
      client.release();
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

export interface PostgresOptions {
  /** Schema to use instead of `public` (created when missing); tests use one schema each. */
  schema?: string;
  maxConnections?: number;
  /**
   * Refuse a database that holds no techtrail register (no techtrail tables in the schema): commands that only
   * read would otherwise migrate an empty schema and report on it. The schema is then neither created nor
   * migrated from nothing (an existing register is still brought up to date).
   */
  mustExist?: boolean;
}

/** Where a postgres:// URL points, for messages: `database "ir" on db.example:5432`. Never the password. */
export function pgLocation(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return redactUrl(url);
  }
  const db = decodeURIComponent(u.pathname.replace(/^\//, ""));
  const host = u.hostname
    ? `${decodeURIComponent(u.hostname)}${u.port ? `:${u.port}` : ""}`
    : u.searchParams.get("host");
  return `${db ? `database "${db}"` : "the default database"} on ${host || "the default host"}`;
}

/** PostgreSQL's "database does not exist" (SQLSTATE 3D000). */
const isMissingDatabase = (e: unknown) => (e as { code?: string }).code === "3D000";

/** Opens a PostgreSQL incident store, applying migrations. */
export async function openPostgresStore(url: string, opts: PostgresOptions = {}): Promise<SqlStore> {
  if (opts.schema !== undefined && !/^[a-z_][a-z0-9_]*$/.test(opts.schema))
    throw new TechtrailError("VALIDATION", `invalid PostgreSQL schema name ${opts.schema}`);
  const config: pg.PoolConfig = { connectionString: url, max: opts.maxConnections ?? 5 };
  if (opts.schema) config.options = `-c search_path=${opts.schema}`;
  const pool = new pg.Pool(config);
  // An idle client losing its connection must not crash the process; the next query reports it.
  pool.on("error", () => undefined);
  const db = new PgDb(pool);
  try {
    if (opts.schema && !opts.mustExist) await db.run(`CREATE SCHEMA IF NOT EXISTS ${opts.schema}`);
    if (opts.mustExist && (await currentVersion(db)) === 0) throw await noRegister(db, url);
    await applyMigrations(db);
  } catch (e) {
    await pool.end().catch(() => undefined);
    if (e instanceof TechtrailError) throw e;
    if (isMissingDatabase(e))
      throw new TechtrailError(
        "NOT_FOUND",
        `PostgreSQL ${pgLocation(url)} does not exist; create it (createdb, or CREATE DATABASE as an administrator)`,
        {
          cause: e,
          details: { reason: "no-database" },
          problems: [{ source: redactUrl(url), message: "the database does not exist" }],
        },
      );
    const why = redactMessage((e as Error).message, url);
    throw new TechtrailError("IO", `cannot open PostgreSQL store ${redactUrl(url)}: ${why}`, {
      cause: e,
    });
  }
  return new SqlStore(db, redactUrl(url));
}

/** The error for a reachable database without a register, naming the schema techtrail looked in. */
async function noRegister(db: PgDb, url: string): Promise<TechtrailError> {
  const [row] = await db.query<{ schema: string | null; path: string }>(
    "SELECT current_schema() AS schema, current_setting('search_path') AS path",
  );
  const where = row?.schema ? `schema "${row.schema}"` : `search_path ${row?.path ?? "?"} (no such schema)`;
  return new TechtrailError(
    "NOT_FOUND",
    `no incident register in PostgreSQL ${pgLocation(url)}, ${where}: it has no techtrail tables (never migrated)`,
    {
      details: { reason: "no-register" },
      problems: [{ source: redactUrl(url), message: `no techtrail tables in ${where}` }],
    },
  );
}
