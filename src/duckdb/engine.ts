// `scan --engine duckdb|auto`: the rules DuckDB SQL can express run in embedded DuckDB over the input files
// (JSON Lines, JSON arrays, CloudTrail `{"Records": [...]}` delivery files, gzipped or not) in one pass: the
// files are read once with read_json, only the top-level keys the rules and findings use, as JSON columns;
// every rule's predicate is evaluated on each record in that pass and only matched records come back, with
// the keys findings need. Matches of rules that correlations read become correlation tuples for the scan's
// own correlation run (the stateful correlator of the JS engine), so correlation findings are the same in
// both engines. The JS engine runs only the rules SQL cannot express (and then reads the input too).
import { createReadStream } from "node:fs";
import { type FileHandle, mkdtemp, open, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createGunzip } from "node:zlib";
import { TechtrailError } from "../core/errors.js";
import { neededFields } from "../rules/correlation-fields.js";
import { type CompiledRule, compileSigmaRules } from "../rules/index.js";
import { Tap } from "../scan/correlate.js";
import { detectFormat, type InputFormat } from "../scan/engine.js";
import type { EngineInfo, Finding, SkipExample } from "../scan/model.js";
import { type ExternalEngine, type ExternalRun, originKey } from "../scan/scan.js";
import {
  duckdbColumnFields,
  type FieldLists,
  fieldsOf,
  type ListVariant,
  ruleCondition,
  ruleIR,
  sqlString,
  Unsupported,
} from "../sql/index.js";

export const ENGINES = ["js", "duckdb", "auto"] as const;
export type EngineChoice = (typeof ENGINES)[number];

/** DuckDB's memory limit (it spills to a temporary folder beyond it). */
export const DUCKDB_MEMORY_LIMIT = "1GB";
/** DuckDB's worker threads. */
export const DUCKDB_THREADS = 2;
/**
 * `auto` picks DuckDB from this much input on. Measured with the full rule library on this project's 2-core
 * machine (docs/sql.md, "auto"), the JS engine was faster at every size, and DuckDB's lag grew with size (1.3x
 * on 3,000 events, 9x on 1,000,000): there is no size from which DuckDB pays, so `auto` keeps JS. Tests and
 * callers may set `autoMinBytes` to a size.
 */
export const AUTO_MIN_BYTES = Number.POSITIVE_INFINITY;
/** Largest JSON document DuckDB reads whole (a delivery file's `Records` array is one document). */
const MAX_DOCUMENT_BYTES = 64 * 1024 * 1024;

/**
 * Room for the largest whole document of these files (DuckDB holds buffers of this size per file it reads at
 * once): a plain file's size, a gzipped file's at a generous JSON compression ratio, at most MAX_DOCUMENT_BYTES.
 */
function documentBytes(files: readonly InputSpec[]): number {
  const need = Math.max(...files.map((f) => (f.gzip ? f.size * 25 : f.size) + 1024));
  return Math.min(MAX_DOCUMENT_BYTES, Math.max(1 << 20, need));
}

export interface DuckDbEngineOptions {
  requested: "duckdb" | "auto";
  memoryLimit?: string;
  threads?: number;
  /** Records longer than this are not evaluated (the JS engine skips them as too-large). */
  maxRecordBytes?: number;
  /** `auto` threshold (tests lower it). */
  autoMinBytes?: number;
}

interface InputSpec {
  path: string;
  format: InputFormat;
  gzip: boolean;
  size: number;
}

/** Bytes of (inflated) content a file's format is told from: as much as the JS engine looks at. */
const SNIFF_BYTES = 64 * 1024;
/** Files sniffed at once (each holds at most SNIFF_BYTES of inflated content meanwhile). */
const SNIFF_CONCURRENCY = 8;

/**
 * The first `limit` inflated bytes of a gzip file, streamed: a 64 KiB compressed head of a CloudTrail file
 * inflates to as much as 4 MB, and inflating every file's head at once held hundreds of MB (523 files).
 * A file cut short gives what it had; one that gives nothing throws (the caller calls it unknown).
 */
