// STIX 2.1 export of the catalog in ATT&CK's data model, and import of third-party ATT&CK bundles
// (STIX 2.0 or 2.1). Pure: no I/O; the CLI reads and writes the files.
//
// Export is deterministic: STIX ids are UUIDv5 of a fixed namespace and a stable key, timestamps
// come from the data, and objects appear in a fixed order, so the same catalog gives the same bytes.
// Catalog fields ATT&CK has no property for (aliases, services, CloudTrail events, data source IDs,
// idNote, provenance) travel as `x_techtrail_*` properties inside a STIX 2.1 property-extension,
// which keeps every object valid under ATT&CK's strict schemas and makes export → import lossless.
import { createHash } from "node:crypto";
import { z } from "zod";
import { type Problem, TechtrailError } from "../core/errors.js";
import { Catalog } from "./catalog.js";
import {
  CATALOG_TECHNIQUE_ID_RE,
  type CatalogData,
  CatalogMeta,
  DataSource,
  IsoDate,
  MITIGATION_ID_RE,
  type Mitigation,
  Reference,
  TACTIC_ID_RE,
  type Tactic,
  Technique,
  type TechniqueInput,
} from "./model.js";

// ---------------------------------------------------------------------------------------------
// Deterministic identifiers

/** Namespace of every techtrail STIX id (UUIDv5). Never change it: ids would all change. */
export const TECHTRAIL_STIX_NAMESPACE = "bb8b27ab-7a13-4b62-ade7-166f57613336";
/** ATT&CK spec version the export follows (ATT&CK 18). */
export const ATTACK_SPEC_VERSION = "3.3.0";
/** Date used for objects that carry no date of their own (identity, marking, extension definition). */
const EPOCH = "2026-01-01T00:00:00.000Z";

