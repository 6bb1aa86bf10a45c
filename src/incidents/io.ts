// Incident files: JSON (`{format, incidents}` or a bare array) and CSV (one row per incident, lists joined
// with "; ", full technique tags as JSON in `technique_details`). Parsing collects every problem of every
// record with its row, column and field; nothing is returned half-valid. Column mapping (`--map`)
// lets the spreadsheets teams keep today import without editing them.
import type { Catalog } from "../catalog/catalog.js";
import { type Problem, TechtrailError } from "../core/errors.js";
import { parseCsv, stringifyCsv } from "./csv.js";
import { fieldsOfRecord, keyProblem, UPSERT_FIELDS } from "./keys.js";
import type { Incident, NewIncident } from "./model.js";
import { checkNewIncident } from "./validate.js";

export const EXPORT_FORMAT = "techtrail-incidents/1";
export type FileFormat = "json" | "csv";

/** CSV columns in export order; also the field names `--map` and `edit --set` accept. */
export const COLUMNS = [
  "key",
  "title",
  "summary",
  "status",
  "severity",
  "first_activity",
  "detected",
  "reported",
  "contained",
  "recovered",
  "closed",
  "accounts",
  "regions",
  "services",
  "resources",
  "detection_source",
  "initial_access",
  "initial_access_technique",
  "credential_type",
  "threat_actor",
  "campaign",
  "impact",
  "techniques",
  "technique_details",
  "playbooks",
  "tags",
  "notes",
  "lessons_learned",
  "is_demo",
  "created_at",
  "updated_at",
  // last, so spreadsheets and scripts that read columns by position keep working
  "actor_id",
  "actor_confidence",
] as const;
export type Column = (typeof COLUMNS)[number];
export type FlatIncident = Partial<Record<Column, string>>;

const TIMELINE_COLUMNS: Record<string, string> = {
  first_activity: "firstActivity",
  detected: "detected",
  reported: "reported",
  contained: "contained",
  recovered: "recovered",
  closed: "closed",
};
const LIST_COLUMNS = new Set<Column>(["accounts", "regions", "services", "resources", "impact", "playbooks", "tags"]);
/** Lists whose values never contain commas or spaces, so those separate values too. */
const WORD_LISTS = new Set<Column>(["accounts", "regions", "services", "impact", "tags"]);
const ALIASES: Record<string, Column> = {
  id: "key",
  incident: "key",
  incident_id: "key",
  incident_key: "key",
  name: "title",
  description: "summary",
  priority: "severity",
  sev: "severity",
  first_malicious_activity: "first_activity",
  first_seen: "first_activity",
  detected_at: "detected",
  reported_at: "reported",
  contained_at: "contained",
  recovered_at: "recovered",
  closed_at: "closed",
  account: "accounts",
  account_ids: "accounts",
  aws_accounts: "accounts",
  region: "regions",
  service: "services",
  affected_services: "services",
  affected_resources: "resources",
  detection: "detection_source",
  detected_by: "detection_source",
  initial_access_vector: "initial_access",
  entry_technique: "initial_access_technique",
  credential: "credential_type",
  credential_used: "credential_type",
  actor: "threat_actor",
  threat_actors: "threat_actor",
  impacts: "impact",
  impact_categories: "impact",
  technique_ids: "techniques",
  ttps: "techniques",
  playbook: "playbooks",
  playbooks_used: "playbooks",
  labels: "tags",
  lessons: "lessons_learned",
  demo: "is_demo",
};

/** `Lessons Learned`, `lessonsLearned`, `lessons-learned` → `lessons_learned`. */
export function normaliseHeader(h: string): string {
  return h
    .trim()
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "");
}

function columnOf(header: string): Column | undefined {
  const n = normaliseHeader(header);
  if ((COLUMNS as readonly string[]).includes(n)) return n as Column;
  return ALIASES[n];
}

