// Workshop records and participant progress, written once over SqlDb for SQLite and PostgreSQL (the SqlStore
// methods delegate here). A workshop row keeps its answer key in its own column, read only by scoring and the
// facilitator's debrief. Answers and hints are taken in one transaction each, with the workshop row locked
// (PostgreSQL) or the write lock held (SQLite): the checks (workshop exists and is open, question not answered
// yet) and the insert cannot interleave with another request, and a failed scoring writes nothing.
import { TechtrailError, zodProblems } from "../core/errors.js";
import {
  type Answer,
  HintTaken,
  type QuestionId,
  type QuestionScore,
  StoredAnswer,
  WorkshopRecord,
  WorkshopSummary,
} from "../workshops/model.js";
import type { Row, SqlDb } from "./sql.js";

const readJson = (v: unknown): unknown => (typeof v === "string" ? JSON.parse(v) : v);
const now = () => new Date().toISOString();

export interface ParticipantAnswer extends StoredAnswer {
  participant: string;
}
export interface ParticipantHint extends HintTaken {
  participant: string;
}

/** What scoring needs to score an answer: the workshop (with its key) and the hints this participant took. */
export type ScoreFn = (workshop: WorkshopRecord, hintsUsed: number) => QuestionScore;
/** The n-th hint (1-based) of a question, or undefined when there are no more. */
export type HintFn = (workshop: WorkshopRecord, n: number) => { text: string; cost: number } | undefined;

function invalid(what: string, issues: ReadonlyArray<{ path: PropertyKey[]; message: string }>): TechtrailError {
  return new TechtrailError("INTERNAL", `stored ${what} is invalid`, { problems: zodProblems(issues, "database") });
}

function recordOf(r: Row): WorkshopRecord {
  const doc = readJson(r.doc) as Record<string, unknown>;
  const res = WorkshopRecord.safeParse({
    ...doc,
    status: r.status,
    closedAt: r.closed_at ?? null,
    answerKey: readJson(r.answer_key),
  });
  if (!res.success) throw invalid(`workshop ${String(r.id)}`, res.error.issues);
  return res.data;
}

function notFound(id: string, location: string): TechtrailError {
  return new TechtrailError("NOT_FOUND", `no workshop ${id} in ${location} (techtrail workshop list shows them)`, {
    details: { workshop: id },
  });
}

async function load(db: SqlDb, id: string, lock: boolean): Promise<WorkshopRecord | undefined> {
  const forUpdate = lock && db.dialect === "postgres" ? " FOR UPDATE" : "";
  const [row] = await db.query(
    `SELECT id, status, closed_at, doc, answer_key FROM workshops WHERE id = ?${forUpdate}`,
    [id],
  );
  return row ? recordOf(row) : undefined;
}

/** Loads a workshop for a participant's change: it must exist and be open. */
async function loadOpen(db: SqlDb, id: string, location: string): Promise<WorkshopRecord> {
  const w = await load(db, id, true);
  if (!w) throw notFound(id, location);
  if (w.status !== "open")
    throw new TechtrailError("CONFLICT", `workshop ${id} is closed: it takes no more answers or hints`, {
      details: { workshop: id, reason: "closed" },
    });
  return w;
}

const norm = (id: string) => id.trim().toLowerCase();

export async function createWorkshop(db: SqlDb, w: WorkshopRecord, location: string): Promise<WorkshopRecord> {
  const record = WorkshopRecord.parse(w);
  const { answerKey, status, closedAt, ...doc } = record;
  return db.transaction(async (tx) => {
    if (await load(tx, record.id, false))
      throw new TechtrailError("CONFLICT", `workshop ${record.id} already exists in ${location}; choose another ID`, {
        problems: [{ field: "id", message: `workshop ${record.id} already exists` }],
      });
    await tx.run(
      "INSERT INTO workshops (id, title, scenario, status, created_by, created_at, closed_at, doc, answer_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
      [
        record.id,
        record.title,
        record.logs.scenario,
        status,
        record.createdBy,
        record.createdAt,
        closedAt,
        JSON.stringify(doc),
        JSON.stringify(answerKey),
      ],
    );
    return record;
  });
}

