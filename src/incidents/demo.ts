// Deterministic synthetic incident register (2024Q1–2026Q4 by default) for demos, first starts of the web UI,
// tests and benchmarks.
// Scenarios carry co-occurring technique chains; credential misuse, cryptomining and S3 ransom dominate.
// Twelve fictional actors have their own habits (scenarios, regions, anti-forensics, active years).
// Detection delay depends on the detection source, containment on severity. Every incident is isDemo.
import type { Catalog } from "../catalog/catalog.js";
import type { CredentialType } from "../controls/model.js";
import { TechtrailError } from "../core/errors.js";
import { packagePath } from "../core/paths.js";
import type { NewActorInput } from "./actor.js";
import {
  type Confidence,
  canonicalTimestamp,
  type DetectionSource,
  type ImpactCategory,
  type InitialAccessVector,
  type NewIncidentInput,
  type Severity,
  type TechniqueTagInput,
} from "./model.js";

/** Small fast seeded PRNG (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Rand = () => number;
const pick = <T>(r: Rand, list: readonly T[]): T => list[Math.floor(r() * list.length)] as T;
function weighted<T>(r: Rand, entries: ReadonlyArray<readonly [T, number]>): T {
  const total = entries.reduce((s, [, w]) => s + w, 0);
  let x = r() * total;
  for (const [v, w] of entries) {
    x -= w;
    if (x < 0) return v;
  }
  return (entries[entries.length - 1] as readonly [T, number])[0];
}
/** Log-normal sample around a median (hours), with spread sigma. */
function logNormal(r: Rand, median: number, sigma: number): number {
  const u = Math.max(r(), 1e-9);
  const v = r();
  const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  return median * Math.exp(sigma * z);
}

interface Step {
  id: string;
  /** Probability the step appears (1 = always). */
  p: number;
  confidence?: Confidence;
}

interface Scenario {
  name: string;
  weight: number;
  titles: string[];
  chain: Step[];
  severity: ReadonlyArray<readonly [Severity, number]>;
  impact: ImpactCategory[];
  /** How the intruder got in: technique, credential and vector always agree (weighted). */
  entries: ReadonlyArray<readonly [Entry, number]>;
  detection: ReadonlyArray<readonly [DetectionSource, number]>;
  services: string[];
  /** Lessons that fit this kind of incident (one is recorded when it closes). */
  lessons: string[];
}

/** The way in: initial-access technique, the credential used and the vector, consistent with each other. */
interface Entry {
  technique: string;
  credential: CredentialType;
  vector: InitialAccessVector;
}

const LEAKED_KEY: Entry = { technique: "T1078.A001", credential: "iam-user-access-key", vector: "leaked-access-key" };
const USER_PASSWORD: Entry = {
  technique: "T1078.A001",
  credential: "iam-user-password",
  vector: "compromised-console-credentials",
};
const SSO: Entry = { technique: "T1078.004", credential: "federated-session", vector: "compromised-sso-identity" };
const VENDOR_ROLE: Entry = { technique: "T1078.004", credential: "role-session", vector: "third-party-compromise" };
const ROOT_PASSWORD: Entry = {
  technique: "T1078.A002",
  credential: "root-password",
  vector: "compromised-console-credentials",
};
const ROOT_KEY: Entry = { technique: "T1078.A002", credential: "root-access-key", vector: "leaked-access-key" };
const WEB_APP: Entry = { technique: "T1190.A016", credential: "none", vector: "exploited-public-application" };

/** Later role assumption with the stolen identity. */
const CREDENTIAL_STEPS: Step[] = [{ id: "T1078.004", p: 0.35 }];

const KEY_LESSONS = [
  "Rotate and scope CI/CD access keys; move pipelines to OIDC role assumption.",
  "Replace long-term IAM user access keys with roles and short-lived sessions.",
];

