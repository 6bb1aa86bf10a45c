// Detector files: recognising them from their content (never their name) and reading every finding in them
// with its location. JSON inputs may be a single finding, an array, JSON Lines, the GuardDuty/Security Hub API
// output ({"Findings": [...]}), EventBridge events (GuardDuty Finding, Security Hub Findings - Imported) or the
// GuardDuty S3 export (JSON Lines in .jsonl.gz); gzip is undone first. Parquet files are read as OCSF.
// Detector files are small, so each is read whole on the calling thread. Standard input is told and read
// the same way: its head is looked at without losing it (sniffDetectorStream).
import { createReadStream } from "node:fs";
import { open, stat } from "node:fs/promises";
import { Readable } from "node:stream";
import { createGunzip, inflateRawSync } from "node:zlib";
import { looksLikeAsff, readAsffFinding } from "./asff.js";
import { isObj, type Json } from "./fields.js";
import { looksLikeGuardDuty, type ReadOutcome, readGuardDutyFinding } from "./guardduty.js";
import type { DetectorFinding, DetectorOrigin, DetectorProblem } from "./model.js";
import { readOcsfFinding } from "./ocsf.js";

export type DetectorFileKind = "json" | "parquet";

/** Decompressed size above which a detector file is refused (they are small; this bounds a gzip bomb). */
export const MAX_DETECTOR_BYTES = 256 * 1024 * 1024;

const PARQUET_MAGIC = Buffer.from("PAR1");
const CLOUDTRAIL_MARK = /"eventVersion"\s*:|"eventSource"\s*:\s*"[a-z0-9.-]+\.amazonaws\.com"/;
const DETECTOR_MARKS = [
  /"detail-type"\s*:\s*"(?:GuardDuty Finding|Security Hub Findings - Imported)"/,
  /"[sS]erviceName"\s*:\s*"guardduty"/,
  /"SchemaVersion"\s*:\s*"2018-10-08"/,
  /"ProductArn"\s*:\s*"arn:[^"]*:securityhub:/,
  /"class_uid"\s*:\s*200[14]\b/,
  /"[sS]chemaVersion"\s*:\s*"[^"]*"\s*,\s*"[aA]ccountId"\s*:/,
];

/**
 * What a file's first bytes (gzip already undone) say: Parquet, a detector's JSON, or undefined (CloudTrail or
 * anything else, left to the CloudTrail reader). In JSON the first mark wins: CloudTrail records open with
 * eventVersion, detector findings never carry it.
 */
export function sniffDetectorHead(head: Buffer): DetectorFileKind | undefined {
  if (head.length >= 4 && head.subarray(0, 4).equals(PARQUET_MAGIC)) return "parquet";
  let i = 0;
  while (i < head.length && (head[i] === 0x20 || head[i] === 0x0a || head[i] === 0x0d || head[i] === 0x09)) i++;
  if (head[i] !== 0x7b && head[i] !== 0x5b) return undefined; // not JSON
  const text = head.toString("utf8");
  const ct = text.search(CLOUDTRAIL_MARK);
  let first = -1;
  for (const m of DETECTOR_MARKS) {
    const k = text.search(m);
    if (k >= 0 && (first < 0 || k < first)) first = k;
  }
  if (first < 0) return undefined;
  return ct < 0 || first < ct ? "json" : undefined;
}

/** The first bytes of a gzip member, decompressed as far as they go (a cut stream is fine here). */
function gunzipHead(buf: Buffer): Buffer {
  // skip the gzip header (RFC 1952) and inflate the raw deflate data that is there
  if (buf.length < 18) return Buffer.alloc(0);
  const flags = buf[3] ?? 0;
  let p = 10;
  if (flags & 4) p += 2 + (buf.readUInt16LE(p) || 0);
  if (flags & 8) while (p < buf.length && buf[p++] !== 0);
  if (flags & 16) while (p < buf.length && buf[p++] !== 0);
  if (flags & 2) p += 2;
  try {
    return inflateRawSync(buf.subarray(p), { finishFlush: 2 /* Z_SYNC_FLUSH: keep what a cut stream gives */ });
  } catch {
    return Buffer.alloc(0);
  }
}

