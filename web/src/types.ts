// Shapes of the HTTP API's responses as the web UI reads them (the server's zod schemas are the source of
// truth; these list only the fields the pages use).

export type Role = "viewer" | "responder" | "admin";

export interface User {
  id: string;
  name: string;
  role: Role;
  disabled: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface Me {
  user: User;
  role: Role;
  via: string;
  csrfToken: string | null;
  csrfHeader: string;
}

export const ROLE_RANK: Record<Role, number> = { viewer: 1, responder: 2, admin: 3 };

export function roleAllows(have: Role | undefined, need: Role): boolean {
  return have !== undefined && ROLE_RANK[have] >= ROLE_RANK[need];
}

export type TechniqueStatus = "active" | "deprecated" | "revoked";

export interface TechniqueSummary {
  id: string;
  name: string;
  tactics: string[];
  parent: string | null;
  status: TechniqueStatus;
  services: string[];
  events: string[];
  aliases: string[];
}

export interface SearchHit extends TechniqueSummary {
  score: number;
  matched: string[] | string | null;
}

export interface TechniqueDetail extends TechniqueSummary {
  description: string;
  platforms: string[];
  dataSources: string[];
  detection: string;
  references: Array<{ source: string; url?: string; externalId?: string; description?: string }>;
  revokedBy?: string;
  version: string;
  created: string;
  modified: string;
  tacticNames: Array<{ id: string; name: string }>;
  parentName: string | null;
  subtechniques: TechniqueSummary[];
  mitigationNames: Array<{ id: string; how: string; name: string }>;
  replacement: TechniqueSummary | null;
}

export interface Tactic {
  id: string;
  shortname: string;
  name: string;
  description?: string;
}

export interface CatalogStats {
  name?: string;
  version: string;
  techniques: number;
  subtechniques?: number;
  tactics: Tactic[] | number;
  meta: { version: string; name?: string; released?: string };
}

export interface MatrixCell {
  id: string;
  name: string;
  status: TechniqueStatus;
  incidents: number;
  incidentsWithSubtechniques: number;
  subtechniques: Array<{ id: string; name: string; status: TechniqueStatus; incidents: number }>;
}

export interface Matrix {
  catalogVersion: string;
  totalIncidents: number;
  maxIncidents: number;
  tactics: Array<{ id: string; shortname: string; name: string; techniques: MatrixCell[] }>;
}

export type IncidentStatus = "open" | "contained" | "closed";
export type Severity = "P1" | "P2" | "P3" | "P4";
export type Confidence = "confirmed" | "likely" | "possible";

export const STATUSES: IncidentStatus[] = ["open", "contained", "closed"];
export const SEVERITIES: Severity[] = ["P1", "P2", "P3", "P4"];
export const CONFIDENCES: Confidence[] = ["confirmed", "likely", "possible"];
export const DETECTION_SOURCES = [
  "guardduty",
  "security-hub",
  "cloudwatch-alarm",
  "billing-anomaly",
  "customer-report",
  "aws-notification",
  "third-party",
  "other",
] as const;
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
] as const;
export const IMPACTS = [
  "data-exfiltration",
  "data-destruction",
  "ransom-demand",
  "resource-abuse",
  "service-disruption",
  "none",
] as const;

export interface IncidentSummary {
  key: string;
  title: string;
  status: IncidentStatus;
  severity: Severity;
  date: string | null;
  threatActor: string | null;
  techniques: string[];
  isDemo: boolean;
}

export interface IncidentPage {
  items: IncidentSummary[];
  total: number;
  limit: number;
  offset: number;
}

export interface FindingRef {
  ruleId: string;
  ruleTitle: string;
  level: string;
  eventID: string;
  eventTime: string;
  eventName: string;
  principalArn?: string;
  accessKeyId?: string;
  accountId?: string;
  awsRegion?: string;
  sourceIPAddress?: string;
  errorCode?: string;
  origin?: string;
}

export interface TechniqueTag {
  id: string;
  catalogVersion: string;
  confidence: Confidence;
  evidence: string;
  findings: FindingRef[];
  firstSeen?: string;
}

export interface Timeline {
  firstActivity?: string;
  detected?: string;
  reported?: string;
  contained?: string;
  recovered?: string;
  closed?: string;
}

export interface Incident {
  key: string;
  title: string;
  summary: string;
  status: IncidentStatus;
  severity: Severity;
  timeline: Timeline;
  accounts: string[];
  regions: string[];
  services: string[];
  resources: string[];
  detectionSource?: string;
  initialAccess?: string;
  threatActor?: string;
  campaign?: string;
  impact: string[];
  techniques: TechniqueTag[];
  playbooks: string[];
  tags: string[];
  notes: string;
  lessonsLearned: string;
  isDemo: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface AuditEntry {
  id: number;
  incidentKey: string;
  action: string;
  actor: string;
  at: string;
  before: unknown;
  after: unknown;
  note: string | null;
}

export interface DiffEntry {
  id: string;
  name: string;
}

export interface CatalogDiff {
  from: string;
  to: string;
  added: DiffEntry[];
  removed: DiffEntry[];
  changed: Array<DiffEntry & { fields: string[] }>;
  deprecated: DiffEntry[];
  revoked: Array<DiffEntry & { revokedBy: string; replacementName: string | null }>;
}
