// GuardDuty findings (GetFindings output, EventBridge `detail`, S3 export lines) to DetectorFinding. The
// fields read are those of the documented finding shape (camelCase; PascalCase API output is lowered first).
import { arr, camelKeys, guardDutyLevel, isObj, isoTime, type Json, num, obj, principalArnOf, str } from "./fields.js";
import type { DetectorFinding, DetectorProblemReason, DetectorResource } from "./model.js";

/** Finding schema versions the reader knows (GuardDuty has written 2.0 since its first release of this shape). */
export const GUARDDUTY_SCHEMA_VERSIONS: readonly string[] = ["2.0"];

export type ReadOutcome =
  | { ok: true; finding: DetectorFinding }
  | { ok: false; reason: DetectorProblemReason; field?: string; message: string };

/** True when a parsed object is shaped like a GuardDuty finding (either key case). */
export function looksLikeGuardDuty(v: Json): boolean {
  const service = obj(v.service ?? v.Service);
  const name = service.serviceName ?? service.ServiceName;
  if (name === "guardduty") return true;
  return (
    (v.schemaVersion ?? v.SchemaVersion) !== undefined &&
    (v.accountId ?? v.AccountId) !== undefined &&
    (v.type ?? v.Type) !== undefined &&
    isObj(v.resource ?? v.Resource)
  );
}

function ipsOf(action: Json): string[] {
  const out = new Set<string>();
  const add = (d: unknown) => {
    const x = obj(d);
    const ip = str(x.ipAddressV4) ?? str(x.ipAddressV6);
    if (ip) out.add(ip);
  };
  add(obj(action.awsApiCallAction).remoteIpDetails);
  add(obj(action.networkConnectionAction).remoteIpDetails);
  add(obj(action.kubernetesApiCallAction).remoteIpDetails);
  add(obj(action.rdsLoginAttemptAction).remoteIpDetails);
  for (const ip of arr(obj(action.kubernetesApiCallAction).sourceIPs)) if (typeof ip === "string") out.add(ip);
  for (const d of arr(obj(action.portProbeAction).portProbeDetails)) add(obj(d).remoteIpDetails);
  return [...out];
}

function resourcesOf(r: Json, partition: string, account: string | undefined, region: string | undefined) {
  const out: DetectorResource[] = [];
  const push = (type: string, id: string | undefined) => {
    if (id) out.push({ type, id });
  };
  const key = obj(r.accessKeyDetails);
  push("AccessKey", str(key.accessKeyId));
  const inst = str(obj(r.instanceDetails).instanceId);
  push("Instance", inst && account && region ? `arn:${partition}:ec2:${region}:${account}:instance/${inst}` : inst);
  for (const b of arr(r.s3BucketDetails)) push("S3Bucket", str(obj(b).arn) ?? str(obj(b).name));
  const eks = obj(r.eksClusterDetails);
  push("EKSCluster", str(eks.arn) ?? str(eks.name));
  const ecs = obj(r.ecsClusterDetails);
  push("ECSCluster", str(ecs.arn) ?? str(ecs.name));
  const lambda = obj(r.lambdaDetails);
  push("Lambda", str(lambda.functionArn) ?? str(lambda.functionName));
  const rds = obj(r.rdsDbInstanceDetails);
  push("RDSDBInstance", str(rds.dbInstanceArn) ?? str(rds.dbInstanceIdentifier));
  return out;
}

/** Normalises one GuardDuty finding (camelCase or PascalCase). */
export function readGuardDutyFinding(raw: Json): ReadOutcome {
  const f = "SchemaVersion" in raw || "AccountId" in raw || "Id" in raw ? (camelKeys(raw) as Json) : raw;
  const version = f.schemaVersion;
  if (typeof version !== "string" && typeof version !== "number")
    return { ok: false, reason: "missing-field", field: "schemaVersion", message: "no schemaVersion" };
  if (!GUARDDUTY_SCHEMA_VERSIONS.includes(String(version)))
    return {
      ok: false,
      reason: "unknown-schema-version",
      field: "schemaVersion",
      message: `GuardDuty finding schema version ${String(version)} is not one the reader knows (${GUARDDUTY_SCHEMA_VERSIONS.join(", ")})`,
    };
  const id = str(f.id);
  if (!id) return { ok: false, reason: "missing-field", field: "id", message: "no finding id" };
  const type = str(f.type);
  if (!type) return { ok: false, reason: "missing-field", field: "type", message: "no finding type" };
  const score = num(f.severity);
  if (score === undefined)
    return { ok: false, reason: "missing-field", field: "severity", message: "no numeric severity" };
  const partition = str(f.partition) ?? "aws";
  const accountId = str(f.accountId);
  const region = str(f.region);
  const resource = obj(f.resource);
  const service = obj(f.service);
  const action = obj(service.action);
  const key = obj(resource.accessKeyDetails);
  const accessKeyId = str(key.accessKeyId);
  const userName = str(key.userName);
  const principalArn = principalArnOf({
    partition,
    accountId,
    type: str(key.userType),
    name: userName,
    principalId: str(key.principalId),
  });
  const finding: DetectorFinding = {
    detector: "guardduty",
    format: "guardduty",
    product: "GuardDuty",
    findingId: id,
    type,
    severity: { label: guardDutyLevel(score), score },
    resources: resourcesOf(resource, partition, accountId, region),
    ips: ipsOf(action),
  };
  const title = str(f.title);
  if (title) finding.title = title;
  if (accountId) finding.accountId = accountId;
  if (region) finding.region = region;
  const times: Array<[keyof DetectorFinding, unknown]> = [
    ["firstSeen", service.eventFirstSeen],
    ["lastSeen", service.eventLastSeen],
    ["createdAt", f.createdAt],
    ["updatedAt", f.updatedAt],
  ];
  for (const [k, v] of times) {
    const t = isoTime(v);
    if (t) (finding as Record<string, unknown>)[k] = t;
  }
  if (principalArn) finding.principalArn = principalArn;
  else if (userName ?? str(key.principalId)) finding.principal = (userName ?? str(key.principalId)) as string;
  if (accessKeyId) finding.accessKeyId = accessKeyId;
  const api = str(obj(action.awsApiCallAction).api);
  if (api) finding.api = api;
  return { ok: true, finding };
}