export const SCENARIOS: Scenario[] = [
  {
    name: "credential-misuse",
    weight: 30,
    titles: [
      "Leaked access key used from unknown infrastructure",
      "IAM user credentials abused for reconnaissance and persistence",
      "Compromised CI/CD access key used outside pipeline",
      "Console login from anomalous location followed by IAM changes",
    ],
    chain: [
      ...CREDENTIAL_STEPS,
      { id: "T1087.004", p: 0.7 },
      { id: "T1059.009", p: 0.5 },
      { id: "T1098.001", p: 0.6 },
      { id: "T1136.003", p: 0.35 },
      { id: "T1098.003", p: 0.3 },
      { id: "T1538", p: 0.25 },
      { id: "T1070.A001", p: 0.2 },
      { id: "T1098.A001", p: 0.1 },
    ],
    severity: [
      ["P1", 1],
      ["P2", 4],
      ["P3", 4],
      ["P4", 1],
    ],
    impact: ["none"],
    entries: [
      [LEAKED_KEY, 6],
      [USER_PASSWORD, 2],
      [SSO, 1],
      [VENDOR_ROLE, 1],
      [ROOT_KEY, 0.4],
    ],
    detection: [
      ["guardduty", 5],
      ["security-hub", 1],
      ["aws-notification", 2],
      ["cloudwatch-alarm", 1],
      ["third-party", 1],
    ],
    services: ["iam", "sts"],
    lessons: [
      ...KEY_LESSONS,
      "Require MFA for console users and alert on console sign-ins from new networks.",
      "Enable GuardDuty in every region, including unused ones, and alert on new-region activity.",
    ],
  },
  {
    name: "cryptomining",
    weight: 26,
    titles: [
      "Cryptomining on EC2 launched with stolen keys",
      "GPU instances launched in unused regions for mining",
      "Mining containers deployed to ECS cluster",
      "Unexpected EC2 spend from mass RunInstances",
    ],
    chain: [
      ...CREDENTIAL_STEPS,
      { id: "T1496.A008", p: 0.95, confidence: "confirmed" },
      { id: "T1578.002", p: 0.6 },
      { id: "T1496.001", p: 0.5 },
      { id: "T1496.A006", p: 0.2 },
      { id: "T1535", p: 0.45 },
      { id: "T1098.001", p: 0.35 },
      { id: "T1562.A001", p: 0.15 },
      { id: "T1578.005", p: 0.2 },
      { id: "T1562.007", p: 0.15 },
    ],
    severity: [
      ["P1", 1],
      ["P2", 5],
      ["P3", 3],
    ],
    impact: ["resource-abuse"],
    entries: [
      [LEAKED_KEY, 8],
      [ROOT_PASSWORD, 0.6],
      [USER_PASSWORD, 1],
    ],
    detection: [
      ["billing-anomaly", 4],
      ["guardduty", 4],
      ["aws-notification", 2],
      ["cloudwatch-alarm", 1],
    ],
    services: ["ec2", "iam"],
    lessons: [
      ...KEY_LESSONS,
      "Billing anomaly alerts reached the team days late; route them to the on-call channel.",
      "Deny unused regions with an SCP and enable GuardDuty everywhere.",
    ],
  },
  {
    name: "s3-ransom",
    weight: 18,
    titles: [
      "S3 objects re-encrypted with SSE-C and ransom note left",
      "Bucket contents deleted after exfiltration, ransom demanded",
      "Data extortion: S3 buckets copied and wiped",
    ],
    chain: [
      ...CREDENTIAL_STEPS,
      { id: "T1619.A001", p: 0.8 },
      { id: "T1530.A001", p: 0.85, confidence: "confirmed" },
      { id: "T1486.A001", p: 0.55, confidence: "confirmed" },
      { id: "T1485.A003", p: 0.6 },
      { id: "T1485.001", p: 0.2 },
      { id: "T1562.008", p: 0.3 },
      { id: "T1098.001", p: 0.2 },
    ],
    severity: [
      ["P1", 6],
      ["P2", 3],
    ],
    impact: ["ransom-demand", "data-exfiltration", "data-destruction"],
    entries: [
      [LEAKED_KEY, 6],
      [USER_PASSWORD, 1],
      [ROOT_KEY, 0.5],
    ],
    detection: [
      ["customer-report", 2],
      ["guardduty", 3],
      ["cloudwatch-alarm", 1],
      ["third-party", 1],
    ],
    services: ["s3", "iam", "kms"],
    lessons: [
      "Block SSE-C uploads with a bucket policy and turn on S3 versioning with Object Lock for critical data.",
      "Keep backups of critical buckets in a separate account the production identities cannot delete.",
      ...KEY_LESSONS,
    ],
  },
  {
    name: "ses-abuse",
    weight: 4,
    titles: ["SES used to send phishing from compromised account", "Spam campaign sent through SES with a leaked key"],
    chain: [...CREDENTIAL_STEPS, { id: "T1496.A001", p: 1, confidence: "confirmed" }, { id: "T1496.004", p: 0.3 }],
    severity: [
      ["P2", 2],
      ["P3", 3],
    ],
    impact: ["resource-abuse"],
    entries: [[LEAKED_KEY, 1]],
    detection: [
      ["aws-notification", 3],
      ["customer-report", 1],
    ],
    services: ["ses", "iam"],
    lessons: [...KEY_LESSONS, "Keep SES sending quotas low and alarm on bounce and complaint rates."],
  },
  {
    name: "sms-pumping",
    weight: 3,
    titles: ["SMS pumping through SNS with stolen keys", "Premium-rate SMS sent in bulk through SNS"],
    chain: [...CREDENTIAL_STEPS, { id: "T1496.003", p: 1, confidence: "confirmed" }, { id: "T1496.004", p: 0.3 }],
    severity: [
      ["P2", 2],
      ["P3", 3],
    ],
    impact: ["resource-abuse"],
    entries: [[LEAKED_KEY, 1]],
    detection: [
      ["billing-anomaly", 3],
      ["aws-notification", 1],
    ],
    services: ["sns", "iam"],
    lessons: [...KEY_LESSONS, "Set an SNS SMS spend limit and restrict destination countries."],
  },
  {
    name: "llm-hijacking",
    weight: 5,
    titles: ["Bedrock models invoked with stolen credentials (LLMjacking)"],
    chain: [...CREDENTIAL_STEPS, { id: "T1496.A007", p: 1, confidence: "confirmed" }, { id: "T1087.004", p: 0.4 }],
    severity: [
      ["P2", 2],
      ["P3", 2],
    ],
    impact: ["resource-abuse"],
    entries: [[LEAKED_KEY, 1]],
    detection: [
      ["billing-anomaly", 3],
      ["guardduty", 1],
    ],
    services: ["bedrock", "iam"],
    lessons: [...KEY_LESSONS, "Allow only approved Bedrock models and turn on model invocation logging."],
  },
  {
    name: "imds-credential-theft",
    weight: 6,
    titles: ["SSRF in web application used to steal instance role credentials"],
    chain: [
      { id: "T1552.005", p: 0.9, confidence: "confirmed" },
      { id: "T1078.004", p: 0.7 },
      { id: "T1619.A001", p: 0.5 },
      { id: "T1530.A001", p: 0.5 },
      { id: "T1190.A019", p: 0.3 },
    ],
    severity: [
      ["P1", 2],
      ["P2", 3],
    ],
    impact: ["data-exfiltration"],
    entries: [[WEB_APP, 1]],
    detection: [
      ["guardduty", 4],
      ["third-party", 1],
    ],
    services: ["ec2", "s3", "sts"],
    lessons: [
      "IMDSv2 enforcement would have stopped the credential theft.",
      "Validate server-side URL fetches and patch internet-facing applications promptly.",
    ],
  },
  {
    name: "organization-takeover",
    weight: 3,
    titles: ["Root user compromise and attempt to leave the organization"],
    chain: [
      { id: "T1666.A002", p: 0.6 },
      { id: "T1666.A001", p: 0.3 },
      { id: "T1531", p: 0.5 },
      { id: "T1098.A001", p: 0.4 },
      { id: "T1136.003", p: 0.4 },
    ],
    severity: [["P1", 1]],
    impact: ["service-disruption"],
    entries: [
      [ROOT_PASSWORD, 3],
      [ROOT_KEY, 1],
    ],
    detection: [
      ["aws-notification", 2],
      ["customer-report", 1],
    ],
    services: ["organizations", "iam"],
    lessons: [
      "Protect the root user with hardware MFA, remove root access keys and manage root access centrally.",
      "Add an SCP denying organizations:LeaveOrganization and CloudTrail StopLogging.",
    ],
  },
  {
    name: "destruction",
    weight: 3,
    titles: ["Backups, AMIs and instances deleted by former contractor"],
    chain: [
      { id: "T1485.A001", p: 0.6 },
      { id: "T1485.A002", p: 0.5 },
      { id: "T1578.003", p: 0.6 },
      { id: "T1070.A001", p: 0.3 },
    ],
    severity: [
      ["P1", 2],
      ["P2", 1],
    ],
    impact: ["data-destruction", "service-disruption"],
    entries: [
      [{ technique: "T1078.A001", credential: "iam-user-password", vector: "insider" }, 1],
      [{ technique: "T1078.A001", credential: "iam-user-access-key", vector: "insider" }, 1],
    ],
    detection: [
      ["cloudwatch-alarm", 2],
      ["customer-report", 1],
    ],
    services: ["rds", "ec2"],
    lessons: [
      "Remove a contractor's users and keys on the day the contract ends.",
      "Keep snapshots and AMIs in a locked backup vault in another account.",
    ],
  },
  {
    name: "supply-chain",
    weight: 2,
    titles: ["Malicious npm package exfiltrated build credentials"],
    chain: [
      { id: "T1552.001", p: 0.8 },
      { id: "T1078.A001", p: 0.6 },
      { id: "T1648.A001", p: 0.3 },
    ],
    severity: [
      ["P2", 2],
      ["P3", 1],
    ],
    impact: ["data-exfiltration"],
    entries: [[{ technique: "T1648.A002", credential: "none", vector: "malicious-package" }, 1]],
    detection: [
      ["third-party", 2],
      ["security-hub", 1],
    ],
    services: ["lambda", "iam"],
    lessons: ["Pin and verify build dependencies and keep credentials out of the build environment.", ...KEY_LESSONS],
  },
];

