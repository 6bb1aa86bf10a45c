// Issue 14's speed targets, measured in one run (npm run bench:scan): `techtrail scan` as a user runs it (the
// built CLI, full built-in rule library, findings written as JSON Lines to /dev/null) with each engine, against a
// fixed hand-written DuckDB query with six rule-like predicates over the same input (the peer), on two corpora:
// the synthetic one and the attack-dense one (shared Invictus and Stratus events repeated), each as one JSON Lines
// file and as an S3 delivery tree of .json.gz files. Peak RSS comes from /usr/bin/time (all threads).
import { spawnSync } from "node:child_process";
import { createReadStream, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { readdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { gzipSync } from "node:zlib";

export interface CliRun {
  engine: string;
  /** The engine `auto` picked, with its reason (from the summary). */
  used: string;
  events: number;
  findings: number;
  /** Wall time of the whole command, start-up included. */
  ms: number;
  /** Wall time of the scan itself, as the summary reports it. */
  scanMs: number;
  rssMB: number;
  cpuS: number;
  /** Bytes of the files opened, as stored. */
  stored: number;
}

export interface PeerRun {
  rows: number;
  ms: number;
  rssMB: number;
}

const TIME = "/usr/bin/time";

/** Runs `cmd args` under /usr/bin/time: peak RSS (KiB) and user+system CPU seconds of the whole process. */
function timed(cmd: string, args: string[], env?: NodeJS.ProcessEnv) {
  const haveTime = existsSync(TIME);
  const t0 = performance.now();
  const r = haveTime
    ? spawnSync(TIME, ["-f", "TIMED %M %U %S", cmd, ...args], { encoding: "utf8", maxBuffer: 1 << 26, env })
    : spawnSync(cmd, args, { encoding: "utf8", maxBuffer: 1 << 26, env });
  const ms = performance.now() - t0;
  const m = /TIMED (\d+) ([\d.]+) ([\d.]+)/.exec(r.stderr ?? "");
  return {
    status: r.status,
    stdout: r.stdout ?? "",
    stderr: r.stderr ?? "",
    ms,
    rssMB: m ? Number(m[1]) / 1024 : Number.NaN,
    cpuS: m ? Number(m[2]) + Number(m[3]) : Number.NaN,
  };
}

/** `techtrail scan TARGET --engine ENGINE` from the built CLI, findings as JSON Lines to /dev/null. */
export function runCli(root: string, target: string, engine: string, workers: number, extra: string[] = []): CliRun {
  const summary = join(tmpdir(), `techtrail-bench-summary-${process.pid}.json`);
  rmSync(summary, { force: true });
  const args = [
    join(root, "bin", "techtrail.js"),
    "scan",
    target,
    "--engine",
    engine,
    "--workers",
    String(workers),
    "--format",
    "jsonl",
    "--out",
    "/dev/null",
    "--summary-json",
    summary,
    "--quiet",
    ...extra,
  ];
  const r = timed(process.execPath, args);
  // exit 1 = findings (expected here); anything else is a failed run
  if (r.status !== 0 && r.status !== 1) throw new Error(`scan --engine ${engine} ${target} failed: ${r.stderr}`);
  const s = JSON.parse(readFileSync(summary, "utf8")) as {
    events: { read: number };
    findings: { total: number };
    scanMs: number;
    engine?: { used: string; reason?: string };
    files?: { stored?: number };
  };
  rmSync(summary, { force: true });
  return {
    engine,
    used: s.engine ? `${s.engine.used}${s.engine.reason ? ` (${s.engine.reason})` : ""}` : "js",
    events: s.events.read,
    findings: s.findings.total,
    ms: r.ms,
    scanMs: s.scanMs,
    rssMB: r.rssMB,
    cpuS: r.cpuS,
    stored: s.files?.stored ?? 0,
  };
}

// The peer: what a detection engineer would write by hand for six rules, reading only the columns it needs.
const PEER_COLUMNS: ReadonlyArray<readonly [string, string]> = [
  ...["eventTime", "eventID", "eventSource", "eventName", "awsRegion", "sourceIPAddress", "userAgent", "errorCode"].map(
    (c) => [c, "VARCHAR"] as const,
  ),
  ["userIdentity", "STRUCT(type VARCHAR, arn VARCHAR, accessKeyId VARCHAR)"],
  ["requestParameters", "JSON"],
];
const peerWhere = (e: string) => `
     (${e}eventSource = 'cloudtrail.amazonaws.com' AND ${e}eventName IN ('StopLogging', 'DeleteTrail', 'UpdateTrail'))
  OR (${e}eventSource = 'guardduty.amazonaws.com' AND ${e}eventName IN ('DeleteDetector', 'UpdateDetector'))
  OR (${e}eventName = 'ConsoleLogin' AND ${e}userIdentity.type = 'Root')
  OR (${e}eventSource = 'iam.amazonaws.com' AND ${e}eventName IN ('CreateAccessKey', 'CreateLoginProfile', 'AttachUserPolicy'))
  OR (${e}errorCode IN ('AccessDenied', 'UnauthorizedOperation') AND ${e}eventName ILIKE 'list%')
  OR (${e}eventSource = 's3.amazonaws.com' AND ${e}eventName = 'PutBucketPolicy'
      AND CAST(${e}requestParameters AS VARCHAR) ILIKE '%"Principal":"*"%')`;

/** The peer's SQL over a JSON Lines file or an S3 tree of `{"Records": [...]}` .json.gz files. */
export function peerSql(target: string): string {
  const q = (s: string) => `'${s.replace(/'/g, "''")}'`;
  if (target.endsWith(".jsonl"))
    return `SELECT eventTime, eventID, eventName, sourceIPAddress, userIdentity.arn AS arn
FROM read_json(${q(target)}, format = 'newline_delimited',
               columns = {${PEER_COLUMNS.map(([c, t]) => `${c}: '${t}'`).join(", ")}})
WHERE ${peerWhere("")}`;
  return `WITH r AS (
  SELECT unnest(Records) AS e
  FROM read_json(${q(`${target}/**/*.json.gz`)}, format = 'unstructured', maximum_object_size = 67108864,
                 columns = {Records: 'STRUCT(${PEER_COLUMNS.map(([c, t]) => `${c} ${t}`).join(", ")})[]'}))
SELECT e.eventTime, e.eventID, e.eventName, e.sourceIPAddress, e.userIdentity.arn AS arn FROM r
WHERE ${peerWhere("e.")}`;
}

const PEER_CHILD = `
import { DuckDBInstance } from "@duckdb/node-api";
const sql = process.argv[2];
const db = await DuckDBInstance.create(":memory:", { threads: "2", memory_limit: "1GB" });
const con = await db.connect();
const t0 = performance.now();
const reader = await con.runAndReadAll(sql);
const rows = reader.getRows().length;
process.stdout.write(JSON.stringify({ rows, ms: performance.now() - t0 }) + "\\n");
`;

/** The peer query in its own process (DuckDB on 2 threads, 1 GB memory limit), rows read back into Node. */
export function runPeer(root: string, target: string): PeerRun {
  const child = join(root, ".bench", "peer-child.mjs");
  writeFileSync(child, PEER_CHILD);
  const r = timed(process.execPath, [child, peerSql(target)]);
  if (r.status !== 0) throw new Error(`peer query failed: ${r.stderr}`);
  const out = JSON.parse(r.stdout.trim().split("\n").pop() ?? "{}") as { rows: number; ms: number };
  return { rows: out.rows, ms: out.ms, rssMB: r.rssMB };
}

/**
 * The attack-dense JSON Lines file as an S3 delivery tree: records grouped per account and region, 2,000 to a
 * file, under AWSLogs/<account>/CloudTrail/<region>/<yyyy>/<mm>/<dd>/ of their eventTime.
 */
export async function attackS3Tree(jsonl: string, dir: string): Promise<string> {
  const marker = join(dir, "corpus.json");
  const size = statSync(jsonl).size;
  if (existsSync(marker) && (JSON.parse(readFileSync(marker, "utf8")) as { source: number }).source === size)
    return join(dir, "s3");
  rmSync(dir, { recursive: true, force: true });
  const groups = new Map<string, { account: string; region: string; lines: string[] }>();
  let files = 0;
  const flush = (g: { account: string; region: string; lines: string[] }) => {
    const first = JSON.parse(g.lines[0] as string) as { eventTime?: string };
    const day = String(first.eventTime ?? "1970-01-01T00:00:00Z");
    const sub = join(dir, "s3", "AWSLogs", g.account, "CloudTrail", g.region, ...day.slice(0, 10).split("-"));
    mkdirSync(sub, { recursive: true });
    const stamp = day.replace(/[-:]/g, "").slice(0, 13);
    const name = `${g.account}_CloudTrail_${g.region}_${stamp}Z_${String(files++).padStart(8, "0")}.json.gz`;
    writeFileSync(join(sub, name), gzipSync(`{"Records":[${g.lines.join(",")}]}`));
    g.lines = [];
  };
  for await (const line of createInterface({ input: createReadStream(jsonl), crlfDelay: Number.POSITIVE_INFINITY })) {
    if (!line) continue;
    // the two routing fields sit near the start of each record; a regex avoids parsing it
    const account = /"recipientAccountId":"(\d{12})"/.exec(line)?.[1] ?? "000000000000";
    const region = /"awsRegion":"([a-z0-9-]+)"/.exec(line)?.[1] ?? "us-east-1";
    const key = `${account}/${region}`;
    let g = groups.get(key);
    if (!g) {
      g = { account, region, lines: [] };
      groups.set(key, g);
    }
    g.lines.push(line);
    if (g.lines.length >= 2000) flush(g);
  }
  for (const g of groups.values()) if (g.lines.length > 0) flush(g);
  writeFileSync(marker, JSON.stringify({ source: size, files }));
  return join(dir, "s3");
}

/** Total size and count of the .json.gz files under a tree. */
export async function treeBytes(dir: string): Promise<{ files: number; bytes: number; days: Set<string> }> {
  const out = { files: 0, bytes: 0, days: new Set<string>() };
  for (const e of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!e.isFile() || !e.name.endsWith(".json.gz")) continue;
    out.files++;
    const p = join(e.parentPath, e.name);
    out.bytes += statSync(p).size;
    const m = /\/(\d{4})\/(\d{2})\/(\d{2})$/.exec(e.parentPath);
    if (m) out.days.add(`${m[1]}-${m[2]}-${m[3]}`);
  }
  return out;
}
