// compileRules(): compiled Sigma rules → one SQL query per rule in a dialect, and the rules (with the construct)
// that dialect cannot express. Single-event rules become a filter over the events; event_count and value_count
// correlations become window queries over their rules' matches. Pure: the callers (rules compile, scan
// --engine duckdb, hunting in Athena or CloudTrail Lake) run or write the text.
import type { CompiledCorrelation } from "../rules/correlation.js";
import type { CompiledRule } from "../rules/model.js";
import {
  backend,
  type DialectName,
  duckdbFieldColumns,
  exprSql,
  type FieldLists,
  sqlString,
  Unsupported,
} from "./dialects.js";
import { fieldsOf, type RuleIR, ruleIR } from "./ir.js";

export interface CompileOptions {
  /**
   * What the query reads. DuckDB: a relation with a JSON column `record`, one row per CloudTrail record
   * (default `cloudtrail_events`, see docs/sql.md). Athena: the table (default `cloudtrail_logs`). CloudTrail
   * Lake: the event data store ID (default `event_data_store`, a placeholder to replace).
   */
  source?: string;
  /** Athena: partition predicates on the projected partitions (names in `partitions`). */
  from?: string;
  to?: string;
  accounts?: string[];
  regions?: string[];
  /** Athena partition column names (defaults: account, region, timestamp as yyyy/MM/dd). */
  partitions?: { account?: string; region?: string; date?: string };
}

export interface CompiledQuery {
  ruleId: string;
  title: string;
  level: string;
  source: string;
  techniques: string[];
  kind: "event" | "correlation";
  /** The query with a comment header naming the rule and its techniques. */
  sql: string;
  /** The boolean condition alone (single-event rules), over the dialect's columns. */
  where?: string;
}

export interface UnsupportedRule {
  ruleId: string;
  source: string;
  /** What the dialect cannot express (the rule runs in the JS engine instead). */
  construct: string;
}

export interface CompileResult {
  dialect: DialectName;
  queries: CompiledQuery[];
  unsupported: UnsupportedRule[];
}

const DEFAULT_SOURCE: Record<DialectName, string> = {
  duckdb: "cloudtrail_events",
  athena: "cloudtrail_logs",
  "cloudtrail-lake": "event_data_store",
};

/** Output columns of a single-event query, per dialect. */
function selectList(dialect: DialectName): string {
  if (dialect === "duckdb") {
    const j = (p: string) => `json_extract_string(record, '$.${p}')`;
    return [
      `${j("eventID")} AS event_id`,
      `${j("eventTime")} AS event_time`,
      `${j("eventSource")} AS event_source`,
      `${j("eventName")} AS event_name`,
      `${j("awsRegion")} AS aws_region`,
      `${j("sourceIPAddress")} AS source_ip`,
      `${j("userAgent")} AS user_agent`,
      `${j("errorCode")} AS error_code`,
      `coalesce(${j("userIdentity.arn")}, ${j("userIdentity.sessionContext.sessionIssuer.arn")}) AS principal_arn`,
      `${j("userIdentity.accessKeyId")} AS access_key_id`,
      `coalesce(${j("recipientAccountId")}, ${j("userIdentity.accountId")}) AS account_id`,
      "record",
    ].join(", ");
  }
  return [
    "eventid AS event_id",
    "eventtime AS event_time",
    "eventsource AS event_source",
    "eventname AS event_name",
    "awsregion AS aws_region",
    "sourceipaddress AS source_ip",
    "useragent AS user_agent",
    "errorcode AS error_code",
    "coalesce(useridentity.arn, useridentity.sessioncontext.sessionissuer.arn) AS principal_arn",
    "useridentity.accesskeyid AS access_key_id",
    "coalesce(recipientaccountid, useridentity.accountid) AS account_id",
  ].join(", ");
}

/** Athena partition predicates (projection on account, region and date), or none. */
function partitionFilter(dialect: DialectName, o: CompileOptions): string[] {
  const out: string[] = [];
  if (dialect === "athena") {
    const p = { account: "account", region: "region", date: "timestamp", ...o.partitions };
    const day = (iso: string) => iso.slice(0, 10).replace(/-/g, "/");
    if (o.accounts?.length) out.push(`"${p.account}" IN (${o.accounts.map(sqlString).join(", ")})`);
    if (o.regions?.length) out.push(`"${p.region}" IN (${o.regions.map(sqlString).join(", ")})`);
    if (o.from) out.push(`"${p.date}" >= ${sqlString(day(o.from))}`);
    if (o.to) out.push(`"${p.date}" <= ${sqlString(day(o.to))}`);
    if (o.from) out.push(`eventtime >= ${sqlString(o.from)}`);
    if (o.to) out.push(`eventtime < ${sqlString(o.to)}`);
  } else if (dialect === "cloudtrail-lake") {
    if (o.from) out.push(`eventtime >= ${sqlString(o.from.replace("T", " ").replace(/Z$/, ""))}`);
    if (o.to) out.push(`eventtime < ${sqlString(o.to.replace("T", " ").replace(/Z$/, ""))}`);
    if (o.accounts?.length) out.push(`recipientaccountid IN (${o.accounts.map(sqlString).join(", ")})`);
    if (o.regions?.length) out.push(`awsregion IN (${o.regions.map(sqlString).join(", ")})`);
  } else {
    if (o.from) out.push(`json_extract_string(record, '$.eventTime') >= ${sqlString(o.from)}`);
    if (o.to) out.push(`json_extract_string(record, '$.eventTime') < ${sqlString(o.to)}`);
  }
  return out;
}

