// The incident form's editable state and its translation to API bodies: the whole record for
// POST /api/incidents, and only the changed fields (by CSV column name, "" clears) for PATCH.

import type { Problem } from "./api";
import {
  type Confidence,
  CREDENTIAL_TYPES,
  DETECTION_SOURCES,
  INITIAL_ACCESS,
  type Incident,
  type IncidentEditJson,
  type NewIncidentJson,
  type Severity,
} from "./api-types";
import type { Picked } from "./components/technique-picker";

export interface TagDraft extends Picked {
  confidence: Confidence;
  evidence: string;
}

export interface Draft {
  title: string;
  summary: string;
  severity: Severity;
  firstActivity: string;
  detected: string;
  reported: string;
  contained: string;
  recovered: string;
  detectionSource: string;
  initialAccess: string;
  /** One of the tagged techniques (the way in), or "". */
  initialAccessTechnique: string;
  credentialType: string;
  threatActor: string;
  campaign: string;
  accounts: string;
  regions: string;
  services: string;
  impact: Incident["impact"];
  tags: string;
  notes: string;
  lessonsLearned: string;
  techniques: TagDraft[];
}

export const EMPTY: Draft = {
  title: "",
  summary: "",
  severity: "P3",
  firstActivity: "",
  detected: "",
  reported: "",
  contained: "",
  recovered: "",
  detectionSource: "",
  initialAccess: "",
  initialAccessTechnique: "",
  credentialType: "",
  threatActor: "",
  campaign: "",
  accounts: "",
  regions: "",
  services: "",
  impact: [],
  tags: "",
  notes: "",
  lessonsLearned: "",
  techniques: [],
};

/** `2026-03-04T10:22:00Z` → `2026-03-04T10:22` for <input type="datetime-local"> (times are UTC). */
export function toLocalInput(ts: string | undefined): string {
  return ts ? ts.slice(0, 16) : "";
}
export function fromLocalInput(v: string): string | undefined {
  return v ? `${v.length === 16 ? `${v}:00` : v}Z` : undefined;
}
export const words = (s: string) =>
  s
    .split(/[,\s]+/)
    .map((w) => w.trim())
    .filter(Boolean);

export function draftOf(i: Incident, names: Map<string, string>): Draft {
  return {
    title: i.title,
    summary: i.summary,
    severity: i.severity,
    firstActivity: toLocalInput(i.timeline.firstActivity),
    detected: toLocalInput(i.timeline.detected),
    reported: toLocalInput(i.timeline.reported),
    contained: toLocalInput(i.timeline.contained),
    recovered: toLocalInput(i.timeline.recovered),
    detectionSource: i.detectionSource ?? "",
    initialAccess: i.initialAccess ?? "",
    initialAccessTechnique: i.initialAccessTechnique ?? "",
    credentialType: i.credentialType ?? "",
    threatActor: i.threatActor ?? "",
    campaign: i.campaign ?? "",
    accounts: i.accounts.join(", "),
    regions: i.regions.join(", "),
    services: i.services.join(", "),
    impact: [...i.impact],
    tags: i.tags.join(", "),
    notes: i.notes,
    lessonsLearned: i.lessonsLearned,
    techniques: i.techniques.map((t) => ({
      id: t.id,
      name: names.get(t.id) ?? "",
      confidence: t.confidence,
      evidence: t.evidence,
    })),
  };
}

export function newIncidentBody(d: Draft): NewIncidentJson {
  const timeline: NonNullable<NewIncidentJson["timeline"]> = {};
  for (const f of ["firstActivity", "detected", "reported", "contained", "recovered"] as const) {
    const v = fromLocalInput(d[f]);
    if (v) timeline[f] = v;
  }
  const body: NewIncidentJson = {
    title: d.title,
    summary: d.summary,
    severity: d.severity,
    status: timeline.contained ? "contained" : "open",
    timeline,
    accounts: words(d.accounts),
    regions: words(d.regions),
    services: words(d.services),
    impact: d.impact,
    tags: words(d.tags),
    notes: d.notes,
    lessonsLearned: d.lessonsLearned,
    techniques: d.techniques.map((t) => ({ id: t.id, confidence: t.confidence, evidence: t.evidence })),
  };
  const detectionSource = DETECTION_SOURCES.find((s) => s === d.detectionSource);
  if (detectionSource) body.detectionSource = detectionSource;
  const initialAccess = INITIAL_ACCESS.find((s) => s === d.initialAccess);
  if (initialAccess) body.initialAccess = initialAccess;
  if (d.initialAccessTechnique) body.initialAccessTechnique = d.initialAccessTechnique;
  const credentialType = CREDENTIAL_TYPES.find((s) => s === d.credentialType);
  if (credentialType) body.credentialType = credentialType;
  if (d.threatActor.trim()) body.threatActor = d.threatActor;
  if (d.campaign.trim()) body.campaign = d.campaign;
  return body;
}

/**
 * What the form can tell before sending: the initial-access technique must be one of the tagged techniques
 * (the server refuses it too, but an edit is several requests and should not stop halfway).
 */
export function draftProblems(d: Draft): Problem[] {
  const problems: Problem[] = [];
  if (d.initialAccessTechnique && !d.techniques.some((t) => t.id === d.initialAccessTechnique))
    problems.push({
      field: "initialAccessTechnique",
      message: `initial-access technique ${d.initialAccessTechnique} is not among the incident's techniques (tag it too)`,
    });
  return problems;
}

type ColumnValues = NonNullable<IncidentEditJson["set"]>;

/** Changed fields as the PATCH body's `set` (CSV column names; "" clears). */
export function changedColumns(before: Draft, after: Draft): ColumnValues {
  const set: ColumnValues = {};
  const cols: Array<[keyof Draft, keyof ColumnValues, (d: Draft) => string]> = [
    ["title", "title", (d) => d.title],
    ["summary", "summary", (d) => d.summary],
    ["severity", "severity", (d) => d.severity],
    ["firstActivity", "first_activity", (d) => fromLocalInput(d.firstActivity) ?? ""],
    ["detected", "detected", (d) => fromLocalInput(d.detected) ?? ""],
    ["reported", "reported", (d) => fromLocalInput(d.reported) ?? ""],
    ["contained", "contained", (d) => fromLocalInput(d.contained) ?? ""],
    ["recovered", "recovered", (d) => fromLocalInput(d.recovered) ?? ""],
    ["detectionSource", "detection_source", (d) => d.detectionSource],
    ["initialAccess", "initial_access", (d) => d.initialAccess],
    ["initialAccessTechnique", "initial_access_technique", (d) => d.initialAccessTechnique],
    ["credentialType", "credential_type", (d) => d.credentialType],
    ["threatActor", "threat_actor", (d) => d.threatActor.trim()],
    ["campaign", "campaign", (d) => d.campaign.trim()],
    ["accounts", "accounts", (d) => words(d.accounts).join(",")],
    ["regions", "regions", (d) => words(d.regions).join(",")],
    ["services", "services", (d) => words(d.services).join(",")],
    ["impact", "impact", (d) => d.impact.join(",")],
    ["tags", "tags", (d) => words(d.tags).join(",")],
    ["notes", "notes", (d) => d.notes],
    ["lessonsLearned", "lessons_learned", (d) => d.lessonsLearned],
  ];
  for (const [, col, get] of cols) if (get(before) !== get(after)) set[col] = get(after);
  return set;
}