interface Actor {
  name: string;
  campaigns: string[];
  scenarios: ReadonlyArray<readonly [string, number]>;
  regions: string[];
  /** Extra techniques this actor adds (anti-forensics, persistence habits). */
  habits: Step[];
  years: [number, number];
  weight: number;
}

export const ACTORS: Actor[] = [
  {
    name: "Ember Wasp",
    campaigns: ["Hot Hive"],
    scenarios: [["cryptomining", 1]],
    regions: ["ap-southeast-1", "ap-southeast-2", "sa-east-1"],
    habits: [{ id: "T1535", p: 0.8 }],
    years: [2024, 2026],
    weight: 8,
  },
  {
    name: "Bucket Barons",
    campaigns: ["Cold Storage"],
    scenarios: [["s3-ransom", 1]],
    regions: ["us-east-1", "eu-west-1"],
    habits: [
      { id: "T1486.A001", p: 0.8, confidence: "confirmed" },
      { id: "T1562.008", p: 0.6 },
    ],
    years: [2024, 2026],
    weight: 7,
  },
  {
    name: "Glass Mantis",
    campaigns: ["Keyhole"],
    scenarios: [
      ["credential-misuse", 3],
      ["s3-ransom", 1],
    ],
    regions: ["us-east-1", "us-west-2"],
    habits: [
      { id: "T1098.001", p: 0.8 },
      { id: "T1136.003", p: 0.5 },
    ],
    years: [2024, 2025],
    weight: 5,
  },
  {
    name: "Night Ledger",
    campaigns: ["Quiet Ledger"],
    scenarios: [["credential-misuse", 1]],
    regions: ["eu-central-1", "eu-west-1"],
    habits: [
      { id: "T1562.A001", p: 0.7 },
      { id: "T1070.A001", p: 0.6 },
    ],
    years: [2025, 2026],
    weight: 4,
  },
  {
    name: "Quiet Otter",
    campaigns: [],
    scenarios: [["llm-hijacking", 1]],
    regions: ["us-east-1", "us-west-2"],
    habits: [{ id: "T1087.004", p: 0.7 }],
    years: [2025, 2026],
    weight: 4,
  },
  {
    name: "Rust Kestrel",
    campaigns: ["Dust Devil"],
    scenarios: [
      ["cryptomining", 2],
      ["credential-misuse", 1],
    ],
    regions: ["us-east-2", "ap-northeast-1", "eu-north-1"],
    habits: [
      { id: "T1578.002", p: 0.8 },
      { id: "T1562.007", p: 0.4 },
    ],
    years: [2024, 2025],
    weight: 5,
  },
  {
    name: "Silver Finch",
    campaigns: ["Mailstorm"],
    scenarios: [
      ["ses-abuse", 2],
      ["sms-pumping", 1],
    ],
    regions: ["us-east-1", "eu-west-2"],
    habits: [{ id: "T1496.004", p: 0.5 }],
    years: [2024, 2026],
    weight: 3,
  },
  {
    name: "Tidal Fox",
    campaigns: [],
    scenarios: [["imds-credential-theft", 1]],
    regions: ["eu-west-1", "us-east-1"],
    habits: [{ id: "T1619.A001", p: 0.7 }],
    years: [2024, 2026],
    weight: 3,
  },
  {
    name: "Umber Moth",
    campaigns: ["Rootless"],
    scenarios: [["organization-takeover", 1]],
    regions: ["us-east-1"],
    habits: [{ id: "T1531", p: 0.8 }],
    years: [2025, 2026],
    weight: 2,
  },
  {
    name: "Vanta Crew",
    campaigns: ["Wiper Season"],
    scenarios: [
      ["s3-ransom", 2],
      ["destruction", 1],
    ],
    regions: ["eu-west-1", "eu-south-1"],
    habits: [{ id: "T1485.A003", p: 0.8 }],
    years: [2026, 2026],
    weight: 3,
  },
  {
    name: "Zinc Viper",
    campaigns: ["Tainted Tarball"],
    scenarios: [["supply-chain", 1]],
    regions: ["us-west-2"],
    habits: [{ id: "T1552.001", p: 0.9 }],
    years: [2025, 2026],
    weight: 2,
  },
  {
    name: "Copper Heron",
    campaigns: ["Long Haul"],
    scenarios: [
      ["credential-misuse", 2],
      ["cryptomining", 1],
    ],
    regions: ["ap-south-1", "me-south-1", "af-south-1"],
    habits: [
      { id: "T1098.003", p: 0.6 },
      { id: "T1098.A001", p: 0.4 },
    ],
    years: [2024, 2026],
    weight: 4,
  },
];

