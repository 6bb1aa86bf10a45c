// Threat-actor profiles: the techniques each attributed actor used (incident counts and shares), the
// signature set (techniques in at least `minShare` of its incidents), Jaccard similarity between actors,
// and "this incident looks like actor X": an incident's techniques against every actor's signature,
// with the incident itself left out of its own actor's profile.
import type { Catalog } from "../catalog/catalog.js";
import { compareIds } from "../catalog/catalog.js";
import { TechtrailError } from "../core/errors.js";
import {
  type ActorMatch,
  type ActorProfile,
  type ActorsResult,
  type AnalyticsFilterInput,
  parseAnalyticsFilter,
} from "./model.js";
import { type AnalyticsSource, joinTechniques, num, ratio, scopeOf, str, whereFor } from "./query.js";

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

async function rawProfiles(
  src: AnalyticsSource,
  filter: ReturnType<typeof parseAnalyticsFilter>,
): Promise<RawProfile[]> {
  const d = src.db.dialect;
  const w = whereFor(filter, d, { extra: ["i.actor_key IS NOT NULL"] });
  const inc = await src.db.query(
    `SELECT i.actor_key AS k, MIN(i.threat_actor) AS name, COUNT(*) AS n FROM incidents i ${w.sql} GROUP BY i.actor_key`,
    w.params,
  );
  const tech = await src.db.query(
    `SELECT i.actor_key AS k, t.technique_id AS id, COUNT(*) AS n FROM ${joinTechniques(d)} ${w.sql} GROUP BY i.actor_key, t.technique_id`,
    w.params,
  );
  const profiles = new Map<string, RawProfile>();
  for (const r of inc)
    profiles.set(str(r.k), { key: str(r.k), name: str(r.name) || str(r.k), incidents: num(r.n), counts: new Map() });
  for (const r of tech) profiles.get(str(r.k))?.counts.set(str(r.id), num(r.n));
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
  const scope = await scopeOf(src, f);
  if (scope.empty) return { scope, minShare, actors: [], similarity: [] };
  const raw = await rawProfiles(src, f);
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
  const rows = await src.db.query("SELECT key, actor_key, threat_actor FROM incidents WHERE key = ?", [key]);
  const row = rows[0];
  if (!row) throw new TechtrailError("NOT_FOUND", `no incident ${incidentKey} in the store`);
  const techRows = await src.db.query(
    "SELECT technique_id FROM incident_techniques WHERE incident_key = ? ORDER BY ord",
    [key],
  );
  const techniques = techRows.map((r) => str(r.technique_id));
  const own = new Set(techniques);
  const ownActor = row.actor_key === null || row.actor_key === undefined ? null : str(row.actor_key);
  const minShare = opts.minShare ?? DEFAULT_MIN_SHARE;
  const result: ActorMatch = {
    incident: key,
    techniques,
    attributedTo: row.threat_actor === null || row.threat_actor === undefined ? null : str(row.threat_actor),
    matches: [],
  };
  if (techniques.length === 0) {
    result.note = `${key} has no technique tags to compare`;
    return result;
  }
  const raw = await rawProfiles(src, f);
  // Leave the incident out of its own actor's profile, if the filter included it.
  const inScope = (
    await src.db.query(
      `SELECT COUNT(*) AS n FROM incidents i ${whereFor(f, src.db.dialect, { extra: ["i.key = ?"] }).sql}`,
      [key, ...whereFor(f, src.db.dialect).params],
    )
  )[0];
  if (ownActor && num(inScope?.n) > 0) {
    const p = raw.find((r) => r.key === ownActor);
    if (p) {
      p.incidents -= 1;
      for (const id of own) {
        const n = p.counts.get(id);
        if (n !== undefined) p.counts.set(id, n - 1);
      }
    }
  }
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
