// Catalog data model: one zod schema per type, with inferred TypeScript types.
// Files on disk (catalog/*.yaml), release files and STIX imports are all validated against these.
import { z } from "zod";

/** Catalog IDs: ATT&CK `T1234`/`T1234.001`, AWS sub-technique `T1234.A001`, AWS-only `AT1234`/`AT1234.001`. */
export const CATALOG_TECHNIQUE_ID_RE = /^A?T\d{4}(\.(\d{3}|A\d{3}))?$/;
/** An overlay's namespace (often the team's ticket prefix): `ACME`, `SEC`, `IR2`. */
export const OVERLAY_NAMESPACE_RE = /^(?!A?T\d{4})[A-Z][A-Z0-9]{1,11}$/;
/**
 * Overlay IDs (docs/catalog-overlays.md): `NS-123` (a team technique, e.g. `ACME-0001` or a ticket key `SEC-1234`),
 * `NS-123.001` (its sub-technique) and `T1078.NS-123` (a team sub-technique of a catalog technique). Every
 * overlay ID holds a `-`, which no catalog ID can, so the two can never collide.
 */
export const OVERLAY_TECHNIQUE_ID_RE =
  /^(?:(?!A?T\d{4})[A-Z][A-Z0-9]{1,11}-\d{1,6}(?:\.\d{3})?|A?T\d{4}\.(?!A?T\d{4})[A-Z][A-Z0-9]{1,11}-\d{1,6})$/;
/** Any technique ID: a catalog ID or an overlay ID. */
export const TECHNIQUE_ID_RE = new RegExp(`${CATALOG_TECHNIQUE_ID_RE.source}|${OVERLAY_TECHNIQUE_ID_RE.source}`);
export const TACTIC_ID_RE = /^TA\d{4}$/;
/** ATT&CK mitigation `M1032` or project mitigation `AM0001`. */
export const MITIGATION_ID_RE = /^A?M\d{4}$/;
/** CloudTrail event written `service:Action`, service being the eventSource prefix (iam, s3, ec2, ...). */
export const EVENT_RE = /^[a-z0-9-]+:[A-Za-z0-9]+$/;
const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;
/** Catalog release versions: `2026.11` or `2026.11.1`. */
export const CATALOG_VERSION_RE = /^\d{4}\.\d{2}(\.\d+)?$/;

export const TechniqueId = z
  .string()
  .regex(
    TECHNIQUE_ID_RE,
    "expected a technique ID like T1078, T1078.004, T1078.A001, AT1023, AT1023.001, or an overlay ID like ACME-0001 or T1078.ACME-1",
  );
export const TacticId = z.string().regex(TACTIC_ID_RE, "expected a tactic ID like TA0005");
export const MitigationId = z.string().regex(MITIGATION_ID_RE, "expected a mitigation ID like M1032 or AM0001");
export const EventName = z
  .string()
  .regex(EVENT_RE, "expected a CloudTrail event written service:Action, e.g. iam:CreateAccessKey");
export const IsoDate = z.string().regex(DATE_RE, "expected a date YYYY-MM-DD");
export const CatalogVersion = z.string().regex(CATALOG_VERSION_RE, "expected a catalog version like 2026.11");

export const Tactic = z.strictObject({
  id: TacticId,
  /** ATT&CK `x_mitre_shortname`, e.g. `defense-evasion`. */
  shortname: z.string().regex(/^[a-z]+(-[a-z]+)*$/, "expected a kebab-case short name"),
  name: z.string().min(1),
  description: z.string().min(1),
});
export type Tactic = z.infer<typeof Tactic>;

export const DataSource = z.strictObject({
  id: z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, "expected a kebab-case data source ID"),
  name: z.string().min(1),
  description: z.string().min(1),
  /** Umbrella source that must also be on for this one to work (e.g. a GuardDuty protection plan needs GuardDuty). */
  requires: z.string().optional(),
});
export type DataSource = z.infer<typeof DataSource>;

export const Mitigation = z.strictObject({
  id: MitigationId,
  name: z.string().min(1),
  description: z.string().min(1),
});
export type Mitigation = z.infer<typeof Mitigation>;

export const Reference = z.strictObject({
  source: z.string().min(1),
  url: z.url().optional(),
  externalId: z.string().optional(),
  description: z.string().optional(),
});
export type Reference = z.infer<typeof Reference>;

export const TechniqueMitigation = z.strictObject({
  id: MitigationId,
  /** How this mitigation applies to this technique specifically. */
  how: z.string().min(1),
});
export type TechniqueMitigation = z.infer<typeof TechniqueMitigation>;

export const TechniqueStatus = z.enum(["active", "deprecated", "revoked"]);
export type TechniqueStatus = z.infer<typeof TechniqueStatus>;