/** RFC 9562 UUIDv5 (SHA-1 of namespace bytes + name bytes). */
export function uuidv5(name: string, namespace: string = TECHTRAIL_STIX_NAMESPACE): string {
  const ns = Buffer.from(namespace.replace(/-/g, ""), "hex");
  if (ns.length !== 16) throw new TechtrailError("INTERNAL", `bad UUID namespace ${namespace}`);
  const hash = createHash("sha1").update(ns).update(name, "utf8").digest();
  const b = hash.subarray(0, 16);
  b[6] = ((b[6] ?? 0) & 0x0f) | 0x50;
  b[8] = ((b[8] ?? 0) & 0x3f) | 0x80;
  const h = b.toString("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

const stixId = (type: string, key: string) => `${type}--${uuidv5(key)}`;
export const TECHTRAIL_IDENTITY_ID = stixId("identity", "identity:techtrail");
export const TECHTRAIL_MARKING_ID = stixId("marking-definition", "marking-definition:techtrail");
/** The extension-definition whose property-extension carries the `x_techtrail_*` properties. */
export const TECHTRAIL_EXTENSION_ID = stixId("extension-definition", "extension-definition:techtrail-catalog/1");

// ---------------------------------------------------------------------------------------------
// Schemas: the parts of STIX / ATT&CK objects techtrail reads (loose: other properties are kept
// by the producer and ignored here) and the techtrail extension.

const STIX_ID_RE = /^[a-z0-9-]+--[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const StixId = z.string().regex(STIX_ID_RE, "expected a STIX id like attack-pattern--<uuid>");
export const StixTimestamp = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/, "expected a STIX timestamp like 2025-04-15T19:58:01.218Z")
  .refine((s) => !Number.isNaN(Date.parse(s)), "not a real date");

export const StixExternalReference = z.looseObject({
  source_name: z.string().min(1),
  external_id: z.string().optional(),
  url: z.string().optional(),
  description: z.string().optional(),
});
export type StixExternalReference = z.infer<typeof StixExternalReference>;

export const StixKillChainPhase = z.looseObject({
  kill_chain_name: z.string().min(1),
  phase_name: z.string().min(1),
});

/** Every STIX object: `type` and `id` (and whatever else its type defines). */
export const StixObject = z.looseObject({
  type: z.string().min(1, "type is required"),
  id: StixId,
});
export type StixObject = z.infer<typeof StixObject>;

export const StixBundle = z.looseObject({
  type: z.literal("bundle"),
  id: StixId,
  spec_version: z.enum(["2.0", "2.1"]).optional(),
  objects: z.array(z.unknown()).min(1, "a bundle without objects"),
});
export type StixBundle = { type: "bundle"; id: string; spec_version?: "2.0" | "2.1"; objects: StixObject[] };

const StixCommon = z.looseObject({
  id: StixId,
  spec_version: z.enum(["2.0", "2.1"]).optional(),
  created: StixTimestamp,
  modified: StixTimestamp,
  created_by_ref: StixId.optional(),
  revoked: z.boolean().optional(),
  x_mitre_deprecated: z.boolean().optional(),
  x_mitre_domains: z.array(z.string()).optional(),
  x_mitre_version: z.string().optional(),
  external_references: z.array(StixExternalReference).optional(),
  extensions: z.record(z.string(), z.unknown()).optional(),
});

/** Lengths a catalog can use: longer texts in an imported bundle are refused, naming the object. */
export const STIX_LIMITS = { name: 200, description: 20_000, alias: 200 } as const;
const StixName = z.string().min(1).max(STIX_LIMITS.name, `name longer than ${STIX_LIMITS.name} characters`);
const StixText = z
  .string()
  .max(STIX_LIMITS.description, `text longer than ${STIX_LIMITS.description.toLocaleString("en-US")} characters`);

export const StixAttackPattern = StixCommon.extend({
  type: z.literal("attack-pattern"),
  name: StixName,
  description: StixText.optional(),
  kill_chain_phases: z.array(StixKillChainPhase).optional(),
  x_mitre_is_subtechnique: z.boolean().optional(),
  x_mitre_platforms: z.array(z.string().min(1)).optional(),
  x_mitre_detection: StixText.optional(),
  x_mitre_data_sources: z.array(z.string()).optional(),
  x_mitre_aliases: z
    .array(z.string().max(STIX_LIMITS.alias, `alias longer than ${STIX_LIMITS.alias} characters`))
    .optional(),
});
export type StixAttackPattern = z.infer<typeof StixAttackPattern>;

export const StixTactic = StixCommon.extend({
  type: z.literal("x-mitre-tactic"),
  name: StixName,
  description: StixText.optional(),
  x_mitre_shortname: z.string().min(1),
});
export type StixTactic = z.infer<typeof StixTactic>;

export const StixCourseOfAction = StixCommon.extend({
  type: z.literal("course-of-action"),
  name: StixName,
  description: StixText.optional(),
});

export const StixRelationship = StixCommon.extend({
  type: z.literal("relationship"),
  relationship_type: z.string().min(1),
  source_ref: StixId,
  target_ref: StixId,
  description: z.string().optional(),
});
export type StixRelationship = z.infer<typeof StixRelationship>;

export const StixMatrix = StixCommon.extend({
  type: z.literal("x-mitre-matrix"),
  name: z.string().min(1),
  tactic_refs: z.array(StixId),
});

export const StixCollection = StixCommon.extend({
  type: z.literal("x-mitre-collection"),
  name: z.string().min(1),
  description: z.string().optional(),
});

/** Catalog fields ATT&CK has no property for, on an attack-pattern. */
export const TechtrailTechniqueExtension = z.looseObject({
  extension_type: z.literal("property-extension").optional(),
  x_techtrail_aliases: z.array(z.string().min(1)).optional(),
  x_techtrail_services: z.array(z.string()).optional(),
  x_techtrail_events: z.array(z.string()).optional(),
  x_techtrail_data_sources: z.array(z.string()).optional(),
  x_techtrail_id_note: z.string().optional(),
  x_techtrail_provenance: z.string().optional(),
});
export type TechtrailTechniqueExtension = z.infer<typeof TechtrailTechniqueExtension>;

/** Catalog-level data on the x-mitre-collection: metadata and the data-source definitions. */
export const TechtrailCollectionExtension = z.looseObject({
  extension_type: z.literal("property-extension").optional(),
  x_techtrail_catalog: CatalogMeta.extend({ released: IsoDate.optional() }).optional(),
  x_techtrail_data_sources: z.array(DataSource).optional(),
});

const PARSERS: Record<string, z.ZodType> = {
  "attack-pattern": StixAttackPattern,
  "x-mitre-tactic": StixTactic,
  "course-of-action": StixCourseOfAction,
  relationship: StixRelationship,
  "x-mitre-matrix": StixMatrix,
  "x-mitre-collection": StixCollection,
};

// ---------------------------------------------------------------------------------------------
// Import report

export const ImportConflict = z.object({
  kind: z.enum(["tactic", "technique", "mitigation", "dataSource"]),
  id: z.string(),
  /** Fields whose imported value differs from the catalog's (the catalog's value is kept). */
  fields: z.array(z.string()),
});
export type ImportConflict = z.infer<typeof ImportConflict>;

export const ImportSkip = z.object({
  type: z.string(),
  stixId: z.string(),
  externalId: z.string().optional(),
  reason: z.string(),
});
export type ImportSkip = z.infer<typeof ImportSkip>;

export const ImportReport = z.object({
  source: z.string(),
  file: z.string().optional(),
  specVersion: z.enum(["2.0", "2.1"]),
  collection: z.object({ name: z.string(), version: z.string().optional() }).optional(),
  objects: z.number().int(),
  added: z.object({
    tactics: z.array(z.string()),
    techniques: z.array(z.string()),
    mitigations: z.array(z.string()),
    dataSources: z.array(z.string()),
  }),
  /** Imported techniques that are revoked (kept, with their replacement) or deprecated. */
  revoked: z.array(z.string()),
  deprecated: z.array(z.string()),
  /** Objects whose ID the catalog already has with identical content. */
  unchanged: z.number().int(),
  conflicts: z.array(ImportConflict),
  /** Added tactics whose short name was taken by another tactic (kill chains stay unambiguous). */
  renamed: z.array(z.object({ id: z.string(), from: z.string(), to: z.string() })),
  skipped: z.array(ImportSkip),
  /** Objects of types techtrail does not import (groups, software, data components...), by type. */
  ignoredTypes: z.record(z.string(), z.number().int()),
});
export type ImportReport = z.infer<typeof ImportReport>;

// ---------------------------------------------------------------------------------------------
// Export

const ATTACK_TECHNIQUE_RE = /^T\d{4}(\.\d{3})?$/;
const stixTime = (date: string) => `${date}T00:00:00.000Z`;

/** Catalog version → ATT&CK `x_mitre_version` ("M.N", each 0-99): 2026.11 → "26.11". */
export function collectionVersion(version: string): string {
  const m = /^(\d{4})\.(\d{2})/.exec(version);
  const yy = m ? Number(m[1]) - 2000 : -1;
  return m && yy >= 0 && yy <= 99 ? `${yy}.${Number(m[2])}` : "1.0";
}

function techniqueUrl(id: string): string | undefined {
  if (!ATTACK_TECHNIQUE_RE.test(id)) return undefined;
  return `https://attack.mitre.org/techniques/${id.replace(".", "/")}/`;
}

function toExternalReference(r: Reference): StixExternalReference {
  return {
    source_name: r.source,
    ...(r.externalId !== undefined ? { external_id: r.externalId } : {}),
    ...(r.url !== undefined ? { url: r.url } : {}),
    ...(r.description !== undefined ? { description: r.description } : {}),
  };
}

/** ATT&CK-style data source string "Source: Component" (ATT&CK allows exactly one colon). */
function attackDataSource(ds: DataSource, all: readonly DataSource[]): string {
  const clean = (s: string) => s.replace(/:/g, " -");
  const umbrella = ds.requires ? all.find((d) => d.id === ds.requires)?.name : undefined;
  return `${clean(umbrella ?? "AWS")}: ${clean(ds.name)}`;
}

function nonEmpty<T>(key: string, list: readonly T[]): Record<string, T[]> {
  return list.length > 0 ? { [key]: [...list] } : {};
}

/** The properties every techtrail STIX object starts with. */
function stixCommon(type: string, key: string, created: string, modified: string) {
  return {
    type,
    spec_version: "2.1",
    id: stixId(type, key),
    created,
    modified,
    created_by_ref: TECHTRAIL_IDENTITY_ID,
  };
}
const ATTACK_COMMON = {
  object_marking_refs: [TECHTRAIL_MARKING_ID],
  x_mitre_attack_spec_version: ATTACK_SPEC_VERSION,
};
const DOMAINS = { x_mitre_domains: ["enterprise-attack"] };
/** techtrail's own properties, as a property-extension. */
function techtrailExt(props: Record<string, unknown>) {
  return { extensions: { [TECHTRAIL_EXTENSION_ID]: { extension_type: "property-extension", ...props } } };
}
const techKey = (id: string) => `technique:${id}`;

/** created/modified of the catalog-level objects (matrix, tactics, mitigations, collection). */
interface CatalogTimes {
  created: string;
  modified: string;
}

/** Tactic short names name kill chain phases: two tactics must not share one. */
function checkShortnames(catalog: Catalog): void {
  const shortnames = new Map<string, string>();
  for (const t of catalog.tactics) {
    const other = shortnames.get(t.shortname);
    if (other)
      throw new TechtrailError(
        "VALIDATION",
        `tactics ${other} and ${t.id} share the short name ${t.shortname}: kill_chain_phases would be ambiguous`,
        { problems: [{ field: "tactics", message: `duplicate short name ${t.shortname}` }] },
      );
    shortnames.set(t.shortname, t.id);
  }
}

/** Created: the oldest technique; modified: the release date, else the newest technique change. */
function catalogTimes(catalog: Catalog): CatalogTimes {
  const techniques = catalog.techniques;
  const created = techniques.reduce<string | undefined>(
    (m, t) => (m === undefined || t.created < m ? t.created : m),
    undefined,
  );
  const latest = techniques.reduce<string | undefined>(
    (m, t) => (m === undefined || t.modified > m ? t.modified : m),
    undefined,
  );
  const catCreated = created ? stixTime(created) : EPOCH;
  let catModified = catalog.data.released ? stixTime(catalog.data.released) : latest ? stixTime(latest) : EPOCH;
  if (catModified < catCreated) catModified = catCreated;
  return { created: catCreated, modified: catModified };
}

/** The identity, marking and extension definition every export carries (the same in every catalog). */
function fixedObjects(): StixObject[] {
  const identity: StixObject = {
    ...stixCommon("identity", "identity:techtrail", EPOCH, EPOCH),
    name: "techtrail",
    description:
      "The techtrail project: open-source incident-response toolkit for AWS and its threat-technique catalog.",
    identity_class: "organization",
    ...ATTACK_COMMON,
  };
  const marking: StixObject = {
    type: "marking-definition",
    spec_version: "2.1",
    id: TECHTRAIL_MARKING_ID,
    created: EPOCH,
    created_by_ref: TECHTRAIL_IDENTITY_ID,
    definition_type: "statement",
    definition: {
      statement:
        "Copyright techtrail contributors. Licensed under the Apache License 2.0. IDs of the form T#### and T####.### and M#### are MITRE ATT&CK IDs; MITRE ATT&CK and ATT&CK are registered trademarks of The MITRE Corporation.",
    },
  };
  const extensionDefinition: StixObject = {
    ...stixCommon("extension-definition", "extension-definition:techtrail-catalog/1", EPOCH, EPOCH),
    name: "techtrail catalog properties",
    description:
      "Catalog fields that ATT&CK has no property for, carried as a property-extension on attack-pattern and x-mitre-collection objects.",
    schema:
      "attack-pattern: x_techtrail_aliases, x_techtrail_services, x_techtrail_events (service:Action), x_techtrail_data_sources (data source IDs), x_techtrail_id_note, x_techtrail_provenance (strings or lists of strings). x-mitre-collection: x_techtrail_catalog {name, version, description, released}, x_techtrail_data_sources [{id, name, description, requires}].",
    version: "1.0.0",
    extension_types: ["property-extension"],
    object_marking_refs: [TECHTRAIL_MARKING_ID],
  };
  return [identity, marking, extensionDefinition];
}

function tacticObject(t: Tactic, times: CatalogTimes): StixObject {
  return {
    ...stixCommon("x-mitre-tactic", `tactic:${t.id}`, times.created, times.modified),
    name: t.name,
    description: t.description,
    external_references: [
      { source_name: "mitre-attack", external_id: t.id, url: `https://attack.mitre.org/tactics/${t.id}/` },
    ],
    x_mitre_shortname: t.shortname,
    x_mitre_version: "1.0",
    ...DOMAINS,
    ...ATTACK_COMMON,
  };
}

function matrixObject(catalog: Catalog, times: CatalogTimes): StixObject {
  const meta = catalog.meta;
  return {
    ...stixCommon("x-mitre-matrix", `matrix:${meta.name}`, times.created, times.modified),
    name: meta.name,
    description: meta.description,
    external_references: [{ source_name: "mitre-attack", external_id: "techtrail-aws" }],
    tactic_refs: catalog.tactics.map((t) => stixId("x-mitre-tactic", `tactic:${t.id}`)),
    x_mitre_version: collectionVersion(meta.version),
    ...DOMAINS,
    ...ATTACK_COMMON,
  };
}

/** A technique as an attack-pattern, with techtrail's extra fields in the extension. */
function attackPatternObject(catalog: Catalog, t: Technique): StixObject {
  const detection = t.detection.trim() === "" ? {} : { x_mitre_detection: t.detection };
  const dataSources = t.dataSources
    .map((id) => catalog.dataSources.find((d) => d.id === id))
    .filter((d): d is DataSource => d !== undefined)
    .map((d) => attackDataSource(d, catalog.dataSources));
  const url = techniqueUrl(t.id);
  return {
    ...stixCommon("attack-pattern", techKey(t.id), stixTime(t.created), stixTime(t.modified)),
    name: t.name,
    description: t.description,
    kill_chain_phases: t.tactics.map((id) => ({
      kill_chain_name: "mitre-attack",
      phase_name: catalog.tactic(id)?.shortname ?? id,
    })),
    // ATT&CK tools read the ID from the first reference, whose source_name must be mitre-attack.
    external_references: [
      { source_name: "mitre-attack", external_id: t.id, ...(url ? { url } : {}) },
      ...t.references.map(toExternalReference),
    ],
    x_mitre_is_subtechnique: t.parent !== undefined,
    ...nonEmpty("x_mitre_platforms", t.platforms),
    ...detection,
    ...nonEmpty("x_mitre_data_sources", [...new Set(dataSources)]),
    x_mitre_version: t.version,
    ...(t.status === "deprecated" ? { x_mitre_deprecated: true } : {}),
    ...(t.status === "revoked" ? { revoked: true } : {}),
    ...DOMAINS,
    ...ATTACK_COMMON,
    ...techtrailExt({
      ...nonEmpty("x_techtrail_aliases", t.aliases),
      ...nonEmpty("x_techtrail_services", t.services),
      ...nonEmpty("x_techtrail_events", t.events),
      ...nonEmpty("x_techtrail_data_sources", t.dataSources),
      ...(t.idNote !== undefined ? { x_techtrail_id_note: t.idNote } : {}),
      ...(t.provenance !== undefined ? { x_techtrail_provenance: t.provenance } : {}),
    }),
  };
}

function mitigationObject(m: Mitigation, times: CatalogTimes): StixObject {
  return {
    ...stixCommon("course-of-action", `mitigation:${m.id}`, times.created, times.modified),
    name: m.name,
    description: m.description,
    external_references: [
      {
        source_name: "mitre-attack",
        external_id: m.id,
        ...(/^M\d{4}$/.test(m.id) ? { url: `https://attack.mitre.org/mitigations/${m.id}/` } : {}),
      },
    ],
    x_mitre_version: "1.0",
    ...DOMAINS,
    ...ATTACK_COMMON,
  };
}

/** subtechnique-of, then mitigates, then revoked-by relationships, each in technique order. */
function relationshipObjects(techniques: readonly Technique[]): StixObject[] {
  const rel = (
    type: string,
    t: Technique,
    src: { key: string; type: string },
    tgt: { key: string; type: string },
    description?: string,
  ): StixObject => ({
    ...stixCommon(
      "relationship",
      `relationship:${src.key}|${type}|${tgt.key}`,
      stixTime(t.created),
      stixTime(t.modified),
    ),
    relationship_type: type,
    ...(description !== undefined ? { description } : {}),
    source_ref: stixId(src.type, src.key),
    target_ref: stixId(tgt.type, tgt.key),
    ...ATTACK_COMMON,
  });
  const pattern = (id: string) => ({ key: techKey(id), type: "attack-pattern" });
  const relationships: StixObject[] = [];
  for (const t of techniques)
    if (t.parent !== undefined) relationships.push(rel("subtechnique-of", t, pattern(t.id), pattern(t.parent)));
  for (const t of techniques)
    for (const m of t.mitigations)
      relationships.push(
        rel("mitigates", t, { key: `mitigation:${m.id}`, type: "course-of-action" }, pattern(t.id), m.how),
      );
  for (const t of techniques)
    if (t.revokedBy !== undefined) relationships.push(rel("revoked-by", t, pattern(t.id), pattern(t.revokedBy)));
  return relationships;
}

/** The collection: lists every other object, and carries the catalog's metadata and data sources. */
function collectionObject(catalog: Catalog, contents: readonly StixObject[], times: CatalogTimes): StixObject {
  const meta = catalog.meta;
  return {
    ...stixCommon("x-mitre-collection", `collection:${meta.name}`, times.created, times.modified),
    name: meta.name,
    description: meta.description,
    x_mitre_version: collectionVersion(meta.version),
    x_mitre_contents: contents.map((o) => ({
      object_ref: o.id,
      object_modified: (o.modified ?? o.created) as string,
    })),
    ...ATTACK_COMMON,
    ...techtrailExt({
      x_techtrail_catalog: { ...meta, ...(catalog.data.released ? { released: catalog.data.released } : {}) },
      ...nonEmpty("x_techtrail_data_sources", catalog.dataSources),
    }),
  };
}

/**
 * The catalog as an ATT&CK-compatible STIX 2.1 bundle. Object order: collection, identity,
 * marking-definition, extension-definition, matrix, tactics (catalog order), techniques (ID order),
 * mitigations (catalog order), then subtechnique-of, mitigates and revoked-by relationships.
 */
export function exportStix(catalog: Catalog): StixBundle {
  checkShortnames(catalog);
  const times = catalogTimes(catalog);
  const contents = [
    ...fixedObjects(),
    matrixObject(catalog, times),
    ...catalog.tactics.map((t) => tacticObject(t, times)),
    ...catalog.techniques.map((t) => attackPatternObject(catalog, t)),
    ...catalog.mitigations.map((m) => mitigationObject(m, times)),
    ...relationshipObjects(catalog.techniques),
  ];
  const objects = [collectionObject(catalog, contents, times), ...contents];
  // Content-addressed bundle id: a different catalog never reuses a bundle id.
  const digest = createHash("sha1").update(JSON.stringify(objects)).digest("hex");
  return { type: "bundle", id: `bundle--${uuidv5(`bundle:${digest}`)}`, objects };
}

/** The bundle as the bytes `catalog export` writes. */
export function serializeStix(bundle: StixBundle): string {
  return `${JSON.stringify(bundle, null, 2)}\n`;
}

// ---------------------------------------------------------------------------------------------
// Import

const ATTACK_SOURCES = new Set(["mitre-attack", "mitre-ics-attack", "mitre-mobile-attack"]);
const DOMAIN_KILL_CHAIN: Record<string, string> = {
  "enterprise-attack": "mitre-attack",
  "mobile-attack": "mitre-mobile-attack",
  "ics-attack": "mitre-ics-attack",
};
const DOMAIN_WORD: Record<string, { prefix: string; label: string }> = {
  "enterprise-attack": { prefix: "enterprise", label: "Enterprise" },
  "mobile-attack": { prefix: "mobile", label: "Mobile" },
  "ics-attack": { prefix: "ics", label: "ICS" },
};

/** The ATT&CK ID of an object: the first external reference from an ATT&CK source with an external_id. */
function attackRef(refs: readonly StixExternalReference[] | undefined): { id: string; index: number } | undefined {
  if (!refs) return undefined;
  const index = refs.findIndex((r) => ATTACK_SOURCES.has(r.source_name) && r.external_id);
  const id = index >= 0 ? refs[index]?.external_id?.trim() : undefined;
  return id ? { id, index } : undefined;
}

/** Parses bundle JSON text; a syntax error names the file. */
export function parseStixJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new TechtrailError("PARSE", `${file} is not valid JSON: ${(e as Error).message}`, {
      problems: [{ source: file, message: (e as Error).message }],
    });
  }
}

