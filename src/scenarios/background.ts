// Benign background activity: a seeded model of what a set of ordinary AWS accounts logs. Each account has its
// workloads (Lambda functions, ECS services, EKS nodes, EC2 instances with the SSM agent), automation
// (a CI/CD role assumed through GitHub's OIDC provider, a monitoring vendor's cross-account role, AWS Config,
// a nightly backup user), engineers signing in through SAML federation (console and CLI, in working hours) and
// a few legacy IAM users with long-term keys. Assumed-role sessions rotate hourly and each new session starts
// with the STS call that created it, so access keys, sessions and principals stay consistent over the corpus.
//
// Records are assembled from pre-serialised fragments (identity blocks, user agents, TLS details, resource
// names) rather than JSON.stringify of objects: that is what makes hundreds of thousands of records a second
// possible. Every fragment is built with JSON.stringify once, so the output is well-formed JSON.
import { Rng, Weighted } from "./random.js";

const J = JSON.stringify;

export const REGIONS = ["us-east-1", "eu-west-1", "us-west-2", "eu-central-1", "ap-southeast-2"] as const;

/** The victim accounts of a corpus, with the resource names the background and the scenarios share. */
export interface AccountModel {
  index: number;
  id: string;
  /** Short environment name (prod, staging, ...), used in resource names. */
  name: string;
  /** The company's name as used in bucket names. */
  alias: string;
  homeRegion: string;
  secondRegion: string;
  buckets: string[];
  functions: string[];
  instances: string[];
  tables: string[];
  clusters: string[];
  secrets: string[];
  parameters: string[];
  kmsKeys: string[];
  volumes: string[];
  snapshots: string[];
  amis: string[];
  /** Weight of the account in the background (production is the busiest). */
  weight: number;
}

const ENV_NAMES = ["prod", "staging", "data", "shared", "dev", "sandbox", "analytics", "security"];
const COMPANY = ["northwind", "contoso", "fabrikam", "tailspin", "wingtip", "adatum", "litware", "proseware"];
const SERVICES = ["orders", "billing", "catalog", "payments", "search", "notify", "auth", "reports", "media", "ledger"];

export function makeAccounts(seed: number, count: number): AccountModel[] {
  const rng = new Rng(seed, "accounts");
  const company = rng.pick(COMPANY);
  const used = new Set<string>();
  const out: AccountModel[] = [];
  for (let i = 0; i < count; i++) {
    let id = "";
    do id = `${1 + rng.int(9)}${rng.digits(11)}`;
    while (used.has(id));
    used.add(id);
    const name = i < ENV_NAMES.length ? (ENV_NAMES[i] as string) : `workload${i}`;
    const homeRegion = i % 4 === 3 ? "eu-west-1" : "us-east-1";
    const secondRegion = homeRegion === "us-east-1" ? "us-west-2" : "eu-central-1";
    const svc = SERVICES.slice(0, 6 + rng.int(4));
    out.push({
      index: i,
      id,
      name,
      alias: `${company}-${name}`,
      homeRegion,
      secondRegion,
      buckets: [
        `${company}-${name}-customer-documents`,
        `${company}-${name}-app-assets`,
        `${company}-${name}-backups`,
        `${company}-${name}-build-artifacts`,
        `${company}-${name}-data-lake`,
        `${company}-${name}-logs-${id}`,
      ],
      functions: svc.map((s) => `${s}-${name}-handler`),
      instances: Array.from({ length: 4 + rng.int(6) }, () => `i-0${rng.hex(16)}`),
      tables: svc.slice(0, 5).map((s) => `${s}-${name}`),
      clusters: [`${name}-eks-main`],
      secrets: svc.slice(0, 4).map((s) => `${name}/${s}/db-credentials`),
      parameters: svc.map((s) => `/${name}/${s}/config`),
      kmsKeys: Array.from({ length: 3 }, () => rng.uuid()),
      volumes: Array.from({ length: 6 }, () => `vol-0${rng.hex(16)}`),
      snapshots: Array.from({ length: 6 }, () => `snap-0${rng.hex(16)}`),
      amis: Array.from({ length: 3 }, () => `ami-0${rng.hex(16)}`),
      weight: 1 / (1 + 0.6 * i),
    });
  }
  return out;
}

// ---------------------------------------------------------------- user agents and networks

