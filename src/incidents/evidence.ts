// From scan findings to incident evidence: every finding becomes a FindingRef on the technique tags
// it maps to, the earliest event time becomes the tag's firstSeen, and the incident's accounts,
// regions, services and timeline are filled from what the events show.
import type { Catalog } from "../catalog/catalog.js";
import {
  CONFIDENCE_RANK,
  type Confidence,
  canonicalTimestamp,
  type DetectionSource,
  type FindingRef,
  type Incident,
  type NewIncidentInput,
  type TechniqueTag,
} from "./model.js";

/** The part of a scan finding (src/scan) that evidence needs; structurally compatible with it. */
export interface FindingLike {
  rule: { id: string; title?: string; level?: string };
  techniques: readonly string[];
  eventID?: string | null;
  eventTime?: string | null;
  eventName?: string | null;
  eventSource?: string | null;
  principalArn?: string | null;
  accessKeyId?: string | null;
  accountId?: string | null;
  awsRegion?: string | null;
  sourceIPAddress?: string | null;
  errorCode?: string | null;
  /** Where the event came from: a string, or the scan engine's {file, line | index}. */
  origin?: string | { file: string; line?: number | undefined; index?: number | undefined } | null;
  /** Set on findings read from an AWS detector (the scan's `detector` part). */
  detector?: {
    detector: string;
    findingId: string;
    type: string;
    format?: string;
    createdAt?: string | undefined;
    firstSeen?: string | undefined;
  } | null;
}

const DETECTOR_NAMES: Record<string, string> = {
  guardduty: "GuardDuty",
  "security-hub": "Security Hub",
  macie: "Macie",
  "access-analyzer": "IAM Access Analyzer",
};
const detectorName = (d: string): string => DETECTOR_NAMES[d] ?? d;

/** The incident's detection source for a detector: GuardDuty's own, else Security Hub (which gathers the others). */
const detectionSourceOf = (detector: string): DetectionSource =>
  detector === "guardduty" ? "guardduty" : "security-hub";

/**
 * The detector finding that raised the alert: the earliest created. Its detector is the incident's detection
 * source and its creation time the detection time.
 */
function alertOf(
  findings: readonly FindingLike[],
): { source: DetectionSource; detected?: string; finding: FindingLike } | undefined {
  let best: { f: FindingLike; t: number } | undefined;
  for (const f of findings) {
    const d = f.detector;
    if (!d) continue;
    const t = Date.parse(d.createdAt ?? d.firstSeen ?? f.eventTime ?? "");
    const key = Number.isNaN(t) ? Number.POSITIVE_INFINITY : t;
    if (!best || key < best.t) best = { f, t: key };
  }
  if (!best?.f.detector) return undefined;
  return {
    source: detectionSourceOf(best.f.detector.detector),
    ...(Number.isFinite(best.t) ? { detected: canonicalTimestamp(best.t) } : {}),
    finding: best.f,
  };
}

function originText(o: FindingLike["origin"]): string | undefined {
  if (o === null || o === undefined || o === "") return undefined;
  if (typeof o === "string") return o;
  return `${o.file}${o.line !== undefined ? `:${o.line}` : o.index !== undefined ? `#${o.index}` : ""}`;
}

const opt = (v: string | null | undefined): string | undefined => (v === null || v === "" ? undefined : v);

export function findingRef(f: FindingLike): FindingRef {
  const ref: FindingRef = {
    ruleId: f.rule.id,
    ruleTitle: f.rule.title ?? "",
    level: f.rule.level ?? "",
    eventID: f.eventID || "unknown",
    eventTime: canonicalTimestamp(Date.parse(f.eventTime ?? "") || 0),
    eventName: f.eventName || "unknown",
  };
  const extra = {
    principalArn: opt(f.principalArn),
    accessKeyId: opt(f.accessKeyId),
    accountId: opt(f.accountId),
    awsRegion: opt(f.awsRegion),
    sourceIPAddress: opt(f.sourceIPAddress),
    errorCode: opt(f.errorCode),
    origin: originText(f.origin),
  };
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) (ref as Record<string, unknown>)[k] = v;
  return ref;
}