async function gunzipHead(fh: FileHandle, limit: number): Promise<Buffer> {
  const raw = fh.createReadStream({ start: 0, highWaterMark: 16 * 1024, autoClose: false });
  const gz = createGunzip({ chunkSize: 16 * 1024 });
  raw.on("error", (e) => gz.destroy(e));
  raw.pipe(gz);
  const out: Buffer[] = [];
  let n = 0;
  try {
    for await (const chunk of gz as AsyncIterable<Buffer>) {
      out.push(chunk);
      n += chunk.length;
      if (n >= limit) break;
    }
  } catch (e) {
    if (n === 0) throw e;
  } finally {
    raw.unpipe(gz);
    raw.destroy();
    gz.destroy();
  }
  return Buffer.concat(out, Math.min(n, limit));
}

async function sniff(path: string): Promise<{ format: InputFormat; gzip: boolean }> {
  let fh: FileHandle | undefined;
  try {
    fh = await open(path, "r");
    const magic = Buffer.alloc(2);
    const { bytesRead: m } = await fh.read(magic, 0, 2, 0);
    const gzip = m === 2 && magic[0] === 0x1f && magic[1] === 0x8b;
    if (gzip) return { format: detectFormat(await gunzipHead(fh, SNIFF_BYTES)), gzip };
    const buf = Buffer.alloc(SNIFF_BYTES);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    return { format: detectFormat(buf.subarray(0, bytesRead)), gzip };
  } catch {
    return { format: "unknown", gzip: false };
  } finally {
    await fh?.close().catch(() => undefined);
  }
}

/** Format and compression of each file, SNIFF_CONCURRENCY files at a time. */
async function sniffAll(files: ReadonlyArray<{ path: string; size: number }>): Promise<InputSpec[]> {
  const out: InputSpec[] = new Array(files.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < files.length; i = next++) {
      const f = files[i] as { path: string; size: number };
      out[i] = { path: f.path, size: f.size, ...(await sniff(f.path)) };
    }
  };
  await Promise.all(Array.from({ length: Math.min(SNIFF_CONCURRENCY, files.length) }, worker));
  return out;
}

/** Keys findings read (findingOf) and the derived correlation fields read (correlation-fields.ts). */
const FINDING_KEYS = [
  "eventID",
  "eventTime",
  "eventSource",
  "eventName",
  "awsRegion",
  "sourceIPAddress",
  "userAgent",
  "errorCode",
  "userIdentity",
  "recipientAccountId",
];

const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);

/** A finding from a matched record, with the fields the JS engine's HitEncoder/HitDecoder give it. */
function findingOf(
  meta: { rule: Finding["rule"]; techniques: string[]; tactics: string[] },
  ev: Record<string, unknown>,
  origin: Finding["origin"],
): Finding {
  const f = { rule: meta.rule, techniques: meta.techniques, tactics: meta.tactics } as Finding;
  const id = str(ev.eventID);
  if (id !== undefined) f.eventID = id;
  const time = str(ev.eventTime);
  if (time !== undefined) f.eventTime = time;
  const ui = ev.userIdentity;
  let arn: string | undefined;
  let keyId: string | undefined;
  let uiAccount: string | undefined;
  if (ui !== null && typeof ui === "object") {
    const u = ui as Record<string, unknown>;
    arn = str(u.arn);
    if (arn === undefined) {
      const ctx = u.sessionContext as Record<string, unknown> | undefined;
      const issuer =
        ctx !== null && typeof ctx === "object"
          ? (ctx.sessionIssuer as Record<string, unknown> | undefined)
          : undefined;
      if (issuer !== null && typeof issuer === "object") arn = str(issuer.arn);
    }
    keyId = str(u.accessKeyId);
    uiAccount = str(u.accountId);
  }
  const fields: Array<[keyof Finding, string | undefined]> = [
    ["eventSource", str(ev.eventSource)],
    ["eventName", str(ev.eventName)],
    ["awsRegion", str(ev.awsRegion)],
    ["sourceIPAddress", str(ev.sourceIPAddress)],
    ["userAgent", str(ev.userAgent)],
    ["errorCode", str(ev.errorCode)],
  ];
  for (const [k, v] of fields) if (v !== undefined) (f as Record<string, unknown>)[k] = v;
  f.attempt = str(ev.errorCode) !== undefined;
  if (arn !== undefined) f.principalArn = arn;
  if (keyId !== undefined) f.accessKeyId = keyId;
  const account = str(ev.recipientAccountId) ?? uiAccount;
  if (account !== undefined) f.accountId = account;
  f.origin = origin;
  return f;
}