const UA = {
  lambdaPy: [
    "Boto3/1.34.145 md/Botocore#1.34.145 ua/2.0 os/linux#5.10.224-233.877.amzn2.x86_64 md/arch#x86_64 lang/python#3.12.5 md/pyimpl#CPython exec-env/AWS_Lambda_python3.12 cfg/retry-mode#legacy Botocore/1.34.145",
  ],
  lambdaNode: [
    "aws-sdk-js/3.637.0 ua/2.1 os/linux#5.10.224-233.877.amzn2.x86_64 lang/js md/nodejs#20.17.0 api/s3#3.637.0 exec-env/AWS_Lambda_nodejs20.x",
    "aws-sdk-js/3.637.0 ua/2.1 os/linux#5.10.224-233.877.amzn2.x86_64 lang/js md/nodejs#20.17.0 api/secrets-manager#3.637.0 exec-env/AWS_Lambda_nodejs20.x",
  ],
  ecs: [
    "aws-sdk-java/2.26.25 Linux/5.10.223-211.872.amzn2.x86_64 OpenJDK_64-Bit_Server_VM/21.0.4+7-LTS Java/21.0.4 vendor/Amazon.com_Inc. io/sync http/Apache cfg/retry-mode/legacy",
  ],
  eks: [
    "aws-sdk-go/1.55.5 (go1.22.5; linux; amd64)",
    "aws-sdk-go-v2/1.30.4 os/linux lang/go#1.22.6 md/GOOS#linux md/GOARCH#amd64 api/ec2#1.173.0",
  ],
  ssmAgent: ["aws-sdk-go/1.44.302 (go1.21.6; linux; amd64) amazon-ssm-agent/3.3.859.0"],
  ci: [
    "aws-cli/2.17.40 md/awscrt#0.21.2 ua/2.0 os/linux#6.5.0-1025-azure md/arch#x86_64 lang/python#3.11.9 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/distrib#ubuntu.22 md/prompt#off md/command#cloudformation.deploy",
    "APN/1.0 HashiCorp/1.0 Terraform/1.9.5 (+https://www.terraform.io) terraform-provider-aws/5.64.0 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.30.4 os/linux lang/go#1.22.6 md/GOOS#linux md/GOARCH#amd64",
  ],
  monitoring: ["Datadog/1.0 aws-sdk-go/1.55.5 (go1.22.5; linux; amd64)"],
  config: ["config.amazonaws.com"],
  console: [
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/128.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/128.0.0.0 Safari/537.36 Edg/128.0.0.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.6; rv:130.0) Gecko/20100101 Firefox/130.0",
  ],
  cli: [
    "aws-cli/2.17.31 md/awscrt#0.21.2 ua/2.0 os/macos#23.6.0 md/arch#arm64 lang/python#3.11.9 md/pyimpl#CPython cfg/retry-mode#standard md/installer#source md/prompt#off md/command#ec2.describe-instances",
    "aws-cli/2.17.31 md/awscrt#0.21.2 ua/2.0 os/macos#23.6.0 md/arch#arm64 lang/python#3.11.9 md/pyimpl#CPython cfg/retry-mode#standard md/installer#source md/prompt#off md/command#s3.ls",
    "aws-cli/2.15.58 md/awscrt#0.19.19 ua/2.0 os/linux#6.8.0-41-generic md/arch#x86_64 lang/python#3.11.8 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/distrib#ubuntu.24 md/prompt#off md/command#logs.tail",
  ],
  backup: ["rclone/v1.67.0"],
  jenkins: [
    "aws-sdk-java/1.12.770 Linux/5.15.0-119-generic OpenJDK_64-Bit_Server_VM/17.0.12+7-Ubuntu-1ubuntu222.04 java/17.0.12 vendor/Ubuntu groovy/4.0.22 cfg/retry-mode/standard",
  ],
  reporting: [
    "Boto3/1.35.10 md/Botocore#1.35.10 ua/2.0 os/linux#5.15.0-1066-aws md/arch#x86_64 lang/python#3.10.12 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.35.10",
  ],
};

/** Addresses in AWS's public ranges (workloads calling public endpoints) and the company's own networks. */
function awsIps(rng: Rng, n: number): string[] {
  const prefixes = ["3.208", "3.231", "18.206", "34.228", "44.199", "52.23", "54.87", "54.172"];
  return Array.from({ length: n }, () => `${rng.pick(prefixes)}.${rng.between(1, 254)}.${rng.between(1, 254)}`);
}

// ---------------------------------------------------------------- operations

interface OpCtx {
  rng: Rng;
  acct: AccountModel;
  region: string;
}

/** One kind of API call of the background. */
interface Op {
  host: string;
  name: string;
  read: boolean;
  data: boolean;
  /** Global services log in us-east-1. */
  global: boolean;
  params: (c: OpCtx) => string;
  response: (c: OpCtx) => string;
  /** `"resources":[...],` fragment (with the trailing comma) or "". */
  resources?: (c: OpCtx) => string;
  /** Chance and kind of a failed call. */
  fail?: [number, string, string];
}

const NULL = () => "null";

function op(
  api: string,
  params: (c: OpCtx) => string = NULL,
  extra: Partial<Pick<Op, "read" | "data" | "global" | "response" | "resources" | "fail">> = {},
): Op {
  const [svc, name] = api.split(":") as [string, string];
  const read =
    extra.read ??
    /^(Get|List|Describe|Head|Lookup|Search|Batch(Get|Check)|Check|Query|Scan|Select|Decrypt|GenerateDataKey)/.test(
      name,
    );
  return {
    host: `${svc}.amazonaws.com`,
    name,
    read,
    data: extra.data ?? false,
    global: extra.global ?? (svc === "iam" || svc === "organizations" || svc === "route53" || svc === "cloudfront"),
    params,
    response: extra.response ?? NULL,
    ...(extra.resources ? { resources: extra.resources } : {}),
    ...(extra.fail ? { fail: extra.fail } : {}),
  };
}

const pk = <T>(c: OpCtx, a: readonly T[]): T => c.rng.pick(a);
const objKey = (c: OpCtx): string =>
  `${pk(c, ["exports", "uploads", "invoices", "thumbnails", "events", "tmp"])}/2026/${String(c.rng.between(1, 12)).padStart(2, "0")}/${c.rng.hex(12)}.${pk(c, ["json", "pdf", "parquet", "png", "csv"])}`;
const s3Res = (bucket: string, key: string, acct: string) =>
  `"resources":[{"type":"AWS::S3::Object","ARN":"arn:aws:s3:::${bucket}/${key}"},{"accountId":"${acct}","type":"AWS::S3::Bucket","ARN":"arn:aws:s3:::${bucket}"}],`;
const kmsRes = (c: OpCtx, key: string) =>
  `"resources":[{"accountId":"${c.acct.id}","type":"AWS::KMS::Key","ARN":"arn:aws:kms:${c.region}:${c.acct.id}:key/${key}"}],`;

