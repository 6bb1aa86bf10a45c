// Incident facts for analytics: one compact, column-oriented snapshot of what every analysis needs (date,
// severity, actor, detection source, response times, tags, technique IDs in first-seen order), read with
// three plain SELECTs (same on SQLite and PostgreSQL) and cached in the `analytics_cache` table under a
// fingerprint of the store (schema version, newest audit-trail row, incident count). Every change to the
// register writes an audit row, so a changed store never reuses a stale snapshot. A cached snapshot of
// 100,000 incidents loads in tens of milliseconds; analyses then run in memory over integer codes.
import { z } from "zod";
import { TechtrailError } from "../core/errors.js";
import { nameKey, Severity } from "../incidents/model.js";
import type { SqlDb } from "../store/sql.js";
import type { AnalyticsFilter, Scope } from "./model.js";
import { type AnalyticsSource, describeEmpty, num, str, whereFor } from "./query.js";

export const FACTS_FORMAT = 2;
const SEVERITIES = Severity.options;

/**
 * The cached snapshot as stored: one text of newline-separated parts — a small JSON header (format,
 * fingerprint, count, dictionaries), the incident keys joined by commas, then each numeric column as
 * little-endian typed-array bytes in base64 (seconds for times, NaN when unknown). Reading it back is a
 * split, one small JSON parse and base64 decoding, checked against the incident count and dictionaries.
 */
const CacheHeader = z.strictObject({
  format: z.literal(FACTS_FORMAT),
  fingerprint: z.string(),
  n: z.number().int().nonnegative(),
  actors: z.array(z.tuple([z.string(), z.string()])),
  sources: z.array(z.string()),
  techIds: z.array(z.string()),
  tags: z.array(z.string()),
});
const COLUMNS = [
  "at",
  "sev",
  "actor",
  "source",
  "demo",
  "ttd",
  "ttc",
  "techStart",
  "techCodes",
  "tagStart",
  "tagCodes",
] as const;
type Column = (typeof COLUMNS)[number];
interface CachedFacts extends z.infer<typeof CacheHeader> {
  keys: string;
  columns: Record<Column, string>;
}

function serialiseCache(c: CachedFacts): string {
  const { keys, columns, ...header } = c;
  return [JSON.stringify(header), keys, ...COLUMNS.map((k) => columns[k])].join("\n");
}

function parseCache(text: string): CachedFacts | undefined {
  const parts = text.split("\n");
  if (parts.length !== 2 + COLUMNS.length) return undefined;
  const header = CacheHeader.safeParse(safeJson(parts[0] ?? ""));
  if (!header.success) return undefined;
  const columns = {} as Record<Column, string>;
  COLUMNS.forEach((k, i) => {
    columns[k] = parts[i + 2] ?? "";
  });
  return { ...header.data, keys: parts[1] ?? "", columns };
}

/** Facts as plain arrays while they are read from the tables. */
interface FactsDoc {
  fingerprint: string;
  keys: string[];
  at: Array<number | null>;
  sev: number[];
  actor: number[];
  actors: Array<[string, string]>;
  source: number[];
  sources: string[];
  demo: number[];
  ttd: Array<number | null>;
  ttc: Array<number | null>;
  techStart: number[];
  techCodes: number[];
  techIds: string[];
  tagStart: number[];
  tagCodes: number[];
  tags: string[];
}

export interface Facts {
  fingerprint: string;
  n: number;
  keys: string[];
  /** Incident date in epoch milliseconds (NaN when unknown). */
  at: Float64Array;
  /** 0..3 for P1..P4. */
  sev: Uint8Array;
  /** Index into actors, -1 when unattributed. */
  actor: Int32Array;
  actors: Array<{ key: string; name: string }>;
  /** Index into sources, -1 when not recorded. */
  source: Int32Array;
  sources: string[];
  demo: Uint8Array;
  /** Seconds; NaN when a timeline field is missing. */
  ttd: Float64Array;
  ttc: Float64Array;
  /** Techniques of incident i are techCodes[techStart[i] .. techStart[i+1]), in first-seen order. */
  techStart: Uint32Array;
  techCodes: Uint16Array;
  techIds: string[];
  tagStart: Uint32Array;
  tagCodes: Uint16Array;
  tags: string[];
}

