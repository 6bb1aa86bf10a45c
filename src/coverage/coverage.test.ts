// Monitoring profiles (built-ins, errors with file/line/field, umbrella sources, Security Hub standards) and
// coverage levels: visible / detected / validated with a one-rule folder and a one-event log, frequency and
// uniform weights; detection through detector finding types from a small mapping folder of the test's own.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { loadBuiltinCatalog } from "../catalog/load.js";
import { TechtrailError } from "../core/errors.js";
import { DetectorMappings, loadDetectorMappings } from "../detectors/mapping.js";
import { computeCoverage, coverageLayers } from "./coverage.js";
import { builtinProfileNames, loadProfile, parseProfile } from "./profile.js";

const catalog = loadBuiltinCatalog();
/** Rules only: the tests below that predate detector mappings must not depend on the shipped mapping files. */
const noMappings = new DetectorMappings([]);
let dir: string;

// The rule's tests file holds a record it must match: used here as the "logs of the technique".
const BUILTIN = join(import.meta.dirname, "../../rules/builtin");
const RULE = "t1078.a001-user-key-probing-own-permissions";

before(() => {
  dir = mkdtempSync(join(tmpdir(), "techtrail-coverage-"));
  mkdirSync(join(dir, "rules"));
  writeFileSync(join(dir, "rules", `${RULE}.yml`), readFileSync(join(BUILTIN, `${RULE}.yml`), "utf8"));
  const tests = readFileSync(join(BUILTIN, `${RULE}.tests.yaml`), "utf8");
  const record =
    tests
      .split("\n")
      .find((l) => l.trim().startsWith("- {"))
      ?.trim()
      .slice(2) ?? "";
  writeFileSync(join(dir, "events.jsonl"), `${record}\n`);
});
after(() => rmSync(dir, { recursive: true, force: true }));

function err(fn: () => unknown): TechtrailError {
  try {
    fn();
  } catch (e) {
    if (e instanceof TechtrailError) return e;
    throw e;
  }
  assert.fail("expected an error");
}

test("built-in profiles load; 'everything' switches on every catalog data source", () => {
  assert.deepEqual(builtinProfileNames(), ["cloudtrail-guardduty", "cloudtrail-only", "everything"]);
  const all = loadProfile("everything", catalog);
  assert.deepEqual([...all.effective].sort(), catalog.dataSources.map((d) => d.id).sort());
  assert.equal(all.builtinRules, true);
  assert.deepEqual(loadProfile("cloudtrail-only", catalog).effective, ["cloudtrail-management"]);
});

test("bad profiles: unknown source, missing field, bad YAML, missing rule folder, unknown name", () => {
  const unknown = err(() =>
    parseProfile(
      "name: x\ndataSources:\n  - cloudtrail-management\n  - cloudtrail-everything\n",
      join(dir, "p.yaml"),
      catalog,
    ),
  );
  assert.equal(unknown.code, "VALIDATION");
  assert.equal(unknown.problems[0]?.line, 4);
  assert.equal(unknown.problems[0]?.field, "dataSources.1");
  assert.match(unknown.problems[0]?.message ?? "", /unknown data source cloudtrail-everything/);
  const noName = err(() => parseProfile("dataSources: [guardduty]\n", "p.yaml", catalog));
  assert.ok(noName.problems.some((p) => p.field === "name"));
  const extra = err(() => parseProfile("name: x\ndataSources: [guardduty]\nlogs: []\n", "p.yaml", catalog));
  assert.equal(extra.code, "VALIDATION");
  const yaml = err(() => parseProfile("name: [x\n", "p.yaml", catalog));
  assert.equal(yaml.code, "PARSE");
  const folder = err(() =>
    parseProfile("name: x\ndataSources: [guardduty]\nrules: [./nope]\n", join(dir, "p.yaml"), catalog),
  );
  assert.match(folder.describe(), /rule folder \.\/nope does not exist/);
  assert.equal(err(() => loadProfile("no-such-profile", catalog)).code, "NOT_FOUND");
});

test("a protection plan without its umbrella is reported and treated as off", () => {
  const p = parseProfile("name: x\ndataSources: [cloudtrail-management, guardduty-s3-protection]\n", "p.yaml", catalog);
  assert.deepEqual(p.ineffective, [{ id: "guardduty-s3-protection", requires: "guardduty" }]);
  assert.deepEqual(p.effective, ["cloudtrail-management"]);
});

