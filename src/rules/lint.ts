// `rules lint`: checks rule files and reports each problem at file:line:column. Errors are what stops a rule
// from loading or makes it wrong (YAML, schema, condition, modifiers, duplicate IDs, catalog tags naming no
// technique, a malformed tests file); warnings are what a reviewer should fix (no tests file, no level, no
// description, no id, a long title, ATT&CK tags the catalog lacks). Pure: callers read the files.
import { isDocument, LineCounter, parseAllDocuments } from "yaml";
import { z } from "zod";
import type { Catalog } from "../catalog/catalog.js";
import { TechtrailError } from "../core/errors.js";
import { type ParsedYaml, parsedDocument } from "../core/yaml.js";
import { resolveRuleTechniques } from "./resolve.js";
import { compileSigmaRules } from "./sigma.js";
import { parseTags } from "./tags.js";
import { parseRuleTests, testsFileName } from "./testing.js";

/** Titles longer than this are flagged (Sigma's convention keeps titles short enough for alert lists). */
export const MAX_TITLE_LENGTH = 110;

export const LINT_CHECKS = [
  "yaml", // the file does not parse
  "schema", // the document does not fit the Sigma rule schema, or the condition is wrong
  "unsupported", // a construct the engine refuses (modifier, logsource, correlation)
  "duplicate-id", // two documents with the same id
  "unknown-technique", // a techtrail.* tag naming no catalog technique (error), an attack.* tag the catalog lacks (warning)
  "tests-file", // the tests file does not parse or fit its schema
  "missing-tests", // no <base>.tests.yaml beside the rule
  "missing-id",
  "missing-level",
  "missing-description",
  "title-length",
] as const;
export const LintCheck = z.enum(LINT_CHECKS);

export const LintProblem = z.strictObject({
  source: z.string(),
  line: z.number().int().positive(),
  column: z.number().int().positive(),
  severity: z.enum(["error", "warning"]),
  check: LintCheck,
  message: z.string(),
});
export type LintProblem = z.infer<typeof LintProblem>;

export interface LintInput {
  files: ReadonlyArray<{ source: string; text: string }>;
  /** The text of a rule file's tests file (named by testsFileName(source)); undefined when there is none. */
  testsText(ruleSource: string): string | undefined;
  /** Resolves technique tags; without it the tags are not checked against a catalog. */
  catalog?: Catalog;
}

interface RawDoc {
  parsed: ParsedYaml;
  value: Record<string, unknown>;
}

function rawDocuments(text: string): RawDoc[] {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const list = isDocument(docs) ? [docs] : Array.isArray(docs) ? docs : [];
  if (list.some((d) => d.errors.length > 0)) return []; // the compiler reports YAML errors
  return list.flatMap((d) => {
    const parsed = parsedDocument(d, lineCounter);
    const v = parsed.value;
    return v !== null && typeof v === "object" && !Array.isArray(v)
      ? [{ parsed, value: v as Record<string, unknown> }]
      : [];
  });
}

const CODE_CHECK: Record<string, z.infer<typeof LintCheck>> = {
  PARSE: "yaml",
  VALIDATION: "schema",
  UNSUPPORTED: "unsupported",
};

export function lintRules(input: LintInput): LintProblem[] {
  const problems: LintProblem[] = [];
  const add = (
    source: string,
    pos: { line: number; column: number } | undefined,
    severity: LintProblem["severity"],
    check: LintProblem["check"],
    message: string,
  ) => problems.push({ source, line: pos?.line ?? 1, column: pos?.column ?? 1, severity, check, message });
  const ids = new Map<string, string>();

  for (const file of input.files) {
    const { errors } = compileSigmaRules([file]);
    for (const e of errors) {
      const check = CODE_CHECK[e.code] ?? "schema";
      if (e.problems.length === 0) add(file.source, undefined, "error", check, e.message);
      for (const p of e.problems)
        add(
          p.source ?? file.source,
          p.line !== undefined ? { line: p.line, column: p.column ?? 1 } : undefined,
          "error",
          check,
          p.field ? `${p.field}: ${p.message}` : p.message,
        );
    }

    const docs = rawDocuments(file.text);
    for (const { parsed, value } of docs) {
      const where = (...path: PropertyKey[]) => parsed.locate(path);
      const isCorrelation = "correlation" in value;
      const id = typeof value.id === "string" ? value.id : typeof value.name === "string" ? value.name : undefined;
      if (id === undefined) add(file.source, where(), "warning", "missing-id", "no id: give the rule a UUID `id`");
      else {
        const pos = where(typeof value.id === "string" ? "id" : "name");
        const first = ids.get(id);
        if (first !== undefined)
          add(file.source, pos, "error", "duplicate-id", `duplicate rule id ${id} (first defined at ${first})`);
        else ids.set(id, `${file.source}:${pos?.line ?? 1}`);
      }
      if (typeof value.title === "string" && value.title.length > MAX_TITLE_LENGTH)
        add(
          file.source,
          where("title"),
          "warning",
          "title-length",
          `title is ${value.title.length} characters long (at most ${MAX_TITLE_LENGTH})`,
        );
      if (value.level === undefined)
        add(file.source, where(), "warning", "missing-level", "no level: the rule is reported as medium");
      if (!isCorrelation && (typeof value.description !== "string" || value.description.trim() === ""))
        add(
          file.source,
          where(),
          "warning",
          "missing-description",
          "no description: say what the rule detects and why",
        );
      const tags = Array.isArray(value.tags) ? value.tags : [];
      if (input.catalog)
        tags.forEach((tag, i) => {
          if (typeof tag !== "string") return;
          const t = parseTags([tag]);
          if (t.problems.length > 0) return; // a compile error already
          const { unknown } = resolveRuleTechniques(t, input.catalog as Catalog);
          for (const ref of unknown) {
            const own = t.catalogRefs.includes(ref);
            add(
              file.source,
              where("tags", i),
              own ? "error" : "warning",
              "unknown-technique",
              own
                ? `tag '${tag}' names no technique of the catalog`
                : `tag '${tag}': ATT&CK technique ${ref} (and its parent) is not in the catalog`,
            );
          }
        });
    }

    if (docs.length === 0) continue;
    const testsFile = testsFileName(file.source);
    const testsText = input.testsText(file.source);
    if (testsText === undefined)
      add(file.source, undefined, "warning", "missing-tests", `no tests file ${testsFile} (match/nomatch records)`);
    else {
      try {
        parseRuleTests(testsText, testsFile);
      } catch (e) {
        if (!(e instanceof TechtrailError)) throw e;
        for (const p of e.problems.length > 0 ? e.problems : [{ message: e.message }])
          add(
            testsFile,
            "line" in p && p.line !== undefined ? { line: p.line, column: p.column ?? 1 } : undefined,
            "error",
            "tests-file",
            "field" in p && p.field ? `${p.field}: ${p.message}` : p.message,
          );
      }
    }
  }
  return problems.sort(
    (a, b) => (a.source < b.source ? -1 : a.source > b.source ? 1 : 0) || a.line - b.line || a.column - b.column,
  );
}

export const formatLintProblem = (p: LintProblem): string =>
  `${p.source}:${p.line}:${p.column}: ${p.severity} [${p.check}] ${p.message}`;
