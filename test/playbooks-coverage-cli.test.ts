// End-to-end after `techtrail demo seed`: playbooks list/show/gaps, coverage with each built-in profile,
// GuardDuty finding types as detection (with a small mapping folder of the test's own), coverage --validate over the Stratus Red Team detonation logs (../shared/data/stratus-detonation-logs,
// Apache-2.0) with Navigator layers, and clear errors for a bad playbook and a bad profile.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { runCli, runCliJson } from "./cli-helper.js";
import { sharedPath, skipUnlessShared } from "./shared.js";

let dir: string;
let db: string;

before(() => {
  dir = mkdtempSync(join(tmpdir(), "techtrail-pbcov-"));
  db = join(dir, "demo.db");
  const r = runCli(["demo", "seed", "--db", db]);
  assert.equal(r.status, 0, r.stderr);
});
after(() => rmSync(dir, { recursive: true, force: true }));

test("playbooks list, show and gaps", () => {
  const list = runCliJson<Array<{ id: string; missingPhases: string[] }>>(["playbooks", "list", "--json"]);
  assert.equal(list.length, 5);
  assert.ok(list.every((p) => p.missingPhases.length === 0));
  const show = runCli(["playbooks", "show", "s3-ransomware"]);
  assert.equal(show.status, 0);
  assert.match(show.stdout, /## Eradicate and recover/);
  assert.match(show.stdout, /aws s3api put-bucket-versioning/);
  const gaps = runCliJson<{
    scope: { incidents: number };
    techniques: Array<{ rank: number; status: string; priority: number }>;
    next: string[];
  }>(["playbooks", "gaps", "--db", db, "--json"]);
  assert.ok(gaps.scope.incidents > 0);
  assert.ok(gaps.techniques.length > 5);
  assert.ok(gaps.next.length > 0, "the demo register has techniques without an active playbook");
  const pr = gaps.techniques.map((t) => t.priority);
  assert.deepEqual(
    pr,
    [...pr].sort((a, b) => b - a),
    "ranked by priority",
  );
  const text = runCli(["playbooks", "gaps", "--db", db, "--stale-months", "1"]);
  assert.match(text.stdout, /write or review next: /);
  assert.match(text.stdout, /stale/);
  const missing = runCli(["playbooks", "show", "no-such-playbook"]);
  assert.equal(missing.status, 3);
});

test("a playbook naming an unknown technique is refused with file and line", () => {
  const pbDir = join(dir, "pb");
  mkdirSync(pbDir);
  writeFileSync(
    join(pbDir, "bad.md"),
    "---\nid: bad\ntitle: Bad\ntechniques:\n  - T1078.A001\n  - T1078.A999\nowner: x\nstatus: active\nlast_reviewed: 2026-01-01\n---\n## Prepare\n",
  );
  const r = runCli(["playbooks", "list", "--playbooks", pbDir]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /bad\.md:6:\d+ \[techniques\.1\]: unknown technique ID T1078\.A999/);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
});

test("coverage with each built-in profile; more monitoring sees more", () => {
  const score = (profile: string) =>
    runCliJson<{
      weighting: string;
      scores: { visible: number; detected: number; detectedByDetectors: number };
      unseen: unknown[];
      detectors: Array<{ detector: string; techniquesDetected: number }>;
    }>(["coverage", "--profile", profile, "--db", db, "--json"]);
  const ct = score("cloudtrail-only");
  const gd = score("cloudtrail-guardduty");
  const all = score("everything");
  // With the shipped mappings, GuardDuty findings detect techniques once GuardDuty is on, and not before.
  assert.equal(ct.scores.detectedByDetectors, 0);
  assert.ok((gd.detectors.find((d) => d.detector === "guardduty")?.techniquesDetected ?? 0) > 0);
  assert.ok(gd.scores.detectedByDetectors > 0 && gd.scores.detectedByDetectors <= all.scores.detectedByDetectors);
  assert.equal(ct.weighting, "incidents");
  assert.ok(ct.scores.visible <= gd.scores.visible && gd.scores.visible <= all.scores.visible);
  assert.ok(ct.scores.visible < all.scores.visible, "CloudTrail alone misses data-plane techniques");
  assert.ok(ct.unseen.length > 0);
  assert.equal(all.scores.visible, 1);
  const text = runCli(["coverage", "--profile", "cloudtrail-only", "--db", db]);
  assert.match(text.stdout, /frequency-weighted score: visible \d+\.\d%/);
  assert.match(text.stdout, /would NOT see/);
  // without --profile: the documented default, CloudTrail plus GuardDuty
  const byDefault = runCliJson<{ scores: unknown; profile: { name: string } }>(["coverage", "--db", db, "--json"]);
  assert.deepEqual(byDefault.scores, gd.scores);
  assert.equal(
    byDefault.profile.name,
    runCliJson<{ profile: { name: string } }>(["coverage", "--profile", "cloudtrail-guardduty", "--db", db, "--json"])
      .profile.name,
  );
});

interface CoverageJson {
  weighting: string;
  scores: { detected: number; detectedByRules: number; detectedByDetectors: number };
  detectors: Array<{ detector: string; typesOn: number; typesMapped: number; techniquesDetected: number }>;
  techniques: Array<{
    id: string;
    weight: number;
    detected: boolean;
    detectedByRules: boolean;
    detectedByDetectors: boolean;
    visibleVia: string[];
    detectorFindings: Array<{ detector: string; type: string; dataSource: string; confidence: string }>;
  }>;
}

test("coverage --profile cloudtrail-guardduty shows which techniques GuardDuty detects through which finding types", () => {
  const maps = join(dir, "mappings");
  mkdirSync(maps, { recursive: true });
  writeFileSync(
    join(maps, "guardduty.yaml"),
    `detector: guardduty
sources: [https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_finding-types-active.html]
reviewed: "2026-12-02"
mappings:
  - type: CryptoCurrency:EC2/BitcoinTool.B!DNS
    dataSource: guardduty
    techniques: [{ id: T1496.A008, relation: detects, confidence: high }]
  - type: UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS
    dataSource: guardduty
    techniques: [{ id: T1552.A901, relation: detects, confidence: high }]
  - type: Exfiltration:S3/AnomalousBehavior
    dataSource: guardduty-s3-protection
    techniques: [{ id: T1530.A001, relation: detects, confidence: medium }]
  - type: CryptoCurrency:Runtime/BitcoinTool.B
    dataSource: guardduty-runtime-monitoring
    techniques: [{ id: T1496.A006, relation: detects, confidence: high }]
`,
  );
  const run = (profile: string, mappings: string) =>
    runCliJson<CoverageJson>(["coverage", "--profile", profile, "--db", db, "--mappings", mappings, "--json"]);
  const gd = run("cloudtrail-guardduty", maps);
  const by = new Map(gd.techniques.map((t) => [t.id, t]));
  assert.deepEqual(
    gd.techniques.filter((t) => t.detectedByDetectors).map((t) => [t.id, t.detectorFindings.map((f) => f.type)]),
    [
      ["T1496.A008", ["CryptoCurrency:EC2/BitcoinTool.B!DNS"]],
      ["T1530.A001", ["Exfiltration:S3/AnomalousBehavior"]],
      ["T1552.A901", ["UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS"]],
    ],
    "Runtime Monitoring is not in the profile: its finding type does not count",
  );
  assert.equal(by.get("T1530.A001")?.detectorFindings[0]?.dataSource, "guardduty-s3-protection");
  assert.ok(by.get("T1530.A001")?.visibleVia.includes("guardduty-s3-protection"));
  assert.deepEqual(
    gd.detectors.map((d) => [d.detector, d.typesOn, d.typesMapped, d.techniquesDetected]),
    [["guardduty", 3, 4, 3]],
  );
  // The scores follow from the per-technique verdicts and weights.
  const total = gd.techniques.reduce((n, t) => n + t.weight, 0);
  const share = (pick: (t: CoverageJson["techniques"][number]) => boolean) =>
    gd.techniques.filter(pick).reduce((n, t) => n + t.weight, 0) / total;
  assert.equal(
    gd.scores.detectedByDetectors,
    share((t) => t.detectedByDetectors),
  );
  assert.equal(
    gd.scores.detected,
    share((t) => t.detectedByRules || t.detectedByDetectors),
  );
  assert.ok(gd.scores.detectedByDetectors > 0);
  // Without any mapping, detection is the rules' alone and equals the rule-based share with mappings.
  const empty = join(dir, "no-mappings");
  mkdirSync(empty, { recursive: true });
  const rulesOnly = run("cloudtrail-guardduty", empty);
  assert.equal(rulesOnly.scores.detectedByDetectors, 0);
  assert.equal(rulesOnly.scores.detected, rulesOnly.scores.detectedByRules);
  assert.equal(rulesOnly.scores.detectedByRules, gd.scores.detectedByRules);
  assert.deepEqual(rulesOnly.detectors, []);
  // CloudTrail alone switches no GuardDuty plan on.
  assert.equal(run("cloudtrail-only", maps).scores.detectedByDetectors, 0);
  const text = runCli(["coverage", "--profile", "cloudtrail-guardduty", "--db", db, "--mappings", maps, "--all"]);
  assert.equal(text.status, 0, text.stderr);
  assert.match(text.stdout, /guardduty: 3 of 4 mapped types on, detecting 3 techniques/);
  assert.match(text.stdout, /detected \d+\.\d% \(rules \d+\.\d%, detectors \d+\.\d%\)/);
  assert.match(text.stdout, /T1496\.A008 .*CryptoCurrency:EC2\/BitcoinTool\.B!DNS/);
  const missing = runCli(["coverage", "--db", db, "--mappings", join(dir, "nope")]);
  assert.equal(missing.status, 3);
  assert.match(missing.stderr, /detector mapping folder .*nope does not exist/);
});

test("coverage without a register weighs techniques uniformly and says so; a named missing register is refused", () => {
  const empty = mkdtempSync(join(tmpdir(), "tt-cov-noreg-"));
  const env = { TECHTRAIL_DB: "", TECHTRAIL_DATABASE_URL: "" };
  const r = runCli(["coverage", "--profile", "cloudtrail-guardduty", "--json"], { cwd: empty, env });
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout) as {
    weighting: string;
    note: string;
    techniques: Array<{ detectedByDetectors: boolean }>;
  };
  assert.equal(j.weighting, "uniform");
  assert.match(j.note, /no incident register at .*techtrail\.db/);
  assert.match(r.stderr, /no incident register at/);
  assert.ok(j.techniques.some((t) => t.detectedByDetectors));
  const named = runCli(["coverage", "--db", join(empty, "typo.db")], { cwd: empty, env });
  assert.equal(named.status, 3);
  assert.match(named.stderr, /typo\.db/);
  rmSync(empty, { recursive: true, force: true });
});

