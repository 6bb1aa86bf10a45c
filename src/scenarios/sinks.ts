// Where a generated corpus goes: the S3 delivery tree CloudTrail writes (one gzip file of {"Records":[...]} per
// account, region and 5-minute period) or one JSON Lines file. Batches arrive as the bytes of JSON Lines, so the
// JSON Lines sink writes them as they are and the S3 sink only cuts and joins them; gzip runs on libuv's thread
// pool, in parallel with generation.
import { closeSync, mkdirSync, openSync, renameSync, writeSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Writable } from "node:stream";
import { gzip } from "node:zlib";
import { TechtrailError } from "../core/errors.js";
import type { CorpusSink } from "./generate.js";
import { Rng } from "./random.js";
import type { PeriodBatch } from "./render.js";

const CHUNK = 4 * 1024 * 1024;

/** Writes all of `bytes` to `fd` (writeSync may write less than asked). */
function writeAll(fd: number, bytes: Uint8Array): void {
  let off = 0;
  while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
}

/**
 * One JSON Lines file, written to `<file>.partial` and renamed into place when complete. Large batches are
 * written as they come; small ones are gathered into a buffer first, to keep system calls few.
 */
export class JsonLinesSink implements CorpusSink {
  private fd = -1;
  private readonly buf = Buffer.allocUnsafe(CHUNK);
  private used = 0;
  constructor(readonly file: string) {}

  open(): void {
    mkdirSync(dirname(this.file), { recursive: true });
    this.fd = openSync(`${this.file}.partial`, "w");
  }

  write(batch: PeriodBatch): void {
    const bytes = batch.bytes;
    if (this.used + bytes.length > this.buf.length) this.flush();
    if (bytes.length >= this.buf.length >> 2) writeAll(this.fd, bytes);
    else {
      this.buf.set(bytes, this.used);
      this.used += bytes.length;
    }
  }

  private flush(): void {
    writeAll(this.fd, this.buf.subarray(0, this.used));
    this.used = 0;
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
    renameSync(`${this.file}.partial`, this.file);
  }
}

/**
 * JSON Lines to a stream (standard output, a pipe into another program): each batch is handed to the stream and
 * the generator waits until the stream has taken it, since the batch's bytes are reused afterwards. A reader that
 * goes away (EPIPE) ends the generation with an IO error rather than a crash.
 */
export class StreamSink implements CorpusSink {
  bytes = 0;
  constructor(readonly stream: Writable) {}

  write(batch: PeriodBatch): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.stream.write(batch.bytes, (err) => {
        if (!err) {
          this.bytes += batch.bytes.length;
          resolve();
        } else
          reject(
            new TechtrailError(
              "IO",
              (err as NodeJS.ErrnoException).code === "EPIPE"
                ? "the program reading the generated JSON Lines stopped reading"
                : `writing the generated JSON Lines failed: ${err.message}`,
            ),
          );
      });
    });
  }
}

/**
 * The S3 delivery layout: AWSLogs/<account>/CloudTrail/<region>/yyyy/mm/dd/
 * <account>_CloudTrail_<region>_<yyyymmddThhmmZ>_<16 characters>.json.gz, stamped with the period's end (when
 * CloudTrail would deliver it); the random part is drawn from the seed so names are reproducible.
 */
export class S3TreeSink implements CorpusSink {
  private accounts: readonly string[] = [];
  private regions: readonly string[] = [];
  private readonly made = new Set<string>();
  /** Batches of one period per account and region so far: a later batch of the same period gets its own file. */
  private readonly seen = new Map<string, number>();
  files = 0;
  constructor(
    readonly root: string,
    readonly seed: number,
    readonly level = 6,
  ) {}

  open(accounts: readonly string[], regions: readonly string[]): void {
    this.accounts = accounts;
    this.regions = regions;
  }

  private readonly pending = new Set<Promise<void>>();
  private failure: Error | undefined;

