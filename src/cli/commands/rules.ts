// `techtrail rules list|show|test|lint|coverage`: the detection rules as objects (built-in and --rules folders). The
// library does the work (src/rules/library.ts, testing.ts, lint.ts, src/scan/rule-library.ts,
// src/coverage/api-calls.ts).

import type { Command } from "commander";
import { formatProblem, type Problem, TechtrailError } from "../../core/errors.js";
import {
  computeRuleCoverage,
  DEFAULT_DECISIONS_FILE,
  DEFAULT_FACTS_FILE,
  loadCoverageDecisions,
  loadPublicFacts,
} from "../../coverage/api-calls.js";
import {
  findRule,
  formatLintProblem,
  matchesRuleFilter,
  RuleFilter,
  type RuleInfo,
  SIGMA_LEVELS,
  sortRuleInfos,
} from "../../rules/index.js";
import { lintRuleLibrary, loadRuleLibrary, type RuleLibrary, testRuleLibrary } from "../../scan/rule-library.js";
import { CATALOG_OPTION_HELP, OVERLAY_OPTION_HELP, openCatalog } from "../catalog-options.js";
import { log, out, printJson, table, truncate } from "../output.js";
import { registerRulesCompile } from "./rules-compile.js";

interface LibraryOpts {
  rules: string[];
  builtinRules: boolean;
  catalog?: string;
  json?: boolean;
}

const collect = (v: string, acc: string[]) => [...acc, v];

function libraryOptions(cmd: Command): Command {
  return cmd
    .option("--rules <dir>", "extra Sigma rules folder or file (repeatable)", collect, [] as string[])
    .option("--no-builtin-rules", "leave out the built-in rules")
    .option("--catalog <dir>", CATALOG_OPTION_HELP)
    .option("--overlay <dir>", OVERLAY_OPTION_HELP)
    .option("--json", "machine-readable output");
}

/** Problems of rule files that did not load, as plain objects (JSON) and on stderr (text). */
function loadProblems(lib: RuleLibrary): Array<Problem & { code: string }> {
  return [
    ...lib.readProblems.map((p) => ({ ...p })),
    ...lib.errors.flatMap((e) =>
      (e.problems.length > 0 ? e.problems : [{ message: e.message }]).map((p) => ({ code: e.code, ...p })),
    ),
  ];
}

async function openLibrary(o: LibraryOpts): Promise<{ lib: RuleLibrary; problems: Array<Problem & { code: string }> }> {
  const catalog = openCatalog(o);
  const lib = await loadRuleLibrary({ ruleDirs: o.rules, builtin: o.builtinRules, catalog });
  const problems = loadProblems(lib);
  if (!o.json) for (const p of problems) log(`techtrail: rule skipped: ${formatProblem(p)}`);
  return { lib, problems };
}

function parseFilter(o: { technique?: string; level?: string; minLevel?: string; source?: string }): RuleFilter {
  const res = RuleFilter.safeParse({
    technique: o.technique,
    level: o.level,
    minLevel: o.minLevel,
    source: o.source,
  });
  if (!res.success)
    throw new TechtrailError("VALIDATION", `invalid filter: use --level/--min-level ${SIGMA_LEVELS.join("|")}`, {
      problems: res.error.issues.map((i) => ({ field: `--${String(i.path[0] ?? "")}`, message: i.message })),
    });
  return res.data;
}

function techniquesCell(r: RuleInfo): string {
  const ids = [...r.techniques, ...r.attack.filter((a) => !r.techniques.includes(a))];
  return ids.join(",") || "-";
}