export async function getWorkshop(db: SqlDb, id: string): Promise<WorkshopRecord | undefined> {
  return load(db, norm(id), false);
}

export async function listWorkshops(db: SqlDb): Promise<WorkshopSummary[]> {
  const rows = await db.query(
    `SELECT w.id, w.status, w.closed_at, w.doc,
       (SELECT COUNT(*) FROM (SELECT participant FROM workshop_answers a WHERE a.workshop_id = w.id
          UNION SELECT participant FROM workshop_hints h WHERE h.workshop_id = w.id) p) AS participants
     FROM workshops w ORDER BY w.created_at DESC, w.id`,
  );
  return rows.map((r) => {
    const res = WorkshopSummary.safeParse({
      ...(readJson(r.doc) as Record<string, unknown>),
      status: r.status,
      closedAt: r.closed_at ?? null,
      participants: Number(r.participants),
    });
    if (!res.success) throw invalid(`workshop ${String(r.id)}`, res.error.issues);
    return res.data;
  });
}

/** Closes a workshop (no more answers or hints; participants may read the debrief). Closing twice is a no-op. */
export async function closeWorkshop(db: SqlDb, id: string, location: string): Promise<WorkshopRecord> {
  return db.transaction(async (tx) => {
    const w = await load(tx, norm(id), true);
    if (!w) throw notFound(norm(id), location);
    if (w.status === "closed") return w;
    const at = now();
    await tx.run("UPDATE workshops SET status = 'closed', closed_at = ? WHERE id = ?", [at, w.id]);
    return { ...w, status: "closed", closedAt: at };
  });
}

async function answered(db: SqlDb, id: string, participant: string, question: QuestionId): Promise<boolean> {
  const rows = await db.query(
    "SELECT 1 FROM workshop_answers WHERE workshop_id = ? AND participant = ? AND question = ?",
    [id, participant, question],
  );
  return rows.length > 0;
}

async function hintCount(db: SqlDb, id: string, participant: string, question: QuestionId): Promise<number> {
  const [row] = await db.query<{ n: number | string }>(
    "SELECT COUNT(*) AS n FROM workshop_hints WHERE workshop_id = ? AND participant = ? AND question = ?",
    [id, participant, question],
  );
  return Number(row?.n ?? 0);
}

/**
 * Records a participant's answer scored by `score` (inside the transaction, with the hints taken so far).
 * NOT_FOUND for an unknown workshop, CONFLICT when it is closed or the question was answered already; nothing
 * is written when any check or the scoring fails.
 */
export async function answerWorkshop(
  db: SqlDb,
  location: string,
  id: string,
  participant: string,
  answer: Answer,
  score: ScoreFn,
): Promise<StoredAnswer> {
  const wid = norm(id);
  return db.transaction(async (tx) => {
    const w = await loadOpen(tx, wid, location);
    if (await answered(tx, wid, participant, answer.question))
      throw new TechtrailError(
        "CONFLICT",
        `${participant} has already answered "${answer.question}" in workshop ${wid}; an answer counts once`,
        { details: { workshop: wid, question: answer.question, reason: "answered" } },
      );
    const scored = score(w, await hintCount(tx, wid, participant, answer.question));
    const stored = StoredAnswer.parse({ question: answer.question, answer, score: scored, answeredAt: now() });
    await tx.run(
      "INSERT INTO workshop_answers (workshop_id, participant, question, answer, score, answered_at) VALUES (?, ?, ?, ?, ?, ?)",
      [
        wid,
        participant,
        stored.question,
        JSON.stringify(stored.answer),
        JSON.stringify(stored.score),
        stored.answeredAt,
      ],
    );
    return stored;
  });
}

