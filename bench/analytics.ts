// `npm run bench:analytics`: times every analytics query on a 100,000-incident SQLite store (built once
// from the demo generator into .bench/analytics/, reused while it has the expected size and schema) over
// the whole store, over one quarter and with a severity filter, and the full quarterly report (all
// analyses + playbook gaps + coverage + HTML with charts). Targets: each query ≤ 200 ms, report ≤ 3 s.
// Baseline measured in the same run: the naive way (export the quarter's incidents, count in JS).
// Writes the figures to docs/benchmarks.md, section "Analytics".
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import {
  actorProfiles,
  matchIncidentToActors,
  mitigationImpact,
  responseTiming,
  tacticPaths,
  techniqueCooccurrence,
  techniqueFrequency,
  techniqueTrend,
} from "../src/analytics/index.js";
import { type AnalyticsFilterInput, quarterOf, quarterRange, shiftQuarter } from "../src/analytics/model.js";
import { loadBuiltinCatalog } from "../src/catalog/load.js";
import { writeFileAtomic } from "../src/core/fs.js";
import { loadProfile } from "../src/coverage/profile.js";
import { generateDemoIncidents } from "../src/incidents/demo.js";
import { NewIncident } from "../src/incidents/model.js";
import { playbookGaps } from "../src/playbooks/gaps.js";
import { loadPlaybooks } from "../src/playbooks/playbooks.js";
import { renderHtml } from "../src/report/render.js";
import { buildReport } from "../src/report/report.js";
import { SCHEMA_VERSION } from "../src/store/migrations.js";
import { openSqliteStore } from "../src/store/sqlite.js";

const N = Number(process.env.BENCH_ANALYTICS_INCIDENTS ?? 100_000);
const QUERY_TARGET_MS = 200;
const REPORT_TARGET_MS = 3000;
const RUNS = 3;
const dir = join(process.cwd(), ".bench", "analytics");
mkdirSync(dir, { recursive: true });
const dbFile = join(dir, `store-${N}-v${SCHEMA_VERSION}.db`);
const catalog = loadBuiltinCatalog();

