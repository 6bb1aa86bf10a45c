// The per-unit scanner shared by worker threads and in-thread scans: reads one file (or one byte range of a
// big JSON Lines file, or a stream), detects its format from the content, splits records, pre-filters them,
// parses candidates and evaluates the candidate rules. Returns compact hits; the caller builds findings.
import { type FileHandle, open, stat } from "node:fs/promises";
import { Readable } from "node:stream";
import { createGunzip, gunzipSync, type ZlibOptions } from "node:zlib";
import type { ErrorCode, Problem, TechtrailError } from "../core/errors.js";
import type { CompiledCorrelation } from "../rules/correlation.js";
import { type CompiledRule, compileSigmaRules, RuleIndex } from "../rules/index.js";
import { type CorrTuple, Tap } from "./correlate.js";
import { type HitBatch, HitEncoder } from "./hits.js";
import type { SkipExample, SkipReason } from "./model.js";
import { type PrefilterPlan, planPrefilter, RecordPrefilter } from "./prefilter.js";
import { EventWindow, type ScanWindow } from "./prune.js";
import type { S3Settings } from "./s3-settings.js";
import { utf8Slice } from "./slices.js";
import { JsonlSplitter, type RecordSink, type Splitter, ValueSplitter } from "./splitters.js";

export type InputFormat = "jsonl" | "records" | "array" | "values" | "empty" | "unknown";

/** A piece of work: a whole file, a byte range of a plain JSON Lines file, or a stream (in-thread only). */
export type ScanUnit =
  | { id: number; kind: "file"; file: string }
  | { id: number; kind: "range"; file: string; start: number; end: number }
  | { id: number; kind: "stream"; file: string; stream?: Readable }
  /** An S3 object (`file` is its s3:// URL), streamed by the thread that scans it (src/scan/s3.ts). */
  | { id: number; kind: "s3"; file: string; bucket: string; key: string; size: number };

export interface UnitResult {
  id: number;
  file: string;
  /** How ordinals read: JSON Lines line numbers, or element indexes. */
  originKind: "line" | "index";
  format: InputFormat;
  /** Matches, dictionary-encoded by the thread's HitEncoder. */
  hits: HitBatch;
  /** Matches that correlations read (those not already sent through UnitHooks.corr). */
  corr: CorrTuple[];
  read: number;
  evaluated: number;
  matchedEvents: number;
  /** Events outside the scan window (not evaluated). */
  outside: number;
  bytes: number;
  /** Lines started in a range unit (to number the lines of the next range). */
  lines: number;
  skipCounts: Partial<Record<SkipReason, number>>;
  examples: SkipExample[];
  /** The whole file was skipped (unreadable, unknown format). */
  fileSkipped: boolean;
  /** Stopped early in strict mode. */
  stopped: boolean;
}

export interface EngineOptions {
  maxRecordBytes: number;
  /** False parses every record (the pre-filter off; for tests and comparisons). */
  prefilter: boolean;
  strict: boolean;
  skipExamples: number;
  /** Events outside it are counted and not evaluated. */
  window?: ScanWindow;
  /** Client settings for S3 units. */
  s3?: S3Settings;
  /** Rule IDs another engine evaluates (scan --engine duckdb): left out here, and out of the pre-filter. */
  skipRules?: string[] | undefined;
}

export interface RuleFile {
  text: string;
  source: string;
}

/** What the main thread needs to know of a compiled rule set (plain data, sent by a worker). */
export interface RuleSetInfo {
  rules: Array<
    Pick<CompiledRule, "id" | "title" | "level" | "catalogRefs" | "attackRefs" | "tacticRefs" | "correlationOnly">
  >;
  /** Correlation and first_seen rules (plain data). */
  correlations: CompiledCorrelation[];
  /** Field paths of each rule's correlation tuples (index = rule position). */
  tapFields: string[][];
  errors: Array<{ code: ErrorCode; message: string; problems: Problem[] }>;
}

