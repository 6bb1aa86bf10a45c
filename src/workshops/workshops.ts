// Workshops as the CLI and the HTTP API run them: start one from a scenario pack and a seed (the generator plays
// it inside background activity; its answer key goes into the store, never beside the logs), give participants
// the logs, the questions and hints, score their answers, show the facilitator the results and everyone the
// debrief once the workshop is closed. The logs are not stored: the generator is deterministic, so the stored
// settings give the same files again whenever someone downloads them.
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { createGzip } from "node:zlib";
import type { Catalog } from "../catalog/catalog.js";
import { TechtrailError, zodProblems } from "../core/errors.js";
import { type Playbook, playbooksFor } from "../playbooks/playbooks.js";
import { matchesRuleFilter, type RuleInfo } from "../rules/library.js";
import { ANSWER_KEY_FILE, type AnswerScenario, type OutputFormat } from "../scenarios/answer-key.js";
import {
  type CorpusSink,
  type GenerateOptions,
  type GenerateResult,
  generateScenarios,
  writeScenarioCorpus,
} from "../scenarios/generate.js";
import type { Store } from "../store/store.js";
import {
  Answer,
  type Debrief,
  type HintTaken,
  ParticipantName,
  type Progress,
  QUESTION_IDS,
  type StoredAnswer,
  WorkshopId,
  WorkshopRecord,
  type WorkshopResults,
  WorkshopSettings,
  type WorkshopSettingsInput,
  type WorkshopView,
} from "./model.js";
import { expectedAnswers, hintsFor, MAX_POINTS, questionsFor, scoreAnswer } from "./scoring.js";

/** Workshop logs are small by default: a day of one account, enough background to hide the attack. */
export const WORKSHOP_DEFAULTS = { accounts: 1, days: 1, background: 5_000 } as const;

export interface StartWorkshop {
  scenario: string;
  seed: number;
  createdBy: string;
  id?: string;
  title?: string;
  accounts?: number;
  days?: number;
  background?: number;
  settings?: WorkshopSettingsInput;
  /** Scenario pack folder (default: the shipped packs). */
  scenarioDir?: string;
}

/** The generator (the real one unless a test gives another). */
export type Generator = (options: GenerateOptions, sink: CorpusSink) => Promise<GenerateResult>;

const discard: CorpusSink = { write() {} };

function generatorOptions(w: Pick<WorkshopRecord, "logs">, scenarioDir?: string): GenerateOptions {
  const { scenario, seed, accounts, days, background, start } = w.logs;
  return {
    scenarios: [scenario],
    seed,
    accounts,
    days,
    background,
    start,
    ...(scenarioDir ? { scenarioDir } : {}),
  };
}

function validation(what: string, issues: ReadonlyArray<{ path: PropertyKey[]; message: string }>): TechtrailError {
  const problems = zodProblems(issues);
  return new TechtrailError(
    "VALIDATION",
    `invalid ${what}: ${problems.map((p) => (p.field ? `${p.field}: ${p.message}` : p.message)).join("; ")}`,
    { problems },
  );
}

export function parseParticipant(name: string): string {
  const r = ParticipantName.safeParse(name);
  if (!r.success) throw validation("participant", r.error.issues);
  return r.data;
}

export function parseAnswer(input: unknown): Answer {
  const r = Answer.safeParse(input);
  if (!r.success) throw validation("answer", r.error.issues);
  return r.data;
}

/** The one scenario a workshop plays. */
export function scenarioOf(w: WorkshopRecord): AnswerScenario {
  const s = w.answerKey.scenarios[0];
  if (!s) throw new TechtrailError("INTERNAL", `workshop ${w.id} has an answer key without a scenario`);
  return s;
}

/**
 * Starts a workshop: plays the scenario with the seed (nothing is written; only the answer key is kept) and
 * stores the workshop. CONFLICT when the ID is taken; unknown scenarios are refused by the generator with the
 * list of known ones.
 */
