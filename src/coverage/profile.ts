// Monitoring profiles: which log and detection sources (IDs from catalog/data-sources.yaml) are switched
// on, which Security Hub standards are enabled and which rule folders are deployed. Read from YAML with
// positions, checked against the catalog; a source whose umbrella (`requires`) is off is reported and
// treated as off, and so is a Security Hub standard without the security-hub source.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { basename, dirname, isAbsolute, join, resolve } from "node:path";
import { z } from "zod";
import type { Catalog } from "../catalog/catalog.js";
import { type Problem, TechtrailError } from "../core/errors.js";
import { packagePath } from "../core/paths.js";
import { locatedProblems, parseYaml } from "../core/yaml.js";

export const BUILTIN_PROFILES_DIR = packagePath("profiles");
/** The profile `coverage`, `report` and the web UI use when none is named: CloudTrail plus GuardDuty. */
export const DEFAULT_PROFILE = "cloudtrail-guardduty";
/** The word used in a profile's `rules` list for the rules shipped in rules/builtin. */
export const BUILTIN_RULES = "builtin";

/**
 * Security Hub standards a profile can enable (the IDs in Security Hub's standards ARNs). Only
 * aws-foundational-security-best-practices has a reviewed mapping (mappings/security-hub.yaml); the others
 * are accepted so that a profile can say what is on, and count for nothing.
 */
export const SecurityHubStandard = z.enum([
  "aws-foundational-security-best-practices",
  "cis-aws-foundations-benchmark",
  "nist-800-53",
  "pci-dss",
  "aws-resource-tagging-standard",
]);
export type SecurityHubStandard = z.infer<typeof SecurityHubStandard>;
/** The standard whose controls mappings/security-hub.yaml maps. */
export const MAPPED_STANDARD: SecurityHubStandard = "aws-foundational-security-best-practices";

export const MonitoringProfileDoc = z.strictObject({
  name: z.string().trim().min(1, "name is required"),
  description: z.string().default(""),
  /** Data source IDs that are on (GuardDuty protection plans and Macie are data sources too). */
  dataSources: z.array(z.string().min(1)).min(1, "switch on at least one data source"),
  /** Enabled Security Hub standards; they need the security-hub data source. */
  securityHubStandards: z.array(SecurityHubStandard).default([]),
  /** Deployed rule folders: `builtin`, or paths (relative to the profile file). */
  rules: z.array(z.string().min(1)).default([]),
});
export type MonitoringProfileDoc = z.infer<typeof MonitoringProfileDoc>;

export const MonitoringProfile = z.object({
  name: z.string(),
  description: z.string(),
  file: z.string(),
  /** Sources listed as on. */
  dataSources: z.array(z.string()),
  /** Sources that actually work (listed, and their umbrella is on too). */
  effective: z.array(z.string()),
  /** Listed sources (and Security Hub standards) that do not work because their umbrella is off. */
  ineffective: z.array(z.object({ id: z.string(), requires: z.string() })),
  /** Security Hub standards listed as enabled. */
  securityHubStandards: z.array(SecurityHubStandard),
  /** Enabled standards that produce findings (security-hub is effectively on). */
  effectiveStandards: z.array(SecurityHubStandard),
  /** Things that weaken the profile without switching anything off. */
  warnings: z.array(z.string()),
  builtinRules: z.boolean(),
  /** Absolute rule folders other than the built-in ones. */
  ruleDirs: z.array(z.string()),
});
export type MonitoringProfile = z.infer<typeof MonitoringProfile>;