function s3Object(api: "GetObject" | "PutObject" | "HeadObject", bucketIdx: number[]): Op {
  let bucket = "";
  let key = "";
  return op(
    `s3:${api}`,
    (c) => {
      bucket = c.acct.buckets[pk(c, bucketIdx)] as string;
      key = objKey(c);
      return `{"bucketName":"${bucket}","Host":"${bucket}.s3.${c.region}.amazonaws.com","key":"${key}"${api === "PutObject" ? ',"x-amz-server-side-encryption":"aws:kms"' : ""}}`;
    },
    {
      data: true,
      read: api !== "PutObject",
      response: (c) =>
        api === "PutObject"
          ? `{"x-amz-server-side-encryption-aws-kms-key-id":"arn:aws:kms:${c.region}:${c.acct.id}:key/${c.acct.kmsKeys[0]}","x-amz-server-side-encryption":"aws:kms"}`
          : "null",
      resources: (c) => s3Res(bucket, key, c.acct.id),
      fail: api === "GetObject" ? [0.01, "NoSuchKey", "The specified key does not exist."] : undefined,
    },
  );
}

const OPS = {
  getCallerIdentity: op("sts:GetCallerIdentity"),
  kmsDecrypt: op("kms:Decrypt", () => '{"encryptionAlgorithm":"SYMMETRIC_DEFAULT"}', {
    resources: (c) => kmsRes(c, c.acct.kmsKeys[0] as string),
  }),
  kmsGenerateDataKey: op(
    "kms:GenerateDataKey",
    (c) => `{"keyId":"arn:aws:kms:${c.region}:${c.acct.id}:key/${c.acct.kmsKeys[1]}","keySpec":"AES_256"}`,
    { resources: (c) => kmsRes(c, c.acct.kmsKeys[1] as string) },
  ),
  getSecret: op("secretsmanager:GetSecretValue", (c) => `{"secretId":"${pk(c, c.acct.secrets)}"}`),
  getParameter: op("ssm:GetParameter", (c) => `{"name":"${pk(c, c.acct.parameters)}","withDecryption":true}`, {
    fail: [0.005, "ParameterNotFound", "Parameter not found."],
  }),
  getParameters: op("ssm:GetParameters", (c) => `{"names":["${pk(c, c.acct.parameters)}"],"withDecryption":true}`),
  s3Get: s3Object("GetObject", [0, 1, 4]),
  s3Put: s3Object("PutObject", [0, 1, 4]),
  s3Head: s3Object("HeadObject", [1, 4]),
  s3ArtifactPut: s3Object("PutObject", [3]),
  s3BackupPut: s3Object("PutObject", [2]),
  listObjects: op(
    "s3:ListObjects",
    (c) => {
      const b = pk(c, c.acct.buckets);
      return `{"bucketName":"${b}","Host":"${b}.s3.${c.region}.amazonaws.com","prefix":"${pk(c, ["exports/", "uploads/", "", "events/"])}","list-type":"2"}`;
    },
    { data: true },
  ),
  ecrToken: op("ecr:GetAuthorizationToken", () => '{"registryIds":[]}'),
  ecrBatchGetImage: op(
    "ecr:BatchGetImage",
    (c) =>
      `{"imageIds":[{"imageTag":"v${c.rng.between(1, 9)}.${c.rng.between(0, 40)}.${c.rng.between(0, 9)}"}],"acceptedMediaTypes":["application/vnd.docker.distribution.manifest.v2+json"],"repositoryName":"${pk(c, SERVICES)}","registryId":"${c.acct.id}"}`,
  ),
  describeInstances: op("ec2:DescribeInstances", (c) =>
    c.rng.chance(0.5)
      ? `{"instancesSet":{"items":[{"instanceId":"${pk(c, c.acct.instances)}"}]},"filterSet":{}}`
      : '{"instancesSet":{},"filterSet":{"items":[{"name":"instance-state-name","valueSet":{"items":[{"value":"running"}]}}]}}',
  ),
  describeNetworkInterfaces: op(
    "ec2:DescribeNetworkInterfaces",
    (c) =>
      `{"networkInterfaceIdSet":{},"filterSet":{"items":[{"name":"attachment.instance-id","valueSet":{"items":[{"value":"${pk(c, c.acct.instances)}"}]}}]}}`,
  ),
  describeVolumes: op("ec2:DescribeVolumes", () => '{"volumeSet":{},"filterSet":{}}'),
  describeSecurityGroups: op(
    "ec2:DescribeSecurityGroups",
    () => '{"securityGroupSet":{},"securityGroupIdSet":{},"filterSet":{}}',
  ),
  describeSubnets: op("ec2:DescribeSubnets", () => '{"subnetSet":{},"filterSet":{}}'),
  describeAsg: op(
    "autoscaling:DescribeAutoScalingGroups",
    (c) => `{"autoScalingGroupNames":["${c.acct.clusters[0]}-ng-1"]}`,
  ),
  describeCluster: op("eks:DescribeCluster", (c) => `{"name":"${c.acct.clusters[0]}"}`),
  ssmUpdateInfo: op(
    "ssm:UpdateInstanceInformation",
    (c) =>
      `{"instanceId":"${pk(c, c.acct.instances)}","agentVersion":"3.3.859.0","agentStatus":"Active","platformType":"Linux","platformName":"Amazon Linux","platformVersion":"2023","iPAddress":"10.0.${c.rng.between(0, 63)}.${c.rng.between(2, 254)}","computerName":"ip-10-0-${c.rng.between(0, 63)}-${c.rng.between(2, 254)}.ec2.internal","agentName":"amazon-ssm-agent","availabilityZone":"${c.region}a","availabilityZoneId":"use1-az4"}`,
    { read: false },
  ),
  ssmListAssociations: op(
    "ssm:ListInstanceAssociations",
    (c) => `{"instanceId":"${pk(c, c.acct.instances)}","maxResults":50}`,
  ),
  getMetricData: op(
    "monitoring:GetMetricData",
    (c) =>
      `{"metricDataQueries":[{"id":"m1","metricStat":{"metric":{"namespace":"AWS/${pk(c, ["EC2", "Lambda", "RDS", "ApplicationELB", "SQS"])}","metricName":"${pk(c, ["CPUUtilization", "Invocations", "Errors", "RequestCount", "Duration"])}"},"period":300,"stat":"Average"}}],"startTime":"2026-11-01T00:00:00Z","endTime":"2026-11-01T00:05:00Z"}`,
  ),
  listMetrics: op("monitoring:ListMetrics", (c) => `{"namespace":"AWS/${pk(c, ["EC2", "Lambda", "RDS", "S3"])}"}`),
  describeAlarms: op("monitoring:DescribeAlarms", () => '{"maxRecords":100}'),
  getResources: op("tagging:GetResources", () => '{"resourcesPerPage":100,"resourceTypeFilters":[]}'),
  listFunctions: op("lambda:ListFunctions20150331", () => '{"maxItems":50}'),
  getFunction: op("lambda:GetFunctionConfiguration20150331v2", (c) => `{"functionName":"${pk(c, c.acct.functions)}"}`),
  describeDb: op("rds:DescribeDBInstances", () => '{"maxRecords":100}'),
  describeLbs: op("elasticloadbalancing:DescribeLoadBalancers", () => '{"pageSize":400}'),
  describeTargetHealth: op(
    "elasticloadbalancing:DescribeTargetHealth",
    (c) =>
      `{"targetGroupArn":"arn:aws:elasticloadbalancing:${c.region}:${c.acct.id}:targetgroup/${pk(c, SERVICES)}-tg/${c.rng.hex(16)}"}`,
  ),
  describeStacks: op("cloudformation:DescribeStacks", (c) => `{"stackName":"${pk(c, SERVICES)}-${c.acct.name}"}`),
  describeStackEvents: op(
    "cloudformation:DescribeStackEvents",
    (c) => `{"stackName":"${pk(c, SERVICES)}-${c.acct.name}"}`,
  ),
  createChangeSet: op(
    "cloudformation:CreateChangeSet",
    (c) =>
      `{"stackName":"${pk(c, SERVICES)}-${c.acct.name}","changeSetName":"deploy-${c.rng.hex(7)}","changeSetType":"UPDATE","capabilities":["CAPABILITY_IAM"]}`,
    { response: (c) => `{"id":"arn:aws:cloudformation:${c.region}:${c.acct.id}:changeSet/deploy/${c.rng.uuid()}"}` },
  ),
  executeChangeSet: op(
    "cloudformation:ExecuteChangeSet",
    (c) => `{"stackName":"${pk(c, SERVICES)}-${c.acct.name}","changeSetName":"deploy-${c.rng.hex(7)}"}`,
  ),
  updateService: op(
    "ecs:UpdateService",
    (c) => `{"cluster":"${c.acct.name}-apps","service":"${pk(c, SERVICES)}","forceNewDeployment":true}`,
  ),
  describeServices: op(
    "ecs:DescribeServices",
    (c) => `{"cluster":"${c.acct.name}-apps","services":["${pk(c, SERVICES)}"]}`,
  ),
  configGetCompliance: op(
    "config:GetComplianceDetailsByConfigRule",
    () => '{"configRuleName":"s3-bucket-ssl-requests-only","limit":100}',
  ),
  listRoles: op("iam:ListRoles", () => '{"maxItems":100}'),
  getRole: op("iam:GetRole", (c) => `{"roleName":"${pk(c, SERVICES)}-${c.acct.name}-task-role"}`, {
    fail: [0.02, "NoSuchEntityException", "The role with name x cannot be found."],
  }),
  listAttachedRolePolicies: op(
    "iam:ListAttachedRolePolicies",
    (c) => `{"roleName":"${pk(c, SERVICES)}-${c.acct.name}-task-role"}`,
  ),
  listBuckets: op("s3:ListBuckets", (c) => `{"Host":"s3.${c.region}.amazonaws.com"}`),
  getBucketLocation: op("s3:GetBucketLocation", (c) => {
    const b = pk(c, c.acct.buckets);
    return `{"bucketName":"${b}","Host":"${b}.s3.amazonaws.com","location":""}`;
  }),
  filterLogEvents: op(
    "logs:FilterLogEvents",
    (c) =>
      `{"logGroupName":"/aws/lambda/${pk(c, c.acct.functions)}","startTime":1761955200000,"filterPattern":"ERROR","interleaved":true}`,
  ),
  describeLogGroups: op("logs:DescribeLogGroups", () => '{"limit":50}'),
  getCostAndUsage: op(
    "ce:GetCostAndUsage",
    () =>
      '{"timePeriod":{"start":"2026-10-01","end":"2026-11-01"},"granularity":"MONTHLY","metrics":["UnblendedCost"],"groupBy":[{"type":"DIMENSION","key":"SERVICE"}]}',
    { global: true },
  ),
  athenaStart: op(
    "athena:StartQueryExecution",
    (c) =>
      `{"queryString":"SELECT customer_id, sum(amount) FROM orders WHERE dt = '2026-10-31' GROUP BY 1","queryExecutionContext":{"database":"${c.acct.name}_lake"},"workGroup":"reporting"}`,
    { response: (c) => `{"queryExecutionId":"${c.rng.uuid()}"}` },
  ),
  athenaGet: op("athena:GetQueryExecution", (c) => `{"queryExecutionId":"${c.rng.uuid()}"}`),
  glueGetTable: op("glue:GetTable", (c) => `{"databaseName":"${c.acct.name}_lake","name":"orders"}`),
  createSnapshot: op(
    "ec2:CreateSnapshot",
    (c) =>
      `{"volumeId":"${pk(c, c.acct.volumes)}","description":"nightly backup","tagSpecificationSet":{"items":[{"resourceType":"snapshot","tags":[{"key":"backup","value":"nightly"}]}]}}`,
    { response: (c) => `{"snapshotId":"snap-0${c.rng.hex(16)}","status":"pending","progress":""}` },
  ),
  describeSnapshots: op(
    "ec2:DescribeSnapshots",
    () => '{"snapshotSet":{},"ownersSet":{"items":[{"owner":"self"}]},"filterSet":{}}',
  ),
  assignIps: op(
    "ec2:AssignPrivateIpAddresses",
    (c) => `{"networkInterfaceId":"eni-0${c.rng.hex(16)}","secondaryPrivateIpAddressCount":1}`,
    { read: false },
  ),
};

