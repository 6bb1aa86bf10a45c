// Versioned schema migrations, applied in order on open inside one transaction (PostgreSQL takes an
// advisory lock so two processes opening a fresh database do not both migrate). Never edit a released
// migration: append a new version.
import { TechtrailError } from "../core/errors.js";
import type { Dialect, SqlDb } from "./sql.js";
import { workshopTables } from "./workshop-store.js";

interface Migration {
  version: number;
  name: string;
  sql: Record<Dialect, string>;
}

const ts = (d: Dialect) => (d === "sqlite" ? "TEXT" : "TIMESTAMPTZ");
const json = (d: Dialect) => (d === "sqlite" ? "TEXT" : "JSONB");

function initial(d: Dialect): string {
  const bool = d === "sqlite" ? "INTEGER" : "BOOLEAN";
  const falseV = d === "sqlite" ? "0" : "false";
  const serial = d === "sqlite" ? "INTEGER PRIMARY KEY AUTOINCREMENT" : "BIGSERIAL PRIMARY KEY";
  const appendOnly =
    d === "sqlite"
      ? `
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;`
      : `
CREATE FUNCTION techtrail_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN RAISE EXCEPTION 'audit_log is append-only'; END
$fn$;
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
FOR EACH ROW EXECUTE FUNCTION techtrail_audit_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
FOR EACH STATEMENT EXECUTE FUNCTION techtrail_audit_append_only();`;
  return `
CREATE TABLE incidents (
  key TEXT PRIMARY KEY,
  year INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  title TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('open', 'contained', 'closed')),
  severity TEXT NOT NULL CHECK (severity IN ('P1', 'P2', 'P3', 'P4')),
  threat_actor TEXT,
  actor_key TEXT,
  campaign TEXT,
  campaign_key TEXT,
  detection_source TEXT,
  initial_access TEXT,
  incident_at ${ts(d)},
  first_activity_at ${ts(d)},
  detected_at ${ts(d)},
  contained_at ${ts(d)},
  closed_at ${ts(d)},
  created_at ${ts(d)} NOT NULL,
  updated_at ${ts(d)} NOT NULL,
  is_demo ${bool} NOT NULL DEFAULT ${falseV},
  revision INTEGER NOT NULL DEFAULT 1,
  doc ${json(d)} NOT NULL,
  UNIQUE (year, seq)
);
-- (Date order comes from the analytics index of migration 2, which starts with incident_at.)
CREATE INDEX incidents_status_at ON incidents (status, incident_at);
CREATE INDEX incidents_severity_at ON incidents (severity, incident_at, status);
CREATE INDEX incidents_actor ON incidents (actor_key, incident_at);
CREATE INDEX incidents_campaign ON incidents (campaign_key);
-- Text filters scan this small covering index instead of the rows (which carry the document).
CREATE INDEX incidents_title ON incidents (title);

-- One row per technique tag so analytics can count and filter by technique without parsing documents.
CREATE TABLE incident_techniques (
  incident_key TEXT NOT NULL REFERENCES incidents (key) ON DELETE CASCADE,
  ord INTEGER NOT NULL,
  technique_id TEXT NOT NULL,
  catalog_version TEXT NOT NULL,
  confidence TEXT NOT NULL CHECK (confidence IN ('confirmed', 'likely', 'possible')),
  evidence TEXT NOT NULL,
  findings ${json(d)} NOT NULL,
  first_seen TEXT,
  PRIMARY KEY (incident_key, technique_id)
)${d === "sqlite" ? " WITHOUT ROWID" : ""};
CREATE INDEX incident_techniques_technique ON incident_techniques (technique_id, incident_key);

-- One row per distinct filterable facet of an incident: \`tag:<label>\`, \`family:<technique base ID>\`
-- (T1496 for T1496.A008) and \`tactic:<ID>\` (from the catalog when the tag was written). Each is unique per
-- incident, so "how many incidents have X" is a count over one index range, without DISTINCT.
CREATE TABLE incident_facets (
  facet TEXT NOT NULL,
  incident_key TEXT NOT NULL REFERENCES incidents (key) ON DELETE CASCADE,
  PRIMARY KEY (facet, incident_key)
)${d === "sqlite" ? " WITHOUT ROWID" : ""};
CREATE INDEX incident_facets_incident ON incident_facets (incident_key);

-- Last sequence number handed out per year (never decreases, so deleted keys are not reused).
CREATE TABLE key_counters (
  year INTEGER PRIMARY KEY,
  last INTEGER NOT NULL
);

-- Append-only: triggers reject UPDATE and DELETE. No foreign key: history outlives deleted incidents.
CREATE TABLE audit_log (
  id ${serial},
  incident_key TEXT NOT NULL,
  action TEXT NOT NULL,
  actor TEXT NOT NULL,
  at ${ts(d)} NOT NULL,
  before ${json(d)},
  after ${json(d)},
  note TEXT
);
CREATE INDEX audit_log_incident ON audit_log (incident_key, id);
${appendOnly}
`;
}

