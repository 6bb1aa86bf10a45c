// `npm run bench:store`: imports 100,000 incidents (about 6 techniques each) from a JSON export file into a
// fresh SQLite store through the same path as `techtrail incident import` (parse, validate against the
// catalog, one transaction), then times list/filter queries on it. Targets: import ≤ 20 s, queries ≤ 50 ms.
// Baseline measured in the same run: one transaction per incident (what a naive loop of `add` does).
// Writes the figures to docs/benchmarks.md, section "Store".
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { loadBuiltinCatalog } from "../src/catalog/load.js";
import { writeFileAtomic } from "../src/core/fs.js";
import { generateDemoIncidents } from "../src/incidents/demo.js";
import { NewIncident } from "../src/incidents/model.js";
import { IncidentRegister, type ListQuery } from "../src/register/register.js";
import { openSqliteStore } from "../src/store/sqlite.js";

const N = Number(process.env.BENCH_STORE_INCIDENTS ?? 100_000);
const IMPORT_TARGET_S = 20;
const QUERY_TARGET_MS = 50;
const BASELINE_N = 2_000;
const dir = join(process.cwd(), ".bench", "store");
rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });
const ctx = { actor: "bench" };
const catalog = loadBuiltinCatalog();

process.stderr.write(`bench:store: generating ${N.toLocaleString("en-US")} incidents...\n`);
// Demo incidents with 6 techniques on average: pad short chains from the scenario-independent pool.
const pool = catalog.techniques.filter((t) => t.status === "active").map((t) => t.id);
const records = generateDemoIncidents(catalog, { incidents: N, seed: 2026 }).map((r, n) => {
  const techniques = [...(r.techniques ?? [])];
  for (let k = 0; techniques.length < 4 + (n % 5); k++) {
    const id = pool[(n * 7 + k * 13) % pool.length] as string;
    if (!techniques.some((t) => t.id === id)) techniques.push({ id, catalogVersion: catalog.meta.version });
  }
  return { ...r, isDemo: false, tags: ["bench", ...(r.tags ?? []).slice(1)], techniques };
});
const file = join(dir, "incidents.json");
writeFileAtomic(file, JSON.stringify({ format: "techtrail-incidents/1", incidents: records }));
const techniquesPerIncident = records.reduce((s, r) => s + r.techniques.length, 0) / records.length;

// ---- import ----
const dbFile = join(dir, "store.db");
let store = await openSqliteStore(dbFile);
// The register sets the catalog's technique → tactic map on the store (tactic facets), as the CLI does.
let reg = new IncidentRegister(store, catalog);
process.stderr.write("bench:store: importing...\n");
const t0 = performance.now();
const cpu0 = process.cpuUsage();
const text = readFileSync(file, "utf8");
// What `techtrail incident import` does: parse, then validate and write batch by batch in one transaction.
const t1 = performance.now();
const res = await reg.importText(text, { source: file, format: "json" }, ctx);
const t2 = performance.now();
// Closing checkpoints the WAL into the database file: part of the cost of an import.
await store.close();
const importS = (performance.now() - t0) / 1000;
const phases = `read ${((t1 - t0) / 1000).toFixed(1)} s, parse+validate+write ${((t2 - t1) / 1000).toFixed(1)} s, close ${((performance.now() - t2) / 1000).toFixed(1)} s`;
const cpu = process.cpuUsage(cpu0);
const importCpuS = (cpu.user + cpu.system) / 1e6;
const load = loadavg()[0] ?? 0;
if (res.created !== N) throw new Error(`imported ${res.created}, expected ${N}`);

store = await openSqliteStore(dbFile);
reg = new IncidentRegister(store, catalog);

// ---- baseline: one transaction per incident ----
const baseStore = await openSqliteStore(join(dir, "baseline.db"));
const sample = records.slice(0, BASELINE_N).map((r) => NewIncident.parse(r));
const b0 = performance.now();
for (const r of sample) await baseStore.create(r, ctx);
const baselineS = ((performance.now() - b0) / 1000) * (N / BASELINE_N);
await baseStore.close();

