// Scan upload latency (npm run bench:upload): POST /api/scan of the README's 3-event example
// (examples/cloudtrail/...), through the real app (createApp, app.request: auth, body limit, multipart, temporary
// files, scan, response), in one process and one run:
//   cold  the first upload of a new app: the rules are read and compiled (and the code paths run first)
//   warm  the next uploads (median, p95, max): rules kept, scanned on the request thread
// and for comparison, in the same run:
//   each upload compiling the rules (an app whose rule cache always misses): what every small upload cost before
//   the same file scanned on worker threads (scanPaths with the default workers): the path of uploads of 4 MB
//   or more, and what every upload cost before small ones scanned on the request thread.
// Options: --runs N (warm uploads per row, default 20), --json.
import { readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type RuleFolders, RuleSetCache } from "../src/scan/rule-cache.js";
import { scanPaths } from "../src/scan/scan.js";
import { makeFixture } from "../src/server/test-helpers.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const EXAMPLE = join(ROOT, "examples", "cloudtrail", "111122223333_CloudTrail_eu-west-1_example.json");
const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const RUNS = Number(arg("--runs") ?? 20);
const body = readFileSync(EXAMPLE);

/** A cache that forgets before every scan: each upload reads and compiles the rules. */
class NoCache extends RuleSetCache {
  override get(folders: RuleFolders) {
    this.clear();
    return super.get(folders);
  }
}

async function uploader(ruleCache: RuleSetCache) {
  const f = await makeFixture({ ruleCache });
  const once = async (): Promise<number> => {
    const form = new FormData();
    form.append("file", new Blob([body]), "example.json");
    const t = performance.now();
    const res = await f.app.request("/api/scan", {
      method: "POST",
      headers: { Authorization: `Bearer ${f.tokens.responder}` },
      body: form,
    });
    const json = (await res.json()) as { summary?: { findings: { total: number }; workers: number } };
    const ms = performance.now() - t;
    if (res.status !== 200 || json.summary?.findings.total !== 2 || json.summary.workers !== 0)
      throw new Error(`unexpected answer ${res.status}: ${JSON.stringify(json).slice(0, 300)}`);
    return ms;
  };
  return { once, close: () => f.close() };
}

interface Stats {
  runs: number;
  median: number;
  p95: number;
  max: number;
}
function stats(ms: number[]): Stats {
  const s = [...ms].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)] as number;
  return { runs: s.length, median: at(0.5), p95: at(0.95), max: s[s.length - 1] as number };
}

const load0 = loadavg()[0] as number;

// cold, then warm, on the kept rules
const kept = new RuleSetCache();
const up = await uploader(kept);
const cold = await up.once();
const warmMs: number[] = [];
for (let i = 0; i < RUNS; i++) warmMs.push(await up.once());
await up.close();

// each upload compiling the rules
const nc = await uploader(new NoCache());
await nc.once(); // the code paths' first run is not what this row measures
const compileMs: number[] = [];
for (let i = 0; i < Math.min(RUNS, 10); i++) compileMs.push(await nc.once());
await nc.close();

// the same file on worker threads (each scan starts its workers, which compile the rules)
const workerMs: number[] = [];
let workers = 0;
for (let i = 0; i < Math.min(RUNS, 5); i++) {
  const t = performance.now();
  const r = await scanPaths([EXAMPLE], {});
  workerMs.push(performance.now() - t);
  workers = r.summary.workers;
}

const result = {
  date: new Date().toISOString(),
  node: process.version,
  loadAverage: { start: load0, end: loadavg()[0] as number },
  upload: "3 events (examples/cloudtrail), 2 findings",
  coldMs: cold,
  warm: stats(warmMs),
  compilingEachUpload: stats(compileMs),
  workerThreads: { workers, ...stats(workerMs) },
};

if (process.argv.includes("--json")) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
else {
  const f = (ms: number) => `${ms.toFixed(1)} ms`;
  const row = (name: string, s: Stats) => `| ${name} | ${s.runs} | ${f(s.median)} | ${f(s.p95)} | ${f(s.max)} |`;
  const lines = [
    `bench:upload ${result.date}, Node ${result.node}, load average ${load0.toFixed(1)} → ${result.loadAverage.end.toFixed(1)}`,
    `upload: ${result.upload}, POST /api/scan through app.request`,
    "",
    "| measurement | runs | median | p95 | max |",
    "|---|---:|---:|---:|---:|",
    `| cold: first upload of a new app (reads and compiles the rules) | 1 | ${f(cold)} | – | – |`,
    row("warm: next uploads (kept rules, request thread)", result.warm),
    row("each upload compiling the rules (request thread)", result.compilingEachUpload),
    row(`scanPaths on worker threads (${workers}), same file`, result.workerThreads),
    "",
    `warm is ${(result.compilingEachUpload.median / result.warm.median).toFixed(0)}× faster than compiling each time and ${(result.workerThreads.median / result.warm.median).toFixed(0)}× faster than worker threads; target: warm < 1 s: ${result.warm.max < 1000 ? "PASS" : "FAIL"}`,
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
}