/** Confidence of a tag from its strongest finding: failed calls only make it possible. */
function confidenceOf(findings: FindingRef[]): Confidence {
  const succeeded = findings.filter((f) => !f.errorCode);
  if (succeeded.some((f) => f.level === "critical" || f.level === "high")) return "likely";
  return succeeded.length ? "likely" : "possible";
}

function evidenceText(findings: FindingRef[]): string {
  const rules = [...new Set(findings.map((f) => `${f.ruleId}${f.ruleTitle ? ` (${f.ruleTitle})` : ""}`))];
  const first = findings[0];
  const last = findings[findings.length - 1];
  const principals = [...new Set(findings.map((f) => f.principalArn).filter(Boolean))];
  return [
    `${findings.length} finding(s) from ${rules.join(", ")}`,
    first && last ? `events ${first.eventTime} to ${last.eventTime}` : "",
    principals.length ? `principal ${principals.slice(0, 3).join(", ")}` : "",
  ]
    .filter(Boolean)
    .join("; ");
}

const eventKey = (f: FindingRef) => `${f.ruleId}|${f.eventID}`;

/**
 * Merges findings into technique tags: new techniques get a tag, existing ones get the new findings
 * (deduplicated by rule and event). Techniques unknown to the catalog are returned separately.
 */
export function mergeFindings(
  tags: readonly TechniqueTag[],
  findings: readonly FindingLike[],
  catalog: Catalog,
): { techniques: TechniqueTag[]; unknown: string[] } {
  const out = tags.map((t) => ({ ...t, findings: [...t.findings] }));
  const unknown = new Set<string>();
  const byId = new Map(out.map((t) => [t.id, t]));
  for (const f of findings) {
    const ref = findingRef(f);
    for (const raw of f.techniques) {
      const tech = catalog.technique(raw);
      if (!tech) {
        unknown.add(raw);
        continue;
      }
      const id = tech.status === "revoked" && tech.revokedBy ? tech.revokedBy : tech.id;
      let tag = byId.get(id);
      if (!tag) {
        tag = { id, catalogVersion: catalog.meta.version, confidence: "possible", evidence: "", findings: [] };
        byId.set(id, tag);
        out.push(tag);
      }
      if (!tag.findings.some((x) => eventKey(x) === eventKey(ref))) tag.findings.push(ref);
    }
  }
  for (const t of out) {
    if (t.findings.length === 0) continue;
    t.findings.sort((a, b) => a.eventTime.localeCompare(b.eventTime) || a.eventID.localeCompare(b.eventID));
    const firstSeen = t.findings[0]?.eventTime;
    if (firstSeen && (!t.firstSeen || firstSeen < t.firstSeen)) t.firstSeen = firstSeen;
    const c = confidenceOf(t.findings);
    if (CONFIDENCE_RANK[c] > CONFIDENCE_RANK[t.confidence]) t.confidence = c;
    if (!t.evidence || t.evidence.match(/^\d+ finding\(s\) from /)) t.evidence = evidenceText(t.findings);
  }
  return { techniques: out, unknown: [...unknown] };
}

const union = (a: readonly string[], b: Iterable<string>) => [...new Set([...a, ...b])];
const ACCOUNT_RE = /^\d{12}$/;
const REGION_RE = /^[a-z0-9]+(-[a-z0-9]+)+$/;

/** Accounts, regions, services and earliest activity shown by findings, merged into an incident. */
export function withFindingContext<T extends Pick<Incident, "accounts" | "regions" | "services" | "timeline">>(
  incident: T,
  findings: readonly FindingLike[],
): T {
  const accounts = findings.map((f) => f.accountId ?? "").filter((a) => ACCOUNT_RE.test(a));
  const regions = findings.map((f) => (f.awsRegion ?? "").toLowerCase()).filter((r) => REGION_RE.test(r));
  const services = findings
    .map((f) => (f.eventSource ?? "").replace(/\.amazonaws\.com$/, "").toLowerCase())
    .filter((s) => /^[a-z0-9-]+$/.test(s));
  const times = findings.map((f) => Date.parse(f.eventTime ?? "")).filter((t) => !Number.isNaN(t));
  const timeline = { ...incident.timeline };
  if (times.length) {
    const first = canonicalTimestamp(Math.min(...times));
    if (!timeline.firstActivity || first < timeline.firstActivity) {
      // Keep the timeline consistent: first activity cannot be after a recorded detection.
      if (!timeline.detected || Date.parse(first) <= Date.parse(timeline.detected)) timeline.firstActivity = first;
    }
  }
  return {
    ...incident,
    accounts: union(incident.accounts, accounts),
    regions: union(incident.regions, regions),
    services: union(incident.services, services),
    timeline,
  };
}

