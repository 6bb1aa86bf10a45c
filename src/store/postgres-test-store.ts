// Throw-away PostgreSQL schemas for tests: each suite gets a store in a fresh schema of the test server
// (TECHTRAIL_TEST_DATABASE_URL, set by scripts/with-postgres.sh) and a cleanup that drops it again.
import pg from "pg";
import { openPostgresStore, type PostgresOptions } from "./postgres.js";
import type { SqlStore } from "./sql-store.js";

/** A schema name unique to this process and call, e.g. `tt_api_1234_k3j9x0`. */
export function testSchemaName(prefix: string): string {
  return `${prefix}_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
}

export async function dropSchemas(url: string, schemas: readonly string[]): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    for (const s of schemas) await c.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
  } finally {
    await c.end();
  }
}

/** Opens a store in a new schema; `cleanup` closes it and drops the schema. */
export async function openTestPostgresStore(
  url: string,
  prefix: string,
  opts: Omit<PostgresOptions, "schema"> = {},
): Promise<{ store: SqlStore; schema: string; cleanup: () => Promise<void> }> {
  const schema = testSchemaName(prefix);
  const store = await openPostgresStore(url, { ...opts, schema });
  return {
    store,
    schema,
    cleanup: async () => {
      await store.close();
      await dropSchemas(url, [schema]);
    },
  };
}