test("coverage --validate scans the Stratus logs and writes Navigator layers", {
  skip: skipUnlessShared("data/stratus-detonation-logs/raw"),
}, () => {
  const layers = join(dir, "layers");
  const r = runCliJson<{
    validation: { events: number; techniquesFired: string[] };
    scores: { validated: number };
    techniques: Array<{ id: string; validated: boolean; detected: boolean }>;
    layers: string[];
  }>([
    "coverage",
    "--profile",
    "everything",
    "--db",
    db,
    "--validate",
    sharedPath("data/stratus-detonation-logs/raw"),
    "--layer-dir",
    layers,
    "--json",
  ]);
  assert.equal(r.validation.events, 310);
  assert.ok(r.validation.techniquesFired.length > 10);
  assert.ok(r.scores.validated > 0 && r.scores.validated < 1);
  assert.ok(
    r.techniques.every((t) => !t.validated || t.detected),
    "validated implies detected",
  );
  assert.equal(r.layers.length, 4);
  const cov = JSON.parse(readFileSync(join(layers, "coverage-full.json"), "utf8"));
  assert.equal(cov.versions.layer, "4.5");
  assert.ok(cov.techniques.some((t: { score: number }) => t.score === 3));
  const freq = JSON.parse(readFileSync(join(layers, "frequency-attack.json"), "utf8"));
  assert.ok(freq.techniques.length > 0);
});

test("a malformed profile gives file, line and field", () => {
  const file = join(dir, "bad.yaml");
  writeFileSync(file, "name: bad\ndataSources:\n  - cloudtrail-management\n  - guardduty-everything\n");
  const r = runCli(["coverage", "--profile", file, "--db", db]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /bad\.yaml:4:\d+ \[dataSources\.1\]: unknown data source guardduty-everything/);
  const none = runCli(["coverage", "--profile", "nope", "--db", db]);
  assert.equal(none.status, 3);
  assert.match(none.stderr, /built-in profiles: cloudtrail-guardduty, cloudtrail-only, everything/);
});