/**
 * Counts behind a bounded evidence sample (a scan keeps a few findings per technique): the draft states them
 * instead of the sample's size.
 */
export interface FindingTotals {
  findings: number;
  /** Findings per technique ID, as the scan summary gives them. */
  byTechnique: Record<string, number>;
}

/**
 * A draft incident for `scan --create-incident`. `detected` is the time of the earliest finding's event (when
 * the logs first showed it), never the clock: a scan of old logs must not make time-to-detect look like the
 * age of the logs. Without any event time it stays empty for the responder to fill in.
 */
export function draftFromFindings(
  findings: readonly FindingLike[],
  catalog: Catalog,
  opts: { title?: string; source?: string; totals?: FindingTotals } = {},
): { draft: NewIncidentInput; unknown: string[] } {
  const { techniques, unknown } = mergeFindings([], findings, catalog);
  const totals = opts.totals;
  if (totals)
    for (const t of techniques) {
      const n = totals.byTechnique[t.id];
      if (n === undefined || n <= t.findings.length) continue;
      t.evidence = `${t.evidence.replace(/^\d+ finding\(s\) from /, `${n} finding(s) from `)}; the ${t.findings.length} earliest kept as evidence`;
    }
  const rules = [...new Set(findings.map((f) => f.rule.id))];
  const ruleTitles = [...new Set(findings.map((f) => f.rule.title || f.rule.id))];
  const base = withFindingContext(
    {
      accounts: [] as string[],
      regions: [] as string[],
      services: [] as string[],
      timeline: {} as Incident["timeline"],
    },
    findings,
  );
  const times = findings.map((f) => Date.parse(f.eventTime ?? "")).filter((t) => !Number.isNaN(t));
  const earliest = times.length ? canonicalTimestamp(Math.min(...times)) : undefined;
  // A detector finding among them raised the alert: detection is when it was created, by that detector.
  const alert = alertOf(findings);
  const detected = alert?.detected ?? earliest;
  // first activity cannot follow detection; keep it only when consistent
  if (detected !== undefined && base.timeline.firstActivity !== undefined && base.timeline.firstActivity > detected)
    delete base.timeline.firstActivity;
  const levels = findings.map((f) => f.rule.level ?? "");
  const severity = levels.includes("critical") ? "P1" : levels.includes("high") ? "P2" : "P3";
  const draft: NewIncidentInput = {
    title: (
      opts.title ??
      (alert?.finding.detector
        ? `Draft from ${detectorName(alert.finding.detector.detector)}: ${alert.finding.rule.title || alert.finding.detector.type}`
        : undefined) ??
      `Draft from scan: ${ruleTitles.slice(0, 2).join("; ")}${ruleTitles.length > 2 ? ` (+${ruleTitles.length - 2} more)` : ""}`
    ).slice(0, 200),
    summary: `Created from ${totals?.findings ?? findings.length} scan finding(s)${opts.source ? ` in ${opts.source}` : ""} by ${rules.length} rule(s). ${
      alert?.finding.detector
        ? `Detected is when ${detectorName(alert.finding.detector.detector)} raised finding ${alert.finding.detector.findingId} (${alert.finding.detector.type}).`
        : "Detected is the time of the earliest matching event: correct it if the alert came later."
    } Review and complete before triage.`,
    status: "open",
    severity,
    ...base,
    ...(alert ? { detectionSource: alert.source } : {}),
    timeline: { ...base.timeline, ...(detected !== undefined ? { detected } : {}) },
    techniques,
    tags: ["draft", "from-scan"],
  };
  return { draft, unknown };
}
