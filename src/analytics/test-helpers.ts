// Deterministic synthetic incidents for analytics tests and the analytics benchmark: a handful of
// realistic AWS attack scenarios (technique chains with first-seen order, actors, severities, detection
// sources, timelines) spread over a date range, generated from a seed so every run sees the same data.
import { rng } from "../incidents/demo.js";
import { type NewIncident, type NewIncidentInput, NewIncident as NewIncidentSchema } from "../incidents/model.js";

interface Step {
  id: string;
  /** Probability the technique is present. */
  p: number;
}

interface Scenario {
  name: string;
  title: string;
  weight: number;
  /** Weight multiplier growing with time (0 = flat, 1 = doubles across the range). */
  growth: number;
  steps: Step[];
  actors: string[];
  severity: Array<[NewIncident["severity"], number]>;
  sources: Array<[NonNullable<NewIncident["detectionSource"]>, number]>;
  tags: string[];
}

const SCENARIOS: Scenario[] = [
  {
    name: "cryptomining",
    title: "Leaked access key used to run crypto miners",
    weight: 30,
    growth: 0,
    steps: [
      { id: "T1078.A001", p: 0.95 },
      { id: "T1087.004", p: 0.5 },
      { id: "T1580", p: 0.5 },
      { id: "T1535", p: 0.3 },
      { id: "T1496.A008", p: 0.95 },
      { id: "T1578.002", p: 0.3 },
    ],
    actors: ["Ember Wasp", "Copper Finch"],
    severity: [
      ["P2", 3],
      ["P3", 5],
      ["P4", 1],
    ],
    sources: [
      ["guardduty", 5],
      ["billing-anomaly", 3],
      ["aws-notification", 2],
    ],
    tags: ["crypto", "prod"],
  },
  {
    name: "s3-ransom",
    title: "S3 data encrypted and held for ransom",
    weight: 10,
    growth: 0.8,
    steps: [
      { id: "T1078.A001", p: 0.8 },
      { id: "T1619.A001", p: 0.7 },
      { id: "T1530.A001", p: 0.6 },
      { id: "T1490.A901", p: 0.6 },
      { id: "T1486.A001", p: 0.9 },
      { id: "T1485.A003", p: 0.5 },
      { id: "T1486.A902", p: 0.7 },
    ],
    actors: ["Glass Heron"],
    severity: [
      ["P1", 6],
      ["P2", 3],
    ],
    sources: [
      ["customer-report", 3],
      ["guardduty", 3],
      ["cloudwatch-alarm", 2],
    ],
    tags: ["ransom", "prod"],
  },
  {
    name: "imds",
    title: "SSRF on a web app exposed instance role credentials",
    weight: 12,
    growth: 0.2,
    steps: [
      { id: "T1190.A016", p: 0.9 },
      { id: "T1552.005", p: 0.9 },
      { id: "T1552.A901", p: 0.8 },
      { id: "T1619.A001", p: 0.4 },
      { id: "T1530.A001", p: 0.6 },
      { id: "T1537.A904", p: 0.2 },
    ],
    actors: ["Metadata Mole"],
    severity: [
      ["P1", 2],
      ["P2", 5],
      ["P3", 2],
    ],
    sources: [
      ["guardduty", 6],
      ["security-hub", 2],
      ["third-party", 1],
    ],
    tags: ["web", "prod"],
  },
  {
    name: "logging",
    title: "Logging and detection switched off after console sign-in",
    weight: 8,
    growth: 0,
    steps: [
      { id: "T1078.004", p: 0.9 },
      { id: "T1087.004", p: 0.4 },
      { id: "T1562.008", p: 0.9 },
      { id: "T1562.A001", p: 0.5 },
      { id: "T1098.001", p: 0.5 },
      { id: "T1136.003", p: 0.4 },
    ],
    actors: ["Glass Heron", "Scattered Lynx"],
    severity: [
      ["P1", 3],
      ["P2", 4],
    ],
    sources: [
      ["security-hub", 4],
      ["cloudwatch-alarm", 3],
      ["guardduty", 2],
    ],
    tags: ["prod", "persistence"],
  },
  {
    name: "ses",
    title: "SES abused to send spam with a leaked key",
    weight: 10,
    growth: -0.3,
    steps: [
      { id: "T1078.A001", p: 0.9 },
      { id: "T1087.004", p: 0.3 },
      { id: "T1496.A001", p: 0.95 },
    ],
    actors: ["Copper Finch"],
    severity: [
      ["P3", 5],
      ["P4", 3],
    ],
    sources: [
      ["aws-notification", 5],
      ["billing-anomaly", 2],
    ],
    tags: ["spam"],
  },
  {
    name: "llm",
    title: "Stolen key used to invoke Bedrock models",
    weight: 4,
    growth: 3,
    steps: [
      { id: "T1078.A001", p: 0.9 },
      { id: "T1526", p: 0.6 },
      { id: "T1496.A007", p: 0.95 },
    ],
    actors: ["Ember Wasp"],
    severity: [
      ["P2", 3],
      ["P3", 4],
    ],
    sources: [
      ["billing-anomaly", 5],
      ["guardduty", 2],
    ],
    tags: ["llm"],
  },
  {
    name: "secrets",
    title: "Secrets read from Secrets Manager and Parameter Store",
    weight: 8,
    growth: 0,
    steps: [
      { id: "T1078.A901", p: 0.6 },
      { id: "T1555.A901", p: 0.8 },
      { id: "T1555.A902", p: 0.6 },
      { id: "T1552.001", p: 0.3 },
    ],
    actors: ["Metadata Mole", "Scattered Lynx"],
    severity: [
      ["P2", 4],
      ["P3", 3],
    ],
    sources: [
      ["guardduty", 3],
      ["third-party", 2],
      ["other", 1],
    ],
    tags: ["secrets"],
  },
  {
    name: "snapshots",
    title: "Snapshots shared with an external account",
    weight: 6,
    growth: 0.4,
    steps: [
      { id: "T1578.001", p: 0.6 },
      { id: "T1537.A901", p: 0.7 },
      { id: "T1537.A903", p: 0.5 },
    ],
    actors: ["Glass Heron"],
    severity: [
      ["P1", 2],
      ["P2", 3],
    ],
    sources: [
      ["security-hub", 3],
      ["cloudwatch-alarm", 2],
    ],
    tags: ["exfiltration"],
  },
];