interface Parsed {
  specVersion: "2.0" | "2.1";
  objects: StixObject[];
  byId: Map<string, { obj: StixObject; index: number }>;
  typed: Map<string, unknown>;
  /** Superseded versions of objects that appear more than once. */
  olderVersions: Array<{ id: string; type: string; index: number }>;
}

const MAX_PROBLEMS = 50;

/** Validates the bundle envelope, every object's type/id and the object types techtrail reads. */
function validateBundle(json: unknown, file: string): Parsed {
  const fail = (message: string, problems: Problem[]): never => {
    const shown = problems.slice(0, MAX_PROBLEMS);
    if (problems.length > shown.length)
      shown.push({ source: file, message: `... and ${problems.length - shown.length} more problem(s)` });
    throw new TechtrailError("VALIDATION", message, { problems: shown });
  };
  if (json === null || typeof json !== "object" || Array.isArray(json))
    fail(`${file} is not a STIX bundle`, [{ source: file, message: 'expected a JSON object with type "bundle"' }]);
  const env = StixBundle.safeParse(json);
  if (!env.success)
    fail(
      `${file} is not a STIX bundle`,
      env.error.issues.map((i) => ({
        source: file,
        field: i.path.map(String).join(".") || "(bundle)",
        message: i.message,
      })),
    );
  const bundle = env.data as z.infer<typeof StixBundle>;
  const problems: Problem[] = [];
  const objects: StixObject[] = [];
  const byId = new Map<string, { obj: StixObject; index: number }>();
  const typed = new Map<string, unknown>();
  const olderVersions: Array<{ id: string; type: string; index: number }> = [];
  bundle.objects.forEach((raw, index) => {
    const head = StixObject.safeParse(raw);
    if (!head.success) {
      const id = (raw as { id?: unknown } | null)?.id;
      for (const i of head.error.issues)
        problems.push({
          source: file,
          field: [`objects.${index}`, ...i.path.map(String)].join("."),
          message: `${typeof id === "string" ? `${id}: ` : ""}${raw === null || typeof raw !== "object" ? "not an object" : i.message}`,
        });
      return;
    }
    const obj = head.data;
    const prev = byId.get(obj.id);
    if (prev) {
      // STIX lets a bundle carry several versions of one object: the newest `modified` wins.
      const mod = (o: StixObject) => (typeof o.modified === "string" ? o.modified : "");
      if (mod(obj) === mod(prev.obj)) {
        problems.push({
          source: file,
          field: `objects.${index}.id`,
          message: `${obj.id}: duplicate id with the same modified time (also objects.${prev.index})`,
        });
        return;
      }
      const [older, newer] = mod(obj) > mod(prev.obj) ? [prev, { obj, index }] : [{ obj, index }, prev];
      olderVersions.push({ id: obj.id, type: obj.type, index: older.index });
      if (newer.obj === prev.obj) return;
      objects[objects.indexOf(prev.obj)] = obj;
      typed.delete(obj.id);
    }
    byId.set(obj.id, { obj, index });
    if (!prev) objects.push(obj);
    if (!obj.id.startsWith(`${obj.type}--`))
      problems.push({
        source: file,
        field: `objects.${index}.id`,
        message: `${obj.id}: id does not start with ${obj.type}--`,
      });
    const parser = PARSERS[obj.type];
    if (!parser) return;
    const res = parser.safeParse(obj);
    if (!res.success) {
      for (const i of res.error.issues)
        problems.push({
          source: file,
          field: [`objects.${index}`, ...i.path.map(String)].join("."),
          message: `${obj.id}: ${i.message}`,
        });
      return;
    }
    typed.set(obj.id, res.data);
  });
  if (problems.length > 0)
    fail(`${file}: invalid STIX bundle (${problems.length} problem(s)); nothing was imported`, problems);
  if (!objects.some((o) => o.type === "attack-pattern"))
    fail(`${file} is not an ATT&CK bundle: it has no attack-pattern objects`, [
      { source: file, field: "objects", message: "no attack-pattern objects" },
    ]);
  const specVersion =
    bundle.spec_version ??
    (objects.every((o) => (o as { spec_version?: unknown }).spec_version === undefined) ? "2.0" : "2.1");
  return { specVersion, objects, byId, typed, olderVersions };
}