export const MIGRATIONS: Migration[] = [
  { version: 1, name: "incident register", sql: { sqlite: initial("sqlite"), postgres: initial("postgres") } },
  { version: 2, name: "analytics covering indexes", sql: { sqlite: analyticsIndexes(), postgres: analyticsIndexes() } },
  { version: 3, name: "analytics cache", sql: { sqlite: analyticsCache(), postgres: analyticsCache() } },
  { version: 4, name: "list order index", sql: { sqlite: listOrderIndex(), postgres: listOrderIndex() } },
  {
    version: 5,
    name: "workshops",
    sql: { sqlite: workshopTables(json("sqlite")), postgres: workshopTables(json("postgres")) },
  },
  { version: 6, name: "initial access and credential", sql: { sqlite: entryColumns(), postgres: entryColumns() } },
  { version: 7, name: "threat actors", sql: { sqlite: threatActors("sqlite"), postgres: threatActors("postgres") } },
  { version: 8, name: "register settings", sql: { sqlite: registerSettings(), postgres: registerSettings() } },
];

/** Settings of the register itself (the team key pattern), shared by every client of the database. */
function registerSettings(): string {
  return `
CREATE TABLE register_settings (
  name TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
`;
}

/**
 * Threat actors as entities: `actors` (one row per actor; a merged actor stays as a tombstone pointing at the
 * actor it was merged into), `actor_names` (every live name and alias, unique), an append-only `actor_audit`,
 * and `incidents.actor_id`. The free-text threat actor of existing incidents becomes one actor per distinct
 * name (case- and spacing-insensitive, as the register already grouped them; named as its latest incident
 * spells it), each incident attributed to it with confidence "likely", an audit row on both sides. The
 * incidents' threatActor text is left as it was.
 */
