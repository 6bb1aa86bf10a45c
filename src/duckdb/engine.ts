// `scan --engine duckdb|auto`: the rules DuckDB SQL can express run in embedded DuckDB over the input files
// (JSON Lines, JSON arrays, CloudTrail `{"Records": [...]}` delivery files, gzipped or not); the JS engine runs
// the rest (rules with constructs SQL cannot express, correlations and the rules they read, stdin) over the
// same input. Findings are built from the matched records exactly as the JS engine builds them and go through
// the same suppression, summary and sink (scanPaths' ExternalEngine hook).
import { mkdtemp, open, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { constants, gunzipSync } from "node:zlib";
import { DuckDBInstance } from "@duckdb/node-api";
import { TechtrailError } from "../core/errors.js";
import { type CompiledRule, compileSigmaRules } from "../rules/index.js";
import { detectFormat, type InputFormat } from "../scan/engine.js";
import type { EngineInfo, Finding } from "../scan/model.js";
import type { ExternalEngine } from "../scan/scan.js";
import { duckdbFieldColumns, fieldsOf, ruleCondition, ruleIR, sqlString, Unsupported } from "../sql/index.js";

export const ENGINES = ["js", "duckdb", "auto"] as const;
export type EngineChoice = (typeof ENGINES)[number];

/** DuckDB's memory limit (it spills to a temporary folder beyond it). */
export const DUCKDB_MEMORY_LIMIT = "1GB";
/** `auto` picks DuckDB from this much input on (smaller inputs: starting DuckDB costs more than it saves). */
export const AUTO_MIN_BYTES = 256 * 1024 * 1024;
/** Largest JSON document DuckDB reads whole (a delivery file's `Records` array is one document). */
const MAX_DOCUMENT_BYTES = 64 * 1024 * 1024;

export interface DuckDbEngineOptions {
  requested: "duckdb" | "auto";
  memoryLimit?: string;
  /** Records longer than this are not evaluated (the JS engine skips them as too-large). */
  maxRecordBytes?: number;
  /** `auto` threshold (tests lower it). */
  autoMinBytes?: number;
}

interface InputSpec {
  path: string;
  format: InputFormat;
  gzip: boolean;
}

async function sniff(path: string): Promise<{ format: InputFormat; gzip: boolean }> {
  const fh = await open(path, "r");
  try {
    const buf = Buffer.alloc(64 * 1024);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    let head = buf.subarray(0, bytesRead);
    const gzip = head[0] === 0x1f && head[1] === 0x8b;
    if (gzip) head = gunzipSync(head, { finishFlush: constants.Z_SYNC_FLUSH });
    return { format: detectFormat(head), gzip };
  } catch {
    return { format: "unknown", gzip: false };
  } finally {
    await fh.close();
  }
}

const list = (files: readonly InputSpec[]) => `[${files.map((f) => sqlString(f.path)).join(", ")}]`;

/**
 * (file, element, position) for each element of each row's list `l`: two unnests in one select list are zipped,
 * so the document is not repeated per element (a lateral unnest would copy it into every row).
 */
const zipped = (rows: string, base: 0 | 1) =>
  `SELECT file, unnest(l), unnest(range(${base}, len(l) + ${base})) FROM (${rows})`;

/** One relation (file, ord, record JSON) per group of files read alike; ord is a line (JSON Lines) or index. */
function sources(files: readonly InputSpec[]): Array<{ sql: string; origin: "line" | "index" }> {
  const out: Array<{ sql: string; origin: "line" | "index" }> = [];
  const of = (format: InputFormat, gzip: boolean) => files.filter((f) => f.format === format && f.gzip === gzip);
  const plainLines = of("jsonl", false);
  if (plainLines.length > 0)
    out.push({
      origin: "line",
      // split here, not by read_json, so that line numbers count blank and broken lines as the JS engine does
      sql: `SELECT file, ord, CASE WHEN json_valid(line) THEN line::JSON END AS record FROM (${zipped(`SELECT filename AS file, string_split(content, chr(10)) AS l FROM read_text(${list(plainLines)})`, 1)}) AS t(file, line, ord)`,
    });
  const gzLines = of("jsonl", true);
  if (gzLines.length > 0)
    out.push({
      origin: "line",
      sql: `SELECT filename AS file, row_number() OVER (PARTITION BY filename) AS ord, json AS record FROM read_json_objects(${list(gzLines)}, format = 'newline_delimited', ignore_errors = true, filename = true, maximum_object_size = ${MAX_DOCUMENT_BYTES})`,
    });
  for (const [format, path] of [
    ["records", "$.Records[*]"],
    ["array", "$[*]"],
  ] as const) {
    const group = files.filter((f) => f.format === format);
    if (group.length > 0)
      out.push({
        origin: "index",
        sql: `SELECT file, ord, record FROM (${zipped(`SELECT filename AS file, json_extract(json, '${path}') AS l FROM read_json_objects(${list(group)}, format = 'unstructured', filename = true, maximum_object_size = ${MAX_DOCUMENT_BYTES})`, 0)}) AS t(file, record, ord)`,
      });
  }
  const values = files.filter((f) => f.format === "values");
  if (values.length > 0)
    out.push({
      origin: "index",
      sql: `SELECT filename AS file, row_number() OVER (PARTITION BY filename) - 1 AS ord, json AS record FROM read_json_objects(${list(values)}, format = 'unstructured', filename = true, maximum_object_size = ${MAX_DOCUMENT_BYTES})`,
    });
  return out;
}

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

interface SqlRule {
  rule: CompiledRule;
  /** The rule's condition over its own extracted field columns, and the relation that extracts them. */
  query: string;
}

/** A rule's eventName/eventSource pre-filter as SQL on the lower-cased columns (sound: never drops a match). */
function gate(rule: CompiledRule): string {
  const part = (col: string, f: CompiledRule["eventNameFilter"]) =>
    f === null
      ? undefined
      : `(${[
          ...(f.values.size > 0 ? [`${col} IN (${[...f.values].map(sqlString).join(", ")})`] : []),
          ...f.prefixes.map((p) => `starts_with(${col}, ${sqlString(p)})`),
          "false",
        ].join(" OR ")})`;
  return [part("en", rule.eventNameFilter), part("es", rule.eventSourceFilter)].filter(Boolean).join(" AND ") || "true";
}

/** The DuckDB engine for scanPaths (hooks.external). */
export function duckdbEngine(o: DuckDbEngineOptions): ExternalEngine {
  let rules: SqlRule[] = [];
  let inputs: InputSpec[] = [];
  return {
    async plan(ruleFiles, files, also) {
      const compiled = compileSigmaRules(ruleFiles);
      // rules that correlations read stay in JS: the correlation engine takes their matches from there
      const read = new Set(compiled.correlations.flatMap((c) => c.targets ?? []));
      const notExpressible: EngineInfo["notExpressible"] = [];
      const sql: SqlRule[] = [];
      for (const r of compiled.rules) {
        if (r.correlationOnly || read.has(r.id)) continue;
        const ir = ruleIR(r);
        try {
          const f = duckdbFieldColumns(fieldsOf(ir.expr));
          const cond = ruleCondition(ir, "duckdb", { columns: f.columns });
          // the expensive field extraction runs only on the events the rule's eventName/eventSource admit
          const rel = `(SELECT *, ${f.project} FROM (SELECT *, ${f.extract} FROM ev WHERE ${gate(r)}))`;
          sql.push({ rule: r, query: `SELECT ${sql.length} AS rule, file, ord FROM ${rel} WHERE ${cond}` });
        } catch (e) {
          if (!(e instanceof Unsupported)) throw e;
          notExpressible.push({ rule: r.id, construct: e.construct });
        }
      }
      const s3 = files.find((f) => f.path.startsWith("s3://"));
      inputs = s3 ? [] : await Promise.all(files.map(async (f) => ({ path: f.path, ...(await sniff(f.path)) })));
      const bytes = files.reduce((n, f) => n + f.size, 0);
      const allRules = compiled.rules.filter((r) => !r.correlationOnly).length + compiled.correlations.length;
      const js = (reason: string) => ({
        ruleIds: [],
        info: { requested: o.requested, used: "js" as const, reason, sqlRules: 0, jsRules: allRules, notExpressible },
      });
      const autoMin = o.autoMinBytes ?? AUTO_MIN_BYTES;
      if (also.stdin) return js("standard input is read by the JS engine");
      if (also.window) return js("--from/--to/--accounts/--regions are applied by the JS engine");
      if (s3) return js(`S3 objects (${s3.path}) are read by the JS engine`);
      if (sql.length === 0) return js("no rule is expressible in DuckDB SQL");
      if (o.requested === "auto") {
        if (bytes < autoMin)
          return js(`auto: ${(bytes / 2 ** 20).toFixed(1)} MiB of input, under ${autoMin / 2 ** 20} MiB`);
        const other = inputs.find((f) => !["jsonl", "records", "array"].includes(f.format));
        if (other) return js(`auto: ${other.path} is not JSON Lines, a JSON array or a Records file`);
      }
      rules = sql;
      return {
        ruleIds: rules.map((r) => r.rule.id),
        info: {
          requested: o.requested,
          used: "duckdb",
          reason:
            o.requested === "duckdb"
              ? "asked for"
              : `auto: ${(bytes / 2 ** 20).toFixed(1)} MiB of JSON input, at least ${autoMin / 2 ** 20} MiB`,
          sqlRules: rules.length,
          jsRules: allRules - rules.length,
          notExpressible,
        },
      };
    },

    async run(emit, metaOf, signal) {
      const groups = sources(inputs);
      if (groups.length === 0 || rules.length === 0) return { matchedEvents: 0 };
      const metas = rules.map((r) => metaOf(r.rule));
      const temp = await mkdtemp(join(tmpdir(), "techtrail-duckdb-"));
      const db = await DuckDBInstance.create(":memory:", {
        memory_limit: o.memoryLimit ?? DUCKDB_MEMORY_LIMIT,
        temp_directory: temp,
        preserve_insertion_order: "false",
      });
      const conn = await db.connect();
      const onAbort = () => conn.interrupt();
      signal?.addEventListener("abort", onAbort, { once: true });
      let matchedEvents = 0;
      const maxBytes = o.maxRecordBytes ?? 4 * 1024 * 1024;
      const exec = async <T>(f: () => Promise<T>): Promise<T> => {
        try {
          return await f();
        } catch (e) {
          throw duckdbError(e, inputs);
        }
      };
      try {
        // the CloudTrail records of every input, once (spilled to the temporary folder beyond the memory limit)
        await exec(() =>
          conn.run(
            "CREATE TEMP TABLE ev (file VARCHAR, ord BIGINT, lines BOOLEAN, record JSON, en VARCHAR, es VARCHAR)",
          ),
        );
        for (const g of groups)
          await exec(() =>
            conn.run(
              [
                `INSERT INTO ev SELECT file, ord, ${g.origin === "line"}, record,`,
                "  lower(json_extract_string(record, '$.eventName')), lower(json_extract_string(record, '$.eventSource'))",
                `FROM (${g.sql})`,
                "WHERE record IS NOT NULL AND json_type(record) = 'OBJECT'",
                "  AND json_type(record, '$.eventName') = 'VARCHAR' AND json_type(record, '$.eventSource') = 'VARCHAR'",
                `  AND strlen(record::VARCHAR) <= ${maxBytes}`,
              ].join("\n"),
            ),
          );
        const matches = rules.map((r) => r.query).join("\nUNION ALL\n");
        const sql = [
          `WITH m AS (${matches}),`,
          "h AS (SELECT file, ord, list(rule ORDER BY rule) AS hits FROM m GROUP BY file, ord)",
          "SELECT ev.file, ev.ord, ev.lines, ev.record::VARCHAR AS text, h.hits FROM h JOIN ev USING (file, ord)",
        ].join("\n");
        const result = await exec(() => conn.stream(sql));
        for (;;) {
          const chunk = await exec(() => result.fetchChunk());
          if (!chunk || chunk.rowCount === 0) break;
          for (const row of chunk.getRows()) {
            const [file, ord, lines, text, hit] = row as [string, bigint, boolean, string, { items: number[] }];
            const ev = JSON.parse(text) as Record<string, unknown>;
            const origin: Finding["origin"] = lines ? { file, line: Number(ord) } : { file, index: Number(ord) };
            matchedEvents++;
            for (const i of hit.items) await emit(findingOf(metas[i] as (typeof metas)[number], ev, origin));
          }
        }
      } finally {
        signal?.removeEventListener("abort", onAbort);
        conn.closeSync();
        db.closeSync();
        await rm(temp, { recursive: true, force: true });
      }
      return { matchedEvents };
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