/** Gives a participant the next hint of a question (CONFLICT once it is answered or has no more hints). */
export async function takeWorkshopHint(
  db: SqlDb,
  location: string,
  id: string,
  participant: string,
  question: QuestionId,
  hint: HintFn,
): Promise<HintTaken> {
  const wid = norm(id);
  return db.transaction(async (tx) => {
    const w = await loadOpen(tx, wid, location);
    if (await answered(tx, wid, participant, question))
      throw new TechtrailError("CONFLICT", `"${question}" is answered already: hints are for open questions`, {
        details: { workshop: wid, question, reason: "answered" },
      });
    const n = (await hintCount(tx, wid, participant, question)) + 1;
    const h = hint(w, n);
    if (!h)
      throw new TechtrailError("CONFLICT", `no more hints for "${question}" (${n - 1} taken)`, {
        details: { workshop: wid, question, reason: "no-more-hints" },
      });
    const taken = HintTaken.parse({ question, n, text: h.text, cost: h.cost, takenAt: now() });
    await tx.run(
      "INSERT INTO workshop_hints (workshop_id, participant, question, n, text, cost, taken_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
      [wid, participant, question, n, taken.text, taken.cost, taken.takenAt],
    );
    return taken;
  });
}

/** Answers and hints of one participant, or of everyone, in the order they were given. */
export async function workshopProgress(
  db: SqlDb,
  id: string,
  participant?: string,
): Promise<{ answers: ParticipantAnswer[]; hints: ParticipantHint[] }> {
  const wid = norm(id);
  const who = participant === undefined ? "" : " AND participant = ?";
  const params = participant === undefined ? [wid] : [wid, participant];
  const answers = await db.query(
    `SELECT participant, question, answer, score, answered_at FROM workshop_answers WHERE workshop_id = ?${who} ORDER BY answered_at, participant, question`,
    params,
  );
  const hints = await db.query(
    `SELECT participant, question, n, text, cost, taken_at FROM workshop_hints WHERE workshop_id = ?${who} ORDER BY taken_at, participant, question, n`,
    params,
  );
  return {
    answers: answers.map((r) => ({
      participant: String(r.participant),
      ...StoredAnswer.parse({
        question: r.question,
        answer: readJson(r.answer),
        score: readJson(r.score),
        answeredAt: r.answered_at,
      }),
    })),
    hints: hints.map((r) => ({
      participant: String(r.participant),
      ...HintTaken.parse({
        question: r.question,
        n: Number(r.n),
        text: r.text,
        cost: Number(r.cost),
        takenAt: r.taken_at,
      }),
    })),
  };
}

/** Migration SQL of the workshop tables (the same in both dialects: times are ISO text, documents JSON text). */
export function workshopTables(json: string): string {
  return `
CREATE TABLE workshops (
  id TEXT PRIMARY KEY,
  title TEXT NOT NULL,
  scenario TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('open', 'closed')),
  created_by TEXT NOT NULL,
  created_at TEXT NOT NULL,
  closed_at TEXT,
  doc ${json} NOT NULL,
  answer_key ${json} NOT NULL
);
CREATE INDEX workshops_created ON workshops (created_at, id);

-- One answer per participant and question: the primary key makes a second answer impossible.
CREATE TABLE workshop_answers (
  workshop_id TEXT NOT NULL REFERENCES workshops (id) ON DELETE CASCADE,
  participant TEXT NOT NULL,
  question TEXT NOT NULL,
  answer ${json} NOT NULL,
  score ${json} NOT NULL,
  answered_at TEXT NOT NULL,
  PRIMARY KEY (workshop_id, participant, question)
);

CREATE TABLE workshop_hints (
  workshop_id TEXT NOT NULL REFERENCES workshops (id) ON DELETE CASCADE,
  participant TEXT NOT NULL,
  question TEXT NOT NULL,
  n INTEGER NOT NULL,
  text TEXT NOT NULL,
  cost INTEGER NOT NULL,
  taken_at TEXT NOT NULL,
  PRIMARY KEY (workshop_id, participant, question, n)
);
`;
}
