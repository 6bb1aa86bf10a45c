// `techtrail coverage [--profile FILE|NAME] [--validate LOGS...] [--layer-dir DIR] [--mappings DIR]`: would our
// monitoring catch what we see most? Per-technique visible/detected/validated table (detected by rules or by
// detector finding types), frequency-weighted scores, the most frequent techniques that would go unseen, and
// Navigator layers of coverage and frequency.

import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Command } from "commander";
import { writeFileAtomic } from "../../core/fs.js";
import { computeCoverage, coverageFromStore, coverageLayers } from "../../coverage/coverage.js";
import { builtinProfileNames, DEFAULT_PROFILE, loadProfile } from "../../coverage/profile.js";
import { BUILTIN_MAPPINGS_DIR, loadDetectorMappings } from "../../detectors/mapping.js";
import { storeTarget } from "../../store/open.js";
import { addFilterOptions, type FilterOptions, filterFromOptions, withStore } from "../analytics-options.js";
import { CATALOG_OPTION_HELP, OVERLAY_OPTION_HELP, openCatalog } from "../catalog-options.js";
import { log, out, printJson, table, truncate } from "../output.js";
import { pct } from "./stats.js";

const collect = (v: string, prev: string[] = []) => [...prev, v];

export function registerCoverageCommand(program: Command): void {
  const cmd = program
    .command("coverage")
    .description("detection coverage of a monitoring profile, weighted by how often techniques occur in incidents")
    .option(
      "--profile <file|name>",
      `monitoring profile YAML, or a built-in: ${builtinProfileNames().join(", ")}`,
      DEFAULT_PROFILE,
    )
    .option(
      "--validate <path>",
      "CloudTrail logs to scan: a technique is validated when its rule fires (repeatable)",
      collect,
    )
    .option("--layer-dir <dir>", "write Navigator layers of coverage and frequency into this folder")
    .option("--mappings <dir>", "detector mapping folder to use instead of the built-in mappings/")
    .option("--all", "list every technique, not only those seen in incidents or covered")
    .option("--catalog <dir>", CATALOG_OPTION_HELP)
    .option("--overlay <dir>", OVERLAY_OPTION_HELP)
    .option("--json", "machine-readable output");
  addFilterOptions(cmd);
  cmd.action(async (_o, c: Command) => {
    const o = c.opts() as FilterOptions & {
      profile: string;
      validate?: string[];
      layerDir?: string;
      mappings?: string;
      all?: boolean;
      catalog?: string;
      json?: boolean;
    };
    const catalog = openCatalog(o);
    const profile = loadProfile(o.profile, catalog);
    const f = filterFromOptions(o);
    const mappings = loadDetectorMappings(catalog, o.mappings ?? BUILTIN_MAPPINGS_DIR);
    const covOpts = { mappings, ...(o.validate?.length ? { validateLogs: o.validate } : {}) };
    const noRegister = defaultRegisterMissing(o);
    if (noRegister) log(`techtrail: ${noRegister}`);
    const r = noRegister
      ? await computeCoverage(catalog, profile, { ...covOpts, note: noRegister })
      : await withStore(o, (s) => coverageFromStore(s, catalog, profile, f, covOpts));
    const written: string[] = [];
    if (o.layerDir) {
      const layers = coverageLayers(catalog, r);
      const files: Array<[string, unknown]> = [
        ["coverage-attack.json", layers.coverage.attack],
        ["coverage-full.json", layers.coverage.full],
        ["frequency-attack.json", layers.frequency.attack],
        ["frequency-full.json", layers.frequency.full],
      ];
      for (const [name, layer] of files) {
        const file = join(o.layerDir, name);
        writeFileAtomic(file, `${JSON.stringify(layer, null, 2)}\n`);
        written.push(file);
      }
    }
    if (o.json) return printJson(written.length ? { ...r, layers: written } : r);
    out(`coverage of "${r.profile.name}" (${r.profile.file})`);
    out(`data sources on: ${r.profile.effective.join(", ")}`);
    if (r.profile.effectiveStandards.length)
      out(`Security Hub standards on: ${r.profile.effectiveStandards.join(", ")}`);
    for (const x of r.profile.ineffective) out(`warning: ${x.id} is listed but does nothing without ${x.requires}`);
    for (const w of r.profile.warnings) out(`warning: ${w}`);
    out(
      `rules deployed: ${r.rules.deployed} (${r.rules.withTechniques} tagged with catalog techniques${r.rules.failed ? `, ${r.rules.failed} failed to load` : ""})`,
    );
    for (const d of r.detectors)
      out(
        `${d.detector}: ${d.typesOn} of ${d.typesMapped} mapped types on, detecting ${d.techniquesDetected} techniques`,
      );
    if (r.scope) out(`incidents in scope: ${r.scope.incidents}`);
    if (r.note) out(`note: ${r.note}`);
    if (r.validation)
      out(
        `validation: ${r.validation.events} events scanned from ${r.validation.logs.join(", ")}, ${r.validation.findings} findings, ${r.validation.techniquesFired.length} techniques fired`,
      );
    out("");
    const w = r.weighting === "incidents" ? "frequency-weighted" : "uniform";
    out(
      `${w} score: visible ${pct(r.scores.visible)}  detected ${pct(r.scores.detected)} (rules ${pct(r.scores.detectedByRules)}, detectors ${pct(r.scores.detectedByDetectors)})${r.scores.validated === null ? "" : `  validated ${pct(r.scores.validated)}`}`,
    );
    out(
      `share of techniques: visible ${pct(r.unweighted.visible)}  detected ${pct(r.unweighted.detected)} (rules ${pct(r.unweighted.detectedByRules)}, detectors ${pct(r.unweighted.detectedByDetectors)})${r.unweighted.validated === null ? "" : `  validated ${pct(r.unweighted.validated)}`}`,
    );
    out("");
    if (r.unseen.length)
      out(
        `most frequent techniques this monitoring would NOT see: ${r.unseen.map((t) => `${t.id} (${t.incidents})`).join(", ")}`,
      );
    if (r.undetected.length)
      out(
        `visible but not detected by a deployed rule or detector finding: ${r.undetected.map((t) => `${t.id} (${t.incidents})`).join(", ")}`,
      );
    out("");
    const rows = r.techniques
      .filter((t) => o.all || t.incidents > 0 || (r.weighting === "uniform" && t.detected))
      .sort((a, b) => b.incidents - a.incidents);
    const mark = (b: boolean | null) => (b === null ? "-" : b ? "yes" : "no");
    out(
      table(
        ["technique", "name", "incidents", "visible", "detected", "validated", "via / rules", "detector findings"],
        rows.map((t) => [
          t.id,
          truncate(t.name, 40),
          t.incidents,
          mark(t.visible),
          mark(t.detected),
          mark(t.validated),
          truncate(
            [t.visibleVia.join(","), t.rules.length ? `${t.rules.length} rule(s)` : ""].filter(Boolean).join(" | "),
            60,
          ),
          truncate(t.detectorFindings.map((x) => x.type).join(", "), 60),
        ]),
      ),
    );
    if (written.length) {
      out("");
      out(`layers written: ${written.join(", ")}`);
    }
  });
}

/**
 * Coverage needs the register only to weigh techniques by incidents. When no register is configured (no --db,
 * no environment) and the default file is absent, every technique weighs the same and the note says why; an
 * explicitly named register that is missing is still refused.
 */
function defaultRegisterMissing(o: { db?: string }): string | undefined {
  if (o.db || process.env.TECHTRAIL_DB || process.env.TECHTRAIL_DATABASE_URL) return undefined;
  const file = resolve(storeTarget().target);
  if (existsSync(file)) return undefined;
  return `no incident register at ${file}: every active technique weighs the same (pass --db to weigh by incidents)`;
}
