// `techtrail demo seed`: fills the register with the deterministic synthetic data set (marked isDemo).

import type { Command } from "commander";
import { TechtrailError } from "../../core/errors.js";
import { CATALOG_OPTION_HELP, OVERLAY_OPTION_HELP } from "../catalog-options.js";
import { out, printJson } from "../output.js";
import { resolveActor, type StoreOpts, withRegister } from "./incident.js";

const whole = (v: string, name: string, min: number, max: number): number => {
  if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max)
    throw new TechtrailError("VALIDATION", `--${name} must be a whole number from ${min} to ${max}, got ${v}`);
  return Number(v);
};

export function registerDemoCommands(program: Command): void {
  const demo = program.command("demo").description("synthetic demo data");
  demo
    .command("seed")
    .description("generate a realistic synthetic incident register (2024Q1–2026Q4), clearly marked as demo data")
    .option("--incidents <n>", "number of incidents", "400")
    .option("--seed <s>", "random seed (same seed, same register)", "42")
    .option("--replace", "delete existing demo incidents first")
    .option(
      "--db <file|url>",
      "SQLite file or postgres:// URL (default: TECHTRAIL_DATABASE_URL, TECHTRAIL_DB, ./techtrail.db)",
    )
    .option("--actor <name>", "who seeds, for the audit trail")
    .option("--catalog <dir>", CATALOG_OPTION_HELP)
    .option("--overlay <dir>", OVERLAY_OPTION_HELP)
    .option("--json", "machine-readable output")
    .action(async (o: StoreOpts & { incidents: string; seed: string; replace?: boolean; json?: boolean }) => {
      const incidents = whole(o.incidents, "incidents", 1, 1_000_000);
      const seed = whole(o.seed, "seed", 0, 2 ** 32 - 1);
      await withRegister(
        o,
        async (reg) => {
          const r = await reg.seedDemo({ incidents, seed, replace: o.replace === true }, resolveActor(o));
          if (o.json)
            return printJson({
              created: r.created,
              removed: r.removed,
              alreadySeeded: r.alreadySeeded,
              first: r.keys[0],
              last: r.keys.at(-1),
            });
          if (r.alreadySeeded)
            return out(
              `the demo incidents (${incidents}, seed ${seed}) are already in ${reg.store.location}; nothing to do (--replace regenerates them)`,
            );
          out(
            `seeded ${r.created} demo incident(s)${r.removed ? ` (replaced ${r.removed})` : ""} in ${reg.store.location}; try \`techtrail incident list --demo\``,
          );
        },
        { create: true },
      );
    });
}
