// `techtrail workshop list|start|logs|show|hint|answer|score|debrief|close`: hands-on incident-response workshops
// (src/workshops). The facilitator starts one from a scenario pack and a seed and hands out the logs; each
// participant answers the questions once, may take hints that cost points, and sees their score; the facilitator
// sees everyone's, and the debrief once the exercise is over.
import { readdirSync, readFileSync, rmSync } from "node:fs";
import { userInfo } from "node:os";
import { join, relative } from "node:path";
import type { Command } from "commander";
import { TechtrailError } from "../../core/errors.js";
import { writeOutput } from "../../core/fs.js";
import { loadPlaybooks } from "../../playbooks/playbooks.js";
import { tarGz } from "../../publish/tar.js";
import { loadRuleLibrary } from "../../scan/rule-library.js";
import { OutputFormat } from "../../scenarios/answer-key.js";
import { openStore } from "../../store/open.js";
import type { Store } from "../../store/store.js";
import { QUESTION_IDS, type QuestionId, type StoredAnswer, type WorkshopRecord } from "../../workshops/model.js";
import { QUESTIONS } from "../../workshops/scoring.js";
import {
  answerQuestion,
  participantProgress,
  requireWorkshop,
  startWorkshop,
  takeHint,
  WORKSHOP_DEFAULTS,
  workshopDebrief,
  workshopResults,
  workshopView,
  writeWorkshopLogs,
} from "../../workshops/workshops.js";
import { addStoreOption, withStore } from "../analytics-options.js";
import { log, out, printJson, table } from "../output.js";
import { openCatalog } from "./catalog.js";

interface Common {
  db?: string;
  json?: boolean;
}

function integer(v: string | undefined, name: string, min: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!/^-?\d+$/.test(v.trim()) || n < min)
    throw new TechtrailError("VALIDATION", `${name} must be a whole number of at least ${min}, got "${v}"`, {
      problems: [{ field: name, message: `expected a whole number ≥ ${min}` }],
    });
  return n;
}

function format(v: string | undefined): "s3" | "jsonl" {
  const r = OutputFormat.safeParse(v ?? "s3");
  if (!r.success)
    throw new TechtrailError("VALIDATION", `--format must be s3 or jsonl, got "${v}"`, {
      problems: [{ field: "--format", message: "expected s3 (the S3 delivery tree) or jsonl" }],
    });
  return r.data;
}