/**
 * The demo actors as register entities, with infrastructure indicators valid in their active years. Addresses
 * come from the documentation ranges (the upper half of 203.0.113.0/24, which examples/ does not use, and 2001:db8::/32) and ASNs from the documentation block
 * (64496-64511), so nothing points at real networks.
 */
export function demoActors(): NewActorInput[] {
  return ACTORS.map((a, i) => {
    const slug = a.name.toLowerCase().replace(/\s+/g, "-");
    const validFrom = `${a.years[0]}-01-01T00:00:00Z`;
    const validUntil = `${a.years[1]}-12-31T23:59:59Z`;
    const period = { validFrom, validUntil };
    return {
      name: a.name,
      description: `Fictional demo actor: ${a.scenarios.map(([s]) => s).join(", ")} in ${a.regions.join(", ")}. Not real data.`,
      motivation: a.scenarios.some(([s]) => s === "destruction") ? "revenge" : "personal-gain",
      firstSeen: validFrom,
      indicators: [
        { type: "cidr", value: `203.0.113.${128 + i * 8}/29`, ...period, note: "demo: the actor's rented servers" },
        { type: "ip", value: `2001:db8:${(i + 1).toString(16)}::10`, ...period },
        { type: "asn", value: `AS${64496 + i}`, ...period, note: "demo: hosting provider" },
        { type: "user-agent", value: `^${slug}-kit/[0-9]+\\.[0-9]+`, ...period, note: "demo: the actor's tooling" },
      ],
    };
  });
}

