// Runs a rule's test records (`<base>.tests.yaml` beside the rule) and reports per-rule pass/fail with the
// position of each failing record. Pure: callers read the files. One schema (RuleTestsFile, model.ts) holds
// every kind of test; each rule kind has its runner here (event rules: `match`/`nomatch` records), so a new
// kind (correlation rules with `sequences:`) adds a TestableRule variant and a runner, nothing else.
import { z } from "zod";
import { type Problem, TechtrailError } from "../core/errors.js";
import { locatedProblems, type ParsedYaml, parseYaml } from "../core/yaml.js";
import type { CompiledCorrelation } from "./correlation.js";
import { type CompiledRule, RuleTestsFile } from "./model.js";
import type { RuleIndex } from "./rule-index.js";
import { evaluateSequence } from "./sequence.js";

/** A parsed tests file with the positions of its records. */
export interface ParsedRuleTests {
  source: string;
  tests: RuleTestsFile;
  parsed: ParsedYaml;
}

/** `rule.yml` → `rule.tests.yaml` (also `.yaml` rules). */
export const testsFileName = (ruleFile: string): string => ruleFile.replace(/\.ya?ml$/i, ".tests.yaml");

/** Parses and validates a tests file; throws TechtrailError PARSE / VALIDATION with file:line:column problems. */
export function parseRuleTests(text: string, source: string): ParsedRuleTests {
  const parsed = parseYaml(text, source);
  const res = RuleTestsFile.safeParse(parsed.value ?? {});
  if (!res.success) {
    // An unknown key points at itself (zod reports it on the parent map).
    const issues = res.error.issues.flatMap((i) =>
      i.code === "unrecognized_keys"
        ? i.keys.map((k) => ({
            path: [...i.path, k],
            message: `unknown key '${k}' (a tests file holds ${Object.keys(RuleTestsFile.shape).join(", ")})`,
          }))
        : [i],
    );
    const problems = locatedProblems(parsed, issues, source);
    throw new TechtrailError("VALIDATION", `${source}: invalid rule tests file (${problems.length} problem(s))`, {
      problems,
    });
  }
  return { source, tests: res.data, parsed };
}

/** A rule together with its kind: the runner is chosen by `kind`. */
export type TestableRule =
  | { kind: "event"; rule: CompiledRule }
  /** A correlation or first_seen rule, with the whole rule set its sequences run against. */
  | {
      kind: "correlation";
      rule: CompiledCorrelation;
      rules: readonly CompiledRule[];
      correlations: readonly CompiledCorrelation[];
    };

export const RuleTestStatus = z.enum(["pass", "fail", "missing", "invalid"]);
export type RuleTestStatus = z.infer<typeof RuleTestStatus>;

/** The outcome of one rule's tests. `failures` are located in the tests file (or the rule file). */
export const RuleTestResult = z.strictObject({
  id: z.string(),
  title: z.string(),
  source: z.string(),
  testsFile: z.string(),
  status: RuleTestStatus,
  /** Records (or sequences) checked. */
  cases: z.number().int().nonnegative(),
  failures: z.array(
    z.strictObject({
      source: z.string().optional(),
      line: z.number().int().optional(),
      column: z.number().int().optional(),
      field: z.string().optional(),
      message: z.string(),
    }),
  ),
});
export type RuleTestResult = z.infer<typeof RuleTestResult>;

export interface RuleTestContext {
  /** Index over all loaded rules: a `match` record must also be offered to its rule by the eventName index. */
  index?: RuleIndex;
}

type Runner<R extends TestableRule> = (
  r: R,
  t: ParsedRuleTests,
  ctx: RuleTestContext,
) => { cases: number; failures: Problem[] };

function at(t: ParsedRuleTests, path: PropertyKey[], message: string): Problem {
  const p: Problem = { source: t.source, field: path.map(String).join("."), message };
  const pos = t.parsed.locate(path);
  if (pos) {
    p.line = pos.line;
    p.column = pos.column;
  }
  return p;
}

