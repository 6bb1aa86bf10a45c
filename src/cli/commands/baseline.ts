// `techtrail baseline build PATHS --out FILE`: records what the first_seen rules see in earlier logs, for
// `techtrail scan --baseline FILE`.
import type { Command } from "commander";
import { isTechtrailError } from "../../core/errors.js";
import { writeFileAtomic } from "../../core/fs.js";
import { buildBaseline, loadBaseline } from "../../scan/index.js";
import { CATALOG_OPTION_HELP, hasCatalogSelection, OVERLAY_OPTION_HELP, openCatalog } from "../catalog-options.js";
import { EXIT_OK, EXIT_SCAN_ERROR } from "../exit-codes.js";
import { log } from "../output.js";

interface BaselineOpts {
  out: string;
  rules: string[];
  builtinRules: boolean;
  merge?: string;
  quiet?: boolean;
  catalog?: string;
  overlay?: string;
}

async function runBuild(paths: string[], o: BaselineOpts): Promise<number> {
  const previous = o.merge ? await loadBaseline(o.merge) : undefined;
  for (const w of previous?.warnings ?? []) log(`techtrail: warning: ${w}`);
  const built = await buildBaseline(
    paths,
    { ruleDirs: o.rules, builtinRules: o.builtinRules },
    {
      ...(previous ? { previous: previous.baseline } : {}),
      ...(hasCatalogSelection(o) ? { catalog: openCatalog(o) } : {}),
    },
  );
  writeFileAtomic(o.out, `${JSON.stringify(built.baseline)}\n`);
  if (!o.quiet)
    log(
      `techtrail: baseline ${o.out}: ${built.combinations.toLocaleString("en-US")} combination(s) for ${built.rules} first_seen rule(s) from ${built.events.toLocaleString("en-US")} events`,
    );
  return EXIT_OK;
}

export function registerBaselineCommands(program: Command): void {
  const cmd = program.command("baseline").description("history for first_seen rules");
  cmd
    .command("build")
    .description("scan earlier logs and record every combination the first_seen rules see")
    .argument("<paths...>", "CloudTrail files or folders, - for stdin")
    .requiredOption("--out <file>", "baseline file to write (JSON)")
    .option(
      "--rules <dir>",
      "extra Sigma rules folder (repeatable)",
      (v: string, acc: string[]) => [...acc, v],
      [] as string[],
    )
    .option("--no-builtin-rules", "do not load the built-in rules")
    .option("--catalog <dir>", CATALOG_OPTION_HELP)
    .option("--overlay <dir>", OVERLAY_OPTION_HELP)
    .option("--merge <file>", "start from an earlier baseline (combinations keep their earliest time)")
    .option("--quiet", "no closing statistics on stderr")
    .action(async (paths: string[], o: BaselineOpts) => {
      try {
        process.exitCode = await runBuild(paths, o);
      } catch (e) {
        if (!isTechtrailError(e)) throw e;
        process.stderr.write(`techtrail: ${e.describe()}\n`);
        process.exitCode = EXIT_SCAN_ERROR;
      }
    });
}
