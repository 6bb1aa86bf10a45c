// The rule library as `techtrail rules` and the HTTP API see it: the built-in rules and user folders read and
// compiled once, each rule described (src/rules/library.ts) and testable against its `<base>.tests.yaml`
// (src/rules/testing.ts). Built-in rules are named by their path in the package (`rules/builtin/...`).
import { readFile } from "node:fs/promises";
import { relative } from "node:path";
import type { Catalog } from "../catalog/catalog.js";
import { TechtrailError } from "../core/errors.js";
import { PACKAGE_ROOT } from "../core/paths.js";
import type { CompiledCorrelation } from "../rules/correlation.js";
import {
  type CompiledRule,
  compileSigmaRules,
  describeRule,
  type LintProblem,
  lintRules,
  RuleIndex,
  type RuleInfo,
  type RuleTestResult,
  runRuleTests,
  testsFileName,
} from "../rules/index.js";
import type { RuleFile } from "./engine.js";
import type { RuleProblem } from "./model.js";
import { BUILTIN_RULES_DIR, readRuleFiles } from "./rule-files.js";

export interface RuleLibrary {
  rules: CompiledRule[];
  /** Correlation and first_seen rules (over `rules`). */
  correlations: CompiledCorrelation[];
  infos: RuleInfo[];
  /** Rule files as read (source = the name rules and problems carry). */
  files: RuleFile[];
  /** Files or documents that did not become rules. */
  errors: TechtrailError[];
  /** Files that could not be read. */
  readProblems: RuleProblem[];
  /** The path on disk of a rule source. */
  pathOf(source: string): string;
}

export interface RuleLibraryOptions {
  ruleDirs?: readonly string[];
  builtin?: boolean;
  catalog?: Catalog;
}

const root = PACKAGE_ROOT.replace(/\/$/, "");
const isBuiltinPath = (p: string) => p.startsWith(`${BUILTIN_RULES_DIR}/`);

interface LibraryFiles {
  files: RuleFile[];
  builtin: Set<string>;
  readProblems: RuleProblem[];
  pathOf(source: string): string;
}

/** Reads the rule files; built-in ones are named by their path in the package. */
async function readLibraryFiles(opts: RuleLibraryOptions): Promise<LibraryFiles> {
  const { files: read, problems } = await readRuleFiles(opts.ruleDirs ?? [], { builtin: opts.builtin !== false });
  const paths = new Map<string, string>();
  const builtin = new Set<string>();
  const files = read.map((f) => {
    if (!isBuiltinPath(f.source)) {
      paths.set(f.source, f.source);
      return f;
    }
    const source = relative(root, f.source);
    paths.set(source, f.source);
    builtin.add(source);
    return { text: f.text, source };
  });
  return { files, builtin, readProblems: problems, pathOf: (source) => paths.get(source) ?? source };
}

/** Reads and compiles the built-in rules (unless `builtin: false`) and the given folders or files. */
export async function loadRuleLibrary(opts: RuleLibraryOptions = {}): Promise<RuleLibrary> {
  const { files, builtin, readProblems, pathOf } = await readLibraryFiles(opts);
  const { rules, correlations, errors } = compileSigmaRules(files);
  const infos = [...rules, ...correlations].map((r) =>
    describeRule(r, builtin.has(r.source) ? "builtin" : "user", opts.catalog),
  );
  return { rules, correlations, infos, files, errors, readProblems, pathOf };
}

/** Lints the rule files (and their tests files); unreadable files are reported as errors at 1:1. */
export async function lintRuleLibrary(
  opts: RuleLibraryOptions = {},
): Promise<{ files: number; problems: LintProblem[] }> {
  const { files, readProblems, pathOf } = await readLibraryFiles(opts);
  const tests = new Map<string, string | undefined>();
  for (const f of files) tests.set(f.source, await readIfExists(testsFileName(pathOf(f.source))));
  const problems = lintRules({
    files,
    testsText: (source) => tests.get(source),
    ...(opts.catalog ? { catalog: opts.catalog } : {}),
  });
  const unreadable: LintProblem[] = readProblems.map((p) => ({
    source: p.source ?? "",
    line: 1,
    column: 1,
    severity: "error",
    check: "yaml",
    message: p.message,
  }));
  return { files: files.length + readProblems.length, problems: [...unreadable, ...problems] };
}

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new TechtrailError("IO", `cannot read ${path}: ${(e as Error).message}`, { cause: e });
  }
}

/** Runs every rule's tests file (or those of `only`), in the library's order. */
export async function testRuleLibrary(lib: RuleLibrary, only?: readonly CompiledRule[]): Promise<RuleTestResult[]> {
  const index = new RuleIndex(lib.rules);
  const results: RuleTestResult[] = [];
  for (const rule of only ?? lib.rules) {
    // base rules of correlations are tested through their correlation's sequences
    if (rule.correlationOnly) continue;
    const testsFile = testsFileName(rule.source);
    const text = await readIfExists(testsFileName(lib.pathOf(rule.source)));
    results.push(runRuleTests({ kind: "event", rule }, testsFile, text, { index }));
  }
  const wanted = only ? new Set(only.map((r) => r.id)) : undefined;
  for (const c of lib.correlations) {
    if (wanted && !wanted.has(c.id)) continue;
    const testsFile = testsFileName(c.source);
    const text = await readIfExists(testsFileName(lib.pathOf(c.source)));
    const t = { kind: "correlation" as const, rule: c, rules: lib.rules, correlations: lib.correlations };
    results.push(runRuleTests(t, testsFile, text, { index }));
  }
  return results;
}
