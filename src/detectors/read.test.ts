import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { describe, it } from "node:test";
import { gzipSync } from "node:zlib";
import { readAsffFinding } from "./asff.js";
import { camelKeys, isoTime, principalArnOf, typeFromAsffClassifier } from "./fields.js";
import { readGuardDutyFinding } from "./guardduty.js";
import { readOcsfFinding } from "./ocsf.js";
import {
  readDetectorFile,
  readDetectorJson,
  readDetectorStream,
  sniffDetectorFile,
  sniffDetectorHead,
  sniffDetectorStream,
} from "./read.js";

const FIX = join(import.meta.dirname, "..", "..", "test", "fixtures");
const DET = join(FIX, "detectors");
const BAD = join(FIX, "detectors-bad");
const EXPORT = join(
  DET,
  "guardduty/AWSLogs/111122223333/GuardDuty/us-east-1/2026/03/14/5f0c1d2e-3a4b-4c5d-9e6f-7a8b9c0d1e2f.jsonl.gz",
);
const PARQUET = join(
  DET,
  "securitylake/aws/SH_FINDINGS/2.0/region=us-east-1/accountId=111122223333/eventDay=20260314/sample-00001.parquet",
);
const ROLE_ARN = "arn:aws:sts::111122223333:assumed-role/web-app-role/i-0a1b2c3d4e5f60718";
const KEY = "ASIAQEXAMPLEKEY12345";
const sourceLines = () =>
  readFileSync(join(FIX, "detectors-src/guardduty-export.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe("detector helpers", () => {
  it("normalises times to CloudTrail's style and builds principal ARNs", () => {
    assert.equal(isoTime("2026-03-14T09:58:12.000Z"), "2026-03-14T09:58:12Z");
    assert.equal(isoTime(Date.parse("2026-03-14T09:58:12.512Z")), "2026-03-14T09:58:12.512Z");
    assert.equal(isoTime(new Date("2026-03-14T09:58:12Z")), "2026-03-14T09:58:12Z");
    assert.equal(isoTime("not a time"), undefined);
    assert.equal(
      principalArnOf({ accountId: "111122223333", type: "AssumedRole", name: "r", principalId: "AROAX:sess" }),
      "arn:aws:sts::111122223333:assumed-role/r/sess",
    );
    assert.equal(
      principalArnOf({ accountId: "111122223333", type: "IAMUser", name: "u" }),
      "arn:aws:iam::111122223333:user/u",
    );
    assert.equal(principalArnOf({ accountId: "111122223333", type: "AssumedRole", name: "r" }), undefined);
    assert.equal(
      typeFromAsffClassifier("TTPs/Initial Access/UnauthorizedAccess:EC2-SSHBruteForce"),
      "UnauthorizedAccess:EC2/SSHBruteForce",
    );
    assert.equal(
      typeFromAsffClassifier("Software and Configuration Checks/Industry and Regulatory Standards"),
      undefined,
    );
    assert.deepEqual(camelKeys({ AccessKeyDetails: { AccessKeyId: "K" } }), { accessKeyDetails: { accessKeyId: "K" } });
  });
});

