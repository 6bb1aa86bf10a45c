// The scenario generator's public surface: options, the sink that receives the CloudTrail records, and the
// functions that play scenario packs inside seeded background activity. Output is a pure function of the
// options: the same options give byte-identical records, file names and answer key.
import { mkdir } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import type { Writable } from "node:stream";
import type { Worker } from "node:worker_threads";
import { z } from "zod";
import { type Catalog, loadBuiltinCatalog } from "../catalog/index.js";
import { TechtrailError, zodProblems } from "../core/errors.js";
import { writeFileAtomic } from "../core/fs.js";
import { startWorker } from "../core/worker.js";
import { ANSWER_KEY_FILE, type AnswerKey, OutputFormat } from "./answer-key.js";
import { makeAccounts, REGIONS } from "./background.js";
import { loadScenarioPacks, selectScenarioPacks } from "./pack.js";
import { type PartPlan, Planner, planBuffers } from "./plan.js";
import { playScenario } from "./play.js";
import { makeWorld, type PeriodBatch, Renderer, type WorldSpec } from "./render.js";
import { JsonLinesSink, S3TreeSink, StreamSink, TeeSink } from "./sinks.js";

export { batchOf, batchRecords, type PeriodBatch } from "./render.js";

/** Default first moment of a corpus (fixed, so that output does not depend on the clock). */
export const DEFAULT_START = "2026-11-02T00:00:00Z";

export const GenerateOptions = z.strictObject({
  /** Scenario names (scenarios/<name>.yaml); may be empty for background only. */
  scenarios: z.array(z.string()).default([]),
  seed: z.number().int().nonnegative().default(1),
  accounts: z.number().int().positive().max(1000).default(1),
  days: z.number().int().positive().max(3660).default(1),
  /** Background (benign) events per day over all accounts. */
  background: z.number().int().nonnegative().default(10_000),
  format: OutputFormat.default("s3"),
  start: z.iso.datetime({ offset: false }).default(DEFAULT_START),
  /** Folder of scenario packs; default: the shipped scenarios/. */
  scenarioDir: z.string().optional(),
});
export type GenerateOptions = z.input<typeof GenerateOptions>;
export type ResolvedGenerateOptions = z.output<typeof GenerateOptions>;

/** Receives the corpus part by part, in time order (S3 delivery tree, JSON Lines file, a scanner, a counter...). */
export interface CorpusSink {
  /** Called once before the first batch with the account IDs and regions the indexes refer to. */
  open?(accounts: readonly string[], regions: readonly string[]): void | Promise<void>;
  /** A batch. Its arrays are the generator's again once the call returns (or its promise settles): copy what must outlive it. */
  write(batch: PeriodBatch): void | Promise<void>;
  close?(): void | Promise<void>;
}

export function resolveGenerateOptions(input: GenerateOptions): ResolvedGenerateOptions {
  const r = GenerateOptions.safeParse(input);
  if (!r.success)
    throw new TechtrailError("VALIDATION", "invalid scenario generator options", {
      problems: zodProblems(r.error.issues, "options"),
    });
  return r.data;
}

/** What a generation produced. */
export interface GenerateResult {
  answerKey: AnswerKey;
  /** CloudTrail records written (background and scenarios). */
  events: number;
  /** Of which, records of scenario steps. */
  scenarioEvents: number;
}

const PERIOD = 300_000;
const DAY = 86_400_000;
/** Below this many background events a corpus is rendered on the calling thread (starting workers costs more). */
const INLINE_BELOW = 200_000;

/** How a generation runs (not what it produces). */
export interface GenerateRun {
  /** Worker threads rendering records (0: the calling thread); default by corpus size and cores. */
  workers?: number;
  /** Called after each part is written: records so far, and the corpus time reached (epoch ms). */
  progress?: (events: number, until: number) => void;
}

/**
 * Worker threads used by default: one per core, at most four. The planner's thread needs little (a tenth of the
 * work), so it shares a core rather than leaving one idle.
 */
function defaultWorkers(events: number): number {
  if (events < INLINE_BELOW) return 0;
  return Math.max(1, Math.min(4, availableParallelism()));
}

/**
 * Plays the named scenario packs inside seeded background activity and streams every record to `sink`, part by
 * part in time order; returns the answer key. Unknown scenario names are refused with the list of known ones.
 * `workers` (default: by corpus size and cores) only changes the speed: the output is the same.
 */