  async write(batch: PeriodBatch): Promise<void> {
    // record i of the batch spans [from[i], ends[i]); group the indexes by account and region
    const groups = new Map<number, number[]>();
    for (let i = 0; i < batch.count; i++) {
      const key = (batch.accountIndex[i] as number) * 1024 + (batch.regionIndex[i] as number);
      let g = groups.get(key);
      if (!g) {
        g = [];
        groups.set(key, g);
      }
      g.push(i);
    }
    const delivered = new Date(batch.start + 300_000).toISOString();
    const ymd = delivered.slice(0, 10).split("-");
    const stamp = `${delivered.slice(0, 4)}${delivered.slice(5, 7)}${delivered.slice(8, 10)}T${delivered.slice(11, 13)}${delivered.slice(14, 16)}Z`;
    for (const key of [...groups.keys()].sort((a, b) => a - b)) {
      const account = this.accounts[Math.floor(key / 1024)] as string;
      const region = this.regions[key % 1024] as string;
      const dir = join(this.root, "AWSLogs", account, "CloudTrail", region, ...ymd);
      if (!this.made.has(dir)) {
        mkdirSync(dir, { recursive: true });
        this.made.add(dir);
      }
      const label = `file:${account}:${region}:${batch.start}`;
      const n = this.seen.get(label) ?? 0;
      this.seen.set(label, n + 1);
      // (the first file of a period keeps the name it always had; the same seed still gives the same tree)
      const suffix = new Rng(this.seed, n === 0 ? label : `${label}:${n}`).alnum(16);
      const body = recordsDocument(batch, groups.get(key) as number[]);
      const file = join(dir, `${account}_CloudTrail_${region}_${stamp}_${suffix}.json.gz`);
      const job: Promise<void> = new Promise<void>((resolve) => {
        gzip(body, { level: this.level }, (err, gz) => {
          try {
            if (err) throw err;
            const fd = openSync(file, "w");
            try {
              writeAll(fd, gz);
            } finally {
              closeSync(fd);
            }
            this.files++;
          } catch (e) {
            this.failure ??= e as Error;
          }
          this.pending.delete(job);
          resolve();
        });
      });
      this.pending.add(job);
      // bounded: a fast generator must not queue the whole corpus in memory
      while (this.pending.size >= 16) await Promise.race(this.pending);
      if (this.failure) throw this.failure;
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.pending);
    if (this.failure) throw this.failure;
  }
}

/** `{"Records":[...]}` of the batch's records at `indexes`, as bytes. */
function recordsDocument(batch: PeriodBatch, indexes: number[]): Buffer {
  const head = '{"Records":[';
  let size = head.length + 2 + indexes.length;
  for (const i of indexes) size += (batch.ends[i] as number) - (i > 0 ? (batch.ends[i - 1] as number) + 1 : 0);
  const out = Buffer.allocUnsafe(size);
  let off = out.write(head, 0, "latin1");
  indexes.forEach((i, k) => {
    if (k > 0) out[off++] = 44; // ,
    const from = i > 0 ? (batch.ends[i - 1] as number) + 1 : 0;
    out.set(batch.bytes.subarray(from, batch.ends[i] as number), off);
    off += (batch.ends[i] as number) - from;
  });
  out[off++] = 93; // ]
  out[off++] = 125; // }
  return out.subarray(0, off);
}

/** Counts records and bytes, writes nothing (benchmarks of the generator itself). */
export class CountingSink implements CorpusSink {
  records = 0;
  bytes = 0;
  write(batch: PeriodBatch): void {
    this.records += batch.count;
    this.bytes += batch.bytes.length;
  }
}

/** Hands every batch to several sinks (one generation, several formats). */
export class TeeSink implements CorpusSink {
  constructor(readonly sinks: CorpusSink[]) {}
  async open(accounts: readonly string[], regions: readonly string[]): Promise<void> {
    for (const s of this.sinks) await s.open?.(accounts, regions);
  }
  async write(batch: PeriodBatch): Promise<void> {
    for (const s of this.sinks) await s.write(batch);
  }
  async close(): Promise<void> {
    for (const s of this.sinks) await s.close?.();
  }
}