function header(ir: { id: string; title: string; level: string; source: string; techniques: string[] }): string {
  const line = (s: string) => `-- ${s.replace(/[\r\n]+/g, " ")}`;
  return [
    line(`rule: ${ir.id}`),
    line(`title: ${ir.title}`),
    line(`level: ${ir.level}`),
    line(`techniques: ${ir.techniques.join(", ") || "none"}`),
    line(`source: ${ir.source}`),
  ].join("\n");
}

/** The boolean condition of a single-event rule in a dialect (throws Unsupported). */
export function ruleCondition(
  ir: RuleIR,
  dialect: DialectName,
  o: { record?: string; columns?: ReadonlyMap<string, string>; lists?: FieldLists } = {},
): string {
  return exprSql(backend(dialect, o.record ?? "record", o.columns, o.lists), ir.expr);
}

/** DuckDB: the fields an expression reads, extracted once per record (see duckdbFieldColumns). */
function duckdbFrom(source: string, fields: Iterable<string>): { from: string; columns: Map<string, string> } {
  const f = duckdbFieldColumns(fields);
  return { from: `(SELECT *, ${f.project} FROM (SELECT *, ${f.extract} FROM ${source}))`, columns: f.columns };
}

function eventQuery(ir: RuleIR, dialect: DialectName, o: CompileOptions): CompiledQuery {
  let from = o.source ?? DEFAULT_SOURCE[dialect];
  let where: string;
  if (dialect === "duckdb") {
    const d = duckdbFrom(from, fieldsOf(ir.expr));
    from = d.from;
    where = ruleCondition(ir, dialect, { columns: d.columns });
  } else where = ruleCondition(ir, dialect);
  const conds = [...partitionFilter(dialect, o), `(${where})`];
  const sql = `${header(ir)}\nSELECT ${sqlString(ir.id)} AS rule_id, ${selectList(dialect)}\nFROM ${from}\nWHERE ${conds.join("\n  AND ")}`;
  return {
    ruleId: ir.id,
    title: ir.title,
    level: ir.level,
    source: ir.source,
    techniques: ir.techniques,
    kind: "event",
    sql,
    where,
  };
}

// ---- correlations ----

const OP_SQL = { gt: ">", gte: ">=", lt: "<", lte: "<=", eq: "=", neq: "<>" } as const;