function threatActors(d: Dialect): string {
  const serial = d === "sqlite" ? "INTEGER PRIMARY KEY AUTOINCREMENT" : "BIGSERIAL PRIMARY KEY";
  const now = d === "sqlite" ? "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')" : "now()";
  const nowText =
    d === "sqlite"
      ? "strftime('%Y-%m-%dT%H:%M:%SZ', 'now')"
      : `to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')`;
  const id = d === "sqlite" ? "'ACT-' || printf('%04d', rn)" : "'ACT-' || lpad(rn::text, 4, '0')";
  const actorDoc =
    d === "sqlite"
      ? `json_object('id', id, 'name', name, 'aliases', json('[]'), 'description', '', 'indicators', json('[]'), 'techniques', json('[]'), 'references', json('[]'), 'createdAt', ${nowText}, 'updatedAt', ${nowText})`
      : `jsonb_build_object('id', id, 'name', name, 'aliases', '[]'::jsonb, 'description', '', 'indicators', '[]'::jsonb, 'techniques', '[]'::jsonb, 'references', '[]'::jsonb, 'createdAt', ${nowText}, 'updatedAt', ${nowText})`;
  const attributed =
    d === "sqlite"
      ? "json_set(incidents.doc, '$.actorId', a.id, '$.actorConfidence', 'likely')"
      : "incidents.doc || jsonb_build_object('actorId', a.id, 'actorConfidence', 'likely')";
  const appendOnly =
    d === "sqlite"
      ? `
CREATE TRIGGER actor_audit_no_update BEFORE UPDATE ON actor_audit
BEGIN SELECT RAISE(ABORT, 'actor_audit is append-only'); END;
CREATE TRIGGER actor_audit_no_delete BEFORE DELETE ON actor_audit
BEGIN SELECT RAISE(ABORT, 'actor_audit is append-only'); END;`
      : `
CREATE TRIGGER actor_audit_no_change BEFORE UPDATE OR DELETE ON actor_audit
FOR EACH ROW EXECUTE FUNCTION techtrail_audit_append_only();
CREATE TRIGGER actor_audit_no_truncate BEFORE TRUNCATE ON actor_audit
FOR EACH STATEMENT EXECUTE FUNCTION techtrail_audit_append_only();`;
  return `
CREATE TABLE actors (
  id TEXT PRIMARY KEY,
  seq INTEGER NOT NULL UNIQUE,
  name TEXT NOT NULL,
  name_key TEXT NOT NULL,
  merged_into TEXT,
  created_at ${ts(d)} NOT NULL,
  updated_at ${ts(d)} NOT NULL,
  revision INTEGER NOT NULL DEFAULT 1,
  doc ${json(d)} NOT NULL
);
CREATE INDEX actors_merged_into ON actors (merged_into);
CREATE TABLE actor_names (
  name_key TEXT PRIMARY KEY,
  actor_id TEXT NOT NULL REFERENCES actors (id)
);
CREATE INDEX actor_names_actor ON actor_names (actor_id);
CREATE TABLE actor_audit (
  id ${serial},
  actor_id TEXT NOT NULL,
  action TEXT NOT NULL,
  changed_by TEXT NOT NULL,
  at ${ts(d)} NOT NULL,
  before ${json(d)},
  after ${json(d)},
  note TEXT
);
CREATE INDEX actor_audit_actor ON actor_audit (actor_id, id);
${appendOnly}
ALTER TABLE incidents ADD COLUMN actor_id TEXT;
CREATE INDEX incidents_actor_id ON incidents (actor_id, incident_at);
INSERT INTO actors (id, seq, name, name_key, created_at, updated_at, doc)
SELECT id, rn, name, actor_key, ${now}, ${now}, ${actorDoc}
FROM (SELECT ${id} AS id, rn, name, actor_key FROM (
  SELECT actor_key, ROW_NUMBER() OVER (ORDER BY actor_key) AS rn,
    (SELECT j.threat_actor FROM incidents j WHERE j.actor_key = k.actor_key AND j.threat_actor IS NOT NULL
     ORDER BY j.incident_at DESC, j.key DESC LIMIT 1) AS name
  FROM (SELECT DISTINCT actor_key FROM incidents WHERE actor_key IS NOT NULL AND threat_actor IS NOT NULL) k) g) n;
INSERT INTO actor_names (name_key, actor_id) SELECT name_key, id FROM actors;
INSERT INTO actor_audit (actor_id, action, changed_by, at, before, after, note)
SELECT id, 'create', 'techtrail', ${now}, NULL, doc, 'from the threat actor field of existing incidents (schema migration 7)' FROM actors;
UPDATE incidents SET actor_id = (SELECT a.id FROM actors a WHERE a.name_key = incidents.actor_key)
WHERE actor_key IS NOT NULL AND threat_actor IS NOT NULL;
UPDATE incidents SET doc = (SELECT ${attributed} FROM actors a WHERE a.id = incidents.actor_id)
WHERE actor_id IS NOT NULL;
INSERT INTO audit_log (incident_key, action, actor, at, before, after, note)
SELECT key, 'attribute', 'techtrail', ${now}, NULL, NULL, 'attributed to ' || actor_id || ' (' || threat_actor || ', likely) from the threat actor field (schema migration 7)'
FROM incidents WHERE actor_id IS NOT NULL;
`;
}

/**
 * How an intruder got in: the initial-access technique and the credential type, as columns so the control
 * counterfactuals (src/analytics/controls.ts) read them without parsing documents. Older rows have neither.
 */