function printRule(r: RuleInfo): void {
  out(`${r.id}  ${r.title}`);
  out(`  level:       ${r.level}`);
  out(`  status:      ${r.status ?? "-"}`);
  out(`  techniques:  ${r.techniques.join(", ") || "-"}`);
  out(`  ATT&CK:      ${r.attack.join(", ") || "-"}`);
  if (r.unknownTechniques.length > 0) out(`  unknown:     ${r.unknownTechniques.join(", ")} (not in the catalog)`);
  out(`  tactics:     ${r.tactics.join(", ") || "-"}`);
  out(`  source:      ${r.source} (${r.origin})`);
  if (r.correlation) {
    const c = r.correlation;
    out(`  correlation: ${c.type} over ${c.rules.join(", ")}`);
    out(`  group by:    ${c.groupBy.join(", ") || "-"}`);
    out(`  timespan:    ${c.timespanMs / 1000} s${c.generate ? " (its rules also report their own findings)" : ""}`);
  } else {
    out(`  events:      ${r.eventNames === null ? "any eventName" : r.eventNames.join(", ")}`);
    if (r.eventSources !== null) out(`  sources:     ${r.eventSources.join(", ")}`);
    if (r.correlationOnly) out("  reports:     no findings of its own (feeds correlations only)");
  }
  if (r.description) {
    out("");
    for (const line of r.description.split("\n")) out(`  ${line}`);
  }
}

export function registerRulesCommands(program: Command): void {
  const rules = program
    .command("rules")
    .description("list, show, test, lint the Sigma detection rules; their coverage");

  registerList(rules);
  registerShow(rules);
  registerTest(rules);
  registerLint(rules);
  registerCoverage(rules);
}

/** `rules list`: the rules with ID, title, level, techniques, status and source. */
function registerList(rules: Command): void {
  libraryOptions(
    rules
      .command("list")
      .description("the rules with ID, title, level, techniques, status and source")
      .option("--technique <id>", "rules for a technique (or its sub-techniques)")
      .option("--level <level>", `exactly this level (${SIGMA_LEVELS.join(", ")})`)
      .option("--min-level <level>", "this level or higher")
      .option("--source <builtin|user|path>", "built-in rules, user rules, or rules under a path"),
  ).action(async (o: LibraryOpts & { technique?: string; level?: string; minLevel?: string; source?: string }) => {
    const filter = parseFilter(o);
    const { lib, problems } = await openLibrary(o);
    const list = sortRuleInfos(lib.infos.filter((r) => matchesRuleFilter(r, filter)));
    if (o.json) return printJson({ rules: list, errors: problems });
    if (list.length === 0) return out("No rules.");
    const rows = list.map((r) => [
      r.id,
      r.kind === "correlation" ? (r.correlation?.type ?? "correlation") : "event",
      r.level,
      truncate(techniquesCell(r), 28),
      r.status ?? "-",
      truncate(r.title, 60),
      r.source,
    ]);
    out(table(["id", "kind", "level", "techniques", "status", "title", "source"], rows));
    out("");
    out(`${list.length} rule(s)${list.length !== lib.infos.length ? ` of ${lib.infos.length}` : ""}`);
  });
}

/** `rules show`: one rule: everything `list` shows, its events and description. */
function registerShow(rules: Command): void {
  libraryOptions(
    rules
      .command("show")
      .description("one rule: everything `list` shows, its events and description")
      .argument("<id|file>", "rule ID or rule file path"),
  ).action(async (key: string, o: LibraryOpts) => {
    const { lib } = await openLibrary(o);
    const r = findRule(lib.infos, key);
    if (!r)
      throw new TechtrailError("NOT_FOUND", `no rule ${key}`, {
        problems: [{ message: "give a rule ID or file path; `techtrail rules list` shows them" }],
      });
    if (o.json) return printJson(r);
    printRule(r);
  });
}

/** `rules test`: run every rule's <rule>.tests.yaml records; exit 1 when any rule fails. */
function registerTest(rules: Command): void {
  libraryOptions(
    rules
      .command("test")
      .description("run every rule's <rule>.tests.yaml records; exit 1 when any rule fails")
      .argument("[ids...]", "only these rules (IDs or file paths)")
      .option("--failed", "print only the rules that do not pass"),
  ).action(async (ids: string[], o: LibraryOpts & { failed?: boolean }) => {
    const { lib, problems } = await openLibrary(o);
    let only = lib.rules;
    if (ids.length > 0) {
      only = ids.map((key) => {
        const r = findRule(lib.rules, key);
        if (!r) throw new TechtrailError("NOT_FOUND", `no rule ${key}`);
        return r;
      });
    }
    const results = await testRuleLibrary(lib, only);
    const failed = results.filter((r) => r.status !== "pass");
    process.exitCode = failed.length > 0 || problems.length > 0 ? 1 : 0;
    if (o.json) {
      printJson({
        passed: results.length - failed.length,
        failed: failed.length,
        results,
        errors: problems,
      });
      return;
    }
    for (const r of o.failed ? failed : results) {
      out(`${r.status.toUpperCase().padEnd(7)} ${r.id}  ${truncate(r.title, 60)}  (${r.cases} record(s))`);
      for (const f of r.failures) out(`        ${formatProblem(f)}`);
    }
    out(
      `${results.length - failed.length} passed, ${failed.length} failed${problems.length > 0 ? `, ${problems.length} rule file problem(s)` : ""}`,
    );
  });
}