let store = await openSqliteStore(dbFile);
let count = await store.count();
if (count !== N) {
  await store.close();
  for (const ext of ["", "-wal", "-shm"]) rmSync(dbFile + ext, { force: true });
  store = await openSqliteStore(dbFile);
  process.stderr.write(`bench:analytics: generating and importing ${N.toLocaleString("en-US")} incidents...\n`);
  const t0 = performance.now();
  const inputs = generateDemoIncidents(catalog, { incidents: N, seed: 2026 }).map((r) =>
    NewIncident.parse({ ...r, isDemo: false }),
  );
  await store.importMany(inputs, { actor: "bench" });
  process.stderr.write(`bench:analytics: store built in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
  count = await store.count();
}
const latest = (await store.list({ limit: 1, sort: "date", order: "desc" })).items[0]?.date ?? "2026-12-31";
const quarter = quarterOf(latest);
const { from, to } = quarterRange(quarter);
// The report's quarter is the last complete one, as a team would run it.
const reportQuarter = shiftQuarter(quarter, -1);
const sampleKey = (await store.list({ limit: 1, sort: "key", order: "asc" })).items[0]?.key;
const playbooks = loadPlaybooks(catalog).playbooks;
const profile = loadProfile("cloudtrail-guardduty", catalog);

interface Row {
  name: string;
  ms: number;
  target: number;
  detail: string;
}
const rows: Row[] = [];

async function time(name: string, target: number, fn: () => Promise<string>): Promise<number> {
  let best = Number.POSITIVE_INFINITY;
  let detail = "";
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    detail = await fn();
    best = Math.min(best, performance.now() - t0);
  }
  rows.push({ name, ms: best, target, detail });
  process.stderr.write(`  ${name}: ${best.toFixed(1)} ms\n`);
  return best;
}

const scopes: Array<[string, AnalyticsFilterInput]> = [
  ["whole store", {}],
  [`quarter ${quarter}`, { from, to }],
  ["P1+P2, whole store", { severity: ["P1", "P2"] }],
];
for (const [label, f] of scopes) {
  await time(`frequency (${label})`, QUERY_TARGET_MS, async () => {
    const r = await techniqueFrequency(store, catalog, f);
    return `${r.scope.incidents} incidents, ${r.techniques.length} techniques`;
  });
  await time(`co-occurrence (${label})`, QUERY_TARGET_MS, async () => {
    const r = await techniqueCooccurrence(store, catalog, f);
    return `${r.distinctPairs} pairs`;
  });
  await time(`tactic paths (${label})`, QUERY_TARGET_MS, async () => {
    const r = await tacticPaths(store, catalog, f);
    return `${r.paths.length} top paths`;
  });
  await time(`actor profiles (${label})`, QUERY_TARGET_MS, async () => {
    const r = await actorProfiles(store, catalog, f);
    return `${r.actors.length} actors`;
  });
  await time(`timing and sources (${label})`, QUERY_TARGET_MS, async () => {
    const r = await responseTiming(store, catalog, f);
    return `${r.byTechnique.length} techniques, ${r.bySource.length} sources`;
  });
  await time(`mitigation impact (${label})`, QUERY_TARGET_MS, async () => {
    const r = await mitigationImpact(store, catalog, f);
    return `${r.mitigations.length} mitigations`;
  });
}
await time(`trend, 4 quarters to ${quarter}`, QUERY_TARGET_MS, async () => {
  const r = await techniqueTrend(store, catalog, {}, { quarter, quarters: 4 });
  return `${r.techniques.length} techniques, ${r.newTechniques.length} new`;
});
await time("trend, 8 quarters, whole store", QUERY_TARGET_MS, async () => {
  const r = await techniqueTrend(store, catalog, {}, { quarters: 8 });
  return `${r.techniques.length} techniques`;
});
if (sampleKey)
  await time(`incident → actor match (${sampleKey})`, QUERY_TARGET_MS, async () => {
    const r = await matchIncidentToActors(store, catalog, sampleKey);
    return `${r.matches.length} actors compared`;
  });
await time(`playbook gaps (whole store)`, QUERY_TARGET_MS * 3, async () => {
  const r = await playbookGaps(store, catalog, playbooks, {});
  return `${r.techniques.length} techniques ranked (frequency + trend + timing)`;
});

const reportMs = await time(`full quarterly report ${reportQuarter} (HTML)`, REPORT_TARGET_MS, async () => {
  const r = await buildReport(store, catalog, { quarter: reportQuarter, playbooks, profile });
  const html = renderHtml(r, catalog);
  return `${r.summary.incidents} incidents, ${(html.length / 1024).toFixed(0)} KiB, ${(html.match(/<svg[\s>]/g) ?? []).length} charts`;
});

// Baseline: what the analytics would cost without SQL aggregates — export the quarter, count in JS.
const tb = performance.now();
const all = await store.exportAll({ since: from, until: to, limit: 100_000 });
const naive = new Map<string, number>();
for (const i of all) for (const t of i.techniques) naive.set(t.id, (naive.get(t.id) ?? 0) + 1);
const baselineMs = performance.now() - tb;
const sqlQuarter = rows.find((r) => r.name === `frequency (quarter ${quarter})`)?.ms ?? Number.NaN;
rows.push({
  name: `baseline: export ${quarter} and count in JS`,
  ms: baselineMs,
  target: 0,
  detail: `${all.length} incidents; SQL frequency is ${(baselineMs / sqlQuarter).toFixed(0)}× faster`,
});
await store.close();

const load = loadavg()[0] ?? 0;
const fmt = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`);
const lines = [
  "## Analytics",
  "",
  `\`npm run bench:analytics\`, ${new Date().toISOString().slice(0, 10)}.`,
  "",
  `Incidents: ${count.toLocaleString("en-US")} (demo generator, seed 2026), SQLite (WAL) with the analytics covering indexes, ${cpus().length} cores, Node ${process.version}, load average ${load.toFixed(1)}; best of ${RUNS} runs each.`,
  "",
  "| measurement | result | target | |",
  "|---|---|---|---|",
  ...rows.map((r) =>
    r.target > 0
      ? `| ${r.name} — ${r.detail} | ${fmt(r.ms)} | ≤ ${fmt(r.target)} | ${r.ms <= r.target ? "PASS" : "FAIL"} |`
      : `| ${r.name} — ${r.detail} | ${fmt(r.ms)} | – | baseline |`,
  ),
  "",
];
const table = lines.join("\n");
process.stdout.write(`${table}\n`);
for (const r of rows)
  if (r.target > 0)
    process.stdout.write(`${r.ms <= r.target ? "PASS" : "FAIL"} ${r.name}: ${fmt(r.ms)} (target ${fmt(r.target)})\n`);

const doc = join(process.cwd(), "docs", "benchmarks.md");
const current = existsSync(doc) ? readFileSync(doc, "utf8") : "# Benchmarks\n";
const section = /## Analytics\n[\s\S]*?(?=\n## |$)/;
const next = section.test(current) ? current.replace(section, table.trimEnd()) : `${current.trimEnd()}\n\n${table}`;
writeFileAtomic(doc, next.endsWith("\n") ? next : `${next}\n`);
process.stderr.write(`bench:analytics: figures written to docs/benchmarks.md; report ${fmt(reportMs)}\n`);
