// ATT&CK Navigator layers (layer format 4.5) from any technique → score map.
// Navigator only knows ATT&CK IDs, so `attack` rolls AWS sub-techniques up to their ATT&CK parent
// (T1078.A001 → T1078) and names the AWS IDs in the comment and metadata; AWS-only IDs (AT####) have
// no ATT&CK home and are listed in the layer metadata. `full` keeps every catalog ID and points
// Navigator at the catalog's STIX export through `customDataURL`.
import { z } from "zod";
import { type Problem, TechtrailError } from "../core/errors.js";
import type { Catalog } from "./catalog.js";
import { attackParentId } from "./model.js";

export const LAYER_FORMAT_VERSION = "4.5";
export const NAVIGATOR_VERSION = "5.1.0";
export const ATTACK_VERSION = "18";

export const LayerTechnique = z.object({
  techniqueID: z.string(),
  tactic: z.string().optional(),
  score: z.number().optional(),
  color: z.string(),
  comment: z.string(),
  enabled: z.boolean(),
  metadata: z.array(z.object({ name: z.string(), value: z.string() })),
  links: z.array(z.object({ label: z.string(), url: z.string() })),
  showSubtechniques: z.boolean(),
});

export const NavigatorLayer = z.object({
  name: z.string(),
  versions: z.object({ attack: z.string(), navigator: z.string(), layer: z.literal(LAYER_FORMAT_VERSION) }),
  domain: z.string(),
  description: z.string(),
  filters: z.object({ platforms: z.array(z.string()) }),
  sorting: z.number(),
  layout: z.object({
    layout: z.enum(["side", "flat", "mini"]),
    aggregateFunction: z.enum(["average", "min", "max", "sum"]),
    showID: z.boolean(),
    showName: z.boolean(),
    showAggregateScores: z.boolean(),
    countUnscored: z.boolean(),
    expandedSubtechniques: z.enum(["none", "all", "annotated"]),
  }),
  hideDisabled: z.boolean(),
  techniques: z.array(LayerTechnique),
  gradient: z.object({ colors: z.array(z.string()), minValue: z.number(), maxValue: z.number() }),
  legendItems: z.array(z.object({ label: z.string(), color: z.string() })),
  metadata: z.array(z.object({ name: z.string(), value: z.string() })),
  links: z.array(z.object({ label: z.string(), url: z.string() })),
  showTacticRowBackground: z.boolean(),
  tacticRowBackground: z.string(),
  selectTechniquesAcrossTactics: z.boolean(),
  selectSubtechniquesWithParent: z.boolean(),
  selectVisibleTechniques: z.boolean(),
  customDataURL: z.string().optional(),
});
export type NavigatorLayer = z.infer<typeof NavigatorLayer>;

export const LayerScores = z.record(z.string(), z.number().finite());
export type LayerScores = z.infer<typeof LayerScores>;

export interface LayerOptions {
  name?: string;
  description?: string;
  /** URL of the catalog STIX bundle for the full-ID layer. */
  customDataURL?: string;
  /** How AWS sub-technique scores combine on their ATT&CK parent. */
  aggregate?: "sum" | "max";
  /** Gradient colours, low → high. */
  colors?: string[];
}

function baseLayer(name: string, description: string, maxValue: number, colors: string[]): NavigatorLayer {
  return {
    name,
    versions: { attack: ATTACK_VERSION, navigator: NAVIGATOR_VERSION, layer: LAYER_FORMAT_VERSION },
    domain: "enterprise-attack",
    description,
    filters: { platforms: ["IaaS"] },
    sorting: 3,
    layout: {
      layout: "side",
      aggregateFunction: "max",
      showID: true,
      showName: true,
      showAggregateScores: false,
      countUnscored: false,
      expandedSubtechniques: "annotated",
    },
    hideDisabled: false,
    techniques: [],
    gradient: { colors, minValue: 0, maxValue: Math.max(1, maxValue) },
    legendItems: [],
    metadata: [],
    links: [],
    showTacticRowBackground: false,
    tacticRowBackground: "#dddddd",
    selectTechniquesAcrossTactics: true,
    selectSubtechniquesWithParent: false,
    selectVisibleTechniques: false,
  };
}

const fmt = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(3).replace(/0+$/, ""));