/** `rules lint`: check rule files and their tests files; problems as file:line:column; exit 1 on errors. */
function registerLint(rules: Command): void {
  libraryOptions(
    rules
      .command("lint")
      .description("check rule files and their tests files; problems as file:line:column; exit 1 on errors")
      .argument("[paths...]", "rule files or folders to lint instead of the built-in rules")
      .option("--strict", "warnings fail too"),
  ).action(async (paths: string[], o: LibraryOpts & { strict?: boolean }) => {
    const catalog = openCatalog(o);
    const r = await lintRuleLibrary({
      ruleDirs: [...paths, ...o.rules],
      builtin: o.builtinRules && paths.length === 0,
      catalog,
    });
    const errors = r.problems.filter((p) => p.severity === "error").length;
    const warnings = r.problems.length - errors;
    process.exitCode = errors > 0 || (o.strict && warnings > 0) ? 1 : 0;
    if (o.json) return printJson({ files: r.files, errors, warnings, problems: r.problems });
    for (const p of r.problems) out(formatLintProblem(p));
    out(`${r.files} file(s): ${errors} error(s), ${warnings} warning(s)`);
  });
}

/** `rules coverage`: API calls of published detections covered by a rule or not; techniques with and without rules. */
function registerCoverage(rules: Command): void {
  libraryOptions(
    rules
      .command("coverage")
      .description(
        "API calls of published detections covered by a rule, decided not covered, or undecided; techniques with and without rules",
      )
      .option("--facts <file>", "public detection facts (JSON Lines)", DEFAULT_FACTS_FILE)
      .option("--decisions <file>", "reviewed not-covered decisions", DEFAULT_DECISIONS_FILE)
      .option("--check", "exit 1 when a call is undecided or the decisions file has errors"),
  ).action(async (o: LibraryOpts & { facts: string; decisions: string; check?: boolean }) => {
    const facts = loadPublicFacts(o.facts);
    const decisions = loadCoverageDecisions(o.decisions);
    const catalog = openCatalog(o);
    const { lib } = await openLibrary(o);
    const r = computeRuleCoverage({
      facts,
      factsFile: o.facts,
      decisions,
      decisionsFile: o.decisions,
      rules: lib.rules,
      correlations: lib.correlations,
      catalog,
    });
    const errors = r.decisions.problems.filter((p) => p.severity === "error").length;
    process.exitCode = o.check && (r.undecided.count > 0 || errors > 0) ? 1 : 0;
    if (o.json) return printJson(r);
    for (const p of r.decisions.problems)
      log(
        `techtrail: ${formatProblem({ source: p.source, ...(p.line ? { line: p.line } : {}), message: `${p.severity}: ${p.message}` })}`,
      );
    out(`API calls named by ${r.facts.detections} published detections (${r.facts.file})`);
    out(
      table(
        ["", "count"],
        [
          ["API calls", r.apiCalls.count],
          ["covered by a rule", r.covered.count],
          ["decided not covered", r.decidedNotCovered.count],
          ["undecided", r.undecided.count],
          ["techniques with rules", r.techniquesWithRules.count],
          ["techniques without rules", r.techniquesWithoutRules.count],
        ],
      ),
    );
    if (r.undecided.count > 0) {
      out("");
      out("undecided (write a rule, or add a decision to the decisions file):");
      out(
        table(
          ["eventSource", "eventName", "published detections"],
          r.undecided.calls.map((c) => [
            c.eventSource ??
              `? ${(c.candidateSources ?? []).join("|").replace(/\.amazonaws\.com/g, "") || "(unknown source)"}`,
            c.eventName,
            truncate(c.detections.join("; "), 80),
          ]),
        ),
      );
    }
  });

  registerRulesCompile(rules);
}