export const Technique = z
  .strictObject({
    id: TechniqueId,
    name: z.string().min(1),
    description: z.string().min(1),
    tactics: z.array(TacticId).min(1, "a technique belongs to at least one tactic"),
    parent: TechniqueId.optional(),
    platforms: z.array(z.string().min(1)).default(["IaaS"]),
    services: z.array(z.string().regex(/^[a-z0-9-]+$/, "expected an AWS service prefix like iam or s3")).default([]),
    events: z.array(EventName).default([]),
    dataSources: z.array(z.string()).default([]),
    detection: z.string().default(""),
    mitigations: z.array(TechniqueMitigation).default([]),
    aliases: z.array(z.string().min(1)).default([]),
    references: z.array(Reference).default([]),
    status: TechniqueStatus.default("active"),
    revokedBy: TechniqueId.optional(),
    /** Free-text note on the ID itself (e.g. why a project-assigned ID was chosen). */
    idNote: z.string().optional(),
    version: z
      .string()
      .regex(/^\d+\.\d+$/, "expected a version like 1.0")
      .default("1.0"),
    created: IsoDate,
    modified: IsoDate,
    /** Set on techniques merged from a third-party bundle (`catalog import --source NAME`). */
    provenance: z.string().optional(),
  })
  .superRefine((t, ctx) => {
    const sub = t.id.includes(".");
    if (sub && t.parent === undefined)
      ctx.addIssue({
        code: "custom",
        path: ["parent"],
        message: `sub-technique ${t.id} needs parent ${t.id.split(".")[0]}`,
      });
    if (sub && t.parent !== undefined && t.parent !== t.id.split(".")[0])
      ctx.addIssue({
        code: "custom",
        path: ["parent"],
        message: `parent of ${t.id} must be ${t.id.split(".")[0]}, got ${t.parent}`,
      });
    if (!sub && t.parent !== undefined)
      ctx.addIssue({
        code: "custom",
        path: ["parent"],
        message: `${t.id} is not a sub-technique ID and cannot have a parent`,
      });
    if (t.status === "revoked" && t.revokedBy === undefined)
      ctx.addIssue({
        code: "custom",
        path: ["revokedBy"],
        message: "a revoked technique must name its replacement in revokedBy",
      });
    if (t.status !== "revoked" && t.revokedBy !== undefined)
      ctx.addIssue({
        code: "custom",
        path: ["revokedBy"],
        message: "revokedBy is only allowed when status is revoked",
      });
    if (t.modified < t.created)
      ctx.addIssue({ code: "custom", path: ["modified"], message: "modified date is before created date" });
  });
export type Technique = z.infer<typeof Technique>;
export type TechniqueInput = z.input<typeof Technique>;

export const CatalogMeta = z.strictObject({
  name: z.string().min(1),
  version: CatalogVersion,
  description: z.string().min(1),
});
export type CatalogMeta = z.infer<typeof CatalogMeta>;

/** A whole catalog in memory, and the shape of a frozen release file. */
export const CatalogData = z.strictObject({
  meta: CatalogMeta,
  /** Release date (YYYY-MM-DD) for frozen releases; absent for the working copy. */
  released: IsoDate.optional(),
  tactics: z.array(Tactic),
  dataSources: z.array(DataSource),
  mitigations: z.array(Mitigation),
  techniques: z.array(Technique),
});
export type CatalogData = z.infer<typeof CatalogData>;

export const RELEASE_FORMAT = "techtrail-catalog-release/1";
export const ReleaseFile = z.strictObject({
  format: z.literal(RELEASE_FORMAT),
  catalog: CatalogData,
});
export type ReleaseFile = z.infer<typeof ReleaseFile>;

/** True for an ID only an overlay can define (`ACME-0001`, `ACME-0001.001`, `T1078.ACME-1`). */
export function isOverlayId(id: string): boolean {
  return id.includes("-");
}

/** The namespace of an overlay ID (`ACME-0001` and `T1078.ACME-1` → `ACME`), or undefined for a catalog ID. */
export function overlayNamespaceOf(id: string): string | undefined {
  const m = /(?:^|\.)([A-Z][A-Z0-9]*)-\d/.exec(id);
  return m?.[1];
}

export function isSubtechniqueId(id: string): boolean {
  return id.includes(".");
}

/** The ATT&CK technique an ID rolls up to in Navigator: `T1078.A001` → `T1078`, `AT1023.001` → undefined. */
export function attackParentId(id: string): string | undefined {
  if (id.startsWith("AT")) return undefined;
  const [base = "", sub] = id.split(".");
  if (base.includes("-")) return undefined;
  if (sub === undefined || /^\d{3}$/.test(sub)) return id;
  return base;
}

