// Hands-on incident-response workshops: the data types. A facilitator starts a workshop from a scenario pack and
// a seed; participants investigate the generated logs and answer four questions, scored against the answer key
// (which stays in the store and is never part of a participant's view). Pure: no I/O.
import { z } from "zod";
import { AnswerKey } from "../scenarios/answer-key.js";

export const WORKSHOP_ID_RE = /^[a-z0-9]+(-[a-z0-9]+)*$/;
export const WorkshopId = z
  .string()
  .trim()
  .toLowerCase()
  .max(64)
  .regex(WORKSHOP_ID_RE, "expected a kebab-case workshop ID like ransomware-dec");

/** Participant names as the store keeps them (the signed-in user's name, or --participant on the CLI). */
export const ParticipantName = z
  .string()
  .trim()
  .min(1, "a participant name is required")
  .max(100)
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  .regex(/^[^\u0000-\u001f\u007f-\u009f]*$/, "a participant name must not contain control characters");

export const QUESTION_IDS = ["initial-access", "techniques", "impact", "containment"] as const;
export const QuestionId = z.enum(QUESTION_IDS);
export type QuestionId = z.infer<typeof QuestionId>;

export const WorkshopStatus = z.enum(["open", "closed"]);
export type WorkshopStatus = z.infer<typeof WorkshopStatus>;

/** Scoring knobs a facilitator may change when starting a workshop. */
export const WorkshopSettings = z.strictObject({
  /** Points one hint costs (taken off that question's score, never below zero). */
  hintCost: z.number().int().min(0).max(25).default(5),
  /** A containment time within this many minutes of the answer key's gets full marks. */
  timeToleranceMinutes: z
    .number()
    .int()
    .min(1)
    .max(24 * 60)
    .default(30),
});
export type WorkshopSettings = z.infer<typeof WorkshopSettings>;
export type WorkshopSettingsInput = z.input<typeof WorkshopSettings>;

/** How the logs were generated: enough to generate them again, byte for byte. */
export const WorkshopLogs = z.strictObject({
  scenario: z.string().min(1),
  seed: z.number().int().nonnegative(),
  accounts: z.number().int().positive(),
  days: z.number().int().positive(),
  background: z.number().int().nonnegative(),
  start: z.string(),
});
export type WorkshopLogs = z.infer<typeof WorkshopLogs>;

/** A workshop as the store keeps it, answer key included: facilitator and scoring use only. */
export const WorkshopRecord = z.strictObject({
  id: WorkshopId,
  title: z.string().trim().min(1).max(200),
  /** The scenario's own title (from the pack). */
  scenarioTitle: z.string(),
  logs: WorkshopLogs,
  settings: WorkshopSettings,
  status: WorkshopStatus,
  createdBy: z.string().min(1),
  createdAt: z.string(),
  closedAt: z.string().nullable(),
  answerKey: AnswerKey,
});
export type WorkshopRecord = z.infer<typeof WorkshopRecord>;

/** A workshop in a list: the record without its answer key, and how many people took part. */
export const WorkshopSummary = WorkshopRecord.omit({ answerKey: true }).extend({ participants: z.number().int() });
export type WorkshopSummary = z.infer<typeof WorkshopSummary>;

/** One answer, by question. */
export const Answer = z.discriminatedUnion("question", [
  z.strictObject({
    question: z.literal("initial-access"),
    /** Access key ID (AKIA.../ASIA...), or the principal ARN or user name when no key was used. */
    credential: z.string().trim().min(1).max(300),
    sourceIp: z.string().trim().min(1).max(64),
  }),
  z.strictObject({
    question: z.literal("techniques"),
    /** Catalog technique IDs, earliest first. */
    techniques: z.array(z.string().trim().min(1).max(20)).min(1).max(50),
  }),
  z.strictObject({
    question: z.literal("impact"),
    /** ARNs or names of what was deleted or encrypted; empty when nothing was. */
    resources: z.array(z.string().trim().min(1).max(1000)).max(200),
  }),
  z.strictObject({
    question: z.literal("containment"),
    /** ISO 8601 time (UTC unless it carries an offset). */
    time: z.string().trim().min(1).max(40),
  }),
]);
export type Answer = z.infer<typeof Answer>;

