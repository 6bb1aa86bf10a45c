// Detection coverage of a monitoring profile, per technique and weighted by how often techniques occur in
// incidents: visible (a data source that reveals the technique is effectively on), detected (a deployed rule
// is tagged with it, per the rule engine's tag resolution, and a CloudTrail source that reveals it is on, since
// the rules read CloudTrail; or a detector that is on raises a finding type mapped to it with relation
// `detects` in mappings/<detector>.yaml) and validated (a deployed rule fired on it when logs of the technique
// were scanned with the scan engine). Findings that only flag an enabling weakness (relation `enables`, such
// as a failed Security Hub control) are listed as posture and never count as detection.
// Scores per level are Σ frequency × covered / Σ frequency; with no incidents, every active technique weighs 1.
import { z } from "zod";
import { techniqueFrequency } from "../analytics/frequency.js";
import { type AnalyticsFilterInput, Scope } from "../analytics/model.js";
import type { AnalyticsSource } from "../analytics/query.js";
import type { Catalog } from "../catalog/catalog.js";
import { compareIds } from "../catalog/catalog.js";
import { buildNavigatorLayers, type NavigatorLayer } from "../catalog/layer.js";
import {
  DetectorId,
  type DetectorMappings,
  loadDetectorMappings,
  MappingConfidence,
  type MappingEntry,
} from "../detectors/mapping.js";
import { compileSigmaRules, resolveRuleTechniques } from "../rules/index.js";
import { readRuleFiles } from "../scan/rule-files.js";
import { scanPaths } from "../scan/scan.js";
import { MAPPED_STANDARD, type MonitoringProfile } from "./profile.js";

/** A mapped detector finding type (or Security Hub control) whose plan is on in the profile. */
export const DetectorFinding = z.object({
  detector: DetectorId,
  /** Finding type, control ID or Access Analyzer type, as in mappings/<detector>.yaml. */
  type: z.string(),
  /** The plan (catalog data source) that produces it. */
  dataSource: z.string(),
  confidence: MappingConfidence,
});
export type DetectorFinding = z.infer<typeof DetectorFinding>;

export const TechniqueCoverage = z.object({
  id: z.string(),
  name: z.string(),
  tactics: z.array(z.string()),
  /** Incidents with the technique (0 in uniform mode when never seen). */
  incidents: z.number().int().nonnegative(),
  weight: z.number(),
  visible: z.boolean(),
  /** Effective data sources of the profile that reveal it. */
  visibleVia: z.array(z.string()),
  /** Detected by a deployed rule or by a detector finding (see the two fields below). */
  detected: z.boolean(),
  /** A deployed rule tagged with it can fire (a CloudTrail source that reveals it is on). */
  detectedByRules: z.boolean(),
  /** A detector that is on raises a finding type mapped to it with relation `detects`. */
  detectedByDetectors: z.boolean(),
  /** Deployed rules tagged with it. */
  rules: z.array(z.string()),
  /** Finding types of detectors that are on and detect it (relation `detects`). */
  detectorFindings: z.array(DetectorFinding),
  /** Controls and findings of detectors that are on which flag a weakness enabling it (relation `enables`):
   * when they pass, the technique is harder or impossible; they are not detection. */
  posture: z.array(DetectorFinding),
  /** null when no logs were scanned; only rules can be validated (detector findings are not replayed). */
  validated: z.boolean().nullable(),
  /** Deployed rules tagged with it that fired on the scanned logs. */
  firedRules: z.array(z.string()),
});
export type TechniqueCoverage = z.infer<typeof TechniqueCoverage>;

export const CoverageScores = z.object({
  visible: z.number(),
  detected: z.number(),
  /** Detected by a deployed rule (the level before detector findings counted). */
  detectedByRules: z.number(),
  /** Detected by a detector finding type. */
  detectedByDetectors: z.number(),
  validated: z.number().nullable(),
});
export type CoverageScores = z.infer<typeof CoverageScores>;

