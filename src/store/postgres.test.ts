// Runs the store contract against a real PostgreSQL when TECHTRAIL_TEST_DATABASE_URL is set
// (.ci/run starts one with scripts/with-postgres.sh); each fixture gets its own schema.
import { test } from "node:test";
import pg from "pg";
import { registerStoreContract } from "./contract.js";
import { openPostgresStore } from "./postgres.js";

const url = process.env.TECHTRAIL_TEST_DATABASE_URL;

if (!url) {
  test("postgres store contract", {
    skip: "TECHTRAIL_TEST_DATABASE_URL is not set (scripts/with-postgres.sh sets it)",
  }, () => {});
} else {
  registerStoreContract("postgres", async () => {
    const schema = `tt_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
    const store = await openPostgresStore(url, { schema });
    return {
      store,
      cleanup: async () => {
        await store.close();
        const c = new pg.Client({ connectionString: url });
        await c.connect();
        await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
        await c.end();
      },
    };
  });
}