/** A rule's eventName/eventSource pre-filter as SQL on the lower-cased columns (sound: never drops a match). */
function gate(rule: CompiledRule): string {
  const part = (col: string, f: CompiledRule["eventNameFilter"]) =>
    f === null
      ? undefined
      : `(${[
          // list_contains, not IN: DuckDB plans a long IN list as a join, and hundreds of them plan slowly
          ...(f.values.size > 0 ? [`list_contains([${[...f.values].map(sqlString).join(", ")}], ${col})`] : []),
          ...f.prefixes.map((p) => `starts_with(${col}, ${sqlString(p)})`),
          "false",
        ].join(" OR ")})`;
  return [part("en", rule.eventNameFilter), part("es", rule.eventSourceFilter)].filter(Boolean).join(" AND ") || "true";
}

interface SqlRule {
  rule: CompiledRule;
  gate: string;
  cond: string;
  /** Top-level keys its fields start with (their nested columns are parsed only where a reader's gate holds). */
  heads: Set<string>;
}

/** The plan of one scan: the rules in SQL, the keys read, and how findings and tuples are rebuilt. */
export interface Plan {
  rules: SqlRule[];
  /** Top-level keys read, in column order (column `c<i>`). */
  keys: string[];
  /** Keys returned for matched records (findings and correlation tuples are built from them). */
  outKeys: string[];
  /** Nested column key → JSON paths extracted from it at once (column `x<i>`). */
  extracts: Map<string, string[]>;
  /** Field values (column `f<n>`): the expression over `c`/`x` columns and the gate of the rules reading it. */
  fields: Array<{ expr: string; gate: string; lists: ListVariant[] }>;
  /** Distinct rule gates (column `g<k>`, over `en`/`es`); rules, fields and extracts refer to them by column. */
  gates: string[];
  tap: Tap;
}

export function buildPlan(
  compiled: ReturnType<typeof compileSigmaRules>,
  notExpressible: EngineInfo["notExpressible"],
): Plan {
  const keys: string[] = [];
  const keyIndex = new Map<string, number>();
  const colOf = (key: string) => {
    let i = keyIndex.get(key);
    if (i === undefined) {
      i = keys.push(key) - 1;
      keyIndex.set(key, i);
    }
    return `c${i}`;
  };
  for (const k of FINDING_KEYS) colOf(k);
  const xref = (key: string) => `x${colOf(key).slice(1)}`;
  // each field read by any rule is computed once per record (column f<n>), where a rule reading it may match
  const fieldCol = new Map<string, string>();
  const lists: FieldLists = { used: new Map() };
  const readers = new Map<string, string[]>();
  const gates: string[] = [];
  const gateCol = (g: string) => {
    if (g === "true") return "valid";
    let k = gates.indexOf(g);
    if (k < 0) k = gates.push(g) - 1;
    return `g${k}`;
  };
  const rules: SqlRule[] = [];
  for (const r of compiled.rules) {
    try {
      const ir = ruleIR(r);
      const fields = fieldsOf(ir.expr);
      // read_json matches keys to columns without regard to case: keys that differ only in case cannot be told apart
      for (const f of fields) {
        const head = f.split(".")[0] as string;
        for (const k of [head, f]) {
          const other = [...keys, ...fieldCol.keys()].find((x) => x !== k && x.toLowerCase() === k.toLowerCase());
          if (other) throw new Unsupported(`field '${k}' (differs from '${other}' only in case)`);
        }
      }
      const columns = new Map<string, string>();
      let next = fieldCol.size;
      for (const f of fields) columns.set(f, fieldCol.get(f) ?? `f${next++}`);
      const cond = ruleCondition(ir, "duckdb", { columns, lists });
      const g = gateCol(gate(r));
      for (const [f, c] of columns) {
        fieldCol.set(f, c);
        readers.set(f, [...(readers.get(f) ?? []), g]);
      }
      rules.push({ rule: r, gate: g, cond, heads: new Set([...fields].map((x) => x.split(".")[0] as string)) });
    } catch (e) {
      if (!(e instanceof Unsupported)) throw e;
      notExpressible.push({ rule: r.id, construct: e.construct });
    }
  }
  const { extracts, columns } = duckdbColumnFields(fieldCol.keys(), colOf, xref);
  const fields = [...fieldCol].map(([f, c]) => ({
    expr: columns.get(f) as string,
    gate: orGates(readers.get(f) ?? []),
    lists: [...(lists.used.get(c) ?? [])],
  }));
  // correlation tuples read these fields of their rules' matches (the derived ones read finding keys)
  const need = neededFields(compiled.correlations);
  const outKeys = new Set(FINDING_KEYS);
  for (const r of rules)
    for (const f of need.get(r.rule.id) ?? []) {
      if (f.startsWith("techtrail.")) continue;
      outKeys.add(f.split(".")[0] as string);
      outKeys.add(f);
    }
  for (const k of outKeys) colOf(k);
  return {
    rules,
    keys,
    outKeys: [...outKeys],
    extracts,
    fields,
    gates,
    tap: new Tap(
      rules.map((r) => r.rule),
      compiled.correlations,
    ),
  };
}

