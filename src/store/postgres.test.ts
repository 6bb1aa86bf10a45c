// Runs the store contract against a real PostgreSQL when TECHTRAIL_TEST_DATABASE_URL is set
// (.ci/run starts one with scripts/with-postgres.sh); each fixture gets its own schema.
import assert from "node:assert/strict";
import { test } from "node:test";
import pg from "pg";
import { TechtrailError } from "../core/errors.js";
import { registerActorMigrationTest, registerStoreContract } from "./contract.js";
import { openStore } from "./open.js";
import { openPostgresStore, PgDb } from "./postgres.js";
import { dropSchemas, openTestPostgresStore, testSchemaName } from "./postgres-test-store.js";

const url = process.env.TECHTRAIL_TEST_DATABASE_URL;
const SKIP = "TECHTRAIL_TEST_DATABASE_URL is not set (scripts/with-postgres.sh sets it)";

if (!url) {
  test("postgres store contract", { skip: SKIP }, () => {});
} else {
  registerStoreContract("postgres", () => openTestPostgresStore(url, "tt"));
  registerActorMigrationTest("postgres", async () => {
    const schema = testSchemaName("ttmig");
    await querySql(url, `CREATE SCHEMA ${schema}`);
    const pool = new pg.Pool({ connectionString: url, options: `-c search_path=${schema}` });
    const db = new PgDb(pool);
    return {
      db,
      cleanup: async () => {
        await db.close();
        await dropSchemas(url, [schema]);
      },
    };
  });
}

const PASSWORD = "sekr3t-pw";
/** The test server's URL with a password (the test server trusts local clients, so it is never checked). */
function withPassword(base: string, database?: string, schema?: string): string {
  const u = new URL(base);
  u.password = PASSWORD;
  if (database) u.pathname = `/${database}`;
  if (schema) u.searchParams.set("options", `-c search_path=${schema}`);
  return u.href;
}

async function querySql<T>(base: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const c = new pg.Client({ connectionString: base });
  await c.connect();
  try {
    return (await c.query(sql, params)).rows as T[];
  } finally {
    await c.end();
  }
}

async function rejectsNotFound(p: Promise<unknown>): Promise<TechtrailError> {
  const e = await p.then(
    () => assert.fail("the store opened"),
    (x: unknown) => x,
  );
  assert.ok(e instanceof TechtrailError, String(e));
  assert.equal(e.code, "NOT_FOUND", e.message);
  assert.ok(!e.describe().includes(PASSWORD), `the password leaked: ${e.describe()}`);
  return e;
}

test("postgres: a database that does not exist is refused, naming host and database, never the password", {
  skip: url ? false : SKIP,
}, async () => {
  if (!url) return;
  const host = new URL(url).host;
  const missing = `tt_missing_${process.pid}`;
  for (const mustExist of [true, false]) {
    const e = await rejectsNotFound(openStore({ db: withPassword(url, missing), mustExist }));
    assert.match(
      e.message,
      new RegExp(`PostgreSQL database "${missing}" on ${host.replace(/[.]/g, "\\.")} does not exist`),
    );
    assert.match(e.message, /\(from --db\)/);
    assert.match(e.message, /createdb/);
    assert.doesNotMatch(e.message, /demo seed/, "techtrail cannot create the database itself");
  }
  const fromEnv = await rejectsNotFound(
    openStore({ env: { TECHTRAIL_DATABASE_URL: withPassword(url, missing) }, mustExist: true }),
  );
  assert.match(fromEnv.message, /\(from TECHTRAIL_DATABASE_URL\)/);
});

test("postgres: read-only opens refuse a schema without techtrail tables and create nothing; writes migrate it", {
  skip: url ? false : SKIP,
}, async () => {
  if (!url) return;
  const schema = testSchemaName("tt_ro");
  const tables = async () =>
    (
      await querySql<{ n: string }>(
        url,
        "SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = $1",
        [schema],
      )
    )[0]?.n;
  const schemaExists = async () =>
    (await querySql(url, "SELECT 1 FROM information_schema.schemata WHERE schema_name = $1", [schema])).length > 0;
  try {
    // the schema on the search path does not exist
    const absent = await rejectsNotFound(openStore({ db: withPassword(url, undefined, schema), mustExist: true }));
    assert.match(absent.message, /no incident register in PostgreSQL database "[^"]+" on /);
    assert.match(absent.message, new RegExp(`search_path ${schema} \\(no such schema\\)`));
    assert.match(absent.message, /no techtrail tables/);
    assert.match(absent.message, /demo seed/);
    assert.equal(await schemaExists(), false);
    const viaOption = await rejectsNotFound(openPostgresStore(url, { schema, mustExist: true }));
    assert.match(viaOption.message, /no techtrail tables/);
    assert.equal(await schemaExists(), false, "a read-only open created the schema");

    // the schema exists but was never migrated
    await querySql(url, `CREATE SCHEMA ${schema}`);
    const empty = await rejectsNotFound(openStore({ db: withPassword(url, undefined, schema), mustExist: true }));
    assert.match(empty.message, new RegExp(`schema "${schema}": it has no techtrail tables`));
    assert.equal(await tables(), "0", "a read-only open migrated the schema");

    // a write open (no mustExist) migrates it; read-only opens then work
    const writer = await openStore({ db: withPassword(url, undefined, schema) });
    await writer.close();
    assert.ok(Number(await tables()) > 0);
    const reader = await openStore({ db: withPassword(url, undefined, schema), mustExist: true });
    try {
      assert.equal((await reader.list({})).total, 0);
    } finally {
      await reader.close();
    }
  } finally {
    await dropSchemas(url, [schema]);
  }
});
