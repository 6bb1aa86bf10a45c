// Security Hub findings in the AWS Security Finding Format (ASFF) to DetectorFinding. The finding's product
// decides the detector: GuardDuty, Macie and IAM Access Analyzer findings aggregated by Security Hub count as
// those detectors (with their own finding type); Security Hub's control findings carry the control ID
// (Compliance.SecurityControlId) as their type; anything else stays a Security Hub finding.
import {
  accessAnalyzerType,
  accessKeyIn,
  arr,
  isoTime,
  type Json,
  labelLevel,
  normalizedLevel,
  num,
  obj,
  principalArnOf,
  str,
  typeFromAsffClassifier,
} from "./fields.js";
import type { ReadOutcome } from "./guardduty.js";
import type { DetectorId } from "./mapping.js";
import type { DetectorFinding, DetectorResource } from "./model.js";

/** The one ASFF schema version AWS has published. */
export const ASFF_SCHEMA_VERSIONS: readonly string[] = ["2018-10-08"];

/** Fields every ASFF finding must have (the format's required attributes). */
const REQUIRED = [
  "SchemaVersion",
  "Id",
  "ProductArn",
  "GeneratorId",
  "AwsAccountId",
  "CreatedAt",
  "UpdatedAt",
  "Severity",
  "Title",
  "Description",
  "Resources",
] as const;

export const looksLikeAsff = (v: Json): boolean =>
  typeof v.ProductArn === "string" || (typeof v.SchemaVersion === "string" && "GeneratorId" in v);

/** The detector behind an ASFF finding, from ProductName or the product ARN's last part. */
export function asffDetector(f: Json): DetectorId {
  const name = (str(f.ProductName) ?? "").toLowerCase().replace(/[^a-z]/g, "");
  const product = (str(f.ProductArn) ?? "").split("/").pop()?.toLowerCase() ?? "";
  if (name === "guardduty" || product === "guardduty") return "guardduty";
  if (name === "macie" || product === "macie") return "macie";
  if (name === "iamaccessanalyzer" || name === "accessanalyzer" || product === "access-analyzer")
    return "access-analyzer";
  return "security-hub";
}

