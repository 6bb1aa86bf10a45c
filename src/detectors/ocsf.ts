// OCSF finding rows (as Amazon Security Lake stores them: Detection Finding 2004 in OCSF 1.1, Security Finding
// 2001 in OCSF 1.0) to DetectorFinding. Security Lake fills these rows from Security Hub, so the finding's
// product (metadata.product.name) decides the detector as for ASFF, and its types are ASFF's.
import {
  accessAnalyzerType,
  accessKeyIn,
  arr,
  at,
  isObj,
  isoTime,
  type Json,
  num,
  obj,
  principalArnOf,
  str,
  typeFromAsffClassifier,
} from "./fields.js";
import type { ReadOutcome } from "./guardduty.js";
import type { DetectorId } from "./mapping.js";
import type { DetectorFinding, DetectorResource, DetectorSeverity } from "./model.js";

/** Finding classes the reader takes: Security Finding (OCSF 1.0) and Detection Finding (OCSF 1.1 and later). */
export const OCSF_FINDING_CLASSES: readonly number[] = [2001, 2004];
/** OCSF major version the reader knows. */
export const OCSF_VERSION = /^1\.\d+/;

const SEVERITY_IDS: Record<number, DetectorSeverity> = {
  0: "informational",
  1: "informational",
  2: "low",
  3: "medium",
  4: "high",
  5: "critical",
  6: "critical",
};

function detectorOf(product: string | undefined): DetectorId {
  const p = (product ?? "").toLowerCase().replace(/[^a-z]/g, "");
  if (p === "guardduty") return "guardduty";
  if (p === "macie") return "macie";
  if (p === "iamaccessanalyzer" || p === "accessanalyzer") return "access-analyzer";
  return "security-hub";
}

/** Security Lake keeps source fields OCSF has no place for in `unmapped`: an object, or a list of key/value pairs. */
function unmappedValue(row: Json, key: string): string | undefined {
  const u = row.unmapped;
  if (isObj(u)) return str(u[key]) ?? str(at(u, key));
  for (const e of arr(u)) {
    const kv = obj(e);
    if (kv.key === key) return str(kv.value);
  }
  return undefined;
}