// ---------------------------------------------------------------- actors

type Hours = "always" | "work" | "night";

/** Someone or something that makes calls: the identity block changes per session. */
export interface Actor {
  account: AccountModel;
  weight: number;
  hours: Hours;
  ops: Weighted<Op>;
  uas: string[];
  ips: string[];
  /** Share of calls in the account's second region. */
  secondRegion: number;
  /** Milliseconds per session (0: long-term credentials). */
  sessionMs: number;
  phase: number;
  /** `"userIdentity":{...},` for the session at `index`, opened at `startMs` (its creationDate). */
  identity: (index: number, startMs: number) => string;
  /** The call that opens session `index` (an STS call by whoever assumes the role), or undefined. */
  opener?: (index: number, c: OpCtx, t: string) => SessionOpener;
  /** Console sessions carry sessionCredentialFromConsole. */
  console: boolean;
  // set up per corpus (see makeWorld in render.ts)
  homeRegionIndex: number;
  secondRegionIndex: number;
  /** The user agents, JSON-quoted. */
  uaJson: string[];
}

export interface SessionOpener {
  host: string;
  name: string;
  identity: string;
  params: string;
  response: string;
  ip: string;
  ua: string;
  resources: string;
}

function w(entries: Array<[Op, number]>): Weighted<Op> {
  return new Weighted(entries);
}