/** Reads the techtrail extension of an object (also accepting the properties at top level). */
function techtrailProps(obj: Record<string, unknown>): Record<string, unknown> {
  const top = Object.fromEntries(Object.entries(obj).filter(([k]) => k.startsWith("x_techtrail_")));
  const inExt = (obj.extensions as Record<string, unknown> | undefined)?.[TECHTRAIL_EXTENSION_ID];
  return { ...top, ...(inExt && typeof inExt === "object" ? (inExt as Record<string, unknown>) : {}) };
}

function dateOf(ts: string): string {
  return ts.slice(0, 10);
}

/** Field names whose values differ, among `fields`. */
function differingFields<T extends object>(ours: T, theirs: T, fields: ReadonlyArray<keyof T>): string[] {
  const norm = (v: unknown) => JSON.stringify(v ?? null);
  return fields.filter((f) => norm(ours[f]) !== norm(theirs[f])).map(String);
}

/** Where a technique field comes from in an attack-pattern, so errors point into the bundle. */
const BUNDLE_FIELD: Record<string, string[]> = {
  tactics: ["kill_chain_phases"],
  platforms: ["x_mitre_platforms"],
  detection: ["x_mitre_detection"],
  version: ["x_mitre_version"],
  references: ["external_references"],
  aliases: ["extensions", TECHTRAIL_EXTENSION_ID, "x_techtrail_aliases"],
  services: ["extensions", TECHTRAIL_EXTENSION_ID, "x_techtrail_services"],
  events: ["extensions", TECHTRAIL_EXTENSION_ID, "x_techtrail_events"],
  dataSources: ["extensions", TECHTRAIL_EXTENSION_ID, "x_techtrail_data_sources"],
  idNote: ["extensions", TECHTRAIL_EXTENSION_ID, "x_techtrail_id_note"],
};
function bundlePath(path: ReadonlyArray<PropertyKey>): string[] {
  const [head, ...rest] = path.map(String);
  return [...(BUNDLE_FIELD[head ?? ""] ?? (head !== undefined ? [head] : [])), ...rest];
}