test("visible, detected and validated levels with frequency weights", async () => {
  const file = join(dir, "profile.yaml");
  writeFileSync(
    file,
    "name: one rule\ndataSources: [cloudtrail-management, guardduty, guardduty-s3-protection]\nrules: [./rules]\n",
  );
  const profile = loadProfile(file, catalog);
  const frequency = new Map([
    ["T1078.A001", 3],
    ["T1496.A008", 1],
    ["T1530.A001", 4],
  ]);
  const r = await computeCoverage(catalog, profile, {
    frequency,
    validateLogs: [join(dir, "events.jsonl")],
    workers: 0,
    mappings: noMappings,
  });
  assert.equal(r.weighting, "incidents");
  assert.equal(r.rules.deployed, 1);
  const byId = new Map(r.techniques.map((t) => [t.id, t]));
  const key = byId.get("T1078.A001");
  assert.deepEqual([key?.visible, key?.detected, key?.validated], [true, true, true]);
  assert.deepEqual(key?.firedRules, [key?.rules[0]]);
  const mining = byId.get("T1496.A008");
  assert.deepEqual([mining?.visible, mining?.detected, mining?.validated], [true, false, false]);
  // S3 object collection is visible through GuardDuty S3 Protection only: no CloudTrail source, no rule.
  assert.deepEqual(byId.get("T1530.A001")?.visibleVia, ["guardduty-s3-protection"]);
  assert.equal(r.scores.visible, 1);
  assert.equal(r.scores.detected, 3 / 8);
  assert.equal(r.scores.validated, 3 / 8);
  assert.deepEqual(r.unseen, []);
  assert.deepEqual(
    r.undetected.map((t) => t.id),
    ["T1530.A001", "T1496.A008"],
  );

  const ctOnly = await computeCoverage(catalog, loadProfile("cloudtrail-only", catalog), {
    frequency,
    mappings: noMappings,
  });
  assert.equal(ctOnly.validation, null);
  assert.equal(ctOnly.scores.validated, null);
  assert.deepEqual(
    ctOnly.unseen.map((t) => t.id),
    ["T1530.A001"],
    "S3 data events are off",
  );
  assert.equal(ctOnly.scores.visible, 4 / 8);
});

test("no frequencies: uniform weights with a note; Navigator layers of coverage and frequency", async () => {
  const profile = loadProfile(join(dir, "profile.yaml"), catalog);
  const r = await computeCoverage(catalog, profile, { mappings: noMappings });
  assert.equal(r.weighting, "uniform");
  assert.match(r.note ?? "", /weighs the same/);
  const active = catalog.techniques.filter((t) => t.status === "active").length;
  assert.equal(r.techniques.length, active);
  // The rule is tagged attack.t1078 and techtrail.t1078.a001: both resolve to catalog techniques.
  assert.deepEqual(
    r.techniques.filter((t) => t.detected).map((t) => t.id),
    ["T1078", "T1078.A001"],
  );
  assert.equal(r.scores.detected, 2 / active);
  const layers = coverageLayers(
    catalog,
    await computeCoverage(catalog, profile, { frequency: new Map([["T1078.A001", 2]]), mappings: noMappings }),
  );
  const full = layers.coverage.full.techniques.find((t) => t.techniqueID === "T1078.A001");
  assert.equal(full?.score, 2);
  assert.deepEqual(
    layers.frequency.full.techniques.map((t) => [t.techniqueID, t.score]),
    [["T1078.A001", 2]],
  );
  assert.equal(layers.frequency.attack.techniques[0]?.techniqueID, "T1078");
});

// A small mapping folder of the test's own (the shipped files grow independently of this test).
const MAPPINGS: Record<string, string> = {
  "guardduty.yaml": `detector: guardduty
sources: [https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_finding-types-active.html]
reviewed: "2026-12-02"
mappings:
  - type: CryptoCurrency:EC2/BitcoinTool.B!DNS
    dataSource: guardduty
    techniques: [{ id: T1496.A008, relation: detects, confidence: high }]
  - type: Exfiltration:S3/AnomalousBehavior
    dataSource: guardduty-s3-protection
    techniques: [{ id: T1530.A001, relation: detects, confidence: medium }]
  - type: Execution:Runtime/NewBinaryExecuted
    dataSource: guardduty-runtime-monitoring
    techniques: [{ id: T1059, relation: detects, confidence: low }]
  - type: Policy:S3/BucketBlockPublicAccessDisabled
    dataSource: guardduty-s3-protection
    techniques: [{ id: T1530, relation: enables, confidence: medium }]
unmapped:
  - type: Backdoor:EC2/Spambot
    reason: not a technique of the catalog
`,
  "security-hub.yaml": `detector: security-hub
sources: [https://docs.aws.amazon.com/securityhub/latest/userguide/fsbp-standard.html]
reviewed: "2026-12-02"
mappings:
  - type: IAM.4
    dataSource: security-hub
    techniques: [{ id: T1078.A002, relation: enables, confidence: high }]
  - type: GuardDuty.1
    dataSource: security-hub
    techniques: [{ id: T1562.A001, relation: detects, confidence: medium }]
`,
  "macie.yaml": `detector: macie
sources: [https://docs.aws.amazon.com/macie/latest/user/findings-types.html]
reviewed: "2026-12-02"
mappings:
  - type: Policy:IAMUser/S3BlockPublicAccessDisabled
    dataSource: macie
    techniques: [{ id: T1562.A951, relation: detects, confidence: medium }]
`,
};

