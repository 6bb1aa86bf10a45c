// The incident store written once over SqlDb (sql.ts) for both SQLite and PostgreSQL.
// An incident is one `incidents` row (filter columns + the document without techniques), one
// `incident_techniques` row per technique tag and one `incident_facets` row per distinct label, technique
// family and tactic (the facets make filtered counts cheap).
// Every change writes its audit row in the same transaction, so history and data cannot disagree.
import { StoredControls } from "../controls/model.js";
import { type Problem, TechtrailError, zodProblems } from "../core/errors.js";
import type { ActorIndicators } from "../core/indicators.js";
import type { Actor, ActorAuditEntry, ActorDetail, ActorSummary, NewActorInput } from "../incidents/actor.js";
import { checkKeys, KeyPattern, mergeRecord } from "../incidents/keys.js";
import {
  type AuditAction,
  AuditEntry,
  ChangeContext,
  type Confidence,
  canonicalTimestamp,
  changedFields,
  formatIncidentKey,
  Incident,
  IncidentSummary,
  incidentDate,
  KEY_SHAPE_RE,
  type NewIncident,
  nameKey,
  parseIncidentKey,
} from "../incidents/model.js";
import type {
  Answer,
  HintTaken,
  QuestionId,
  StoredAnswer,
  WorkshopRecord,
  WorkshopSummary,
} from "../workshops/model.js";
import { ActorTables } from "./actor-store.js";
import { chunk, type Row, type SqlDb, type SqlValue } from "./sql.js";
import {
  type ActorImportResult,
  type ImportOptions,
  type ImportResult,
  IncidentFilter,
  type IncidentFilterInput,
  type IncidentPage,
  type Store,
} from "./store.js";
import * as workshops from "./workshop-store.js";

const INCIDENT_COLUMNS = [
  "key",
  "year",
  "seq",
  "title",
  "status",
  "severity",
  "threat_actor",
  "actor_key",
  "campaign",
  "campaign_key",
  "detection_source",
  "initial_access",
  "initial_access_technique",
  "credential_type",
  "incident_at",
  "first_activity_at",
  "detected_at",
  "contained_at",
  "closed_at",
  "created_at",
  "updated_at",
  "is_demo",
  "actor_id",
  "doc",
] as const;
const TECHNIQUE_COLUMNS = [
  "incident_key",
  "ord",
  "technique_id",
  "catalog_version",
  "confidence",
  "evidence",
  "findings",
  "first_seen",
] as const;
const DOC_COLUMN = INCIDENT_COLUMNS.indexOf("doc");
const AUDIT_COLUMNS = ["incident_key", "action", "actor", "at", "before", "after", "note"] as const;

/** Fixed-width UTC text so that SQLite compares times correctly as strings (PostgreSQL casts it). */
const tsParam = (v: string | undefined): string | null => {
  if (v === undefined) return null;
  // Canonical second-precision text only lacks the milliseconds.
  if (v.length === 20 && v.endsWith("Z")) return `${v.slice(0, 19)}.000Z`;
  return new Date(v).toISOString();
};

function readTs(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (v instanceof Date) return canonicalTimestamp(v.getTime());
  return canonicalTimestamp(Date.parse(String(v)));
}

const readJson = (v: unknown): unknown => (typeof v === "string" ? JSON.parse(v) : v);

function nowIso(): string {
  return canonicalTimestamp(Date.now());
}

/**
 * Team keys (SEC-1234) are filed under year 0 with a sequence number of their own (key_counters row 0), so the
 * (year, seq) order of the table is also the order they were added in and never collides with IR keys.
 */
const TEAM_KEY_YEAR = 0;

/** Year a new incident's key is filed under. */
function keyYear(i: NewIncident, now: string): number {
  return Number((incidentDate({ timeline: i.timeline }) ?? i.createdAt ?? now).slice(0, 4));
}

/** Row values of an incident; `slot` is its (year, seq) place, fixed when it was stored. */
function incidentRow(i: Incident, slot: { year: number; seq: number }): SqlValue[] {
  const { year, seq } = slot;
  const { techniques: _t, slot: _s, ...doc } = i as Incident & { slot?: unknown };
  return [
    i.key,
    year,
    seq,
    i.title,
    i.status,
    i.severity,
    i.threatActor ?? null,
    i.threatActor ? nameKey(i.threatActor) : null,
    i.campaign ?? null,
    i.campaign ? nameKey(i.campaign) : null,
    i.detectionSource ?? null,
    i.initialAccess ?? null,
    i.initialAccessTechnique ?? null,
    i.credentialType ?? null,
    tsParam(incidentDate(i)),
    tsParam(i.timeline.firstActivity),
    tsParam(i.timeline.detected),
    tsParam(i.timeline.contained),
    tsParam(i.timeline.closed),
    tsParam(i.createdAt),
    tsParam(i.updatedAt),
    i.isDemo,
    i.actorId ?? null,
    JSON.stringify(doc),
  ];
}

function techniqueRows(i: Incident): SqlValue[][] {
  return i.techniques.map((t, n) => [
    i.key,
    n,
    t.id,
    t.catalogVersion,
    t.confidence,
    t.evidence,
    t.findings.length ? JSON.stringify(t.findings) : "[]",
    t.firstSeen ?? null,
  ]);
}

/** Maps a technique ID to its tactic IDs (from the catalog); without it no tactic facets are written. */
export type Taxonomy = (techniqueId: string) => readonly string[];

export function facetsOf(i: Incident, taxonomy?: Taxonomy): string[] {
  const out = new Set<string>();
  for (const t of i.tags) out.add(`tag:${t}`);
  for (const t of i.techniques) {
    out.add(`family:${t.id.split(".")[0]}`);
    if (taxonomy) for (const ta of taxonomy(t.id)) out.add(`tactic:${ta}`);
  }
  return [...out];
}