export const severityName = (code: number): Severity => SEVERITIES[code] ?? "P4";

/** Cheap O(1)-ish fingerprint: schema version, newest audit row, incident count. */
export async function storeFingerprint(db: SqlDb): Promise<string> {
  const [v] = await db.query("SELECT MAX(version) AS v FROM schema_migrations");
  const [a] = await db.query("SELECT MAX(id) AS id FROM audit_log");
  const [c] = await db.query("SELECT COUNT(*) AS n FROM incidents");
  return `f${FACTS_FORMAT}:s${num(v?.v)}:a${num(a?.id)}:n${num(c?.n)}`;
}

const toMs = (v: unknown): number => {
  if (v === null || v === undefined) return Number.NaN;
  if (v instanceof Date) return v.getTime();
  return Date.parse(String(v));
};

/** Reads the facts of every incident from the store tables (the slow path, run when the cache is stale). */
async function readFacts(db: SqlDb, fingerprint: string): Promise<FactsDoc> {
  const inc = await db.query(
    `SELECT key, incident_at, severity, actor_key, threat_actor, detection_source, is_demo, first_activity_at, detected_at, contained_at
     FROM incidents`,
  );
  const index = new Map<string, number>();
  const doc: FactsDoc = {
    fingerprint,
    keys: [],
    at: [],
    sev: [],
    actor: [],
    actors: [],
    source: [],
    sources: [],
    demo: [],
    ttd: [],
    ttc: [],
    techStart: [],
    techCodes: [],
    techIds: [],
    tagStart: [],
    tagCodes: [],
    tags: [],
  };
  const actorCode = new Map<string, number>();
  const sourceCode = new Map<string, number>();
  const secs = (a: number, b: number) => (Number.isNaN(a) || Number.isNaN(b) ? null : Math.round((b - a) / 1000));
  for (const r of inc) {
    const key = str(r.key);
    index.set(key, doc.keys.length);
    doc.keys.push(key);
    const at = toMs(r.incident_at);
    doc.at.push(Number.isNaN(at) ? null : Math.round(at / 1000));
    const sev = SEVERITIES.indexOf(str(r.severity) as Severity);
    doc.sev.push(sev < 0 ? 3 : sev);
    if (r.actor_key === null || r.actor_key === undefined) doc.actor.push(-1);
    else {
      const k = str(r.actor_key);
      const name = str(r.threat_actor) || k;
      let c = actorCode.get(k);
      if (c === undefined) {
        c = doc.actors.length;
        actorCode.set(k, c);
        doc.actors.push([k, name]);
      } else {
        // The display name is the smallest spelling seen, whatever order the rows come in.
        const entry = doc.actors[c];
        if (entry && name < entry[1]) entry[1] = name;
      }
      doc.actor.push(c);
    }
    if (r.detection_source === null || r.detection_source === undefined) doc.source.push(-1);
    else {
      const s = str(r.detection_source);
      let c = sourceCode.get(s);
      if (c === undefined) {
        c = doc.sources.length;
        sourceCode.set(s, c);
        doc.sources.push(s);
      }
      doc.source.push(c);
    }
    doc.demo.push(r.is_demo === true || r.is_demo === 1 || r.is_demo === "1" ? 1 : 0);
    const first = toMs(r.first_activity_at);
    const detected = toMs(r.detected_at);
    const contained = toMs(r.contained_at);
    doc.ttd.push(secs(first, detected));
    doc.ttc.push(secs(detected, contained));
  }
  const n = doc.keys.length;

  // Technique tags, ordered inside each incident by first-seen time (unknown last), then tag order.
  const techRows = await db.query("SELECT incident_key, technique_id, first_seen, ord FROM incident_techniques");
  const perIncident: Array<Array<[string, number, number]>> = Array.from({ length: n }, () => []);
  const techCode = new Map<string, number>();
  for (const r of techRows) {
    const i = index.get(str(r.incident_key));
    if (i === undefined) continue;
    const id = str(r.technique_id);
    let c = techCode.get(id);
    if (c === undefined) {
      c = doc.techIds.length;
      techCode.set(id, c);
      doc.techIds.push(id);
    }
    const fs = r.first_seen === null || r.first_seen === undefined ? "9999" : str(r.first_seen);
    perIncident[i]?.push([fs, num(r.ord), c]);
  }
  if (doc.techIds.length > 65535) throw new TechtrailError("UNSUPPORTED", "more than 65,535 distinct technique IDs");
  for (let i = 0; i < n; i++) {
    doc.techStart.push(doc.techCodes.length);
    const list = perIncident[i] ?? [];
    list.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] - b[1]));
    for (const [, , c] of list) doc.techCodes.push(c);
  }
  doc.techStart.push(doc.techCodes.length);

  // Labels are stored as `tag:<label>` facets next to technique families and tactics.
  const tagRows = await db.query(
    "SELECT incident_key, substr(facet, 5) AS tag FROM incident_facets WHERE substr(facet, 1, 4) = 'tag:'",
  );
  const perTag: number[][] = Array.from({ length: n }, () => []);
  const tagCode = new Map<string, number>();
  for (const r of tagRows) {
    const i = index.get(str(r.incident_key));
    if (i === undefined) continue;
    const t = str(r.tag);
    let c = tagCode.get(t);
    if (c === undefined) {
      c = doc.tags.length;
      tagCode.set(t, c);
      doc.tags.push(t);
    }
    perTag[i]?.push(c);
  }
  for (let i = 0; i < n; i++) {
    doc.tagStart.push(doc.tagCodes.length);
    for (const c of perTag[i] ?? []) doc.tagCodes.push(c);
  }
  doc.tagStart.push(doc.tagCodes.length);
  return doc;
}