const ACCOUNTS = ["111122223333", "444455556666", "777788889999", "123456789012", "210987654321"];
const HOUR = 3_600_000;

/** Typical time to detect per source, in hours. */
const TTD_HOURS: Record<string, number> = {
  guardduty: 2,
  "security-hub": 8,
  "cloudwatch-alarm": 4,
  "billing-anomaly": 60,
  "customer-report": 30,
  "aws-notification": 20,
  "third-party": 40,
  other: 24,
};

function pick<T>(r: () => number, weighted: ReadonlyArray<readonly [T, number]>): T {
  const total = weighted.reduce((s, [, w]) => s + w, 0);
  let x = r() * total;
  for (const [v, w] of weighted) {
    x -= w;
    if (x < 0) return v;
  }
  return (weighted[weighted.length - 1] as readonly [T, number])[0];
}

export interface SyntheticOptions {
  count: number;
  seed?: number;
  /** Inclusive start and exclusive end of first-activity times. */
  from?: string;
  to?: string;
  catalogVersion?: string;
  /** Share of incidents with a known threat actor (default 0.4). */
  attributed?: number;
  isDemo?: boolean;
}

/** Raw inputs (before schema defaults); `syntheticIncidents` validates them. */
export function syntheticIncidentInputs(opts: SyntheticOptions): NewIncidentInput[] {
  const r = rng(opts.seed ?? 42);
  const start = Date.parse(opts.from ?? "2025-01-01T00:00:00Z");
  const end = Date.parse(opts.to ?? "2026-10-01T00:00:00Z");
  const version = opts.catalogVersion ?? "2026.11";
  const attributed = opts.attributed ?? 0.4;
  const out: NewIncidentInput[] = [];
  for (let n = 0; n < opts.count; n++) {
    const at = start + r() * (end - start);
    const progress = (at - start) / (end - start);
    const sc = pick(
      r,
      SCENARIOS.map((s) => [s, Math.max(0.1, s.weight * (1 + s.growth * progress))] as const),
    );
    const techniques: NonNullable<NewIncidentInput["techniques"]> = [];
    let t = at;
    for (const step of sc.steps) {
      if (r() >= step.p) continue;
      t += r() * 6 * HOUR;
      techniques.push({
        id: step.id,
        catalogVersion: version,
        confidence: pick(r, [
          ["confirmed", 6],
          ["likely", 3],
          ["possible", 1],
        ]),
        firstSeen: new Date(Math.round(t / 1000) * 1000).toISOString(),
      });
    }
    if (techniques.length === 0 && sc.steps[0])
      techniques.push({ id: sc.steps[0].id, catalogVersion: version, firstSeen: new Date(at).toISOString() });
    const source = pick(r, sc.sources);
    const first = Math.round(at / 1000) * 1000;
    const detected = first + Math.round((TTD_HOURS[source] ?? 24) * HOUR * (0.3 + r() * 1.7));
    const containHours = sc.name === "s3-ransom" ? 30 : sc.name === "logging" ? 12 : 5;
    const contained = detected + Math.round(containHours * HOUR * (0.2 + r() * 2));
    const closed = contained + Math.round(72 * HOUR * (0.5 + r()));
    const recent = end - at < 30 * 24 * HOUR;
    const status = recent ? (r() < 0.5 ? "open" : "contained") : "closed";
    const timeline: Record<string, string> = {
      firstActivity: new Date(first).toISOString(),
      detected: new Date(detected).toISOString(),
    };
    if (status !== "open") timeline.contained = new Date(contained).toISOString();
    if (status === "closed") timeline.closed = new Date(closed).toISOString();
    const account = ACCOUNTS[Math.floor(r() * ACCOUNTS.length)] as string;
    const input: NewIncidentInput = {
      title: sc.title,
      severity: pick(r, sc.severity),
      status,
      timeline,
      accounts: [account],
      detectionSource: source,
      techniques,
      tags: sc.tags.filter(() => r() < 0.7),
      isDemo: opts.isDemo ?? false,
    };
    if (r() < attributed) input.threatActor = sc.actors[Math.floor(r() * sc.actors.length)] as string;
    out.push(input);
  }
  return out;
}