interface MergeOptions {
  source: string;
  file: string;
  /** Stamp `provenance: source` on imported techniques that carry none (merge), or not (read as a catalog). */
  stamp: boolean;
}

/** State shared by the steps of one merge: the validated bundle, the report being built, the problems found. */
interface MergeContext {
  p: Parsed;
  file: string;
  source: string;
  stamp: boolean;
  report: ImportReport;
  problems: Problem[];
}

/** The bundle's objects of one type, typed, with their index in `objects`. */
function objectsOf<T>(ctx: MergeContext, type: string): Array<{ obj: T; index: number }> {
  return ctx.p.objects
    .filter((o) => o.type === type)
    .map((o) => ({ obj: ctx.p.typed.get(o.id) as T, index: ctx.p.byId.get(o.id)?.index ?? -1 }));
}

function skip(ctx: MergeContext, type: string, stixId: string, reason: string, externalId?: string): void {
  ctx.report.skipped.push({ type, stixId, reason, ...(externalId !== undefined ? { externalId } : {}) });
}

/** A techtrail extension that does not parse: one problem per issue, located in the object's extensions. */
function extensionProblems(ctx: MergeContext, index: number, stixId: string, issues: z.core.$ZodIssue[]): void {
  for (const i of issues)
    ctx.problems.push({
      source: ctx.file,
      field: [`objects.${index}.extensions`, ...i.path.map(String)].join("."),
      message: `${stixId}: ${i.message}`,
    });
}

/** The report before merging: object counts, superseded versions and object types techtrail ignores. */
function newImportReport(p: Parsed, source: string): ImportReport {
  const report: ImportReport = {
    source,
    specVersion: p.specVersion,
    objects: p.objects.length,
    added: { tactics: [], techniques: [], mitigations: [], dataSources: [] },
    revoked: [],
    deprecated: [],
    unchanged: 0,
    conflicts: [],
    renamed: [],
    skipped: [],
    ignoredTypes: {},
  };
  for (const v of p.olderVersions)
    report.skipped.push({
      type: v.type,
      stixId: v.id,
      reason: `older version (objects.${v.index}) of an object given twice`,
    });
  for (const o of p.objects)
    if (
      !PARSERS[o.type] &&
      o.type !== "identity" &&
      o.type !== "marking-definition" &&
      o.type !== "extension-definition"
    )
      report.ignoredTypes[o.type] = (report.ignoredTypes[o.type] ?? 0) + 1;
  return report;
}

/** The collection object: its name and version go to the report; its techtrail extension is returned. */
function readCollection(ctx: MergeContext): z.infer<typeof TechtrailCollectionExtension> | undefined {
  const collection = objectsOf<z.infer<typeof StixCollection>>(ctx, "x-mitre-collection")[0];
  if (!collection) return undefined;
  ctx.report.collection = {
    name: collection.obj.name,
    ...(collection.obj.x_mitre_version ? { version: collection.obj.x_mitre_version } : {}),
  };
  const res = TechtrailCollectionExtension.safeParse(techtrailProps(collection.obj));
  if (res.success) return res.data;
  extensionProblems(ctx, collection.index, collection.obj.id, res.error.issues);
  return undefined;
}

/** Data sources (only techtrail bundles define them); ours win. */
function mergeDataSources(
  ctx: MergeContext,
  base: CatalogData,
  ext: z.infer<typeof TechtrailCollectionExtension> | undefined,
): CatalogData["dataSources"] {
  const dataSources = [...base.dataSources];
  for (const ds of ext?.x_techtrail_data_sources ?? []) {
    const ours = dataSources.find((d) => d.id === ds.id);
    if (!ours) {
      dataSources.push(ds);
      ctx.report.added.dataSources.push(ds.id);
      continue;
    }
    const fields = differingFields(ours, ds, ["name", "description", "requires"]);
    if (fields.length) ctx.report.conflicts.push({ kind: "dataSource", id: ds.id, fields });
    else ctx.report.unchanged++;
  }
  return dataSources;
}

type KillChainPhase = { kill_chain_name: string; phase_name: string };

/**
 * Tactics: the bundle's own tactics, in matrix order; ours win on ID clashes. Returns the merged list and
 * the lookup from a technique's kill chain phase to a catalog tactic ID.
 */
