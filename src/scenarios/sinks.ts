// Where a generated corpus goes: the S3 delivery tree CloudTrail writes (one gzip file of {"Records":[...]} per
// account, region and 5-minute period) or one JSON Lines file. Both write synchronously in large chunks: the
// generator is CPU-bound and a sink that yields per record would dominate its cost.
import { closeSync, mkdirSync, openSync, renameSync, writeSync } from "node:fs";
import { dirname, join } from "node:path";
import { gzipSync } from "node:zlib";
import type { CorpusSink, PeriodBatch } from "./generate.js";
import { Rng } from "./random.js";

const CHUNK = 4 * 1024 * 1024;

/**
 * One JSON Lines file, written to `<file>.partial` and renamed into place when complete. Each batch is joined
 * once and encoded straight into a reused buffer, which is written when nearly full.
 */
export class JsonLinesSink implements CorpusSink {
  private fd = -1;
  private buf = Buffer.allocUnsafe(CHUNK * 2);
  private used = 0;
  constructor(readonly file: string) {}

  open(): void {
    mkdirSync(dirname(this.file), { recursive: true });
    this.fd = openSync(`${this.file}.partial`, "w");
  }

  write(batch: PeriodBatch): void {
    // record by record: one big joined string per batch would land in the large-object space, which only full
    // garbage collections free, and cost far more than the copies it saves. Records are ASCII (the generator
    // escapes anything else), so latin1 is their exact encoding and skips UTF-8's work.
    let buf = this.buf;
    let used = this.used;
    for (const r of batch.records) {
      if (used + r.length + 1 > buf.length) {
        this.used = used;
        this.flush();
        used = 0;
        if (r.length + 1 > buf.length) {
          buf = Buffer.allocUnsafe(r.length + 1);
          this.buf = buf;
        }
      }
      used += buf.write(r, used, "latin1");
      buf[used++] = 10;
    }
    this.used = used;
    if (used >= CHUNK) this.flush();
  }

  private flush(): void {
    let off = 0;
    while (off < this.used) off += writeSync(this.fd, this.buf, off, this.used - off);
    this.used = 0;
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
    renameSync(`${this.file}.partial`, this.file);
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

  write(batch: PeriodBatch): void {
    const groups = new Map<number, string[]>();
    for (let i = 0; i < batch.records.length; i++) {
      const key = (batch.accountIndex[i] as number) * 1024 + (batch.regionIndex[i] as number);
      let g = groups.get(key);
      if (!g) {
        g = [];
        groups.set(key, g);
      }
      g.push(batch.records[i] as string);
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
      const body = gzipSync(`{"Records":[${(groups.get(key) as string[]).join(",")}]}`, { level: this.level });
      const fd = openSync(join(dir, `${account}_CloudTrail_${region}_${stamp}_${suffix}.json.gz`), "w");
      writeSync(fd, body);
      closeSync(fd);
      this.files++;
    }
  }
}

/** Counts records and bytes, writes nothing (benchmarks of the generator itself). */
export class CountingSink implements CorpusSink {
  records = 0;
  bytes = 0;
  write(batch: PeriodBatch): void {
    this.records += batch.records.length;
    for (const r of batch.records) this.bytes += r.length + 1;
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
