// Threat-actor tables of the store, written once over SqlDb for SQLite and PostgreSQL (used by SqlStore, which
// owns the transactions). An actor is one `actors` row (document + name), one `actor_names` row per name and
// alias (unique over live actors, so a name finds one actor), and audit rows in the append-only `actor_audit`.
// Merging leaves the merged actor as a tombstone (`merged_into`), so its ID still resolves and its history
// stays readable under the actor it was merged into.
import { TechtrailError, zodProblems } from "../core/errors.js";
import type { ActorIndicators } from "../core/indicators.js";
import {
  Actor,
  ActorAuditEntry,
  type ActorDetail,
  type ActorIncident,
  type ActorSummary,
  type ActorTechnique,
  type ActorAuditAction as AuditActions,
  actorNames,
  formatActorId,
  NewActor,
  type NewActorInput,
} from "../incidents/actor.js";
import { ACTOR_ID_RE, type ChangeContext, canonicalTimestamp, nameKey } from "../incidents/model.js";
import type { Row, SqlDb, SqlValue } from "./sql.js";

type AuditAction = (typeof AuditActions.options)[number];

const readJson = (v: unknown): unknown => (typeof v === "string" ? JSON.parse(v) : v);

function readTs(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (v instanceof Date) return canonicalTimestamp(v.getTime());
  return canonicalTimestamp(Date.parse(String(v)));
}

const nowIso = (): string => canonicalTimestamp(Date.now());
const tsParam = (v: string): string => new Date(v).toISOString();

function rebuild(doc: unknown): Actor {
  const res = Actor.safeParse(readJson(doc));
  if (!res.success)
    throw new TechtrailError("INTERNAL", "stored actor is invalid", {
      problems: zodProblems(res.error.issues, "database"),
    });
  return res.data;
}

function invalid(message: string, issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }>) {
  return new TechtrailError("VALIDATION", message, { problems: zodProblems(issues) });
}

/** Same actor ignoring its bookkeeping time. */
const sameContent = (a: Actor, b: Actor): boolean =>
  JSON.stringify({ ...a, updatedAt: "" }) === JSON.stringify({ ...b, updatedAt: "" });

/** Changes an incident inside the caller's transaction (SqlStore's update, with its audit row). */
export type IncidentUpdater = (
  tx: SqlDb,
  key: string,
  change: (i: import("../incidents/model.js").Incident) => import("../incidents/model.js").Incident,
  ctx: ChangeContext,
) => Promise<void>;

export class ActorTables {
  constructor(private readonly location: string) {}

  /** Serialises actor writes in PostgreSQL (new IDs are MAX(seq) + 1; SQLite's write lock does this already). */
  async lock(tx: SqlDb): Promise<void> {
    if (tx.dialect === "postgres") await tx.query("SELECT pg_advisory_xact_lock(7468657474)");
  }

  private async row(db: SqlDb, id: string): Promise<{ actor: Actor; mergedInto: string | null } | undefined> {
    const rows = await db.query<{ doc: unknown; merged_into: string | null }>(
      "SELECT doc, merged_into FROM actors WHERE id = ?",
      [id],
    );
    const r = rows[0];
    return r ? { actor: rebuild(r.doc), mergedInto: r.merged_into ?? null } : undefined;
  }

  /** An actor by ID (a merged actor's ID gives the actor it was merged into), name or alias. */
  async find(db: SqlDb, ref: string): Promise<Actor | undefined> {
    const r = ref.trim();
    let id: string | undefined;
    if (ACTOR_ID_RE.test(r.toUpperCase())) id = r.toUpperCase();
    else {
      const rows = await db.query<{ actor_id: string }>("SELECT actor_id FROM actor_names WHERE name_key = ?", [
        nameKey(r),
      ]);
      id = rows[0]?.actor_id;
    }
    for (let hops = 0; id !== undefined && hops < 100; hops++) {
      const row = await this.row(db, id);
      if (!row) return undefined;
      if (!row.mergedInto) return row.actor;
      id = row.mergedInto;
    }
    return undefined;
  }