describe("GuardDuty reader", () => {
  it("reads the API output (PascalCase Findings) with principal, key, IPs and times", () => {
    const r = readDetectorJson(readFileSync(join(DET, "guardduty/get-findings.json"), "utf8"), "gf.json");
    assert.equal(r.problems.length, 0);
    assert.equal(r.findings.length, 1);
    const { finding: f, origin } = r.findings[0] as (typeof r.findings)[number];
    assert.deepEqual(origin, { file: "gf.json", index: 0 });
    assert.equal(f.detector, "guardduty");
    assert.equal(f.type, "UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS");
    assert.deepEqual(f.severity, { label: "high", score: 8 });
    assert.equal(f.principalArn, ROLE_ARN);
    assert.equal(f.accessKeyId, KEY);
    assert.deepEqual(f.ips, ["203.0.113.45"]);
    assert.equal(f.firstSeen, "2026-03-14T09:58:12Z");
    assert.equal(f.lastSeen, "2026-03-14T10:09:15Z");
    assert.equal(f.createdAt, "2026-03-14T10:14:27.512Z");
    assert.equal(f.accountId, "111122223333");
    assert.equal(f.region, "us-east-1");
    assert.equal(f.api, "ListBuckets");
    assert.deepEqual(f.resources, [{ type: "AccessKey", id: KEY }]);
  });

  it("reads an EventBridge event's camelCase detail, a single finding, an array and JSON Lines alike", () => {
    const eb = readDetectorJson(readFileSync(join(DET, "guardduty/eventbridge-finding.json"), "utf8"), "eb.json");
    assert.equal(eb.findings[0]?.finding.type, "Stealth:IAMUser/CloudTrailLoggingDisabled");
    assert.equal(eb.findings[0]?.finding.severity.label, "low");
    const [a, b] = sourceLines();
    assert.equal(readDetectorJson(JSON.stringify(a), "one.json").findings.length, 1);
    const arr = readDetectorJson(JSON.stringify([a, b]), "arr.json");
    assert.deepEqual(
      arr.findings.map((x) => x.origin.index),
      [0, 1],
    );
    const lines = readDetectorJson(`${JSON.stringify(a)}\n\n${JSON.stringify(b)}\n`, "l.jsonl");
    assert.deepEqual(
      lines.findings.map((x) => x.origin.line),
      [1, 3],
    );
    // an instance finding: its resource is the instance, its IPs those of the port probe
    const probe = lines.findings[1]?.finding;
    assert.deepEqual(probe?.resources, [
      { type: "Instance", id: "arn:aws:ec2:us-east-1:111122223333:instance/i-0f9e8d7c6b5a43210" },
    ]);
    assert.deepEqual(probe?.ips, ["198.51.100.77"]);
    assert.equal(probe?.principalArn, undefined);
  });

  it("reads the S3 export layout (gzip JSON Lines) and recognises it from content", async () => {
    assert.equal(await sniffDetectorFile(EXPORT), "json");
    const r = await readDetectorFile(EXPORT, "json");
    assert.deepEqual(
      r.findings.map((x) => [x.finding.type, x.origin.line]),
      [
        ["Discovery:S3/MaliciousIPCaller", 1],
        ["Recon:EC2/PortProbeUnprotectedPort", 2],
      ],
    );
  });

  it("reports an unknown schema version and a missing field with their place, and goes on", async () => {
    const r = await readDetectorFile(join(BAD, "guardduty-findings.jsonl"), "json");
    assert.equal(r.read, 3);
    assert.equal(r.findings.length, 0);
    assert.deepEqual(
      r.problems.map((p) => [p.reason, p.line, p.field]),
      [
        ["unknown-schema-version", 1, "schemaVersion"],
        ["not-json", 2, undefined],
        ["missing-field", 3, "type"],
      ],
    );
    const [a] = sourceLines();
    const v = readGuardDutyFinding({ ...a, severity: "high" });
    assert.equal(v.ok, false);
  });
});

describe("ASFF reader", () => {
  const text = readFileSync(join(DET, "securityhub/get-findings.json"), "utf8");
  it("tells the detector from the product and takes its own type or the control ID", () => {
    const r = readDetectorJson(text, "sh.json");
    assert.equal(r.problems.length, 0);
    const got = r.findings.map((x) => [x.finding.detector, x.finding.type, x.finding.severity.label]);
    assert.deepEqual(got, [
      ["guardduty", "Persistence:IAMUser/AnomalousBehavior", "medium"],
      ["security-hub", "CloudTrail.1", "high"],
      ["macie", "Policy:IAMUser/S3BlockPublicAccessDisabled", "high"],
    ]);
    const gd = r.findings[0]?.finding;
    assert.equal(gd?.format, "asff");
    assert.equal(gd?.principalArn, ROLE_ARN);
    assert.equal(gd?.accessKeyId, KEY);
    assert.deepEqual(gd?.ips, ["203.0.113.45"]);
    assert.equal(gd?.firstSeen, "2026-03-14T10:05:31Z");
  });

  it("reads Security Hub's EventBridge event (detail.findings)", () => {
    const r = readDetectorJson(readFileSync(join(DET, "securityhub/eventbridge-imported.json"), "utf8"), "eb.json");
    assert.deepEqual(
      r.findings.map((x) => [x.finding.detector, x.finding.type, x.origin.index]),
      [["access-analyzer", "ExternalAccess/AWS::S3::Bucket", 0]],
    );
  });

  it("reports missing required fields and another schema version", () => {
    const r = readDetectorJson(readFileSync(join(BAD, "asff-missing-fields.json"), "utf8"), "bad.json");
    assert.deepEqual(
      r.problems.map((p) => [p.reason, p.index, p.field]),
      [
        ["missing-field", 0, "Title"],
        ["unknown-schema-version", 1, "SchemaVersion"],
      ],
    );
    assert.match(r.problems[0]?.message ?? "", /Title, Resources/);
    const f = JSON.parse(text).Findings[1];
    const out = readAsffFinding({ ...f, Resources: [{ Type: "AwsAccount" }] });
    assert.deepEqual(out.ok ? undefined : [out.reason, out.field], ["missing-field", "Resources.0.Id"]);
  });
});