/** Validated synthetic incidents ready for `store.importMany`. */
export function syntheticIncidents(opts: SyntheticOptions): NewIncident[] {
  return syntheticIncidentInputs(opts).map((i) => NewIncidentSchema.parse(i));
}

const at = (iso: string, plusHours = 0) => new Date(Date.parse(iso) + plusHours * HOUR).toISOString();

function inc(over: NewIncidentInput): NewIncident {
  return NewIncidentSchema.parse(over);
}

/**
 * Five hand-made incidents with known analytics answers (see analytics.test.ts): two ransom incidents of
 * Glass Heron, a mining incident of Ember Wasp, one older key misuse and one without techniques.
 */
export function analyticsFixture(V: string): NewIncident[] {
  const t = (id: string, firstSeen?: string) => ({ id, catalogVersion: V, ...(firstSeen ? { firstSeen } : {}) });
  return [
    inc({
      key: "IR-2026-0001",
      title: "S3 ransom",
      severity: "P1",
      status: "contained",
      timeline: {
        firstActivity: "2026-07-05T00:00:00Z",
        detected: at("2026-07-05T00:00:00Z", 2),
        contained: at("2026-07-05T00:00:00Z", 6),
      },
      accounts: ["111122223333"],
      detectionSource: "guardduty",
      threatActor: "Glass Heron",
      tags: ["ransom"],
      // Stored out of order: paths must follow first-seen times.
      techniques: [
        t("T1486.A001", "2026-07-05T03:00:00Z"),
        t("T1078.A001", "2026-07-05T01:00:00Z"),
        t("T1619.A001", "2026-07-05T02:00:00Z"),
      ],
    }),
    inc({
      key: "IR-2026-0002",
      title: "Second ransom",
      severity: "P2",
      status: "contained",
      timeline: {
        firstActivity: "2026-08-10T00:00:00Z",
        detected: at("2026-08-10T00:00:00Z", 10),
        contained: at("2026-08-10T00:00:00Z", 12),
      },
      accounts: ["444455556666"],
      detectionSource: "customer-report",
      threatActor: "glass  heron",
      techniques: [t("T1078.A001"), t("T1486.A001")],
    }),
    inc({
      key: "IR-2026-0003",
      title: "Miners",
      severity: "P3",
      timeline: { firstActivity: "2026-08-20T00:00:00Z", detected: at("2026-08-20T00:00:00Z", 48) },
      detectionSource: "billing-anomaly",
      threatActor: "Ember Wasp",
      techniques: [t("T1078.A001"), t("T1496.A008")],
    }),
    inc({
      key: "IR-2026-0004",
      title: "Key used once",
      severity: "P4",
      status: "contained",
      timeline: {
        firstActivity: "2026-04-15T00:00:00Z",
        detected: at("2026-04-15T00:00:00Z", 1),
        contained: at("2026-04-15T00:00:00Z", 2),
      },
      detectionSource: "guardduty",
      techniques: [t("T1078.A001")],
    }),
    inc({
      key: "IR-2026-0005",
      title: "Not yet analysed",
      severity: "P2",
      timeline: { detected: "2026-09-01T00:00:00Z" },
    }),
  ];
}
