// Small helpers the detector readers share: typed access to parsed JSON, time and severity normalisation,
// and building a principal's ARN from the parts detectors report.
import type { DetectorSeverity } from "./model.js";

export type Json = Record<string, unknown>;

export const isObj = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
export const obj = (v: unknown): Json => (isObj(v) ? v : {});
export const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
export const str = (v: unknown): string | undefined => (typeof v === "string" && v.trim() !== "" ? v : undefined);
export const num = (v: unknown): number | undefined => {
  if (typeof v === "number" && Number.isFinite(v)) return v;
  if (typeof v === "bigint") return Number(v);
  if (typeof v === "string" && v.trim() !== "" && Number.isFinite(Number(v))) return Number(v);
  return undefined;
};

/** The value at a dotted path (`a.b.c`), or undefined. */
export function at(o: unknown, path: string): unknown {
  let cur: unknown = o;
  for (const k of path.split(".")) {
    if (!isObj(cur)) return undefined;
    cur = cur[k];
  }
  return cur;
}

/**
 * The GuardDuty API (GetFindings) writes keys in PascalCase, EventBridge and the S3 export in camelCase: the
 * reader works on camelCase, so PascalCase keys get their first letter lowered (nested objects too).
 */
export function camelKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(camelKeys);
  if (!isObj(v)) return v;
  const out: Json = {};
  for (const [k, x] of Object.entries(v)) out[k.length > 0 ? k[0]?.toLowerCase() + k.slice(1) : k] = camelKeys(x);
  return out;
}

/**
 * A time as an ISO-8601 UTC text in CloudTrail's style (whole seconds without `.000`), so detector findings sort
 * among CloudTrail events. Accepts texts, epoch milliseconds (numbers, bigints) and Dates.
 */
export function isoTime(v: unknown): string | undefined {
  let ms: number | undefined;
  if (v instanceof Date) ms = v.getTime();
  else if (typeof v === "number" || typeof v === "bigint") ms = Number(v);
  else if (typeof v === "string" && v.trim() !== "") ms = Date.parse(v);
  if (ms === undefined || !Number.isFinite(ms)) return undefined;
  const d = new Date(ms);
  if (Number.isNaN(d.getTime())) return undefined;
  return d.toISOString().replace(/\.000Z$/, "Z");
}

/** GuardDuty's 0.1-10 score: 9+ critical (attack sequences), 7+ high, 4+ medium, else low. */
export function guardDutyLevel(score: number): DetectorSeverity {
  if (score >= 9) return "critical";
  if (score >= 7) return "high";
  if (score >= 4) return "medium";
  return "low";
}

/** ASFF's normalised 0-100 score, used when Severity.Label is absent. */
export function normalizedLevel(score: number): DetectorSeverity {
  if (score >= 90) return "critical";
  if (score >= 70) return "high";
  if (score >= 40) return "medium";
  if (score >= 1) return "low";
  return "informational";
}

const LABELS: Record<string, DetectorSeverity> = {
  INFORMATIONAL: "informational",
  LOW: "low",
  MEDIUM: "medium",
  HIGH: "high",
  CRITICAL: "critical",
  FATAL: "critical",
};
export const labelLevel = (label: string | undefined): DetectorSeverity | undefined =>
  label === undefined ? undefined : LABELS[label.toUpperCase()];

/**
 * The ARN of the principal a detector names by type, name and ID (GuardDuty accessKeyDetails, ASFF
 * AwsIamAccessKey): what CloudTrail writes in userIdentity.arn, so both land on the same timeline. Undefined
 * when the parts do not determine it.
 */
export function principalArnOf(p: {
  partition?: string | undefined;
  accountId?: string | undefined;
  type?: string | undefined;
  name?: string | undefined;
  principalId?: string | undefined;
}): string | undefined {
  const part = p.partition ?? "aws";
  const acct = p.accountId;
  if (!acct || !/^\d{12}$/.test(acct)) return undefined;
  switch (p.type) {
    case "Root":
      return `arn:${part}:iam::${acct}:root`;
    case "IAMUser":
      return p.name ? `arn:${part}:iam::${acct}:user/${p.name}` : undefined;
    case "AssumedRole": {
      // principalId is ROLEID:session-name; the name is the role's
      const session = p.principalId?.includes(":") ? p.principalId.slice(p.principalId.indexOf(":") + 1) : undefined;
      return p.name && session ? `arn:${part}:sts::${acct}:assumed-role/${p.name}/${session}` : undefined;
    }
    case "FederatedUser":
      return p.name ? `arn:${part}:sts::${acct}:federated-user/${p.name}` : undefined;
    default:
      return undefined;
  }
}

/**
 * A finding type from an ASFF `Types` entry: GuardDuty and Macie write `namespace/category/classifier` with the
 * classifier being their own type with `/` turned into `-` (`TTPs/Initial Access/UnauthorizedAccess:EC2-SSHBruteForce`
 * is `UnauthorizedAccess:EC2/SSHBruteForce`). Undefined when the classifier is not such a type.
 */
export function typeFromAsffClassifier(entry: string): string | undefined {
  const classifier = entry.slice(entry.lastIndexOf("/") + 1);
  const m = /^([A-Za-z0-9]+:[A-Za-z0-9]+)-(.+)$/.exec(classifier);
  return m ? `${m[1]}/${m[2]}` : undefined;
}

/** An access key ID inside a text (resource IDs sometimes carry it). */
export function accessKeyIn(s: string | undefined): string | undefined {
  return s ? /\b((?:AKIA|ASIA)[A-Z0-9]{12,})\b/.exec(s)?.[1] : undefined;
}

/** ASFF resource types of the resources IAM Access Analyzer analyses, as CloudFormation names them. */
const ASFF_RESOURCE_TYPES: Record<string, string> = {
  AwsS3Bucket: "AWS::S3::Bucket",
  AwsIamRole: "AWS::IAM::Role",
  AwsIamUser: "AWS::IAM::User",
  AwsKmsKey: "AWS::KMS::Key",
  AwsLambdaFunction: "AWS::Lambda::Function",
  AwsLambdaLayerVersion: "AWS::Lambda::LayerVersion",
  AwsSqsQueue: "AWS::SQS::Queue",
  AwsSnsTopic: "AWS::SNS::Topic",
  AwsSecretsManagerSecret: "AWS::SecretsManager::Secret",
  AwsEcrRepository: "AWS::ECR::Repository",
  AwsDynamoDbTable: "AWS::DynamoDB::Table",
  AwsEfsFileSystem: "AWS::EFS::FileSystem",
  AwsRdsDbSnapshot: "AWS::RDS::DBSnapshot",
  AwsRdsDbClusterSnapshot: "AWS::RDS::DBClusterSnapshot",
  AwsEc2Snapshot: "AWS::EC2::Snapshot",
};

/**
 * An IAM Access Analyzer finding's mapping key from its ASFF type classifier and first resource: external access
 * findings are keyed `ExternalAccess/<CloudFormation resource type>` and unused access findings by their finding
 * type without spaces (`Unused IAM Role` is `UnusedIAMRole`), as mappings/access-analyzer.yaml keys them.
 */
export function accessAnalyzerType(classifier: string, resourceType: string | undefined): string {
  const words = classifier.replace(/\s+/g, "");
  if (/^ExternalAccess/i.test(words)) {
    const cfn = resourceType?.startsWith("AWS::") ? resourceType : ASFF_RESOURCE_TYPES[resourceType ?? ""];
    return cfn ? `ExternalAccess/${cfn}` : "ExternalAccess";
  }
  if (/^Unused/i.test(words)) return words;
  return classifier;
}