function smallMappings(): DetectorMappings {
  const m = join(dir, "mappings");
  mkdirSync(m, { recursive: true });
  for (const [name, text] of Object.entries(MAPPINGS)) writeFileSync(join(m, name), text);
  return loadDetectorMappings(catalog, m);
}

test("detector finding types of plans that are on count as detection, apart from rules", async () => {
  const mappings = smallMappings();
  const profile = loadProfile(join(dir, "profile.yaml"), catalog); // management events, GuardDuty + S3 Protection
  const frequency = new Map([
    ["T1078.A001", 3],
    ["T1496.A008", 1],
    ["T1530.A001", 4],
    ["T1059", 2],
  ]);
  const r = await computeCoverage(catalog, profile, {
    frequency,
    validateLogs: [join(dir, "events.jsonl")],
    workers: 0,
    mappings,
  });
  const byId = new Map(r.techniques.map((t) => [t.id, t]));
  const mining = byId.get("T1496.A008");
  assert.deepEqual(
    [mining?.detected, mining?.detectedByRules, mining?.detectedByDetectors, mining?.validated],
    [true, false, true, false],
    "GuardDuty detects it; no rule fired, so it is not validated",
  );
  assert.deepEqual(mining?.detectorFindings, [
    {
      detector: "guardduty",
      type: "CryptoCurrency:EC2/BitcoinTool.B!DNS",
      dataSource: "guardduty",
      confidence: "high",
    },
  ]);
  const s3 = byId.get("T1530.A001");
  assert.deepEqual(
    s3?.detectorFindings.map((f) => [f.type, f.dataSource, f.confidence]),
    [["Exfiltration:S3/AnomalousBehavior", "guardduty-s3-protection", "medium"]],
  );
  assert.deepEqual(s3?.rules, []);
  // Runtime Monitoring is off: its finding type does not count, and T1059 stays visible only.
  const exec = byId.get("T1059");
  assert.deepEqual([exec?.visible, exec?.detected, exec?.detectorFindings], [true, false, []]);
  // An `enables` finding is posture, never detection.
  const parent = byId.get("T1530");
  assert.deepEqual(
    parent?.posture.map((f) => f.type),
    ["Policy:S3/BucketBlockPublicAccessDisabled"],
  );
  assert.equal(parent?.detected, false);
  const key = byId.get("T1078.A001");
  assert.deepEqual([key?.detectedByRules, key?.detectedByDetectors, key?.validated], [true, false, true]);

  assert.equal(r.scores.detectedByRules, 3 / 10);
  assert.equal(r.scores.detectedByDetectors, 5 / 10);
  assert.equal(r.scores.detected, 8 / 10);
  assert.equal(r.scores.validated, 3 / 10);
  assert.deepEqual(
    r.undetected.map((t) => t.id),
    ["T1059"],
  );
  assert.deepEqual(
    r.detectors.map((d) => [d.detector, d.typesOn, d.typesMapped, d.techniquesDetected]),
    [
      ["guardduty", 3, 4, 2],
      ["macie", 0, 1, 0],
      ["security-hub", 0, 2, 0],
    ],
  );
});