function mergeTactics(
  ctx: MergeContext,
  base: CatalogData,
): { tactics: Tactic[]; tacticFor: (kc: KillChainPhase) => string | undefined } {
  const bundleTactics = objectsOf<StixTactic>(ctx, "x-mitre-tactic");
  const tacticOrder: typeof bundleTactics = [];
  for (const m of objectsOf<z.infer<typeof StixMatrix>>(ctx, "x-mitre-matrix"))
    for (const ref of m.obj.tactic_refs) {
      const t = bundleTactics.find((x) => x.obj.id === ref);
      if (t && !tacticOrder.includes(t)) tacticOrder.push(t);
    }
  for (const t of bundleTactics) if (!tacticOrder.includes(t)) tacticOrder.push(t);
  const tactics: Tactic[] = [...base.tactics];
  const tacticIdOf = new Map<string, string>(); // STIX id → catalog tactic ID
  const killChainOf = new Map<string, string>(); // "kill chain:phase" → STIX id
  const phaseOnly = new Map<string, string[]>(); // phase → STIX ids (fallback when kill chain names differ)
  for (const { obj: t, index } of tacticOrder) {
    const ref = attackRef(t.external_references);
    if (!ref || !TACTIC_ID_RE.test(ref.id)) {
      skip(ctx, t.type, t.id, `no ATT&CK tactic ID (TA####) in external_references`, ref?.id);
      continue;
    }
    const domain = t.x_mitre_domains?.[0] ?? "enterprise-attack";
    killChainOf.set(`${DOMAIN_KILL_CHAIN[domain] ?? domain}:${t.x_mitre_shortname}`, t.id);
    phaseOnly.set(t.x_mitre_shortname, [...(phaseOnly.get(t.x_mitre_shortname) ?? []), t.id]);
    const candidate = {
      id: ref.id,
      shortname: t.x_mitre_shortname,
      name: t.name,
      description: t.description?.trim() || t.name,
    };
    const ours = tactics.find((x) => x.id === ref.id);
    if (ours) {
      tacticIdOf.set(t.id, ours.id);
      const fields = differingFields(ours, candidate, ["shortname", "name", "description"]);
      if (fields.length) ctx.report.conflicts.push({ kind: "tactic", id: ours.id, fields });
      else ctx.report.unchanged++;
      continue;
    }
    if (!/^[a-z]+(-[a-z]+)*$/.test(candidate.shortname)) {
      ctx.problems.push({
        source: ctx.file,
        field: `objects.${index}.x_mitre_shortname`,
        message: `${t.id}: expected a kebab-case short name`,
      });
      continue;
    }
    if (tactics.some((x) => x.shortname === candidate.shortname)) {
      // Another domain's tactic of the same name (mobile/ICS "initial-access"): prefix the domain.
      const word = DOMAIN_WORD[domain] ?? { prefix: "imported", label: "imported" };
      const to = [`${word.prefix}-${candidate.shortname}`, `imported-${word.prefix}-${candidate.shortname}`].find(
        (s) => !tactics.some((x) => x.shortname === s),
      );
      if (!to) {
        skip(ctx, t.type, t.id, `short name ${candidate.shortname} is taken`, ref.id);
        continue;
      }
      ctx.report.renamed.push({ id: ref.id, from: candidate.shortname, to });
      candidate.shortname = to;
      if (tactics.some((x) => x.name === candidate.name)) candidate.name = `${candidate.name} (${word.label})`;
    }
    tactics.push(candidate);
    tacticIdOf.set(t.id, ref.id);
    ctx.report.added.tactics.push(ref.id);
  }
  const tacticFor = (kc: KillChainPhase): string | undefined => {
    const exact = killChainOf.get(`${kc.kill_chain_name}:${kc.phase_name}`);
    if (exact) return tacticIdOf.get(exact);
    const loose = phaseOnly.get(kc.phase_name);
    return loose?.length === 1 && loose[0] ? tacticIdOf.get(loose[0]) : undefined;
  };
  return { tactics, tacticFor };
}

/** Mitigations: ATT&CK M#### (and techtrail AM####); ours win. `idOf` maps STIX ids to mitigation IDs. */
function mergeMitigations(
  ctx: MergeContext,
  base: CatalogData,
): { mitigations: Mitigation[]; idOf: Map<string, string> } {
  const mitigations: Mitigation[] = [...base.mitigations];
  const idOf = new Map<string, string>();
  for (const { obj: m } of objectsOf<z.infer<typeof StixCourseOfAction>>(ctx, "course-of-action")) {
    const ref = attackRef(m.external_references);
    if (!ref || !MITIGATION_ID_RE.test(ref.id)) {
      skip(ctx, m.type, m.id, "not an ATT&CK mitigation ID (M####)", ref?.id);
      continue;
    }
    if (m.revoked || m.x_mitre_deprecated) {
      skip(ctx, m.type, m.id, m.revoked ? "revoked mitigation" : "deprecated mitigation", ref.id);
      continue;
    }
    idOf.set(m.id, ref.id);
    const candidate = { id: ref.id, name: m.name, description: m.description?.trim() || m.name };
    const ours = mitigations.find((x) => x.id === ref.id);
    if (ours) {
      const fields = differingFields(ours, candidate, ["name", "description"]);
      if (fields.length) ctx.report.conflicts.push({ kind: "mitigation", id: ours.id, fields });
      else ctx.report.unchanged++;
      continue;
    }
    mitigations.push(candidate);
    ctx.report.added.mitigations.push(ref.id);
  }
  return { mitigations, idOf };
}

/** What the relationships say about techniques, keyed by the attack-pattern's STIX id. */
interface TechniqueRelations {
  revokedBy: Map<string, string>;
  parentOf: Map<string, string>;
  mitigationsOf: Map<string, Array<{ id: string; how: string }>>;
}

/** Reads the relationships the technique mapping needs (revoked-by, subtechnique-of, mitigates). */
function techniqueRelations(
  ctx: MergeContext,
  patterns: ReadonlyArray<{ obj: StixAttackPattern }>,
  mitigations: readonly Mitigation[],
  mitigationIdOf: ReadonlyMap<string, string>,
): TechniqueRelations {
  const techniqueIdOf = new Map<string, string>();
  for (const { obj } of patterns) {
    const ref = attackRef(obj.external_references);
    if (ref && CATALOG_TECHNIQUE_ID_RE.test(ref.id)) techniqueIdOf.set(obj.id, ref.id);
  }
  const rel: TechniqueRelations = { revokedBy: new Map(), parentOf: new Map(), mitigationsOf: new Map() };
  for (const { obj: r } of objectsOf<StixRelationship>(ctx, "relationship")) {
    if (r.revoked || r.x_mitre_deprecated) continue;
    if (r.relationship_type === "revoked-by") {
      const to = techniqueIdOf.get(r.target_ref);
      if (techniqueIdOf.has(r.source_ref) && to) rel.revokedBy.set(r.source_ref, to);
    } else if (r.relationship_type === "subtechnique-of") {
      const to = techniqueIdOf.get(r.target_ref);
      if (to) rel.parentOf.set(r.source_ref, to);
    } else if (r.relationship_type === "mitigates") {
      const mid = mitigationIdOf.get(r.source_ref);
      if (!mid || !techniqueIdOf.has(r.target_ref)) continue;
      const list = rel.mitigationsOf.get(r.target_ref) ?? [];
      const how = r.description?.trim() || mitigations.find((m) => m.id === mid)?.description || mid;
      if (!list.some((x) => x.id === mid)) list.push({ id: mid, how });
      rel.mitigationsOf.set(r.target_ref, list);
    }
  }
  return rel;
}

/** A technique as read from one attack-pattern, before the checks against the catalog. */
interface TechniqueCandidate {
  stixId: string;
  index: number;
  input: TechniqueInput;
  /** The fields the bundle gives (the others are defaults, not compared with ours). */
  provided: Array<keyof Technique>;
}

/** The attack-pattern's references other than its ATT&CK ID; a URL the schema refuses is dropped. */
function otherReferences(ap: StixAttackPattern, attackIndex: number): Reference[] {
  const references: Reference[] = [];
  (ap.external_references ?? []).forEach((r, i) => {
    if (i === attackIndex) return;
    const candidate = {
      source: r.source_name,
      ...(r.url !== undefined ? { url: r.url } : {}),
      ...(r.external_id !== undefined ? { externalId: r.external_id } : {}),
      ...(r.description !== undefined ? { description: r.description } : {}),
    };
    const ok = Reference.safeParse(candidate);
    if (ok.success) references.push(ok.data);
    else {
      const { url: _dropped, ...rest } = candidate;
      if (Reference.safeParse(rest).success) references.push(rest);
    }
  });
  return references;
}

