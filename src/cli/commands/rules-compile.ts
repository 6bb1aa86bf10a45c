// `techtrail rules compile --dialect duckdb|athena|cloudtrail-lake`: the rules as SQL, one query per rule (or one
// combined query), each headed by comments naming the rule and its techniques; rules a dialect cannot express
// are listed with the construct. The work is compileRules() (src/sql/compile.ts).
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Command } from "commander";
import { formatProblem, TechtrailError } from "../../core/errors.js";
import { loadRuleLibrary } from "../../scan/rule-library.js";
import { combinedQuery, compileRules, DIALECTS, type DialectName } from "../../sql/index.js";
import { log, out, printJson } from "../output.js";

interface CompileOpts {
  dialect?: string;
  rules: string[];
  builtinRules: boolean;
  out?: string;
  combined?: boolean;
  source?: string;
  json?: boolean;
}

const collect = (v: string, acc: string[]) => [...acc, v];
/** A file name from a rule ID (IDs are UUIDs or names; anything else is replaced). */
const fileName = (id: string) => `${id.replace(/[^A-Za-z0-9._-]+/g, "_")}.sql`;

export function registerRulesCompile(rules: Command): void {
  rules
    .command("compile")
    .description("compile the rules to SQL for DuckDB, Athena (Trino) or CloudTrail Lake")
    .requiredOption("--dialect <name>", `target: ${DIALECTS.join(", ")}`)
    .option("--rules <dir>", "extra Sigma rules folder or file (repeatable)", collect, [] as string[])
    .option("--no-builtin-rules", "leave out the built-in rules")
    .option("--out <dir>", "write one <rule-id>.sql per rule (or combined.sql) here instead of stdout")
    .option("--combined", "one query for all single-event rules (UNION ALL)")
    .option(
      "--source <name>",
      "table or relation to read: DuckDB view (cloudtrail_events), Athena table (cloudtrail_logs), Lake event data store ID",
    )
    .option("--json", "machine-readable output: queries and unsupported rules")
    .action(async (o: CompileOpts) => {
      const dialect = o.dialect as DialectName;
      if (!DIALECTS.includes(dialect))
        throw new TechtrailError("VALIDATION", `unknown dialect '${o.dialect}'`, {
          problems: [{ field: "--dialect", message: `expected one of ${DIALECTS.join(", ")}` }],
        });
      const lib = await loadRuleLibrary({ ruleDirs: o.rules, builtin: o.builtinRules });
      for (const p of lib.readProblems) log(`techtrail: rule skipped: ${formatProblem(p)}`);
      for (const e of lib.errors) log(`techtrail: rule skipped: ${e.message}`);
      const result = compileRules(lib, dialect, o.source ? { source: o.source } : {});
      if (o.json && !o.out) return printJson(result);
      const combined = o.combined ? combinedQuery(result) : undefined;
      if (o.out) {
        await mkdir(o.out, { recursive: true });
        if (combined !== undefined) await writeFile(join(o.out, "combined.sql"), `${combined};\n`);
        const list = o.combined ? result.queries.filter((q) => q.kind === "correlation") : result.queries;
        for (const q of list) await writeFile(join(o.out, fileName(q.ruleId)), `${q.sql};\n`);
        const written = list.length + (combined !== undefined ? 1 : 0);
        if (o.json) printJson({ ...result, written, out: o.out });
        else log(`${written} file(s) written to ${o.out} (${result.queries.length} rule(s) compiled for ${dialect})`);
      } else {
        const parts =
          combined !== undefined
            ? [combined, ...result.queries.filter((q) => q.kind === "correlation").map((q) => q.sql)]
            : result.queries.map((q) => q.sql);
        for (const sql of parts) {
          out(`${sql};`);
          out("");
        }
      }
      if (!o.json) {
        if (result.unsupported.length > 0)
          log(`${result.unsupported.length} rule(s) not expressible in ${dialect} (they run in the JS engine):`);
        for (const u of result.unsupported) log(`  ${u.ruleId} (${u.source}): ${u.construct}`);
      }
    });
}
