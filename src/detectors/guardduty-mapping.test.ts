// The shipped GuardDuty mapping (mappings/guardduty.yaml): it loads against the shipped catalog, well-known
// finding types keep their reviewed techniques, every family of finding types is there, and no type is both
// mapped and unmapped.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { loadBuiltinCatalog } from "../catalog/load.js";
import { type DetectorMapping, loadDetectorMappings } from "./mapping.js";

const catalog = loadBuiltinCatalog();
const mappings = loadDetectorMappings(catalog);
const gd = mappings.detectors.filter((d) => d.detector === "guardduty");
const file: DetectorMapping | undefined = gd[0];
const mapped = gd.flatMap((d) => d.mappings);
const unmapped = gd.flatMap((d) => d.unmapped);
const all = [...mapped.map((m) => ({ type: m.type, dataSource: m.dataSource })), ...unmapped];

/** `id:relation:confidence` of each technique a type maps to, sorted. */
function techniques(type: string): string[] {
  const m = mappings.lookup("guardduty", type);
  assert.ok(m, `${type} is mapped`);
  return m.techniques.map((t) => `${t.id}:${t.relation}:${t.confidence}`).sort();
}

describe("GuardDuty mapping (mappings/guardduty.yaml)", () => {
  it("is one file that loads against the built-in catalog with its sources and review date", () => {
    assert.equal(gd.length, 1);
    assert.ok(file);
    assert.ok(file.sources.some((s) => s.includes("guardduty_finding-types-active")));
    assert.ok(file.sources.some((s) => s.includes("guardduty_finding-types-retired")));
    assert.match(file.reviewed, /^\d{4}-\d{2}-\d{2}$/);
  });

  it("maps well-known finding types to their reviewed techniques", () => {
    const expected: Record<string, string[]> = {
      "UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS": [
        "T1552.005:detects:high",
        "T1552.A901:detects:high",
      ],
      "Policy:IAMUser/RootCredentialUsage": ["T1078.A002:detects:high"],
      "Stealth:IAMUser/CloudTrailLoggingDisabled": ["T1562.008:detects:high"],
      "Stealth:IAMUser/PasswordPolicyChange": ["T1201:detects:low", "T1556:detects:high"],
      "DefenseEvasion:IAMUser/BedrockLoggingDisabled": ["T1562.A950:detects:high"],
      "CryptoCurrency:EC2/BitcoinTool.B!DNS": ["T1496.001:detects:high", "T1496.A008:detects:high"],
      "UnauthorizedAccess:EC2/MetadataDNSRebind": ["T1552.005:detects:high"],
      "Recon:EC2/PortProbeUnprotectedPort": ["T1190.A019:enables:high", "T1190:enables:medium"],
      "Policy:S3/BucketBlockPublicAccessDisabled": ["T1530.A001:enables:medium", "T1562.A951:detects:high"],
      "Exfiltration:S3/AnomalousBehavior": ["T1530.A001:detects:high"],
      "Impact:S3/AnomalousBehavior.Delete": ["T1485.A003:detects:high"],
      "Discovery:S3/MaliciousIPCaller.Custom": ["T1078.004:detects:medium", "T1619.A001:detects:medium"],
      "Stealth:S3/ServerAccessLoggingDisabled": ["T1562.A950:detects:high"],
      "CryptoCurrency:Lambda/BitcoinTool.B": ["T1496.001:detects:medium", "T1496.A901:detects:high"],
      "CredentialAccess:RDS/AnomalousBehavior.SuccessfulBruteForce": ["T1078:detects:medium", "T1110:detects:high"],
      "AttackSequence:IAM/CompromisedCredentials": ["T1078.004:detects:high", "T1078.A001:detects:medium"],
      "PrivilegeEscalation:Kubernetes/AnomalousBehavior.RoleBindingCreated": ["T1098.006:detects:high"],
      "Impact:Runtime/CryptoMinerExecuted": [
        "T1496.001:detects:high",
        "T1496.A006:detects:medium",
        "T1496.A008:detects:medium",
      ],
      "Exfiltration:EC2/TransferDataToCloudAccount": ["T1537.A901:detects:high", "T1537.A902:detects:high"],
      "Impact:IAMUser/CostHarvesting": ["T1496.A007:detects:high"],
    };
    for (const [type, want] of Object.entries(expected)) assert.deepEqual(techniques(type), want.sort(), type);
  });

  it("uses the documented spelling of types (look-up is exact)", () => {
    for (const type of [
      "Trojan:EC2/DNSDataExfiltration",
      "Backdoor:EC2/C&CActivity.B!DNS",
      "Trojan:EC2/DGADomainRequest.C!DNS",
      "UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.InsideAWS",
    ])
      assert.ok(mappings.lookup("guardduty", type), type);
    assert.equal(mappings.lookup("guardduty", "trojan:ec2/dnsdataexfiltration"), undefined);
    assert.match(mappings.unmapped("guardduty", "Recon:EC2/Portscan")?.reason ?? "", /T1046/);
    // Runtime Monitoring type spellings differ from the EC2 ones; both families must resolve.
    assert.ok(mappings.unmapped("guardduty", "Execution:Runtime/NewBinaryExecuted"));
    assert.ok(
      mappings.lookup(
        "guardduty",
        "Persistence:Kubernetes/AnomalousBehavior.WorkloadDeployed!ContainerWithSensitiveMount",
      ) ??
        mappings.unmapped(
          "guardduty",
          "Persistence:Kubernetes/AnomalousBehavior.WorkloadDeployed!ContainerWithSensitiveMount",
        ),
    );
  });

  it("lists every family of finding types", () => {
    const count = (pred: (t: { type: string; dataSource?: string }) => boolean) => all.filter(pred).length;
    const family = (resource: string, dataSource: string) => (t: { type: string; dataSource?: string }) =>
      t.type.includes(`:${resource}/`) && t.dataSource === dataSource && !t.type.startsWith("AttackSequence:");
    const minimums: Array<[string, number, number]> = [
      ["EC2 (foundational)", count(family("EC2", "guardduty")), 40],
      ["IAM (foundational)", count(family("IAMUser", "guardduty")), 27],
      ["S3 Protection", count((t) => t.type.includes(":S3/") && t.dataSource === "guardduty-s3-protection"), 15],
      ["S3 policy (foundational)", count(family("S3", "guardduty")), 5],
      ["Lambda Protection", count(family("Lambda", "guardduty-lambda-protection")), 7],
      ["RDS Protection", count(family("RDS", "guardduty-rds-protection")), 9],
      ["attack sequences", count((t) => t.type.startsWith("AttackSequence:")), 5],
      ["EKS Protection", count(family("Kubernetes", "guardduty-eks-protection")), 35],
      ["Runtime Monitoring", count(family("Runtime", "guardduty-runtime-monitoring")), 45],
      ["Malware Protection for EC2", count((t) => t.dataSource === "guardduty-malware-protection"), 8],
      ["Malware Protection for S3", count((t) => t.dataSource === "guardduty-malware-protection-s3"), 1],
      ["Malware Protection for Backup", count((t) => t.dataSource === "guardduty-malware-protection-backup"), 4],
      ["AI Protection", count((t) => t.dataSource === "guardduty-ai-protection"), 3],
      ["Custom Detection Rules", count((t) => t.dataSource === "guardduty-custom-detection-rules"), 25],
      ["all types", all.length, 240],
    ];
    for (const [name, n, min] of minimums) assert.ok(n >= min, `${name}: ${n} types, expected at least ${min}`);
    for (const r of ["IAM", "S3", "EKS", "ECS", "EC2"])
      assert.ok(
        all.some((t) => t.type.startsWith(`AttackSequence:${r}/`)),
        `attack sequence ${r}`,
      );
  });

  it("never lists a type both mapped and unmapped, and gives every unmapped type a reason", () => {
    const mappedTypes = new Set(mapped.map((m) => m.type));
    assert.deepEqual(
      unmapped.filter((u) => mappedTypes.has(u.type)).map((u) => u.type),
      [],
    );
    assert.equal(new Set(all.map((t) => t.type)).size, all.length);
    for (const u of unmapped) assert.ok(u.reason.length > 20, `${u.type} has a real reason`);
    for (const m of mapped) assert.ok(m.note.length > 0, `${m.type} has a note`);
    // Retired types stay listed so old findings still resolve.
    for (const type of [
      "UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration",
      "Exfiltration:S3/ObjectRead.Unusual",
    ])
      assert.match(mappings.lookup("guardduty", type)?.note ?? "", /^Retired/, type);
  });
});