// ---------------------------------------------------------------------------------------------
// Overlays: a team's techniques and additions kept on top of a catalog (docs/catalog-overlays.md)

/** `overlay.yaml`: who owns the overlay, its ID namespace, and the catalog version it was written against. */
export const OverlayManifest = z.strictObject({
  /** The overlay's ID namespace, e.g. `ACME` for `ACME-0001`; a team's ticket prefix works (`SEC` → `SEC-1234`). */
  namespace: z
    .string()
    .regex(
      OVERLAY_NAMESPACE_RE,
      "expected an upper-case namespace like ACME or SEC (2-12 letters/digits, not a technique ID)",
    ),
  /** More ID prefixes the overlay owns (other ticket prefixes of the team). */
  prefixes: z
    .array(z.string().regex(OVERLAY_NAMESPACE_RE, "expected an upper-case prefix like IR or SEC (2-12 letters/digits)"))
    .default([]),
  name: z.string().min(1),
  description: z.string().optional(),
  /** Catalog version the overlay was written against; `catalog overlay check` reviews it after an upgrade. */
  base: CatalogVersion.optional(),
});
export type OverlayManifest = z.infer<typeof OverlayManifest>;

/** `patches/<ID>.yaml`: additions to a catalog technique, without copying it. */
export const OverlayPatch = z.strictObject({
  technique: z
    .string()
    .regex(CATALOG_TECHNIQUE_ID_RE, "expected the catalog technique to extend, like T1078 or T1078.A001"),
  events: z.array(EventName).default([]),
  aliases: z.array(z.string().min(1)).default([]),
  /** The team's detection note, shown after the catalog's detection text. */
  detection: z.string().min(1).optional(),
  /** Mitigation notes: catalog mitigations with how the team applies them. */
  mitigations: z.array(TechniqueMitigation).default([]),
  references: z.array(Reference).default([]),
});
export type OverlayPatch = z.infer<typeof OverlayPatch>;

/** What an overlay added to one catalog technique (after dropping what the catalog already has). */
export const OverlayAdditions = z.object({
  events: z.array(z.string()),
  aliases: z.array(z.string()),
  mitigations: z.array(TechniqueMitigation),
  detection: z.string().nullable(),
  references: z.array(Reference),
});
export type OverlayAdditions = z.infer<typeof OverlayAdditions>;

export const OverlayConflictKind = z.enum([
  "id-collision",
  "foreign-namespace",
  "unknown-parent",
  "unknown-reference",
  "patch-target-missing",
  "patch-target-revoked",
  "patch-target-deprecated",
  "patch-overlay-technique",
  "parent-revoked",
  "already-in-catalog",
  "base-version",
]);
/** A conflict between an overlay and the catalog under it: errors stop loading, warnings are listed. */
export const OverlayConflict = z.object({
  kind: OverlayConflictKind,
  severity: z.enum(["error", "warning"]),
  /** The technique concerned (overlay or catalog ID), when there is one. */
  id: z.string().optional(),
  message: z.string(),
  source: z.string().optional(),
  line: z.number().int().optional(),
  column: z.number().int().optional(),
  field: z.string().optional(),
});
export type OverlayConflict = z.infer<typeof OverlayConflict>;

/** An overlay as loaded on top of a catalog. */
export const OverlayInfo = z.object({
  namespace: z.string(),
  prefixes: z.array(z.string()),
  name: z.string(),
  description: z.string().nullable(),
  base: z.string().nullable(),
  dir: z.string(),
  /** IDs of the overlay's own techniques. */
  techniques: z.array(z.string()),
  /** Additions per catalog technique ID. */
  patched: z.record(z.string(), OverlayAdditions),
  /** Number of single additions (events, aliases, mitigation notes, detection notes, references). */
  additions: z.number().int(),
  /** Warnings found while loading (errors stop loading). */
  conflicts: z.array(OverlayConflict),
});
export type OverlayInfo = z.infer<typeof OverlayInfo>;

/** Which catalog and overlay are loaded (the API's /api/catalog/info, the UI's footer). */
export const LoadedCatalogInfo = z.object({
  catalog: z.object({
    name: z.string(),
    version: z.string(),
    /** The catalog folder; null for the catalog shipped with techtrail. */
    path: z.string().nullable(),
    builtin: z.boolean(),
  }),
  overlay: z
    .object({
      namespace: z.string(),
      prefixes: z.array(z.string()),
      name: z.string(),
      path: z.string(),
      base: z.string().nullable(),
      techniques: z.number().int(),
      patchedTechniques: z.number().int(),
      additions: z.number().int(),
      warnings: z.array(OverlayConflict),
    })
    .nullable(),
});
export type LoadedCatalogInfo = z.infer<typeof LoadedCatalogInfo>;
