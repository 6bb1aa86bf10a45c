// Reviewed mappings from AWS detector output (GuardDuty finding types, Security Hub controls, IAM Access
// Analyzer and Macie finding types) to catalog techniques. Content lives in mappings/<detector>.yaml and is
// reviewed like rules; this module defines its shape once, loads it with positions and checks it against a
// catalog (technique and data-source IDs must exist).
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import type { Catalog } from "../catalog/catalog.js";
import { type Problem, TechtrailError } from "../core/errors.js";
import { packagePath } from "../core/paths.js";
import { locatedProblems, parseYaml } from "../core/yaml.js";

export const BUILTIN_MAPPINGS_DIR = packagePath("mappings");

/** The detectors whose output techtrail maps. */
export const DetectorId = z.enum(["guardduty", "security-hub", "access-analyzer", "macie"]);
export type DetectorId = z.infer<typeof DetectorId>;

/**
 * `detects`: the finding is raised by the technique's activity itself.
 * `enables`: the finding flags a weakness or exposure that makes the technique possible (a failed control,
 * a public bucket); it is evidence of risk, not of an attack.
 */
export const MappingRelation = z.enum(["detects", "enables"]);
export type MappingRelation = z.infer<typeof MappingRelation>;
export const MappingConfidence = z.enum(["high", "medium", "low"]);
export type MappingConfidence = z.infer<typeof MappingConfidence>;

export const MappedTechnique = z.strictObject({
  id: z.string().min(1),
  relation: MappingRelation,
  confidence: MappingConfidence,
});
export type MappedTechnique = z.infer<typeof MappedTechnique>;

export const MappingEntry = z.strictObject({
  /** The exact finding type (GuardDuty `type`, Macie `type`), control ID (Security Hub `IAM.6`) or Access Analyzer finding type. */
  type: z.string().min(1),
  /** The catalog data source (detector plan) that must be on for this finding to exist, e.g. guardduty-s3-protection. */
  dataSource: z.string().min(1),
  techniques: z.array(MappedTechnique).min(1, "map at least one technique, or list the type under unmapped"),
  /** Why this mapping, in the project's own words. */
  note: z.string().default(""),
  references: z.array(z.string().url()).default([]),
});
export type MappingEntry = z.infer<typeof MappingEntry>;

export const UnmappedEntry = z.strictObject({
  type: z.string().min(1),
  dataSource: z.string().min(1).optional(),
  /** Why no catalog technique fits (e.g. a technique the catalog does not hold, or not an attack behaviour). */
  reason: z.string().min(1, "say why the type is not mapped"),
});
export type UnmappedEntry = z.infer<typeof UnmappedEntry>;

export const MappingFileDoc = z.strictObject({
  detector: DetectorId,
  description: z.string().default(""),
  /** Where the list of types comes from (documentation pages). */
  sources: z.array(z.string().url()).min(1, "name the documentation the types come from"),
  /** Date of the last review (YYYY-MM-DD). */
  reviewed: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "expected a date YYYY-MM-DD"),
  mappings: z.array(MappingEntry).default([]),
  unmapped: z.array(UnmappedEntry).default([]),
});
export type MappingFileDoc = z.infer<typeof MappingFileDoc>;

/** The loaded mappings of one detector. */
export interface DetectorMapping extends MappingFileDoc {
  file: string;
}

/** All loaded mappings, with exact-type look-up. */
export class DetectorMappings {
  private readonly byKey = new Map<string, MappingEntry>();
  private readonly unmappedByKey = new Map<string, UnmappedEntry>();
  constructor(readonly detectors: readonly DetectorMapping[]) {
    for (const d of detectors) {
      for (const m of d.mappings) this.byKey.set(`${d.detector}\u0000${m.type}`, m);
      for (const u of d.unmapped) this.unmappedByKey.set(`${d.detector}\u0000${u.type}`, u);
    }
  }
  /** The mapping of a finding type, or undefined when it is not mapped. */
  lookup(detector: DetectorId, type: string): MappingEntry | undefined {
    return this.byKey.get(`${detector}\u0000${type}`);
  }
  /** The reviewed reason a type is not mapped, or undefined when the type is not listed at all. */
  unmapped(detector: DetectorId, type: string): UnmappedEntry | undefined {
    return this.unmappedByKey.get(`${detector}\u0000${type}`);
  }
  /** Every mapping entry of a detector. */
  entries(detector: DetectorId): readonly MappingEntry[] {
    return this.detectors.filter((d) => d.detector === detector).flatMap((d) => d.mappings);
  }
}

/** Validates one mapping file's text against the catalog. */
export function parseMappingFile(text: string, file: string, catalog: Catalog): DetectorMapping {
  const parsed = parseYaml(text, file);
  const res = MappingFileDoc.safeParse(parsed.value ?? {});
  if (!res.success)
    throw new TechtrailError("VALIDATION", `invalid detector mapping ${file}`, {
      problems: locatedProblems(parsed, res.error.issues, file),
    });
  const doc = res.data;
  const dataSources = new Set(catalog.dataSources.map((d) => d.id));
  const problems: Problem[] = [];
  const at = (path: Array<string | number>, message: string) =>
    problems.push(...locatedProblems(parsed, [{ path, message }], file));
  const seen = new Map<string, string>();
  const once = (type: string, path: Array<string | number>) => {
    const first = seen.get(type);
    if (first) at(path, `type ${type} is listed twice (first at ${first})`);
    else seen.set(type, path.join("."));
  };
  doc.mappings.forEach((m, i) => {
    once(m.type, ["mappings", i, "type"]);
    if (!dataSources.has(m.dataSource))
      at(["mappings", i, "dataSource"], `unknown data source ${m.dataSource} (see catalog/data-sources.yaml)`);
    m.techniques.forEach((t, j) => {
      if (!catalog.has(t.id)) at(["mappings", i, "techniques", j, "id"], `unknown technique ${t.id}`);
      if (m.techniques.findIndex((o) => o.id === t.id) !== j)
        at(["mappings", i, "techniques", j, "id"], `technique ${t.id} is listed twice`);
    });
  });
  doc.unmapped.forEach((u, i) => {
    once(u.type, ["unmapped", i, "type"]);
    if (u.dataSource !== undefined && !dataSources.has(u.dataSource))
      at(["unmapped", i, "dataSource"], `unknown data source ${u.dataSource} (see catalog/data-sources.yaml)`);
  });
  if (problems.length) throw new TechtrailError("VALIDATION", `invalid detector mapping ${file}`, { problems });
  return { ...doc, file };
}

/** Loads every `*.yaml` mapping file of a folder (the built-in one by default). Two files for one detector merge. */
export function loadDetectorMappings(catalog: Catalog, dir: string = BUILTIN_MAPPINGS_DIR): DetectorMappings {
  if (!existsSync(dir)) throw new TechtrailError("NOT_FOUND", `detector mapping folder ${dir} does not exist`);
  const files = readdirSync(dir)
    .filter((f) => f.endsWith(".yaml") || f.endsWith(".yml"))
    .sort();
  const problems: Problem[] = [];
  const loaded: DetectorMapping[] = [];
  for (const f of files) {
    const file = join(dir, f);
    try {
      loaded.push(parseMappingFile(readFileSync(file, "utf8"), file, catalog));
    } catch (e) {
      if (e instanceof TechtrailError && e.problems.length) problems.push(...e.problems);
      else throw e;
    }
  }
  if (problems.length) throw new TechtrailError("VALIDATION", `invalid detector mappings in ${dir}`, { problems });
  return new DetectorMappings(loaded);
}