  async require(db: SqlDb, ref: string, field?: string): Promise<Actor> {
    const a = await this.find(db, ref);
    if (!a)
      throw new TechtrailError("NOT_FOUND", `no actor ${ref} in ${this.location}`, {
        problems: [{ ...(field ? { field } : {}), message: `no actor with ID, name or alias "${ref}"` }],
      });
    return a;
  }

  async audit(
    tx: SqlDb,
    actorId: string,
    action: AuditAction,
    ctx: ChangeContext,
    before: unknown,
    after: unknown,
    note?: string,
  ): Promise<void> {
    await tx.run(
      "INSERT INTO actor_audit (actor_id, action, changed_by, at, before, after, note) VALUES (?, ?, ?, ?, ?, ?, ?)",
      [
        actorId,
        action,
        ctx.actor,
        tsParam(nowIso()),
        before === null || before === undefined ? null : JSON.stringify(before),
        after === null || after === undefined ? null : JSON.stringify(after),
        note ?? ctx.note ?? null,
      ],
    );
  }

  /** Names (name and aliases) of `a` already taken by another live actor, as problems. */
  private async nameConflicts(tx: SqlDb, a: Actor, self?: string): Promise<Array<{ field: string; message: string }>> {
    const out: Array<{ field: string; message: string }> = [];
    const names = actorNames(a);
    for (let n = 0; n < names.length; n++) {
      const name = names[n] as string;
      const rows = await tx.query<{ actor_id: string }>("SELECT actor_id FROM actor_names WHERE name_key = ?", [
        nameKey(name),
      ]);
      const owner = rows[0]?.actor_id;
      if (owner && owner !== self)
        out.push({ field: n === 0 ? "name" : `aliases.${n - 1}`, message: `"${name}" is already a name of ${owner}` });
    }
    return out;
  }

  private async writeNames(tx: SqlDb, a: Actor): Promise<void> {
    await tx.run("DELETE FROM actor_names WHERE actor_id = ?", [a.id]);
    await tx.insertMany(
      "actor_names",
      ["name_key", "actor_id"],
      [...new Set(actorNames(a).map(nameKey))].map((k) => [k, a.id]),
    );
  }

  /** Stores a new actor (the next ID unless given); CONFLICT when a name or alias belongs to another actor. */
  async create(
    tx: SqlDb,
    input: NewActorInput,
    ctx: ChangeContext,
    opts: { action?: AuditAction; note?: string } = {},
  ): Promise<Actor> {
    await this.lock(tx);
    const parsed = NewActor.safeParse(input);
    if (!parsed.success) throw invalid("invalid actor", parsed.error.issues);
    const now = nowIso();
    let seq: number;
    if (parsed.data.id) {
      seq = Number(parsed.data.id.slice(4));
      if (await this.row(tx, parsed.data.id))
        throw new TechtrailError("CONFLICT", `actor ${parsed.data.id} already exists`, {
          problems: [{ field: "id", message: `actor ${parsed.data.id} already exists` }],
        });
    } else {
      const rows = await tx.query<{ m: number | string | null }>("SELECT MAX(seq) AS m FROM actors");
      seq = Number(rows[0]?.m ?? 0) + 1;
    }
    const actor = Actor.parse({
      ...parsed.data,
      id: parsed.data.id ?? formatActorId(seq),
      createdAt: parsed.data.createdAt ?? now,
      updatedAt: parsed.data.updatedAt ?? now,
    });
    const conflicts = await this.nameConflicts(tx, actor);
    if (conflicts.length)
      throw new TechtrailError("CONFLICT", conflicts[0]?.message ?? "name taken", { problems: conflicts });
    await tx.run(
      "INSERT INTO actors (id, seq, name, name_key, merged_into, created_at, updated_at, doc) VALUES (?, ?, ?, ?, NULL, ?, ?, ?)",
      [
        actor.id,
        seq,
        actor.name,
        nameKey(actor.name),
        tsParam(actor.createdAt),
        tsParam(actor.updatedAt),
        JSON.stringify(actor),
      ],
    );
    await this.writeNames(tx, actor);
    await this.audit(tx, actor.id, opts.action ?? "create", ctx, null, actor, opts.note);
    return actor;
  }