function fromDoc(d: FactsDoc): Facts {
  const nan = (v: number | null) => (v === null ? Number.NaN : v);
  return {
    fingerprint: d.fingerprint,
    n: d.keys.length,
    keys: d.keys,
    at: Float64Array.from(d.at, (v) => (v === null ? Number.NaN : v * 1000)),
    sev: Uint8Array.from(d.sev),
    actor: Int32Array.from(d.actor),
    actors: d.actors.map(([key, name]) => ({ key, name })),
    source: Int32Array.from(d.source),
    sources: d.sources,
    demo: Uint8Array.from(d.demo),
    ttd: Float64Array.from(d.ttd, nan),
    ttc: Float64Array.from(d.ttc, nan),
    techStart: Uint32Array.from(d.techStart),
    techCodes: Uint16Array.from(d.techCodes),
    techIds: d.techIds,
    tagStart: Uint32Array.from(d.tagStart),
    tagCodes: Uint16Array.from(d.tagCodes),
    tags: d.tags,
  };
}

const b64 = (a: ArrayBufferView): string => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString("base64");

/** Typed array of `length` elements from base64 bytes; undefined when the size does not match. */
function unb64<T>(
  s: string,
  ctor: { new (b: ArrayBuffer): T; BYTES_PER_ELEMENT: number },
  length: number,
): T | undefined {
  const buf = Buffer.from(s, "base64");
  if (buf.byteLength !== length * ctor.BYTES_PER_ELEMENT) return undefined;
  const copy = new ArrayBuffer(buf.byteLength);
  new Uint8Array(copy).set(buf);
  return new ctor(copy);
}