const DETECTION_DELAY_H: Record<DetectionSource, [number, number]> = {
  guardduty: [3, 1.0],
  "security-hub": [10, 1.0],
  "cloudwatch-alarm": [1.5, 1.0],
  "billing-anomaly": [60, 0.7],
  "customer-report": [120, 0.9],
  "aws-notification": [36, 0.8],
  "third-party": [96, 1.0],
  other: [48, 1.0],
};
const CONTAIN_DELAY_H: Record<Severity, [number, number]> = {
  P1: [5, 0.7],
  P2: [14, 0.8],
  P3: [40, 0.9],
  P4: [96, 0.9],
};

const START = Date.UTC(2024, 0, 1);
const END = Date.UTC(2027, 0, 1);
/** The demo's "today": the end of 2026Q4, so the register looks the same whenever it is generated. */
export const DEMO_NOW = canonicalTimestamp(END);
const HOUR = 3_600_000;

export interface DemoOptions {
  incidents?: number;
  seed?: number;
  /**
   * Time range of the incidents' first activity (ISO timestamps; default 2024-01-01 to 2027-01-01). `to` is
   * also the register's "today": later containment and closure are left out, so recent incidents stay open.
   * Tests use it to concentrate incidents in the period they look at.
   */
  from?: string;
  to?: string;
}