export const CoverageResult = z.object({
  profile: z.object({
    name: z.string(),
    file: z.string(),
    effective: z.array(z.string()),
    ineffective: z.array(z.object({ id: z.string(), requires: z.string() })),
    effectiveStandards: z.array(z.string()),
    warnings: z.array(z.string()),
    ruleDirs: z.array(z.string()),
    builtinRules: z.boolean(),
  }),
  weighting: z.enum(["incidents", "uniform"]),
  note: z.string().optional(),
  scope: Scope.optional(),
  rules: z.object({ deployed: z.number().int(), failed: z.number().int(), withTechniques: z.number().int() }),
  /** Per detector with a mapping: how many mapped types the profile's plans produce and what they cover. */
  detectors: z.array(
    z.object({
      detector: DetectorId,
      /** Mapped types (detects or enables) whose plan is on. */
      typesOn: z.number().int(),
      /** Mapped types in the mapping files. */
      typesMapped: z.number().int(),
      /** Techniques a type that is on detects. */
      techniquesDetected: z.number().int(),
    }),
  ),
  validation: z
    .object({
      logs: z.array(z.string()),
      events: z.number().int(),
      findings: z.number().int(),
      techniquesFired: z.array(z.string()),
    })
    .nullable(),
  /** Σ weight × covered / Σ weight, per level (0..1). */
  scores: CoverageScores,
  /** Same without weights: share of techniques covered. */
  unweighted: CoverageScores,
  techniques: z.array(TechniqueCoverage),
  /** Most frequent techniques that the profile would not see at all, then those seen but not detected. */
  unseen: z.array(z.object({ id: z.string(), name: z.string(), incidents: z.number().int() })),
  undetected: z.array(z.object({ id: z.string(), name: z.string(), incidents: z.number().int() })),
});
export type CoverageResult = z.infer<typeof CoverageResult>;

export interface CoverageOptions {
  /** Incidents per technique; absent or empty → uniform weights over active techniques. */
  frequency?: ReadonlyMap<string, number>;
  /** CloudTrail files or folders to scan for the validated level. */
  validateLogs?: string[];
  /** Scan worker threads (default: the scan engine's default). */
  workers?: number;
  /** Most entries in the unseen / undetected lists (default 10). */
  limit?: number;
  /** Replaces the note on uniform weighting (the caller knows why there are no frequencies). */
  note?: string;
  /** Detector mappings (default: the built-in mappings/ folder). */
  mappings?: DetectorMappings;
}

/** The mapped types of every detector whose plan (and, for Security Hub, the mapped standard) is on. */
export function detectorTypesOn(
  mappings: DetectorMappings,
  profile: MonitoringProfile,
): Array<{ detector: DetectorId; entry: MappingEntry }> {
  const on = new Set(profile.effective);
  const out: Array<{ detector: DetectorId; entry: MappingEntry }> = [];
  for (const detector of DetectorId.options) {
    // Security Hub raises control findings only for controls of enabled standards; the mapping covers FSBP.
    if (detector === "security-hub" && !profile.effectiveStandards.includes(MAPPED_STANDARD)) continue;
    for (const entry of mappings.entries(detector)) if (on.has(entry.dataSource)) out.push({ detector, entry });
  }
  return out;
}

/** Deployed rules of a profile and the catalog techniques each is tagged with. */
export async function deployedRules(
  catalog: Catalog,
  profile: MonitoringProfile,
): Promise<{ byTechnique: Map<string, string[]>; deployed: number; failed: number; withTechniques: number }> {
  const { files, problems } = await readRuleFiles(profile.ruleDirs, { builtin: profile.builtinRules });
  const { rules, errors } = compileSigmaRules(files);
  const byTechnique = new Map<string, string[]>();
  let withTechniques = 0;
  for (const r of rules) {
    const { techniques } = resolveRuleTechniques(r, catalog);
    if (techniques.length) withTechniques++;
    for (const t of techniques) {
      const list = byTechnique.get(t) ?? [];
      list.push(r.id);
      byTechnique.set(t, list);
    }
  }
  return { byTechnique, deployed: rules.length, failed: errors.length + problems.length, withTechniques };
}

type TypeOn = ReturnType<typeof detectorTypesOn>[number];
type MappedFindings = { detects: DetectorFinding[]; enables: DetectorFinding[] };

/** Per technique, the detector finding types on that detect it or show the posture that enables it. */
function detectorFindingsByTechnique(typesOn: readonly TypeOn[]): Map<string, MappedFindings> {
  const byTechnique = new Map<string, MappedFindings>();
  for (const { detector, entry } of typesOn)
    for (const t of entry.techniques) {
      const slot = byTechnique.get(t.id) ?? { detects: [], enables: [] };
      slot[t.relation].push({ detector, type: entry.type, dataSource: entry.dataSource, confidence: t.confidence });
      byTechnique.set(t.id, slot);
    }
  return byTechnique;
}

/** Scans the validation logs with the profile's rules: which rules fired for which technique. */
async function validateWithLogs(
  catalog: Catalog,
  profile: MonitoringProfile,
  logs: string[],
  workers: number | undefined,
): Promise<{ validation: NonNullable<CoverageResult["validation"]>; fired: Map<string, Set<string>> }> {
  const scan = await scanPaths(
    logs,
    {
      ruleDirs: profile.ruleDirs,
      builtinRules: profile.builtinRules,
      ...(workers !== undefined ? { workers } : {}),
    },
    // only the summary is read: findings are not kept
    { catalog, onFindings: () => undefined },
  );
  const fired = new Map<string, Set<string>>();
  for (const t of scan.summary.techniques) fired.set(t.id, new Set(t.rules));
  return {
    validation: {
      logs,
      events: scan.summary.events.read,
      findings: scan.summary.findings.total,
      techniquesFired: [...fired.keys()].sort(compareIds),
    },
    fired,
  };
}

