// Runs scan units on a pool of worker threads (or in the calling thread when workers = 0). Workers start, and
// compile the rules, as soon as the pool is created, while the main thread loads the catalog and compiles the
// rules for itself. Each worker takes one unit at a time; results come back in completion order and are put
// in a deterministic order by the caller.
import type { Worker } from "node:worker_threads";
import { TechtrailError } from "../core/errors.js";
import { startWorker } from "../core/worker.js";
import type { CorrTuple } from "./correlate.js";
import {
  type EngineOptions,
  type EngineRules,
  type RuleFile,
  type RuleSetInfo,
  type ScanUnit,
  scanUnit,
  type UnitResult,
} from "./engine.js";
import type { HitBatch } from "./hits.js";

export interface PoolCallbacks {
  /**
   * `thread`: which thread's HitEncoder encoded the result (worker index, or IN_THREAD). `ack` must be called
   * once the result's hits are passed on (a worker waits when too many of its batches are unacknowledged).
   */
  result(res: UnitResult, thread: number, ack: () => void): void;
  /** A batch of matches of a unit still being scanned (they arrive before the unit's result); `ack` as above. */
  hits(unit: number, batch: HitBatch, thread: number, ack: () => void): void;
  /** Correlation tuples of a unit (mid-unit batches; the rest arrive in the unit's result). */
  corr?(unit: number, tuples: CorrTuple[]): void;
  progress(events: number, bytes: number): void;
  /** Checked after each result: true stops the scan (strict mode). */
  stop(): boolean;
  /** In-thread scans: a promise to wait on before reading on (the findings are not passed on fast enough). */
  wait?(): Promise<void> | undefined;
}

/**
 * Batches a worker may have sent and not had acknowledged before it waits (about 1.3 MB each at most): the
 * back-pressure that keeps a fast worker from filling the main thread's memory when output is slow.
 */
export const MAX_PENDING_BATCHES = 4;

type WorkerMessage =
  | { type: "ready"; info: RuleSetInfo }
  | { type: "progress"; events: number; bytes: number }
  | { type: "result"; result: UnitResult }
  | { type: "hits"; unit: number; batch: HitBatch }
  | { type: "corr"; unit: number; tuples: CorrTuple[] }
  | { type: "error"; message: string };

/** Units handed to a worker at once: the one it scans and the next. */
const UNITS_IN_FLIGHT = 2;

/**
 * A worker holds one unit's data at a time; a small old generation makes V8 collect (and give back) the
 * garbage of rule compilation and parsing early, which keeps the process's peak memory low. The young
 * generation is resident once grown, whatever is live: 16 MB per worker cost 2 x 8 MB more peak RSS on the
 * attack-dense S3 tree than 8 MB, for no measurable speed (records die young; docs/benchmarks.md).
 */
const WORKER_LIMITS = { maxOldGenerationSizeMb: 48, maxYoungGenerationSizeMb: 8 };

export class ScanPool {
  private readonly workers: Worker[] = [];
  private readonly ready: Array<Promise<RuleSetInfo>> = [];
  private readonly readyFail: Array<(e: unknown) => void> = [];
  private handler: ((w: Worker, m: WorkerMessage) => void) | undefined;
  private failure: ((e: unknown) => void) | undefined;
  private earlyError: unknown;
  private closing = false;
  /** Per worker: batches sent and not yet acknowledged (shared with the workers, which wait on it). */
  private readonly pending: Int32Array;

  constructor(
    size: number,
    ruleFiles: readonly RuleFile[],
    engine: EngineOptions,
    /** Units a worker holds at once (S3 input: more, so requests overlap; see scan-worker's prefetch). */
    private readonly unitsInFlight = UNITS_IN_FLIGHT,
  ) {
    this.pending = new Int32Array(new SharedArrayBuffer(4 * Math.max(1, size)));
    for (let i = 0; i < size; i++) {
      const w = startWorker(
        import.meta.url,
        "./scan-worker",
        { ruleFiles, engine, pending: this.pending, slot: i, maxPending: MAX_PENDING_BATCHES },
        { resourceLimits: WORKER_LIMITS },
      );
      this.workers.push(w);
      const ready = new Promise<RuleSetInfo>((resolve, reject) => {
        this.readyFail.push(reject);
        w.on("message", (m: WorkerMessage) => {
          if (m.type === "ready") resolve(m.info);
          else this.handler?.(w, m);
        });
      });
      ready.catch(() => undefined); // observed through info() / run()
      this.ready.push(ready);
      w.on("error", (e) =>
        this.fail(new TechtrailError("INTERNAL", `scan worker crashed: ${e.message}`, { cause: e })),
      );
      // a worker that stops while units are pending would otherwise leave the scan waiting forever
      w.on("exit", (code) => {
        if (!this.closing) this.fail(new TechtrailError("INTERNAL", `scan worker exited unexpectedly (code ${code})`));
      });
    }
  }

