// Detector files: recognising them from their content (never their name) and reading every finding in them
// with its location. JSON inputs may be a single finding, an array, JSON Lines, the GuardDuty/Security Hub API
// output ({"Findings": [...]}), EventBridge events (GuardDuty Finding, Security Hub Findings - Imported) or the
// GuardDuty S3 export (JSON Lines in .jsonl.gz); gzip is undone first. Parquet files are read as OCSF.
// Detector files are small, so each is read whole on the calling thread.
import { open, readFile, stat } from "node:fs/promises";
import { gunzipSync, inflateRawSync } from "node:zlib";
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

/** Reads a file's head (up to `bytes`) and says whether it is a detector file. Errors mean "not one". */
export async function sniffDetectorFile(path: string, bytes = 16 * 1024): Promise<DetectorFileKind | undefined> {
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
  if (head[0] === 0x1f && head[1] === 0x8b) head = gunzipHead(head);
  const kind = sniffDetectorHead(head);
  // JSON with no mark yet (a finding with a big resource block before its service block): look further once
  if (kind === undefined && full && bytes < SNIFF_MAX && undecided(head)) return sniffDetectorFile(path, SNIFF_MAX);
  return kind;
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

/** Reads an OCSF Parquet file (Security Lake) row by row; a file without OCSF columns is one problem. */
export async function readDetectorParquet(file: string): Promise<DetectorFileRead> {
  const out: DetectorFileRead = { findings: [], problems: [], read: 0 };
  // loaded only when a Parquet file is met
  const { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects, parquetSchema } = await import("hyparquet");
  let rows: Record<string, unknown>[];
  try {
    const buffer = await asyncBufferFromFile(file);
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
  if (kind === "parquet") return readDetectorParquet(file);
  let buf: Buffer;
  try {
    buf = await readFile(file);
    if (buf[0] === 0x1f && buf[1] === 0x8b) buf = gunzipSync(buf, { maxOutputLength: MAX_DETECTOR_BYTES });
  } catch (e) {
    return {
      findings: [],
      problems: [{ file, reason: "unreadable", message: `cannot read: ${(e as Error).message}` }],
      read: 0,
    };
  }
  return readDetectorJson(buf.toString("utf8"), file);
}
