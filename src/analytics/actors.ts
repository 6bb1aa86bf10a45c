// Threat-actor profiles: the techniques each attributed actor used (incident counts and shares), the
// signature set (techniques in at least `minShare` of its incidents), Jaccard similarity between actors,
// and "this incident looks like actor X": an incident's techniques against every actor's signature,
// with the incident itself left out of its own actor's profile.
import type { Catalog } from "../catalog/catalog.js";
import { compareIds } from "../catalog/catalog.js";
import { TechtrailError } from "../core/errors.js";
import { IndicatorMatcher, type IndicatorSubject } from "../core/indicators.js";
import type { Actor } from "../incidents/actor.js";
import { nameKey } from "../incidents/model.js";
import { type Facts, factsFor, loadFacts, selectIncidents, techniquesOf } from "./facts.js";
import {
  type ActorMatch,
  type ActorProfile,
  type ActorsResult,
  type AnalyticsFilterInput,
  parseAnalyticsFilter,
} from "./model.js";
import { type AnalyticsSource, ratio } from "./query.js";

export const DEFAULT_MIN_SHARE = 0.2;

export function jaccard(a: ReadonlySet<string>, b: ReadonlySet<string>): number {
  if (a.size === 0 && b.size === 0) return 0;
  let inter = 0;
  for (const x of a) if (b.has(x)) inter++;
  return inter / (a.size + b.size - inter);
}

/** Weighted Jaccard (Ruzicka) over technique shares: Σ min / Σ max. */
export function weightedJaccard(a: ReadonlyMap<string, number>, b: ReadonlyMap<string, number>): number {
  let min = 0;
  let max = 0;
  for (const k of new Set([...a.keys(), ...b.keys()])) {
    const x = a.get(k) ?? 0;
    const y = b.get(k) ?? 0;
    min += Math.min(x, y);
    max += Math.max(x, y);
  }
  return max > 0 ? min / max : 0;
}

interface RawProfile {
  key: string;
  name: string;
  incidents: number;
  counts: Map<string, number>;
}

/** Per attributed actor in the selection: incidents and incidents per technique. */
function rawProfiles(facts: Facts, sel: Int32Array): RawProfile[] {
  const profiles = new Map<number, RawProfile>();
  for (const i of sel) {
    const a = facts.actor[i] as number;
    if (a < 0) continue;
    let p = profiles.get(a);
    if (!p) {
      const actor = facts.actors[a] as { key: string; name: string };
      p = { key: actor.key, name: actor.name, incidents: 0, counts: new Map() };
      profiles.set(a, p);
    }
    p.incidents++;
    for (const c of techniquesOf(facts, i)) {
      const id = facts.techIds[c] as string;
      p.counts.set(id, (p.counts.get(id) ?? 0) + 1);
    }
  }
  return [...profiles.values()].sort((a, b) => b.incidents - a.incidents || (a.key < b.key ? -1 : 1));
}

function signature(counts: ReadonlyMap<string, number>, incidents: number, minShare: number): Set<string> {
  const s = new Set<string>();
  for (const [id, n] of counts) if (incidents > 0 && n / incidents >= minShare) s.add(id);
  return s;
}

function shares(counts: ReadonlyMap<string, number>, incidents: number): Map<string, number> {
  return new Map([...counts].map(([id, n]) => [id, ratio(n, incidents)]));
}

export async function actorProfiles(
  src: AnalyticsSource,
  _catalog: Catalog,
  filter: AnalyticsFilterInput = {},
  opts: { minShare?: number } = {},
): Promise<ActorsResult> {
  const f = parseAnalyticsFilter(filter);
  const minShare = opts.minShare ?? DEFAULT_MIN_SHARE;
  if (!(minShare > 0 && minShare <= 1))
    throw new TechtrailError("VALIDATION", `minShare must be in (0, 1], got ${minShare}`, {
      problems: [{ field: "minShare", message: "expected a share between 0 and 1" }],
    });
  const { facts, sel, scope } = await factsFor(src, f);
  if (scope.empty) return { scope, minShare, actors: [], similarity: [] };
  const raw = rawProfiles(facts, sel);
  if (raw.length === 0) scope.note = "no incident in scope is attributed to a threat actor";
  const actors: ActorProfile[] = raw.map((p) => ({
    key: p.key,
    name: p.name,
    incidents: p.incidents,
    techniques: [...p.counts.entries()]
      .map(([id, n]) => ({ id, incidents: n, share: ratio(n, p.incidents) }))
      .sort((a, b) => b.incidents - a.incidents || compareIds(a.id, b.id)),
    signature: [...signature(p.counts, p.incidents, minShare)].sort(compareIds),
  }));
  const similarity: ActorsResult["similarity"] = [];
  for (let i = 0; i < raw.length; i++)
    for (let j = i + 1; j < raw.length; j++) {
      const a = raw[i] as RawProfile;
      const b = raw[j] as RawProfile;
      const sa = signature(a.counts, a.incidents, minShare);
      const sb = signature(b.counts, b.incidents, minShare);
      similarity.push({
        a: a.name,
        b: b.name,
        jaccard: jaccard(sa, sb),
        weighted: weightedJaccard(shares(a.counts, a.incidents), shares(b.counts, b.incidents)),
        shared: [...sa].filter((x) => sb.has(x)).sort(compareIds),
      });
    }
  similarity.sort((x, y) => y.jaccard - x.jaccard || y.weighted - x.weighted);
  return { scope, minShare, actors, similarity };
}