  /**
   * Read-modify-write of a live actor. A new name keeps the old one as an alias (reports and old incidents say
   * it), and attributed incidents take the new name (audited on each incident).
   */
  async update(
    tx: SqlDb,
    ref: string,
    change: (a: Actor) => Actor,
    ctx: ChangeContext,
    updateIncident: IncidentUpdater,
    opts: { action?: AuditAction; note?: string } = {},
  ): Promise<{ actor: Actor; changed: boolean }> {
    await this.lock(tx);
    const current = await this.require(tx, ref);
    const proposed = change(structuredClone(current));
    const renamed = nameKey(proposed.name) !== nameKey(current.name);
    if (renamed && !proposed.aliases.some((a) => nameKey(a) === nameKey(current.name)))
      proposed.aliases = [...proposed.aliases, current.name];
    const res = Actor.safeParse({ ...proposed, id: current.id, createdAt: current.createdAt, updatedAt: nowIso() });
    if (!res.success) throw invalid(`invalid change to ${current.id}`, res.error.issues);
    const next = res.data;
    if (sameContent(current, next)) return { actor: current, changed: false };
    const conflicts = await this.nameConflicts(tx, next, next.id);
    if (conflicts.length)
      throw new TechtrailError("CONFLICT", conflicts[0]?.message ?? "name taken", { problems: conflicts });
    await tx.run(
      "UPDATE actors SET name = ?, name_key = ?, updated_at = ?, revision = revision + 1, doc = ? WHERE id = ?",
      [next.name, nameKey(next.name), tsParam(next.updatedAt), JSON.stringify(next), next.id],
    );
    await this.writeNames(tx, next);
    await this.audit(tx, next.id, opts.action ?? "update", ctx, current, next, opts.note);
    if (current.name !== next.name)
      for (const key of await this.incidentKeys(tx, next.id))
        await updateIncident(tx, key, (i) => ({ ...i, threatActor: next.name }), {
          ...ctx,
          note: `actor ${next.id} renamed from "${current.name}" to "${next.name}"`,
        });
    return { actor: next, changed: true };
  }

  async incidentKeys(db: SqlDb, actorId: string): Promise<string[]> {
    const rows = await db.query<{ key: string }>("SELECT key FROM incidents WHERE actor_id = ? ORDER BY year, seq", [
      actorId,
    ]);
    return rows.map((r) => r.key);
  }

