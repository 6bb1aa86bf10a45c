// The main thread's side of a scan: receives match batches from the scanning threads (and findings produced
// on this thread, such as correlations), turns them into Finding objects a slice at a time, and passes each
// slice to the summary, the evidence sample and the caller's sink. Nothing is kept after a slice is passed
// on, so memory does not grow with the number of findings. Work is queued and done in slices of SLICE
// findings with a yield to the event loop between slices, so a server stays responsive during a big scan;
// each batch is acknowledged once written, which is what holds a worker back when output is slow.
import { setImmediate as yieldToLoop } from "node:timers/promises";
import { SIGMA_LEVELS } from "../rules/index.js";
import type { ActorMarker } from "./actors.js";
import type { ScanUnit } from "./engine.js";
import { type HitBatch, HitDecoder, type ReceivedBatch, type RuleMeta, type UnitInfo } from "./hits.js";
import type { Finding } from "./model.js";
import type { EvidenceSampler, SummaryBuilder } from "./summary.js";
import type { Suppressor } from "./suppress.js";

/** Receives findings in arrival order, a slice at a time; a returned promise holds the scan back until it settles. */
export type FindingsSink = (findings: readonly Finding[]) => void | Promise<void>;

/** Findings decoded, summarised and passed on between two yields to the event loop. */
const SLICE = 1024;
/** Findings queued (decoded or not) above which an in-thread scan waits before reading on. */
const BACKLOG_LIMIT = 64 * 1024;

type Job = () => Promise<void>;

export interface AggregatorOptions {
  rules: readonly RuleMeta[];
  units: readonly ScanUnit[];
  summary: SummaryBuilder;
  evidence: EvidenceSampler;
  sink: FindingsSink;
  /** Sigma level below which findings are only counted. */
  minLevel?: string | undefined;
  /** Hides matching findings (counted per entry in the summary). */
  suppress?: Suppressor | undefined;
  /** Pass suppressed findings on too, marked with the entry (`suppressed`), outside the summary's counts. */
  showSuppressed?: boolean | undefined;
  /** Sees every finding decoded from the JS engine's matches, before any filter (scan.ts counts events with it). */
  observe?: ((f: Finding) => void) | undefined;
  /** Marks findings that match a known actor's indicators. */
  actors?: ActorMarker | undefined;
}

export class FindingAggregator {
  private readonly decoder: HitDecoder;
  /** Range units: the previous range of the same file (its line count sets this one's line base). */
  private readonly prevRange = new Map<number, number>();
  private readonly nextRange = new Map<number, number>();
  private readonly linesOf = new Map<number, number>();
  /** Batches of range units whose line base is not known yet (earlier ranges still being scanned). */
  private readonly deferred = new Map<number, Job[]>();
  private readonly file = new Map<number, string>();
  private readonly minRank: number;
  private tail: Promise<void> = Promise.resolve();
  private failure: unknown;
  private queued = 0;
  private waiters: Array<() => void> = [];
  /** Findings received so far (whatever their level). */
  received = 0;

  constructor(private readonly o: AggregatorOptions) {
    this.decoder = new HitDecoder(o.rules);
    this.minRank = o.minLevel === undefined ? 0 : SIGMA_LEVELS.indexOf(o.minLevel as (typeof SIGMA_LEVELS)[number]);
    const ranges = new Map<string, Array<Extract<ScanUnit, { kind: "range" }>>>();
    for (const u of o.units) this.addUnit(u, ranges);
    for (const list of ranges.values()) {
      list.sort((a, b) => a.start - b.start);
      for (let i = 1; i < list.length; i++) {
        this.prevRange.set((list[i] as ScanUnit).id, (list[i - 1] as ScanUnit).id);
        this.nextRange.set((list[i - 1] as ScanUnit).id, (list[i] as ScanUnit).id);
      }
    }
  }

  /** Registers a unit (all units are known at construction, except stdin's). */
  addUnit(u: ScanUnit, ranges?: Map<string, Array<Extract<ScanUnit, { kind: "range" }>>>): void {
    this.file.set(u.id, u.file);
    if (u.kind === "range") {
      const list = ranges?.get(u.file) ?? [];
      list.push(u);
      ranges?.set(u.file, list);
    }
  }

  /** Line base of a unit, or undefined while an earlier range of its file is still being scanned. */
  private lineBase(unit: number): number | undefined {
    const prev = this.prevRange.get(unit);
    if (prev === undefined) return 0;
    const prevBase = this.lineBase(prev);
    const prevLines = this.linesOf.get(prev);
    return prevBase === undefined || prevLines === undefined ? undefined : prevBase + prevLines;
  }