function auditRow(
  key: string,
  action: AuditAction,
  ctx: ChangeContext,
  before: Incident | null,
  after: Incident | null,
  at: string,
): SqlValue[] {
  return [
    key,
    action,
    ctx.actor,
    tsParam(at),
    before ? JSON.stringify(before) : null,
    after ? JSON.stringify(after) : null,
    ctx.note ?? null,
  ];
}

/** Validates a database row set back into an Incident (rows are a boundary too). */
function rebuild(doc: unknown, techniques: Row[]): Incident {
  const raw = {
    ...(readJson(doc) as Record<string, unknown>),
    techniques: techniques.map((r) => {
      const t: Record<string, unknown> = {
        id: r.technique_id,
        catalogVersion: r.catalog_version,
        confidence: r.confidence,
        evidence: r.evidence,
        findings: readJson(r.findings),
      };
      if (r.first_seen !== null && r.first_seen !== undefined) t.firstSeen = r.first_seen;
      return t;
    }),
  };
  const res = Incident.safeParse(raw);
  if (!res.success)
    throw new TechtrailError("INTERNAL", `stored incident ${String((raw as { key?: unknown }).key)} is invalid`, {
      problems: zodProblems(res.error.issues, "database"),
    });
  return res.data;
}

/** Same incident ignoring its bookkeeping time. */
function sameContent(a: Incident, b: Incident): boolean {
  return JSON.stringify({ ...a, updatedAt: "" }) === JSON.stringify({ ...b, updatedAt: "" });
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function escapeLike(s: string): string {
  return s.replace(/[!%_]/g, (c) => `!${c}`);
}

/** SQLite's normal page cache (negative: KiB), as set on open in sqlite.ts. */
export const SQLITE_CACHE_KIB = -65536;

/** A membership set with fewer rows than this drives the query; larger ones are probed per row. */
const SMALL_SET = 2000;

interface Cond {
  sql?: string;
  params?: SqlValue[];
  set?: { table: "incident_techniques" | "incident_facets"; column: string; values: string[] };
}

function conflictError(problems: Array<Problem & { key: string }>): TechtrailError {
  const conflicts = problems.map((p) => p.key);
  return new TechtrailError(
    "CONFLICT",
    problems.length === 1 ? (problems[0]?.message ?? "duplicate key") : `${problems.length} duplicate keys`,
    { problems: problems.map(({ key: _k, ...p }) => p), details: { conflicts } },
  );
}

/** An incident with its (year, seq) place in the table. */
type Prepared = Incident & { slot: { year: number; seq: number } };

class DryRunDone extends Error {
  constructor(readonly result: ImportResult) {
    super("dry run");
  }
}

export class SqlStore implements Store {
  readonly kind: "sqlite" | "postgres";
  private readonly actors: ActorTables;

  constructor(
    readonly db: SqlDb,
    readonly location: string,
  ) {
    this.kind = db.dialect;
    this.actors = new ActorTables(location);
  }

  /**
   * Keeps an incident's attribution in step (inside the write transaction): `actorId` names the actor and
   * threatActor takes its name; a threatActor alone (old clients, imports, spreadsheets) is looked up by name or
   * alias and a new actor is made for a new name; no actor, no confidence. On update, a changed actorId wins
   * over the name the incident had, and a changed name over the actorId it had.
   */
  private async attribute(
    tx: SqlDb,
    i: Incident,
    ctx: ChangeContext,
    cache: Map<string, Actor>,
    current?: Incident,
  ): Promise<void> {
    const byRef = async (ref: string, field: string, create: boolean, wantId?: string): Promise<Actor> => {
      const k = ref.startsWith("ACT-") ? ref : `name:${nameKey(ref)}`;
      let a = cache.get(k);
      if (!a) {
        a = await this.actors.find(tx, ref);
        // an export's actor ID is kept when this register does not use it (export → import round-trips)
        const id = wantId && !(await this.actors.find(tx, wantId)) ? { id: wantId } : {};
        if (!a && create)
          a = await this.actors.create(tx, { name: ref, ...id }, ctx, {
            note: `from the threat actor of incident ${i.key}`,
          });
        if (!a)
          throw new TechtrailError("VALIDATION", `incident ${i.key}: no actor ${ref}`, {
            problems: [{ field, message: `no actor with ID ${ref} in ${this.location}` }],
          });
        cache.set(k, a);
      }
      return a;
    };
    const names = (a: Actor) => [a.name, ...a.aliases].map(nameKey);
    const nameOf = (x: Incident) => (x.threatActor ? nameKey(x.threatActor) : "");
    let actor: Actor | undefined;
    if (!current) {
      if (i.actorId) {
        const byId = await this.actors.find(tx, i.actorId);
        // an export from another register: its actor IDs mean nothing here, the name does
        if (byId && (!i.threatActor || names(byId).includes(nameOf(i)))) actor = byId;
        else if (!i.threatActor) actor = await byRef(i.actorId, "actorId", false);
      }
      if (!actor && i.threatActor) actor = await byRef(i.threatActor, "threatActor", true, i.actorId);
    } else if (i.actorId !== current.actorId) {
      actor = i.actorId ? await byRef(i.actorId, "actorId", false) : undefined;
    } else if (nameOf(i) !== nameOf(current)) {
      actor = i.threatActor ? await byRef(i.threatActor, "threatActor", true) : undefined;
    } else if (i.actorId) {
      actor =
        (await this.actors.find(tx, i.actorId)) ??
        (i.threatActor ? await byRef(i.threatActor, "threatActor", true) : undefined);
    } else if (i.threatActor) actor = await byRef(i.threatActor, "threatActor", true);
    if (actor) {
      i.actorId = actor.id;
      // the name as the incident had it when it still names the actor (a migrated spelling), else the actor's
      if (!i.threatActor || !names(actor).includes(nameKey(i.threatActor))) i.threatActor = actor.name;
      i.actorConfidence = i.actorConfidence ?? ("likely" satisfies Confidence);
    } else {
      delete i.actorId;
      delete i.threatActor;
      delete i.actorConfidence;
    }
  }

  private async loadTechniques(db: SqlDb, key: string): Promise<Row[]> {
    return db.query("SELECT * FROM incident_techniques WHERE incident_key = ? ORDER BY ord", [key]);
  }

  private async load(db: SqlDb, key: string, lock: boolean): Promise<Incident | undefined> {
    const forUpdate = lock && db.dialect === "postgres" ? " FOR UPDATE" : "";
    const rows = await db.query<{ doc: unknown }>(`SELECT doc FROM incidents WHERE key = ?${forUpdate}`, [key]);
    const row = rows[0];
    if (!row) return undefined;
    return rebuild(row.doc, await this.loadTechniques(db, key));
  }

  private taxonomy: Taxonomy | undefined;

  /** Tactic facets come from the catalog: the register sets this from the catalog it validates against. */
  setTaxonomy(taxonomy: Taxonomy): void {
    this.taxonomy = taxonomy;
  }

  private facetRows(i: Incident): SqlValue[][] {
    return facetsOf(i, this.taxonomy).map((f) => [f, i.key]);
  }

  /** Inserts the rows of new incidents; returns each incident's full JSON (for the audit row). */
  private async insert(db: SqlDb, incidents: readonly Prepared[]): Promise<string[]> {
    const rows = incidents.map((i) => incidentRow(i, i.slot));
    await db.insertMany("incidents", INCIDENT_COLUMNS, rows);
    const techRows = incidents.map(techniqueRows);
    await db.insertMany("incident_techniques", TECHNIQUE_COLUMNS, techRows.flat());
    // Sorted like the primary key (facet, incident): each facet's rows land together in the index.
    const facets = incidents.flatMap((i) => this.facetRows(i));
    facets.sort((a, b) => cmp(a[0] as string, b[0] as string) || cmp(a[1] as string, b[1] as string));
    await db.insertMany("incident_facets", ["facet", "incident_key"], facets);
    // The document JSON is already built: splice the techniques in rather than serialising everything again.
    return incidents.map((i, n) => {
      const doc = rows[n]?.[DOC_COLUMN] as string;
      return i.techniques.length
        ? `${doc.slice(0, -1)},"techniques":${JSON.stringify(i.techniques)}}`
        : doc.replace(/}$/, ',"techniques":[]}');
    });
  }

  private async audit(db: SqlDb, rows: SqlValue[][]): Promise<void> {
    await db.insertMany("audit_log", AUDIT_COLUMNS, rows);
  }

  /** Raises the per-year counters to at least the given sequence numbers. */
  private async bumpCounters(db: SqlDb, maxByYear: Map<number, number>): Promise<void> {
    const greatest = db.dialect === "sqlite" ? "MAX" : "GREATEST";
    for (const [year, seq] of maxByYear)
      await db.run(
        `INSERT INTO key_counters (year, last) VALUES (?, ?) ON CONFLICT (year) DO UPDATE SET last = ${greatest}(key_counters.last, excluded.last)`,
        [year, seq],
      );
  }

  /** Reserves `n` sequence numbers of a year atomically; returns the first. */
  private async reserve(db: SqlDb, year: number, n: number): Promise<number> {
    const rows = await db.query<{ last: number }>(
      "INSERT INTO key_counters (year, last) VALUES (?, ?) ON CONFLICT (year) DO UPDATE SET last = key_counters.last + excluded.last RETURNING last",
      [year, n],
    );
    return Number(rows[0]?.last) - n + 1;
  }

  /** The team key pattern (register_settings). */
  private async readKeyPattern(db: SqlDb): Promise<string | undefined> {
    const rows = await db.query<{ value: string }>("SELECT value FROM register_settings WHERE name = 'key_pattern'");
    return rows[0]?.value;
  }

  async keyPattern(): Promise<string | undefined> {
    return this.readKeyPattern(this.db);
  }

  async setKeyPattern(pattern: string | undefined): Promise<void> {
    if (pattern === undefined) {
      await this.db.run("DELETE FROM register_settings WHERE name = 'key_pattern'");
      return;
    }
    const res = KeyPattern.safeParse(pattern);
    if (!res.success)
      throw new TechtrailError("VALIDATION", `invalid key pattern ${pattern}`, {
        problems: zodProblems(res.error.issues).map((p) => ({ ...p, field: "keyPattern" })),
      });
    await this.db.run(
      "INSERT INTO register_settings (name, value) VALUES ('key_pattern', ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
      [res.data],
    );
  }

  async storedControls(): Promise<StoredControls | undefined> {
    const rows = await this.db.query<{ value: string }>("SELECT value FROM register_settings WHERE name = 'controls'");
    const v = rows[0]?.value;
    return v === undefined ? undefined : StoredControls.parse(JSON.parse(v));
  }

  async setStoredControls(text: string | undefined, ctx: ChangeContext): Promise<StoredControls | undefined> {
    if (text === undefined) {
      await this.db.run("DELETE FROM register_settings WHERE name = 'controls'");
      return undefined;
    }
    const stored: StoredControls = { text, updatedAt: nowIso(), updatedBy: ChangeContext.parse(ctx).actor };
    await this.db.run(
      "INSERT INTO register_settings (name, value) VALUES ('controls', ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
      [JSON.stringify(stored)],
    );
    return stored;
  }

  private async existingKeys(db: SqlDb, keys: readonly string[]): Promise<Set<string>> {
    const found = new Set<string>();
    for (const part of chunk(keys, 500)) {
      const rows = await db.query<{ key: string }>(
        `SELECT key FROM incidents WHERE key IN (${part.map(() => "?").join(", ")})`,
        part,
      );
      for (const r of rows) found.add(r.key);
    }
    return found;
  }

  /**
   * Explicit keys that are duplicated (against `seen`, the keys of the input so far) or already stored.
   * Adds the batch's keys to `seen`.
   */
  private async keyConflicts(
    db: SqlDb,
    inputs: readonly NewIncident[],
    seen: Set<string>,
    existing?: Set<string>,
  ): Promise<Array<Problem & { key: string }>> {
    const explicit = inputs.filter((i) => i.key !== undefined).map((i) => i.key as string);
    const problems: Array<Problem & { key: string }> = [];
    for (const k of explicit) {
      if (seen.has(k)) problems.push({ key: k, field: "key", message: `duplicate key ${k} in the input` });
      seen.add(k);
    }
    // An upsert passes the existing keys: they are updates, not conflicts.
    if (!existing)
      for (const k of await this.existingKeys(db, explicit))
        problems.push({ key: k, field: "key", message: `incident ${k} already exists` });
    return problems;
  }

  /** Assigns keys (next of their year unless given) and bookkeeping times; runs inside a transaction. */
  private async prepare(db: SqlDb, inputs: readonly NewIncident[]): Promise<Prepared[]> {
    const now = nowIso();
    const maxByYear = new Map<number, number>();
    const needByYear = new Map<number, number>();
    for (const i of inputs) {
      if (i.key === undefined) {
        const y = keyYear(i, now);
        needByYear.set(y, (needByYear.get(y) ?? 0) + 1);
        continue;
      }
      const own = parseIncidentKey(i.key);
      if (own) maxByYear.set(own.year, Math.max(maxByYear.get(own.year) ?? 0, own.seq));
      else needByYear.set(TEAM_KEY_YEAR, (needByYear.get(TEAM_KEY_YEAR) ?? 0) + 1);
    }
    await this.bumpCounters(db, maxByYear);
    const nextByYear = new Map<number, number>();
    for (const [y, n] of needByYear) nextByYear.set(y, await this.reserve(db, y, n));
    // Inputs are parsed NewIncident values already: only the store-assigned fields are added here.
    const take = (y: number) => {
      const seq = nextByYear.get(y) ?? 1;
      nextByYear.set(y, seq + 1);
      return { year: y, seq };
    };
    return inputs.map((i) => {
      let key = i.key;
      let slot: { year: number; seq: number };
      if (key === undefined) {
        slot = take(keyYear(i, now));
        key = formatIncidentKey(slot.year, slot.seq);
      } else slot = parseIncidentKey(key) ?? take(TEAM_KEY_YEAR);
      return { ...i, key, createdAt: i.createdAt ?? now, updatedAt: i.updatedAt ?? now, slot };
    });
  }

  async create(input: NewIncident, ctx: ChangeContext): Promise<Incident> {
    return this.db.transaction(async (tx) => {
      checkKeys([input], await this.readKeyPattern(tx));
      const conflicts = await this.keyConflicts(tx, [input], new Set());
      if (conflicts.length) throw conflictError(conflicts);
      const [prepared] = await this.prepare(tx, [input]);
      const { slot, ...fields } = prepared as Prepared;
      const incident = Incident.parse(fields);
      await this.attribute(tx, incident, ctx, new Map());
      await this.insert(tx, [{ ...incident, slot }]);
      await this.audit(tx, [auditRow(incident.key, "create", ctx, null, incident, incident.updatedAt)]);
      return incident;
    });
  }

  async get(key: string): Promise<Incident | undefined> {
    const k = key.trim().toUpperCase();
    if (!KEY_SHAPE_RE.test(k)) return undefined;
    return this.load(this.db, k, false);
  }

  async require(key: string): Promise<Incident> {
    const i = await this.get(key);
    if (!i) throw new TechtrailError("NOT_FOUND", `no incident ${key} in ${this.location}`);
    return i;
  }

  async update(
    key: string,
    change: (current: Incident) => Incident,
    ctx: ChangeContext,
    action: AuditAction = "update",
  ): Promise<{ incident: Incident; changed: boolean }> {
    return this.db.transaction((tx) => this.updateIn(tx, key, change, ctx, action));
  }

  private async updateIn(
    tx: SqlDb,
    key: string,
    change: (current: Incident) => Incident,
    ctx: ChangeContext,
    action: AuditAction = "update",
  ): Promise<{ incident: Incident; changed: boolean }> {
    const k = key.trim().toUpperCase();
    {
      const current = await this.load(tx, k, true);
      if (!current) throw new TechtrailError("NOT_FOUND", `no incident ${key} in ${this.location}`);
      const proposed = change(structuredClone(current));
      const now = nowIso();
      const res = Incident.safeParse({ ...proposed, key: current.key, createdAt: current.createdAt, updatedAt: now });
      if (!res.success)
        throw new TechtrailError("VALIDATION", `invalid change to ${current.key}`, {
          problems: zodProblems(res.error.issues),
        });
      const next = res.data;
      await this.attribute(tx, next, ctx, new Map(), current);
      if (sameContent(current, next)) return { incident: current, changed: false };
      await this.rewrite(tx, current, next, action, ctx, now);
      return { incident: next, changed: true };
    }
  }

  /** Writes a changed incident over its rows (its key and place stay) with its audit row. */
  private async rewrite(
    tx: SqlDb,
    current: Incident,
    next: Incident,
    action: AuditAction,
    ctx: ChangeContext,
    now: string,
  ): Promise<void> {
    // Key, year and seq never change: only the columns after them are written.
    const row = incidentRow(next, { year: 0, seq: 0 });
    const sets = INCIDENT_COLUMNS.slice(3).map((c) => `${c} = ?`);
    await tx.run(`UPDATE incidents SET ${sets.join(", ")}, revision = revision + 1 WHERE key = ?`, [
      ...row.slice(3),
      next.key,
    ]);
    await tx.run("DELETE FROM incident_techniques WHERE incident_key = ?", [next.key]);
    await tx.run("DELETE FROM incident_facets WHERE incident_key = ?", [next.key]);
    await tx.insertMany("incident_techniques", TECHNIQUE_COLUMNS, techniqueRows(next));
    await tx.insertMany("incident_facets", ["facet", "incident_key"], this.facetRows(next));
    await this.audit(tx, [auditRow(next.key, action, ctx, current, next, now)]);
  }

  /**
   * Upsert of records whose keys exist: each is merged into the stored incident (only the fields the record
   * gives), validated, and written with one `update` audit row naming the changed fields when it changed.
   * Returns the problems of merges that are invalid (they roll the import back).
   */
  private async upsertExisting(
    tx: SqlDb,
    records: readonly NewIncident[],
    ctx: ChangeContext,
    opts: ImportOptions,
    out: { updatedKeys: string[]; unchanged: number },
    actorCache: Map<string, Actor>,
  ): Promise<Array<Problem & { key: string }>> {
    const problems: Array<Problem & { key: string }> = [];
    for (const rec of records) {
      const key = rec.key as string;
      const current = await this.load(tx, key, true);
      if (!current) continue;
      const now = nowIso();
      const merged = mergeRecord(current, rec, opts.fieldsOf?.(key));
      const res = Incident.safeParse({ ...merged, key, createdAt: current.createdAt, updatedAt: now });
      if (!res.success) {
        for (const p of zodProblems(res.error.issues))
          problems.push({ ...p, key, message: `${key} after the update: ${p.message}` });
        continue;
      }
      if (problems.length) continue;
      const next = res.data;
      await this.attribute(tx, next, ctx, actorCache, current);
      if (sameContent(current, next)) {
        out.unchanged++;
        continue;
      }
      const fields = changedFields(current, next).join(", ");
      const note = `${ctx.note ? `${ctx.note}: ` : ""}changed ${fields}`;
      await this.rewrite(tx, current, next, "update", { ...ctx, note }, now);
      out.updatedKeys.push(key);
    }
    return problems;
  }

  async delete(key: string, ctx: ChangeContext): Promise<Incident> {
    const k = key.trim().toUpperCase();
    return this.db.transaction(async (tx) => {
      const current = await this.load(tx, k, true);
      if (!current) throw new TechtrailError("NOT_FOUND", `no incident ${key} in ${this.location}`);
      await tx.run("DELETE FROM incidents WHERE key = ?", [current.key]);
      await this.audit(tx, [auditRow(current.key, "delete", ctx, current, null, nowIso())]);
      return current;
    });
  }

  async importMany(
    incidents: readonly NewIncident[],
    ctx: ChangeContext,
    opts: ImportOptions = {},
  ): Promise<ImportResult> {
    return this.importBatches([incidents], ctx, opts);
  }

  /**
   * Imports batches in one transaction. Batches are consumed lazily, so a caller can validate a big file
   * batch by batch while earlier batches are written (memory stays flat); the iterator may throw after its
   * last batch (e.g. validation problems), which rolls everything back. Key conflicts of every batch are
   * collected and reported together.
   */
  async importBatches(
    batches: Iterable<readonly NewIncident[]> | AsyncIterable<readonly NewIncident[]>,
    ctx: ChangeContext,
    opts: ImportOptions = {},
  ): Promise<ImportResult> {
    const dryRun = opts.dryRun ?? false;
    let result: ImportResult;
    // A bulk import touches every index page many times: with a page cache big enough for the whole
    // transaction SQLite never spills dirty pages to the WAL and reads them back (about 40 % faster at
    // 100,000 incidents). The cache shrinks back afterwards.
    if (this.kind === "sqlite") await this.db.run("PRAGMA cache_size = -524288");
    try {
      result = await this.db.transaction(async (tx) => {
        const pattern = await this.readKeyPattern(tx);
        const seen = new Set<string>();
        const actorCache = new Map<string, Actor>();
        const conflicts: Array<Problem & { key: string }> = [];
        const invalid: Array<Problem & { key: string }> = [];
        const keys: string[] = [];
        const upserted = { updatedKeys: [] as string[], unchanged: 0 };
        for await (const all of batches) {
          checkKeys(all, pattern);
          const existing = opts.upsert
            ? await this.existingKeys(
                tx,
                all.filter((i) => i.key !== undefined).map((i) => i.key as string),
              )
            : undefined;
          conflicts.push(...(await this.keyConflicts(tx, all, seen, existing)));
          // After a conflict, only keep checking: the transaction will be rolled back anyway.
          if (conflicts.length || all.length === 0) continue;
          const batch = existing?.size ? all.filter((i) => i.key === undefined || !existing.has(i.key)) : all;
          if (existing?.size)
            invalid.push(
              ...(await this.upsertExisting(
                tx,
                all.filter((i) => i.key !== undefined && existing.has(i.key)),
                ctx,
                opts,
                upserted,
                actorCache,
              )),
            );
          if (batch.length === 0) continue;
          const prepared = await this.prepare(tx, batch);
          for (const i of prepared) if (i.threatActor || i.actorId) await this.attribute(tx, i, ctx, actorCache);
          const json = await this.insert(tx, prepared);
          await this.audit(
            tx,
            prepared.map((i, n) => {
              const row = auditRow(i.key, "import", ctx, null, null, i.updatedAt);
              row[AUDIT_COLUMNS.indexOf("after")] = json[n] ?? null;
              return row;
            }),
          );
          for (const i of prepared) keys.push(i.key);
        }
        if (conflicts.length) throw conflictError(conflicts);
        if (invalid.length)
          throw new TechtrailError("VALIDATION", `${invalid.length} update(s) would leave an invalid incident`, {
            problems: invalid.map(({ key: _k, ...p }) => p),
            details: { keys: invalid.map((p) => p.key) },
          });
        const r: ImportResult = {
          created: keys.length,
          keys,
          updated: upserted.updatedKeys.length,
          updatedKeys: upserted.updatedKeys,
          unchanged: upserted.unchanged,
          dryRun,
        };
        // Throwing is the way to roll the transaction back after a complete trial run.
        if (dryRun) throw new DryRunDone(r);
        return r;
      });
    } catch (e) {
      if (e instanceof DryRunDone) return e.result;
      throw e;
    } finally {
      if (this.kind === "sqlite") await this.db.run(`PRAGMA cache_size = ${SQLITE_CACHE_KIB}`);
    }
    // Large imports change the data distribution: refresh PostgreSQL's planner statistics. (SQLite's plans
    // do not depend on statistics here: list() picks IN or EXISTS itself.)
    if (result.created >= 1000 && this.db.dialect === "postgres") await this.db.run("ANALYZE");
    return result;
  }

  /** Filter conditions; membership conditions (techniques, facets) are rendered per query plan. */
  private conditions(f: IncidentFilter): Cond[] {
    const conds: Cond[] = [];
    const plain = (sql: string, params: SqlValue[]) => conds.push({ sql, params });
    const list = (values: readonly string[]) => values.map(() => "?").join(", ");
    if (f.status?.length) plain(`i.status IN (${list(f.status)})`, f.status);
    if (f.severity?.length) plain(`i.severity IN (${list(f.severity)})`, f.severity);
    for (const group of f.techniques ?? [])
      conds.push({
        set: { table: "incident_techniques", column: "technique_id", values: group.map((t) => t.trim().toUpperCase()) },
      });
    const facet = (prefix: string, values: readonly string[] | undefined) => {
      if (values?.length)
        conds.push({ set: { table: "incident_facets", column: "facet", values: values.map((v) => `${prefix}:${v}`) } });
    };
    facet(
      "family",
      f.families?.map((v) => v.trim().toUpperCase()),
    );
    facet(
      "tactic",
      f.tactics?.map((v) => v.trim().toUpperCase()),
    );
    facet("tag", f.tag ? [f.tag.trim().toLowerCase()] : undefined);
    // a name or any alias of the actor
    if (f.threatActor)
      plain("(i.actor_key = ? OR i.actor_id IN (SELECT actor_id FROM actor_names WHERE name_key = ?))", [
        nameKey(f.threatActor),
        nameKey(f.threatActor),
      ]);
    if (f.actorId) plain("i.actor_id = ?", [f.actorId.trim().toUpperCase()]);
    if (f.campaign) plain("i.campaign_key = ?", [nameKey(f.campaign)]);
    if (f.since) plain("i.incident_at >= ?", [tsParam(f.since)]);
    if (f.until) plain("i.incident_at < ?", [tsParam(f.until)]);
    if (f.demo !== undefined) plain("i.is_demo = ?", [f.demo]);
    if (f.text) plain("LOWER(i.title) LIKE ? ESCAPE '!'", [`%${escapeLike(f.text.toLowerCase())}%`]);
    return conds;
  }

  /**
   * Renders conditions. A small membership set drives the query (`key IN (...)`); a large one is probed
   * per row (`EXISTS`) so that a page walks the date index and stops after LIMIT rows.
   */
  private async where(conds: readonly Cond[]): Promise<{ sql: string; params: SqlValue[] }> {
    const parts: string[] = [];
    const params: SqlValue[] = [];
    for (const c of conds) {
      if (!c.set) {
        parts.push(c.sql ?? "TRUE");
        params.push(...(c.params ?? []));
        continue;
      }
      const { table, column, values } = c.set;
      const ph = values.map(() => "?").join(", ");
      const small = (await this.estimate(c.set)) < SMALL_SET;
      parts.push(
        small
          ? `i.key IN (SELECT incident_key FROM ${table} WHERE ${column} IN (${ph}))`
          : `EXISTS (SELECT 1 FROM ${table} x WHERE x.incident_key = i.key AND x.${column} IN (${ph}))`,
      );
      params.push(...values);
    }
    return { sql: parts.length ? `WHERE ${parts.join(" AND ")}` : "", params };
  }

  /** Rows of a membership set, counted only up to SMALL_SET (one short index range scan). */
  private async estimate(set: NonNullable<Cond["set"]>): Promise<number> {
    const rows = await this.db.query<{ n: number | string }>(
      `SELECT COUNT(*) AS n FROM (SELECT 1 FROM ${set.table} WHERE ${set.column} IN (${set.values.map(() => "?").join(", ")}) LIMIT ${SMALL_SET}) s`,
      set.values,
    );
    return Number(rows[0]?.n ?? 0);
  }

  private parseFilter(filter: IncidentFilterInput): IncidentFilter {
    const res = IncidentFilter.safeParse(filter);
    if (!res.success)
      throw new TechtrailError("VALIDATION", "invalid incident filter", { problems: zodProblems(res.error.issues) });
    return res.data;
  }

  async list(filter: IncidentFilterInput = {}): Promise<IncidentPage> {
    const f = this.parseFilter(filter);
    const conds = this.conditions(f);
    const { sql: where, params } = await this.where(conds);
    const dir = f.order === "asc" ? "ASC" : "DESC";
    const orderBy =
      f.sort === "key"
        ? `i.year ${dir}, i.seq ${dir}`
        : f.sort === "severity"
          ? `i.severity ${dir === "DESC" ? "ASC" : "DESC"}, i.incident_at DESC, i.year DESC, i.seq DESC`
          : `i.incident_at ${dir}, i.year ${dir}, i.seq ${dir}`;
    const agg =
      this.db.dialect === "sqlite"
        ? "(SELECT group_concat(technique_id, ',') FROM (SELECT technique_id FROM incident_techniques t WHERE t.incident_key = i.key ORDER BY t.ord))"
        : "(SELECT string_agg(technique_id, ',' ORDER BY t.ord) FROM incident_techniques t WHERE t.incident_key = i.key)";
    const rows = await this.db.query(
      `SELECT i.key, i.title, i.status, i.severity, i.incident_at, i.threat_actor, i.is_demo, ${agg} AS techniques
       FROM incidents i ${where} ORDER BY ${orderBy} LIMIT ? OFFSET ?`,
      [...params, f.limit, f.offset],
    );
    const total = await this.countConds(conds);
    const items = rows.map((r) =>
      IncidentSummary.parse({
        key: r.key,
        title: r.title,
        status: r.status,
        severity: r.severity,
        date: readTs(r.incident_at),
        threatActor: r.threat_actor ?? null,
        techniques: r.techniques ? String(r.techniques).split(",") : [],
        isDemo: Boolean(r.is_demo),
      }),
    );
    return { items, total, limit: f.limit, offset: f.offset };
  }

  async count(filter: IncidentFilterInput = {}): Promise<number> {
    return this.countConds(this.conditions(this.parseFilter(filter)));
  }

  private async countConds(conds: readonly Cond[]): Promise<number> {
    const only = conds.length === 1 ? conds[0]?.set : undefined;
    // One technique or facet alone: rows are unique per incident, so the index range count is exact.
    const sql =
      only && only.values.length === 1
        ? { sql: `WHERE ${only.column} = ?`, params: only.values, from: only.table }
        : { ...(await this.where(conds)), from: "incidents i" };
    const rows = await this.db.query<{ n: number | string }>(
      `SELECT COUNT(*) AS n FROM ${sql.from} ${sql.sql}`,
      sql.params,
    );
    return Number(rows[0]?.n ?? 0);
  }

  async exportAll(filter: IncidentFilterInput = {}): Promise<Incident[]> {
    const f = this.parseFilter(filter);
    const { sql: where, params } = await this.where(this.conditions(f));
    const docs = await this.db.query<{ key: string; doc: unknown }>(
      `SELECT i.key, i.doc FROM incidents i ${where} ORDER BY i.year, i.seq`,
      params,
    );
    const techWhere = where ? `WHERE t.incident_key IN (SELECT i.key FROM incidents i ${where})` : "";
    const techRows = await this.db.query(
      `SELECT t.* FROM incident_techniques t ${techWhere} ORDER BY t.incident_key, t.ord`,
      params,
    );
    const byKey = new Map<string, Row[]>();
    for (const r of techRows) {
      const k = String(r.incident_key);
      const list = byKey.get(k);
      if (list) list.push(r);
      else byKey.set(k, [r]);
    }
    return docs.map((d) => rebuild(d.doc, byKey.get(d.key) ?? []));
  }

  async history(key: string): Promise<AuditEntry[]> {
    const k = key.trim().toUpperCase();
    const rows = await this.db.query("SELECT * FROM audit_log WHERE incident_key = ? ORDER BY id", [k]);
    return rows.map((r) =>
      AuditEntry.parse({
        id: Number(r.id),
        incidentKey: r.incident_key,
        action: r.action,
        actor: r.actor,
        at: readTs(r.at),
        before: r.before === null ? null : readJson(r.before),
        after: r.after === null ? null : readJson(r.after),
        note: r.note ?? null,
      }),
    );
  }

  createWorkshop(workshop: WorkshopRecord): Promise<WorkshopRecord> {
    return workshops.createWorkshop(this.db, workshop, this.location);
  }

  getWorkshop(id: string): Promise<WorkshopRecord | undefined> {
    return workshops.getWorkshop(this.db, id);
  }

  listWorkshops(): Promise<WorkshopSummary[]> {
    return workshops.listWorkshops(this.db);
  }

  closeWorkshop(id: string): Promise<WorkshopRecord> {
    return workshops.closeWorkshop(this.db, id, this.location);
  }

  answerWorkshop(id: string, participant: string, answer: Answer, score: workshops.ScoreFn): Promise<StoredAnswer> {
    return workshops.answerWorkshop(this.db, this.location, id, participant, answer, score);
  }

  takeWorkshopHint(id: string, participant: string, question: QuestionId, hint: workshops.HintFn): Promise<HintTaken> {
    return workshops.takeWorkshopHint(this.db, this.location, id, participant, question, hint);
  }

  workshopProgress(
    id: string,
    participant?: string,
  ): Promise<{ answers: workshops.ParticipantAnswer[]; hints: workshops.ParticipantHint[] }> {
    return workshops.workshopProgress(this.db, id, participant);
  }

  private readonly incidentUpdater = async (
    tx: SqlDb,
    key: string,
    change: (i: Incident) => Incident,
    ctx: ChangeContext,
  ): Promise<void> => {
    await this.updateIn(tx, key, change, ctx, "attribute");
  };

  createActor(input: NewActorInput, ctx: ChangeContext): Promise<Actor> {
    return this.db.transaction((tx) => this.actors.create(tx, input, ctx));
  }

  getActor(ref: string): Promise<Actor | undefined> {
    return this.actors.find(this.db, ref);
  }

  requireActor(ref: string): Promise<Actor> {
    return this.actors.require(this.db, ref);
  }

  updateActor(
    ref: string,
    change: (current: Actor) => Actor,
    ctx: ChangeContext,
  ): Promise<{ actor: Actor; changed: boolean }> {
    return this.db.transaction((tx) => this.actors.update(tx, ref, change, ctx, this.incidentUpdater));
  }

  listActors(): Promise<ActorSummary[]> {
    return this.actors.list(this.db);
  }

  actorDetail(ref: string, techniqueName?: (id: string) => string | undefined): Promise<ActorDetail> {
    return this.actors.detail(this.db, ref, techniqueName);
  }

  actorHistory(ref: string): Promise<ActorAuditEntry[]> {
    return this.actors.history(this.db, ref);
  }

  actorIndicators(): Promise<ActorIndicators[]> {
    return this.actors.indicators(this.db);
  }

  allActors(): Promise<Actor[]> {
    return this.actors.all(this.db);
  }

  async linkIncident(
    key: string,
    actorRef: string | null,
    confidence: Confidence,
    ctx: ChangeContext,
  ): Promise<{ incident: Incident; changed: boolean }> {
    return this.db.transaction(async (tx) => {
      const actor = actorRef === null ? undefined : await this.actors.require(tx, actorRef, "actor");
      const res = await this.updateIn(
        tx,
        key,
        (i) => {
          const { actorId: _a, threatActor: _t, actorConfidence: _c, ...rest } = i;
          return actor ? { ...rest, actorId: actor.id, threatActor: actor.name, actorConfidence: confidence } : rest;
        },
        ctx,
        "attribute",
      );
      if (res.changed) {
        const k = res.incident.key;
        if (actor) await this.actors.audit(tx, actor.id, "link", ctx, null, { incident: k, confidence }, ctx.note);
      }
      return res;
    });
  }

  mergeActors(into: string, from: string, ctx: ChangeContext): Promise<{ actor: Actor; incidents: string[] }> {
    return this.db.transaction((tx) => this.actors.merge(tx, into, from, ctx, this.incidentUpdater));
  }

  /**
   * Creates or updates actors from a source (an ATT&CK bundle): an actor with the same provenance (STIX ID or
   * external ID) or a name in common is updated (provenance, aliases, declared techniques, references), the
   * rest are created. One transaction.
   */
  importActors(inputs: readonly NewActorInput[], ctx: ChangeContext): Promise<ActorImportResult> {
    return this.db.transaction(async (tx) => {
      const out: ActorImportResult = { created: [], updated: [], unchanged: [], droppedAliases: [] };
      for (const given of inputs) {
        const existing = await this.findImported(tx, given);
        // sources disagree on aliases: one another actor already answers to is left out, not merged
        const aliases: string[] = [];
        for (const al of given.aliases ?? []) {
          const owner = await this.actors.find(tx, al);
          if (owner && owner.id !== existing?.id)
            out.droppedAliases.push({ name: given.name, alias: al, owner: owner.id });
          else aliases.push(al);
        }
        const input = { ...given, aliases };
        if (!existing) {
          out.created.push((await this.actors.create(tx, input, ctx, { action: "import" })).id);
          continue;
        }
        const { actor, changed } = await this.actors.update(
          tx,
          existing.id,
          (a) => mergeImported(a, input),
          ctx,
          this.incidentUpdater,
          { action: "import" },
        );
        (changed ? out.updated : out.unchanged).push(actor.id);
      }
      return out;
    });
  }

  private async findImported(tx: SqlDb, input: NewActorInput): Promise<Actor | undefined> {
    const p = input.provenance;
    if (p?.stixId || p?.externalId) {
      const col = tx.dialect === "sqlite" ? "json_extract(doc, '$.provenance.stixId')" : "doc->'provenance'->>'stixId'";
      const ext =
        tx.dialect === "sqlite" ? "json_extract(doc, '$.provenance.externalId')" : "doc->'provenance'->>'externalId'";
      const rows = await tx.query<{ id: string }>(
        `SELECT id FROM actors WHERE merged_into IS NULL AND (${col} = ? OR ${ext} = ?) ORDER BY seq LIMIT 1`,
        [p.stixId ?? "", p.externalId ?? ""],
      );
      if (rows[0]) return this.actors.find(tx, rows[0].id);
    }
    return this.actors.find(tx, input.name);
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}

/** An existing actor with what an import says about it: our description and indicators stay, names join. */
function mergeImported(a: Actor, input: NewActorInput): Actor {
  const seen = new Set([a.name, ...a.aliases].map(nameKey));
  const aliases = [...a.aliases];
  for (const n of [input.name, ...(input.aliases ?? [])])
    if (!seen.has(nameKey(n))) {
      seen.add(nameKey(n));
      aliases.push(n);
    }
  const techs = new Map(a.techniques.map((t) => [t.id, t]));
  for (const t of input.techniques ?? []) {
    const id = t.id.trim().toUpperCase();
    if (!techs.has(id)) techs.set(id, { ...t, id });
  }
  const refKey = (r: { source: string; url?: string | undefined; externalId?: string | undefined }) =>
    `${r.source}|${r.url ?? ""}|${r.externalId ?? ""}`;
  const refs = new Map(a.references.map((r) => [refKey(r), r]));
  for (const r of input.references ?? []) if (!refs.has(refKey(r))) refs.set(refKey(r), r);
  const next: Actor = {
    ...a,
    aliases,
    description: a.description || (input.description ?? ""),
    techniques: [...techs.values()],
    references: [...refs.values()],
  };
  if (input.provenance) next.provenance = input.provenance;
  return next;
}