  /**
   * Merges `from` into `into`: names, aliases, indicators, declared techniques and references are joined,
   * every incident attributed to `from` is attributed to `into` with its confidence (audited per incident),
   * and `from` stays as a tombstone whose history reads under `into`.
   */
  async merge(
    tx: SqlDb,
    intoRef: string,
    fromRef: string,
    ctx: ChangeContext,
    updateIncident: IncidentUpdater,
  ): Promise<{ actor: Actor; incidents: string[] }> {
    await this.lock(tx);
    const into = await this.require(tx, intoRef, "into");
    const from = await this.require(tx, fromRef, "from");
    if (into.id === from.id)
      throw new TechtrailError("VALIDATION", `cannot merge ${into.id} into itself`, {
        problems: [{ field: "from", message: `${fromRef} and ${intoRef} are the same actor (${into.id})` }],
      });
    const seenNames = new Set(actorNames(into).map(nameKey));
    const aliases = [...into.aliases];
    for (const n of actorNames(from))
      if (!seenNames.has(nameKey(n))) {
        seenNames.add(nameKey(n));
        aliases.push(n);
      }
    const indKey = (i: Actor["indicators"][number]) =>
      `${i.type}|${i.value}|${i.validFrom ?? ""}|${i.validUntil ?? ""}`;
    const inds = new Map(into.indicators.map((i) => [indKey(i), i]));
    for (const i of from.indicators) if (!inds.has(indKey(i))) inds.set(indKey(i), i);
    const techs = new Map(into.techniques.map((t) => [t.id, t]));
    for (const t of from.techniques) if (!techs.has(t.id)) techs.set(t.id, t);
    const refKey = (r: Actor["references"][number]) => `${r.source}|${r.url ?? ""}|${r.externalId ?? ""}`;
    const refs = new Map(into.references.map((r) => [refKey(r), r]));
    for (const r of from.references) if (!refs.has(refKey(r))) refs.set(refKey(r), r);
    const min = (a?: string, b?: string) => (a && b ? (a < b ? a : b) : (a ?? b));
    const max = (a?: string, b?: string) => (a && b ? (a > b ? a : b) : (a ?? b));
    // the tombstone's names move to the surviving actor
    await tx.run("DELETE FROM actor_names WHERE actor_id = ?", [from.id]);
    await tx.run("UPDATE actors SET merged_into = ?, updated_at = ?, revision = revision + 1 WHERE id = ?", [
      into.id,
      tsParam(nowIso()),
      from.id,
    ]);
    await this.audit(tx, from.id, "merged", ctx, from, null, `merged into ${into.id} (${into.name})`);
    const { actor } = await this.update(
      tx,
      into.id,
      (a) => {
        const next: Actor = {
          ...a,
          aliases,
          description: a.description || from.description,
          indicators: [...inds.values()],
          techniques: [...techs.values()],
          references: [...refs.values()],
        };
        const fs = min(a.firstSeen, from.firstSeen);
        const ls = max(a.lastSeen, from.lastSeen);
        if (fs) next.firstSeen = fs;
        if (ls) next.lastSeen = ls;
        const motivation = a.motivation ?? from.motivation;
        if (motivation) next.motivation = motivation;
        return next;
      },
      ctx,
      updateIncident,
      { action: "merge", note: `merged ${from.id} (${from.name})` },
    );
    const keys = await this.incidentKeys(tx, from.id);
    for (const key of keys)
      await updateIncident(tx, key, (i) => ({ ...i, actorId: actor.id, threatActor: actor.name }), {
        ...ctx,
        note: `actor ${from.id} (${from.name}) merged into ${actor.id} (${actor.name})`,
      });
    return { actor, incidents: keys };
  }

  /** IDs of actors merged (directly or not) into `id`. */
  async mergedFrom(db: SqlDb, id: string): Promise<string[]> {
    const out: string[] = [];
    let frontier = [id];
    while (frontier.length > 0 && out.length < 10_000) {
      const rows = await db.query<{ id: string }>(
        `SELECT id FROM actors WHERE merged_into IN (${frontier.map(() => "?").join(", ")}) ORDER BY seq`,
        frontier,
      );
      frontier = rows.map((r) => r.id);
      out.push(...frontier);
    }
    return out;
  }

  async list(db: SqlDb): Promise<ActorSummary[]> {
    const rows = await db.query(
      `SELECT a.id, a.doc,
        (SELECT COUNT(*) FROM incidents i WHERE i.actor_id = a.id) AS n,
        (SELECT MIN(i.incident_at) FROM incidents i WHERE i.actor_id = a.id) AS first_at,
        (SELECT MAX(i.incident_at) FROM incidents i WHERE i.actor_id = a.id) AS last_at,
        (SELECT COUNT(DISTINCT t.technique_id) FROM incident_techniques t JOIN incidents i ON i.key = t.incident_key WHERE i.actor_id = a.id) AS seen
       FROM actors a WHERE a.merged_into IS NULL ORDER BY a.seq`,
    );
    return rows.map((r) => {
      const a = rebuild(r.doc);
      const derived = Number(r.seen ?? 0);
      return {
        id: a.id,
        name: a.name,
        aliases: a.aliases,
        motivation: a.motivation ?? null,
        incidents: Number(r.n ?? 0),
        indicators: a.indicators.length,
        techniques: Math.max(derived, a.techniques.length),
        firstSeen: earliest(a.firstSeen, readTs(r.first_at)),
        lastSeen: latest(a.lastSeen, readTs(r.last_at)),
        source: a.provenance?.source ?? null,
      };
    });
  }