/** The first look at an input's start; JSON still undecided then is looked at up to SNIFF_MAX. */
const SNIFF_FIRST = 16 * 1024;

/**
 * What the first `raw` bytes of an input (gzip or plain) say; "more" when they filled a look shorter than
 * SNIFF_MAX and are JSON with no mark yet (a finding with a big resource block before its service block).
 */
function judgeHead(raw: Buffer, filled: boolean): DetectorFileKind | "more" | undefined {
  const head = raw[0] === 0x1f && raw[1] === 0x8b ? gunzipHead(raw) : raw;
  const kind = sniffDetectorHead(head);
  return kind === undefined && filled && raw.length < SNIFF_MAX && undecided(head) ? "more" : kind;
}

/** Reads a file's head (up to `bytes`) and says whether it is a detector file. Errors mean "not one". */
export async function sniffDetectorFile(path: string, bytes = SNIFF_FIRST): Promise<DetectorFileKind | undefined> {
  let head: Buffer;
  let full = false;
  try {
    // only regular files: opening a FIFO or a device would block or never end
    if (!(await stat(path)).isFile()) return undefined;
    const fh = await open(path, "r");
    try {
      const buf = Buffer.alloc(bytes);
      const { bytesRead } = await fh.read(buf, 0, bytes, 0);
      head = buf.subarray(0, bytesRead);
      full = bytesRead === bytes;
    } finally {
      await fh.close();
    }
  } catch {
    return undefined; // the CloudTrail reader reports it as unreadable
  }
  const kind = judgeHead(head, full);
  return kind === "more" ? sniffDetectorFile(path, SNIFF_MAX) : kind;
}

/** A stream told as a file is, and the same stream whole again (its head first) for whichever reader takes it. */
export interface SniffedStream {
  kind: DetectorFileKind | undefined;
  /** Every byte of the input, the head included; destroying it releases the input. */
  stream: Readable;
}

/**
 * Tells a stream (standard input) as sniffDetectorFile tells a file, from the same first bytes, and holds at
 * most those (SNIFF_MAX): the rest is left in the input until the returned stream is read. A read error
 * means "not a detector stream", and is given again by the returned stream, for the CloudTrail reader.
 */
export async function sniffDetectorStream(input: Readable): Promise<SniffedStream> {
  const it = input[Symbol.asyncIterator]() as AsyncIterator<Buffer | string>;
  const head: Buffer[] = [];
  let len = 0;
  let ended = false;
  let failure: unknown;
  const fill = async (bytes: number) => {
    try {
      while (len < bytes && !ended) {
        const r = await it.next();
        if (r.done) ended = true;
        else {
          const b = Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value);
          head.push(b);
          len += b.length;
        }
      }
    } catch (e) {
      failure = e;
      ended = true;
    }
  };
  const look = async (bytes: number) => {
    await fill(bytes);
    const raw = Buffer.concat(head);
    return failure === undefined ? judgeHead(raw.subarray(0, bytes), raw.length >= bytes) : undefined;
  };
  let kind = await look(SNIFF_FIRST);
  if (kind === "more") kind = (await look(SNIFF_MAX)) as DetectorFileKind | undefined;
  const stream = Readable.from(
    (async function* () {
      for (let b = head.shift(); b !== undefined; b = head.shift()) yield b;
      if (failure !== undefined) throw failure;
      while (!ended) {
        const r = await it.next();
        if (r.done) return;
        yield r.value;
      }
    })(),
    { objectMode: false },
  );
  // a stream given up unread (a scan stopped earlier) lets go of the input too
  stream.once("close", () => void it.return?.());
  return { kind, stream };
}

/** The most read from a file's start to tell a detector file. */
const SNIFF_MAX = 256 * 1024;

