// `techtrail stats share` and `stats compare`: anonymised community statistics (src/community/share.ts).
// `share` writes one quarter as a k-anonymous dataset; `compare` merges shared files and sets this register
// against them. Thin: the work is in src/community.

import type { Command } from "commander";
import { buildSharedStats, compareWithCommunity, DEFAULT_K, readSharedStats } from "../../community/share.js";
import { TechtrailError } from "../../core/errors.js";
import { writeOutput } from "../../core/fs.js";
import { addStoreOption, type FilterOptions, withStore } from "../analytics-options.js";
import { CATALOG_OPTION_HELP, OVERLAY_OPTION_HELP, openCatalog } from "../catalog-options.js";
import { out, printJson, table, truncate } from "../output.js";

type Opts = Pick<FilterOptions, "db" | "demo"> & { json?: boolean; catalog?: string };

function num(v: string | undefined, field: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === "" || !Number.isFinite(n))
    throw new TechtrailError("VALIDATION", `${field} must be a number, got "${v}"`, {
      problems: [{ field, message: "expected a number" }],
    });
  return n;
}

function demoFilter(demo: string | undefined): { demo?: boolean } {
  const d = (demo ?? "include").toLowerCase();
  if (d === "only") return { demo: true };
  if (d === "exclude") return { demo: false };
  if (d !== "include")
    throw new TechtrailError("VALIDATION", `--demo must be include, only or exclude, got ${demo}`, {
      problems: [{ field: "--demo", message: "expected include, only or exclude" }],
    });
  return {};
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

export function registerShareCommands(stats: Command): void {
  const share = stats
    .command("share")
    .description("write one quarter as an anonymised, k-anonymous dataset other teams can compare with")
    .requiredOption("--quarter <yyyyQn>", "the quarter to share, e.g. 2026Q3")
    .requiredOption("--out <file>", "where to write the dataset (JSON)")
    .option("--k <n>", "smallest number of incidents a released cell may cover", String(DEFAULT_K))
    .option("--epsilon <x>", "add Laplace noise of scale 1/x to every count (smaller x, more noise)")
    .option("--seed <n>", "fixed noise seed (tests only: a fixed seed makes the noise predictable)")
    .option("--demo <mode>", "demo incidents: include (default), only or exclude", "include")
    .option("--catalog <dir>", CATALOG_OPTION_HELP)
    .option("--overlay <dir>", OVERLAY_OPTION_HELP)
    .option("--json", "machine-readable summary");
  addStoreOption(share);
  share.action(async (o: Opts & { quarter: string; out: string; k: string; epsilon?: string; seed?: string }) => {
    const catalog = openCatalog(o);
    const k = num(o.k, "--k") as number;
    const epsilon = num(o.epsilon, "--epsilon");
    const seed = num(o.seed, "--seed");
    const data = await withStore(o, (s) =>
      buildSharedStats(
        s,
        catalog,
        {
          quarter: o.quarter,
          k,
          ...(epsilon !== undefined ? { epsilon } : {}),
          ...(seed !== undefined ? { seed } : {}),
        },
        demoFilter(o.demo),
      ),
    );
    await writeOutput(o.out, `${JSON.stringify(data, null, 2)}\n`);
    const summary = {
      out: o.out,
      quarter: data.quarter,
      k: data.k,
      epsilon: data.epsilon,
      incidents: data.incidents,
      techniques: data.techniques.length,
      pairs: data.pairs.length,
      paths: data.paths.length,
      timing: data.timing.length,
      sources: data.sources.length,
    };
    if (o.json) return printJson(summary);
    if (data.incidents === 0) out(`${data.quarter} has fewer than k = ${data.k} incidents: ${o.out} carries no cells`);
    else
      out(
        `wrote ${o.out}: ${data.quarter}, ${data.incidents} incidents, k = ${data.k}${data.epsilon ? `, epsilon ${data.epsilon}` : ""}; ${summary.techniques} techniques, ${summary.pairs} pairs, ${summary.paths} paths, ${summary.timing} timing rows, ${summary.sources} sources`,
      );
  });

  const compare = stats
    .command("compare")
    .description("merge shared datasets and compare this register with the community")
    .argument("<files...>", "datasets written by `stats share`")
    .option("--min-count <n>", "incidents a technique needs on one side to be compared", "3")
    .option("--demo <mode>", "demo incidents: include (default), only or exclude", "include")
    .option("--catalog <dir>", CATALOG_OPTION_HELP)
    .option("--overlay <dir>", OVERLAY_OPTION_HELP)
    .option("--json", "machine-readable output");
  addStoreOption(compare);
  compare.action(async (files: string[], o: Opts & { minCount: string }) => {
    const catalog = openCatalog(o);
    const minCount = num(o.minCount, "--min-count") as number;
    if (!Number.isInteger(minCount) || minCount < 1)
      throw new TechtrailError("VALIDATION", `--min-count must be a positive whole number, got ${o.minCount}`, {
        problems: [{ field: "--min-count", message: "expected a positive whole number" }],
      });
    const datasets = files.map((f) => readSharedStats(f));
    const r = await withStore(o, (s) =>
      compareWithCommunity(s, catalog, datasets, { minCount, base: demoFilter(o.demo) }),
    );
    if (o.json) return printJson(r);
    out(
      `this team: ${r.local.incidents} incident(s); community: ${r.community.incidents} incident(s) in ${r.files} file(s); ${r.quarters.join(", ")}`,
    );
    const name = (n: string | null) => truncate(n ?? "(not in catalog)", 40);
    for (const verdict of ["over", "under"] as const) {
      out("");
      out(verdict === "over" ? "over-represented here:" : "under-represented here:");
      const rows = r.techniques.filter((t) => t.verdict === verdict);
      if (rows.length === 0) out("  none");
      else
        out(
          table(
            ["technique", "name", "here", "share here", "community", "community share", "ratio"],
            rows.map((t) => [
              t.id,
              name(t.name),
              t.local,
              pct(t.localShare),
              t.community,
              pct(t.communityShare),
              t.ratio === null ? "none shared" : t.ratio.toFixed(2),
            ]),
          ),
        );
    }
    out("");
    out("slower to contain here:");
    if (r.slowerToContain.length === 0) out("  none");
    else
      out(
        table(
          ["technique", "name", "median here", "community median", "incidents here"],
          r.slowerToContain.map((t) => [
            t.id,
            name(t.name),
            `${t.localMedianHours.toFixed(1)} h`,
            `${t.communityMedianHours.toFixed(1)} h`,
            t.localSamples,
          ]),
        ),
      );
  });
}