/** Any of the gates (true when one is). */
const orGates = (gs: readonly string[]) => (gs.includes("valid") ? "valid" : [...new Set(gs)].join(" OR ") || "false");

/** The text-list variants of a field column the rules read (FieldLists in src/sql/dialects.ts). */
function listColumns(f: string, used: readonly ListVariant[]): string[] {
  const out: string[] = [];
  const has = (v: ListVariant) => used.includes(v);
  if (has("t") || has("jt"))
    out.push(
      `CASE WHEN json_type(${f}) = 'ARRAY' THEN json_extract_string(${f}, '$[*]') WHEN ${f} IS NOT NULL THEN [json_extract_string(${f}, '$')] END AS ${f}_t`,
    );
  if (has("l") || has("j"))
    out.push(
      `CASE WHEN json_type(${f}) = 'ARRAY' THEN list_transform(json_extract_string(${f}, '$[*]'), lambda s: lower(s)) WHEN ${f} IS NOT NULL THEN [lower(json_extract_string(${f}, '$'))] END AS ${f}_l`,
    );
  if (has("j")) out.push(`array_to_string(${f}_l, chr(1)) AS ${f}_j`);
  if (has("jt")) out.push(`array_to_string(${f}_t, chr(1)) AS ${f}_jt`);
  return out;
}

const ident = (s: string) => `"${s.replace(/"/g, '""')}"`;

/** The one query: read, evaluate every rule, keep matched records (per file: counts, then the matches). */
/**
 * The query over a group of files (one JSON Lines or array file, or all Records files: one read_json each, so
 * one pipeline holds the rules' expressions; a union of reads would hold a copy per read).
 */
