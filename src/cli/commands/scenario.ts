// `techtrail scenario list|show|generate`: attack-scenario packs (scenarios/*.yaml) and the generator that plays
// them inside seeded background activity, as CloudTrail in the S3 delivery layout or JSON Lines, with an answer key.
import type { Command } from "commander";
import { TechtrailError } from "../../core/errors.js";
import { OUTPUT_FORMATS } from "../../scenarios/answer-key.js";
import { type GenerateOptions, writeScenarioCorpus, writeScenarioStream } from "../../scenarios/generate.js";
import { BUILTIN_SCENARIO_DIR, loadScenarioPacks, selectScenarioPacks } from "../../scenarios/pack.js";
import { addCatalogOptions, type CatalogCliOptions, openCatalog } from "../catalog-options.js";
import { log, out, printJson, table } from "../output.js";

/** A whole number >= min, or a refusal naming the option. */
function count(option: string, min: number): (v: string) => number {
  return (v: string) => {
    const n = Number(v);
    if (!/^-?\d+$/.test(v.trim()) || !Number.isSafeInteger(n) || n < min)
      throw new TechtrailError(
        "VALIDATION",
        `${option} expects a whole number of at least ${min}, got ${JSON.stringify(v)}`,
      );
    return n;
  };
}

interface GenerateOpts extends CatalogCliOptions {
  accounts: number;
  days: number;
  background: number;
  seed: number;
  format: string;
  out: string;
  start?: string;
  scenarioDir?: string;
  json?: boolean;
  workers?: number;
  answerKey?: string;
}

