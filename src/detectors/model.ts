// Data types of detector input: a finding from an AWS detector (GuardDuty, Security Hub, IAM Access Analyzer,
// Macie) as the readers normalise it, whatever format it came in (GuardDuty JSON, ASFF, OCSF), and the
// problems met while reading such files. Each is a zod schema with its type.
import { z } from "zod";
import { DetectorId, MappedTechnique } from "./mapping.js";

/** The format a detector finding was read from. */
export const DetectorFormat = z.enum(["guardduty", "asff", "ocsf"]);
export type DetectorFormat = z.infer<typeof DetectorFormat>;

export const DetectorSeverity = z.enum(["informational", "low", "medium", "high", "critical"]);
export type DetectorSeverity = z.infer<typeof DetectorSeverity>;

export const DetectorResource = z.strictObject({ type: z.string(), id: z.string() });
export type DetectorResource = z.infer<typeof DetectorResource>;

/** A detector finding, normalised. Times are ISO-8601 UTC texts. */
export const DetectorFinding = z.strictObject({
  detector: DetectorId,
  format: DetectorFormat,
  /** The product as the finding names it (ASFF ProductName, OCSF metadata.product.name). */
  product: z.string().optional(),
  findingId: z.string().min(1),
  /** GuardDuty/Macie/Access Analyzer finding type, or the Security Hub control ID (Compliance.SecurityControlId). */
  type: z.string().min(1),
  title: z.string().optional(),
  severity: z.strictObject({
    label: DetectorSeverity,
    /** The detector's own score (GuardDuty 0.1-10, ASFF Normalized 0-100, OCSF severity_id). */
    score: z.number().optional(),
  }),
  accountId: z.string().optional(),
  region: z.string().optional(),
  resources: z.array(DetectorResource),
  /** When the activity was first and last seen (GuardDuty eventFirstSeen, ASFF FirstObservedAt, ...). */
  firstSeen: z.string().optional(),
  lastSeen: z.string().optional(),
  /** When the detector created the finding (the detection time). */
  createdAt: z.string().optional(),
  updatedAt: z.string().optional(),
  /** The acting principal as an ARN, when the finding names one precisely enough to build it. */
  principalArn: z.string().optional(),
  /** The principal's name or ID as the finding gives it, when no ARN can be built. */
  principal: z.string().optional(),
  accessKeyId: z.string().optional(),
  /** Remote IP addresses the finding names (the actor's side). */
  ips: z.array(z.string()),
  /** The API call the finding is about (GuardDuty awsApiCallAction.api), when it names one. */
  api: z.string().optional(),
});
export type DetectorFinding = z.infer<typeof DetectorFinding>;

/** How a finding's type maps to catalog techniques (from mappings/<detector>.yaml). */
export const DetectorMappingResult = z.strictObject({
  status: z.enum(["mapped", "unmapped"]),
  /** Mapped: every technique with its relation (detects / enables) and confidence. */
  techniques: z.array(MappedTechnique).optional(),
  /** Unmapped: the reviewed reason, when the mapping file lists the type under `unmapped`. */
  reason: z.string().optional(),
});
export type DetectorMappingResult = z.infer<typeof DetectorMappingResult>;

/** What a scan finding keeps of the detector finding it came from. */
export const DetectorSource = DetectorFinding.omit({ title: true, accountId: true, region: true }).extend({
  mapping: DetectorMappingResult,
});
export type DetectorSource = z.infer<typeof DetectorSource>;

export const DETECTOR_PROBLEMS = [
  "not-json", // a line or document that does not parse as JSON
  "unrecognized", // JSON that is no known detector finding shape
  "unknown-schema-version", // a finding whose schema version the reader does not know
  "missing-field", // a required field absent or of the wrong type
  "not-ocsf", // a Parquet file without OCSF columns, or that cannot be read as Parquet
  "other-ocsf-class", // an OCSF row that is not a finding class the reader takes (2001, 2004)
  "unreadable", // a file that cannot be opened, decompressed or read
  "too-large", // input larger than MAX_DETECTOR_BYTES (once decompressed): detector input is read whole
] as const;
export const DetectorProblemReason = z.enum(DETECTOR_PROBLEMS);
export type DetectorProblemReason = z.infer<typeof DetectorProblemReason>;

/** Where a detector finding is in its file. */
export const DetectorOrigin = z.strictObject({
  file: z.string(),
  /** JSON Lines line number (1-based). */
  line: z.number().int().positive().optional(),
  /** Element index in an array or `Findings` list (0-based). */
  index: z.number().int().nonnegative().optional(),
  /** Parquet row (0-based). */
  row: z.number().int().nonnegative().optional(),
});
export type DetectorOrigin = z.infer<typeof DetectorOrigin>;

/** One problem met in a detector file, with where it was. */
export const DetectorProblem = DetectorOrigin.extend({
  reason: DetectorProblemReason,
  /** The field concerned, dot-separated. */
  field: z.string().optional(),
  message: z.string(),
});
export type DetectorProblem = z.infer<typeof DetectorProblem>;

/** The detector part of a scan summary. */
export const DetectorSummary = z.strictObject({
  /** Files read as detector output. */
  files: z.number().int().nonnegative(),
  /** Findings read (including those skipped for a problem). */
  read: z.number().int().nonnegative(),
  /** Findings turned into scan findings. */
  findings: z.number().int().nonnegative(),
  /** Findings per detector (guardduty, security-hub, access-analyzer, macie). */
  bySource: z.record(z.string(), z.number().int()),
  /** Findings per input format (guardduty, asff, ocsf). */
  byFormat: z.record(z.string(), z.number().int()),
  /** Findings whose type no mapping maps: kept as findings without techniques, counted per type. */
  unmapped: z.strictObject({
    total: z.number().int().nonnegative(),
    types: z.array(
      z.strictObject({
        detector: z.string(),
        type: z.string(),
        count: z.number().int().positive(),
        reason: z.string().optional(),
        /** Where the type was first met. */
        first: DetectorOrigin,
      }),
    ),
  }),
  problems: z.strictObject({
    total: z.number().int().nonnegative(),
    byReason: z.record(z.string(), z.number().int()),
    /** The first few problems with their location. */
    examples: z.array(DetectorProblem),
  }),
});
export type DetectorSummary = z.infer<typeof DetectorSummary>;
