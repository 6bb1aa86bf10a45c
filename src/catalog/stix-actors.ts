// ATT&CK intrusion sets (groups) from a STIX 2.0/2.1 bundle, read as threat actors for the incident register:
// names and aliases, description, first/last seen and motivation when the bundle has them, the techniques the
// group `uses` (ATT&CK IDs with the bundle's names), references, and provenance (source, STIX ID, group ID).
// Pure: the caller stores them (`techtrail actor import`, `catalog import --actors`).
import { TechtrailError } from "../core/errors.js";

/** An actor as read from a bundle; the shape the store's NewActor takes. */
export interface BundleActor {
  name: string;
  aliases: string[];
  description: string;
  motivation?: string;
  firstSeen?: string;
  lastSeen?: string;
  techniques: Array<{ id: string; name?: string; source: string }>;
  references: Array<{ source: string; url?: string; externalId?: string; description?: string }>;
  provenance: { source: string; stixId: string; externalId?: string; file?: string; modified?: string };
}

export interface BundleActors {
  actors: BundleActor[];
  /** Intrusion sets left out, with the reason (revoked, deprecated, no name). */
  skipped: Array<{ stixId: string; name?: string; reason: string }>;
}

interface ExtRef {
  source_name?: unknown;
  external_id?: unknown;
  url?: unknown;
  description?: unknown;
}
interface Obj {
  type?: unknown;
  id?: unknown;
  name?: unknown;
  aliases?: unknown;
  description?: unknown;
  modified?: unknown;
  revoked?: unknown;
  x_mitre_deprecated?: unknown;
  first_seen?: unknown;
  last_seen?: unknown;
  primary_motivation?: unknown;
  external_references?: unknown;
  relationship_type?: unknown;
  source_ref?: unknown;
  target_ref?: unknown;
}

const str = (v: unknown): string | undefined => (typeof v === "string" && v.trim() !== "" ? v.trim() : undefined);
const refsOf = (o: Obj): ExtRef[] =>
  Array.isArray(o.external_references)
    ? (o.external_references as ExtRef[]).filter((r) => r && typeof r === "object")
    : [];
const attackRef = (o: Obj): ExtRef | undefined =>
  refsOf(o).find((r) => /^mitre-(attack|ics-attack|mobile-attack)$/.test(String(r.source_name)) && str(r.external_id));

const MOTIVATIONS = new Set([
  "accidental",
  "coercion",
  "dominance",
  "ideology",
  "notoriety",
  "organizational-gain",
  "personal-gain",
  "personal-satisfaction",
  "revenge",
  "unpredictable",
]);

/** ATT&CK's description markup: `[Name](url)` links become their text, `(Citation: ...)` markers go. */
function plainDescription(text: string): string {
  return text
    .replace(/\(Citation:[^)]*\)/g, "")
    .replace(/\[([^\]]+)\]\((?:https?:[^)\s]+)\)/g, "$1")
    .replace(/[ \t]+\n/g, "\n")
    .replace(/ {2,}/g, " ")
    .trim();
}

/** The intrusion sets of a parsed bundle as actors (latest version of each object; revoked/deprecated skipped). */
export function bundleActors(bundleJson: unknown, opts: { source: string; file?: string }): BundleActors {
  const file = opts.file ?? opts.source;
  const objects = (bundleJson as { objects?: unknown } | null)?.objects;
  if (!bundleJson || typeof bundleJson !== "object" || !Array.isArray(objects))
    throw new TechtrailError("VALIDATION", `${file} is not a STIX bundle`, {
      problems: [{ source: file, field: "objects", message: 'expected a bundle with an "objects" array' }],
    });
  // latest version of each object
  const latest = new Map<string, Obj>();
  for (const o of objects as Obj[]) {
    if (!o || typeof o !== "object" || typeof o.id !== "string") continue;
    const prev = latest.get(o.id);
    if (!prev || String(o.modified ?? "") >= String(prev.modified ?? "")) latest.set(o.id, o);
  }
  const uses = new Map<string, Set<string>>();
  for (const o of latest.values()) {
    if (o.type !== "relationship" || o.relationship_type !== "uses" || o.revoked === true) continue;
    const src = String(o.source_ref ?? "");
    const tgt = String(o.target_ref ?? "");
    if (!src.startsWith("intrusion-set--") || !tgt.startsWith("attack-pattern--")) continue;
    const set = uses.get(src) ?? new Set<string>();
    set.add(tgt);
    uses.set(src, set);
  }
  const out: BundleActors = { actors: [], skipped: [] };
  for (const o of latest.values()) {
    if (o.type !== "intrusion-set") continue;
    const stixId = String(o.id);
    const name = str(o.name);
    if (!name) {
      out.skipped.push({ stixId, reason: "no name" });
      continue;
    }
    if (o.revoked === true || o.x_mitre_deprecated === true) {
      out.skipped.push({ stixId, name, reason: o.revoked === true ? "revoked" : "deprecated" });
      continue;
    }
    const ref = attackRef(o);
    const externalId = str(ref?.external_id);
    const techniques = new Map<string, BundleActor["techniques"][number]>();
    for (const target of uses.get(stixId) ?? []) {
      const ap = latest.get(target);
      if (!ap || ap.revoked === true || ap.x_mitre_deprecated === true) continue;
      const id = str(attackRef(ap)?.external_id);
      if (!id) continue;
      const tname = str(ap.name);
      techniques.set(id, { id, ...(tname ? { name: tname } : {}), source: opts.source });
    }
    const aliases = Array.isArray(o.aliases)
      ? [...new Set((o.aliases as unknown[]).map(str).filter((a): a is string => a !== undefined))].filter(
          (a) => a.toLowerCase() !== name.toLowerCase(),
        )
      : [];
    const references: BundleActor["references"] = [];
    for (const r of refsOf(o)) {
      const source = str(r.source_name);
      const url = str(r.url);
      if (!source || (!url && !str(r.external_id))) continue;
      references.push({
        source,
        ...(url && /^https?:\/\//.test(url) ? { url } : {}),
        ...(str(r.external_id) ? { externalId: str(r.external_id) as string } : {}),
        ...(str(r.description) ? { description: str(r.description) as string } : {}),
      });
    }
    const modified = str(o.modified);
    const motivation = str(o.primary_motivation);
    const actor: BundleActor = {
      name,
      aliases,
      description: plainDescription(str(o.description) ?? ""),
      techniques: [...techniques.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)),
      references,
      provenance: {
        source: opts.source,
        stixId,
        ...(externalId ? { externalId } : {}),
        ...(opts.file ? { file: opts.file } : {}),
        ...(modified ? { modified } : {}),
      },
    };
    if (motivation && MOTIVATIONS.has(motivation)) actor.motivation = motivation;
    const first = str(o.first_seen);
    const last = str(o.last_seen);
    if (first) actor.firstSeen = first;
    if (last) actor.lastSeen = last;
    out.actors.push(actor);
  }
  out.actors.sort((a, b) =>
    (a.provenance.externalId ?? a.name).localeCompare(b.provenance.externalId ?? b.name, "en", { numeric: true }),
  );
  return out;
}
