// Threat actors as entities of the register: names and aliases, description, motivation, first/last seen,
// infrastructure indicators with validity periods (src/core/indicators.ts), declared techniques (the ones seen
// in attributed incidents are derived by the store), references and provenance (an ATT&CK import). Incidents
// point at an actor with `actorId` and `actorConfidence`; every actor change is audited like incidents are.
import { z } from "zod";
import { Indicator } from "../core/indicators.js";
import { ACTOR_ID_RE, Confidence, FreeText, Name, nameKey, Timestamp } from "./model.js";

export const ActorId = z.string().trim().toUpperCase().regex(ACTOR_ID_RE, "expected an actor ID like ACT-0001");
export type ActorId = z.infer<typeof ActorId>;

export function formatActorId(seq: number): string {
  return `ACT-${String(seq).padStart(4, "0")}`;
}

/** STIX 2.1 attack-motivation vocabulary, plus "unknown". */
export const Motivation = z.enum([
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
  "unknown",
]);
export type Motivation = z.infer<typeof Motivation>;

/** A technique the actor is known to use from a source other than our incidents (ATT&CK, a report). */
export const DeclaredTechnique = z.strictObject({
  id: z.string().trim().toUpperCase().min(1),
  /** Name given by the source (ATT&CK IDs outside the catalog keep theirs). */
  name: z.string().optional(),
  source: z.string().optional(),
});
export type DeclaredTechnique = z.infer<typeof DeclaredTechnique>;

export const ActorReference = z.strictObject({
  source: z.string().min(1),
  url: z.url().optional(),
  externalId: z.string().optional(),
  description: z.string().optional(),
});
export type ActorReference = z.infer<typeof ActorReference>;

/** Where an imported actor came from (an ATT&CK intrusion set). */
export const ActorProvenance = z.strictObject({
  source: z.string().min(1),
  stixId: z.string().optional(),
  /** ATT&CK group ID (G0016). */
  externalId: z.string().optional(),
  file: z.string().optional(),
  /** The object's `modified` time in the source. */
  modified: z.string().optional(),
});
export type ActorProvenance = z.infer<typeof ActorProvenance>;

const ActorFields = z.strictObject({
  id: ActorId,
  name: Name,
  aliases: z.array(Name).default([]),
  description: FreeText.default(""),
  motivation: Motivation.optional(),
  /** Declared first and last activity (sources, reports); `actor show` adds what attributed incidents say. */
  firstSeen: Timestamp.optional(),
  lastSeen: Timestamp.optional(),
  indicators: z.array(Indicator).default([]),
  techniques: z.array(DeclaredTechnique).default([]),
  references: z.array(ActorReference).default([]),
  provenance: ActorProvenance.optional(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});

function checkActor(a: Partial<z.infer<typeof ActorFields>>, ctx: z.RefinementCtx): void {
  const keys = new Map<string, string>();
  if (a.name) keys.set(nameKey(a.name), "name");
  (a.aliases ?? []).forEach((al, n) => {
    const k = nameKey(al);
    const prev = keys.get(k);
    if (prev !== undefined)
      ctx.addIssue({ code: "custom", path: ["aliases", n], message: `alias "${al}" repeats the ${prev}` });
    keys.set(k, `alias aliases.${n}`);
  });
  if (a.firstSeen && a.lastSeen && a.lastSeen < a.firstSeen)
    ctx.addIssue({
      code: "custom",
      path: ["lastSeen"],
      message: `lastSeen (${a.lastSeen}) is before firstSeen (${a.firstSeen})`,
    });
  const techs = new Set<string>();
  (a.techniques ?? []).forEach((t, n) => {
    if (techs.has(t.id))
      ctx.addIssue({ code: "custom", path: ["techniques", n, "id"], message: `technique ${t.id} is listed twice` });
    techs.add(t.id);
  });
}

export const Actor = ActorFields.superRefine(checkActor);
export type Actor = z.infer<typeof Actor>;
export type ActorInput = z.input<typeof Actor>;

/** An actor as given to `actor add` or an import: ID and bookkeeping times are assigned by the store. */
export const NewActor = ActorFields.extend({
  id: ActorId.optional(),
  createdAt: Timestamp.optional(),
  updatedAt: Timestamp.optional(),
}).superRefine(checkActor);
export type NewActor = z.infer<typeof NewActor>;
export type NewActorInput = z.input<typeof NewActor>;

/** Every name an actor answers to (name, then aliases). */
export function actorNames(a: Pick<Actor, "name" | "aliases">): string[] {
  return [a.name, ...a.aliases];
}

/** Row of `actor list`. */
export const ActorSummary = z.object({
  id: ActorId,
  name: z.string(),
  aliases: z.array(z.string()),
  motivation: Motivation.nullable(),
  incidents: z.number().int().nonnegative(),
  indicators: z.number().int().nonnegative(),
  techniques: z.number().int().nonnegative(),
  firstSeen: z.string().nullable(),
  lastSeen: z.string().nullable(),
  source: z.string().nullable(),
});
export type ActorSummary = z.infer<typeof ActorSummary>;

/** A technique of an actor: seen in attributed incidents (count), declared by a source, or both. */
export const ActorTechnique = z.object({
  id: z.string(),
  name: z.string().nullable(),
  incidents: z.number().int().nonnegative(),
  declared: z.boolean(),
  source: z.string().nullable(),
});
export type ActorTechnique = z.infer<typeof ActorTechnique>;

/** One incident attributed to an actor. */
export const ActorIncident = z.object({
  key: z.string(),
  title: z.string(),
  status: z.string(),
  severity: z.string(),
  date: z.string().nullable(),
  confidence: Confidence.nullable(),
});
export type ActorIncident = z.infer<typeof ActorIncident>;

/** `actor show`: the actor with what the register says about it. */
export const ActorDetail = z.object({
  actor: Actor,
  /** IDs of actors merged into this one. */
  mergedFrom: z.array(z.string()),
  incidents: z.array(ActorIncident),
  techniques: z.array(ActorTechnique),
  /** First and last seen: the declared times and the attributed incidents' dates, whichever is wider. */
  firstSeen: z.string().nullable(),
  lastSeen: z.string().nullable(),
});
export type ActorDetail = z.infer<typeof ActorDetail>;

export const ActorAuditAction = z.enum(["create", "update", "import", "merge", "merged", "link", "unlink"]);
export type ActorAuditAction = z.infer<typeof ActorAuditAction>;

export const ActorAuditEntry = z.object({
  id: z.number().int().positive(),
  actorId: ActorId,
  action: ActorAuditAction,
  /** Who made the change (the audit actor of ChangeContext). */
  by: z.string(),
  at: z.string(),
  before: z.unknown().nullable(),
  after: z.unknown().nullable(),
  note: z.string().nullable(),
});
export type ActorAuditEntry = z.infer<typeof ActorAuditEntry>;
