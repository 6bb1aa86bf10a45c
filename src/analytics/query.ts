// SQL building blocks for analytics, written once for SQLite and PostgreSQL: the filter as a WHERE clause,
// ordered string aggregation, per-incident technique lists, the scope count and small numeric helpers.
// Every query reads through the store's SqlDb; rows are checked before use.
import { TechtrailError } from "../core/errors.js";
import { canonicalTimestamp, nameKey } from "../incidents/model.js";
import type { Dialect, SqlDb, SqlValue } from "../store/sql.js";
import type { AnalyticsFilter, Scope } from "./model.js";

/** Anything that exposes the store's SQL access (a Store, or an SqlDb wrapped as `{ db }`). */
export interface AnalyticsSource {
  readonly db: SqlDb;
}

/** Fixed-width UTC text, as the store writes incident dates (SQLite compares them as strings). */
export const tsParam = (v: string): string => new Date(v).toISOString();

export interface Where {
  sql: string;
  params: SqlValue[];
  /** True when there is at least one condition. */
  any: boolean;
}

/** The filter as conditions on incidents aliased `alias`; `dates: false` leaves the date range out. */
export function whereFor(
  f: AnalyticsFilter,
  dialect: Dialect,
  opts: { alias?: string; dates?: boolean; extra?: string[] } = {},
): Where {
  const a = opts.alias ?? "i";
  const conds: string[] = [...(opts.extra ?? [])];
  const params: SqlValue[] = [];
  if (opts.dates !== false && f.from) {
    conds.push(`${a}.incident_at >= ?`);
    params.push(tsParam(f.from));
  }
  if (opts.dates !== false && f.to) {
    conds.push(`${a}.incident_at < ?`);
    params.push(tsParam(f.to));
  }
  if (f.severity?.length) {
    conds.push(`${a}.severity IN (${f.severity.map(() => "?").join(", ")})`);
    params.push(...f.severity);
  }
  if (f.actor) {
    conds.push(`${a}.actor_key = ?`);
    params.push(nameKey(f.actor));
  }
  if (f.tag) {
    conds.push(`${a}.key IN (SELECT incident_key FROM incident_facets WHERE facet = ?)`);
    params.push(`tag:${f.tag}`);
  }
  if (f.account) {
    conds.push(
      dialect === "sqlite"
        ? `EXISTS (SELECT 1 FROM json_each(${a}.doc, '$.accounts') acc WHERE acc.value = ?)`
        : `(${a}.doc -> 'accounts') @> jsonb_build_array(CAST(? AS TEXT))`,
    );
    params.push(f.account);
  }
  if (f.demo !== undefined) {
    conds.push(`${a}.is_demo = ?`);
    params.push(f.demo);
  }
  return { sql: conds.length ? `WHERE ${conds.join(" AND ")}` : "", params, any: conds.length > 0 };
}

/**
 * incidents → incident_techniques. SQLite's CROSS JOIN keeps that loop order, so a date range walks the
 * covering index of incidents and looks techniques up by incident key.
 */
export function joinTechniques(dialect: Dialect, i = "i", t = "t"): string {
  return `incidents ${i} ${dialect === "sqlite" ? "CROSS JOIN" : "JOIN"} incident_techniques ${t} ON ${t}.incident_key = ${i}.key`;
}

/** Comma-joined values of a group (NULLs skipped), optionally ordered. */
export function stringAgg(dialect: Dialect, expr: string, orderBy?: string): string {
  const order = orderBy ? ` ORDER BY ${orderBy}` : "";
  return dialect === "sqlite" ? `group_concat(${expr}, ','${order})` : `string_agg(CAST(${expr} AS TEXT), ','${order})`;
}

export function num(v: unknown): number {
  if (typeof v === "number") return v;
  if (typeof v === "bigint") return Number(v);
  if (typeof v === "string" && v.trim() !== "") {
    const n = Number(v);
    if (Number.isFinite(n)) return n;
  }
  if (v === null || v === undefined) return 0;
  throw new TechtrailError("INTERNAL", `expected a number from the database, got ${String(v)}`);
}

export function str(v: unknown): string {
  if (typeof v === "string") return v;
  if (v === null || v === undefined) return "";
  return String(v);
}

/** Canonical timestamp from a DB value (SQLite text or PostgreSQL Date), or null. */
export function tsValue(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  const ms = v instanceof Date ? v.getTime() : Date.parse(String(v));
  return Number.isNaN(ms) ? null : canonicalTimestamp(ms);
}

/** Linear-interpolation quantile (R type 7) of unsorted values; null for none. */
export function quantile(values: ArrayLike<number>, q: number, sorted = false): number | null {
  if (values.length === 0) return null;
  const v = sorted ? values : Float64Array.from(values).sort();
  const pos = (v.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = v[lo] as number;
  const b = v[hi] as number;
  return a + (b - a) * (pos - lo);
}

export const ratio = (a: number, b: number): number => (b > 0 ? a / b : 0);

/** Count of incidents matching the filter, and the scope block every result carries. */
export async function scopeOf(src: AnalyticsSource, f: AnalyticsFilter): Promise<Scope> {
  const w = whereFor(f, src.db.dialect);
  const rows = await src.db.query(`SELECT COUNT(*) AS n FROM incidents i ${w.sql}`, w.params);
  const n = num(rows[0]?.n);
  const scope: Scope = { filter: f, incidents: n, empty: n === 0 };
  if (n === 0) scope.note = describeEmpty(f);
  return scope;
}

export function describeEmpty(f: AnalyticsFilter): string {
  const parts: string[] = [];
  if (f.from || f.to) parts.push(`between ${f.from ?? "the beginning"} and ${f.to ?? "now"}`);
  if (f.severity) parts.push(`with severity ${f.severity.join("/")}`);
  if (f.account) parts.push(`in account ${f.account}`);
  if (f.actor) parts.push(`attributed to ${f.actor}`);
  if (f.tag) parts.push(`tagged ${f.tag}`);
  if (f.demo !== undefined) parts.push(f.demo ? "(demo data only)" : "(real incidents only)");
  return parts.length ? `no incidents ${parts.join(" ")}` : "the incident store is empty";
}

export interface IncidentTechniques {
  key: string;
  severity: string;
  date: string | null;
  techniques: string[];
}

/**
 * One row per incident that has technique tags: its key, severity, date and technique IDs
 * (in first-seen order, then tag order, when `ordered`).
 */
export async function incidentTechniqueLists(
  src: AnalyticsSource,
  f: AnalyticsFilter,
  opts: { ordered?: boolean } = {},
): Promise<IncidentTechniques[]> {
  const d = src.db.dialect;
  const w = whereFor(f, d);
  const agg = stringAgg(d, "t.technique_id", opts.ordered ? "COALESCE(t.first_seen, '9999'), t.ord" : undefined);
  const rows = await src.db.query(
    `SELECT i.key AS key, i.severity AS severity, i.incident_at AS at, ${agg} AS techs
     FROM ${joinTechniques(d)} ${w.sql} GROUP BY i.key, i.severity, i.incident_at`,
    w.params,
  );
  return rows.map((r) => ({
    key: str(r.key),
    severity: str(r.severity),
    date: tsValue(r.at),
    techniques: str(r.techs).split(",").filter(Boolean),
  }));
}