export function ruleSetInfo(
  compiled: {
    rules: readonly CompiledRule[];
    correlations: readonly CompiledCorrelation[];
    errors: readonly TechtrailError[];
  },
  tap: Tap = new Tap(compiled.rules, compiled.correlations),
): RuleSetInfo {
  return {
    rules: compiled.rules.map((r) => {
      const info: RuleSetInfo["rules"][number] = {
        id: r.id,
        title: r.title,
        level: r.level,
        catalogRefs: r.catalogRefs,
        attackRefs: r.attackRefs,
        tacticRefs: r.tacticRefs,
      };
      if (r.correlationOnly) info.correlationOnly = true;
      return info;
    }),
    correlations: [...compiled.correlations],
    tapFields: tap.fieldNames,
    errors: compiled.errors.map((e) => ({ code: e.code, message: e.message, problems: e.problems })),
  };
}

/** Compiled rules, their index and the pre-filter plan: read-only, so scans may share them (RuleSetCache). */
export interface CompiledRules {
  rules: readonly CompiledRule[];
  errors: ReturnType<typeof compileSigmaRules>["errors"];
  index: RuleIndex;
  plan: PrefilterPlan;
  position: Map<CompiledRule, number>;
  correlations: readonly CompiledCorrelation[];
}

/** Compiled rules with the state of one scan on one thread. */
export interface EngineRules extends Omit<CompiledRules, "errors"> {
  /** Per-thread encoder of matches (its dictionary spans all units the thread scans). */
  encoder: HitEncoder;
  /** Captures what correlations read from matches (inactive without correlations). */
  tap: Tap;
}

export function compileEngineRules(files: readonly RuleFile[], skipRules?: readonly string[]): CompiledRules {
  const compiled = compileSigmaRules(files);
  const { correlations, errors } = compiled;
  const skip = new Set(skipRules ?? []);
  const rules = skip.size > 0 ? compiled.rules.filter((r) => !skip.has(r.id)) : compiled.rules;
  const texts = new Map(files.map((f) => [f.source, f.text]));
  let plan: PrefilterPlan | undefined;
  return {
    rules,
    errors,
    index: new RuleIndex(rules),
    // built on first use: a main thread that hands all work to workers never needs it
    get plan() {
      plan ??= planPrefilter(rules, texts);
      return plan;
    },
    position: new Map(rules.map((r, i) => [r, i])),
    correlations,
  };
}

/**
 * The state of one scan over shared compiled rules: a new encoder (its dictionary must match the scan's
 * decoder) and a new tap (its first_seen memory must not hide a combination from a later scan).
 */
export function scanState(c: CompiledRules): EngineRules {
  return {
    rules: c.rules,
    index: c.index,
    get plan() {
      return c.plan;
    },
    position: c.position,
    correlations: c.correlations,
    encoder: new HitEncoder(),
    tap: new Tap(c.rules, c.correlations),
  };
}

export function buildEngineRules(
  files: readonly RuleFile[],
  skipRules?: readonly string[],
): EngineRules & { errors: ReturnType<typeof compileSigmaRules>["errors"] } {
  const compiled = compileEngineRules(files, skipRules);
  return Object.assign(scanState(compiled), { errors: compiled.errors });
}

const READ_CHUNK = 1 << 20;
/** Matches handed over in batches of this size during a unit. */
const HIT_BATCH = 16_384;
/** Correlation tuples handed over in batches of this size during a unit. */
const CORR_BATCH = 4096;
const NO_PREFILTER: PrefilterPlan = { enabled: false, byName: new Map(), other: true };
const HEAD_BYTES = 64 * 1024;

class StopScan extends Error {}

/** Thrown by a `wait` hook to end the scan of a unit at once (the caller stops the whole scan). */
export class ScanAborted extends Error {}

const isWs = (c: number | undefined) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