describe("OCSF reader", () => {
  it("reads Security Lake Parquet (Detection Finding, nested columns, timestamps)", async () => {
    assert.equal(await sniffDetectorFile(PARQUET), "parquet");
    const r = await readDetectorFile(PARQUET, "parquet");
    assert.equal(r.problems.length, 0);
    assert.deepEqual(
      r.findings.map((x) => [x.finding.detector, x.finding.type, x.finding.severity.label, x.origin.row]),
      [
        ["guardduty", "Discovery:IAMUser/AnomalousBehavior", "medium", 0],
        ["macie", "SensitiveData:S3Object/Credentials", "high", 1],
      ],
    );
    const gd = r.findings[0]?.finding;
    assert.equal(gd?.format, "ocsf");
    assert.equal(gd?.principalArn, ROLE_ARN);
    assert.equal(gd?.accessKeyId, KEY);
    assert.equal(gd?.firstSeen, "2026-03-14T10:03:58Z");
    assert.equal(gd?.createdAt, "2026-03-14T10:12:51Z");
    assert.equal(gd?.accountId, "111122223333");
    assert.equal(gd?.api, "ListRoles");
  });

  it("takes OCSF 1.0 Security Findings (2001) too, and refuses other classes and versions", () => {
    const row = {
      class_uid: 2001,
      severity_id: 4,
      metadata: { version: "1.0.0-rc.2", product: { name: "Security Hub" } },
      finding: { uid: "f-1", title: "t", types: ["Software and Configuration Checks"], created_time: 1773482400000 },
      cloud: { account_uid: "111122223333", region: "eu-west-1" },
      unmapped: { "Compliance.SecurityControlId": "IAM.6" },
    };
    const ok = readOcsfFinding(row);
    assert.ok(ok.ok);
    assert.equal(ok.finding.type, "IAM.6");
    assert.equal(ok.finding.accountId, "111122223333");
    assert.equal(ok.finding.createdAt, "2026-03-14T10:00:00Z");
    const other = readOcsfFinding({ ...row, class_uid: 3002 });
    assert.deepEqual(other.ok ? undefined : other.reason, "other-ocsf-class");
    const v2 = readOcsfFinding({ ...row, metadata: { version: "2.0.0" } });
    assert.deepEqual(v2.ok ? undefined : [v2.reason, v2.field], ["unknown-schema-version", "metadata.version"]);
  });

  it("reports a Parquet file that is not OCSF, and odd rows with their row number", async () => {
    const not = await readDetectorFile(join(BAD, "not-ocsf.parquet"), "parquet");
    assert.deepEqual(
      not.problems.map((p) => [p.reason, p.field]),
      [["not-ocsf", "class_uid"]],
    );
    assert.match(not.problems[0]?.message ?? "", /hostname, cpu/);
    const odd = await readDetectorFile(join(BAD, "ocsf-odd-rows.parquet"), "parquet");
    assert.deepEqual(
      odd.problems.map((p) => [p.reason, p.row]),
      [
        ["unknown-schema-version", 0],
        ["other-ocsf-class", 1],
      ],
    );
    const dir = mkdtempSync(join(tmpdir(), "tt-pq-"));
    const cut = join(dir, "cut.parquet");
    writeFileSync(cut, readFileSync(PARQUET).subarray(0, 200));
    const r = await readDetectorFile(cut, "parquet");
    assert.equal(r.problems[0]?.reason, "not-ocsf");
  });
});

describe("format detection", () => {
  it("leaves CloudTrail to the CloudTrail reader, whatever the file is called", async () => {
    const ct = readFileSync(join(DET, "cloudtrail/111122223333_CloudTrail_us-east-1_20260314T1010Z_Qx7sample.json"));
    assert.equal(sniffDetectorHead(ct), undefined);
    const dir = mkdtempSync(join(tmpdir(), "tt-sniff-"));
    const named = join(dir, "guardduty-findings.json.gz");
    writeFileSync(named, gzipSync(ct));
    assert.equal(await sniffDetectorFile(named), undefined);
    // a finding file with a CloudTrail-like name is still a finding file
    const gd = join(dir, "111122223333_CloudTrail_us-east-1_20260314T1010Z_x.json");
    writeFileSync(gd, readFileSync(join(DET, "guardduty/get-findings.json")));
    assert.equal(await sniffDetectorFile(gd), "json");
    assert.equal(sniffDetectorHead(Buffer.from("eventVersion,eventName\n")), undefined);
    // a CloudTrail event about GuardDuty is CloudTrail
    const gdCall = JSON.stringify({
      eventVersion: "1.09",
      eventSource: "guardduty.amazonaws.com",
      eventName: "CreateSampleFindings",
      requestParameters: { serviceName: "guardduty" },
    });
    assert.equal(sniffDetectorHead(Buffer.from(gdCall)), undefined);
    // API output whose first finding has a resource block longer than the first read
    const big = JSON.parse(readFileSync(join(DET, "guardduty/get-findings.json"), "utf8"));
    big.Findings[0].Resource.InstanceDetails = {
      Tags: Array.from({ length: 2000 }, (_, i) => ({ Key: `k${i}`, Value: "v" })),
    };
    const far = join(dir, "far.json");
    writeFileSync(
      far,
      JSON.stringify({
        Findings: [
          {
            AccountId: "111122223333",
            Arn: "a",
            Resource: big.Findings[0].Resource,
            SchemaVersion: "2.0",
            Service: { ServiceName: "guardduty" },
          },
        ],
      }),
    );
    assert.equal(await sniffDetectorFile(far), "json");
  });
});