/** Weights of the "looks like" components; a component without evidence (no path, no indicators) adds 0. */
export const MATCH_WEIGHTS = { techniques: 0.55, ordering: 0.15, indicators: 0.3 } as const;

const family = (id: string) => id.split(".")[0] as string;

/** Technique overlap where an ATT&CK sub-technique and a catalog one of the same family count as shared. */
function overlap(own: ReadonlySet<string>, sig: ReadonlySet<string>): { score: number; shared: string[] } {
  const sigFamilies = new Set([...sig].map(family));
  const shared = [...own].filter((x) => sig.has(x) || sigFamilies.has(family(x))).sort(compareIds);
  const union = own.size + sig.size - shared.length;
  return { score: union > 0 ? shared.length / union : 0, shared };
}

/** Tactic-to-tactic steps of a technique sequence (first-seen order), consecutive repeats dropped. */
function transitions(ids: readonly string[], catalog: Catalog): string[] {
  const path: string[] = [];
  for (const id of ids) {
    const ta = catalog.technique(id)?.tactics[0];
    if (ta && path.at(-1) !== ta) path.push(ta);
  }
  const out: string[] = [];
  for (let i = 1; i < path.length; i++) out.push(`${path[i - 1]}>${path[i]}`);
  return out;
}

/** The store's actor entities, when the source is a store (indicators, declared techniques, aliases). */
type ActorSource = AnalyticsSource & { allActors?: () => Promise<Actor[]> };

/**
 * Ranks actors by how much one incident looks like their work, from three components, each listed with its
 * score, weight and what it rests on: technique overlap (Jaccard of the incident's techniques and the actor's
 * signature plus declared techniques; same-family IDs count), ordering (share of the incident's tactic-to-tactic
 * steps the actor's incidents also took) and indicators (the incident's findings from the actor's IP, network,
 * access key or account). The score is the weighted sum, so it grows with the evidence: a component that cannot
 * apply (no tactic path to compare, no indicators) adds nothing and is not listed. The incident itself is left
 * out of its own actor's profile.
 */