/** A question as participants see it. */
export const Question = z.object({
  id: QuestionId,
  title: z.string(),
  prompt: z.string(),
  /** How to write the answer (fields of Answer for this question). */
  format: z.string(),
  points: z.number().int(),
  hints: z.number().int(),
});
export type Question = z.infer<typeof Question>;

/** The score of one answered question; `explanation` never names the expected values while the workshop is open. */
export const QuestionScore = z.object({
  question: QuestionId,
  /** Points before hint penalties. */
  raw: z.number(),
  penalty: z.number(),
  points: z.number(),
  max: z.number().int(),
  explanation: z.array(z.string()),
});
export type QuestionScore = z.infer<typeof QuestionScore>;

export const HintTaken = z.object({
  question: QuestionId,
  /** 1-based. */
  n: z.number().int().positive(),
  text: z.string(),
  cost: z.number().int(),
  takenAt: z.string(),
});
export type HintTaken = z.infer<typeof HintTaken>;

export const StoredAnswer = z.object({
  question: QuestionId,
  answer: Answer,
  score: QuestionScore,
  answeredAt: z.string(),
});
export type StoredAnswer = z.infer<typeof StoredAnswer>;

/** Everything one participant did in one workshop. */
export const Progress = z.object({
  participant: z.string(),
  answers: z.array(StoredAnswer),
  hints: z.array(HintTaken),
  points: z.number(),
  max: z.number().int(),
  /** Questions not answered yet. */
  open: z.array(QuestionId),
});
export type Progress = z.infer<typeof Progress>;

/**
 * A workshop as anyone signed in may see it: no answer key, and no seed (the generator is deterministic, so the
 * seed would let anyone generate the answer key again).
 */
export const WorkshopView = z.object({
  id: z.string(),
  title: z.string(),
  scenario: z.string(),
  scenarioTitle: z.string(),
  status: WorkshopStatus,
  createdBy: z.string(),
  createdAt: z.string(),
  closedAt: z.string().nullable(),
  settings: WorkshopSettings,
  questions: z.array(Question),
  participants: z.number().int(),
});
export type WorkshopView = z.infer<typeof WorkshopView>;

/** The facilitator's table: every participant's progress, best first. */
export const WorkshopResults = z.object({
  workshop: z.string(),
  status: WorkshopStatus,
  max: z.number().int(),
  participants: z.array(Progress.extend({ rank: z.number().int() })),
});
export type WorkshopResults = z.infer<typeof WorkshopResults>;

/** One attacker step explained after the exercise: technique, rules that detect it, playbooks for it. */
export const DebriefStep = z.object({
  id: z.string(),
  title: z.string(),
  technique: z.object({ id: z.string(), name: z.string().nullable() }),
  tactic: z.object({ id: z.string(), name: z.string().nullable() }),
  start: z.string(),
  end: z.string(),
  cloudtrailVisible: z.boolean(),
  eventNames: z.array(z.string()),
  branch: z.string().optional(),
  rules: z.array(z.object({ id: z.string(), title: z.string(), level: z.string() })),
  playbooks: z.array(z.object({ id: z.string(), title: z.string() })),
});
export type DebriefStep = z.infer<typeof DebriefStep>;

export const Debrief = z.object({
  workshop: z.string(),
  scenario: z.string(),
  title: z.string(),
  account: z.string(),
  region: z.string(),
  /** The expected answer of each question, as text. */
  answers: z.array(z.object({ question: QuestionId, expected: z.array(z.string()) })),
  steps: z.array(DebriefStep),
});
export type Debrief = z.infer<typeof Debrief>;