/** The technique fields an attack-pattern and its techtrail extension give. */
function providedFields(ap: StixAttackPattern, x: z.infer<typeof TechtrailTechniqueExtension>): Array<keyof Technique> {
  const provided: Array<keyof Technique> = [
    "name",
    "description",
    "tactics",
    "parent",
    "platforms",
    "mitigations",
    "references",
    "status",
    "revokedBy",
    "version",
    "created",
    "modified",
  ];
  if (ap.x_mitre_detection !== undefined) provided.push("detection");
  if (x.x_techtrail_aliases || ap.x_mitre_aliases) provided.push("aliases");
  if (x.x_techtrail_services) provided.push("services");
  if (x.x_techtrail_events) provided.push("events");
  if (x.x_techtrail_data_sources) provided.push("dataSources");
  if (x.x_techtrail_id_note !== undefined) provided.push("idNote");
  return provided;
}

/** Maps every attack-pattern with a technique ID to a candidate technique (skipping the unusable ones). */
function techniqueCandidates(
  ctx: MergeContext,
  patterns: ReadonlyArray<{ obj: StixAttackPattern; index: number }>,
  rel: TechniqueRelations,
  knownDs: ReadonlySet<string>,
  tacticFor: (kc: KillChainPhase) => string | undefined,
): Map<string, TechniqueCandidate> {
  const candidates = new Map<string, TechniqueCandidate>();
  for (const { obj: ap, index } of patterns) {
    const ref = attackRef(ap.external_references);
    if (!ref) {
      skip(ctx, ap.type, ap.id, "no ATT&CK ID in external_references");
      continue;
    }
    if (!CATALOG_TECHNIQUE_ID_RE.test(ref.id)) {
      skip(ctx, ap.type, ap.id, "ID is not a technique ID (T####, T####.###, T####.A###, AT####)", ref.id);
      continue;
    }
    if (candidates.has(ref.id)) {
      skip(ctx, ap.type, ap.id, `another attack-pattern has ID ${ref.id}`, ref.id);
      continue;
    }
    const extRes = TechtrailTechniqueExtension.safeParse(techtrailProps(ap));
    if (!extRes.success) {
      extensionProblems(ctx, index, ap.id, extRes.error.issues);
      continue;
    }
    const x = extRes.data;
    const status = ap.revoked ? "revoked" : ap.x_mitre_deprecated ? "deprecated" : "active";
    const replacement = rel.revokedBy.get(ap.id);
    if (status === "revoked" && !replacement) {
      skip(ctx, ap.type, ap.id, "revoked, but the bundle has no revoked-by relationship to a technique", ref.id);
      continue;
    }
    const id = ref.id;
    const parent = id.includes(".") ? id.split(".")[0] : undefined;
    if (parent && rel.parentOf.has(ap.id) && rel.parentOf.get(ap.id) !== parent)
      skip(
        ctx,
        "relationship",
        ap.id,
        `subtechnique-of points at ${rel.parentOf.get(ap.id)}; the ID's parent ${parent} is used`,
        id,
      );
    const tactics = [
      ...new Set((ap.kill_chain_phases ?? []).map(tacticFor).filter((t): t is string => t !== undefined)),
    ];
    const dsIds = x.x_techtrail_data_sources ?? [];
    for (const d of dsIds)
      if (!knownDs.has(d)) skip(ctx, "data-source", ap.id, `unknown data source ${d} dropped from ${id}`, id);
    const created = dateOf(ap.created);
    const modifiedRaw = dateOf(ap.modified);
    const aliases = (x.x_techtrail_aliases ?? ap.x_mitre_aliases ?? []).filter((a) => a.trim() !== "" && a !== ap.name);
    const input: TechniqueInput = {
      id,
      name: ap.name,
      description: ap.description?.trim() ? ap.description : `${ap.name} (no description in ${ctx.source}).`,
      tactics,
      ...(parent ? { parent } : {}),
      platforms: ap.x_mitre_platforms ?? [],
      services: x.x_techtrail_services ?? [],
      events: x.x_techtrail_events ?? [],
      dataSources: dsIds.filter((d) => knownDs.has(d)),
      // whitespace-only detection text is no guidance (and ATT&CK schemas reject it on export)
      detection: ap.x_mitre_detection?.trim() ? ap.x_mitre_detection : "",
      mitigations: rel.mitigationsOf.get(ap.id) ?? [],
      aliases,
      references: otherReferences(ap, ref.index),
      status,
      ...(status === "revoked" && replacement ? { revokedBy: replacement } : {}),
      ...(x.x_techtrail_id_note !== undefined ? { idNote: x.x_techtrail_id_note } : {}),
      version: ap.x_mitre_version && /^\d+\.\d+$/.test(ap.x_mitre_version) ? ap.x_mitre_version : "1.0",
      created,
      modified: [created, modifiedRaw].sort()[1] ?? created,
      ...(x.x_techtrail_provenance !== undefined
        ? { provenance: x.x_techtrail_provenance }
        : ctx.stamp
          ? { provenance: ctx.source }
          : {}),
    };
    candidates.set(id, { stixId: ap.id, index, input, provided: providedFields(ap, x) });
  }
  return candidates;
}

/**
 * Tactics of techniques whose kill chain names nothing known: a sub-technique takes its parent's (ATT&CK
 * sub-techniques inherit them), a revoked technique its replacement's.
 */
function inheritTactics(candidates: Map<string, TechniqueCandidate>, baseIds: ReadonlyMap<string, Technique>): void {
  const tacticsOf = (id: string, seen = new Set<string>()): string[] => {
    if (seen.has(id)) return [];
    seen.add(id);
    const ours = baseIds.get(id);
    if (ours) return ours.tactics;
    const c = candidates.get(id);
    if (!c) return [];
    const own = c.input.tactics ?? [];
    if (own.length) return own;
    if (c.input.parent) {
      const t = tacticsOf(c.input.parent, seen);
      if (t.length) return t;
    }
    return c.input.revokedBy ? tacticsOf(c.input.revokedBy, seen) : [];
  };
  const inherited = new Map<string, string[]>();
  for (const [id, c] of candidates) if ((c.input.tactics ?? []).length === 0) inherited.set(id, tacticsOf(id));
  for (const [id, t] of inherited) {
    const c = candidates.get(id);
    if (c) c.input.tactics = t;
  }
}

/**
 * Drops candidates whose tactics, parent or replacement cannot be resolved, repeating, since dropping one can
 * orphan another.
 */
function dropUnresolved(
  ctx: MergeContext,
  candidates: Map<string, TechniqueCandidate>,
  baseIds: ReadonlyMap<string, Technique>,
): void {
  let changed = true;
  while (changed) {
    changed = false;
    for (const [id, c] of candidates) {
      const exists = (x: string) => baseIds.has(x) || candidates.has(x);
      let reason: string | undefined;
      if ((c.input.tactics ?? []).length === 0) reason = "no tactic: kill_chain_phases match no tactic of the bundle";
      else if (c.input.parent && !exists(c.input.parent))
        reason = `parent ${c.input.parent} is neither in the catalog nor in the bundle`;
      else if (c.input.revokedBy && !exists(c.input.revokedBy))
        reason = `replacement ${c.input.revokedBy} was not imported`;
      if (reason) {
        skip(ctx, "attack-pattern", c.stixId, reason, id);
        candidates.delete(id);
        changed = true;
      }
    }
  }
}

