// The incident store interface every adapter implements (SQLite, PostgreSQL), with its filter type.
// Every change runs in one transaction together with its audit-trail row.
import { z } from "zod";
import type { StoredControls } from "../controls/model.js";
import type { ActorIndicators } from "../core/indicators.js";
import type { Actor, ActorAuditEntry, ActorDetail, ActorSummary, NewActorInput } from "../incidents/actor.js";
import type {
  AuditAction,
  AuditEntry,
  ChangeContext,
  Confidence,
  Incident,
  IncidentSummary,
  NewIncident,
} from "../incidents/model.js";
import { IncidentStatus, Severity, Timestamp } from "../incidents/model.js";
import type {
  Answer,
  HintTaken,
  QuestionId,
  StoredAnswer,
  WorkshopRecord,
  WorkshopSummary,
} from "../workshops/model.js";
import type { SqlDb } from "./sql.js";
import type { HintFn, ParticipantAnswer, ParticipantHint, ScoreFn } from "./workshop-store.js";

export const IncidentFilter = z.strictObject({
  status: z.array(IncidentStatus).optional(),
  severity: z.array(Severity).optional(),
  /** Each inner list is an OR-group of technique IDs; every group must match (technique AND tactic). */
  techniques: z.array(z.array(z.string().min(1)).min(1)).optional(),
  /** Technique families (base IDs: T1496 matches T1496 and every T1496.xxx); any of them. */
  families: z.array(z.string().min(1)).optional(),
  /** Tactic IDs (TA0040), as the catalog placed the techniques when they were tagged; any of them. */
  tactics: z.array(z.string().min(1)).optional(),
  /** Threat actor name, matched case- and spacing-insensitively. */
  threatActor: z.string().min(1).optional(),
  /** Actor entity ID (ACT-0001): the incidents attributed to it. */
  actorId: z.string().min(1).optional(),
  campaign: z.string().min(1).optional(),
  tag: z.string().min(1).optional(),
  /** Incident date (detected, else reported, else first activity, else created) at or after. */
  since: Timestamp.optional(),
  /** Incident date strictly before. */
  until: Timestamp.optional(),
  demo: z.boolean().optional(),
  /** Case-insensitive substring of the title. */
  text: z
    .string()
    .min(1)
    // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
    .regex(/^[^\u0000-\u001f\u007f-\u009f]*$/, "search text must not contain NUL or control characters")
    .optional(),
  sort: z.enum(["date", "key", "severity"]).default("date"),
  order: z.enum(["asc", "desc"]).default("desc"),
  limit: z.number().int().min(1).max(100_000).default(50),
  offset: z.number().int().min(0).default(0),
});
export type IncidentFilter = z.infer<typeof IncidentFilter>;
export type IncidentFilterInput = z.input<typeof IncidentFilter>;

export interface IncidentPage {
  items: IncidentSummary[];
  total: number;
  limit: number;
  offset: number;
}

export interface ActorImportResult {
  created: string[];
  updated: string[];
  unchanged: string[];
  /** Aliases left out because another actor already answers to them. */
  droppedAliases: Array<{ name: string; alias: string; owner: string }>;
}

export interface ImportResult {
  created: number;
  /** Keys of the incidents created. */
  keys: string[];
  /** Existing incidents an upsert changed (one audit row each), and their keys. */
  updated: number;
  updatedKeys: string[];
  /** Existing incidents an upsert left as they were (no write, no audit row). */
  unchanged: number;
  dryRun: boolean;
}

export interface ImportOptions {
  /** Do everything, including key assignment and conflict checks, then roll back. */
  dryRun?: boolean;
  /** Update the incidents whose keys already exist instead of refusing them (audited `update`). */
  upsert?: boolean;
  /** The fields a keyed record gives (src/incidents/keys.ts); only they change on upsert. Undefined: all. */
  fieldsOf?: (key: string) => readonly string[] | undefined;
}

