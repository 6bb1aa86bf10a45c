// Incident register data model: one zod schema per type with its inferred type.
// Timestamps are normalised to UTC ISO 8601 (`2026-03-04T10:22:00Z`, milliseconds only when non-zero) so that
// every boundary (CLI, CSV, JSON, database rows) produces the same text and export → import round-trips exactly.
import { z } from "zod";
import { CatalogVersion, TechniqueId } from "../catalog/model.js";
import { CredentialType, InitialAccessVector } from "../controls/model.js";

/** Actor entity IDs: `ACT-0001`, a sequence of at least four digits. */
export const ACTOR_ID_RE = /^ACT-\d{4,9}$/;

/** Techtrail's own key `IR-2026-0042`: year and a per-year sequence of at least four digits (assigned by the store). */
export const INCIDENT_KEY_RE = /^IR-(\d{4})-(\d{4,7})$/;
/**
 * The shape every key has, techtrail's own or a team's ticket ID (`SEC-1234`, `INC0012345`): upper-case
 * letters, digits, `-`, `_` and `.`, at most 40 characters, so that keys stay safe in URLs, file names and
 * CSV cells. Which ticket IDs a register accepts is its key pattern (src/incidents/keys.ts).
 */
export const KEY_SHAPE_RE = /^[A-Z0-9](?:[A-Z0-9_.-]{0,38}[A-Z0-9])?$/;
export const IncidentKey = z
  .string()
  .trim()
  .toUpperCase()
  .regex(
    KEY_SHAPE_RE,
    "expected an incident key like IR-2026-0042 or a ticket ID like SEC-1234 (letters, digits, - _ .; at most 40)",
  );
export type IncidentKey = z.infer<typeof IncidentKey>;

export function formatIncidentKey(year: number, seq: number): string {
  return `IR-${year}-${String(seq).padStart(4, "0")}`;
}

/** Year and sequence of techtrail's own keys; undefined for anything else (team keys included). */
export function parseIncidentKey(key: string): { year: number; seq: number } | undefined {
  const m = INCIDENT_KEY_RE.exec(key.trim().toUpperCase());
  return m ? { year: Number(m[1]), seq: Number(m[2]) } : undefined;
}

const TS_RE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i;

/**
 * Parses a date or date-time typed by a person or written by a spreadsheet. No zone means UTC.
 * Returns the canonical form or undefined.
 */
export function normaliseTimestamp(input: string): string | undefined {
  if (isCanonical(input)) return input;
  const m = TS_RE.exec(input.trim());
  if (!m) return undefined;
  const [, y, mo, d, h = "00", mi = "00", s = "00", frac = "", zone = "Z"] = m;
  const ms = frac ? Math.round(Number(`0${frac}`) * 1000) : 0;
  const z0 = zone.toUpperCase() === "Z" ? "Z" : zone.includes(":") ? zone : `${zone.slice(0, 3)}:${zone.slice(3)}`;
  const iso = `${y}-${mo}-${d}T${h}:${mi}:${s}.${String(ms).padStart(3, "0")}${z0}`;
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return undefined;
  // Date.parse rolls 2026-02-30 over to March: reject dates that do not exist.
  const check = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d)));
  if (check.getUTCMonth() !== Number(mo) - 1 || check.getUTCDate() !== Number(d)) return undefined;
  if (Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) return undefined;
  return canonicalTimestamp(t);
}

const CANONICAL_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.(?!000)\d{3})?Z$/;
const DAYS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Fast path for text already in canonical form (every import of an export): range checks, no Date. */
function isCanonical(s: string): boolean {
  const m = CANONICAL_RE.exec(s);
  if (!m) return false;
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  if (mo < 1 || mo > 12 || d < 1 || d > (DAYS[mo - 1] ?? 0)) return false;
  if (mo === 2 && d === 29 && !(y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0))) return false;
  return Number(m[4]) <= 23 && Number(m[5]) <= 59 && Number(m[6]) <= 59;
}

/** Canonical text of an epoch-milliseconds time. */
export function canonicalTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace(".000Z", "Z");
}

export const Timestamp = z.string().transform((s, ctx) => {
  const v = normaliseTimestamp(s);
  if (v === undefined) {
    ctx.addIssue({ code: "custom", message: `expected a date or time like 2026-03-04T10:22:00Z, got "${s}"` });
    return z.NEVER;
  }
  return v;
});