/** JSON whose head shows neither a CloudTrail nor a detector mark. */
function undecided(head: Buffer): boolean {
  const text = head.toString("utf8");
  return /^\s*[[{]/.test(text) && !CLOUDTRAIL_MARK.test(text) && !DETECTOR_MARKS.some((m) => m.test(text));
}

export interface ReadFinding {
  finding: DetectorFinding;
  origin: DetectorOrigin;
}

export interface DetectorFileRead {
  findings: ReadFinding[];
  problems: DetectorProblem[];
  /** Findings met (read or skipped for a problem). */
  read: number;
}

function problemAt(origin: DetectorOrigin, o: Extract<ReadOutcome, { ok: false }>): DetectorProblem {
  return { ...origin, reason: o.reason, ...(o.field !== undefined ? { field: o.field } : {}), message: o.message };
}

/** Which reader takes a parsed finding object. */
function readOne(v: Json): ReadOutcome | undefined {
  if (typeof v.class_uid === "number" || typeof v.class_uid === "bigint") return readOcsfFinding(v);
  if (looksLikeAsff(v)) return readAsffFinding(v);
  if (looksLikeGuardDuty(v)) return readGuardDutyFinding(v);
  return undefined;
}

/** Every finding in one parsed JSON value: unwraps API output, arrays and EventBridge events. */
function collect(v: unknown, origin: DetectorOrigin, out: DetectorFileRead): void {
  if (Array.isArray(v)) {
    v.forEach((x, i) => {
      collect(x, { ...origin, index: i }, out);
    });
    return;
  }
  if (!isObj(v)) {
    out.read++;
    out.problems.push({ ...origin, reason: "unrecognized", message: "not a JSON object" });
    return;
  }
  const detailType = v["detail-type"];
  if (typeof detailType === "string" && isObj(v.detail)) {
    const inner = detailType === "GuardDuty Finding" ? v.detail : v.detail.findings;
    if (isObj(inner) || Array.isArray(inner)) {
      collect(inner, origin, out);
      return;
    }
  }
  if (Array.isArray(v.Findings) && !("Id" in v)) {
    collect(v.Findings, origin, out);
    return;
  }
  out.read++;
  const res = readOne(v);
  if (!res) {
    out.problems.push({
      ...origin,
      reason: "unrecognized",
      message: "not a GuardDuty, ASFF or OCSF finding (no schema version, product or class the readers know)",
    });
    return;
  }
  if (res.ok) out.findings.push({ finding: res.finding, origin });
  else out.problems.push(problemAt(origin, res));
}

/** Reads a JSON detector file (single value, array, JSON Lines; gzip or plain). */
export function readDetectorJson(text: string, file: string): DetectorFileRead {
  const out: DetectorFileRead = { findings: [], problems: [], read: 0 };
  let whole: unknown;
  let parsed = false;
  try {
    whole = JSON.parse(text);
    parsed = true;
  } catch {
    // JSON Lines: one value per line
  }
  if (parsed) {
    collect(whole, { file }, out);
    return out;
  }
  const lines = text.split("\n");
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (line === "") return;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch (e) {
      out.read++;
      out.problems.push({ file, line: i + 1, reason: "not-json", message: `not JSON: ${(e as Error).message}` });
      return;
    }
    collect(v, { file, line: i + 1 }, out);
  });
  return out;
}

/**
 * Reads an OCSF Parquet file (Security Lake) row by row; a file without OCSF columns is one problem. `data`:
 * the file's bytes when they come from a stream (standard input), else the file is read where it is.
 */
export async function readDetectorParquet(file: string, data?: Buffer): Promise<DetectorFileRead> {
  const out: DetectorFileRead = { findings: [], problems: [], read: 0 };
  // loaded only when a Parquet file is met
  const { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects, parquetSchema } = await import("hyparquet");
  let rows: Record<string, unknown>[];
  try {
    const buffer = data
      ? (data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer)
      : await asyncBufferFromFile(file);
    const metadata = await parquetMetadataAsync(buffer);
    const columns = parquetSchema(metadata).children.map((c) => c.element.name);
    if (!columns.includes("class_uid")) {
      out.problems.push({
        file,
        reason: "not-ocsf",
        field: "class_uid",
        message: `Parquet file without the OCSF class_uid column (columns: ${columns.slice(0, 8).join(", ")}${columns.length > 8 ? ", ..." : ""})`,
      });
      return out;
    }
    const { compressors } = await import("hyparquet-compressors");
    rows = await parquetReadObjects({ file: buffer, metadata, compressors });
  } catch (e) {
    out.problems.push({ file, reason: "not-ocsf", message: `cannot read as Parquet: ${(e as Error).message}` });
    return out;
  }
  rows.forEach((row, i) => {
    out.read++;
    const res = readOcsfFinding(row);
    if (res.ok) out.findings.push({ finding: res.finding, origin: { file, row: i } });
    else out.problems.push(problemAt({ file, row: i }, res));
  });
  return out;
}

