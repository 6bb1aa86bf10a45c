// Threat-actor profiles: the techniques each attributed actor used (incident counts and shares), the
// signature set (techniques in at least `minShare` of its incidents), Jaccard similarity between actors,
// and "this incident looks like actor X": an incident's techniques against every actor's signature,
// with the incident itself left out of its own actor's profile.
import type { Catalog } from "../catalog/catalog.js";
import { compareIds } from "../catalog/catalog.js";
import { TechtrailError } from "../core/errors.js";
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

/** Ranks known actors by Jaccard similarity of their signature to one incident's techniques. */
export async function matchIncidentToActors(
  src: AnalyticsSource,
  _catalog: Catalog,
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
  if (techniques.length === 0) {
    result.note = `${key} has no technique tags to compare`;
    return result;
  }
  // Leave the incident out of its own actor's profile.
  const sel = (await selectIncidents(src, facts, f)).filter((i) => i !== idx);
  const raw = rawProfiles(facts, sel);
  for (const p of raw) {
    if (p.incidents <= 0) continue;
    const sig = signature(p.counts, p.incidents, minShare);
    const j = jaccard(own, sig);
    result.matches.push({
      actor: p.key,
      name: p.name,
      jaccard: j,
      shared: [...own].filter((x) => sig.has(x)).sort(compareIds),
      incidents: p.incidents,
    });
  }
  result.matches.sort((a, b) => b.jaccard - a.jaccard || b.incidents - a.incidents);
  result.matches = result.matches.slice(0, Math.max(1, opts.limit ?? 5));
  if (result.matches.length === 0) result.note = "no attributed incidents to compare with";
  else if ((result.matches[0]?.jaccard ?? 0) === 0)
    result.note = "no actor shares a signature technique with this incident";
  return result;
}