interface TechniqueInputs {
  on: ReadonlySet<string>;
  rulesByTechnique: ReadonlyMap<string, string[]>;
  findings: ReadonlyMap<string, MappedFindings>;
  freq: ReadonlyMap<string, number>;
  weighted: boolean;
  validating: boolean;
  fired: ReadonlyMap<string, Set<string>>;
}

/** One entry per active catalog technique (and any seen in incidents), visible/detected/validated. */
function techniqueCoverages(catalog: Catalog, x: TechniqueInputs): TechniqueCoverage[] {
  const techniques: TechniqueCoverage[] = [];
  for (const t of catalog.techniques) {
    const incidents = x.freq.get(t.id) ?? 0;
    if (t.status !== "active" && incidents === 0) continue;
    const mapped = x.findings.get(t.id) ?? { detects: [], enables: [] };
    const visibleVia = t.dataSources.filter((d) => x.on.has(d));
    // A detector plan that raises a finding for the technique sees it, whether or not the catalog lists it.
    for (const f of mapped.detects) if (!visibleVia.includes(f.dataSource)) visibleVia.push(f.dataSource);
    const visible = visibleVia.length > 0;
    const ruleIds = x.rulesByTechnique.get(t.id) ?? [];
    // Deployed rules are Sigma rules over CloudTrail: they can only fire when a CloudTrail source that
    // reveals the technique is on (S3 object reads need S3 data events, not just GuardDuty).
    const detectedByRules = ruleIds.length > 0 && visibleVia.some((d) => d.startsWith("cloudtrail-"));
    const detectedByDetectors = mapped.detects.length > 0;
    const firedRules = ruleIds.filter((r) => x.fired.get(t.id)?.has(r));
    techniques.push({
      id: t.id,
      name: t.name,
      tactics: [...t.tactics],
      incidents,
      weight: x.weighted ? incidents : 1,
      visible,
      visibleVia,
      detected: detectedByRules || detectedByDetectors,
      detectedByRules,
      detectedByDetectors,
      rules: ruleIds,
      detectorFindings: mapped.detects,
      posture: mapped.enables,
      validated: x.validating ? detectedByRules && firedRules.length > 0 : null,
      firedRules,
    });
  }
  // Techniques seen in incidents but missing from the catalog cannot be covered: they still weigh.
  for (const [id, n] of x.freq)
    if (!catalog.technique(id))
      techniques.push({
        id,
        name: "(not in catalog)",
        tactics: [],
        incidents: n,
        weight: n,
        visible: false,
        visibleVia: [],
        detected: false,
        detectedByRules: false,
        detectedByDetectors: false,
        rules: [],
        detectorFindings: [],
        posture: [],
        validated: x.validating ? false : null,
        firedRules: [],
      });
  return techniques;
}

/** Shares of the techniques (by weight, or each counting once) that are visible, detected, validated. */
function coverageScores(
  techniques: readonly TechniqueCoverage[],
  weighted: boolean,
  validating: boolean,
): CoverageScores {
  const score = (pick: (t: TechniqueCoverage) => boolean) => {
    let num = 0;
    let den = 0;
    for (const t of techniques) {
      const w = weighted ? t.weight : 1;
      den += w;
      if (pick(t)) num += w;
    }
    return den > 0 ? num / den : 0;
  };
  return {
    visible: score((t) => t.visible),
    detected: score((t) => t.detected),
    detectedByRules: score((t) => t.detectedByRules),
    detectedByDetectors: score((t) => t.detectedByDetectors),
    validated: validating ? score((t) => t.validated === true) : null,
  };
}

/** Per detector: finding types on and mapped, and how many of the techniques its types on detect. */
function detectorSummaries(
  mappings: DetectorMappings,
  typesOn: readonly TypeOn[],
  techniques: readonly TechniqueCoverage[],
): CoverageResult["detectors"] {
  return mappings.detectors
    .map((d) => d.detector)
    .filter((d, i, all) => all.indexOf(d) === i)
    .map((detector) => {
      const mine = typesOn.filter((x) => x.detector === detector);
      const detected = new Set(
        mine.flatMap((x) => x.entry.techniques.filter((t) => t.relation === "detects").map((t) => t.id)),
      );
      return {
        detector,
        typesOn: mine.length,
        typesMapped: mappings.entries(detector).length,
        techniquesDetected: techniques.filter((t) => detected.has(t.id)).length,
      };
    });
}

/**
 * What a monitoring profile sees and detects of the catalog's techniques, weighted by how often incidents
 * show them (uniform without frequencies); optionally checked by scanning logs.
 */