test("Security Hub controls count only with an enabled mapped standard; Macie is a data source", async () => {
  const mappings = smallMappings();
  const file = join(dir, "hub.yaml");
  const write = (extra: string) =>
    writeFileSync(file, `name: hub\ndataSources: [cloudtrail-management, security-hub, macie${extra}]\n`);
  write("");
  const none = await computeCoverage(catalog, loadProfile(file, catalog), { mappings });
  const noneBy = new Map(none.techniques.map((t) => [t.id, t]));
  assert.deepEqual(noneBy.get("T1562.A001")?.detectorFindings, [], "no standard enabled, no control findings");
  assert.deepEqual(
    noneBy.get("T1562.A951")?.detectorFindings.map((f) => f.type),
    ["Policy:IAMUser/S3BlockPublicAccessDisabled"],
  );

  writeFileSync(
    file,
    "name: hub\ndataSources: [cloudtrail-management, security-hub]\nsecurityHubStandards: [aws-foundational-security-best-practices]\n",
  );
  const p = loadProfile(file, catalog);
  assert.deepEqual(p.effectiveStandards, ["aws-foundational-security-best-practices"]);
  assert.match(p.warnings.join("\n"), /AWS Config is not/);
  const fsbp = await computeCoverage(catalog, p, { mappings });
  const by = new Map(fsbp.techniques.map((t) => [t.id, t]));
  assert.deepEqual(
    by.get("T1562.A001")?.detectorFindings.map((f) => [f.detector, f.type]),
    [["security-hub", "GuardDuty.1"]],
  );
  assert.equal(by.get("T1562.A001")?.detectedByDetectors, true);
  const root = by.get("T1078.A002");
  assert.deepEqual(
    root?.posture.map((f) => f.type),
    ["IAM.4"],
  );
  assert.equal(root?.detectedByDetectors, false, "a failed control enables the technique; it does not detect it");
  assert.deepEqual(by.get("T1562.A951")?.detectorFindings, [], "Macie is off in this profile");
});

test("profile errors and warnings for Security Hub standards", () => {
  const off = parseProfile(
    "name: x\ndataSources: [cloudtrail-management, config]\nsecurityHubStandards: [aws-foundational-security-best-practices]\n",
    "p.yaml",
    catalog,
  );
  assert.deepEqual(off.ineffective, [{ id: "aws-foundational-security-best-practices", requires: "security-hub" }]);
  assert.deepEqual(off.effectiveStandards, []);
  const cis = parseProfile(
    "name: x\ndataSources: [security-hub, config]\nsecurityHubStandards: [cis-aws-foundations-benchmark]\n",
    "p.yaml",
    catalog,
  );
  assert.match(cis.warnings.join("\n"), /only aws-foundational-security-best-practices has a reviewed control mapping/);
  const unknown = err(() =>
    parseProfile(
      "name: x\ndataSources: [security-hub]\nsecurityHubStandards:\n  - aws-foundational-security-best-practices\n  - fsbp\n",
      "p.yaml",
      catalog,
    ),
  );
  assert.equal(unknown.problems[0]?.line, 5);
  assert.equal(unknown.problems[0]?.field, "securityHubStandards.1");
  const twice = err(() =>
    parseProfile("name: x\ndataSources: [security-hub]\nsecurityHubStandards: [pci-dss, pci-dss]\n", "p.yaml", catalog),
  );
  assert.match(twice.problems[0]?.message ?? "", /listed twice/);
  assert.deepEqual(loadProfile("everything", catalog).effectiveStandards, ["aws-foundational-security-best-practices"]);
});

test("shipped mappings: 'everything' shows detector findings and posture per technique", async () => {
  const r = await computeCoverage(catalog, loadProfile("everything", catalog), {
    mappings: loadDetectorMappings(catalog),
  });
  const by = new Map(r.techniques.map((t) => [t.id, t]));
  const snap = by.get("T1537.A903");
  const types = (fs: Array<{ detector: string; type: string }> | undefined) =>
    (fs ?? []).map((f) => `${f.detector} ${f.type}`).sort();
  assert.ok(types(snap?.detectorFindings).includes("security-hub RDS.1"));
  assert.ok(types(snap?.detectorFindings).includes("access-analyzer ExternalAccess/AWS::RDS::DBSnapshot"));
  assert.ok(types(by.get("T1078.A002")?.posture).includes("security-hub IAM.4"));
  assert.ok(types(by.get("T1552.005")?.posture).includes("security-hub EC2.8"));
  assert.ok(types(by.get("T1562.A951")?.detectorFindings).includes("macie Policy:IAMUser/S3BlockPublicAccessDisabled"));
  for (const d of ["security-hub", "access-analyzer", "macie"])
    assert.ok((r.detectors.find((x) => x.detector === d)?.techniquesDetected ?? 0) > 0, d);
  // With every plan on, every mapped type is on.
  for (const d of r.detectors) assert.equal(d.typesOn, d.typesMapped, d.detector);
});