/** Detects the format from the first bytes of (decompressed) content. */
export function detectFormat(head: Buffer): InputFormat {
  let i = 0;
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) i = 3;
  while (i < head.length && isWs(head[i])) i++;
  if (i >= head.length) return "empty";
  const c = head[i];
  if (c === 0x5b) return "array";
  if (c !== 0x7b) return "unknown";
  let j = i + 1;
  while (j < head.length && isWs(head[j])) j++;
  if (head.toString("latin1", j, j + 9) === '"Records"') {
    let k = j + 9;
    while (k < head.length && isWs(head[k])) k++;
    if (head[k] === 0x3a) return "records";
  }
  // JSON Lines if one of the first lines is a whole JSON value on its own; else a stream of (pretty) values.
  let p = i;
  // No newline at all in the head: one long line (compact JSON or a huge first JSON Lines record); the
  // newline splitter handles both, and bounds the memory a huge line takes.
  if (head.indexOf(0x0a, p) < 0) return "jsonl";
  for (let n = 0; n < 5; n++) {
    const nl = head.indexOf(0x0a, p);
    if (nl < 0) break;
    try {
      JSON.parse(head.toString("utf8", p, nl));
      return "jsonl";
    } catch {
      p = nl + 1;
    }
  }
  return "values";
}

export interface UnitHooks {
  /** Called now and then with the events and bytes read since the last call. */
  progress?(events: number, bytes: number): void;
  /** Receives matches in batches while a big unit is scanned, so a thread never holds many of them. */
  hits?(batch: HitBatch): void;
  /** Receives correlation tuples in batches, likewise. */
  corr?(tuples: CorrTuple[]): void;
  /** Called after each chunk read: a returned promise is waited for before reading on (back-pressure). */
  wait?(): Promise<void> | undefined;
}

/** Scans one unit. Never throws for bad input: problems become skip counts and examples. */
export async function scanUnit(
  unit: ScanUnit,
  rules: EngineRules,
  opts: EngineOptions,
  hooks: UnitHooks = {},
): Promise<UnitResult> {
  const res: UnitResult = {
    id: unit.id,
    file: unit.file,
    originKind: "index",
    format: "unknown",
    hits: EMPTY_BATCH,
    corr: [],
    read: 0,
    evaluated: 0,
    matchedEvents: 0,
    outside: 0,
    bytes: 0,
    lines: 0,
    skipCounts: {},
    examples: [],
    fileSkipped: false,
    stopped: false,
  };
  rules.encoder.dropRows();
  rules.tap.take();
  const sink = new EngineSink(res, rules, opts, hooks.hits, hooks.corr);
  let lastRead = 0;
  let lastBytes = 0;
  const tick = () => {
    if (!hooks.progress) return;
    hooks.progress(res.read - lastRead, res.bytes - lastBytes);
    lastRead = res.read;
    lastBytes = res.bytes;
  };
  const pause = hooks.wait ? () => hooks.wait?.() : noPause;
  let fh: FileHandle | undefined;
  try {
    if (unit.kind === "stream") {
      if (!unit.stream) throw new Error("stream unit without a stream");
      await readStream(unit.stream, res, sink, opts, tick, false, pause);
    } else if (unit.kind === "s3") {
      // loaded only for S3 input: a local scan never loads the AWS SDK
      const { openS3Object } = await import("./s3.js");
      let body: Readable;
      try {
        body = await openS3Object(unit, opts.s3);
      } catch (e) {
        sink.fileProblem("unreadable", errText(e));
        return finishUnit(res, rules, tick);
      }
      await readStream(body, res, sink, opts, tick, false, pause);
    } else {
      try {
        // a FIFO or device would block open() or never end: only regular files are read
        if (!(await stat(unit.file)).isFile()) {
          sink.fileProblem("unreadable", "not a regular file");
          return res;
        }
        fh = await open(unit.file, "r");
      } catch (e) {
        sink.fileProblem("unreadable", `cannot open: ${errText(e)}`);
        return res;
      }
      if (unit.kind === "range") await readRange(fh, unit, res, sink, opts, tick, pause);
      else {
        const magic = Buffer.alloc(2);
        const { bytesRead } = await fh.read(magic, 0, 2, 0);
        if (bytesRead === 2 && magic[0] === 0x1f && magic[1] === 0x8b) {
          if (await readSmallGzip(fh, res, sink, opts, tick, pause)) return finishUnit(res, rules, tick);
          await readStream(
            fh.createReadStream({ highWaterMark: READ_CHUNK, autoClose: false }),
            res,
            sink,
            opts,
            tick,
            true,
            pause,
          );
        } else await readPlain(fh, res, sink, opts, tick, pause);
      }
    }
  } catch (e) {
    if (e instanceof ScanAborted) throw e;
    if (e instanceof StopScan) res.stopped = true;
    else {
      try {
        sink.fileProblem("unreadable", `read failed: ${errText(e)}`);
      } catch (stop) {
        if (stop instanceof StopScan) res.stopped = true;
        else throw stop;
      }
    }
  } finally {
    await fh?.close().catch(() => undefined);
  }
  return finishUnit(res, rules, tick);
}