/** Validates profile text; `file` is used for messages and to resolve relative rule folders. */
export function parseProfile(text: string, file: string, catalog: Catalog): MonitoringProfile {
  const parsed = parseYaml(text, file);
  const res = MonitoringProfileDoc.safeParse(parsed.value ?? {});
  if (!res.success)
    throw new TechtrailError("VALIDATION", `invalid monitoring profile ${file}`, {
      problems: locatedProblems(parsed, res.error.issues, file),
    });
  const doc = res.data;
  const known = new Map(catalog.dataSources.map((d) => [d.id, d]));
  const problems: Problem[] = [];
  const at = (path: Array<string | number>, message: string) =>
    problems.push(...locatedProblems(parsed, [{ path, message }], file));
  doc.dataSources.forEach((id, i) => {
    if (!known.has(id)) at(["dataSources", i], `unknown data source ${id} (known: ${[...known.keys()].join(", ")})`);
    else if (doc.dataSources.indexOf(id) !== i) at(["dataSources", i], `data source ${id} is listed twice`);
  });
  doc.securityHubStandards.forEach((id, i) => {
    if (doc.securityHubStandards.indexOf(id) !== i)
      at(["securityHubStandards", i], `Security Hub standard ${id} is listed twice`);
  });
  const base = dirname(resolve(file));
  const ruleDirs: string[] = [];
  let builtinRules = false;
  doc.rules.forEach((r, i) => {
    if (r === BUILTIN_RULES) {
      builtinRules = true;
      return;
    }
    const dir = isAbsolute(r) ? r : join(base, r);
    if (!existsSync(dir)) at(["rules", i], `rule folder ${r} does not exist (resolved to ${dir})`);
    else ruleDirs.push(dir);
  });
  if (problems.length) throw new TechtrailError("VALIDATION", `invalid monitoring profile ${file}`, { problems });
  const on = new Set(doc.dataSources);
  const ineffective: Array<{ id: string; requires: string }> = [];
  const effective: string[] = [];
  for (const id of doc.dataSources) {
    const req = known.get(id)?.requires;
    if (req && !on.has(req)) ineffective.push({ id, requires: req });
    else effective.push(id);
  }
  const hub = effective.includes("security-hub");
  const warnings: string[] = [];
  for (const std of doc.securityHubStandards) if (!hub) ineffective.push({ id: std, requires: "security-hub" });
  if (hub && doc.securityHubStandards.length && !effective.includes("config"))
    warnings.push(
      "Security Hub standards are on but AWS Config is not: most controls evaluate AWS Config recordings, so their findings may be missing",
    );
  if (hub && doc.securityHubStandards.length && !doc.securityHubStandards.includes(MAPPED_STANDARD))
    warnings.push(
      `only ${MAPPED_STANDARD} has a reviewed control mapping: the other standards' controls are not counted`,
    );
  return MonitoringProfile.parse({
    name: doc.name,
    description: doc.description,
    file,
    dataSources: doc.dataSources,
    effective,
    ineffective,
    securityHubStandards: doc.securityHubStandards,
    effectiveStandards: hub ? doc.securityHubStandards : [],
    warnings,
    builtinRules,
    ruleDirs,
  });
}

/** Built-in profile names (file names without .yaml). */
export function builtinProfileNames(): string[] {
  try {
    return readdirSync(BUILTIN_PROFILES_DIR)
      .filter((n) => /\.ya?ml$/.test(n))
      .map((n) => n.replace(/\.ya?ml$/, ""))
      .sort();
  } catch {
    return [];
  }
}

/** Loads a profile file, or a built-in profile by name (`cloudtrail-only`). */
export function loadProfile(ref: string, catalog: Catalog): MonitoringProfile {
  let file = ref;
  if (!existsSync(file)) {
    const named = join(BUILTIN_PROFILES_DIR, `${basename(ref).replace(/\.ya?ml$/, "")}.yaml`);
    if (!/[/\\]/.test(ref) && existsSync(named)) file = named;
    else
      throw new TechtrailError("NOT_FOUND", `monitoring profile ${ref} not found`, {
        problems: [{ source: ref, message: `no such file; built-in profiles: ${builtinProfileNames().join(", ")}` }],
      });
  }
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new TechtrailError("IO", `cannot read monitoring profile ${file}: ${(e as Error).message}`);
  }
  return parseProfile(text, file, catalog);
}