export function scanQuery(
  plan: Plan,
  inputs: readonly InputSpec[],
  group: readonly number[],
  order: readonly number[],
  maxRecordBytes: number,
): string {
  const columns = `{${plan.keys.map((k) => `${sqlString(k)}: 'JSON'`).join(", ")}}`;
  const select = plan.keys.map((k, i) => `${ident(k)} AS c${i}`).join(", ");
  const rank = new Map(order.map((f, i) => [f, i]));
  const reads: string[] = [];
  const lists: Record<"records" | "array", number[]> = { records: [], array: [] };
  inputs.forEach((f, i) => {
    if (!group.includes(i)) return;
    const comp = f.gzip ? "gzip" : "uncompressed";
    const head = `SELECT ${i} AS fidx, ${rank.get(i)} AS frank`;
    if (f.format === "jsonl")
      reads.push(
        `${head}, ordinality AS ord, ${select} FROM read_json(${sqlString(f.path)}, format = 'newline_delimited', compression = '${comp}', columns = ${columns}, ignore_errors = true, maximum_object_size = ${maxRecordBytes + 1}) WITH ORDINALITY`,
      );
    else if (f.format === "values")
      reads.push(
        `${head}, ordinality - 1 AS ord, ${select} FROM read_json(${sqlString(f.path)}, format = 'unstructured', compression = '${comp}', columns = ${columns}, ignore_errors = true, maximum_object_size = ${documentBytes([f])}) WITH ORDINALITY`,
      );
    else if (f.format === "records" || f.format === "array") lists[f.format].push(i);
  });
  // delivery files and JSON arrays: one read of all of them, each file's list unnested with its positions
  // (an element that is not an object becomes a row of NULLs: counted, never matched)
  const struct = `STRUCT(${plan.keys.map((k) => `${ident(k)} JSON`).join(", ")})[]`;
  for (const [format, files] of Object.entries(lists)) {
    if (files.length === 0) continue;
    const col = format === "records" ? "Records" : "json";
    const paths = `[${files.map((i) => sqlString((inputs[i] as InputSpec).path)).join(", ")}]`;
    const map = `(VALUES ${files.map((i) => `(${sqlString((inputs[i] as InputSpec).path)}, ${i}, ${rank.get(i)})`).join(", ")}) AS m(filename, fidx, frank)`;
    reads.push(
      `SELECT m.fidx, m.frank, i - 1 AS ord, ${plan.keys.map((k, j) => `r.${ident(k)} AS c${j}`).join(", ")} FROM (SELECT filename, unnest(${col}) AS r, generate_subscripts(${col}, 1) AS i FROM read_json(${paths}, format = 'unstructured',${format === "array" ? " records = false," : ""} columns = {'${col}': ${sqlString(struct)}}, ignore_errors = true, filename = true, maximum_object_size = ${documentBytes(files.map((i) => inputs[i] as InputSpec))})) JOIN ${map} USING (filename)`,
    );
  }
  const en = plan.keys.indexOf("eventName");
  const es = plan.keys.indexOf("eventSource");
  const extracts = [...plan.extracts].map(([key, paths]) => {
    const i = plan.keys.indexOf(key);
    const g = orGates(plan.rules.filter((r) => r.heads.has(key)).map((r) => r.gate));
    return `CASE WHEN ${g} THEN json_extract(c${i}, [${paths.map(sqlString).join(", ")}]) END AS x${i}`;
  });
  const hits = plan.rules.map((r, i) => `CASE WHEN ${r.gate} AND (${r.cond}) THEN ${i} END`);
  const out = plan.outKeys.map((k) => `c${plan.keys.indexOf(k)}::VARCHAR AS o_${plan.keys.indexOf(k)}`);
  const outStruct = plan.outKeys.map((k) => `o_${plan.keys.indexOf(k)}: o_${plan.keys.indexOf(k)}`);
  return [
    `WITH src AS (${reads.join("\nUNION ALL\n")}),`,
    `a AS (SELECT *, coalesce(json_type(c${en}) = 'VARCHAR' AND json_type(c${es}) = 'VARCHAR', false) AS valid FROM src),`,
    `b AS (SELECT *, CASE WHEN valid THEN lower(json_extract_string(c${en}, '$')) END AS en, CASE WHEN valid THEN lower(json_extract_string(c${es}, '$')) END AS es FROM a),`,
    `g AS (SELECT *${plan.gates.map((g, k) => `, coalesce(valid AND (${g}), false) AS g${k}`).join("")} FROM b),`,
    `x AS (SELECT *${extracts.map((e) => `, ${e}`).join("")} FROM g),`,
    `f AS (SELECT *${plan.fields.map((f, n) => `, CASE WHEN ${f.gate} THEN ${f.expr} END AS f${n}`).join("")} FROM x),`,
    `l AS (SELECT *${plan.fields
      .flatMap((f, n) => listColumns(`f${n}`, f.lists))
      .map((e) => `, ${e}`)
      .join("")} FROM f),`,
    `h AS (SELECT fidx, frank, ord, valid, CASE WHEN valid THEN list_filter([${hits.join(", ")}], lambda v: v IS NOT NULL) ELSE []::INTEGER[] END AS hits, ${out.join(", ")} FROM l),`,
    `agg AS (SELECT fidx, frank, count(*) AS n, count(*) FILTER (WHERE valid) AS nv, list({ord: ord, hits: hits, ${outStruct.join(", ")}} ORDER BY ord) FILTER (WHERE len(hits) > 0) AS m FROM h GROUP BY fidx, frank)`,
    "SELECT fidx, n, nv, r.* FROM (SELECT fidx, frank, n, nv, unnest(list_append(coalesce(m, []), NULL)) AS r FROM agg) ORDER BY frank, r.ord NULLS LAST",
  ].join("\n");
}

