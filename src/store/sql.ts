// The small SQL surface both adapters provide (SQLite through better-sqlite3, PostgreSQL through pg),
// so the incident store logic in sql-store.ts is written once. Statements use `?` placeholders;
// the PostgreSQL driver rewrites them to `$n`.

export type Dialect = "sqlite" | "postgres";
export type SqlValue = string | number | boolean | null | bigint;
export type Row = Record<string, unknown>;

export interface SqlDb {
  readonly dialect: Dialect;
  /** Runs a statement and returns its rows (empty for statements without RETURNING). */
  query<T extends Row = Row>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  /** Runs a statement and returns the number of affected rows. */
  run(sql: string, params?: readonly SqlValue[]): Promise<number>;
  /** Inserts many rows fast (prepared statement loop in SQLite, multi-row VALUES in PostgreSQL). */
  insertMany(table: string, columns: readonly string[], rows: ReadonlyArray<readonly SqlValue[]>): Promise<void>;
  /**
   * Runs fn in one write transaction and commits, or rolls back when it throws. SQLite takes the write lock
   * up front (BEGIN IMMEDIATE) so concurrent processes queue instead of failing half-way.
   */
  transaction<T>(fn: (tx: SqlDb) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** Serialises async work on one connection (SQLite has one connection per process). */
export class Mutex {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.tail.then(fn, fn);
    this.tail = next.catch(() => undefined);
    return next;
  }
}

/** Splits rows into chunks so one statement stays under a parameter limit. */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
