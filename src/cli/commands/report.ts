// `techtrail report [--quarter 2026Q3 | --from --to] --format md|html|json [--out FILE]`: the quarterly
// incident-response report (analytics, playbook priorities, detection coverage) as one file.

import { basename } from "node:path";
import type { Command } from "commander";
import { BUILTIN_CATALOG_DIR } from "../../catalog/load.js";
import { readSharedStats } from "../../community/share.js";
import { loadControlsInventory, loadMitigationEffects } from "../../controls/load.js";
import { TechtrailError } from "../../core/errors.js";
import { writeOutput } from "../../core/fs.js";
import { DEFAULT_PROFILE, loadProfile } from "../../coverage/profile.js";
import { loadPlaybooks } from "../../playbooks/playbooks.js";
import { teamControls } from "../../register/register.js";
import { findChromium, htmlToPdf } from "../../report/pdf.js";
import { renderHtml, renderReport } from "../../report/render.js";
import { buildReport } from "../../report/report.js";
import { addFilterOptions, type FilterOptions, filterFromOptions, withStore } from "../analytics-options.js";
import { CATALOG_OPTION_HELP, catalogSelection, OVERLAY_OPTION_HELP, openCatalog } from "../catalog-options.js";
import { log } from "../output.js";

const collect = (v: string, prev: string[] = []) => [...prev, v];

export function registerReportCommand(program: Command): void {
  const cmd = program
    .command("report")
    .description(
      "quarterly incident-response report: frequency, trend, co-occurrence, paths, actors, timing, mitigations, playbooks, coverage",
    )
    .option("--format <fmt>", "md, html, pdf (printed by headless Chromium) or json", "md")
    .option("--out <file>", "write to this file instead of stdout")
    .option("--title <text>", "report title")
    .option("--profile <file|name>", "monitoring profile for the coverage section", DEFAULT_PROFILE)
    .option("--no-coverage", "leave out the coverage section")
    .option("--playbooks <dir>", "extra playbook folder (repeatable)", collect)
    .option(
      "--community <file>",
      "shared community dataset written by `stats share` (repeatable): adds the team-vs-community section",
      collect,
    )
    .option("--community-min-count <n>", "incidents a technique needs on one side to be compared", "3")
    .option("--catalog <dir>", CATALOG_OPTION_HELP)
    .option("--overlay <dir>", OVERLAY_OPTION_HELP)
    .option(
      "--controls <file>",
      "the team's deployed-controls inventory (controls.yaml) for the controls analysis (default: the one kept in the register, if any)",
    )
    .option("--json", "same as --format json");
  addFilterOptions(cmd);
  cmd.action(async (_o, c: Command) => {
    const o = c.opts() as FilterOptions & {
      format: string;
      out?: string;
      title?: string;
      profile: string;
      coverage: boolean;
      playbooks?: string[];
      community?: string[];
      communityMinCount: string;
      catalog?: string;
      controls?: string;
      json?: boolean;
    };
    const format = o.json ? "json" : o.format.toLowerCase();
    if (format !== "md" && format !== "html" && format !== "json" && format !== "pdf")
      throw new TechtrailError("VALIDATION", `--format must be md, html, pdf or json, got ${o.format}`, {
        problems: [{ field: "--format", message: "expected md, html, pdf or json" }],
      });
    if (format === "pdf" && !o.out && process.stdout.isTTY)
      throw new TechtrailError(
        "VALIDATION",
        "--format pdf writes a binary file: give --out FILE (or redirect stdout)",
        {
          problems: [{ field: "--out", message: "required for pdf on a terminal" }],
        },
      );
    // Fail before the analyses when PDF output cannot be printed.
    const chromium = format === "pdf" ? findChromium() : undefined;
    const catalog = openCatalog(o);
    // Dates are the report period; the other filters narrow the incidents.
    const {
      from: _f,
      to: _t,
      ...filter
    } = filterFromOptions({ ...o, quarter: undefined, from: undefined, to: undefined });
    const playbooks = loadPlaybooks(catalog, { dirs: o.playbooks ?? [] }).playbooks;
    const profile = o.coverage ? loadProfile(o.profile, catalog) : undefined;
    const rules = loadMitigationEffects(catalog, catalogSelection(o).catalogDir ?? BUILTIN_CATALOG_DIR);
    // Check a --controls file before the analyses; without one, the register's kept controls.yaml (read below).
    if (o.controls) loadControlsInventory(o.controls, catalog);
    const communityMinCount = Number(o.communityMinCount);
    if (!Number.isInteger(communityMinCount) || communityMinCount < 1)
      throw new TechtrailError(
        "VALIDATION",
        `--community-min-count must be a positive whole number, got ${o.communityMinCount}`,
        { problems: [{ field: "--community-min-count", message: "expected a positive whole number" }] },
      );
    // Read and check every dataset before the analyses: a bad file fails fast, naming it.
    const community = (o.community ?? []).map((file) => ({ file: basename(file), stats: readSharedStats(file) }));
    const report = await withStore(o, async (s) => {
      const team = await teamControls(s, catalog, o.controls ? { path: o.controls } : undefined);
      const controls = { rules, ...(team ? { inventory: team.inventory, source: team.source } : {}) };
      return buildReport(s, catalog, {
        ...(o.quarter ? { quarter: o.quarter } : {}),
        ...(o.from ? { from: o.from } : {}),
        ...(o.to ? { to: filterFromOptions({ to: o.to }).to as string } : {}),
        filter,
        playbooks,
        controls,
        ...(profile ? { profile } : {}),
        ...(o.title ? { title: o.title } : {}),
        ...(community.length ? { community, communityMinCount } : {}),
      });
    });
    if (report.empty) log(report.note ?? `no incidents in ${report.period.label}`);
    const text =
      format === "pdf"
        ? await htmlToPdf(renderHtml(report, catalog), chromium ? { chromium } : {})
        : renderReport(report, catalog, format);
    if (o.out) {
      await writeOutput(o.out, text);
      log(`report for ${report.period.label} (${report.summary.incidents} incidents) written to ${o.out}`);
    } else process.stdout.write(text);
  });
}