/**
 * Physical line numbers of the blank (whitespace-only) lines of a JSON Lines file: read_json skips them, so the
 * n-th record read is on line n plus the blank lines before it (the JS engine counts every line).
 */
async function blankLines(f: InputSpec): Promise<number[]> {
  const out: number[] = [];
  let line = 1;
  let blank = true;
  const raw = createReadStream(f.path, { highWaterMark: 1 << 20 });
  const stream = f.gzip ? raw.pipe(createGunzip()) : raw;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    let i = 0;
    while (i < chunk.length) {
      if (blank) {
        const c = chunk[i] as number;
        if (c === 0x0a) {
          out.push(line++);
          i++;
          continue;
        }
        if (c === 0x20 || c === 0x09 || c === 0x0d) {
          i++;
          continue;
        }
        blank = false;
      }
      const nl = chunk.indexOf(0x0a, i);
      if (nl < 0) break;
      line++;
      blank = true;
      i = nl + 1;
    }
  }
  return out;
}

/** Line of the n-th (1-based) record of a file whose blank lines are `blanks` (sorted). */
function lineOf(n: number, blanks: readonly number[]): number {
  let line = n;
  for (const b of blanks) {
    if (b > line) break;
    line++;
  }
  return line;
}

/** Order in which the JS engine hands matches to correlations: by the time in the file name, then position. */
function fileTime(path: string): number {
  const m = /_(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})Z[_.]/.exec(path);
  return m
    ? Date.UTC(+(m[1] as string), +(m[2] as string) - 1, +(m[3] as string), +(m[4] as string), +(m[5] as string))
    : 0;
}