function entryColumns(): string {
  return `
ALTER TABLE incidents ADD COLUMN initial_access_technique TEXT;
ALTER TABLE incidents ADD COLUMN credential_type TEXT;
`;
}

/**
 * The incident list's default page (newest first, then key) walks a covering index instead of sorting rows
 * and reading their documents, and gathers each row's techniques in tag order from a covering index too.
 */
function listOrderIndex(): string {
  return `
CREATE INDEX incidents_list_order ON incidents (incident_at, year, seq, key, title, status, severity, threat_actor, is_demo);
CREATE INDEX incident_techniques_tag_order ON incident_techniques (incident_key, ord, technique_id);
`;
}

/** One row per cached analytics snapshot (src/analytics/facts.ts), keyed by name, valid for its fingerprint. */
function analyticsCache(): string {
  return `
CREATE TABLE analytics_cache (
  name TEXT PRIMARY KEY,
  fingerprint TEXT NOT NULL,
  data TEXT NOT NULL,
  built_at TEXT NOT NULL
);
`;
}

/**
 * Covering indexes for src/analytics: aggregates over a date range join incident_techniques to incidents
 * without reading the incident documents, and per-incident technique lists come out in first-seen order.
 */
function analyticsIndexes(): string {
  return `
CREATE INDEX incidents_analytics ON incidents (incident_at, key, severity, actor_key, detection_source, is_demo, first_activity_at, detected_at, contained_at);
CREATE INDEX incident_techniques_order ON incident_techniques (incident_key, first_seen, ord, technique_id);
`;
}

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;

/** Brings the database to the latest schema version; refuses a database made by a newer techtrail. */
export async function applyMigrations(db: SqlDb): Promise<number> {
  // Read first: an up-to-date database is opened without taking the write lock.
  const before = await currentVersion(db);
  if (before === SCHEMA_VERSION) return before;
  if (before > SCHEMA_VERSION) throw newerSchema(before);
  return db.transaction(async (tx) => {
    if (tx.dialect === "postgres") await tx.query("SELECT pg_advisory_xact_lock(7468657472)");
    await tx.run(
      "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)",
    );
    const current = await currentVersion(tx);
    if (current > SCHEMA_VERSION) throw newerSchema(current);
    for (const m of MIGRATIONS) {
      if (m.version <= current) continue;
      for (const stmt of splitStatements(m.sql[tx.dialect])) await tx.run(stmt);
      await tx.run("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)", [
        m.version,
        m.name,
        new Date().toISOString(),
      ]);
    }
    return current;
  });
}

/** The schema version of the database (0: never migrated, no techtrail tables). */
export async function currentVersion(db: SqlDb): Promise<number> {
  const exists = await db.query(
    db.dialect === "sqlite"
      ? "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"
      : "SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = 'schema_migrations'",
  );
  if (exists.length === 0) return 0;
  const rows = await db.query<{ v: number | null }>("SELECT MAX(version) AS v FROM schema_migrations");
  return Number(rows[0]?.v ?? 0);
}

function newerSchema(version: number): TechtrailError {
  return new TechtrailError(
    "UNSUPPORTED",
    `the database has schema version ${version}, newer than this techtrail supports (${SCHEMA_VERSION}); upgrade techtrail`,
  );
}

/** Splits a migration into statements; trigger/function bodies (BEGIN ... END; / $fn$ ... $fn$) stay whole. */
export function splitStatements(sql: string): string[] {
  const out: string[] = [];
  let cur = "";
  let inBody = false;
  for (const line of sql.split("\n")) {
    const t = line.trim();
    if (t.startsWith("--") || t === "") continue;
    cur += `${line}\n`;
    if (/\$fn\$/.test(t) && (t.match(/\$fn\$/g)?.length ?? 0) % 2 === 1) inBody = !inBody;
    if (/^BEGIN\b/.test(t) && !t.includes("END;")) inBody = true;
    if (inBody && /^END;?$/.test(t) && !cur.includes("$fn$")) inBody = false;
    if (!inBody && t.endsWith(";")) {
      out.push(cur.trim().replace(/;$/, ""));
      cur = "";
    }
  }
  if (cur.trim()) out.push(cur.trim().replace(/;$/, ""));
  return out;
}