/** Normalises one OCSF finding row; other classes and unknown versions are problems. */
export function readOcsfFinding(row: Json): ReadOutcome {
  const cls = num(row.class_uid);
  if (cls === undefined)
    return { ok: false, reason: "missing-field", field: "class_uid", message: "no class_uid: not an OCSF event" };
  if (!OCSF_FINDING_CLASSES.includes(cls))
    return {
      ok: false,
      reason: "other-ocsf-class",
      field: "class_uid",
      message: `OCSF class ${cls} is not a finding class the reader takes (${OCSF_FINDING_CLASSES.join(", ")})`,
    };
  const version = str(at(row, "metadata.version"));
  if (!version)
    return { ok: false, reason: "missing-field", field: "metadata.version", message: "no OCSF metadata.version" };
  if (!OCSF_VERSION.test(version))
    return {
      ok: false,
      reason: "unknown-schema-version",
      field: "metadata.version",
      message: `OCSF version ${version} is not one the reader knows (1.x)`,
    };
  // 2004 keeps the finding in finding_info, 2001 (OCSF 1.0) in finding
  const info = obj(row.finding_info ?? row.finding);
  const infoField = row.finding_info !== undefined ? "finding_info" : "finding";
  const id = str(info.uid);
  if (!id) return { ok: false, reason: "missing-field", field: `${infoField}.uid`, message: "no finding uid" };
  const product = str(at(row, "metadata.product.name"));
  const detector = detectorOf(product);
  const types = arr(info.types).filter((t): t is string => typeof t === "string");
  let type: string | undefined;
  if (detector === "guardduty" || detector === "macie")
    type = types.map((t) => (/^[A-Za-z0-9]+:[A-Za-z0-9]+\//.test(t) ? t : typeFromAsffClassifier(t))).find(Boolean);
  else if (detector === "security-hub")
    type =
      str(at(row, "compliance.control")) ??
      unmappedValue(row, "Compliance.SecurityControlId") ??
      unmappedValue(row, "ComplianceSecurityControlId");
  if (!type && detector === "access-analyzer" && types[0])
    type = accessAnalyzerType(types[0].slice(types[0].lastIndexOf("/") + 1), str(obj(arr(row.resources)[0]).type));
  type ??= types[0];
  if (!type) return { ok: false, reason: "missing-field", field: `${infoField}.types`, message: "no finding type" };
  const sevId = num(row.severity_id);
  const label =
    (sevId !== undefined ? SEVERITY_IDS[sevId] : undefined) ??
    ({ informational: "informational", low: "low", medium: "medium", high: "high", critical: "critical" } as const)[
      (str(row.severity) ?? "").toLowerCase() as DetectorSeverity
    ];
  if (!label) return { ok: false, reason: "missing-field", field: "severity_id", message: "no severity_id (1-6)" };
  const accountId = str(at(row, "cloud.account.uid")) ?? str(at(row, "cloud.account_uid"));
  const region = str(at(row, "cloud.region"));
  const resources: DetectorResource[] = [];
  for (const r of arr(row.resources)) {
    const ro = obj(r);
    const rid = str(ro.uid) ?? str(ro.name);
    if (rid) resources.push({ type: str(ro.type) ?? "unknown", id: rid });
  }
  // The actor: the row's own, else the first evidence's; the key and IPs from every evidence.
  const evidences = arr(row.evidences).map(obj);
  const actors = [obj(row.actor), ...evidences.map((e) => obj(e.actor))];
  const user = actors.map((a) => obj(a.user)).find((u) => Object.keys(u).length > 0) ?? {};
  const uid = str(user.uid);
  const accessKeyId = actors.map((a) => str(obj(a.user).credential_uid)).find(Boolean) ?? accessKeyIn(str(user.uid));
  const ips = new Set<string>();
  for (const e of [row, ...evidences]) {
    const ip = str(at(e, "src_endpoint.ip"));
    if (ip) ips.add(ip);
  }
  const finding: DetectorFinding = {
    detector,
    format: "ocsf",
    findingId: id,
    type,
    severity: { label, ...(sevId !== undefined ? { score: sevId } : {}) },
    resources,
    ips: [...ips],
  };
  if (product) finding.product = product;
  const title = str(info.title);
  if (title) finding.title = title;
  if (accountId) finding.accountId = accountId;
  if (region) finding.region = region;
  const times: Array<[keyof DetectorFinding, unknown]> = [
    ["firstSeen", info.first_seen_time ?? info.first_seen_time_dt],
    ["lastSeen", info.last_seen_time ?? info.last_seen_time_dt],
    ["createdAt", info.created_time ?? info.created_time_dt ?? row.time],
    ["updatedAt", info.modified_time ?? info.modified_time_dt],
  ];
  for (const [k, v] of times) {
    const t = isoTime(v);
    if (t) (finding as Record<string, unknown>)[k] = t;
  }
  if (uid && /^arn:[^:]+:(iam|sts)::\d{12}:/.test(uid)) finding.principalArn = uid;
  else {
    const arn = principalArnOf({
      accountId: str(user.account_uid) ?? str(at(user, "account.uid")) ?? accountId,
      type: str(user.type),
      name: str(user.name),
      principalId: uid,
    });
    if (arn) finding.principalArn = arn;
    else if (str(user.name) ?? uid) finding.principal = (str(user.name) ?? uid) as string;
  }
  if (accessKeyId) finding.accessKeyId = accessKeyId;
  const api = evidences.map((e) => str(at(e, "api.operation"))).find(Boolean);
  if (api) finding.api = api;
  return { ok: true, finding };
}