export const IncidentStatus = z.enum(["open", "contained", "closed"]);
export type IncidentStatus = z.infer<typeof IncidentStatus>;

export const Severity = z.enum(["P1", "P2", "P3", "P4"]);
export type Severity = z.infer<typeof Severity>;

export const DetectionSource = z.enum([
  "guardduty",
  "security-hub",
  "cloudwatch-alarm",
  "billing-anomaly",
  "customer-report",
  "aws-notification",
  "third-party",
  "other",
]);
export type DetectionSource = z.infer<typeof DetectionSource>;

// The coarse way in (`initialAccess`) is defined beside the credential type: effect rules read both.
export { InitialAccessVector } from "../controls/model.js";

export const ImpactCategory = z.enum([
  "data-exfiltration",
  "data-destruction",
  "ransom-demand",
  "resource-abuse",
  "service-disruption",
  "none",
]);
export type ImpactCategory = z.infer<typeof ImpactCategory>;

export const Confidence = z.enum(["confirmed", "likely", "possible"]);
export type Confidence = z.infer<typeof Confidence>;
export const CONFIDENCE_RANK: Record<Confidence, number> = { confirmed: 3, likely: 2, possible: 1 };

/** Threat actor and campaign names: whitespace collapsed, quotes stripped, all-lower-case names title-cased. */
export function normaliseName(raw: string): string {
  const s = raw
    .trim()
    .replace(/^["'“”‘’]+|["'“”‘’]+$/g, "")
    .replace(/[\s_]+/g, " ")
    .trim();
  // Mixed or upper case is deliberate (APT29, TeamTNT); only all-lower-case input is capitalised.
  if (s !== s.toLowerCase()) return s;
  return s.replace(/\b([a-z])([a-z]*)/gi, (_, a: string, b: string) => a.toUpperCase() + b.toLowerCase());
}

/** Lookup key for names: case- and spacing-insensitive. */
export function nameKey(raw: string): string {
  return normaliseName(raw).toLowerCase();
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const NO_CONTROL_NAME = /^[^\u0000-\u001f\u007f-\u009f]*$/;

export const Name = z
  .string()
  .transform((s) => normaliseName(s))
  .pipe(
    z.string().min(1, "name is empty").max(120).regex(NO_CONTROL_NAME, "must not contain NUL or control characters"),
  );

/** Free-form labels: lower-case kebab words (`ransom`, `prod-account`). */
export const Tag = z
  .string()
  .trim()
  .toLowerCase()
  .transform((s) => s.replace(/\s+/g, "-"))
  .pipe(z.string().regex(/^[a-z0-9][a-z0-9._:-]{0,63}$/, "expected a short label (letters, digits, - . _ :)"));

export const AccountId = z
  .string()
  .trim()
  .regex(/^\d{12}$/, "expected a 12-digit AWS account ID");
/** Region names are not checked against AWS's list: anonymised and future regions must pass. */
export const Region = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z0-9]+(-[a-z0-9]+)+$/, "expected an AWS region like eu-west-1");
export const Service = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z0-9-]+$/, "expected an AWS service prefix like s3 or iam");

/** A scan finding kept as evidence on a technique tag (what `techtrail scan` reports). */
export const FindingRef = z.strictObject({
  ruleId: z.string().min(1),
  ruleTitle: z.string().default(""),
  level: z.string().default(""),
  eventID: z.string().min(1),
  eventTime: Timestamp,
  eventName: z.string().min(1),
  principalArn: z.string().optional(),
  accessKeyId: z.string().optional(),
  accountId: z.string().optional(),
  awsRegion: z.string().optional(),
  sourceIPAddress: z.string().optional(),
  errorCode: z.string().optional(),
  origin: z.string().optional(),
});
export type FindingRef = z.infer<typeof FindingRef>;

export const TechniqueTag = z.strictObject({
  id: z.string().trim().toUpperCase().pipe(TechniqueId),
  /** Catalog version the tag was made against; remap moves tags between versions. */
  catalogVersion: CatalogVersion,
  confidence: Confidence.default("likely"),
  evidence: z.string().default(""),
  findings: z.array(FindingRef).default([]),
  firstSeen: Timestamp.optional(),
});
export type TechniqueTag = z.infer<typeof TechniqueTag>;
export type TechniqueTagInput = z.input<typeof TechniqueTag>;