export async function computeCoverage(
  catalog: Catalog,
  profile: MonitoringProfile,
  opts: CoverageOptions = {},
): Promise<CoverageResult> {
  const rules = await deployedRules(catalog, profile);
  const mappings = opts.mappings ?? loadDetectorMappings(catalog);
  const typesOn = detectorTypesOn(mappings, profile);
  const freq = opts.frequency ?? new Map<string, number>();
  const total = [...freq.values()].reduce((s, n) => s + n, 0);
  const weighting = total > 0 ? "incidents" : "uniform";
  const checked = opts.validateLogs?.length
    ? await validateWithLogs(catalog, profile, opts.validateLogs, opts.workers)
    : undefined;
  const validation = checked?.validation ?? null;
  const techniques = techniqueCoverages(catalog, {
    on: new Set(profile.effective),
    rulesByTechnique: rules.byTechnique,
    findings: detectorFindingsByTechnique(typesOn),
    freq,
    weighted: weighting === "incidents",
    validating: validation !== null,
    fired: checked?.fired ?? new Map(),
  });
  const limit = Math.max(1, opts.limit ?? 10);
  const byFreq = [...techniques].sort((a, b) => b.incidents - a.incidents || compareIds(a.id, b.id));
  const brief = (t: TechniqueCoverage) => ({ id: t.id, name: t.name, incidents: t.incidents });
  const result: CoverageResult = {
    profile: {
      name: profile.name,
      file: profile.file,
      effective: profile.effective,
      ineffective: profile.ineffective,
      effectiveStandards: profile.effectiveStandards,
      warnings: profile.warnings,
      ruleDirs: profile.ruleDirs,
      builtinRules: profile.builtinRules,
    },
    weighting,
    rules: { deployed: rules.deployed, failed: rules.failed, withTechniques: rules.withTechniques },
    detectors: detectorSummaries(mappings, typesOn, techniques),
    validation,
    scores: coverageScores(techniques, true, validation !== null),
    unweighted: coverageScores(techniques, false, validation !== null),
    techniques: techniques.sort((a, b) => compareIds(a.id, b.id)),
    unseen: byFreq
      .filter((t) => !t.visible && (weighting === "uniform" || t.incidents > 0))
      .slice(0, limit)
      .map(brief),
    undetected: byFreq
      .filter((t) => t.visible && !t.detected && (weighting === "uniform" || t.incidents > 0))
      .slice(0, limit)
      .map(brief),
  };
  if (weighting === "uniform")
    result.note = opts.note ?? "no incidents with techniques in the store: every active technique weighs the same";
  return result;
}

/** Coverage weighted by technique frequency from the incident store (uniform when the scope is empty). */
export async function coverageFromStore(
  src: AnalyticsSource,
  catalog: Catalog,
  profile: MonitoringProfile,
  filter: AnalyticsFilterInput = {},
  opts: Omit<CoverageOptions, "frequency"> = {},
): Promise<CoverageResult> {
  const freq = await techniqueFrequency(src, catalog, filter);
  const frequency = new Map(freq.techniques.map((t) => [t.id, t.incidents]));
  const note = freq.scope.empty
    ? `${freq.scope.note ?? "no incidents"}: every active technique weighs the same`
    : freq.tagged === 0
      ? "no incident in scope has technique tags: every active technique weighs the same"
      : undefined;
  const r = await computeCoverage(catalog, profile, { ...opts, frequency, ...(note ? { note } : {}) });
  r.scope = freq.scope;
  return r;
}

/** Navigator layers: coverage (1 visible, 2 detected, 3 validated) and incident frequency. */
export function coverageLayers(
  catalog: Catalog,
  r: CoverageResult,
): {
  coverage: { attack: NavigatorLayer; full: NavigatorLayer };
  frequency: { attack: NavigatorLayer; full: NavigatorLayer };
} {
  const known = r.techniques.filter((t) => catalog.technique(t.id));
  const level = (t: TechniqueCoverage) => (t.validated ? 3 : t.detected ? 2 : t.visible ? 1 : 0);
  const coverage = buildNavigatorLayers(catalog, new Map(known.map((t) => [t.id, level(t)])), {
    name: `coverage: ${r.profile.name}`,
    description: `Detection coverage of monitoring profile ${r.profile.name}: 0 unseen, 1 visible, 2 detected, 3 validated`,
    aggregate: "max",
    colors: ["#ff6666", "#ffe766", "#8ec843", "#2e7d32"],
  });
  const frequency = buildNavigatorLayers(
    catalog,
    new Map(known.filter((t) => t.incidents > 0).map((t) => [t.id, t.incidents])),
    {
      name: "incident frequency",
      description: "Incidents per technique from the techtrail incident register",
      aggregate: "sum",
    },
  );
  return { coverage, frequency };
}
