// techtrail command-line entry: builds the commander program from one module per capability,
// and maps every TechtrailError to a clear message and an exit code (src/cli/exit-codes.ts).
import { Command, CommanderError } from "commander";
import { isTechtrailError } from "../core/errors.js";
import { registerCatalogCommands } from "./commands/catalog.js";
import { registerCoverageCommand } from "./commands/coverage.js";
import { registerDemoCommands } from "./commands/demo.js";
import { registerIncidentCommands } from "./commands/incident.js";
import { registerPlaybooksCommand } from "./commands/playbooks.js";
import { registerReportCommand } from "./commands/report.js";
import { registerRulesCommands } from "./commands/rules.js";
import { registerScanCommands } from "./commands/scan.js";
import { registerServeCommand } from "./commands/serve.js";
import { registerStartCommand } from "./commands/start.js";
import { registerStatsCommand } from "./commands/stats.js";
import { registerUserCommands } from "./commands/user.js";
import { exitCodeFor } from "./exit-codes.js";

export function buildProgram(): Command {
  const program = new Command();
  program
    .name("techtrail")
    .description("Threat-technique catalog and incident-response toolkit for AWS")
    .version("0.1.0")
    .showHelpAfterError(false)
    .exitOverride();
  registerCatalogCommands(program);
  registerStartCommand(program);
  registerStatsCommand(program);
  registerPlaybooksCommand(program);
  registerCoverageCommand(program);
  registerReportCommand(program);
  registerScanCommands(program);
  registerRulesCommands(program);
  registerIncidentCommands(program);
  registerDemoCommands(program);
  registerServeCommand(program);
  registerUserCommands(program);
  // further capabilities register here (one line each)
  return program;
}

export async function run(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      // help/version exit with code 0; usage errors were already printed by commander.
      return e.exitCode === 0 ? 0 : 2;
    }
    if (isTechtrailError(e)) {
      process.stderr.write(`techtrail: ${e.describe()}\n`);
      return exitCodeFor(e.code);
    }
    process.stderr.write(`techtrail: unexpected error: ${e instanceof Error ? e.message : String(e)}\n`);
    if (process.env.TECHTRAIL_DEBUG) process.stderr.write(`${(e as Error)?.stack ?? ""}\n`);
    return 70;
  }
}

const isMain = process.argv[1] !== undefined && /(?:main\.(?:js|ts)|techtrail(?:\.js)?)$/.test(process.argv[1]);
if (isMain) {
  // `techtrail ... | head` closes stdout early: stop quietly instead of crashing with EPIPE.
  process.stdout.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw e;
  });
  run(process.argv).then((code) => {
    process.exitCode = code;
  });
}