// ---- queries ----
const commonTechnique = "T1078.A001";
const rareTechnique =
  [...new Set(records.flatMap((r) => r.techniques.map((t) => t.id)))].find(
    (id) => records.filter((r) => r.techniques.some((t) => t.id === id)).length < N / 500,
  ) ?? "T1666.A002";
const queries: Array<[string, ListQuery]> = [
  ["newest 50", {}],
  ["status open", { status: ["open"] }],
  ["P1 contained/closed", { severity: ["P1"], status: ["contained", "closed"] }],
  [`technique ${commonTechnique}`, { technique: [commonTechnique] }],
  ["technique family T1496 (parent and sub-techniques)", { technique: ["T1496"] }],
  [`rare technique ${rareTechnique}`, { technique: [rareTechnique] }],
  ["tactic impact", { tactic: ["impact"] }],
  ["threat actor", { threatActor: "bucket barons" }],
  ["date range 2025Q2", { from: "2025-04-01", to: "2025-06-30" }],
  [
    "actor + technique + year",
    { threatActor: "Ember Wasp", technique: ["T1496"], from: "2025-01-01", to: "2025-12-31" },
  ],
  ["tag", { tag: "s3-ransom" }],
  ["title text", { text: "ransom" }],
  ["page 100 by key", { sort: "key", offset: 5000 }],
];
const rows: Array<{ name: string; ms: number; total: number }> = [];
for (const [name, q] of queries) {
  const times: number[] = [];
  let total = 0;
  for (let k = 0; k < 7; k++) {
    const q0 = performance.now();
    const page = await reg.list({ ...q, limit: 50 });
    times.push(performance.now() - q0);
    total = page.total;
  }
  times.sort((a, b) => a - b);
  rows.push({ name, ms: times[3] ?? 0, total });
}
await store.close();

// ---- report ----
const pass = (ok: boolean) => (ok ? "PASS" : "FAIL");
const importOk = importS <= IMPORT_TARGET_S;
const lines: string[] = [];
lines.push(
  `Incidents: ${N.toLocaleString("en-US")} (${techniquesPerIncident.toFixed(1)} techniques each on average), SQLite (WAL), ${cpus().length} cores, Node ${process.version}, load average ${load.toFixed(1)} during the import`,
);
lines.push("");
lines.push("| measurement | result | target | |");
lines.push("|---|---|---|---|");
lines.push(
  `| import (read + parse + validate + one transaction + close) | ${importS.toFixed(1)} s (${Math.round(N / importS).toLocaleString("en-US")} incidents/s; ${phases}; CPU ${importCpuS.toFixed(1)} s) | ≤ ${IMPORT_TARGET_S} s | ${pass(importOk)} |`,
);
lines.push(
  `| baseline: one transaction per incident (${BASELINE_N.toLocaleString("en-US")} measured, extrapolated) | ${baselineS.toFixed(1)} s | – | ${(baselineS / importS).toFixed(1)}× slower |`,
);
let allOk = importOk;
for (const r of rows) {
  const ok = r.ms <= QUERY_TARGET_MS;
  allOk &&= ok;
  lines.push(
    `| list: ${r.name} (${r.total.toLocaleString("en-US")} matches, page of 50 + total) | ${r.ms.toFixed(1)} ms | ≤ ${QUERY_TARGET_MS} ms | ${pass(ok)} |`,
  );
}
const report = lines.join("\n");
process.stdout.write(`${report}\n\nbench:store: ${allOk ? "PASS" : "FAIL"}\n`);

if (N === 100_000) {
  const docs = join(process.cwd(), "docs", "benchmarks.md");
  let md = "";
  try {
    md = readFileSync(docs, "utf8");
  } catch {
    md = "# Benchmarks\n";
  }
  const section = `## Store\n\n\`npm run bench:store\`, ${new Date().toISOString().slice(0, 10)}.\n\n${report}\n`;
  const re = /## Store\n[\s\S]*?(?=\n## |$)/;
  md = re.test(md) ? md.replace(re, section) : `${md.trimEnd()}\n\n${section}`;
  writeFileAtomic(docs, md.endsWith("\n") ? md : `${md}\n`);
}
process.exitCode = allOk ? 0 : 1;
