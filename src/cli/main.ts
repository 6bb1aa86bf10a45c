// techtrail command-line entry: builds the commander program from one module per capability, and maps every
// TechtrailError to a clear message and an exit code (src/cli/exit-codes.ts).
// Start-up is lazy: only the module of the command being run is imported (each pulls in its own catalog,
// store, scan engine or server). `--version`, `--help` and unknown commands see light stand-ins built from
// COMMANDS, so they answer without loading any of them; main.test.ts checks the stand-ins against the real
// commands, so the two cannot drift apart.
import { readFileSync } from "node:fs";
import { Command, CommanderError, Help } from "commander";
import { isTechtrailError } from "../core/errors.js";
import { safeText } from "../core/terminal.js";
import { exitCodeFor } from "./exit-codes.js";

type Register = (program: Command) => void;

interface CommandEntry {
  /** Top-level command names the module registers. */
  names: Record<string, { term: string; description: string }>;
  load: () => Promise<Register>;
}

/** Every top-level command, in help order, with the module that registers it. */
export const COMMANDS: CommandEntry[] = [
  {
    names: { catalog: { term: "catalog [options]", description: "browse and publish the threat-technique catalog" } },
    load: async () => (await import("./commands/catalog.js")).registerCatalogCommands,
  },
  {
    names: {
      publish: {
        term: "publish [options]",
        description: "build the static website of a catalog release: matrix, pages, search, changelog, downloads",
      },
    },
    load: async () => (await import("./commands/publish.js")).registerPublishCommand,
  },
  {
    names: {
      start: {
        term: "start [options]",
        description: "start the techtrail web service (same as `serve`, with its defaults)",
      },
    },
    load: async () => (await import("./commands/start.js")).registerStartCommand,
  },
  {
    names: {
      stats: {
        term: "stats",
        description:
          "incident analytics: frequency, trend, co-occurrence, paths, actors, timing, mitigations, controls",
      },
    },
    load: async () => (await import("./commands/stats.js")).registerStatsCommand,
  },
  {
    names: {
      playbooks: {
        term: "playbooks",
        description: "incident-response playbooks: list, show, and which to write or review next",
      },
    },
    load: async () => (await import("./commands/playbooks.js")).registerPlaybooksCommand,
  },
  {
    names: {
      coverage: {
        term: "coverage [options]",
        description: "detection coverage of a monitoring profile, weighted by how often techniques occur in incidents",
      },
    },
    load: async () => (await import("./commands/coverage.js")).registerCoverageCommand,
  },
  {
    names: {
      report: {
        term: "report [options]",
        description:
          "quarterly incident-response report: frequency, trend, co-occurrence, paths, actors, timing, mitigations, playbooks, coverage",
      },
    },
    load: async () => (await import("./commands/report.js")).registerReportCommand,
  },
  {
    names: {
      scan: {
        term: "scan [options] <paths...>",
        description:
          "scan CloudTrail logs (files, folders, s3://, - for stdin) with Sigma rules, and read AWS detector findings (GuardDuty, Security Hub ASFF, Security Lake OCSF Parquet) beside them; exit 0 = no findings, 1 = findings, 2 = error, 9 = no CloudTrail event read, 10 = partial",
      },
    },
    load: async () => (await import("./commands/scan.js")).registerScanCommands,
  },
  {
    names: {
      hunt: {
        term: "hunt [options]",
        description:
          "run the rules where the logs live: Athena over the S3 trail (--athena) or CloudTrail Lake (--cloudtrail-lake); findings as from scan; exit 0 = none, 1 = findings, 2 = error, 10 = partial (a query failed)",
      },
    },
    load: async () => (await import("./commands/hunt.js")).registerHuntCommand,
  },
  {
    names: {
      rules: { term: "rules", description: "list, show, test, lint the Sigma detection rules; their coverage" },
    },
    load: async () => (await import("./commands/rules.js")).registerRulesCommands,
  },
  {
    names: {
      baseline: { term: "baseline", description: "history for first_seen rules" },
    },
    load: async () => (await import("./commands/baseline.js")).registerBaselineCommands,
  },
  {
    names: {
      incident: {
        term: "incident [options]",
        description: "the incident register: record incidents in the catalog's vocabulary",
      },
    },
    load: async () => (await import("./commands/incident.js")).registerIncidentCommands,
  },
  {
    names: {
      actor: {
        term: "actor [options]",
        description: "threat actors: names, aliases, infrastructure indicators, techniques, attributed incidents",
      },
    },
    load: async () => (await import("./commands/actor.js")).registerActorCommands,
  },
  {
    names: { demo: { term: "demo", description: "synthetic demo data" } },
    load: async () => (await import("./commands/demo.js")).registerDemoCommands,
  },
  {
    names: { serve: { term: "serve [options]", description: "run the web service and HTTP API" } },
    load: async () => (await import("./commands/serve.js")).registerServeCommand,
  },
  {
    names: {
      user: { term: "user", description: "users of the web service (viewer, responder, admin)" },
      token: { term: "token", description: "API tokens (Authorization: Bearer tt_...)" },
    },
    load: async () => (await import("./commands/user.js")).registerUserCommands,
  },
  {
    names: {
      workshop: {
        term: "workshop",
        description: "hands-on incident-response workshops: start one from a scenario pack, answer, score, debrief",
      },
    },
    load: async () => (await import("./commands/workshop.js")).registerWorkshopCommands,
  },
  {
    names: {
      scenario: {
        term: "scenario",
        description: "attack-scenario packs; generate CloudTrail corpora with an answer key (list, show, generate)",
      },
    },
    load: async () => (await import("./commands/scenario.js")).registerScenarioCommands,
  },
  // further capabilities register here (one entry each)
];

