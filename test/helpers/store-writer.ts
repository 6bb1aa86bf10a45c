// Child process for the concurrency tests: writes incidents and read-modify-write tag updates into a
// store shared with another process. Usage: store-writer.ts <sqlite-file | postgres-url> <worker> <n> [schema]
import { sampleIncident } from "../../src/store/contract.js";
import { openPostgresStore } from "../../src/store/postgres.js";
import { openSqliteStore } from "../../src/store/sqlite.js";

const [target = "", worker = "w", n = "10", schema] = process.argv.slice(2);
const store = target.startsWith("postgres")
  ? await openPostgresStore(target, schema ? { schema } : {})
  : await openSqliteStore(target);
const ctx = { actor: `writer-${worker}` };
for (let i = 0; i < Number(n); i++) {
  await store.create(sampleIncident({ title: `${worker} incident ${i}` }), ctx);
  await store.update("IR-2020-0001", (inc) => ({ ...inc, tags: [...inc.tags, `${worker}-${i}`] }), ctx);
}
await store.close();