  /** A batch of matches from a scanning thread; `ack` is called once its findings are passed on. */
  hits(unit: number, batch: HitBatch, thread: number, ack: () => void = noop): void {
    this.received += batch.count;
    // the thread's dictionary must be updated in arrival order, even when decoding waits
    const received = this.decoder.receive(batch, thread);
    if (batch.count === 0) {
      ack();
      return;
    }
    this.queued += batch.count;
    const job: Job = async () => {
      try {
        const base = this.lineBase(unit) ?? 0;
        const info: UnitInfo = {
          file: this.file.get(unit) ?? "",
          originKind: batch.originKind ?? "index",
          lineBase: base,
        };
        await this.decodeBatch(received, info);
      } finally {
        this.queued -= batch.count;
        this.wake();
        ack();
      }
    };
    if (this.lineBase(unit) === undefined) {
      const list = this.deferred.get(unit) ?? [];
      list.push(job);
      this.deferred.set(unit, list);
    } else this.enqueue(job);
  }

  /** A unit is done: its last batch, and (for ranges) its line count, which places the next range's lines. */
  unitDone(unit: number, lastBatch: HitBatch, lines: number, thread: number, ack: () => void = noop): void {
    this.hits(unit, lastBatch, thread, ack);
    this.linesOf.set(unit, lines);
    // later ranges of the file whose line base is now known can be decoded
    for (let next = this.nextRange.get(unit); next !== undefined; next = this.nextRange.get(next)) {
      if (this.lineBase(next) === undefined) break;
      const jobs = this.deferred.get(next);
      if (jobs) {
        this.deferred.delete(next);
        for (const j of jobs) this.enqueue(j);
      }
      if (!this.linesOf.has(next)) break;
    }
  }

  /** A finding made on this thread (a correlation, for example): summarised and passed on like the others. */
  emit(f: Finding): Promise<void> {
    this.received++;
    this.queued++;
    const job: Job = async () => {
      try {
        await this.pass([f]);
      } finally {
        this.queued--;
        this.wake();
      }
    };
    this.enqueue(job);
    return this.tail;
  }

  private enqueue(job: Job): void {
    this.tail = this.tail.then(async () => {
      if (this.failure === undefined) {
        try {
          await job();
        } catch (e) {
          this.failure = e;
        }
      } else await job().catch(() => undefined);
    });
  }

  private async decodeBatch(r: ReceivedBatch, info: UnitInfo): Promise<void> {
    const count = r.batch.count;
    for (let from = 0; from < count; from += SLICE) {
      if (this.failure !== undefined) return;
      const slice: Finding[] = [];
      this.decoder.decode(r, info, from, Math.min(count, from + SLICE), slice);
      if (this.o.observe) for (const f of slice) this.o.observe(f);
      await this.pass(slice);
      // let other work (HTTP requests, worker messages) run between slices
      await yieldToLoop();
    }
  }

  private async pass(slice: Finding[]): Promise<void> {
    const kept: Finding[] = [];
    const { summary, evidence, actors } = this.o;
    for (const found of slice) {
      const f = actors ? actors.mark(found) : found;
      const hit = this.o.suppress?.match(f);
      if (hit) {
        summary.suppressed(hit);
        if (this.o.showSuppressed) kept.push({ ...f, suppressed: hit });
        continue;
      }
      if (this.minRank > 0 && SIGMA_LEVELS.indexOf(f.rule.level) < this.minRank) {
        summary.below();
        continue;
      }
      summary.add(f);
      evidence.add(f);
      kept.push(f);
    }
    if (kept.length > 0) await this.o.sink(kept);
  }

  private wake(): void {
    if (this.queued > BACKLOG_LIMIT) return;
    const w = this.waiters;
    this.waiters = [];
    for (const resolve of w) resolve();
  }

  /** For scans on this thread: a promise while too much is queued (the reader waits on it), else undefined. */
  backPressure(): Promise<void> | undefined {
    if (this.queued <= BACKLOG_LIMIT || this.failure !== undefined) return undefined;
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Waits until everything received is passed on; throws what the sink threw. */
  async idle(): Promise<void> {
    for (;;) {
      const t = this.tail;
      await t;
      if (t === this.tail) break;
    }
    if (this.failure !== undefined) throw this.failure;
    if (this.deferred.size > 0) throw new Error("scan ended with findings of an unfinished range");
  }
}

function noop(): void {}