interface RoleSpec {
  role: string;
  /** Session name for session index n. */
  sessionName: (n: number) => string;
  path?: string;
  mfa?: boolean;
  webIdentity?: string;
  console?: boolean;
  /** Where the session's AssumeRole call comes from. */
  assumedBy: "service" | "oidc" | "account" | "saml";
  service?: string;
  externalAccount?: string;
}

function roleIdentity(seed: number, acct: AccountModel, spec: RoleSpec): Pick<Actor, "identity" | "opener"> {
  const roleId = `AROA${new Rng(seed, `role:${acct.id}:${spec.role}`).upper(17)}`;
  const path = spec.path ?? "/";
  const roleArn = `arn:aws:iam::${acct.id}:role${path}${spec.role}`;
  const keyOf = (n: number) =>
    `ASIA${new Rng(seed, `key:${acct.id}:${spec.role}:${spec.sessionName(n)}:${n}`).upper(16)}`;
  const created = (n: number) => new Date(n).toISOString().replace(/\.\d{3}Z$/, "Z");
  // instance profiles get their credentials from the metadata service (IMDSv2 here)
  const imds = spec.service === "ec2.amazonaws.com" ? ',"ec2RoleDelivery":"2.0"' : "";
  const identity = (n: number, startMs: number): string => {
    const session = spec.sessionName(n);
    const web = spec.webIdentity
      ? `"webIdFederationData":{"federatedProvider":${J(spec.webIdentity)},"attributes":{}},`
      : '"webIdFederationData":{},';
    return `"userIdentity":{"type":"AssumedRole","principalId":"${roleId}:${session}","arn":"arn:aws:sts::${acct.id}:assumed-role/${spec.role}/${session}","accountId":"${acct.id}","accessKeyId":"${keyOf(n)}","sessionContext":{"sessionIssuer":{"type":"Role","principalId":"${roleId}","arn":"${roleArn}","accountId":"${acct.id}","userName":"${spec.role}"},${web}"attributes":{"creationDate":"${created(startMs)}","mfaAuthenticated":"${spec.mfa ? "true" : "false"}"}${imds}}},`;
  };
  const opener = (n: number, c: OpCtx, t: string): SessionOpener => {
    const session = spec.sessionName(n);
    const key = keyOf(n);
    const expiry = new Date(Date.parse(t) + 3_600_000).toISOString().replace(/\.\d{3}Z$/, "Z");
    const creds = `"credentials":{"accessKeyId":"${key}","sessionToken":"IQoJb3JpZ2luX2VjE${c.rng.alnum(24)}","expiration":"${expiry}"},"assumedRoleUser":{"assumedRoleId":"${roleId}:${session}","arn":"arn:aws:sts::${acct.id}:assumed-role/${spec.role}/${session}"}`;
    const res = `"resources":[{"accountId":"${acct.id}","type":"AWS::IAM::Role","ARN":"${roleArn}"}],`;
    if (spec.assumedBy === "oidc")
      return {
        host: "sts.amazonaws.com",
        name: "AssumeRoleWithWebIdentity",
        identity: `"userIdentity":{"type":"WebIdentityUser","principalId":"arn:aws:iam::${acct.id}:oidc-provider/token.actions.githubusercontent.com:sts.amazonaws.com:repo:${acct.alias}/platform:ref:refs/heads/main","userName":"repo:${acct.alias}/platform:ref:refs/heads/main","identityProvider":"arn:aws:iam::${acct.id}:oidc-provider/token.actions.githubusercontent.com"},`,
        params: `{"roleArn":"${roleArn}","roleSessionName":"${session}","durationSeconds":3600}`,
        response: `{${creds},"subjectFromWebIdentityToken":"repo:${acct.alias}/platform:ref:refs/heads/main","provider":"arn:aws:iam::${acct.id}:oidc-provider/token.actions.githubusercontent.com","audience":"sts.amazonaws.com"}`,
        ip: `20.${c.rng.between(1, 250)}.${c.rng.between(1, 250)}.${c.rng.between(1, 250)}`,
        ua: "aws-sdk-nodejs/2.1691.0 linux/v20.17.0 configure-aws-credentials-for-github-actions promise",
        resources: res,
      };
    if (spec.assumedBy === "saml")
      return {
        host: "sts.amazonaws.com",
        name: "AssumeRoleWithSAML",
        identity: `"userIdentity":{"type":"SAMLUser","principalId":"${J(`okta:${session}`).slice(1, -1)}","userName":"${session}","identityProvider":"arn:aws:iam::${acct.id}:saml-provider/okta"},`,
        params: `{"sAMLAssertionID":"id${c.rng.digits(20)}","roleSessionName":"${session}","principalTags":{},"roleArn":"${roleArn}","principalArn":"arn:aws:iam::${acct.id}:saml-provider/okta","durationSeconds":3600}`,
        response: `{${creds},"subject":"${session}","subjectType":"unspecified","issuer":"http://www.okta.com/exk${c.rng.alnum(17)}","audience":"https://signin.aws.amazon.com/saml","nameQualifier":"${c.rng.alnum(27)}="}`,
        ip: "",
        ua: "",
        resources: res,
      };
    if (spec.assumedBy === "account")
      return {
        host: "sts.amazonaws.com",
        name: "AssumeRole",
        identity: `"userIdentity":{"type":"AWSAccount","principalId":"AIDA${c.rng.upper(17)}","accountId":"${spec.externalAccount}"},`,
        params: `{"roleArn":"${roleArn}","roleSessionName":"${session}","externalId":"${c.rng.hex(32)}","durationSeconds":3600}`,
        response: `{${creds}}`,
        ip: "",
        ua: "",
        resources: res,
      };
    return {
      host: "sts.amazonaws.com",
      name: "AssumeRole",
      identity: `"userIdentity":{"type":"AWSService","invokedBy":"${spec.service}"},`,
      params: `{"roleArn":"${roleArn}","roleSessionName":"${session}"}`,
      response: `{${creds}}`,
      ip: spec.service ?? "",
      ua: spec.service ?? "",
      resources: res,
    };
  };
  return { identity, opener };
}