function accountPool(r: Rand): string[] {
  return Array.from({ length: 18 }, () => String(100000000000 + Math.floor(r() * 899999999999)));
}

/** The deployed-controls inventory that goes with the demo register (`stats controls --controls FILE`). */
export const DEMO_CONTROLS_FILE = packagePath("examples", "controls.yaml");

/** Days before the register's "today" in which no incident starts (the last ones are still open). */
const QUIET_DAYS = 7;

/** Incident start time in [start, end - QUIET_DAYS): volume grows ~60 % over the range. */
function startTime(r: Rand, start: number, end: number): number {
  for (;;) {
    const x = r();
    if (r() < 0.62 + 0.38 * x) return start + x * (end - start - QUIET_DAYS * 24 * HOUR);
  }
}

/** The identity the intruder acted as, by credential. */
function principalFor(r: Rand, entry: Entry | undefined, account: string): string {
  switch (entry?.credential) {
    case "root-password":
    case "root-access-key":
      return `arn:aws:iam::${account}:root`;
    case "role-session":
      return `arn:aws:sts::${account}:assumed-role/${pick(r, ["VendorAuditRole", "PartnerIntegration"])}/session`;
    case "federated-session":
      return `arn:aws:sts::${account}:assumed-role/AWSReservedSSO_PowerUser/${pick(r, ["j.doe", "a.smith", "m.khan"])}`;
    case "none":
      return `arn:aws:sts::${account}:assumed-role/${pick(r, ["web-frontend", "build-runner"])}/i-0${Math.floor(r() * 1e9).toString(16)}`;
    default:
      return `arn:aws:iam::${account}:user/${pick(r, ["ci-deploy", "svc-backup", "jenkins", "data-pipeline", "admin-legacy", "terraform"])}`;
  }
}

/**
 * Shipped playbooks (playbooks/) and the techniques that call for them: an incident lists a playbook only
 * when it has one of them. demo.test.ts checks these IDs and techniques against the shipped files.
 */
export const DEMO_PLAYBOOKS: ReadonlyArray<readonly [string, readonly string[]]> = [
  ["unauthorized-credential-use", ["T1078.A001", "T1078.A002", "T1078.004", "T1098.001", "T1136.003"]],
  ["cryptomining", ["T1496.A008", "T1496.A006", "T1496.001", "T1578.002"]],
  ["s3-ransomware", ["T1486.A001", "T1485.A003", "T1530.A001"]],
  ["imds-credential-theft", ["T1190.A016", "T1552.005"]],
  ["logging-disruption", ["T1562.008", "T1562.A001"]],
];