function encodeFacts(f: Facts): CachedFacts {
  return {
    format: FACTS_FORMAT,
    fingerprint: f.fingerprint,
    n: f.n,
    keys: f.keys.join(","),
    actors: f.actors.map((a) => [a.key, a.name]),
    sources: f.sources,
    techIds: f.techIds,
    tags: f.tags,
    columns: {
      at: b64(Float64Array.from(f.at, (v) => v / 1000)),
      sev: b64(f.sev),
      actor: b64(f.actor),
      source: b64(f.source),
      demo: b64(f.demo),
      ttd: b64(f.ttd),
      ttc: b64(f.ttc),
      techStart: b64(f.techStart),
      techCodes: b64(f.techCodes),
      tagStart: b64(f.tagStart),
      tagCodes: b64(f.tagCodes),
    },
  };
}

/** Decodes a cache row; undefined when anything is inconsistent (the caller then rebuilds). */
function decodeFacts(c: CachedFacts): Facts | undefined {
  const n = c.n;
  const keys = n === 0 ? [] : c.keys.split(",");
  if (keys.length !== n) return undefined;
  const atS = unb64(c.columns.at, Float64Array, n);
  const sev = unb64(c.columns.sev, Uint8Array, n);
  const actor = unb64(c.columns.actor, Int32Array, n);
  const source = unb64(c.columns.source, Int32Array, n);
  const demo = unb64(c.columns.demo, Uint8Array, n);
  const ttd = unb64(c.columns.ttd, Float64Array, n);
  const ttc = unb64(c.columns.ttc, Float64Array, n);
  const techStart = unb64(c.columns.techStart, Uint32Array, n + 1);
  const tagStart = unb64(c.columns.tagStart, Uint32Array, n + 1);
  if (!atS || !sev || !actor || !source || !demo || !ttd || !ttc || !techStart || !tagStart) return undefined;
  const techCodes = unb64(c.columns.techCodes, Uint16Array, techStart[n] ?? 0);
  const tagCodes = unb64(c.columns.tagCodes, Uint16Array, tagStart[n] ?? 0);
  if (!techCodes || !tagCodes) return undefined;
  // Codes must point into their dictionaries.
  for (const x of techCodes) if (x >= c.techIds.length) return undefined;
  for (const x of tagCodes) if (x >= c.tags.length) return undefined;
  for (const x of sev) if (x > 3) return undefined;
  for (const x of actor) if (x >= c.actors.length) return undefined;
  for (const x of source) if (x >= c.sources.length) return undefined;
  return {
    fingerprint: c.fingerprint,
    n,
    keys,
    at: atS.map((v) => v * 1000),
    sev,
    actor,
    actors: c.actors.map(([key, name]) => ({ key, name })),
    source,
    sources: c.sources,
    demo,
    ttd,
    ttc,
    techStart,
    techCodes,
    techIds: c.techIds,
    tagStart,
    tagCodes,
    tags: c.tags,
  };
}

/** The newest snapshot per database handle, so repeated queries in one process skip even the cache read. */
const memo = new WeakMap<SqlDb, Facts>();

/**
 * Facts for the whole store: from memory, else the cache table when its fingerprint matches, else
 * rebuilt from the tables (and the cache refreshed; a read-only database just skips that).
 */
export async function loadFacts(src: AnalyticsSource): Promise<Facts> {
  const db = src.db;
  const fingerprint = await storeFingerprint(db);
  const hit = memo.get(db);
  if (hit && hit.fingerprint === fingerprint) return hit;
  const rows = await db.query("SELECT fingerprint, data FROM analytics_cache WHERE name = ?", ["facts"]);
  const row = rows[0];
  if (row && str(row.fingerprint) === fingerprint) {
    const parsed = parseCache(str(row.data));
    const facts = parsed && parsed.fingerprint === fingerprint ? decodeFacts(parsed) : undefined;
    if (facts) {
      memo.set(db, facts);
      return facts;
    }
  }
  const facts = fromDoc(await readFacts(db, fingerprint));
  try {
    await db.run(
      "INSERT INTO analytics_cache (name, fingerprint, data, built_at) VALUES (?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET fingerprint = excluded.fingerprint, data = excluded.data, built_at = excluded.built_at",
      ["facts", fingerprint, serialiseCache(encodeFacts(facts)), new Date().toISOString()],
    );
  } catch {
    // A read-only connection cannot refresh the cache; the snapshot still serves this process.
  }
  memo.set(db, facts);
  return facts;
}

function safeJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
}

/**
 * Indexes of the incidents matching the filter. Everything but the account filter is answered from the
 * facts; accounts live in the incident documents and are looked up with one SQL query.
 */
export async function selectIncidents(
  src: AnalyticsSource,
  facts: Facts,
  f: AnalyticsFilter,
  opts: { dates?: boolean } = {},
): Promise<Int32Array> {
  const from = opts.dates !== false && f.from ? Date.parse(f.from) : undefined;
  const to = opts.dates !== false && f.to ? Date.parse(f.to) : undefined;
  const sevs = f.severity ? new Set(f.severity.map((s) => SEVERITIES.indexOf(s))) : undefined;
  let actor: number | undefined;
  if (f.actor) {
    const k = nameKey(f.actor);
    actor = facts.actors.findIndex((a) => a.key === k);
    if (actor < 0) return new Int32Array(0);
  }
  let tag: number | undefined;
  if (f.tag) {
    tag = facts.tags.indexOf(f.tag);
    if (tag < 0) return new Int32Array(0);
  }
  let accountKeys: Set<string> | undefined;
  if (f.account) {
    const w = whereFor({ account: f.account }, src.db.dialect);
    const rows = await src.db.query(`SELECT i.key AS key FROM incidents i ${w.sql}`, w.params);
    accountKeys = new Set(rows.map((r) => str(r.key)));
  }
  const demo = f.demo === undefined ? undefined : f.demo ? 1 : 0;
  const out = new Int32Array(facts.n);
  let m = 0;
  for (let i = 0; i < facts.n; i++) {
    const at = facts.at[i] as number;
    if (from !== undefined && !(at >= from)) continue;
    if (to !== undefined && !(at < to)) continue;
    if (sevs && !sevs.has(facts.sev[i] as number)) continue;
    if (actor !== undefined && facts.actor[i] !== actor) continue;
    if (demo !== undefined && facts.demo[i] !== demo) continue;
    if (tag !== undefined) {
      let has = false;
      for (let k = facts.tagStart[i] as number; k < (facts.tagStart[i + 1] as number); k++)
        if (facts.tagCodes[k] === tag) {
          has = true;
          break;
        }
      if (!has) continue;
    }
    if (accountKeys && !accountKeys.has(facts.keys[i] as string)) continue;
    out[m++] = i;
  }
  return out.subarray(0, m);
}

/** Technique codes of incident i. */
export function techniquesOf(facts: Facts, i: number): Uint16Array {
  return facts.techCodes.subarray(facts.techStart[i] as number, facts.techStart[i + 1] as number);
}

/** The scope block of a result for a selection. */
export function scopeFor(f: AnalyticsFilter, incidents: number): Scope {
  const scope: Scope = { filter: f, incidents, empty: incidents === 0 };
  if (incidents === 0) scope.note = describeEmpty(f);
  return scope;
}

/** Facts and the selected incidents for a filter, with the scope block. */
export async function factsFor(
  src: AnalyticsSource,
  f: AnalyticsFilter,
): Promise<{ facts: Facts; sel: Int32Array; scope: Scope }> {
  const facts = await loadFacts(src);
  const sel = await selectIncidents(src, facts, f);
  return { facts, sel, scope: scopeFor(f, sel.length) };
}