function userIdentity(seed: number, acct: AccountModel, name: string, key?: string): Pick<Actor, "identity"> {
  const rng = new Rng(seed, `user:${acct.id}:${name}`);
  const id = `AIDA${rng.upper(17)}`;
  const akia = key ?? `AKIA${rng.upper(16)}`;
  const block = `"userIdentity":{"type":"IAMUser","principalId":"${id}","arn":"arn:aws:iam::${acct.id}:user/${name}","accountId":"${acct.id}","accessKeyId":"${akia}","userName":"${name}"},`;
  return { identity: () => block };
}

/** Identity of a scenario principal that also works in the background (same key, ordinary use). */
export interface SharedIdentity {
  accountIndex: number;
  /** `"userIdentity":{...},` fragment, exactly as the scenario's records carry it. */
  identityJson: string;
  kind: "user" | "instance";
}

const PEOPLE = [
  "alice.moreau",
  "bilal.haddad",
  "chen.wei",
  "dana.kowalski",
  "emeka.obi",
  "fatima.zahra",
  "gustavo.lima",
  "hana.suzuki",
  "ivan.petrov",
  "julia.schmidt",
  "kofi.mensah",
  "lena.nilsson",
];

function mkActor(
  account: AccountModel,
  base: Pick<Actor, "identity"> & Partial<Pick<Actor, "opener">>,
  fields: Omit<
    Actor,
    "account" | "identity" | "opener" | "console" | "phase" | "homeRegionIndex" | "secondRegionIndex" | "uaJson"
  > & {
    console?: boolean;
    phase?: number;
  },
): Actor {
  return {
    account,
    ...base,
    ...fields,
    console: fields.console ?? false,
    phase: fields.phase ?? 0,
    homeRegionIndex: 0,
    secondRegionIndex: 0,
    uaJson: [],
  };
}