/** The DuckDB engine for scanPaths (hooks.external). */
export function duckdbEngine(o: DuckDbEngineOptions): ExternalEngine {
  let plan: Plan | undefined;
  let inputs: InputSpec[] = [];
  return {
    async plan(ruleFiles, files, also) {
      const bytes = files.reduce((n, f) => n + f.size, 0);
      const autoMin = o.autoMinBytes ?? AUTO_MIN_BYTES;
      // choosing JS needs neither the rules compiled here nor the files read: scanPaths counts the JS rules
      // (jsRules) from the rules it loads, so `auto` costs what `js` costs when it keeps JS
      const js = (reason: string, notExpressible: EngineInfo["notExpressible"] = []) => ({
        ruleIds: [],
        info: { requested: o.requested, used: "js" as const, reason, sqlRules: 0, jsRules: 0, notExpressible },
      });
      const s3 = files.find((f) => f.path.startsWith("s3://"));
      if (also.stdin) return js("standard input is read by the JS engine");
      if (also.window) return js("--from/--to/--accounts/--regions are applied by the JS engine");
      if (s3) return js(`S3 objects (${s3.path}) are read by the JS engine`);
      if (o.requested === "auto") {
        if (bytes < autoMin)
          return js(
            Number.isFinite(autoMin)
              ? `auto: ${(bytes / 2 ** 20).toFixed(1)} MiB of input, under ${autoMin / 2 ** 20} MiB`
              : `auto: ${(bytes / 2 ** 20).toFixed(1)} MiB of input; the JS engine was faster at every measured size`,
          );
        if (also.strict) return js("auto: --strict stops at the first problem, which the JS engine finds");
      }
      const compiled = compileSigmaRules(ruleFiles);
      const notExpressible: EngineInfo["notExpressible"] = [];
      const p = buildPlan(compiled, notExpressible);
      if (p.rules.length === 0) return js("no rule is expressible in DuckDB SQL", notExpressible);
      inputs = await sniffAll(files);
      if (o.requested === "auto") {
        const other = inputs.find((f) => !["jsonl", "records", "array"].includes(f.format));
        if (other) {
          inputs = [];
          return js(`auto: ${other.path} is not JSON Lines, a JSON array or a Records file`, notExpressible);
        }
      }
      const allRules = compiled.rules.filter((r) => !r.correlationOnly).length + compiled.correlations.length;
      plan = p;
      const sqlRules = p.rules.filter((r) => !r.rule.correlationOnly).length;
      return {
        ruleIds: p.rules.map((r) => r.rule.id),
        tapped: { ruleIds: p.rules.map((r) => r.rule.id), fields: p.tap.fieldNames },
        // the JS engine still reads the input for rules SQL cannot express, and to stop at a problem (--strict)
        readsAll: notExpressible.length === 0 && !also.strict,
        info: {
          requested: o.requested,
          used: "duckdb",
          reason:
            o.requested === "duckdb"
              ? "asked for"
              : `auto: ${(bytes / 2 ** 20).toFixed(1)} MiB of JSON input, at least ${autoMin / 2 ** 20} MiB`,
          sqlRules,
          jsRules: allRules - sqlRules,
          notExpressible,
        },
      };
    },

    async run(emit, metaOf, signal, corr) {
      const stats: NonNullable<ExternalRun["stats"]> = {
        read: 0,
        evaluated: 0,
        bytes: 0,
        skipCounts: {},
        examples: [],
        skippedFiles: [],
      };
      const matchedKeys = new Set<string>();
      const originOf = (fidx: number, ord: number): Finding["origin"] => {
        const f = inputs[fidx] as InputSpec;
        return f.format === "jsonl" ? { file: f.path, line: ord } : { file: f.path, index: ord };
      };
      const p = plan;
      if (!p) return { matchedEvents: 0, matchedKeys, stats, originOf };
      const skip = (reason: string, ex: SkipExample, n = 1) => {
        stats.skipCounts[reason] = (stats.skipCounts[reason] ?? 0) + n;
        if (stats.examples.length < 10) stats.examples.push(ex);
      };
      for (const f of inputs)
        if (f.format === "unknown") {
          stats.skippedFiles.push(f.path);
          skip("unknown-format", { reason: "unknown-format", file: f.path, message: "not JSON or JSON Lines" });
        }
      const readable = inputs
        .map((f, i) => [f, i] as const)
        .filter(([f]) => f.format !== "unknown" && f.format !== "empty");
      if (readable.length === 0) return { matchedEvents: 0, matchedKeys, stats, originOf };
      const order = readable
        .map(([f, i]) => ({ i, t: fileTime(f.path) }))
        .sort((a, b) => a.t - b.t || a.i - b.i)
        .map((x) => x.i);
      const scanned: InputSpec[] = inputs.map((f) =>
        f.format === "unknown" || f.format === "empty" ? { ...f, format: "empty" } : f,
      );
      const rankOf = new Map(order.map((f, r) => [f, r]));
      const groups: number[][] = [];
      for (const format of ["records", "array"]) {
        const group = readable.filter(([f]) => f.format === format).map(([, i]) => i);
        if (group.length > 0) groups.push(group);
      }
      for (const [f, i] of readable) if (f.format !== "records" && f.format !== "array") groups.push([i]);
      groups.sort(
        (a, b) => Math.min(...a.map((i) => rankOf.get(i) ?? 0)) - Math.min(...b.map((i) => rankOf.get(i) ?? 0)),
      );
      const metas = p.rules.map((r) => metaOf(r.rule));
      // blank lines of JSON Lines files, found while DuckDB reads (read_json does not count them)
      const blanks = new Map<number, Promise<number[]>>();
      for (const [f, i] of readable)
        if (f.format === "jsonl")
          blanks.set(
            i,
            blankLines(f).catch(() => []),
          );
      // the native module is loaded only when DuckDB runs: a scan where `auto` keeps JS never maps it
      const { DuckDBInstance } = await import("@duckdb/node-api");
      const temp = await mkdtemp(join(tmpdir(), "techtrail-duckdb-"));
      const db = await DuckDBInstance.create(":memory:", {
        memory_limit: o.memoryLimit ?? DUCKDB_MEMORY_LIMIT,
        threads: String(o.threads ?? DUCKDB_THREADS),
        temp_directory: temp,
      });
      const conn = await db.connect();
      const onAbort = () => conn.interrupt();
      signal?.addEventListener("abort", onAbort, { once: true });
      let matchedEvents = 0;
      let emitted = 0;
      const exec = async <T>(f: () => Promise<T>): Promise<T> => {
        try {
          return await f();
        } catch (e) {
          throw duckdbError(e, inputs);
        }
      };
      const keyAt = p.outKeys.map((k) => k);
      const tapOn = p.tap.active && corr !== undefined;
      let tapFile = -1;
      const flushTap = () => {
        if (tapOn && p.tap.pending > 0) corr(tapFile, p.tap.take());
      };
      try {
        let lastFile = -1;
        for (const group of groups) {
          const sql = scanQuery(p, scanned, group, order, o.maxRecordBytes ?? 4 * 1024 * 1024);
          const result = await exec(() => conn.stream(sql));
          for (;;) {
            const chunk = await exec(() => result.fetchChunk());
            if (!chunk || chunk.rowCount === 0) break;
            for (const row of chunk.getRows()) {
              const fidx = Number(row[0]);
              if (fidx !== lastFile) {
                lastFile = fidx;
                const f = inputs[fidx] as InputSpec;
                stats.read += Number(row[1]);
                stats.evaluated += Number(row[2]);
                stats.bytes += f.size;
                const bad = Number(row[1]) - Number(row[2]);
                if (bad > 0)
                  skip(
                    "not-cloudtrail",
                    {
                      reason: "not-cloudtrail",
                      file: f.path,
                      message: `${bad} record(s) not JSON or not CloudTrail (no eventName/eventSource string)`,
                    },
                    bad,
                  );
              }
              if (row[3] === null) continue;
              const f = inputs[fidx] as InputSpec;
              let ord = Number(row[3]);
              if (f.format === "jsonl") {
                const b = await blanks.get(fidx);
                if (b && b.length > 0) ord = lineOf(ord, b);
              }
              const ev: Record<string, unknown> = {};
              for (let k = 0; k < keyAt.length; k++) {
                const text = row[5 + k];
                if (typeof text === "string") ev[keyAt[k] as string] = JSON.parse(text);
              }
              const origin = originOf(fidx, ord);
              const hits = (row[4] as { items: number[] }).items;
              let matched = false;
              for (const i of hits) {
                const r = (p.rules[i] as SqlRule).rule;
                if (tapOn && p.tap.wants(i)) {
                  if (tapFile !== fidx) {
                    flushTap();
                    tapFile = fidx;
                  }
                  p.tap.capture(i, ev, ord);
                  if (p.tap.pending >= 4096) flushTap();
                }
                if (r.correlationOnly) continue;
                matched = true;
                // the aggregator queues findings; waiting on every 1024th keeps the queue bounded
                const done = emit(findingOf(metas[i] as (typeof metas)[number], ev, origin));
                if (++emitted % 1024 === 0) await done;
              }
              if (matched) {
                matchedEvents++;
                matchedKeys.add(originKey(origin));
              }
            }
          }
        }
        flushTap();
      } finally {
        signal?.removeEventListener("abort", onAbort);
        conn.closeSync();
        db.closeSync();
        await rm(temp, { recursive: true, force: true });
      }
      return { matchedEvents, matchedKeys, stats, originOf };
    },
  };
}

function duckdbError(e: unknown, inputs: readonly InputSpec[]): TechtrailError {
  const message = (e as Error)?.message ?? String(e);
  const file = inputs.find((f) => message.includes(f.path))?.path;
  return new TechtrailError(
    "IO",
    `DuckDB could not read the input${file ? ` (${file})` : ""}: ${message.split("\n")[0]} (scan it with --engine js)`,
    { problems: [{ ...(file ? { source: file } : {}), message: message.split("\n")[0] ?? message }], cause: e },
  );
}
