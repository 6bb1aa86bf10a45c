// Runs the store contract against a real PostgreSQL when TECHTRAIL_TEST_DATABASE_URL is set
// (.ci/run starts one with scripts/with-postgres.sh); each fixture gets its own schema.
import { test } from "node:test";
import { registerStoreContract } from "./contract.js";
import { openTestPostgresStore } from "./postgres-test-store.js";

const url = process.env.TECHTRAIL_TEST_DATABASE_URL;

if (!url) {
  test("postgres store contract", {
    skip: "TECHTRAIL_TEST_DATABASE_URL is not set (scripts/with-postgres.sh sets it)",
  }, () => {});
} else {
  registerStoreContract("postgres", () => openTestPostgresStore(url, "tt"));
}