const runEventRule: Runner<Extract<TestableRule, { kind: "event" }>> = ({ rule }, t, ctx) => {
  const failures: Problem[] = [];
  const { match, nomatch } = t.tests;
  if (match.length === 0) failures.push(at(t, ["match"], "a rule needs at least one record it must match"));
  match.forEach((record, i) => {
    if (!rule.match(record)) failures.push(at(t, ["match", i], `match[${i}] does not match`));
    else if (ctx.index && !ctx.index.candidates(record.eventName as string | undefined).includes(rule))
      failures.push(at(t, ["match", i], `match[${i}] matches but the eventName index hides the rule`));
  });
  nomatch.forEach((record, i) => {
    if (rule.match(record)) failures.push(at(t, ["nomatch", i], `nomatch[${i}] matches`));
  });
  return { cases: match.length + nomatch.length, failures };
};

/** The correlation a sequence without `rule:` is about: the one of the file that no other one references. */
function topOfFile(r: Extract<TestableRule, { kind: "correlation" }>): string | undefined {
  const same = r.correlations.filter((c) => c.source === r.rule.source);
  const used = new Set(same.flatMap((c) => c.targets ?? []));
  return same.find((c) => !used.has(c.id))?.id;
}

const runCorrelationRule: Runner<Extract<TestableRule, { kind: "correlation" }>> = (r, t) => {
  const failures: Problem[] = [];
  const top = topOfFile(r);
  const mine = t.tests.sequences.map((s, i) => ({ s, i })).filter(({ s }) => (s.rule ?? top) === r.rule.id);
  if (mine.length === 0)
    failures.push(at(t, ["sequences"], `no sequence tests correlation ${r.rule.id} (one that fires, one near miss)`));
  else if (!mine.some(({ s }) => s.expect > 0) || !mine.some(({ s }) => s.expect === 0))
    failures.push(
      at(t, ["sequences"], `correlation ${r.rule.id} needs a sequence that fires and a near miss (expect: 0)`),
    );
  for (const { s, i } of mine) {
    const got = evaluateSequence(r.rules, r.correlations, s.records).filter((x) => x.correlation.id === r.rule.id);
    if (got.length !== s.expect)
      failures.push(
        at(t, ["sequences", i], `sequence '${s.name}': expected ${s.expect} finding(s), got ${got.length}`),
      );
  }
  return { cases: mine.length, failures };
};

const RUNNERS: { [K in TestableRule["kind"]]: Runner<Extract<TestableRule, { kind: K }>> } = {
  event: runEventRule,
  correlation: runCorrelationRule,
};

function base(r: TestableRule, testsFile: string) {
  return { id: r.rule.id, title: r.rule.title, source: r.rule.source, testsFile };
}

const plainProblem = (p: Problem): RuleTestResult["failures"][number] => {
  const out: RuleTestResult["failures"][number] = { message: p.message };
  if (p.source !== undefined) out.source = p.source;
  if (p.line !== undefined) out.line = p.line;
  if (p.column !== undefined) out.column = p.column;
  if (p.field !== undefined) out.field = p.field;
  return out;
};

/**
 * Runs one rule's tests. `tests` is the tests file's text (undefined when it does not exist); `testsFile` names
 * it in the result. Never throws for bad tests files: they give status `invalid` with the located problems.
 */
export function runRuleTests(
  r: TestableRule,
  testsFile: string,
  text: string | undefined,
  ctx: RuleTestContext = {},
): RuleTestResult {
  if (text === undefined)
    return {
      ...base(r, testsFile),
      status: "missing",
      cases: 0,
      failures: [{ source: r.rule.source, message: `no tests file ${testsFile}` }],
    };
  let parsed: ParsedRuleTests;
  try {
    parsed = parseRuleTests(text, testsFile);
  } catch (e) {
    if (!(e instanceof TechtrailError)) throw e;
    const problems = e.problems.length > 0 ? e.problems : [{ source: testsFile, message: e.message }];
    return { ...base(r, testsFile), status: "invalid", cases: 0, failures: problems.map(plainProblem) };
  }
  const runner = RUNNERS[r.kind] as Runner<TestableRule>;
  const { cases, failures } = runner(r, parsed, ctx);
  return {
    ...base(r, testsFile),
    status: failures.length === 0 ? "pass" : "fail",
    cases,
    failures: failures.map(plainProblem),
  };
}