export function makeActors(seed: number, accounts: AccountModel[], shared: SharedIdentity[] = []): Actor[] {
  const actors: Actor[] = [];
  const rng = new Rng(seed, "actors");
  const vendorAccount = "464622532012";
  const corp = Array.from({ length: 3 }, () => `198.51.100.${rng.between(10, 250)}`);
  const homes = Array.from(
    { length: 12 },
    () =>
      `${rng.pick(["81", "86", "92", "109", "176", "203"])}.${rng.between(1, 254)}.${rng.between(1, 254)}.${rng.between(1, 254)}`,
  );
  const HOUR = 3_600_000;
  for (const a of accounts) {
    const aw = a.weight;
    const ips = awsIps(rng, 8);
    for (const fn of a.functions.slice(0, 5)) {
      const node = rng.chance(0.5);
      actors.push(
        mkActor(
          a,
          roleIdentity(seed, a, {
            role: `${fn}-role`,
            sessionName: () => fn,
            assumedBy: "service",
            service: "lambda.amazonaws.com",
          }),
          {
            weight: 6 * aw,
            hours: "always",
            ops: w([
              [OPS.s3Get, 30],
              [OPS.s3Put, 12],
              [OPS.kmsDecrypt, 20],
              [OPS.kmsGenerateDataKey, 8],
              [OPS.getSecret, 6],
              [OPS.getParameter, 10],
              [OPS.getCallerIdentity, 1],
            ]),
            uas: node ? UA.lambdaNode : UA.lambdaPy,
            ips,
            secondRegion: 0.1,
            sessionMs: HOUR,
            phase: rng.int(HOUR),
          },
        ),
      );
    }
    // ECS services
    for (const svc of SERVICES.slice(0, 3))
      actors.push(
        mkActor(
          a,
          roleIdentity(seed, a, {
            role: `${svc}-${a.name}-task-role`,
            sessionName: (n) => new Rng(seed, `task:${a.id}:${svc}:${n}`).hex(32),
            assumedBy: "service",
            service: "ecs-tasks.amazonaws.com",
          }),
          {
            weight: 5 * aw,
            hours: "always",
            ops: w([
              [OPS.s3Get, 20],
              [OPS.s3Put, 8],
              [OPS.kmsDecrypt, 15],
              [OPS.getSecret, 4],
              [OPS.getParameters, 6],
              [OPS.ecrToken, 2],
              [OPS.ecrBatchGetImage, 2],
            ]),
            uas: UA.ecs,
            ips,
            secondRegion: 0,
            sessionMs: 6 * HOUR,
            phase: rng.int(6 * HOUR),
          },
        ),
      );
    // EKS nodes (VPC CNI, cluster autoscaler)
    actors.push(
      mkActor(
        a,
        roleIdentity(seed, a, {
          role: `${a.clusters[0]}-node-role`,
          sessionName: (n) => a.instances[n % a.instances.length] as string,
          assumedBy: "service",
          service: "ec2.amazonaws.com",
        }),
        {
          weight: 8 * aw,
          hours: "always",
          ops: w([
            [OPS.describeInstances, 20],
            [OPS.describeNetworkInterfaces, 25],
            [OPS.assignIps, 4],
            [OPS.describeAsg, 10],
            [OPS.describeCluster, 3],
            [OPS.ecrToken, 5],
            [OPS.ecrBatchGetImage, 6],
          ]),
          uas: UA.eks,
          ips,
          secondRegion: 0,
          sessionMs: 6 * HOUR,
          phase: rng.int(6 * HOUR),
        },
      ),
    );
    // EC2 instances running the SSM agent
    actors.push(
      mkActor(
        a,
        roleIdentity(seed, a, {
          role: `${a.name}-ssm-instance-role`,
          sessionName: (n) => a.instances[(n * 7) % a.instances.length] as string,
          assumedBy: "service",
          service: "ec2.amazonaws.com",
        }),
        {
          weight: 7 * aw,
          hours: "always",
          ops: w([
            [OPS.ssmUpdateInfo, 10],
            [OPS.ssmListAssociations, 6],
            [OPS.s3Get, 2],
          ]),
          uas: UA.ssmAgent,
          ips,
          secondRegion: 0,
          sessionMs: 6 * HOUR,
          phase: rng.int(6 * HOUR),
        },
      ),
    );
    // CI/CD through GitHub OIDC, in working hours
    actors.push(
      mkActor(
        a,
        roleIdentity(seed, a, {
          role: "github-actions-deploy",
          sessionName: () => "GitHubActions",
          assumedBy: "oidc",
        }),
        {
          weight: 2.5 * aw,
          hours: "work",
          ops: w([
            [OPS.describeStacks, 20],
            [OPS.describeStackEvents, 20],
            [OPS.createChangeSet, 3],
            [OPS.executeChangeSet, 3],
            [OPS.s3ArtifactPut, 8],
            [OPS.ecrToken, 4],
            [OPS.updateService, 2],
            [OPS.describeServices, 10],
            [OPS.getCallerIdentity, 3],
          ]),
          uas: UA.ci,
          ips: Array.from(
            { length: 6 },
            () => `20.${rng.between(1, 250)}.${rng.between(1, 250)}.${rng.between(1, 250)}`,
          ),
          secondRegion: 0,
          sessionMs: HOUR,
          phase: rng.int(HOUR),
        },
      ),
    );
    // A monitoring vendor polling through a cross-account role
    actors.push(
      mkActor(
        a,
        roleIdentity(seed, a, {
          role: "DatadogIntegrationRole",
          sessionName: () => "DatadogAWSIntegration",
          assumedBy: "account",
          externalAccount: vendorAccount,
        }),
        {
          weight: 4 * aw,
          hours: "always",
          ops: w([
            [OPS.getMetricData, 30],
            [OPS.listMetrics, 10],
            [OPS.describeInstances, 4],
            [OPS.getResources, 6],
            [OPS.listFunctions, 3],
            [OPS.describeDb, 3],
            [OPS.describeLbs, 3],
            [OPS.describeTargetHealth, 3],
          ]),
          uas: UA.monitoring,
          ips: ["44.192.28.11", "3.233.144.90", "34.226.176.207"],
          secondRegion: 0.3,
          sessionMs: HOUR,
          phase: rng.int(HOUR),
        },
      ),
    );
    // AWS Config's service-linked role
    actors.push(
      mkActor(
        a,
        roleIdentity(seed, a, {
          role: "AWSServiceRoleForConfig",
          path: "/aws-service-role/config.amazonaws.com/",
          sessionName: () => "AWSConfig-Describe",
          assumedBy: "service",
          service: "config.amazonaws.com",
        }),
        {
          weight: 1.5 * aw,
          hours: "always",
          ops: w([
            [OPS.describeInstances, 5],
            [OPS.describeVolumes, 5],
            [OPS.describeSecurityGroups, 5],
            [OPS.describeSubnets, 5],
            [OPS.listRoles, 2],
            [OPS.listAttachedRolePolicies, 2],
          ]),
          uas: UA.config,
          ips: ["config.amazonaws.com"],
          secondRegion: 0.3,
          sessionMs: HOUR,
          phase: rng.int(HOUR),
        },
      ),
    );
    // Engineers through SAML federation: console in the day, some CLI
    const staff = PEOPLE.slice(0, 4 + (a.index === 0 ? 6 : 2));
    staff.forEach((p, pi) => {
      const admin = pi % 4 === 0;
      const perm = admin ? "AdministratorAccess" : pi % 4 === 1 ? "PowerUserAccess" : "ReadOnlyAccess";
      const cli = pi % 3 === 2;
      actors.push(
        mkActor(
          a,
          roleIdentity(seed, a, {
            role: `AWSReservedSSO_${perm}_${new Rng(seed, `perm:${perm}`).hex(16)}`,
            path: "/aws-reserved/sso.amazonaws.com/",
            sessionName: () => `${p}@${a.alias.split("-")[0]}.example`,
            assumedBy: "saml",
            console: !cli,
          }),
          {
            weight: 1.2 * aw,
            hours: "work",
            ops: w([
              [OPS.describeInstances, 10],
              [OPS.describeAlarms, 6],
              [OPS.getMetricData, 8],
              [OPS.describeLogGroups, 5],
              [OPS.filterLogEvents, 6],
              [OPS.listFunctions, 4],
              [OPS.getFunction, 4],
              [OPS.describeStacks, 5],
              [OPS.listBuckets, 3],
              [OPS.getBucketLocation, 3],
              [OPS.listRoles, 2],
              [OPS.getRole, 2],
              [OPS.describeServices, 4],
              [OPS.describeDb, 3],
              [OPS.getCostAndUsage, 1],
              [OPS.describeSecurityGroups, 3],
            ]),
            uas: cli ? UA.cli : UA.console,
            ips: cli ? [homes[pi % homes.length] as string] : corp,
            secondRegion: 0.15,
            sessionMs: HOUR,
            phase: rng.int(HOUR),
            console: !cli,
          },
        ),
      );
    });
    // Legacy IAM users with long-term keys
    actors.push(
      mkActor(a, userIdentity(seed, a, "svc-backup"), {
        weight: 2 * aw,
        hours: "night",
        ops: w([
          [OPS.s3BackupPut, 20],
          [OPS.createSnapshot, 1],
          [OPS.describeSnapshots, 2],
          [OPS.listObjects, 3],
        ]),
        uas: UA.backup,
        ips: [corp[0] as string],
        secondRegion: 0,
        sessionMs: 0,
      }),
    );
    actors.push(
      mkActor(a, userIdentity(seed, a, "jenkins-ci"), {
        weight: 1 * aw,
        hours: "work",
        ops: w([
          [OPS.ecrToken, 5],
          [OPS.ecrBatchGetImage, 5],
          [OPS.s3ArtifactPut, 6],
          [OPS.describeStacks, 4],
        ]),
        uas: UA.jenkins,
        ips: [corp[1] as string],
        secondRegion: 0,
        sessionMs: 0,
      }),
    );
    actors.push(
      mkActor(a, userIdentity(seed, a, "reporting-etl"), {
        weight: 1 * aw,
        hours: "always",
        ops: w([
          [OPS.athenaStart, 4],
          [OPS.athenaGet, 12],
          [OPS.glueGetTable, 4],
          [OPS.s3Get, 6],
        ]),
        uas: UA.reporting,
        ips: awsIps(rng, 2),
        secondRegion: 0,
        sessionMs: 0,
      }),
    );
  }
  // Principals a scenario also uses, doing their ordinary work
  for (const s of shared) {
    const a = accounts[s.accountIndex] as AccountModel;
    const block = s.identityJson;
    actors.push(
      mkActor(
        a,
        { identity: () => block },
        s.kind === "instance"
          ? {
              weight: 2 * a.weight,
              hours: "always",
              ops: w([
                [OPS.s3Get, 10],
                [OPS.s3Put, 4],
                [OPS.ssmUpdateInfo, 6],
                [OPS.kmsDecrypt, 6],
              ]),
              uas: UA.lambdaPy,
              ips: awsIps(rng, 1),
              secondRegion: 0,
              sessionMs: 0,
            }
          : {
              weight: 1.5 * a.weight,
              hours: "work",
              ops: w([
                [OPS.describeInstances, 6],
                [OPS.s3ArtifactPut, 4],
                [OPS.s3Get, 4],
                [OPS.describeStacks, 4],
                [OPS.ecrToken, 2],
              ]),
              uas: UA.cli,
              ips: [corp[2] as string],
              secondRegion: 0,
              sessionMs: 0,
            },
      ),
    );
  }
  return actors;
}

/** Activity factor of an actor at an hour of the week (UTC; the company works 07-18 UTC on weekdays). */
export function hourFactor(hours: Hours, hourOfDay: number, weekend: boolean): number {
  if (hours === "always") return 1;
  if (hours === "night") return hourOfDay >= 1 && hourOfDay < 4 ? 8 : 0.05;
  if (weekend) return 0.04;
  if (hourOfDay >= 7 && hourOfDay < 18) return hourOfDay === 12 ? 0.7 : 1;
  return hourOfDay >= 18 && hourOfDay < 21 ? 0.2 : 0.03;
}

export { OPS as BACKGROUND_OPS, type Op, type OpCtx, UA as BACKGROUND_USER_AGENTS };