/** Parses `--map "Incident ID=key,Opened=detected,Internal=-"` (`-` ignores a column). */
export function parseColumnMap(spec: string | undefined): Map<string, Column | "-"> {
  const map = new Map<string, Column | "-">();
  if (!spec) return map;
  const problems: Problem[] = [];
  for (const part of spec.split(",")) {
    if (!part.trim()) continue;
    const eq = part.lastIndexOf("=");
    const from = eq > 0 ? part.slice(0, eq) : "";
    const to = eq > 0 ? part.slice(eq + 1).trim() : "";
    if (!from.trim() || !to) {
      problems.push({ field: "--map", message: `"${part}" is not column=field` });
      continue;
    }
    const target = to === "-" ? "-" : columnOf(to);
    if (!target) {
      problems.push({ field: "--map", message: `unknown field "${to}" (fields: ${COLUMNS.join(", ")})` });
      continue;
    }
    map.set(normaliseHeader(from), target);
  }
  if (problems.length) throw new TechtrailError("VALIDATION", "invalid column map", { problems });
  return map;
}

// ---- incident ⇄ flat row --------------------------------------------------------------------

const joinList = (l: readonly string[]) => l.join("; ");

export function toFlat(i: Incident): Record<Column, string> {
  const tl = i.timeline;
  return {
    key: i.key,
    title: i.title,
    summary: i.summary,
    status: i.status,
    severity: i.severity,
    first_activity: tl.firstActivity ?? "",
    detected: tl.detected ?? "",
    reported: tl.reported ?? "",
    contained: tl.contained ?? "",
    recovered: tl.recovered ?? "",
    closed: tl.closed ?? "",
    accounts: joinList(i.accounts),
    regions: joinList(i.regions),
    services: joinList(i.services),
    resources: joinList(i.resources),
    detection_source: i.detectionSource ?? "",
    initial_access: i.initialAccess ?? "",
    initial_access_technique: i.initialAccessTechnique ?? "",
    credential_type: i.credentialType ?? "",
    threat_actor: i.threatActor ?? "",
    actor_id: i.actorId ?? "",
    actor_confidence: i.actorConfidence ?? "",
    campaign: i.campaign ?? "",
    impact: joinList(i.impact),
    techniques: joinList(i.techniques.map((t) => `${t.id}:${t.confidence}`)),
    technique_details: i.techniques.length ? JSON.stringify(i.techniques) : "",
    playbooks: joinList(i.playbooks),
    tags: joinList(i.tags),
    notes: i.notes,
    lessons_learned: i.lessonsLearned,
    is_demo: i.isDemo ? "true" : "false",
    created_at: i.createdAt,
    updated_at: i.updatedAt,
  };
}

export function splitList(col: Column, cell: string): string[] {
  const sep = WORD_LISTS.has(col) ? /[;,\n\s]+/ : /[;\n]+/;
  return cell
    .split(sep)
    .map((s) => s.trim())
    .filter(Boolean);
}

const SEVERITY_WORDS: Record<string, string> = {
  critical: "P1",
  sev1: "P1",
  "1": "P1",
  high: "P2",
  sev2: "P2",
  "2": "P2",
  medium: "P3",
  moderate: "P3",
  sev3: "P3",
  "3": "P3",
  low: "P4",
  sev4: "P4",
  "4": "P4",
};
const enumWord = (s: string) =>
  s
    .trim()
    .toLowerCase()
    .replace(/[\s_]+/g, "-");

/** Parses `T1078.A001:confirmed; T1496.A008` into technique tags. */
function parseTechniqueList(cell: string): Array<Record<string, string>> {
  return splitList("techniques", cell.replace(/,/g, ";")).map((part) => {
    const [id = "", confidence] = part.split(/[:\s]+/);
    const t: Record<string, string> = { id };
    if (confidence) t.confidence = confidence.toLowerCase();
    return t;
  });
}

/**
 * Turns a flat row into the raw object NewIncident validates. Empty cells are absent values.
 * Throws a located problem list only for cells that cannot even be read (bad JSON).
 */
