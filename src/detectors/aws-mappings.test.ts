// The shipped Security Hub (FSBP), IAM Access Analyzer and Macie mappings: they load against the shipped
// catalog, key controls and finding types keep their reviewed techniques and relations, every Macie type and
// every analysed Access Analyzer resource type is listed, the important FSBP families are reviewed, and no type
// is both mapped and unmapped.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { loadBuiltinCatalog } from "../catalog/load.js";
import { type DetectorId, loadDetectorMappings } from "./mapping.js";

const catalog = loadBuiltinCatalog();
const mappings = loadDetectorMappings(catalog);

function techniques(detector: DetectorId, type: string): string[] {
  const m = mappings.lookup(detector, type);
  assert.ok(m, `${detector} ${type} is mapped`);
  return m.techniques.map((t) => `${t.id}:${t.relation}:${t.confidence}`).sort();
}
function listed(detector: DetectorId): string[] {
  const files = mappings.detectors.filter((d) => d.detector === detector);
  return files.flatMap((d) => [...d.mappings.map((m) => m.type), ...d.unmapped.map((u) => u.type)]);
}

describe("Security Hub, Access Analyzer and Macie mappings", () => {
  it("each is one file with sources and a review date, and lists no type twice or both ways", () => {
    for (const detector of ["security-hub", "access-analyzer", "macie"] as const) {
      const files = mappings.detectors.filter((d) => d.detector === detector);
      assert.equal(files.length, 1, detector);
      assert.ok(files[0]?.sources.length);
      const all = listed(detector);
      assert.equal(new Set(all).size, all.length, `${detector}: a type is listed twice`);
      for (const m of files[0]?.mappings ?? []) assert.ok(m.note.length > 20, `${m.type} has a note`);
    }
  });

  it("maps FSBP controls to the techniques they prevent or detect", () => {
    const expected: Record<string, string[]> = {
      "IAM.4": ["T1078.A002:enables:high"],
      "IAM.6": ["T1078.A002:enables:medium"],
      "IAM.5": ["T1078.A001:enables:medium", "T1110:enables:medium"],
      "EC2.8": ["T1552.005:enables:high"],
      "EC2.170": ["T1552.005:enables:high"],
      "EC2.19": ["T1190.A019:enables:high"],
      "CloudTrail.1": ["T1562.008:detects:medium"],
      "GuardDuty.1": ["T1562.A001:detects:medium"],
      "EC2.6": ["T1562.A902:detects:medium"],
      "S3.8": ["T1530:enables:medium", "T1562.A951:detects:medium"],
      "EC2.1": ["T1537.A901:detects:medium"],
      "RDS.1": ["T1537.A903:detects:medium"],
      "KMS.3": ["T1485.A901:detects:medium"],
      "CloudFront.12": ["T1491.A001:enables:high"],
      "CodeBuild.2": ["T1552.001:enables:high"],
      "SNS.4": ["T1537.A951:detects:medium"],
      "SQS.3": ["T1537.A951:detects:medium"],
    };
    for (const [type, want] of Object.entries(expected))
      assert.deepEqual(techniques("security-hub", type), want.sort(), type);
    const sh = mappings.detectors.find((d) => d.detector === "security-hub");
    for (const m of sh?.mappings ?? []) {
      assert.equal(m.dataSource, "security-hub", m.type);
      assert.match(m.type, /^[A-Za-z0-9]+\.\d+$/, `${m.type} is a control ID`);
    }
    // A control that only says something was never hardened prevents; it never detects.
    assert.ok(mappings.lookup("security-hub", "IAM.4")?.techniques.every((t) => t.relation === "enables"));
  });

  it("reviews the important FSBP families", () => {
    const ids = listed("security-hub");
    const families = [
      "IAM",
      "CloudTrail",
      "Config",
      "GuardDuty",
      "S3",
      "EC2",
      "RDS",
      "KMS",
      "Lambda",
      "SecretsManager",
      "SSM",
      "EKS",
      "ECR",
      "SNS",
      "SQS",
      "CloudFront",
      "ELB",
      "Cognito",
      "Macie",
    ];
    for (const f of families)
      assert.ok(
        ids.some((id) => id.startsWith(`${f}.`)),
        `family ${f}`,
      );
    assert.ok(ids.length >= 150, `${ids.length} controls reviewed`);
    assert.match(mappings.unmapped("security-hub", "S3.5")?.reason ?? "", /interception/);
  });

  it("lists every Macie finding type, mapped or with a reason", () => {
    const types = [
      "Policy:IAMUser/S3BlockPublicAccessDisabled",
      "Policy:IAMUser/S3BucketEncryptionDisabled",
      "Policy:IAMUser/S3BucketPublic",
      "Policy:IAMUser/S3BucketReplicatedExternally",
      "Policy:IAMUser/S3BucketSharedExternally",
      "Policy:IAMUser/S3BucketSharedWithCloudFront",
      "SensitiveData:S3Object/Credentials",
      "SensitiveData:S3Object/CustomIdentifier",
      "SensitiveData:S3Object/Financial",
      "SensitiveData:S3Object/Multiple",
      "SensitiveData:S3Object/Personal",
    ];
    assert.deepEqual(listed("macie").sort(), types.sort());
    assert.deepEqual(techniques("macie", "SensitiveData:S3Object/Credentials"), ["T1552.001:enables:high"]);
    assert.deepEqual(techniques("macie", "Policy:IAMUser/S3BucketReplicatedExternally"), ["T1537.A904:detects:high"]);
    assert.equal(mappings.lookup("macie", "Policy:IAMUser/S3BucketPublic")?.dataSource, "macie");
  });

  it("lists every external access resource type and unused access type of Access Analyzer", () => {
    const resources = [
      "AWS::S3::Bucket",
      "AWS::S3Express::DirectoryBucket",
      "AWS::IAM::Role",
      "AWS::KMS::Key",
      "AWS::Lambda::Function",
      "AWS::Lambda::LayerVersion",
      "AWS::SQS::Queue",
      "AWS::SecretsManager::Secret",
      "AWS::SNS::Topic",
      "AWS::EFS::FileSystem",
      "AWS::EC2::Snapshot",
      "AWS::ECR::Repository",
      "AWS::RDS::DBSnapshot",
      "AWS::RDS::DBClusterSnapshot",
      "AWS::DynamoDB::Table",
      "AWS::DynamoDB::Stream",
    ];
    const all = listed("access-analyzer");
    for (const r of resources) assert.ok(all.includes(`ExternalAccess/${r}`), r);
    for (const u of ["UnusedIAMRole", "UnusedIAMUserAccessKey", "UnusedIAMUserPassword", "UnusedPermission"])
      assert.ok(all.includes(u), u);
    assert.deepEqual(techniques("access-analyzer", "ExternalAccess/AWS::RDS::DBSnapshot"), ["T1537.A903:detects:high"]);
    assert.equal(
      mappings.lookup("access-analyzer", "UnusedIAMUserAccessKey")?.dataSource,
      "iam-access-analyzer-unused",
    );
    // Unused access is a weakness, never detection.
    for (const u of ["UnusedIAMRole", "UnusedIAMUserAccessKey", "UnusedIAMUserPassword"])
      assert.ok(
        mappings.lookup("access-analyzer", u)?.techniques.every((t) => t.relation === "enables"),
        u,
      );
  });
});