function typeOf(f: Json, detector: DetectorId, types: string[]): string | undefined {
  if (detector === "guardduty" || detector === "macie") {
    for (const t of types) {
      const own = typeFromAsffClassifier(t);
      if (own) return own;
    }
    return types[0];
  }
  if (detector === "access-analyzer") {
    const t = types[0];
    return t ? accessAnalyzerType(t.slice(t.lastIndexOf("/") + 1), str(obj(arr(f.Resources)[0]).Type)) : undefined;
  }
  // A control finding: the consolidated control ID, else the standard's control from the generator ID.
  const control = str(obj(f.Compliance).SecurityControlId);
  if (control) return control;
  const gen = str(f.GeneratorId) ?? "";
  if (/^security-control\//.test(gen)) return gen.slice("security-control/".length);
  return types[0] ?? gen;
}

function ipsOf(f: Json): string[] {
  const out = new Set<string>();
  const add = (v: unknown) => {
    const ip = str(v);
    if (ip) out.add(ip);
  };
  const action = obj(f.Action);
  add(obj(obj(action.AwsApiCallAction).RemoteIpDetails).IpAddressV4);
  add(obj(obj(action.NetworkConnectionAction).RemoteIpDetails).IpAddressV4);
  for (const d of arr(obj(action.PortProbeAction).PortProbeDetails)) add(obj(obj(d).RemoteIpDetails).IpAddressV4);
  add(obj(f.Network).SourceIpV4);
  add(obj(f.Network).SourceIpV6);
  return [...out];
}

/** Normalises one ASFF finding; a missing required attribute or an unknown schema version is a problem. */
export function readAsffFinding(f: Json): ReadOutcome {
  const missing = REQUIRED.filter((k) => {
    const v = f[k];
    if (k === "Resources") return !Array.isArray(v) || v.length === 0;
    if (k === "Severity") return typeof v !== "object" || v === null;
    return typeof v !== "string" || v.trim() === "";
  });
  if (missing.length > 0)
    return {
      ok: false,
      reason: "missing-field",
      field: missing[0] as string,
      message: `ASFF finding without required ${missing.join(", ")}`,
    };
  const version = f.SchemaVersion as string;
  if (!ASFF_SCHEMA_VERSIONS.includes(version))
    return {
      ok: false,
      reason: "unknown-schema-version",
      field: "SchemaVersion",
      message: `ASFF schema version ${version} is not one the reader knows (${ASFF_SCHEMA_VERSIONS.join(", ")})`,
    };
  const severity = obj(f.Severity);
  const label = labelLevel(str(severity.Label)) ?? labelLevel(str(severity.Original));
  const normalized = num(severity.Normalized);
  if (!label && normalized === undefined)
    return {
      ok: false,
      reason: "missing-field",
      field: "Severity.Label",
      message: "Severity has no Label or Normalized",
    };
  const resources: DetectorResource[] = [];
  for (const [i, r] of arr(f.Resources).entries()) {
    const type = str(obj(r).Type);
    const id = str(obj(r).Id);
    if (!type || !id)
      return {
        ok: false,
        reason: "missing-field",
        field: `Resources.${i}.${type ? "Id" : "Type"}`,
        message: "a resource needs Type and Id",
      };
    resources.push({ type, id });
  }
  const detector = asffDetector(f);
  const types = arr(obj(f.FindingProviderFields).Types).length ? arr(obj(f.FindingProviderFields).Types) : arr(f.Types);
  const type = typeOf(
    f,
    detector,
    types.filter((t): t is string => typeof t === "string"),
  );
  if (!type) return { ok: false, reason: "missing-field", field: "Types", message: "no finding type (Types)" };
  const accountId = str(f.AwsAccountId);
  const partition = /^arn:([^:]+):/.exec(str(f.ProductArn) ?? "")?.[1] ?? "aws";
  // The principal and key: AwsIamAccessKey details, else an IAM user resource.
  let principalArn: string | undefined;
  let principal: string | undefined;
  let accessKeyId: string | undefined;
  for (const r of arr(f.Resources)) {
    const ro = obj(r);
    if (ro.Type === "AwsIamAccessKey") {
      const d = obj(obj(ro.Details).AwsIamAccessKey);
      accessKeyId ??= str(d.AccessKeyId) ?? accessKeyIn(str(ro.Id));
      const name = str(d.PrincipalName) ?? str(d.UserName);
      principalArn ??= principalArnOf({
        partition,
        accountId: str(d.AccountId) ?? accountId,
        type: str(d.PrincipalType),
        name,
        principalId: str(d.PrincipalId),
      });
      principal ??= name ?? str(d.PrincipalId);
    } else if (ro.Type === "AwsIamUser" && /^arn:[^:]+:iam::\d{12}:user\//.test(str(ro.Id) ?? ""))
      principalArn ??= str(ro.Id);
  }
  const finding: DetectorFinding = {
    detector,
    format: "asff",
    findingId: f.Id as string,
    type,
    title: f.Title as string,
    severity: {
      label: label ?? normalizedLevel(normalized as number),
      ...(normalized !== undefined ? { score: normalized } : {}),
    },
    resources,
    ips: ipsOf(f),
  };
  const product = str(f.ProductName);
  if (product) finding.product = product;
  if (accountId) finding.accountId = accountId;
  const region = str(f.Region) ?? str(obj(arr(f.Resources)[0]).Region);
  if (region) finding.region = region;
  const times: Array<[keyof DetectorFinding, unknown]> = [
    ["firstSeen", f.FirstObservedAt],
    ["lastSeen", f.LastObservedAt],
    ["createdAt", f.CreatedAt],
    ["updatedAt", f.UpdatedAt],
  ];
  for (const [k, v] of times) {
    const t = isoTime(v);
    if (t) (finding as Record<string, unknown>)[k] = t;
  }
  if (principalArn) finding.principalArn = principalArn;
  else if (principal) finding.principal = principal;
  if (accessKeyId) finding.accessKeyId = accessKeyId;
  const api = str(obj(obj(f.Action).AwsApiCallAction).Api);
  if (api) finding.api = api;
  return { ok: true, finding };
}