  get size(): number {
    return this.workers.length;
  }

  private fail(e: unknown): void {
    for (const reject of this.readyFail) reject(e);
    if (this.failure) this.failure(e);
    else this.earlyError ??= e;
  }

  /** The rule set as the first worker compiled it (rules in order, with errors). */
  info(): Promise<RuleSetInfo> {
    return this.ready[0] as Promise<RuleSetInfo>;
  }

  /** Runs the units; `ruleIds` must be what the workers compiled (same files, same order). */
  async run(units: readonly ScanUnit[], ruleIds: readonly string[], cb: PoolCallbacks): Promise<void> {
    if (this.earlyError) throw this.earlyError;
    const queue = [...units];
    await new Promise<void>((resolve, reject) => {
      let failed = false;
      this.failure = (e) => {
        if (failed) return;
        failed = true;
        reject(e);
      };
      // Each worker holds up to UNITS_IN_FLIGHT units (one scanning, one queued), so it never waits for this
      // thread between units. The scan ends when every unit handed out has come back.
      const inFlight = new Map<Worker, number>(this.workers.map((w) => [w, 0]));
      let outstanding = 0;
      let started = 0;
      const feed = (w: Worker) => {
        if (failed) return;
        while ((inFlight.get(w) ?? 0) < this.unitsInFlight) {
          const unit = cb.stop() ? undefined : queue.shift();
          if (!unit) break;
          inFlight.set(w, (inFlight.get(w) ?? 0) + 1);
          outstanding++;
          w.postMessage({ type: "unit", unit });
        }
        if (outstanding === 0 && started === this.workers.length && (queue.length === 0 || cb.stop())) resolve();
      };
      const ackFor = (i: number) => () => {
        Atomics.sub(this.pending, i, 1);
        Atomics.notify(this.pending, i);
      };
      this.handler = (w, m) => {
        if (m.type === "progress") cb.progress(m.events, m.bytes);
        else if (m.type === "hits") {
          const i = this.workers.indexOf(w);
          cb.hits(m.unit, m.batch, i, ackFor(i));
        } else if (m.type === "corr") cb.corr?.(m.unit, m.tuples);
        else if (m.type === "result") {
          inFlight.set(w, (inFlight.get(w) ?? 1) - 1);
          outstanding--;
          const i = this.workers.indexOf(w);
          cb.result(m.result, i, ackFor(i));
          feed(w);
        } else if (m.type === "error")
          this.failure?.(new TechtrailError("INTERNAL", `scan worker failed: ${m.message}`));
      };
      const expected = ruleIds.join("\n");
      this.workers.forEach((w, i) => {
        void (this.ready[i] as Promise<RuleSetInfo>).then((info) => {
          if (info.rules.map((r) => r.id).join("\n") !== expected)
            this.failure?.(new TechtrailError("INTERNAL", "a scan worker compiled a different rule set"));
          else {
            started++;
            feed(w);
          }
        });
      });
    });
  }

  /** Stops the scan now: `run()` rejects with `e` and the workers are stopped. */
  async abort(e: unknown): Promise<void> {
    this.closing = true;
    this.fail(e);
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

/** Thread number of results scanned in the calling thread. */
export const IN_THREAD = 255;

/** Runs units in the calling thread (workers = 0, and stdin). */
export async function runInThread(
  units: readonly ScanUnit[],
  rules: EngineRules,
  engine: EngineOptions,
  cb: PoolCallbacks,
): Promise<void> {
  for (const u of units) {
    const res = await scanUnit(u, rules, engine, {
      progress: (e, b) => cb.progress(e, b),
      hits: (batch) => cb.hits(u.id, batch, IN_THREAD, noop),
      corr: (tuples) => cb.corr?.(u.id, tuples),
      ...(cb.wait ? { wait: cb.wait } : {}),
    });
    cb.result(res, IN_THREAD, noop);
    if (cb.stop()) return;
  }
}

function noop(): void {}
