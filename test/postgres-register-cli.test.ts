// End-to-end, PostgreSQL: commands that only read the register refuse a database that does not exist or holds
// no techtrail tables, and say where they looked (host and database, never the password); commands that add
// incidents migrate an empty schema. Needs TECHTRAIL_TEST_DATABASE_URL (.ci/run sets it); skips without it.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import pg from "pg";
import { dropSchemas, testSchemaName } from "../src/store/postgres-test-store.js";
import { runCli } from "./cli-helper.js";

const url = process.env.TECHTRAIL_TEST_DATABASE_URL;
const skip = url ? false : "TECHTRAIL_TEST_DATABASE_URL is not set (scripts/with-postgres.sh sets it)";
const PASSWORD = "pw-n0t-printed";
const schema = testSchemaName("tt_cli_ro");

/** The test server's URL with a password (the server trusts local clients) and, optionally, a search_path. */
function target(base: string, o: { database?: string; schema?: string } = {}): string {
  const u = new URL(base);
  u.password = PASSWORD;
  if (o.database) u.pathname = `/${o.database}`;
  if (o.schema) u.searchParams.set("options", `-c search_path=${o.schema}`);
  return u.href;
}

async function tableCount(base: string): Promise<number> {
  const c = new pg.Client({ connectionString: base });
  await c.connect();
  try {
    const r = await c.query("SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = $1", [schema]);
    return Number(r.rows[0]?.n);
  } finally {
    await c.end();
  }
}

after(async () => {
  if (url) await dropSchemas(url, [schema]);
});

// each CLI call costs about a second: one command per kind of reader
const READERS = [
  ["report", "--quarter", "2026Q3"],
  ["stats", "frequency"],
  ["incident", "show", "IR-2026-0001"],
  ["coverage"],
];

test("read-only commands refuse a PostgreSQL database that does not exist", { skip }, () => {
  if (!url) return;
  const missing = `tt_nodb_${process.pid}`;
  const host = new URL(url).host;
  for (const args of READERS.slice(0, 2)) {
    const r = runCli([...args, "--db", target(url, { database: missing })]);
    assert.equal(r.status, 3, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, new RegExp(`database "${missing}" on ${host.replace(/[.]/g, "\\.")} does not exist`));
    assert.match(r.stderr, /\(from --db\)/);
    assert.ok(!r.stderr.includes(PASSWORD), r.stderr);
    assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
  }
  const env = runCli(["stats", "timing"], { env: { TECHTRAIL_DATABASE_URL: target(url, { database: missing }) } });
  assert.equal(env.status, 3, env.stderr);
  assert.match(env.stderr, /\(from TECHTRAIL_DATABASE_URL\)/);
});

test("read-only commands refuse a schema never migrated; adding incidents migrates it", { skip }, async () => {
  if (!url) return;
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  await c.query(`CREATE SCHEMA ${schema}`);
  await c.end();
  const db = target(url, { schema });
  for (const args of READERS) {
    const r = runCli([...args, "--db", db]);
    assert.equal(r.status, 3, `${args.join(" ")}: ${r.stderr}`);
    assert.match(
      r.stderr,
      new RegExp(`no incident register in PostgreSQL database "[^"]+" on [^,]+, schema "${schema}"`),
    );
    assert.match(r.stderr, /no techtrail tables/);
    assert.match(r.stderr, /demo seed/);
    assert.ok(!r.stderr.includes(PASSWORD), r.stderr);
  }
  assert.equal(await tableCount(url), 0, "a read-only command created tables");
  const seed = runCli(["demo", "seed", "--db", db, "--incidents", "5", "--json"]);
  assert.equal(seed.status, 0, seed.stderr);
  assert.equal(JSON.parse(seed.stdout).created, 5);
  assert.ok((await tableCount(url)) > 0);
  const list = runCli(["incident", "list", "--db", db, "--json"]);
  assert.equal(list.status, 0, list.stderr);
  assert.ok(!list.stdout.includes(PASSWORD));
});