function finishUnit(res: UnitResult, rules: EngineRules, tick: () => void): UnitResult {
  tick();
  res.hits = rules.encoder.take();
  res.corr = rules.tap.take();
  res.hits.originKind = res.originKind;
  return res;
}

type Pause = () => Promise<void> | undefined;
const noPause: Pause = () => undefined;

/** Compressed files up to this size are inflated in one call (the size of CloudTrail's 5-minute files). */
const SMALL_GZIP_BYTES = 4 * 1024 * 1024;
/** ...unless they inflate to more than this (then they are streamed, which bounds memory). */
const SMALL_GZIP_OUT_BYTES = 32 * 1024 * 1024;

/**
 * A small gzip file in one synchronous inflate on this thread: no stream machinery, no wait for the libuv
 * pool; the content goes to the splitter in READ_CHUNK slices with `pause` between them (a scan on a server's
 * main thread lets other work run there). Returns false (nothing consumed) when the file is large,
 * inflates to too much, or is corrupt or truncated: the streaming reader then scans what it can and reports
 * the problem with its position, as before.
 */
async function readSmallGzip(
  fh: FileHandle,
  res: UnitResult,
  sink: EngineSink,
  opts: EngineOptions,
  tick: () => void,
  pause: Pause,
): Promise<boolean> {
  const { size } = await fh.stat();
  if (size > SMALL_GZIP_BYTES) return false;
  const data = Buffer.allocUnsafe(size);
  let got = 0;
  while (got < size) {
    const { bytesRead } = await fh.read(data, got, size - got, got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  let out: Buffer;
  try {
    // gzip's trailer holds the inflated size (of the last member): one output chunk, no concatenation
    const isize = got >= 4 ? data.readUInt32LE(got - 4) : 0;
    const chunkSize = Math.min(SMALL_GZIP_OUT_BYTES, Math.max(64 * 1024, isize + 1024));
    out = gunzipSync(data.subarray(0, got), { maxOutputLength: SMALL_GZIP_OUT_BYTES, chunkSize });
  } catch {
    return false;
  }
  res.bytes += out.length;
  const format = detectFormat(out.subarray(0, HEAD_BYTES));
  res.format = format;
  if (format === "empty" && out.length <= HEAD_BYTES) return true;
  const splitter = splitterFor(format, res, sink, opts);
  if (!splitter) return true;
  for (let at = 0; at < out.length && !splitter.done; at += READ_CHUNK) {
    splitter.push(out.subarray(at, at + READ_CHUNK));
    tick();
    const wait = pause();
    if (wait) await wait;
  }
  finish(splitter, res, sink);
  return true;
}

const EMPTY_BATCH: HitBatch = { rows: new Uint32Array(0), count: 0, idOther: [], timeOther: [], dict: [] };

function errText(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  return err?.code ? `${err.code} ${err.message}` : String(err?.message ?? e);
}

/**
 * The splitter for detected content (an "empty" head may still be followed by values), with the format and
 * origin kind noted in the result; undefined after reporting content that is not JSON.
 */
function splitterFor(
  format: InputFormat,
  res: UnitResult,
  sink: EngineSink,
  opts: EngineOptions,
): Splitter | undefined {
  res.format = format;
  const mode = format === "empty" ? "values" : format;
  let splitter: Splitter;
  if (mode === "jsonl") splitter = new JsonlSplitter(sink, opts.maxRecordBytes);
  else if (mode === "records" || mode === "array" || mode === "values")
    splitter = new ValueSplitter(sink, opts.maxRecordBytes, mode);
  else {
    sink.fileProblem("unknown-format", 'content is not JSON (expected JSON Lines, a JSON array or {"Records": [...]})');
    return undefined;
  }
  res.originKind = format === "jsonl" ? "line" : "index";
  return splitter;
}

/**
 * Reads from `pos` to the end in chunks; the next read runs while the current chunk is processed. Chunks share
 * two buffers, so `onChunk` must not keep references into them (the splitters copy what they keep). Stops
 * when `onChunk` returns false.
 */
async function readAhead(
  fh: FileHandle,
  pos: number,
  onChunk: (chunk: Buffer) => boolean,
  pause: Pause = noPause,
): Promise<void> {
  const bufs = [Buffer.allocUnsafe(READ_CHUNK), Buffer.allocUnsafe(READ_CHUNK)] as const;
  let k = 0;
  let next: Promise<{ bytesRead: number }> = fh.read(bufs[0], 0, READ_CHUNK, pos);
  for (;;) {
    const { bytesRead } = await next;
    if (bytesRead === 0) return;
    const cur = bufs[k] as Buffer;
    pos += bytesRead;
    k ^= 1;
    next = fh.read(bufs[k] as Buffer, 0, READ_CHUNK, pos);
    let more: boolean;
    try {
      more = onChunk(cur.subarray(0, bytesRead));
    } catch (e) {
      await next.catch(() => undefined);
      throw e;
    }
    if (!more) {
      await next.catch(() => undefined);
      return;
    }
    const wait = pause();
    if (wait)
      try {
        await wait;
      } catch (e) {
        await next.catch(() => undefined);
        throw e;
      }
  }
}

async function readPlain(
  fh: FileHandle,
  res: UnitResult,
  sink: EngineSink,
  opts: EngineOptions,
  tick: () => void,
  pause: Pause,
): Promise<void> {
  const first = Buffer.allocUnsafe(HEAD_BYTES);
  const { bytesRead } = await fh.read(first, 0, HEAD_BYTES, 0);
  res.bytes += bytesRead;
  const head = first.subarray(0, bytesRead);
  const format = detectFormat(head);
  res.format = format;
  if (format === "empty" && bytesRead < HEAD_BYTES) return;
  const splitter = splitterFor(format, res, sink, opts);
  if (!splitter) return;
  splitter.push(head);
  tick();
  if (!splitter.done && bytesRead === HEAD_BYTES)
    await readAhead(
      fh,
      bytesRead,
      (chunk) => {
        res.bytes += chunk.length;
        splitter.push(chunk);
        tick();
        return !splitter.done;
      },
      pause,
    );
  finish(splitter, res, sink);
}

/** A byte range of a plain JSON Lines file: lines that start inside [start, end). */
async function readRange(
  fh: FileHandle,
  unit: { start: number; end: number },
  res: UnitResult,
  sink: EngineSink,
  opts: EngineOptions,
  tick: () => void,
  pause: Pause,
): Promise<void> {
  res.format = "jsonl";
  res.originKind = "line";
  const from = unit.start > 0 ? unit.start - 1 : 0;
  const splitter = new JsonlSplitter(sink, opts.maxRecordBytes, {
    startOffset: from,
    skipFirst: unit.start > 0,
    stopAt: unit.end,
  });
  let pos = from;
  await readAhead(
    fh,
    from,
    (chunk) => {
      pos += chunk.length;
      // count only the bytes of our own range, so the total over all ranges is the file size
      res.bytes += Math.max(0, Math.min(pos, unit.end) - Math.max(pos - chunk.length, unit.start));
      splitter.push(chunk);
      tick();
      return !splitter.done;
    },
    pause,
  );
  finish(splitter, res, sink);
  res.lines = splitter.count;
}

/** Gzip files and stdin: detect the format from the first decompressed bytes, then stream. */
async function readStream(
  input: Readable,
  res: UnitResult,
  sink: EngineSink,
  opts: EngineOptions,
  tick: () => void,
  gzippedFile = false,
  pause: Pause = noPause,
): Promise<void> {
  let gzipped = gzippedFile;
  let raw: Readable = input;
  if (!gzippedFile) {
    // stdin: gzip is recognised by its magic bytes in the first chunk
    const it = input[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    const first = await it.next();
    if (first.done) {
      res.format = "empty";
      return;
    }
    const head0 = first.value;
    gzipped = head0.length >= 2 && head0[0] === 0x1f && head0[1] === 0x8b;
    raw = Readable.from(
      (async function* () {
        yield head0;
        for (;;) {
          const n = await it.next();
          if (n.done) return;
          yield n.value;
        }
      })(),
      { objectMode: false },
    );
  }
  let source: AsyncIterable<Buffer> = raw;
  let gunzip: ReturnType<typeof createGunzip> | undefined;
  if (gzipped) {
    // a deep read-ahead lets zlib (on the libuv pool) decompress while this thread splits and matches
    // (zlib streams pass stream options on to Transform; the zlib typings do not list them)
    const options: ZlibOptions & { readableHighWaterMark: number } = {
      chunkSize: 256 * 1024,
      readableHighWaterMark: 4 * 1024 * 1024,
    };
    gunzip = createGunzip(options);
    const gz = gunzip;
    raw.on("error", (e) => gz.destroy(e));
    raw.pipe(gz);
    source = gz;
  }
  let splitter: Splitter | undefined;
  const head: Buffer[] = [];
  let headLen = 0;
  const start = (): boolean => {
    const buf = Buffer.concat(head);
    head.length = 0;
    splitter = splitterFor(detectFormat(buf.subarray(0, HEAD_BYTES)), res, sink, opts);
    if (!splitter) return false;
    splitter.push(buf);
    return true;
  };
  try {
    for await (const chunk of source) {
      const b = chunk as Buffer;
      res.bytes += b.length;
      if (splitter) {
        splitter.push(b);
        if (splitter.done) break;
      } else {
        head.push(b);
        headLen += b.length;
        if (headLen >= HEAD_BYTES && !start()) return;
      }
      tick();
      const wait = pause();
      if (wait) await wait;
    }
  } catch (e) {
    if (e instanceof StopScan || e instanceof ScanAborted) throw e;
    if (splitter === undefined && head.length > 0) start();
    const where = splitter ? ` after ${splitter.count} record(s)` : "";
    const msg = gzipped
      ? `gzip data is truncated or corrupt${where} (${errText(e)})`
      : `read failed${where}: ${errText(e)}`;
    sink.fileProblem(gzipped ? "truncated" : "unreadable", msg);
    return;
  } finally {
    gunzip?.destroy();
  }
  if (!splitter) {
    if (headLen === 0) {
      res.format = "empty";
      return;
    }
    if (!start()) return;
  }
  if (splitter) finish(splitter, res, sink);
}

function finish(splitter: Splitter, res: UnitResult, sink: EngineSink): void {
  const problem = splitter.end();
  if (problem) sink.fileProblem("truncated", problem);
  if (res.originKind === "line") res.lines = splitter.count;
}

/** Receives records from a splitter: pre-filter, parse, validate, evaluate. */
class EngineSink implements RecordSink {
  private readonly prefilter: RecordPrefilter;
  private readonly window: EventWindow | undefined;

  constructor(
    private readonly res: UnitResult,
    private readonly rules: EngineRules,
    private readonly opts: EngineOptions,
    private readonly flush: ((batch: HitBatch) => void) | undefined,
    private readonly flushCorr: ((tuples: CorrTuple[]) => void) | undefined,
  ) {
    this.prefilter = new RecordPrefilter(opts.prefilter ? rules.plan : NO_PREFILTER);
    this.window = opts.window ? new EventWindow(opts.window) : undefined;
  }

  record(buf: Buffer, s: number, e: number, ordinal: number): void {
    const res = this.res;
    res.read++;
    if (!this.prefilter.candidate(buf, s, e)) return;
    let ev: unknown;
    try {
      ev = JSON.parse(utf8Slice(buf, s, e));
    } catch (err) {
      this.skip("not-json", ordinal, `not JSON: ${(err as Error).message}`);
      return;
    }
    if (ev === null || typeof ev !== "object" || Array.isArray(ev)) {
      this.skip(
        "not-cloudtrail",
        ordinal,
        `not a CloudTrail record: a JSON ${Array.isArray(ev) ? "array" : typeof ev}`,
      );
      return;
    }
    const event = ev as Record<string, unknown>;
    const name = event.eventName;
    if (typeof name !== "string" || typeof event.eventSource !== "string") {
      this.skip(
        "not-cloudtrail",
        ordinal,
        `not a CloudTrail record: ${typeof name !== "string" ? "eventName" : "eventSource"} missing or not a string`,
      );
      return;
    }
    if (this.window && !this.window.has(event)) {
      res.outside++;
      return;
    }
    res.evaluated++;
    const candidates = this.rules.index.candidates(name);
    let matched = false;
    const tap = this.rules.tap;
    for (const rule of candidates) {
      if (!rule.match(event)) continue;
      const pos = this.rules.position.get(rule) as number;
      if (tap.wants(pos)) tap.capture(pos, event, ordinal);
      if (rule.correlationOnly) continue;
      matched = true;
      this.rules.encoder.add(pos, ordinal, event);
    }
    if (this.flush && this.rules.encoder.count >= HIT_BATCH) {
      const batch = this.rules.encoder.take();
      batch.originKind = res.originKind;
      this.flush(batch);
    }
    if (this.flushCorr && tap.pending >= CORR_BATCH) this.flushCorr(tap.take());
    if (matched) res.matchedEvents++;
  }

  tooLarge(ordinal: number, bytes: number): void {
    this.res.read++;
    this.skip(
      "too-large",
      ordinal,
      `record of ${bytes} bytes or more exceeds the ${this.opts.maxRecordBytes}-byte limit`,
    );
  }

  skip(reason: SkipReason, ordinal: number, message: string): void {
    const res = this.res;
    res.skipCounts[reason] = (res.skipCounts[reason] ?? 0) + 1;
    if (res.examples.length < this.opts.skipExamples) {
      const ex: SkipExample = { reason, file: res.file, message };
      if (res.originKind === "line") ex.line = ordinal;
      else ex.index = ordinal;
      res.examples.push(ex);
    }
    if (this.opts.strict) throw new StopScan(message);
  }

  /** A problem with the file as a whole (no record location). */
  fileProblem(reason: SkipReason, message: string): void {
    const res = this.res;
    res.skipCounts[reason] = (res.skipCounts[reason] ?? 0) + 1;
    if (reason === "unreadable" || reason === "unknown-format") res.fileSkipped = true;
    if (res.examples.length < this.opts.skipExamples) res.examples.push({ reason, file: res.file, message });
    if (this.opts.strict) throw new StopScan(message);
  }
}