/** Builds both layers. Unknown technique IDs in `scores` are an error naming each ID. */
export function buildNavigatorLayers(
  catalog: Catalog,
  scores: Map<string, number> | Record<string, number>,
  opts: LayerOptions = {},
): { attack: NavigatorLayer; full: NavigatorLayer } {
  const entries = scores instanceof Map ? [...scores.entries()] : Object.entries(scores);
  const problems: Problem[] = [];
  const resolved: Array<[string, number]> = [];
  for (const [id, score] of entries) {
    const t = catalog.technique(id);
    if (!t) problems.push({ field: id, message: `unknown technique ID ${id}` });
    else if (!Number.isFinite(score))
      problems.push({ field: id, message: `score must be a finite number, got ${score}` });
    else resolved.push([t.id, score]);
  }
  if (problems.length) throw new TechtrailError("VALIDATION", "cannot build layer", { problems });
  resolved.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const name = opts.name ?? `techtrail ${catalog.meta.version}`;
  const description = opts.description ?? `Technique scores from techtrail (catalog ${catalog.meta.version})`;
  const colors = opts.colors ?? ["#ffffff", "#ffe766", "#ff6666"];
  const aggregate = opts.aggregate ?? "sum";

  // Full-ID layer: every catalog ID as it is.
  const maxFull = Math.max(0, ...resolved.map(([, s]) => s));
  const full = baseLayer(name, description, maxFull, colors);
  full.customDataURL = opts.customDataURL ?? "techtrail-catalog.stix.json";
  full.metadata.push({ name: "catalog", value: `${catalog.meta.name} ${catalog.meta.version}` });
  for (const [id, score] of resolved) {
    const t = catalog.require(id);
    full.techniques.push({
      techniqueID: id,
      score,
      color: "",
      comment: t.name,
      enabled: true,
      metadata: [],
      links: [],
      showSubtechniques: t.parent === undefined && catalog.subtechniques(id).length > 0,
    });
  }

  // enterprise-attack layer: roll AWS IDs up to their ATT&CK parent.
  const rolled = new Map<string, { score: number; aws: Array<[string, number]> }>();
  const unmapped: string[] = [];
  for (const [id, score] of resolved) {
    const target = attackParentId(id);
    if (target === undefined) {
      unmapped.push(`${id}=${fmt(score)}`);
      continue;
    }
    const cur = rolled.get(target) ?? { score: 0, aws: [] };
    cur.score = aggregate === "sum" ? cur.score + score : Math.max(cur.score, score);
    if (target !== id) cur.aws.push([id, score]);
    rolled.set(target, cur);
  }
  const maxAttack = Math.max(0, ...[...rolled.values()].map((v) => v.score));
  const attack = baseLayer(name, `${description} (AWS sub-techniques rolled up to ATT&CK)`, maxAttack, colors);
  attack.metadata.push({ name: "catalog", value: `${catalog.meta.name} ${catalog.meta.version}` });
  attack.metadata.push({
    name: "roll-up",
    value: `AWS sub-techniques (T####.A###) combined on their ATT&CK parent by ${aggregate}`,
  });
  if (unmapped.length) attack.metadata.push({ name: "AWS-only techniques not shown", value: unmapped.join(", ") });
  for (const [id, v] of [...rolled.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    const own = catalog.technique(id);
    attack.techniques.push({
      techniqueID: id,
      score: v.score,
      color: "",
      comment: v.aws.length
        ? `AWS: ${v.aws.map(([a, s]) => `${a} ${catalog.require(a).name} (${fmt(s)})`).join("; ")}`
        : (own?.name ?? ""),
      enabled: true,
      metadata: v.aws.map(([a, s]) => ({ name: a, value: `${catalog.require(a).name}: ${fmt(s)}` })),
      links: [],
      showSubtechniques: false,
    });
  }
  return { attack: NavigatorLayer.parse(attack), full: NavigatorLayer.parse(full) };
}

/** Parses a technique → score map from JSON text: an object `{ "T1078.A001": 3 }` or an array of `{id, score}`. */
export function parseScores(text: string, source: string): LayerScores {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new TechtrailError("PARSE", `${source} is not valid JSON: ${(e as Error).message}`);
  }
  if (Array.isArray(json)) {
    const arr = z.array(z.object({ id: z.string(), score: z.number().finite() })).safeParse(json);
    if (!arr.success)
      throw new TechtrailError("VALIDATION", `${source}: expected [{"id": "...", "score": n}]`, {
        problems: arr.error.issues.map((i) => ({ source, field: i.path.join("."), message: i.message })),
      });
    return Object.fromEntries(arr.data.map((x) => [x.id, x.score]));
  }
  const obj = LayerScores.safeParse(json);
  if (!obj.success)
    throw new TechtrailError("VALIDATION", `${source}: expected an object of technique ID → number`, {
      problems: obj.error.issues.map((i) => ({ source, field: i.path.join("."), message: i.message })),
    });
  return obj.data;
}
