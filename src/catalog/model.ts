// Catalog data model: one zod schema per type, with inferred TypeScript types.
// Files on disk (catalog/*.yaml), release files and STIX imports are all validated against these.
import { z } from "zod";

/** ATT&CK `T1234`/`T1234.001`, AWS sub-technique `T1234.A001`, AWS-only `AT1234`/`AT1234.001`. */
export const TECHNIQUE_ID_RE = /^A?T\d{4}(\.(\d{3}|A\d{3}))?$/;
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
  .regex(TECHNIQUE_ID_RE, "expected a technique ID like T1078, T1078.004, T1078.A001, AT1023 or AT1023.001");
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

export function isSubtechniqueId(id: string): boolean {
  return id.includes(".");
}

/** The ATT&CK technique an ID rolls up to in Navigator: `T1078.A001` → `T1078`, `AT1023.001` → undefined. */
export function attackParentId(id: string): string | undefined {
  if (id.startsWith("AT")) return undefined;
  const [base, sub] = id.split(".");
  if (sub === undefined || /^\d{3}$/.test(sub)) return id;
  return base;
}