export async function generateScenarios(
  options: GenerateOptions,
  sink: CorpusSink,
  catalog: Catalog = loadBuiltinCatalog(),
  run: GenerateRun = {},
): Promise<GenerateResult> {
  const o = resolveGenerateOptions(options);
  const start = Date.parse(o.start);
  if (start % PERIOD !== 0)
    throw new TechtrailError("VALIDATION", `--start must fall on a 5-minute boundary, got ${o.start}`);
  const end = start + o.days * DAY;
  const packs = o.scenarios.length > 0 ? loadScenarioPacks(catalog, o.scenarioDir) : new Map();
  const selected = selectScenarioPacks(packs, o.scenarios);
  const accounts = makeAccounts(o.seed, o.accounts);
  const played = selected.map((pack, index) =>
    playScenario(pack, { seed: o.seed, index, accounts, start, end, catalog }),
  );
  const regions: string[] = [...REGIONS];
  const regionIndex = new Map(regions.map((r, i) => [r, i]));
  const attack = played.flatMap((p) => p.events).sort((a, b) => a.t - b.t || a.json.localeCompare(b.json));
  for (const e of attack)
    if (!regionIndex.has(e.region)) {
      regionIndex.set(e.region, regions.length);
      regions.push(e.region);
    }
  const spec: WorldSpec = { seed: o.seed, accounts: o.accounts, shared: played.flatMap((p) => p.shared), regions };
  const world = makeWorld(spec, accounts);
  await sink.open?.(
    accounts.map((a) => a.id),
    regions,
  );

  const workers = run.workers ?? defaultWorkers(o.background * o.days);
  if (!Number.isInteger(workers) || workers < 0 || workers > 64)
    throw new TechtrailError("VALIDATION", `workers expects a whole number from 0 to 64, got ${workers}`);
  const pool = workers > 0 ? new RenderPool(spec, workers) : undefined;
  const inline = pool ? undefined : new Renderer(world);
  let events = 0;
  try {
    const deliver = async (batch: PeriodBatch) => {
      events += batch.count;
      if (batch.count > 0) await sink.write(batch);
      run.progress?.(events, batch.start + PERIOD);
    };
    for (const plan of new Planner(o, world, start, end, attack, regionIndex).parts()) {
      if (inline) {
        const batch = inline.render(plan);
        await deliver(batch);
        inline.recycle(batch.bytes.buffer as ArrayBuffer);
      } else await (pool as RenderPool).submit(plan, deliver);
    }
    await pool?.drain(deliver);
  } finally {
    await pool?.close();
  }
  await sink.close?.();

  const answerKey: AnswerKey = {
    version: 1,
    generator: {
      scenarios: o.scenarios,
      seed: o.seed,
      accounts: o.accounts,
      days: o.days,
      background: o.background,
      format: o.format,
      start: new Date(start).toISOString().replace(/\.\d{3}Z$/, "Z"),
      end: new Date(end).toISOString().replace(/\.\d{3}Z$/, "Z"),
    },
    scenarios: played.map((p) => p.answer),
  };
  return { answerKey, events, scenarioEvents: attack.length };
}

/**
 * Worker threads rendering parts; results are handed back in submission order. At most two parts per worker are
 * in flight, so memory stays bounded whatever the corpus size.
 */
class RenderPool {
  private readonly workers: Worker[];
  private readonly idle: Worker[];
  private readonly done = new Map<number, PeriodBatch>();
  /** Which worker rendered a batch: its buffer goes back there once written. */
  private readonly from = new Map<number, Worker>();
  private readonly queue: Array<{ id: number; plan: PartPlan }> = [];
  private next = 0;
  private delivered = 0;
  private failure: Error | undefined;
  private wake: (() => void) | undefined;
  private closing = false;

  constructor(spec: WorldSpec, count: number) {
    this.workers = Array.from({ length: count }, () => startWorker(import.meta.url, "./render-worker", spec));
    this.idle = [...this.workers];
    for (const w of this.workers) {
      w.on("message", (m: { id: number; batch: PeriodBatch }) => {
        this.done.set(m.id, m.batch);
        this.from.set(m.id, w);
        this.idle.push(w);
        this.dispatch();
        this.wake?.();
      });
      w.on("error", (e) => {
        this.failure = e;
        this.wake?.();
      });
      w.on("exit", (code) => {
        if (this.closing) return;
        this.failure ??= new TechtrailError("INTERNAL", `a generator thread stopped (exit code ${code})`);
        this.wake?.();
      });
    }
  }

  private dispatch(): void {
    while (this.idle.length > 0 && this.queue.length > 0) {
      const job = this.queue.shift() as { id: number; plan: PartPlan };
      (this.idle.pop() as Worker).postMessage(job, planBuffers(job.plan));
    }
  }