/** Techniques: the candidates validated and added; ours win (a difference is a conflict). */
function mergeTechniques(
  ctx: MergeContext,
  base: CatalogData,
  candidates: ReadonlyMap<string, TechniqueCandidate>,
  baseIds: ReadonlyMap<string, Technique>,
): Technique[] {
  const techniques: Technique[] = [...base.techniques];
  for (const [id, c] of candidates) {
    const res = Technique.safeParse(c.input);
    if (!res.success) {
      for (const i of res.error.issues)
        ctx.problems.push({
          source: ctx.file,
          field: [`objects.${c.index}`, ...bundlePath(i.path)].join("."),
          message: `${c.stixId} (${id}): ${i.message}`,
        });
      continue;
    }
    const t = res.data;
    const ours = baseIds.get(id);
    if (ours) {
      const fields = differingFields(ours, t, c.provided);
      if (fields.length) ctx.report.conflicts.push({ kind: "technique", id, fields });
      else ctx.report.unchanged++;
      continue;
    }
    techniques.push(t);
    ctx.report.added.techniques.push(id);
    if (t.status === "revoked") ctx.report.revoked.push(id);
    if (t.status === "deprecated") ctx.report.deprecated.push(id);
  }
  return techniques;
}

/**
 * Merges an ATT&CK/techtrail STIX bundle into `base`: what the catalog lacks is added, what it has wins (a
 * difference is reported as a conflict), unusable objects are skipped with a reason. Any problem in the bundle
 * rejects the whole import.
 */
function mergeBundle(
  base: CatalogData,
  json: unknown,
  opts: MergeOptions,
): { data: CatalogData; report: ImportReport } {
  const p = validateBundle(json, opts.file);
  const ctx: MergeContext = { ...opts, p, report: newImportReport(p, opts.source), problems: [] };
  const dataSources = mergeDataSources(ctx, base, readCollection(ctx));
  const { tactics, tacticFor } = mergeTactics(ctx, base);
  const { mitigations, idOf: mitigationIdOf } = mergeMitigations(ctx, base);
  const patterns = objectsOf<StixAttackPattern>(ctx, "attack-pattern");
  const rel = techniqueRelations(ctx, patterns, mitigations, mitigationIdOf);
  const knownDs = new Set(dataSources.map((d) => d.id));
  const candidates = techniqueCandidates(ctx, patterns, rel, knownDs, tacticFor);
  const baseIds = new Map(base.techniques.map((t) => [t.id, t]));
  inheritTactics(candidates, baseIds);
  dropUnresolved(ctx, candidates, baseIds);
  const techniques = mergeTechniques(ctx, base, candidates, baseIds);
  if (ctx.problems.length > 0)
    throw new TechtrailError(
      "VALIDATION",
      `${opts.file}: cannot import (${ctx.problems.length} problem(s)); nothing was imported`,
      {
        problems: ctx.problems.slice(0, MAX_PROBLEMS),
      },
    );
  return { data: { ...base, tactics, dataSources, mitigations, techniques }, report: ctx.report };
}

function buildCatalog(data: CatalogData, file: string): Catalog {
  try {
    return new Catalog(data);
  } catch (e) {
    if (e instanceof TechtrailError)
      throw new TechtrailError(
        "VALIDATION",
        `${file}: the merged catalog would be inconsistent; nothing was imported`,
        {
          problems: e.problems.map((p) => ({ ...p, source: p.source ?? file })),
        },
      );
    throw e;
  }
}

/**
 * Merges a third-party ATT&CK-format bundle (STIX 2.0 or 2.1) into a copy of `catalog`. The
 * catalog's own tactics, techniques, mitigations and data sources win on every ID clash; each
 * differing field is reported as a conflict. Imported techniques get `provenance: source` unless
 * the bundle records one. Throws a TechtrailError naming file, object and field when the bundle is
 * broken; the input catalog is never modified.
 */
export function importStix(
  catalog: Catalog,
  bundleJson: unknown,
  opts: { source: string; file?: string },
): { catalog: Catalog; report: ImportReport } {
  if (opts.source.trim() === "") throw new TechtrailError("VALIDATION", "import needs a source name (--source NAME)");
  const file = opts.file ?? opts.source;
  const { data, report } = mergeBundle(catalog.data, bundleJson, { source: opts.source, file, stamp: true });
  if (opts.file !== undefined) report.file = opts.file;
  return { catalog: buildCatalog(data, file), report };
}

/**
 * Reads a bundle as a catalog of its own (for `catalog diff` against a bundle): metadata and data
 * sources from a techtrail export's collection, provenance only where the bundle records it.
 */
export function stixToCatalog(bundleJson: unknown, opts: { file?: string } = {}): Catalog {
  const file = opts.file ?? "bundle";
  const parsed = validateBundle(bundleJson, file);
  const coll = parsed.objects.find((o) => o.type === "x-mitre-collection") as
    | z.infer<typeof StixCollection>
    | undefined;
  const ext = coll ? TechtrailCollectionExtension.safeParse(techtrailProps(coll)) : undefined;
  const metaExt = ext?.success ? ext.data.x_techtrail_catalog : undefined;
  // Without techtrail metadata the version is the month of the newest object (YYYY.MM).
  const newest = parsed.objects.reduce((m, o) => {
    const mod = (o as { modified?: unknown }).modified;
    return typeof mod === "string" && mod > m ? mod : m;
  }, "1970-01");
  const month = (coll?.modified ?? newest).slice(0, 7).replace("-", ".");
  const base: CatalogData = {
    meta: metaExt
      ? { name: metaExt.name, version: metaExt.version, description: metaExt.description }
      : { name: coll?.name ?? file, version: month, description: coll?.description?.trim() || `STIX bundle ${file}` },
    ...(metaExt?.released ? { released: metaExt.released } : {}),
    tactics: [],
    dataSources: [],
    mitigations: [],
    techniques: [],
  };
  const { data } = mergeBundle(base, bundleJson, { source: coll?.name ?? file, file, stamp: false });
  return buildCatalog(data, file);
}

/** The import report as text lines for a terminal. */
export function formatImportReport(r: ImportReport): string {
  const lines: string[] = [];
  const list = (ids: string[]) =>
    ids.length > 12 ? `${ids.slice(0, 12).join(", ")}, ... (${ids.length})` : ids.join(", ");
  lines.push(
    `${r.file ?? r.source}: STIX ${r.specVersion}, ${r.objects} objects${r.collection ? ` (${r.collection.name}${r.collection.version ? ` ${r.collection.version}` : ""})` : ""}`,
  );
  lines.push(
    `added: ${r.added.techniques.length} techniques (${r.revoked.length} revoked, ${r.deprecated.length} deprecated), ${r.added.tactics.length} tactics, ${r.added.mitigations.length} mitigations, ${r.added.dataSources.length} data sources`,
  );
  if (r.added.tactics.length) lines.push(`  tactics: ${list(r.added.tactics)}`);
  if (r.added.techniques.length) lines.push(`  techniques: ${list(r.added.techniques)}`);
  lines.push(
    `unchanged: ${r.unchanged}   conflicts (catalog kept): ${r.conflicts.length}   skipped: ${r.skipped.length}`,
  );
  for (const c of r.conflicts) lines.push(`  conflict ${c.kind} ${c.id}: ${c.fields.join(", ")}`);
  for (const x of r.renamed) lines.push(`  renamed tactic ${x.id}: short name ${x.from} → ${x.to}`);
  for (const s of r.skipped) lines.push(`  skipped ${s.type} ${s.externalId ?? s.stixId}: ${s.reason}`);
  const ignored = Object.entries(r.ignoredTypes);
  if (ignored.length) lines.push(`not imported (types): ${ignored.map(([t, n]) => `${t} ${n}`).join(", ")}`);
  return lines.join("\n");
}