export function registerScenarioCommands(program: Command): void {
  const cmd = program
    .command("scenario")
    .description("attack-scenario packs; generate CloudTrail corpora with an answer key (list, show, generate)");
  const dirOption = ["--scenario-dir <dir>", `folder of scenario packs (default: ${BUILTIN_SCENARIO_DIR})`] as const;

  const list = cmd
    .command("list")
    .description("the scenario packs: name, steps, techniques and title")
    .option(...dirOption)
    .option("--json", "JSON output");
  addCatalogOptions(list).action((o: CatalogCliOptions & { scenarioDir?: string; json?: boolean }) => {
    const packs = [...loadScenarioPacks(openCatalog(o), o.scenarioDir).values()];
    if (o.json) {
      printJson(
        packs.map((p) => ({
          name: p.name,
          title: p.title,
          steps: p.steps.length,
          techniques: [...new Set(p.steps.map((s) => s.technique))],
        })),
      );
      return;
    }
    out(
      table(
        ["name", "steps", "techniques", "title"],
        packs.map((p) => [p.name, p.steps.length, new Set(p.steps.map((s) => s.technique)).size, p.title]),
      ),
    );
  });

  const show = cmd
    .command("show")
    .description("one scenario pack: its summary, branches and steps")
    .argument("<name>", "scenario name (see scenario list)")
    .option(...dirOption)
    .option("--json", "JSON output (the pack as loaded)");
  addCatalogOptions(show).action((name: string, o: CatalogCliOptions & { scenarioDir?: string; json?: boolean }) => {
    const [pack] = selectScenarioPacks(loadScenarioPacks(openCatalog(o), o.scenarioDir), [name]);
    if (!pack) return;
    if (o.json) {
      printJson(pack);
      return;
    }
    out(`${pack.name}: ${pack.title}`);
    out();
    out(pack.summary.trim());
    out();
    for (const b of pack.branches)
      out(`branch ${b.name}: ${b.options.map((x) => `${x.name} (weight ${x.weight})`).join(", ")}`);
    if (pack.branches.length > 0) out();
    out(
      table(
        ["#", "step", "technique", "calls", "when", "title"],
        pack.steps.map((s, i) => [
          i + 1,
          s.id,
          s.technique,
          s.visible
            ? s.calls
                .map((c) => c.api)
                .filter((a, j, all) => all.indexOf(a) === j)
                .join(" ")
            : "(not in CloudTrail)",
          s.when ?? "",
          s.title,
        ]),
      ),
    );
  });

  const generate = cmd
    .command("generate")
    .description(
      "play scenarios inside realistic background activity: CloudTrail (S3 delivery layout or JSON Lines) and answer-key.json in --out",
    )
    .argument("[names...]", "scenario names (none: background only)")
    .requiredOption("--out <dir>", "output folder, or - for JSON Lines on standard output (with --answer-key)")
    .option("--answer-key <file>", "where the answer key goes when --out is - (standard output carries the events)")
    .option("--accounts <n>", "victim accounts", count("--accounts", 1), 1)
    .option("--days <n>", "days of activity", count("--days", 1), 1)
    .option("--background <n>", "background events per day over all accounts", count("--background", 0), 10_000)
    .option("--seed <n>", "random seed: the same seed gives byte-identical output", count("--seed", 0), 1)
    .option("--format <format>", `s3 (delivery tree of .json.gz) or jsonl (events.jsonl)`, "s3")
    .option("--start <time>", "first moment, UTC on a 5-minute boundary (default 2026-11-02T00:00:00Z)")
    .option(...dirOption)
    .option(
      "--workers <n>",
      "threads rendering records, 0 for none (default: by size and cores; same output)",
      count("--workers", 0),
    )
    .option("--json", "print the result (counts and answer key) as JSON");
  addCatalogOptions(generate).action(async (names: string[], o: GenerateOpts) => {
    if (!(OUTPUT_FORMATS as readonly string[]).includes(o.format))
      throw new TechtrailError("VALIDATION", `--format expects one of ${OUTPUT_FORMATS.join(", ")}, got ${o.format}`);
    const toStdout = o.out === "-";
    if (toStdout && (o.format !== "jsonl" || o.answerKey === undefined || o.json))
      throw new TechtrailError(
        "VALIDATION",
        "--out - streams JSON Lines to standard output: it needs --format jsonl and --answer-key FILE, and no --json",
      );
    if (!toStdout && o.answerKey !== undefined)
      throw new TechtrailError(
        "VALIDATION",
        "--answer-key is for --out - (otherwise it is written to --out/answer-key.json)",
      );
    const started = performance.now();
    const options: GenerateOptions = {
      scenarios: names,
      accounts: o.accounts,
      days: o.days,
      background: o.background,
      seed: o.seed,
      format: o.format as "s3" | "jsonl",
      ...(o.start !== undefined ? { start: o.start } : {}),
      ...(o.scenarioDir !== undefined ? { scenarioDir: o.scenarioDir } : {}),
    };
    const run = { ...(o.workers !== undefined ? { workers: o.workers } : {}), ...progressOnTerminal(o.days) };
    const result = toStdout
      ? await writeScenarioStream(options, process.stdout, o.answerKey as string, openCatalog(o), run)
      : await writeScenarioCorpus(options, o.out, openCatalog(o), run);
    if (process.stderr.isTTY) process.stderr.write("\r\x1b[K");
    const seconds = (performance.now() - started) / 1000;
    if (o.json) {
      printJson({ events: result.events, scenarioEvents: result.scenarioEvents, answerKey: result.answerKey });
      return;
    }
    log(
      `techtrail: ${result.events.toLocaleString("en-US")} events (${result.scenarioEvents.toLocaleString("en-US")} from ${names.length} scenario(s)) ${toStdout ? "to standard output" : `in ${o.out}`} in ${seconds.toFixed(1)} s; answer key ${toStdout ? o.answerKey : `${o.out}/answer-key.json`}`,
    );
  });
}

/** A progress line on stderr, at most four times a second, only when stderr is a terminal. */
function progressOnTerminal(days: number): { progress?: (events: number, until: number) => void } {
  if (!process.stderr.isTTY) return {};
  let first = Number.NaN;
  let shown = 0;
  return {
    progress(events, until) {
      if (Number.isNaN(first)) first = until - 300_000;
      const now = performance.now();
      if (now - shown < 250) return;
      shown = now;
      const done = Math.min(100, ((until - first) / (days * 86_400_000)) * 100);
      process.stderr.write(
        `\rtechtrail: ${events.toLocaleString("en-US")} events, ${done.toFixed(0)} % of the corpus\x1b[K`,
      );
    },
  };
}