export function fromFlat(row: FlatIncident): { raw: Record<string, unknown>; problems: Problem[] } {
  const raw: Record<string, unknown> = {};
  const timeline: Record<string, string> = {};
  const problems: Problem[] = [];
  for (const col of COLUMNS) {
    const cell = row[col];
    if (cell === undefined || cell.trim() === "") continue;
    const v = cell.trim();
    if (col in TIMELINE_COLUMNS) timeline[TIMELINE_COLUMNS[col] as string] = v;
    else if (LIST_COLUMNS.has(col)) {
      const list = splitList(col, cell);
      raw[camel(col)] = col === "impact" ? list.map(enumWord) : list;
    } else if (col === "severity") raw.severity = SEVERITY_WORDS[v.toLowerCase()] ?? v.toUpperCase();
    else if (
      col === "status" ||
      col === "detection_source" ||
      col === "initial_access" ||
      col === "credential_type" ||
      col === "actor_confidence"
    )
      raw[camel(col)] = enumWord(v);
    else if (col === "is_demo") {
      const b = v.toLowerCase();
      raw.isDemo = ["true", "yes", "y", "1"].includes(b) ? true : ["false", "no", "n", "0"].includes(b) ? false : v;
    } else if (col === "techniques") {
      if (row.technique_details?.trim()) continue;
      raw.techniques = parseTechniqueList(v);
    } else if (col === "technique_details") {
      try {
        raw.techniques = JSON.parse(v);
      } catch (e) {
        problems.push({ field: "technique_details", message: `not valid JSON: ${(e as Error).message}` });
      }
    } else if (col === "summary" || col === "notes" || col === "lessons_learned") raw[camel(col)] = cell;
    else raw[camel(col)] = v;
  }
  if (Object.keys(timeline).length) raw.timeline = timeline;
  // Both technique columns present: they must agree, or one of them was edited by hand.
  if (row.technique_details?.trim() && row.techniques?.trim() && Array.isArray(raw.techniques)) {
    const ids = (raw.techniques as Array<{ id?: unknown }>).map((t) => String(t.id ?? "").toUpperCase());
    const listed = parseTechniqueList(row.techniques).map((t) => (t.id ?? "").toUpperCase());
    if (ids.join(";") !== listed.join(";"))
      problems.push({
        field: "techniques",
        message: `techniques (${listed.join(", ")}) and technique_details (${ids.join(", ")}) disagree; clear one of them`,
      });
  }
  return { raw, problems };
}

