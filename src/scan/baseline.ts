// Baselines for first_seen rules: `techtrail baseline build` scans earlier logs and records, per first_seen rule,
// every combination seen and when first; `scan --baseline FILE` then treats those combinations as known.
import { readFile } from "node:fs/promises";
import type { Catalog } from "../catalog/catalog.js";
import { loadBuiltinCatalog } from "../catalog/load.js";
import { TechtrailError, zodProblems } from "../core/errors.js";
import { BASELINE_FORMAT, Baseline } from "../rules/first-seen.js";
import type { ScanOptions } from "./model.js";
import { type ScanHooks, scanPaths } from "./scan.js";

/** The package version baselines are stamped with (a mismatch warns). */
export const TECHTRAIL_VERSION = "0.1.0";

export interface BaselineBuild {
  baseline: Baseline;
  events: number;
  rules: number;
  combinations: number;
}

/** Scans `paths` with the rule set and records what its first_seen rules have seen (merged into `previous`). */
export async function buildBaseline(
  paths: readonly string[],
  options: ScanOptions = {},
  hooks: ScanHooks & { previous?: Baseline } = {},
): Promise<BaselineBuild> {
  const catalog: Catalog = hooks.catalog ?? loadBuiltinCatalog();
  const result = await scanPaths(
    paths,
    { ...options, ...(hooks.previous ? { baseline: hooks.previous } : {}) },
    // only the first_seen state is read: findings are not kept
    {
      onFindings: () => undefined,
      ...hooks,
      catalog,
    },
  );
  const rules = result.baselineRules?.() ?? {};
  if (Object.keys(rules).length === 0)
    throw new TechtrailError("VALIDATION", "the rule set has no first_seen rule: nothing to build a baseline for");
  const baseline: Baseline = {
    format: BASELINE_FORMAT,
    version: 1,
    created: new Date().toISOString(),
    techtrailVersion: TECHTRAIL_VERSION,
    catalogVersion: catalog.stats().version,
    rules,
  };
  return {
    baseline,
    events: result.summary.events.read,
    rules: Object.keys(rules).length,
    combinations: Object.values(rules).reduce((n, r) => n + Object.keys(r.combos).length, 0),
  };
}

/** Reads and validates a baseline file; warns when it was built by another techtrail or catalog version. */
export async function loadBaseline(
  path: string,
  catalog: Catalog = loadBuiltinCatalog(),
): Promise<{ baseline: Baseline; warnings: string[] }> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (e) {
    throw new TechtrailError("NOT_FOUND", `cannot read baseline ${path}: ${(e as NodeJS.ErrnoException).code ?? e}`, {
      problems: [{ source: path, message: "cannot read the file" }],
    });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new TechtrailError("PARSE", `baseline ${path} is not JSON: ${(e as Error).message}`, {
      problems: [{ source: path, message: `not JSON: ${(e as Error).message}` }],
    });
  }
  const res = Baseline.safeParse(raw);
  if (!res.success)
    throw new TechtrailError(
      "VALIDATION",
      `baseline ${path} is not a techtrail baseline (format ${BASELINE_FORMAT} v1)`,
      {
        problems: zodProblems(res.error.issues, path),
      },
    );
  const warnings: string[] = [];
  const b = res.data;
  if (b.catalogVersion !== catalog.stats().version)
    warnings.push(
      `baseline ${path} was built with catalog ${b.catalogVersion}, this is ${catalog.stats().version}: rebuild it if rules changed`,
    );
  if (b.techtrailVersion !== TECHTRAIL_VERSION)
    warnings.push(`baseline ${path} was built by techtrail ${b.techtrailVersion}, this is ${TECHTRAIL_VERSION}`);
  return { baseline: b, warnings };
}