function rangeBound(iso: string | undefined, fallback: number, field: string): number {
  if (iso === undefined) return fallback;
  const ms = Date.parse(iso);
  if (Number.isNaN(ms))
    throw new TechtrailError("VALIDATION", `demo option ${field}: expected an ISO timestamp, got "${iso}"`, {
      problems: [{ field, message: "expected an ISO timestamp" }],
    });
  return ms;
}

function eventFor(catalog: Catalog, id: string): string | undefined {
  return catalog.technique(id)?.events[0];
}

/**
 * Generates `incidents` demo incidents (default 400), sorted by detection time, using only technique IDs
 * present in `catalog`. Same seed and catalog ⇒ same output.
 */
export function generateDemoIncidents(catalog: Catalog, opts: DemoOptions = {}): NewIncidentInput[] {
  const n = opts.incidents ?? 400;
  const start = rangeBound(opts.from, START, "from");
  const end = rangeBound(opts.to, END, "to");
  if (end - start <= 60 * 24 * HOUR)
    throw new TechtrailError("VALIDATION", "demo options: `to` must be more than 60 days after `from`", {
      problems: [{ field: "to", message: "expected more than 60 days after from" }],
    });
  const r = rng(opts.seed ?? 42);
  const accounts = accountPool(r);
  const has = (id: string) => {
    const t = catalog.technique(id);
    return t !== undefined && t.status !== "revoked";
  };
  const scenarios = SCENARIOS.filter((s) => s.chain.some((c) => has(c.id)));
  const fallback = catalog.techniques.filter((t) => t.status === "active").map((t) => t.id);
  const out: NewIncidentInput[] = [];
  while (out.length < n) {
    const t0 = startTime(r, start, end);
    const year = new Date(t0).getUTCFullYear();
    const attributed = r() < 0.55;
    const actors = ACTORS.filter((a) => a.years[0] <= year && year <= a.years[1]);
    const actor =
      attributed && actors.length
        ? weighted(
            r,
            actors.map((a) => [a, a.weight] as const),
          )
        : undefined;
    const scenarioName = actor
      ? weighted(r, actor.scenarios)
      : weighted(
          r,
          scenarios.map((s) => [s.name, s.weight] as const),
        );
    const scenario = scenarios.find((s) => s.name === scenarioName) ?? scenarios[0];
    const entryPick = scenario ? weighted(r, scenario.entries) : undefined;
    // The way in is the first technique, when the catalog has it.
    const entry = entryPick && has(entryPick.technique) ? entryPick : undefined;
    const steps: Step[] = [
      ...(entry ? [{ id: entry.technique, p: 1, confidence: "confirmed" as const }] : []),
      ...(scenario?.chain ?? []),
      ...(actor?.habits ?? []),
    ];
    const techniques: TechniqueTagInput[] = [];
    let at = t0;
    const incidentAccounts = [...new Set([pick(r, accounts), ...(r() < 0.2 ? [pick(r, accounts)] : [])])];
    const principal = principalFor(r, entryPick, incidentAccounts[0] as string);
    for (const s of steps) {
      if (!has(s.id) || techniques.some((t) => t.id === catalog.technique(s.id)?.id) || r() >= s.p) continue;
      // The entry is seen at first activity; later steps follow.
      if (techniques.length > 0) at += logNormal(r, 0.6, 1.0) * HOUR;
      const id = catalog.technique(s.id)?.id as string;
      const ev = eventFor(catalog, id);
      const confidence: Confidence =
        s.confidence ??
        weighted(r, [
          ["confirmed", 3],
          ["likely", 4],
          ["possible", 1],
        ] as const);
      techniques.push({
        id,
        catalogVersion: catalog.meta.version,
        confidence,
        firstSeen: canonicalTimestamp(Math.round(at / 1000) * 1000),
        evidence: ev ? `CloudTrail ${ev} by ${principal}` : `Observed during investigation (${confidence})`,
      });
    }
    if (techniques.length === 0 && fallback.length)
      techniques.push({ id: pick(r, fallback), catalogVersion: catalog.meta.version, confidence: "possible" });
    const detectionSource = weighted<DetectionSource>(r, scenario?.detection ?? [["other", 1]]);
    const severity = weighted<Severity>(r, scenario?.severity ?? [["P3", 1]]);
    const [dMed, dSig] = DETECTION_DELAY_H[detectionSource];
    // Long tails are real, but even a customer report arrives within weeks.
    const detected = Math.max(at, t0 + Math.min(logNormal(r, dMed, dSig), 40 * 24) * HOUR);
    // Only detected incidents are in a register: one still unnoticed at "today" is drawn again.
    if (detected >= end - HOUR) continue;
    const reported = detected + logNormal(r, 0.5, 1) * HOUR;
    const [cMed, cSig] = CONTAIN_DELAY_H[severity];
    // One in ten intruders keeps a foothold that takes weeks to find and remove.
    const stubborn = r() < 0.1;
    const contained = detected + (stubborn ? logNormal(r, 12 * 24, 0.6) : logNormal(r, cMed, cSig)) * HOUR;
    const recovered = contained + logNormal(r, 30, 0.8) * HOUR;
    // Closing waits for the review and its lessons, often for weeks.
    const closed = recovered + logNormal(r, 14 * 24, 0.7) * HOUR;
    const ts = (ms: number) => canonicalTimestamp(Math.round(ms / 60_000) * 60_000);
    const timeline: Record<string, string> = { firstActivity: ts(t0), detected: ts(detected), reported: ts(reported) };
    let status: "open" | "contained" | "closed" = "open";
    if (contained < end) {
      timeline.contained = ts(contained);
      status = "contained";
      if (recovered < end) timeline.recovered = ts(recovered);
      if (closed < end) {
        timeline.closed = ts(closed);
        status = "closed";
      }
    }
    const regions = [
      ...new Set([
        pick(r, actor?.regions ?? ["us-east-1", "eu-west-1", "us-west-2", "eu-central-1"]),
        ...(r() < 0.3 ? [pick(r, ["us-east-1", "eu-west-1", "ap-southeast-1", "sa-east-1"])] : []),
      ]),
    ];
    const impact = scenario?.impact.filter((_x, i) => i === 0 || r() < 0.6) ?? ["none"];
    const incident: NewIncidentInput = {
      title: pick(r, scenario?.titles ?? ["Suspicious activity"]),
      summary: `Synthetic demo incident (${scenarioName}${actor ? `, attributed to ${actor.name}` : ""}). Not real data.`,
      status,
      severity,
      timeline,
      accounts: incidentAccounts,
      regions,
      services: scenario?.services ?? [],
      resources: [principal],
      detectionSource,
      initialAccess: entryPick?.vector ?? "unknown",
      impact,
      techniques,
      playbooks: DEMO_PLAYBOOKS.filter(([, ids]) => techniques.some((t) => ids.includes(t.id))).map(([id]) => id),
      tags: ["demo", scenarioName],
      notes: "",
      lessonsLearned: status === "closed" && scenario ? pick(r, scenario.lessons) : "",
      isDemo: true,
      createdAt: ts(reported),
      updatedAt: timeline.closed ?? timeline.recovered ?? timeline.contained ?? ts(reported),
    };
    if (entry) {
      incident.initialAccessTechnique = entry.technique;
      incident.credentialType = entry.credential;
    } else if (entryPick) incident.credentialType = entryPick.credential;
    if (actor) {
      incident.threatActor = actor.name;
      if (actor.campaigns.length && r() < 0.6) incident.campaign = pick(r, actor.campaigns);
    }
    out.push(incident);
  }
  return out.sort((a, b) => String(a.timeline?.detected).localeCompare(String(b.timeline?.detected)));
}