export async function startWorkshop(
  store: Store,
  opts: StartWorkshop,
  generate: Generator = generateScenarios,
): Promise<WorkshopRecord> {
  const idIn = opts.id ?? `${opts.scenario}-${randomBytes(3).toString("hex")}`;
  const id = WorkshopId.safeParse(idIn);
  if (!id.success)
    throw validation(
      "workshop ID",
      id.error.issues.map((i) => ({ ...i, path: ["id"] })),
    );
  const settings = WorkshopSettings.safeParse(opts.settings ?? {});
  if (!settings.success) throw validation("workshop settings", settings.error.issues);
  if (await store.getWorkshop(id.data))
    throw new TechtrailError("CONFLICT", `workshop ${id.data} already exists; choose another ID`, {
      problems: [{ field: "id", message: `workshop ${id.data} already exists` }],
    });
  const logs = {
    scenario: opts.scenario,
    seed: opts.seed,
    accounts: opts.accounts ?? WORKSHOP_DEFAULTS.accounts,
    days: opts.days ?? WORKSHOP_DEFAULTS.days,
    background: opts.background ?? WORKSHOP_DEFAULTS.background,
  };
  const { scenario: name, ...size } = logs;
  const { answerKey } = await generate(
    { scenarios: [name], ...size, ...(opts.scenarioDir ? { scenarioDir: opts.scenarioDir } : {}) },
    discard,
  );
  const scenario = answerKey.scenarios[0];
  if (!scenario)
    throw new TechtrailError("INTERNAL", `the generator played no scenario for ${opts.scenario}`, {
      details: { scenario: opts.scenario },
    });
  const record = WorkshopRecord.safeParse({
    id: id.data,
    title: opts.title ?? scenario.title,
    scenarioTitle: scenario.title,
    logs: { ...logs, start: answerKey.generator.start },
    settings: settings.data,
    status: "open",
    createdBy: opts.createdBy,
    createdAt: new Date().toISOString(),
    closedAt: null,
    answerKey,
  });
  if (!record.success) throw validation("workshop", record.error.issues);
  return store.createWorkshop(record.data);
}

export async function requireWorkshop(store: Store, id: string): Promise<WorkshopRecord> {
  const w = await store.getWorkshop(id);
  if (!w)
    throw new TechtrailError(
      "NOT_FOUND",
      `no workshop ${id} in ${store.location} (techtrail workshop list shows them)`,
      {
        details: { workshop: id },
      },
    );
  return w;
}

/** What a participant sees of a workshop: no answer key, no seed. */
export async function workshopView(store: Store, w: WorkshopRecord): Promise<WorkshopView> {
  const { answers, hints } = await store.workshopProgress(w.id);
  const participants = new Set([...answers, ...hints].map((x) => x.participant)).size;
  return {
    id: w.id,
    title: w.title,
    scenario: w.logs.scenario,
    scenarioTitle: w.scenarioTitle,
    status: w.status,
    createdBy: w.createdBy,
    createdAt: w.createdAt,
    closedAt: w.closedAt,
    settings: w.settings,
    questions: questionsFor(scenarioOf(w)),
    participants,
  };
}

export async function answerQuestion(
  store: Store,
  id: string,
  participant: string,
  input: unknown,
): Promise<StoredAnswer> {
  const answer = parseAnswer(input);
  return store.answerWorkshop(id, parseParticipant(participant), answer, (w, hints) =>
    scoreAnswer(answer, scenarioOf(w), w.settings, hints),
  );
}

export async function takeHint(store: Store, id: string, participant: string, question: string): Promise<HintTaken> {
  const q = QUESTION_IDS.find((x) => x === question);
  if (!q)
    throw new TechtrailError(
      "VALIDATION",
      `unknown question "${question}"; the questions are ${QUESTION_IDS.join(", ")}`,
      {
        problems: [{ field: "question", message: `expected one of ${QUESTION_IDS.join(", ")}` }],
      },
    );
  return store.takeWorkshopHint(id, parseParticipant(participant), q, (w, n) => {
    const text = hintsFor(q, scenarioOf(w))[n - 1];
    return text === undefined ? undefined : { text, cost: w.settings.hintCost };
  });
}

function progressOf(participant: string, answers: StoredAnswer[], hints: HintTaken[]): Progress {
  const done = new Set(answers.map((a) => a.question));
  const points = Math.round(answers.reduce((n, a) => n + a.score.points, 0) * 10) / 10;
  return {
    participant,
    answers,
    hints,
    points,
    max: MAX_POINTS,
    open: QUESTION_IDS.filter((q) => !done.has(q)),
  };
}

/** One participant's answers, hints and score so far (NOT_FOUND for an unknown workshop). */
export async function participantProgress(store: Store, id: string, participant: string): Promise<Progress> {
  const w = await requireWorkshop(store, id);
  const name = parseParticipant(participant);
  const { answers, hints } = await store.workshopProgress(w.id, name);
  return progressOf(
    name,
    answers.map(({ participant: _p, ...a }) => a),
    hints.map(({ participant: _p, ...h }) => h),
  );
}