export const TIMELINE_FIELDS = ["firstActivity", "detected", "reported", "contained", "recovered", "closed"] as const;
export type TimelineField = (typeof TIMELINE_FIELDS)[number];

/** Pairs [earlier, later] that must be in order when both are set. */
const ORDER: Array<[TimelineField, TimelineField]> = [
  ["firstActivity", "detected"],
  ["firstActivity", "reported"],
  ["firstActivity", "contained"],
  ["detected", "contained"],
  ["contained", "recovered"],
  ["detected", "recovered"],
  ["recovered", "closed"],
  ["contained", "closed"],
  ["detected", "closed"],
  ["reported", "closed"],
];

export const Timeline = z
  .strictObject({
    firstActivity: Timestamp.optional(),
    detected: Timestamp.optional(),
    reported: Timestamp.optional(),
    contained: Timestamp.optional(),
    recovered: Timestamp.optional(),
    closed: Timestamp.optional(),
  })
  .superRefine((t, ctx) => {
    const ms: Partial<Record<TimelineField, number>> = {};
    for (const f of TIMELINE_FIELDS) {
      const v = t[f];
      if (v !== undefined) ms[f] = Date.parse(v);
    }
    for (const [a, b] of ORDER) {
      const va = ms[a];
      const vb = ms[b];
      if (va !== undefined && vb !== undefined && vb < va)
        ctx.addIssue({ code: "custom", path: [b], message: `${b} (${t[b]}) is before ${a} (${t[a]})` });
    }
  });
export type Timeline = z.infer<typeof Timeline>;

// Text fields refuse NUL and control characters: they corrupt exports and terminals and some tools cut
// strings at NUL. Single-line fields refuse all of them; free text keeps line breaks and tabs.
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const NO_CONTROL = /^[^\u0000-\u001f\u007f-\u009f]*$/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const NO_CONTROL_MULTILINE = /^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]*$/;
const CONTROL_MESSAGE = "must not contain NUL or control characters";
export const FreeText = z.string().regex(NO_CONTROL_MULTILINE, `${CONTROL_MESSAGE} (line breaks and tabs are fine)`);

const IncidentFields = z.strictObject({
  key: IncidentKey,
  title: z.string().trim().min(1, "title is required").max(200).regex(NO_CONTROL, CONTROL_MESSAGE),
  summary: FreeText.default(""),
  status: IncidentStatus.default("open"),
  severity: Severity.default("P3"),
  timeline: Timeline.default({}),
  accounts: z.array(AccountId).default([]),
  regions: z.array(Region).default([]),
  services: z.array(Service).default([]),
  resources: z.array(z.string().trim().min(1).regex(NO_CONTROL, CONTROL_MESSAGE)).default([]),
  detectionSource: DetectionSource.optional(),
  initialAccess: InitialAccessVector.optional(),
  /** The technique the intruder got in with (one of the incident's technique tags). */
  initialAccessTechnique: z.string().trim().toUpperCase().pipe(TechniqueId).optional(),
  /** The kind of credential used to get in (decides e.g. whether root MFA would have stopped it). */
  credentialType: CredentialType.optional(),
  /** The attributed actor's name (kept for clients that predate actor entities; the store keeps it in step). */
  threatActor: Name.optional(),
  /** The actor entity the incident is attributed to (`techtrail actor link`); the store resolves it from threatActor. */
  actorId: z.string().trim().toUpperCase().regex(ACTOR_ID_RE, "expected an actor ID like ACT-0001").optional(),
  /** How sure the attribution is (dropped by the store when there is no actor). */
  actorConfidence: Confidence.optional(),
  campaign: Name.optional(),
  impact: z.array(ImpactCategory).default([]),
  techniques: z.array(TechniqueTag).default([]),
  playbooks: z.array(z.string().trim().min(1).regex(NO_CONTROL, CONTROL_MESSAGE)).default([]),
  tags: z.array(Tag).default([]),
  notes: FreeText.default(""),
  lessonsLearned: FreeText.default(""),
  /** Synthetic data from `techtrail demo seed`: never mix it up with real incidents. */
  isDemo: z.boolean().default(false),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});

type IncidentShape = z.infer<typeof IncidentFields>;