/** Reads a detector file of the given kind; an unreadable file is a problem, never an exception. */
export async function readDetectorFile(file: string, kind: DetectorFileKind): Promise<DetectorFileRead> {
  // Parquet is read by ranges where it lies; JSON whole, as a stream is
  return kind === "parquet" ? readDetectorParquet(file) : readDetectorStream(createReadStream(file), file, kind);
}

/**
 * Reads detector input from a stream (standard input, or a JSON file opened as one): whole, gzip undone,
 * refused past `maxBytes` (MAX_DETECTOR_BYTES) with a problem naming the line reached. Errors are problems.
 */
export async function readDetectorStream(
  input: Readable,
  file: string,
  kind: DetectorFileKind,
  maxBytes = MAX_DETECTOR_BYTES,
): Promise<DetectorFileRead> {
  const got = await readBounded(input, file, kind, maxBytes);
  if (!Buffer.isBuffer(got)) return { findings: [], problems: [got], read: 0 };
  return kind === "parquet" ? readDetectorParquet(file, got) : readDetectorJson(got.toString("utf8"), file);
}

/** All of a stream, gzip undone (told from its first bytes), or the problem that stopped it. */
async function readBounded(
  input: Readable,
  file: string,
  kind: DetectorFileKind,
  maxBytes: number,
): Promise<Buffer | DetectorProblem> {
  const chunks: Buffer[] = [];
  let size = 0;
  let gzipped = false;
  let gunzip: ReturnType<typeof createGunzip> | undefined;
  const raw = input[Symbol.asyncIterator]() as AsyncIterator<Buffer | string>;
  try {
    const first = await raw.next();
    if (first.done) return Buffer.alloc(0);
    const b0 = Buffer.isBuffer(first.value) ? first.value : Buffer.from(first.value);
    gzipped = b0[0] === 0x1f && b0[1] === 0x8b;
    const rest = Readable.from(
      (async function* () {
        yield b0;
        for (let r = await raw.next(); !r.done; r = await raw.next()) yield r.value;
      })(),
      { objectMode: false },
    );
    let source: AsyncIterable<Buffer> = rest;
    if (gzipped) {
      const gz = createGunzip({ chunkSize: 256 * 1024 });
      gunzip = gz;
      rest.on("error", (e) => gz.destroy(e));
      rest.pipe(gz);
      source = gz;
    }
    for await (const chunk of source) {
      const b = chunk as Buffer;
      if (size + b.length > maxBytes) {
        // the line reached at the limit (counted only now: a well-formed input never pays for it)
        chunks.push(b.subarray(0, maxBytes - size));
        const where = kind === "json" ? { line: chunks.reduce((n, c) => n + countLines(c), 1) } : {};
        const limit = maxBytes % 1048576 === 0 ? `${maxBytes / 1048576} MiB` : `${maxBytes} bytes`;
        return {
          file,
          ...where,
          reason: "too-large",
          message: `more than ${limit}${gzipped ? " once decompressed" : ""}: detector input is read whole, and larger input is refused`,
        };
      }
      size += b.length;
      chunks.push(b);
    }
  } catch (e) {
    return { file, reason: "unreadable", message: `cannot read: ${(e as Error).message}` };
  } finally {
    gunzip?.destroy();
    void raw.return?.();
  }
  return Buffer.concat(chunks, size);
}

function countLines(b: Buffer): number {
  let n = 0;
  // a plain loop: indexOf per line is slow on input made of little else (a gzip bomb of newlines)
  for (let i = 0; i < b.length; i++) if (b[i] === 0x0a) n++;
  return n;
}