/** Every participant's progress, best first (equal points share a rank). */
export async function workshopResults(store: Store, id: string): Promise<WorkshopResults> {
  const w = await requireWorkshop(store, id);
  const { answers, hints } = await store.workshopProgress(w.id);
  const names = [...new Set([...answers, ...hints].map((x) => x.participant))];
  const all = names
    .map((p) =>
      progressOf(
        p,
        answers.filter((a) => a.participant === p).map(({ participant: _p, ...a }) => a),
        hints.filter((h) => h.participant === p).map(({ participant: _p, ...h }) => h),
      ),
    )
    .sort((a, b) => b.points - a.points || (a.participant < b.participant ? -1 : 1));
  let rank = 0;
  const participants = all.map((p, i) => {
    if (i === 0 || p.points !== all[i - 1]?.points) rank = i + 1;
    return { ...p, rank };
  });
  return { workshop: w.id, status: w.status, max: MAX_POINTS, participants };
}

/**
 * The debrief: the expected answers, and each step with its catalog technique and tactic, the rules tagged with
 * the technique and the playbooks for it.
 */
export function workshopDebrief(
  w: WorkshopRecord,
  catalog: Catalog,
  rules: readonly RuleInfo[],
  playbooks: readonly Playbook[],
): Debrief {
  const s = scenarioOf(w);
  const steps = [...s.steps].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  return {
    workshop: w.id,
    scenario: s.name,
    title: s.title,
    account: s.account,
    region: s.region,
    answers: expectedAnswers(s),
    steps: steps.map((st) => ({
      id: st.id,
      title: st.title,
      technique: { id: st.technique, name: catalog.technique(st.technique)?.name ?? null },
      tactic: { id: st.tactic, name: catalog.tactics.find((t) => t.id === st.tactic)?.name ?? null },
      start: st.start,
      end: st.end,
      cloudtrailVisible: st.cloudtrailVisible,
      eventNames: st.eventNames,
      ...(st.branch ? { branch: st.branch } : {}),
      rules: rules
        .filter((r) => matchesRuleFilter(r, { technique: st.technique }))
        .map((r) => ({ id: r.id, title: r.title, level: r.level })),
      playbooks: playbooksFor(catalog, playbooks, st.technique).map(({ playbook: p }) => ({
        id: p.id,
        title: p.title,
      })),
    })),
  };
}

/**
 * Writes a workshop's logs into `outDir` (a new or empty folder) as the S3 delivery tree or JSON Lines, without
 * the answer key: they are generated in a private folder beside it, the key removed, then moved into place.
 */
export async function writeWorkshopLogs(
  w: WorkshopRecord,
  outDir: string,
  opts: { format?: OutputFormat; scenarioDir?: string } = {},
): Promise<{ events: number; files: number }> {
  const out = resolve(outDir);
  if (existsSync(out) && (!statSync(out).isDirectory() || readdirSync(out).length > 0))
    throw new TechtrailError("CONFLICT", `${out} exists and is not an empty folder; name a new folder for the logs`, {
      problems: [{ source: out, message: "expected a new or empty folder" }],
    });
  const tmp = mkdtempSync(join(dirname(out), `.${basename(out)}-`));
  try {
    const r = await writeScenarioCorpus({ ...generatorOptions(w, opts.scenarioDir), format: opts.format ?? "s3" }, tmp);
    rmSync(join(tmp, ANSWER_KEY_FILE), { force: true });
    if (existsSync(out)) rmSync(out, { recursive: true });
    renameSync(tmp, out);
    return { events: r.events, files: countFiles(out) };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

function countFiles(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) n += e.isDirectory() ? countFiles(join(dir, e.name)) : 1;
  return n;
}

/** The logs as one gzip-compressed JSON Lines file (the download participants get from the API). */
export async function workshopLogsGzip(w: WorkshopRecord, generate: Generator = generateScenarios): Promise<Buffer> {
  const gzip = createGzip();
  const chunks: Buffer[] = [];
  gzip.on("data", (c: Buffer) => chunks.push(c));
  const done = new Promise<void>((res, rej) => {
    gzip.on("end", res);
    gzip.on("error", rej);
  });
  const write = (bytes: Uint8Array) =>
    new Promise<void>((res) => {
      if (gzip.write(bytes)) res();
      else gzip.once("drain", res);
    });
  await generate(
    { ...generatorOptions(w), format: "jsonl" },
    {
      async write(batch) {
        if (batch.count > 0) await write(Buffer.from(batch.bytes)); // a copy: the stream may hold it after write() returns
      },
    },
  );
  gzip.end();
  await done;
  return Buffer.concat(chunks);
}