function checkIncident(i: Partial<IncidentShape>, ctx: z.RefinementCtx): void {
  const seen = new Map<string, number>();
  (i.techniques ?? []).forEach((t, n) => {
    const prev = seen.get(t.id);
    if (prev !== undefined)
      ctx.addIssue({
        code: "custom",
        path: ["techniques", n, "id"],
        message: `technique ${t.id} is tagged twice (also techniques.${prev})`,
      });
    seen.set(t.id, n);
  });
  const entry = i.initialAccessTechnique;
  if (entry !== undefined && i.techniques !== undefined && !i.techniques.some((t) => t.id === entry))
    ctx.addIssue({
      code: "custom",
      path: ["initialAccessTechnique"],
      message: `initial-access technique ${entry} is not among the incident's techniques (tag it too)`,
    });
  const impact = i.impact ?? [];
  if (impact.includes("none") && impact.length > 1)
    ctx.addIssue({ code: "custom", path: ["impact"], message: `"none" cannot be combined with other impacts` });
  const closedAt = i.timeline?.closed;
  if (i.status === "closed" && closedAt === undefined)
    ctx.addIssue({ code: "custom", path: ["timeline", "closed"], message: "a closed incident needs timeline.closed" });
  if (i.status !== undefined && i.status !== "closed" && closedAt !== undefined)
    ctx.addIssue({
      code: "custom",
      path: ["status"],
      message: `status is ${i.status} but timeline.closed is set (${closedAt})`,
    });
  for (const f of ["accounts", "regions", "services", "tags", "playbooks", "resources", "impact"] as const) {
    const list = (i[f] ?? []) as string[];
    const dup = list.find((v, n) => list.indexOf(v) !== n);
    if (dup !== undefined) ctx.addIssue({ code: "custom", path: [f], message: `duplicate value ${dup}` });
  }
}

/** A stored incident. */
export const Incident = IncidentFields.superRefine(checkIncident);
export type Incident = z.infer<typeof Incident>;
export type IncidentInput = z.input<typeof Incident>;

/** An incident as given to `add` or import: key and bookkeeping times are optional (the store assigns them). */
export const NewIncident = IncidentFields.extend({
  key: IncidentKey.optional(),
  createdAt: Timestamp.optional(),
  updatedAt: Timestamp.optional(),
}).superRefine(checkIncident);
export type NewIncident = z.infer<typeof NewIncident>;
export type NewIncidentInput = z.input<typeof NewIncident>;

/** The date an incident is filed under for date-range filters and key years. */
export function incidentDate(i: Pick<Incident, "timeline"> & { createdAt?: string }): string | undefined {
  const t = i.timeline;
  return t.detected ?? t.reported ?? t.firstActivity ?? i.createdAt;
}

/** Row of `incident list`. */
export const IncidentSummary = z.object({
  key: IncidentKey,
  title: z.string(),
  status: IncidentStatus,
  severity: Severity,
  date: z.string().nullable(),
  threatActor: z.string().nullable(),
  techniques: z.array(z.string()),
  isDemo: z.boolean(),
});
export type IncidentSummary = z.infer<typeof IncidentSummary>;

export const AuditAction = z.enum([
  "create",
  "update",
  "close",
  "delete",
  "tag",
  "import",
  "remap",
  "attach",
  "attribute",
]);
export type AuditAction = z.infer<typeof AuditAction>;

/** One row of the append-only audit trail. */
export const AuditEntry = z.object({
  id: z.number().int().positive(),
  incidentKey: IncidentKey,
  action: AuditAction,
  actor: z.string().min(1),
  at: z.string(),
  before: z.unknown().nullable(),
  after: z.unknown().nullable(),
  note: z.string().nullable(),
});
export type AuditEntry = z.infer<typeof AuditEntry>;

/** Top-level fields that differ between two audit snapshots (bookkeeping time left out). */
export function changedFields(before: unknown, after: unknown): string[] {
  const a = (before ?? {}) as Record<string, unknown>;
  const b = (after ?? {}) as Record<string, unknown>;
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].filter(
    (k) => k !== "updatedAt" && JSON.stringify(a[k]) !== JSON.stringify(b[k]),
  );
}

/** Who makes a change, recorded in the audit trail. */
export const ChangeContext = z.object({
  actor: z.string().trim().min(1, "actor is required"),
  note: z.string().optional(),
});
export type ChangeContext = z.infer<typeof ChangeContext>;
