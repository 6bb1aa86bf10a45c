// Benchmark of the scenario generator (npm run bench:scenario): generates --events N background events (default
// 2,000,000; one day, 3 accounts, with the ransomware-s3 scenario) to JSON Lines in .bench/scenario-corpus/, then
// a smaller S3 delivery tree (--s3-events, default 300,000), after building the same records without writing
// them (the generator's own cost), and prints events/s (wall clock and per CPU second),
// MB/s and the load average before and after, since the figure depends on what else the machine is doing.
import { rmSync, statSync } from "node:fs";
import { loadavg } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { loadBuiltinCatalog } from "../src/catalog/index.js";
import { generateScenarios, writeScenarioCorpus } from "../src/scenarios/generate.js";
import { CountingSink } from "../src/scenarios/sinks.js";

const ROOT = resolve(fileURLToPath(new URL("..", import.meta.url)));
const OUT = join(ROOT, ".bench", "scenario-corpus");
const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const EVENTS = Number(arg("--events") ?? 2_000_000);
const S3_EVENTS = Number(arg("--s3-events") ?? 300_000);
const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(" ");

async function run(format: "jsonl" | "s3", events: number): Promise<void> {
  const dir = join(OUT, format);
  rmSync(dir, { recursive: true, force: true });
  const catalog = loadBuiltinCatalog();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const r = await writeScenarioCorpus(
    { scenarios: ["ransomware-s3"], accounts: 3, days: 1, background: events, seed: 1, format },
    dir,
    catalog,
  );
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const bytes = format === "jsonl" ? statSync(join(dir, "events.jsonl")).size : 0;
  process.stdout.write(
    `${format.padEnd(5)}  ${r.events.toLocaleString("en-US")} events in ${seconds.toFixed(2)} s: ${Math.round(
      r.events / seconds,
    ).toLocaleString("en-US")} events/s wall, ${Math.round(r.events / cpuSeconds).toLocaleString(
      "en-US",
    )} events/s per CPU second${bytes ? `, ${(bytes / 1e6 / seconds).toFixed(0)} MB/s (${(bytes / r.events).toFixed(0)} bytes/event)` : ""}\n`,
  );
}

/** The generator alone: records built and handed to a sink that only counts them (no encoding, no disk). */
async function generatorOnly(events: number): Promise<void> {
  const catalog = loadBuiltinCatalog();
  const sink = new CountingSink();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const r = await generateScenarios(
    { scenarios: ["ransomware-s3"], accounts: 3, days: 1, background: events, seed: 1, format: "jsonl" },
    sink,
    catalog,
  );
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  process.stdout.write(
    `build  ${r.events.toLocaleString("en-US")} records, not written: ${Math.round(r.events / seconds).toLocaleString("en-US")} events/s wall, ${Math.round(r.events / ((cpu.user + cpu.system) / 1e6)).toLocaleString("en-US")} events/s per CPU second\n`,
  );
}

process.stdout.write(`load average before: ${load()}\n`);
await generatorOnly(EVENTS);
await run("jsonl", EVENTS);
await run("s3", S3_EVENTS);
process.stdout.write(`load average after: ${load()}\n`);