function correlationQuery(
  c: CompiledCorrelation,
  rulesById: ReadonlyMap<string, CompiledRule>,
  dialect: DialectName,
  o: CompileOptions,
): CompiledQuery {
  if (c.type !== "event_count" && c.type !== "value_count")
    throw new Unsupported(`correlation type ${c.type} (ordered or per-rule state; runs in the JS engine)`);
  if (Object.keys(c.aliases).length > 0) throw new Unsupported("correlation aliases");
  if (!c.bounds.every((b) => b.op === "gt" || b.op === "gte"))
    throw new Unsupported("a correlation condition with an upper bound (checked when the window closes)");
  const virtual = [...c.groupBy, c.field ?? ""].find((f) => f.startsWith("techtrail.") && f !== PRINCIPAL);
  if (virtual) throw new Unsupported(`derived field '${virtual}'`);
  const irs = (c.targets ?? c.ruleRefs).map((id) => {
    const r = rulesById.get(id);
    if (!r) throw new Unsupported(`a correlation over another correlation ('${id}')`);
    return ruleIR(r);
  });
  let from = o.source ?? DEFAULT_SOURCE[dialect];
  let columns: Map<string, string> | undefined;
  if (dialect === "duckdb") {
    const fields = new Set([...c.groupBy, ...(c.field ? [c.field] : [])].filter((f) => f !== PRINCIPAL));
    for (const ir of irs) fieldsOf(ir.expr, fields);
    ({ from, columns } = duckdbFrom(from, fields));
  }
  const b = backend(dialect, "record", columns);
  const bases = irs.map((ir) => exprSql(b, ir.expr));
  const text = (field: string) => {
    if (field === PRINCIPAL) return principalSql(dialect);
    const a = b.access(field);
    if (dialect === "duckdb") return `json_extract_string(${a.expr}, '$')`;
    if (a.kind === "text") return a.expr;
    if (a.kind === "list") return `element_at(${a.expr}, 1)`;
    return `json_extract_scalar(${a.expr}, '$')`;
  };
  const groups = c.groupBy.map((f, i) => ({ field: f, col: `g${i}`, expr: text(f) }));
  const ts =
    dialect === "duckdb"
      ? "try_cast(json_extract_string(record, '$.eventTime') AS TIMESTAMPTZ)"
      : dialect === "athena"
        ? "from_iso8601_timestamp(eventtime)"
        : "eventtime";
  const eventId = dialect === "duckdb" ? "json_extract_string(record, '$.eventID')" : "eventid";
  const valueCol = c.type === "value_count" ? `, ${text(c.field as string)} AS v` : "";
  const where = [...partitionFilter(dialect, o), `(${bases.map((x) => `(${x})`).join(" OR ")})`];
  const partition = groups.length > 0 ? `PARTITION BY ${groups.map((g) => g.col).join(", ")} ` : "";
  const seconds = Math.max(1, Math.round(c.timespanMs / 1000));
  const frame = `(${partition}ORDER BY ts RANGE BETWEEN INTERVAL '${seconds}' SECOND PRECEDING AND CURRENT ROW)`;
  const measure =
    c.type === "event_count"
      ? `count(*) OVER ${frame}`
      : dialect === "duckdb"
        ? `len(list_distinct(list(v) OVER ${frame}))`
        : `cardinality(array_distinct(filter(array_agg(v) OVER ${frame}, x -> x IS NOT NULL)))`;
  const cond = c.bounds.map((bd) => `n ${OP_SQL[bd.op]} ${bd.value}`).join(" AND ") || "n > 0";
  const groupCols = groups.map((g) => `${g.col} AS ${quoteIdent(g.field)}`);
  const sql = [
    header({ id: c.id, title: c.title, level: c.level, source: c.source, techniques: c.techniqueRefs }),
    `-- correlation: ${c.type} over ${(c.targets ?? c.ruleRefs).join(", ")}, timespan ${seconds}s${c.groupBy.length ? `, group-by ${c.groupBy.join(", ")}` : ""}`,
    "WITH matched AS (",
    `  SELECT ${[...groups.map((g) => `${g.expr} AS ${g.col}`), `${ts} AS ts`, `${eventId} AS event_id`].join(", ")}${valueCol}`,
    `  FROM ${from}`,
    `  WHERE ${where.join("\n    AND ")}`,
    "), windowed AS (",
    `  SELECT *, ${measure} AS n FROM matched WHERE ts IS NOT NULL${groups.map((g) => ` AND ${g.col} IS NOT NULL`).join("")}`,
    ")",
    `SELECT ${[sqlString(c.id) + " AS rule_id", ...groupCols, "min(ts) AS first_time", "max(ts) AS last_time", "max(n) AS count"].join(", ")}`,
    "FROM windowed",
    `WHERE ${cond}`,
    groups.length > 0 ? `GROUP BY ${groups.map((g) => g.col).join(", ")}` : "",
  ]
    .filter((l) => l !== "")
    .join("\n");
  return {
    ruleId: c.id,
    title: c.title,
    level: c.level,
    source: c.source,
    techniques: c.techniqueRefs,
    kind: "correlation",
    sql,
  };
}

/** The derived field techtrail.principal (correlation-fields.ts): the ARN, else the session issuer's, else the service. */
const PRINCIPAL = "techtrail.principal";
function principalSql(dialect: DialectName): string {
  if (dialect === "duckdb") {
    const j = (p: string) => `json_extract_string(record, '$.userIdentity.${p}')`;
    return `coalesce(${j("arn")}, ${j("sessionContext.sessionIssuer.arn")}, CASE WHEN ${j("type")} = 'AWSService' THEN ${j("invokedBy")} END)`;
  }
  return "coalesce(useridentity.arn, useridentity.sessioncontext.sessionissuer.arn, CASE WHEN useridentity.type = 'AWSService' THEN useridentity.invokedby END)";
}

const quoteIdent = (s: string) => `"${s.replace(/"/g, '""')}"`;

/**
 * Compiles rules and correlations to one query each in a dialect. Rules that only feed correlations get no
 * query of their own. A rule or correlation the dialect cannot express is listed in `unsupported` with the
 * construct, never dropped silently.
 */
export function compileRules(
  set: { rules: readonly CompiledRule[]; correlations?: readonly CompiledCorrelation[] },
  dialect: DialectName,
  opts: CompileOptions = {},
): CompileResult {
  const queries: CompiledQuery[] = [];
  const unsupported: UnsupportedRule[] = [];
  const attempt = (id: string, source: string, f: () => CompiledQuery) => {
    try {
      queries.push(f());
    } catch (e) {
      if (!(e instanceof Unsupported)) throw e;
      unsupported.push({ ruleId: id, source, construct: e.construct });
    }
  };
  for (const r of set.rules) {
    if (r.correlationOnly) continue;
    attempt(r.id, r.source, () => eventQuery(ruleIR(r), dialect, opts));
  }
  const byId = new Map(set.rules.map((r) => [r.id, r]));
  for (const c of set.correlations ?? []) attempt(c.id, c.source, () => correlationQuery(c, byId, dialect, opts));
  return { dialect, queries, unsupported };
}

/** All single-event queries of a result as one query (UNION ALL), with the header of each rule. */
export function combinedQuery(result: CompileResult): string {
  const events = result.queries.filter((q) => q.kind === "event");
  return events.map((q) => `(\n${q.sql}\n)`).join("\nUNION ALL\n");
}