/** A stream of `data` in `size`-byte chunks that counts the chunks taken from it. */
function chunked(data: Buffer, size: number): { stream: Readable; pulled: () => number } {
  let pulled = 0;
  const stream = Readable.from(
    (function* () {
      for (let i = 0; i < data.length; i += size) {
        pulled++;
        yield data.subarray(i, i + size);
      }
    })(),
    { objectMode: false },
  );
  return { stream, pulled: () => pulled };
}

async function drain(s: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of s) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

describe("standard input", () => {
  it("is told as the same file would be, and gives back every byte", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tt-sniff-stream-"));
    const far = join(dir, "far.json");
    // JSON whose detector mark comes after the first look (as in "format detection" above)
    writeFileSync(
      far,
      `{"Findings":[{"Resource":{"Tags":"${"x".repeat(40_000)}"},"Service":{"ServiceName":"guardduty"}}]}`,
    );
    const inputs = [
      EXPORT,
      PARQUET,
      far,
      join(FIX, "detectors-src/guardduty-export.jsonl"),
      join(DET, "securityhub/get-findings.json"),
      join(DET, "cloudtrail/111122223333_CloudTrail_us-east-1_20260314T1010Z_Qx7sample.json"),
    ];
    const expected = ["json", "parquet", "json", "json", "json", undefined];
    for (const path of inputs) {
      const bytes = readFileSync(path);
      const { stream } = chunked(bytes, 1000);
      const sniffed = await sniffDetectorStream(stream);
      assert.equal(sniffed.kind, await sniffDetectorFile(path), path);
      assert.equal(sniffed.kind, expected.shift(), path);
      assert.ok((await drain(sniffed.stream)).equals(bytes), `${path}: the bytes read to tell it are not lost`);
    }
  });

  it("holds only the head of a CloudTrail stream", async () => {
    const record = readFileSync(
      join(DET, "cloudtrail/111122223333_CloudTrail_us-east-1_20260314T1010Z_Qx7sample.json"),
    );
    const big = Buffer.concat(Array.from({ length: 200 }, () => record));
    const { stream, pulled } = chunked(big, 4096);
    const sniffed = await sniffDetectorStream(stream);
    assert.equal(sniffed.kind, undefined);
    assert.ok(pulled() <= 5, `read ${pulled()} chunks of 4 KiB to tell it (16 KiB needed)`);
    assert.equal((await drain(sniffed.stream)).length, big.length);
  });

  it("an input that fails is no detector input, and fails again for the CloudTrail reader", async () => {
    const failing = new Readable({
      read() {
        this.destroy(new Error("EIO: device gone"));
      },
    });
    const sniffed = await sniffDetectorStream(failing);
    assert.equal(sniffed.kind, undefined);
    await assert.rejects(drain(sniffed.stream), /EIO/);
  });

  it("is read with the size bound and located problems of files", async () => {
    const text = readFileSync(join(FIX, "detectors-src/guardduty-export.jsonl"), "utf8");
    const ok = await readDetectorStream(chunked(gzipSync(text), 100).stream, "-", "json");
    assert.equal(ok.findings.length, 2);
    assert.deepEqual(
      ok.findings.map((f) => f.origin),
      [
        { file: "-", line: 1 },
        { file: "-", line: 2 },
      ],
    );
    const bad = await readDetectorStream(Readable.from([Buffer.from(`${text.trim()}\n{"cut`)]), "-", "json");
    assert.deepEqual(
      bad.problems.map((p) => [p.file, p.line, p.reason]),
      [["-", 3, "not-json"]],
    );
    // past the bound: refused, with the line reached (plain and gzip alike)
    for (const data of [Buffer.from(text), gzipSync(text)]) {
      const big = await readDetectorStream(Readable.from([data]), "-", "json", text.indexOf("\n") + 10);
      assert.equal(big.findings.length, 0);
      assert.equal(big.problems[0]?.reason, "too-large");
      assert.equal(big.problems[0]?.file, "-");
      assert.equal(big.problems[0]?.line, 2);
      assert.match(big.problems[0]?.message ?? "", /^more than \d+ bytes/);
    }
    const cut = gzipSync(text).subarray(0, 200);
    const broken = await readDetectorStream(Readable.from([cut]), "-", "json");
    assert.equal(broken.problems[0]?.reason, "unreadable");
  });
});
