import assert from "node:assert/strict";
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { loadBuiltinCatalog } from "../catalog/load.js";
import { isTechtrailError } from "../core/errors.js";
import { loadDetectorMappings } from "../detectors/mapping.js";
import { scanPaths } from "./scan.js";

const FIX = join(import.meta.dirname, "..", "..", "test", "fixtures");
const catalog = loadBuiltinCatalog();
const detectorMappings = loadDetectorMappings(catalog, join(FIX, "detector-mappings"));
const ROLE_ARN = "arn:aws:sts::111122223333:assumed-role/web-app-role/i-0a1b2c3d4e5f60718";
const scan = (paths: string[], strict = false) =>
  scanPaths(paths, { workers: 0, strict }, { catalog, detectorMappings });

describe("detector findings in a scan", () => {
  it("a mixed folder (CloudTrail, GuardDuty JSON, ASFF, OCSF Parquet) gives one summary with all sources", async () => {
    const { findings, summary, evidence } = await scan([join(FIX, "detectors")]);
    const d = summary.detectors;
    assert.ok(d);
    assert.equal(d.files, 6);
    assert.equal(d.findings, 10);
    assert.deepEqual(d.byFormat, { asff: 4, guardduty: 4, ocsf: 2 });
    assert.deepEqual(d.bySource, { "access-analyzer": 1, guardduty: 6, macie: 2, "security-hub": 1 });
    assert.equal(d.problems.total, 0);
    // CloudTrail was read and matched beside them
    assert.equal(summary.files.scanned, 1);
    assert.equal(summary.events.read, 5);
    const ct = findings.filter((f) => !f.detector);
    assert.ok(ct.some((f) => f.eventName === "StopLogging"));
    assert.equal(summary.findings.total, findings.length);
    assert.equal(summary.findings.byRule["guardduty:Stealth:IAMUser/CloudTrailLoggingDisabled"], 1);
    // a detector finding keeps its source and takes the mapped techniques (detects only)
    const exfil = findings.find((f) => f.detector?.type.startsWith("UnauthorizedAccess:"));
    assert.ok(exfil?.detector);
    assert.deepEqual(exfil.techniques, ["T1552.005", "T1078.004"]);
    assert.equal(exfil.rule.level, "high");
    assert.equal(exfil.eventID, "7ac6f1e2d3b4a5968778695a4b3c2d1e");
    assert.equal(exfil.detector.mapping.status, "mapped");
    assert.equal(exfil.detector.format, "guardduty");
    assert.equal(exfil.sourceIPAddress, "203.0.113.45");
    const control = findings.find((f) => f.detector?.type === "CloudTrail.1");
    assert.deepEqual(control?.techniques, [], "an enables mapping is kept on the finding, not counted as detected");
    assert.equal(control?.detector?.mapping.techniques?.[0]?.relation, "enables");
    // unmapped types: counted with the reviewed reason where listed, and where they were first met
    assert.equal(d.unmapped.total, 3);
    const probe = d.unmapped.types.find((u) => u.type === "Recon:EC2/PortProbeUnprotectedPort");
    assert.match(probe?.reason ?? "", /no technique/);
    assert.equal(probe?.first.line, 2);
    const macie = d.unmapped.types.find((u) => u.type === "SensitiveData:S3Object/Credentials");
    assert.equal(macie?.reason, undefined);
    assert.equal(macie?.first.row, 1);
    assert.ok(
      findings.some((f) => f.detector?.type === "SensitiveData:S3Object/Credentials"),
      "never dropped",
    );
    // GuardDuty's technique shows in the summary beside the rules'
    assert.ok(summary.techniques.find((t) => t.id === "T1552.005")?.rules.includes(exfil.rule.id));
    // the evidence sample keeps every detector finding, mapped or not
    assert.equal(evidence.filter((f) => f.detector).length, 10);
  });

  it("interleaves detector findings with the CloudTrail findings of the same principal or key", async () => {
    const { summary } = await scan([join(FIX, "detectors")]);
    const role = summary.principals.find((p) => p.principal === ROLE_ARN);
    assert.ok(role);
    const line = role.timeline.map((e) => `${e.detector ?? "cloudtrail"} ${e.eventName}`);
    assert.deepEqual(line, [
      "cloudtrail GetCallerIdentity",
      "guardduty UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS",
      "guardduty Discovery:S3/MaliciousIPCaller",
      "guardduty Discovery:IAMUser/AnomalousBehavior",
      "cloudtrail CreateUser",
      "cloudtrail CreateAccessKey",
      "guardduty Persistence:IAMUser/AnomalousBehavior",
      "cloudtrail StopLogging",
      "guardduty Stealth:IAMUser/CloudTrailLoggingDisabled",
    ]);
    // a finding without principal or key has its resource's timeline
    assert.ok(summary.principals.some((p) => p.principal === "arn:aws:s3:::example-web-assets"));
  });

  it("places a finding that names only a key on the timeline of the principal CloudTrail showed with it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tt-det-"));
    cpSync(join(FIX, "detectors/cloudtrail"), join(dir, "ct"), { recursive: true });
    // the ASFF GuardDuty finding without its principal details: only the key in the resource ID remains
    const sh = JSON.parse(readFileSync(join(FIX, "detectors/securityhub/get-findings.json"), "utf8"));
    const f = sh.Findings[0];
    f.Resources[0].Details = {};
    writeFileSync(join(dir, "sh.json"), JSON.stringify({ Findings: [f] }));
    const { summary, findings } = await scan([dir]);
    const det = findings.find((x) => x.detector);
    assert.equal(det?.principalArn, undefined);
    assert.equal(det?.accessKeyId, "ASIAQEXAMPLEKEY12345");
    const role = summary.principals.find((p) => p.principal === ROLE_ARN);
    assert.ok(role?.timeline.some((e) => e.detector === "guardduty"));
  });

  it("counts bad detector input with its place and goes on; --strict stops at it", async () => {
    const { summary } = await scan([join(FIX, "detectors-bad"), join(FIX, "detectors/cloudtrail")]);
    const d = summary.detectors;
    assert.ok(d);
    assert.deepEqual(d.problems.byReason, {
      "missing-field": 2,
      "not-json": 1,
      "not-ocsf": 1,
      "other-ocsf-class": 1,
      "unknown-schema-version": 3,
    });
    assert.ok(d.problems.examples.some((p) => p.file.endsWith("not-ocsf.parquet") && p.field === "class_uid"));
    assert.ok(summary.findings.total > 0, "the CloudTrail beside them was still scanned");
    await assert.rejects(scan([join(FIX, "detectors-bad")], true), (e) => {
      assert.ok(isTechtrailError(e));
      assert.match(e.message, /strict/);
      assert.ok(e.problems[0]?.source?.includes("detectors-bad"));
      return true;
    });
  });

  it("maps the samples with the built-in mappings (mappings/*.yaml) where they list the types", async () => {
    const builtin = loadDetectorMappings(catalog);
    const { findings, summary } = await scanPaths([join(FIX, "detectors")], { workers: 0 }, { catalog });
    const det = findings.filter((f) => f.detector);
    assert.equal(det.length, 10);
    for (const f of det) {
      const d = f.detector as NonNullable<typeof f.detector>;
      const entry = builtin.lookup(d.detector, d.type);
      assert.equal(d.mapping.status, entry ? "mapped" : "unmapped", `${d.detector} ${d.type}`);
      const detects = (entry?.techniques ?? []).filter((t) => t.relation === "detects").map((t) => t.id);
      assert.deepEqual(f.techniques, detects, `${d.detector} ${d.type}`);
    }
    // the types of the walk-through are in the reviewed GuardDuty and Access Analyzer mappings
    for (const [detector, type] of [
      ["guardduty", "UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS"],
      ["guardduty", "Stealth:IAMUser/CloudTrailLoggingDisabled"],
      ["access-analyzer", "ExternalAccess/AWS::S3::Bucket"],
    ] as const)
      if (builtin.entries(detector).length > 0) assert.ok(builtin.lookup(detector, type), `${detector} ${type}`);
    assert.equal(
      summary.detectors?.unmapped.total,
      det.filter((f) => f.detector?.mapping.status === "unmapped").length,
    );
  });

  it("a CloudTrail-only scan has no detector section", async () => {
    const { summary } = await scan([join(FIX, "detectors/cloudtrail")]);
    assert.equal(summary.detectors, undefined);
  });
});
