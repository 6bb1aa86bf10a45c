// Benchmark of the scenario generator (npm run bench:scenario). In one run, on the same corpus (--events N
// background events, default 2,000,000; one day, 3 accounts, with the ransomware-s3 scenario):
//   1. records rendered to JSON Lines bytes and discarded, on the calling thread only (workers 0);
//   2. the same with the default worker threads;
//   3. JSON Lines written to .bench/scenario-corpus/jsonl/events.jsonl (the target: >= 500,000 events/s);
//   4. this disk alone writing the same number of bytes the same way (4 MiB writes), for comparison;
//   5. a smaller S3 delivery tree (--s3-events, default 300,000; gzip level 6).
// Each file-writing step starts after `sync`. Prints events/s by wall clock and per CPU second (all threads), MB/s, and the load average before and after:
// the figures depend on what else the machine is doing.
import { execFileSync } from "node:child_process";
import { closeSync, openSync, rmSync, statSync, writeSync } from "node:fs";
import { availableParallelism, loadavg } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { loadBuiltinCatalog } from "../src/catalog/index.js";
import { type GenerateOptions, generateScenarios, writeScenarioCorpus } from "../src/scenarios/generate.js";
import { CountingSink } from "../src/scenarios/sinks.js";

const ROOT = resolve(fileURLToPath(new URL("..", import.meta.url)));
const OUT = join(ROOT, ".bench", "scenario-corpus");
const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const EVENTS = Number(arg("--events") ?? 2_000_000);
const S3_EVENTS = Number(arg("--s3-events") ?? 300_000);
const TARGET = 500_000;
const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(" ");
const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
const catalog = loadBuiltinCatalog();
const options = (background: number, format: "jsonl" | "s3"): GenerateOptions => ({
  scenarios: ["ransomware-s3"],
  accounts: 3,
  days: 1,
  background,
  seed: 1,
  format,
});

interface Row {
  what: string;
  events: number;
  seconds: number;
  cpu: number;
  bytes: number;
}
const rows: Row[] = [];

async function timed(what: string, fn: () => Promise<{ events: number; bytes: number }>): Promise<Row> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const r = await fn();
  const seconds = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(cpu0);
  const row = { what, events: r.events, seconds, cpu: (c.user + c.system) / 1e6, bytes: r.bytes };
  rows.push(row);
  process.stderr.write(`  ${what}: ${seconds.toFixed(2)} s\n`);
  return row;
}

async function discard(workers: number | undefined) {
  const sink = new CountingSink();
  const r = await generateScenarios(options(EVENTS, "jsonl"), sink, catalog, workers === undefined ? {} : { workers });
  return { events: r.events, bytes: sink.bytes };
}

/** The disk alone: `bytes` written to a new file in 4 MiB writes, as the JSON Lines sink does. */
function diskAlone(bytes: number): { events: number; bytes: number } {
  const file = join(OUT, "disk-alone.bin");
  const chunk = Buffer.alloc(4 * 1024 * 1024, 0x61);
  const fd = openSync(file, "w");
  for (let left = bytes; left > 0; left -= chunk.length) writeSync(fd, chunk, 0, Math.min(left, chunk.length));
  closeSync(fd);
  rmSync(file);
  return { events: 0, bytes };
}

rmSync(OUT, { recursive: true, force: true });
process.stdout.write(`load average before: ${load()}; ${availableParallelism()} cores\n`);
await timed("JSON Lines bytes, discarded, calling thread only", () => discard(0));
await timed("JSON Lines bytes, discarded, default worker threads", () => discard(undefined));
/** Flushes dirty pages first, so a file-writing step does not pay for the write-back of the one before. */
const settle = () => execFileSync("sync");
settle();
const jsonl = await timed("JSON Lines to a file (the target)", async () => {
  const dir = join(OUT, "jsonl");
  const r = await writeScenarioCorpus(options(EVENTS, "jsonl"), dir, catalog);
  return { events: r.events, bytes: statSync(join(dir, "events.jsonl")).size };
});
settle();
const disk = await timed("this disk alone writing the same bytes", async () => diskAlone(jsonl.bytes));
settle();
await timed("S3 delivery tree (gzip level 6)", async () => {
  const r = await writeScenarioCorpus(options(S3_EVENTS, "s3"), join(OUT, "s3"), catalog);
  return { events: r.events, bytes: 0 };
});
rmSync(join(OUT, "jsonl"), { recursive: true, force: true });

process.stdout.write(
  "\n| step | events | seconds | events/s wall | events/s per CPU second | MB/s |\n|---|---|---|---|---|---|\n",
);
for (const r of rows)
  process.stdout.write(
    `| ${r.what} | ${fmt(r.events)} | ${r.seconds.toFixed(2)} | ${r.events ? fmt(r.events / r.seconds) : "-"} | ${r.events ? fmt(r.events / r.cpu) : "-"} | ${r.bytes ? fmt(r.bytes / 1e6 / r.seconds) : "-"} |\n`,
  );
const perEvent = jsonl.bytes / jsonl.events;
const diskEvents = disk.bytes / perEvent / disk.seconds;
const rate = jsonl.events / jsonl.seconds;
process.stdout.write(
  `\n${perEvent.toFixed(0)} bytes/event. Target ${fmt(TARGET)} events/s to JSON Lines: ${rate >= TARGET ? "met" : "not met"} (${fmt(rate)}); the disk alone absorbs the same bytes at ${fmt(diskEvents)} events/s.\n`,
);
process.stdout.write(`load average after: ${load()}\n`);