  async detail(db: SqlDb, ref: string, techniqueName?: (id: string) => string | undefined): Promise<ActorDetail> {
    const actor = await this.require(db, ref);
    const incRows = await db.query(
      "SELECT key, title, status, severity, incident_at, doc FROM incidents WHERE actor_id = ? ORDER BY incident_at, year, seq",
      [actor.id],
    );
    const incidents: ActorIncident[] = incRows.map((r: Row) => {
      const doc = readJson(r.doc) as { actorConfidence?: ActorIncident["confidence"] };
      return {
        key: String(r.key),
        title: String(r.title),
        status: String(r.status),
        severity: String(r.severity),
        date: readTs(r.incident_at),
        confidence: doc.actorConfidence ?? null,
      };
    });
    const techRows = await db.query<{ technique_id: string; n: number | string }>(
      `SELECT t.technique_id, COUNT(*) AS n FROM incident_techniques t JOIN incidents i ON i.key = t.incident_key
       WHERE i.actor_id = ? GROUP BY t.technique_id`,
      [actor.id],
    );
    const techniques = new Map<string, ActorTechnique>();
    for (const r of techRows)
      techniques.set(r.technique_id, {
        id: r.technique_id,
        name: techniqueName?.(r.technique_id) ?? null,
        incidents: Number(r.n),
        declared: false,
        source: null,
      });
    for (const t of actor.techniques) {
      const seen = techniques.get(t.id);
      techniques.set(t.id, {
        id: t.id,
        name: seen?.name ?? techniqueName?.(t.id) ?? t.name ?? null,
        incidents: seen?.incidents ?? 0,
        declared: true,
        source: t.source ?? actor.provenance?.source ?? null,
      });
    }
    const dates = incidents.map((i) => i.date).filter((d): d is string => d !== null);
    return {
      actor,
      mergedFrom: await this.mergedFrom(db, actor.id),
      incidents,
      techniques: [...techniques.values()].sort(
        (a, b) => b.incidents - a.incidents || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
      ),
      firstSeen: earliest(actor.firstSeen, dates[0] ?? null),
      lastSeen: latest(actor.lastSeen, dates.at(-1) ?? null),
    };
  }

  /** The actor's audit trail, with the trails of the actors merged into it, in order. */
  async history(db: SqlDb, ref: string): Promise<ActorAuditEntry[]> {
    const actor = await this.require(db, ref);
    const ids = [actor.id, ...(await this.mergedFrom(db, actor.id))];
    const rows = await db.query(
      `SELECT * FROM actor_audit WHERE actor_id IN (${ids.map(() => "?").join(", ")}) ORDER BY id`,
      ids,
    );
    return rows.map((r) =>
      ActorAuditEntry.parse({
        id: Number(r.id),
        actorId: r.actor_id,
        action: r.action,
        by: r.changed_by,
        at: readTs(r.at),
        before: r.before === null ? null : readJson(r.before),
        after: r.after === null ? null : readJson(r.after),
        note: r.note ?? null,
      }),
    );
  }

  /** Every live actor with indicators, as the scan engine takes them. */
  async indicators(db: SqlDb): Promise<ActorIndicators[]> {
    const rows = await db.query<{ doc: unknown }>("SELECT doc FROM actors WHERE merged_into IS NULL ORDER BY seq");
    return rows
      .map((r) => rebuild(r.doc))
      .filter((a) => a.indicators.length > 0)
      .map((a) => ({ id: a.id, name: a.name, indicators: a.indicators }));
  }

  /** Every live actor (for analytics). */
  async all(db: SqlDb): Promise<Actor[]> {
    const rows = await db.query<{ doc: unknown }>("SELECT doc FROM actors WHERE merged_into IS NULL ORDER BY seq");
    return rows.map((r) => rebuild(r.doc));
  }
}

function earliest(a: string | undefined | null, b: string | null): string | null {
  if (a && b) return a < b ? a : b;
  return a ?? b ?? null;
}
function latest(a: string | undefined | null, b: string | null): string | null {
  if (a && b) return a > b ? a : b;
  return a ?? b ?? null;
}

export type { SqlValue };