export async function matchIncidentToActors(
  src: ActorSource,
  catalog: Catalog,
  incidentKey: string,
  filter: AnalyticsFilterInput = {},
  opts: { minShare?: number; limit?: number } = {},
): Promise<ActorMatch> {
  const f = parseAnalyticsFilter(filter);
  const key = incidentKey.trim().toUpperCase();
  const facts = await loadFacts(src);
  const idx = facts.keys.indexOf(key);
  if (idx < 0) throw new TechtrailError("NOT_FOUND", `no incident ${incidentKey} in the store`);
  const techniques = Array.from(techniquesOf(facts, idx), (c) => facts.techIds[c] as string);
  const own = new Set(techniques);
  const a = facts.actor[idx] as number;
  const minShare = opts.minShare ?? DEFAULT_MIN_SHARE;
  const result: ActorMatch = {
    incident: key,
    techniques,
    attributedTo: a >= 0 ? (facts.actors[a]?.name ?? null) : null,
    matches: [],
  };
  const entities = src.allActors ? await src.allActors() : [];
  const evidence = await incidentEvidence(src, key);
  if (techniques.length === 0 && evidence.length === 0) {
    result.note = `${key} has no technique tags or findings to compare`;
    return result;
  }
  const ownSteps = new Set(transitions(techniques, catalog));
  // Leave the incident out of its own actor's profile.
  const sel = (await selectIncidents(src, facts, f)).filter((i) => i !== idx);
  const raw = rawProfiles(facts, sel);
  const byKey = new Map(raw.map((p) => [p.key, p]));
  const stepsOf = new Map<string, Set<string>>();
  for (const i of sel) {
    const ai = facts.actor[i] as number;
    if (ai < 0) continue;
    const k = facts.actors[ai]?.key as string;
    const set = stepsOf.get(k) ?? new Set<string>();
    for (const st of transitions(
      Array.from(techniquesOf(facts, i), (c) => facts.techIds[c] as string),
      catalog,
    ))
      set.add(st);
    stepsOf.set(k, set);
  }
  // one candidate per entity (its attributed incidents found by any of its names), plus name-only profiles
  const candidates: Array<{ key: string; id?: string; name: string; profile?: RawProfile; entity?: Actor }> = [];
  const used = new Set<string>();
  for (const e of entities) {
    const keys = [e.name, ...e.aliases].map(nameKey);
    const k = keys.find((x) => byKey.has(x));
    const profile = k ? byKey.get(k) : undefined;
    if (k) used.add(k);
    candidates.push({ key: k ?? nameKey(e.name), id: e.id, name: e.name, entity: e, ...(profile ? { profile } : {}) });
  }
  for (const p of raw) if (!used.has(p.key)) candidates.push({ key: p.key, name: p.name, profile: p });

  for (const c of candidates) {
    const sig = c.profile ? signature(c.profile.counts, c.profile.incidents, minShare) : new Set<string>();
    const declared = new Set((c.entity?.techniques ?? []).map((t) => t.id));
    const j = jaccard(own, sig);
    const t = overlap(own, new Set([...sig, ...declared]));
    const components: ActorMatch["matches"][number]["components"] = [];
    if (own.size > 0 && sig.size + declared.size > 0)
      components.push({
        name: "techniques",
        score: t.score,
        weight: MATCH_WEIGHTS.techniques,
        detail: `${t.shared.length} of the incident's ${own.size} technique(s) in the actor's ${sig.size} signature and ${declared.size} declared technique(s)${t.shared.length ? `: ${t.shared.join(", ")}` : ""}`,
      });
    const actorSteps = stepsOf.get(c.key);
    if (ownSteps.size > 0 && actorSteps && actorSteps.size > 0) {
      const sharedSteps = [...ownSteps].filter((x) => actorSteps.has(x));
      components.push({
        name: "ordering",
        score: sharedSteps.length / ownSteps.size,
        weight: MATCH_WEIGHTS.ordering,
        detail: `${sharedSteps.length} of the incident's ${ownSteps.size} tactic step(s) also in the actor's incidents${sharedSteps.length ? `: ${sharedSteps.map((x) => x.replace(">", " → ")).join(", ")}` : ""}`,
      });
    }
    const indicators = c.entity?.indicators ?? [];
    let hits: string[] = [];
    if (indicators.length > 0 && evidence.length > 0) {
      const m = new IndicatorMatcher([{ id: c.id ?? c.key, name: c.name, indicators }]);
      const found = new Set<string>();
      for (const ev of evidence) for (const h of m.match(ev)) found.add(`${h.indicator.type} ${h.indicator.value}`);
      hits = [...found].sort();
      components.push({
        name: "indicators",
        score: hits.length > 0 ? 1 : 0,
        weight: MATCH_WEIGHTS.indicators,
        detail: hits.length
          ? `the incident's findings come from the actor's ${hits.join(", ")}`
          : `none of the incident's ${evidence.length} finding(s) matches the actor's ${indicators.length} indicator(s)`,
      });
    }
    if (components.length === 0) continue;
    const score = components.reduce((n, x) => n + x.score * x.weight, 0);
    result.matches.push({
      actor: c.key,
      ...(c.id ? { id: c.id } : {}),
      name: c.name,
      score,
      components,
      explanation: components.map((x) => `${x.name} ${x.score.toFixed(2)} × ${x.weight} (${x.detail})`).join("; "),
      jaccard: j,
      shared: [...own].filter((x) => sig.has(x)).sort(compareIds),
      indicators: hits,
      incidents: c.profile?.incidents ?? 0,
    });
  }
  result.matches.sort((x, y) => y.score - x.score || y.jaccard - x.jaccard || y.incidents - x.incidents);
  result.matches = result.matches.slice(0, Math.max(1, opts.limit ?? 5));
  if (result.matches.length === 0) result.note = "no actor to compare with (no attributed incidents or known actors)";
  else if ((result.matches[0]?.score ?? 0) === 0)
    result.note = "no actor shares a technique, path or indicator with this incident";
  return result;
}

/** The findings kept as evidence on the incident's technique tags (where indicators can show). */
async function incidentEvidence(src: AnalyticsSource, key: string): Promise<IndicatorSubject[]> {
  const rows = await src.db.query<{ findings: unknown }>(
    "SELECT findings FROM incident_techniques WHERE incident_key = ?",
    [key],
  );
  const out: IndicatorSubject[] = [];
  for (const r of rows) {
    const list = (typeof r.findings === "string" ? JSON.parse(r.findings) : r.findings) as Array<
      Record<string, string>
    >;
    for (const f of Array.isArray(list) ? list : [])
      out.push({
        sourceIPAddress: f.sourceIPAddress,
        accessKeyId: f.accessKeyId,
        accountId: f.accountId,
        eventTime: f.eventTime,
      });
  }
  return out;
}