function version(): string {
  // package.json sits two levels above both src/cli/ and dist/cli/.
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
  return pkg.version;
}

function baseProgram(): Command {
  return new Command()
    .name("techtrail")
    .description("Threat-technique catalog and incident-response toolkit for AWS")
    .version(version())
    .showHelpAfterError(false)
    .exitOverride();
}

/**
 * The program with real commands: all of them (`only` undefined), or just the module that owns `only`.
 * Names no module owns get the light stand-ins, so help and "unknown command" behave as with all loaded.
 */
export async function buildProgram(only?: string): Promise<Command> {
  const program = baseProgram();
  const entries = only === undefined ? COMMANDS : COMMANDS.filter((c) => only in c.names);
  if (only !== undefined && entries.length === 0) return buildStandIns(program);
  for (const entry of entries) (await entry.load())(program);
  return program;
}

/** Name and description only, with the terms the real commands show in the command list. */
function buildStandIns(program: Command): Command {
  const terms = new Map<string, string>();
  for (const entry of COMMANDS)
    for (const [name, { term, description }] of Object.entries(entry.names)) {
      program.command(name).description(description);
      terms.set(name, term);
    }
  program.configureHelp({
    subcommandTerm: (cmd) => terms.get(cmd.name()) ?? new Help().subcommandTerm(cmd),
  });
  return program;
}

/** The command a command line runs: the first argument that is not an option (`help X` runs X's help). */
export function commandOf(args: readonly string[]): string | undefined {
  const first = args.find((a) => !a.startsWith("-"));
  if (first !== "help") return first;
  const next = args.slice(args.indexOf("help") + 1).find((a) => !a.startsWith("-"));
  return next ?? first;
}

export async function run(argv: string[]): Promise<number> {
  try {
    const name = commandOf(argv.slice(2));
    const program = await buildProgram(name ?? "");
    await program.parseAsync(argv);
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      // help/version exit with code 0; usage errors were already printed by commander.
      return e.exitCode === 0 ? 0 : 2;
    }
    if (isTechtrailError(e)) {
      process.stderr.write(`techtrail: ${safeText(e.describe())}\n`);
      return exitCodeFor(e.code);
    }
    process.stderr.write(`techtrail: unexpected error: ${safeText(e instanceof Error ? e.message : String(e))}\n`);
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