/** Opens the store for a change (a new SQLite file is created for a new workshop). */
async function withWritableStore<T>(o: { db?: string }, fn: (s: Store) => Promise<T>): Promise<T> {
  const store = await openStore(o.db ? { db: o.db } : {});
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

/** Writes the logs folder and, when asked, a .tar.gz of it. */
async function handOut(w: WorkshopRecord, o: { out?: string; format?: string; archive?: string }): Promise<void> {
  if (!o.out && !o.archive) return;
  const outDir = o.out ?? `${o.archive}.d`;
  const r = await writeWorkshopLogs(w, outDir, { format: format(o.format) });
  if (o.out) log(`logs: ${r.events} events in ${r.files} file(s) under ${outDir} (no answer key)`);
  if (o.archive) {
    const mtime = Math.floor(Date.parse(w.logs.start) / 1000);
    const entries = filesUnder(outDir).map((f) => ({
      name: `${w.id}/${relative(outDir, f).split("\\").join("/")}`,
      data: readFileSync(f),
    }));
    await writeOutput(o.archive, tarGz(entries, mtime));
    log(`archive: ${o.archive} (${entries.length} file(s))`);
    if (!o.out) rmSync(outDir, { recursive: true, force: true });
  }
}

/** An answer from the command line's values, by question. */
export function answerFromArgs(question: string, values: string[]): Record<string, unknown> {
  const q = QUESTION_IDS.find((x) => x === question);
  if (!q)
    throw new TechtrailError(
      "VALIDATION",
      `unknown question "${question}"; the questions are ${QUESTION_IDS.join(", ")}`,
      {
        problems: [{ field: "question", message: `expected one of ${QUESTION_IDS.join(", ")}` }],
      },
    );
  const items = values
    .flatMap((v) => v.split(","))
    .map((v) => v.trim())
    .filter(Boolean);
  const need = (n: number, what: string) => {
    if (items.length !== n)
      throw new TechtrailError("VALIDATION", `"${q}" takes ${what}; got ${items.length} value(s)`, {
        problems: [{ field: q, message: QUESTIONS[q].format }],
      });
  };
  switch (q) {
    case "initial-access":
      need(2, "two values: CREDENTIAL SOURCE_IP");
      return { question: q, credential: items[0], sourceIp: items[1] };
    case "techniques":
      return { question: q, techniques: items };
    case "impact":
      return { question: q, resources: items };
    case "containment":
      need(1, "one value: TIME (ISO 8601, UTC)");
      return { question: q, time: items[0] };
  }
}

function printScore(a: StoredAnswer): void {
  out(`${QUESTIONS[a.question].title}: ${a.score.points} of ${a.score.max} point(s)`);
  for (const line of a.score.explanation) out(`  ${line}`);
}

export function registerWorkshopCommands(program: Command): void {
  const ws = program
    .command("workshop")
    .description("hands-on incident-response workshops: start one from a scenario pack, answer, score, debrief");
  const common = (c: Command) => addStoreOption(c).option("--json", "machine-readable output");

  common(ws.command("list").description("workshops in the store, newest first")).action(async (_o, cmd: Command) => {
    const o = cmd.opts() as Common;
    const list = await withStore(o, (s) => s.listWorkshops());
    if (o.json) return printJson(list);
    if (list.length === 0) return out("no workshops (techtrail workshop start SCENARIO --seed N starts one)");
    out(
      table(
        ["id", "title", "scenario", "status", "participants", "facilitator", "started"],
        list.map((w) => [
          w.id,
          w.title,
          w.logs.scenario,
          w.status,
          w.participants,
          w.createdBy,
          w.createdAt.slice(0, 16),
        ]),
      ),
    );
  });

  common(
    ws
      .command("start <scenario>")
      .description("start a workshop: play the scenario with a seed, keep its answer key in the store, write the logs")
      .requiredOption("--seed <n>", "generator seed (keep it private: it reproduces the answer key)")
      .option("--id <id>", "workshop ID (kebab-case; default: the scenario and a random suffix)")
      .option("--title <text>", "title participants see (default: the scenario's)")
      .option("--accounts <n>", "AWS accounts in the logs", String(WORKSHOP_DEFAULTS.accounts))
      .option("--days <n>", "days of logs", String(WORKSHOP_DEFAULTS.days))
      .option("--background <n>", "benign background events per day", String(WORKSHOP_DEFAULTS.background))
      .option("--hint-cost <points>", "points each hint costs", "5")
      .option("--tolerance <minutes>", "containment times within this many minutes score full marks", "30")
      .option("--facilitator <name>", "who runs it (sees everyone's results); default: the OS user")
      .option("--out <dir>", "write the logs into this new folder, scan-ready")
      .option("--format <s3|jsonl>", "logs as the S3 delivery tree (default) or JSON Lines", "s3")
      .option("--archive <file.tar.gz>", "also write the logs as a .tar.gz to hand out"),
  ).action(async (scenario: string, _o, cmd: Command) => {
    const o = cmd.opts() as Common & {
      [k: string]: string | undefined;
      out?: string;
      format?: string;
      archive?: string;
    };
    format(o.format);
    const w = await withWritableStore(o, (s) =>
      startWorkshop(s, {
        scenario,
        seed: integer(o.seed, "--seed", 0) ?? 0,
        createdBy: o.facilitator ?? userInfo().username,
        ...(o.id ? { id: o.id } : {}),
        ...(o.title ? { title: o.title } : {}),
        accounts: integer(o.accounts, "--accounts", 1) ?? WORKSHOP_DEFAULTS.accounts,
        days: integer(o.days, "--days", 1) ?? WORKSHOP_DEFAULTS.days,
        background: integer(o.background, "--background", 0) ?? WORKSHOP_DEFAULTS.background,
        settings: {
          hintCost: integer(o.hintCost, "--hint-cost", 0) ?? 5,
          timeToleranceMinutes: integer(o.tolerance, "--tolerance", 1) ?? 30,
        },
      }),
    );
    await handOut(w, o);
    if (o.json) return printJson({ id: w.id, title: w.title, scenario: w.logs.scenario, status: w.status });
    out(`workshop ${w.id} started: ${w.title}`);
    out(
      `participants: techtrail workshop show ${w.id}, then techtrail workshop answer ${w.id} QUESTION ... --participant NAME`,
    );
  });

  common(
    ws
      .command("logs <id>")
      .description("write a workshop's logs again (the same files: the generator is deterministic), without the key")
      .option("--out <dir>", "a new folder for the logs")
      .option("--format <s3|jsonl>", "the S3 delivery tree (default) or JSON Lines", "s3")
      .option("--archive <file.tar.gz>", "a .tar.gz of the logs"),
  ).action(async (id: string, _o, cmd: Command) => {
    const o = cmd.opts() as Common & { out?: string; format?: string; archive?: string };
    if (!o.out && !o.archive)
      throw new TechtrailError("VALIDATION", "name where the logs go: --out DIR and/or --archive FILE.tar.gz", {
        problems: [{ field: "--out", message: "required unless --archive is given" }],
      });
    const w = await withStore(o, (s) => requireWorkshop(s, id));
    await handOut(w, o);
  });

  common(ws.command("show <id>").description("a workshop's questions, as participants see them")).action(
    async (id: string, _o, cmd: Command) => {
      const o = cmd.opts() as Common;
      const view = await withStore(o, async (s) => workshopView(s, await requireWorkshop(s, id)));
      if (o.json) return printJson(view);
      out(`${view.title}  [${view.id}, ${view.status}, ${view.participants} participant(s)]`);
      out(
        `each hint costs ${view.settings.hintCost} point(s); containment tolerance ${view.settings.timeToleranceMinutes} min`,
      );
      for (const q of view.questions) {
        out("");
        out(`${q.id} (${q.points} points, ${q.hints} hint(s)): ${q.prompt}`);
        out(`  answer with: ${q.format}`);
      }
    },
  );

  const participantOpt = (c: Command) => c.requiredOption("--participant <name>", "who is answering");

  common(
    participantOpt(ws.command("hint <id> <question>").description("take the next hint of a question (costs points)")),
  ).action(async (id: string, question: string, _o, cmd: Command) => {
    const o = cmd.opts() as Common & { participant: string };
    const h = await withStore(o, (s) => takeHint(s, id, o.participant, question));
    if (o.json) return printJson(h);
    out(`hint ${h.n} for ${question} (−${h.cost} point(s) on this question): ${h.text}`);
  });

  common(
    participantOpt(
      ws
        .command("answer <id> <question> <values...>")
        .description(
          "answer a question once: initial-access CREDENTIAL IP | techniques ID... | impact RESOURCE...|none | containment TIME",
        ),
    ),
  ).action(async (id: string, question: string, values: string[], _o, cmd: Command) => {
    const o = cmd.opts() as Common & { participant: string };
    const answer = answerFromArgs(question, values);
    const a = await withStore(o, (s) => answerQuestion(s, id, o.participant, answer));
    if (o.json) return printJson(a);
    printScore(a);
  });

  common(
    ws
      .command("score <id>")
      .description("a participant's score (--participant), or everyone's results (the facilitator's view)")
      .option("--participant <name>", "only this participant"),
  ).action(async (id: string, _o, cmd: Command) => {
    const o = cmd.opts() as Common & { participant?: string };
    if (o.participant) {
      const participant = o.participant;
      const p = await withStore(o, (s) => participantProgress(s, id, participant));
      if (o.json) return printJson(p);
      out(
        `${p.participant}: ${p.points} of ${p.max} point(s)${p.open.length ? `; still open: ${p.open.join(", ")}` : ""}`,
      );
      for (const a of p.answers) printScore(a);
      return;
    }
    const r = await withStore(o, (s) => workshopResults(s, id));
    if (o.json) return printJson(r);
    if (r.participants.length === 0) return out(`workshop ${r.workshop}: nobody has answered yet`);
    const cell = (p: (typeof r.participants)[number], q: QuestionId) => {
      const a = p.answers.find((x) => x.question === q);
      return a ? String(a.score.points) : "-";
    };
    out(
      table(
        ["#", "participant", "points", ...QUESTION_IDS, "hints"],
        r.participants.map((p) => [
          p.rank,
          p.participant,
          `${p.points}/${r.max}`,
          ...QUESTION_IDS.map((q) => cell(p, q)),
          p.hints.length,
        ]),
      ),
    );
  });

  common(
    ws
      .command("debrief <id>")
      .description("each step with its technique, detection rules and playbooks; the expected answers"),
  ).action(async (id: string, _o, cmd: Command) => {
    const o = cmd.opts() as Common;
    const w = await withStore(o, (s) => requireWorkshop(s, id));
    const catalog = openCatalog({});
    const rules = (await loadRuleLibrary({ catalog })).infos;
    const d = workshopDebrief(w, catalog, rules, loadPlaybooks(catalog).playbooks);
    if (o.json) return printJson(d);
    out(`${d.title} (${d.scenario}) in account ${d.account}, ${d.region}`);
    out("");
    for (const a of d.answers) out(`${QUESTIONS[a.question].title}: ${a.expected.join("; ")}`);
    for (const [i, s] of d.steps.entries()) {
      out("");
      out(`${i + 1}. ${s.title}  [${s.start} – ${s.end}]${s.cloudtrailVisible ? "" : " (not in CloudTrail)"}`);
      out(
        `   technique ${s.technique.id} ${s.technique.name ?? "(not in catalog)"}; tactic ${s.tactic.id} ${s.tactic.name ?? ""}`,
      );
      out(`   events: ${s.eventNames.join(", ") || "none"}`);
      out(`   rules: ${s.rules.map((r) => `${r.title} (${r.level})`).join("; ") || "none"}`);
      out(`   playbooks: ${s.playbooks.map((p) => p.id).join(", ") || "none"}`);
    }
  });

  common(
    ws.command("close <id>").description("end a workshop: no more answers or hints; the debrief opens to everyone"),
  ).action(async (id: string, _o, cmd: Command) => {
    const o = cmd.opts() as Common;
    const w = await withStore(o, (s) => s.closeWorkshop(id));
    if (o.json) return printJson({ id: w.id, status: w.status, closedAt: w.closedAt });
    out(`workshop ${w.id} closed at ${w.closedAt}`);
  });
}