  private async flush(deliver: (b: PeriodBatch) => Promise<void>, until: number): Promise<void> {
    for (;;) {
      if (this.failure) throw this.failure;
      const b = this.done.get(this.delivered);
      if (b) {
        const w = this.from.get(this.delivered) as Worker;
        this.from.delete(this.delivered);
        this.done.delete(this.delivered++);
        await deliver(b);
        const buffer = b.bytes.buffer as ArrayBuffer;
        w.postMessage({ recycle: buffer }, [buffer]);
        continue;
      }
      if (this.next - this.delivered <= until) return;
      await new Promise<void>((res) => {
        this.wake = res;
      });
      this.wake = undefined;
    }
  }

  async submit(plan: PartPlan, deliver: (b: PeriodBatch) => Promise<void>): Promise<void> {
    this.queue.push({ id: this.next++, plan });
    this.dispatch();
    await this.flush(deliver, this.workers.length * 2);
  }

  async drain(deliver: (b: PeriodBatch) => Promise<void>): Promise<void> {
    await this.flush(deliver, 0);
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

/**
 * Writes a corpus into `outDir`: the S3 delivery tree (`AWSLogs/<account>/CloudTrail/<region>/yyyy/mm/dd/*.json.gz`,
 * one file per account, region and 5-minute period) or `events.jsonl`, and `answer-key.json`.
 */
export async function writeScenarioCorpus(
  options: GenerateOptions,
  outDir: string,
  catalog?: Catalog,
  run: GenerateRun = {},
): Promise<GenerateResult> {
  const o = resolveGenerateOptions(options);
  const sink = o.format === "s3" ? new S3TreeSink(outDir, o.seed) : new JsonLinesSink(join(outDir, "events.jsonl"));
  await mkdir(outDir, { recursive: true });
  const result = await generateScenarios(o, sink, catalog, run);
  // one line: a scan of the whole folder then skips it as one non-CloudTrail record, not line by line
  await writeFileAtomic(join(outDir, ANSWER_KEY_FILE), `${JSON.stringify(result.answerKey)}\n`);
  return result;
}

/**
 * Streams a corpus as JSON Lines to `stream` (for example standard output, to pipe it into another program without
 * touching the disk) and writes the answer key to `answerKeyFile`. Only the JSON Lines format can be streamed.
 */
export async function writeScenarioStream(
  options: GenerateOptions,
  stream: Writable,
  answerKeyFile: string,
  catalog?: Catalog,
  run: GenerateRun = {},
): Promise<GenerateResult> {
  const o = resolveGenerateOptions(options);
  if (o.format !== "jsonl")
    throw new TechtrailError("VALIDATION", `only JSON Lines can be streamed (--format jsonl), not ${o.format}`);
  const result = await generateScenarios(o, new StreamSink(stream), catalog, run);
  await writeFileAtomic(answerKeyFile, `${JSON.stringify(result.answerKey)}\n`);
  return result;
}

/** Options of a benchmark corpus: about `events` records, over one day unless told otherwise. */
export interface BenchCorpusOptions {
  events: number;
  seed?: number;
  accounts?: number;
  days?: number;
  /** Scenarios played inside the background (default: all shipped packs, a sprinkling of attack events). */
  scenarios?: string[];
  /** Write the S3 delivery tree under `<dir>/s3/` (default true) and `<dir>/events.jsonl` (default true). */
  s3?: boolean;
  jsonl?: boolean;
}

/**
 * A synthetic corpus for scan benchmarks, in one generation pass: the S3 delivery tree in `<dir>/s3/AWSLogs/...`
 * and the same records as `<dir>/events.jsonl`, plus `<dir>/answer-key.json`. `events` is the background budget;
 * the scenarios add a few hundred records each.
 */
export async function writeBenchCorpus(
  options: BenchCorpusOptions,
  dir: string,
  catalog?: Catalog,
): Promise<GenerateResult> {
  const days = options.days ?? 1;
  const seed = options.seed ?? 1;
  const sinks: CorpusSink[] = [];
  if (options.s3 !== false) sinks.push(new S3TreeSink(join(dir, "s3"), seed));
  if (options.jsonl !== false) sinks.push(new JsonLinesSink(join(dir, "events.jsonl")));
  await mkdir(dir, { recursive: true });
  const cat = catalog ?? loadBuiltinCatalog();
  const scenarios = options.scenarios ?? [...loadScenarioPacks(cat).keys()];
  const result = await generateScenarios(
    {
      scenarios,
      seed,
      accounts: options.accounts ?? 3,
      days,
      background: Math.max(0, Math.round(options.events / days)),
      format: options.s3 === false ? "jsonl" : "s3",
    },
    new TeeSink(sinks),
    cat,
  );
  writeFileAtomic(join(dir, ANSWER_KEY_FILE), `${JSON.stringify(result.answerKey)}\n`);
  return result;
}
