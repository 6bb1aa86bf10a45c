// The API's data types as the web UI reads them, derived from the server's route declarations through the typed
// client (so a change on the server is a type error here, not a drift), plus the UI's value lists, each checked
// against those types.
import type { InferRequestType } from "hono/client";
import type { client, Ok } from "./client";

type C = typeof client;
type Query<F> = NonNullable<InferRequestType<F> extends { query: infer Q } ? Q : never>;

export type Me = Ok<C["auth"]["me"]["$get"]>;
export type Role = Me["role"];
export type User = Me["user"];
export type ApiToken = Ok<C["tokens"]["$get"]>["items"][number];

export const ROLE_RANK: Record<Role, number> = { viewer: 1, responder: 2, admin: 3 };

export function roleAllows(have: Role | undefined, need: Role): boolean {
  return have !== undefined && ROLE_RANK[have] >= ROLE_RANK[need];
}

export type CatalogStats = Ok<C["catalog"]["$get"]>;
export type Tactic = CatalogStats["tactics"][number];
export type TechniqueSummary = Ok<C["catalog"]["techniques"]["$get"]>["items"][number];
export type TechniqueStatus = TechniqueSummary["status"];
export type SearchHit = Ok<C["catalog"]["search"]["$get"]>["items"][number];
export type TechniqueDetail = Ok<C["catalog"]["techniques"][":id"]["$get"]>;
export type Matrix = Ok<C["catalog"]["matrix"]["$get"]>;
export type MatrixCell = Matrix["tactics"][number]["techniques"][number];
export type CatalogDiff = Ok<C["catalog"]["diff"]["$get"]>;
export type DiffEntry = CatalogDiff["added"][number];

export type IncidentPage = Ok<C["incidents"]["$get"]>;
export type IncidentSummary = IncidentPage["items"][number];
export type Incident = Ok<C["incidents"][":key"]["$get"]>;
export type IncidentStatus = Incident["status"];
export type Severity = Incident["severity"];
export type TechniqueTag = Incident["techniques"][number];
export type Confidence = TechniqueTag["confidence"];
export type FindingRef = TechniqueTag["findings"][number];
export type Timeline = Incident["timeline"];
/** The JSON bodies of POST /api/incidents and PATCH /api/incidents/{key}. */
export type NewIncidentJson = InferRequestType<C["incidents"]["$post"]>["json"];
export type IncidentEditJson = InferRequestType<C["incidents"][":key"]["$patch"]>["json"];
export type AuditEntry = Ok<C["incidents"][":key"]["history"]["$get"]>["items"][number];

export type IncidentQuery = Query<C["incidents"]["$get"]>;
export type AnalyticsQuery = Query<C["stats"]["frequency"]["$get"]>;
/** Which incidents count (all, only demo, only real): the same parameter on every route that reads incidents. */
export type DemoParam = NonNullable<IncidentQuery["demo"]>;

export type RuleInfo = Ok<C["rules"]["$get"]>["items"][number];
export type RuleDetail = Ok<C["rules"][":id"]["$get"]>;
export type Playbook = Ok<C["playbooks"][":id"]["$get"]>;
export type ScanResult = Ok<C["scan"]["$post"]>;
export type GapsResult = Ok<C["playbooks"]["gaps"]["$get"]>;
export type CoverageReport = Ok<C["coverage"]["$get"]>;

export const DEMO_PARAMS = ["include", "exclude", "only"] as const satisfies readonly DemoParam[];
export const INCIDENT_SORTS = ["date", "key", "severity"] as const satisfies readonly NonNullable<
  IncidentQuery["sort"]
>[];
export const STATUSES = ["open", "contained", "closed"] as const satisfies readonly IncidentStatus[];
export const SEVERITIES = ["P1", "P2", "P3", "P4"] as const satisfies readonly Severity[];
export const CONFIDENCES = ["confirmed", "likely", "possible"] as const satisfies readonly Confidence[];
export const DETECTION_SOURCES = [
  "guardduty",
  "security-hub",
  "cloudwatch-alarm",
  "billing-anomaly",
  "customer-report",
  "aws-notification",
  "third-party",
  "other",
] as const satisfies readonly NonNullable<Incident["detectionSource"]>[];
export const INITIAL_ACCESS = [
  "leaked-access-key",
  "compromised-console-credentials",
  "compromised-sso-identity",
  "exploited-public-application",
  "misconfigured-resource",
  "third-party-compromise",
  "malicious-package",
  "insider",
  "unknown",
  "other",
] as const satisfies readonly NonNullable<Incident["initialAccess"]>[];
/** The credential the intruder got in with (`stats controls` decides root MFA and key rules on it). */
export const CREDENTIAL_TYPES = [
  "root-password",
  "root-access-key",
  "iam-user-password",
  "iam-user-access-key",
  "role-session",
  "federated-session",
  "none",
  "other",
] as const satisfies readonly NonNullable<Incident["credentialType"]>[];
export const IMPACTS = [
  "data-exfiltration",
  "data-destruction",
  "ransom-demand",
  "resource-abuse",
  "service-disruption",
  "none",
] as const satisfies readonly Incident["impact"][number][];

export type WorkshopList = Ok<C["workshops"]["$get"]>;
export type WorkshopDetail = Ok<C["workshops"][":id"]["$get"]>;
export type WorkshopQuestion = WorkshopDetail["questions"][number];
export type WorkshopProgress = Ok<C["workshops"][":id"]["score"]["$get"]>;
export type WorkshopAnswer = WorkshopProgress["answers"][number];
export type WorkshopResults = Ok<C["workshops"][":id"]["results"]["$get"]>;
export type WorkshopDebrief = Ok<C["workshops"][":id"]["debrief"]["$get"]>;

export type CommunityDatasets = Ok<C["community"]["datasets"]["$get"]>;
export type CommunityComparison = Ok<C["community"]["compare"]["$get"]>;
export type CommunityTechnique = CommunityComparison["techniques"][number];