function camel(col: string): string {
  if (col === "created_at") return "createdAt";
  if (col === "updated_at") return "updatedAt";
  if (col === "initial_access") return "initialAccess";
  return col.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** The incident field a CSV column fills (`timeline.detected`, `techniques`, `threatActor`). */
function fieldOfColumn(col: Column): string {
  if (col in TIMELINE_COLUMNS) return `timeline.${TIMELINE_COLUMNS[col]}`;
  if (col === "technique_details") return "techniques";
  return camel(col);
}

/** The CSV column a validation issue path belongs to. */
function columnForPath(field: string | undefined): Column | undefined {
  if (!field) return undefined;
  const [head, sub] = field.split(".");
  if (head === "timeline" && sub)
    return (Object.entries(TIMELINE_COLUMNS).find(([, v]) => v === sub)?.[0] ?? undefined) as Column | undefined;
  if (head === "techniques") return "techniques";
  const snake = normaliseHeader(head ?? "");
  if (snake === "lessons_learned" || (COLUMNS as readonly string[]).includes(snake)) return snake as Column;
  if (head === "threatActor") return "threat_actor";
  return undefined;
}

// ---- files -------------------------------------------------------------------------------------

export interface ParseOptions {
  format?: FileFormat;
  /** File name for messages. */
  source?: string;
  map?: string;
  allowRevoked?: boolean;
  /** The register's team key pattern (src/incidents/keys.ts); keys that match neither it nor IR-YYYY-NNNN are problems. */
  keyPattern?: string;
  /**
   * Filled with where each keyed record is and which fields it gives (for upserts: only those change, and
   * problems found against the stored incident point back at the record).
   */
  records?: Map<string, RecordInfo>;
}

/** Where a keyed record is in its file and the upsertable fields it gives. */
export interface RecordInfo {
  /** 1-based record number. */
  record: number;
  line?: number;
  fields: string[];
}

export function detectFormat(file: string, text: string): FileFormat {
  if (/\.csv$/i.test(file)) return "csv";
  if (/\.json$/i.test(file)) return "json";
  const first = text.replace(/^\uFEFF/, "").trimStart()[0];
  return first === "{" || first === "[" ? "json" : "csv";
}

/** A parsed incident file whose records are validated lazily, batch by batch. */
export interface IncidentFileReader {
  /** Records in the file. */
  count: number;
  /**
   * Validated records in batches. Once a problem is found, later batches are still validated (so every
   * problem is reported) but come out empty; after the last batch, throws one VALIDATION error listing them.
   */
  batches(size?: number): Generator<NewIncident[]>;
}

/**
 * Parses an incident file (header and structure checked now) and returns a reader that validates the records
 * against the catalog batch by batch: an import can write each batch while validating the next, in one
 * transaction, and the parsed records are released as they go.
 */
export function readIncidentFile(text: string, catalog: Catalog, opts: ParseOptions = {}): IncidentFileReader {
  const source = opts.source ?? "input";
  const format = opts.format ?? detectFormat(source, text);
  const problems: Problem[] = [];
  const keys = new Map<string, string>();
  const checkOpts = { allowRevoked: opts.allowRevoked ?? true };
  const checkKey = (i: NewIncident, where: string, p: Problem) => {
    if (i.key === undefined) return;
    const wrong = keyProblem(i.key, opts.keyPattern);
    if (wrong) problems.push({ ...p, field: p.field ?? "key", message: wrong });
    const prev = keys.get(i.key);
    if (prev) problems.push({ ...p, field: p.field ?? "key", message: `duplicate key ${i.key} (also ${prev})` });
    else keys.set(i.key, where);
  };
  let count: number;
  let validate: (n: number) => NewIncident | undefined;
  if (format === "json") {
    let json: unknown;
    try {
      json = JSON.parse(text.replace(/^\uFEFF/, ""));
    } catch (e) {
      throw new TechtrailError("PARSE", `${source} is not valid JSON: ${(e as Error).message}`, {
        problems: [{ source, message: (e as Error).message }],
      });
    }
    const records = Array.isArray(json) ? json : (json as { incidents?: unknown })?.incidents;
    if (!Array.isArray(records))
      throw new TechtrailError("VALIDATION", `${source}: expected an array of incidents or {"incidents": [...]}`, {
        problems: [{ source, field: "incidents", message: "missing incidents array" }],
      });
    const fmt = (json as { format?: unknown }).format;
    if (!Array.isArray(json) && fmt !== undefined && fmt !== EXPORT_FORMAT)
      throw new TechtrailError("UNSUPPORTED", `${source}: unknown format ${String(fmt)} (expected ${EXPORT_FORMAT})`);
    count = records.length;
    validate = (n) => {
      const res = checkNewIncident(records[n], catalog, { source, ...checkOpts });
      if (res.value?.key !== undefined)
        opts.records?.set(res.value.key, { record: n + 1, fields: fieldsOfRecord(records[n]) });
      records[n] = undefined; // release the parsed record
      for (const p of res.problems) problems.push({ ...p, field: `incidents.${n}${p.field ? `.${p.field}` : ""}` });
      if (res.value) checkKey(res.value, `record ${n + 1}`, { source, field: `incidents.${n}.key`, message: "" });
      return res.value;
    };
  } else {
    const rows = parseCsv(text, source);
    const header = rows[0];
    if (!header)
      throw new TechtrailError("VALIDATION", `${source} is empty`, {
        problems: [{ source, message: "no header row" }],
      });
    const map = parseColumnMap(opts.map);
    const cols: Array<Column | "-" | undefined> = header.cells.map((h) => map.get(normaliseHeader(h)) ?? columnOf(h));
    cols.forEach((c, n) => {
      if (c === undefined)
        problems.push({
          source,
          line: header.line,
          column: n + 1,
          field: header.cells[n] ?? "",
          message: `unknown column "${header.cells[n]}": map it with --map "${header.cells[n]}=FIELD" or ignore it with --map "${header.cells[n]}=-"`,
        });
    });
    const seen = new Map<Column, number>();
    cols.forEach((c, n) => {
      if (c === undefined || c === "-") return;
      const prev = seen.get(c);
      if (prev !== undefined)
        problems.push({
          source,
          line: header.line,
          column: n + 1,
          message: `columns ${prev + 1} and ${n + 1} both map to ${c}`,
        });
      seen.set(c, n);
    });
    if (!seen.has("title"))
      problems.push({ source, line: header.line, message: 'no "title" column (map one with --map "Column=title")' });
    if (problems.length)
      throw new TechtrailError("VALIDATION", `${source}: the header row cannot be imported; nothing was imported`, {
        problems,
      });
    count = rows.length - 1;
    // The fields a CSV row gives are its file's columns (an empty cell clears the field on upsert).
    const given = new Set([...seen.keys()].map(fieldOfColumn));
    const csvFields = UPSERT_FIELDS.filter((f) => given.has(f));
    validate = (n) => {
      const row = rows[n + 1];
      if (!row) return undefined;
      if (row.cells.length !== header.cells.length) {
        problems.push({
          source,
          line: row.line,
          message: `row has ${row.cells.length} cells, the header has ${header.cells.length}`,
        });
        return undefined;
      }
      const flat: FlatIncident = {};
      cols.forEach((c, i) => {
        if (c && c !== "-") flat[c] = row.cells[i] ?? "";
      });
      const at = (field: string | undefined): Problem => {
        const col = columnForPath(field);
        const idx = col ? seen.get(col) : undefined;
        const p: Problem = { source, line: row.line, message: "" };
        if (idx !== undefined) p.column = idx + 1;
        if (field) p.field = field;
        return p;
      };
      const { raw, problems: cellProblems } = fromFlat(flat);
      for (const p of cellProblems) problems.push({ ...at(p.field), message: p.message });
      if (cellProblems.length) return undefined;
      const res = checkNewIncident(raw, catalog, checkOpts);
      for (const p of res.problems) problems.push({ ...at(p.field), message: p.message });
      if (res.value) checkKey(res.value, `line ${row.line}`, at("key"));
      if (res.value?.key !== undefined)
        opts.records?.set(res.value.key, { record: n + 1, line: row.line, fields: csvFields });
      return res.value;
    };
  }
  return {
    count,
    *batches(size = 500) {
      for (let start = 0; start < count; start += size) {
        const batch: NewIncident[] = [];
        for (let n = start; n < Math.min(count, start + size); n++) {
          const v = validate(n);
          if (v && problems.length === 0) batch.push(v);
        }
        yield problems.length ? [] : batch;
      }
      if (problems.length)
        throw new TechtrailError("VALIDATION", `${source}: ${problems.length} problem(s); nothing was imported`, {
          problems,
        });
    },
  };
}

/**
 * Parses and validates a whole incident file against the catalog. Returns every record or throws one
 * VALIDATION error listing every problem (row, column, field, reason): an import is all or nothing.
 */
export function parseIncidentFile(text: string, catalog: Catalog, opts: ParseOptions = {}): NewIncident[] {
  const out: NewIncident[] = [];
  for (const batch of readIncidentFile(text, catalog, opts).batches()) for (const i of batch) out.push(i);
  return out;
}

export function serialiseIncidents(incidents: readonly Incident[], format: FileFormat): string {
  if (format === "json") return `${JSON.stringify({ format: EXPORT_FORMAT, incidents }, null, 2)}\n`;
  return stringifyCsv([[...COLUMNS], ...incidents.map((i) => COLUMNS.map((c) => toFlat(i)[c]))]);
}