export interface Store {
  readonly kind: "sqlite" | "postgres";
  /** File path or redacted URL, for messages. */
  readonly location: string;
  /** SQL access for read-only aggregates (src/analytics); every write goes through the methods below. */
  readonly db: SqlDb;
  /**
   * Stores a new incident; assigns the next key of its year when it has none. CONFLICT on a duplicate key,
   * VALIDATION on a key the key pattern does not accept.
   */
  create(input: NewIncident, ctx: ChangeContext): Promise<Incident>;
  get(key: string): Promise<Incident | undefined>;
  /** Like get but NOT_FOUND when missing. */
  require(key: string): Promise<Incident>;
  /**
   * Read-modify-write in one transaction (row locked in PostgreSQL, write lock in SQLite): `change` gets the
   * current incident and returns the new one. No write and no audit row when nothing changed.
   */
  update(
    key: string,
    change: (current: Incident) => Incident,
    ctx: ChangeContext,
    action?: AuditAction,
  ): Promise<{ incident: Incident; changed: boolean }>;
  delete(key: string, ctx: ChangeContext): Promise<Incident>;
  list(filter?: IncidentFilterInput): Promise<IncidentPage>;
  count(filter?: IncidentFilterInput): Promise<number>;
  /**
   * Inserts all incidents in one transaction or none (CONFLICT lists every key already present).
   * `dryRun` does all the work, including key assignment and conflict checks, then rolls back.
   */
  importMany(incidents: readonly NewIncident[], ctx: ChangeContext, opts?: ImportOptions): Promise<ImportResult>;
  /**
   * Like importMany for batches consumed one after the other in the same transaction (big files are
   * validated batch by batch while earlier batches are written); an iterator that throws rolls back.
   */
  importBatches(
    batches: Iterable<readonly NewIncident[]> | AsyncIterable<readonly NewIncident[]>,
    ctx: ChangeContext,
    opts?: ImportOptions,
  ): Promise<ImportResult>;
  /**
   * The register's team key pattern (src/incidents/keys.ts): keys given to create and import must match it or
   * be techtrail's own IR-YYYY-NNNN. Undefined: only techtrail's own keys.
   */
  keyPattern(): Promise<string | undefined>;
  /** Sets (or with undefined removes) the key pattern; VALIDATION when it does not compile. */
  setKeyPattern(pattern: string | undefined): Promise<void>;
  /** The team's deployed-controls file kept in the register, or undefined when none was saved. */
  storedControls(): Promise<StoredControls | undefined>;
  /**
   * Keeps (or with undefined removes) the controls file text, recording who saved it and when. The store only
   * persists: the caller checks the text against the catalog first (src/register, parseControlsInventory).
   */
  setStoredControls(text: string | undefined, ctx: ChangeContext): Promise<StoredControls | undefined>;
  /** Full incidents in key order, optionally filtered. */
  exportAll(filter?: IncidentFilterInput): Promise<Incident[]>;
  history(key: string): Promise<AuditEntry[]>;
  /** Stores a new workshop with its answer key; CONFLICT when the ID is taken. */
  createWorkshop(workshop: WorkshopRecord): Promise<WorkshopRecord>;
  /** A workshop with its answer key (for scoring and the facilitator only). */
  getWorkshop(id: string): Promise<WorkshopRecord | undefined>;
  /** Workshops newest first, without answer keys. */
  listWorkshops(): Promise<WorkshopSummary[]>;
  /** Closes a workshop (NOT_FOUND when missing; closing a closed one changes nothing). */
  closeWorkshop(id: string): Promise<WorkshopRecord>;
  /**
   * Scores (inside the transaction, `score` gets the workshop and the hints taken) and records one answer.
   * NOT_FOUND: no such workshop; CONFLICT: closed, or this participant answered the question already. A failure
   * writes nothing, so earlier answers and hints stay as they were.
   */
  answerWorkshop(id: string, participant: string, answer: Answer, score: ScoreFn): Promise<StoredAnswer>;
  /** Records and returns the participant's next hint of a question (CONFLICT once answered or out of hints). */
  takeWorkshopHint(id: string, participant: string, question: QuestionId, hint: HintFn): Promise<HintTaken>;
  /** Answers and hints of one participant (or all), oldest first. */
  workshopProgress(
    id: string,
    participant?: string,
  ): Promise<{ answers: ParticipantAnswer[]; hints: ParticipantHint[] }>;
  /** Technique → tactic IDs used for tactic facets of incidents written from now on (the catalog's placement). */
  setTaxonomy(taxonomy: (techniqueId: string) => readonly string[]): void;

  // Threat actors (src/incidents/actor.ts). `ref` is an actor ID (a merged actor's ID resolves to the actor it
  // was merged into), a name or an alias. Incidents written with a threatActor name are attributed to the
  // actor of that name (made when new); every change is audited in the actor's trail.
  /** Stores a new actor with the next ID; CONFLICT when a name or alias is another actor's. */
  createActor(input: NewActorInput, ctx: ChangeContext): Promise<Actor>;
  getActor(ref: string): Promise<Actor | undefined>;
  /** Like getActor but NOT_FOUND when missing. */
  requireActor(ref: string): Promise<Actor>;
  /** Read-modify-write; a rename keeps the old name as an alias and renames the attributed incidents' actor. */
  updateActor(
    ref: string,
    change: (current: Actor) => Actor,
    ctx: ChangeContext,
  ): Promise<{ actor: Actor; changed: boolean }>;
  /** Live actors (not merged away) in ID order, with incident, indicator and technique counts. */
  listActors(): Promise<ActorSummary[]>;
  /** The actor with its attributed incidents and techniques (seen in incidents, and declared). */
  actorDetail(ref: string, techniqueName?: (id: string) => string | undefined): Promise<ActorDetail>;
  /** The actor's audit trail, including the trails of actors merged into it. */
  actorHistory(ref: string): Promise<ActorAuditEntry[]>;
  /** Indicators of every live actor that has some (the scan engine's `actors` option). */
  actorIndicators(): Promise<ActorIndicators[]>;
  allActors(): Promise<Actor[]>;
  /** Attributes an incident to an actor with a confidence (null: removes the attribution); audited on both. */
  linkIncident(
    key: string,
    actorRef: string | null,
    confidence: Confidence,
    ctx: ChangeContext,
  ): Promise<{ incident: Incident; changed: boolean }>;
  /** Merges actor `from` into `into`: names, indicators, techniques and references join; attributions move. */
  mergeActors(into: string, from: string, ctx: ChangeContext): Promise<{ actor: Actor; incidents: string[] }>;
  /** Creates or updates actors from a source (matched by provenance, then by name or alias). */
  importActors(inputs: readonly NewActorInput[], ctx: ChangeContext): Promise<ActorImportResult>;
  close(): Promise<void>;
}
