// The 8 SigmaHQ AWS rules that use aggregations (`count()`, `near`, `timeframe`) load as correlations and fire on
// events built for each, and stay silent on near misses (../shared/data/sigma-aws-cloudtrail/unsupported,
// Detection Rule License 1.1).
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { compileSigmaRules } from "../src/rules/index.js";
import { evaluateSequence } from "../src/rules/sequence.js";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const dir = resolve(repoRoot, "../shared/data/sigma-aws-cloudtrail/unsupported");
const skip = existsSync(dir)
  ? false
  : `../shared/data/sigma-aws-cloudtrail/unsupported is absent; shared correlation tests skipped`;

const T0 = Date.parse("2026-11-20T10:00:00Z");
let seq = 0;
function ev(
  eventSource: string,
  eventName: string,
  minutes: number,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    eventVersion: "1.09",
    userIdentity: { type: "IAMUser", arn: "arn:aws:iam::111122223333:user/mallory", accountId: "111122223333" },
    eventTime: new Date(T0 + minutes * 60_000).toISOString().replace(/\.\d{3}Z$/, "Z"),
    eventSource,
    eventName,
    awsRegion: "us-east-1",
    sourceIPAddress: "203.0.113.9",
    eventID: `00000000-0000-4000-8000-${String(++seq).padStart(12, "0")}`,
    ...extra,
  };
}
const times = (n: number, f: (i: number) => Record<string, unknown>) => Array.from({ length: n }, (_, i) => f(i));

interface Case {
  file: string;
  fires: Array<Record<string, unknown>>;
  silent: Array<Record<string, unknown>>;
}
const EC2 = "ec2.amazonaws.com";
const cases: Case[] = [
  {
    file: "aws_ec2_download_userdata.yml",
    fires: times(11, (i) => ev(EC2, "DescribeInstanceAttribute", i, { requestParameters: { attribute: "userData" } })),
    silent: times(10, (i) => ev(EC2, "DescribeInstanceAttribute", i, { requestParameters: { attribute: "userData" } })),
  },
  {
    file: "aws_enum_backup.yml",
    fires: times(6, (i) => ev(EC2, ["DescribeVolumes", "DescribeImages", "GetPasswordData"][i % 3] as string, i)),
    // six calls, but spread over 25 minutes: never more than five in ten minutes
    silent: times(6, (i) => ev(EC2, "DescribeVolumes", i * 5)),
  },
  {
    file: "aws_enum_listing.yml",
    fires: times(51, (i) => ev("iam.amazonaws.com", i % 2 ? "ListUsers" : "ListRoles", i / 10)),
    silent: times(50, (i) => ev("iam.amazonaws.com", "ListUsers", i / 10)),
  },
  {
    file: "aws_enum_network.yml",
    fires: times(6, (i) => ev(EC2, i % 2 ? "DescribeDhcpOptions" : "DescribeCarrierGateways", i)),
    silent: [...times(5, (i) => ev(EC2, "DescribeDhcpOptions", i)), ev(EC2, "DescribeInstances", 6)],
  },
  {
    file: "aws_enum_storage.yml",
    fires: times(6, (i) => ev("s3.amazonaws.com", i % 2 ? "GetBucketPolicy" : "ListBuckets", i)),
    silent: times(6, (i) => ev("s3.amazonaws.com", "GetObject", i)),
  },
  {
    file: "aws_lambda_function_created_or_invoked.yml",
    fires: [ev("lambda.amazonaws.com", "CreateFunction", 0), ev("lambda.amazonaws.com", "Invoke", 3)],
    silent: [ev("lambda.amazonaws.com", "CreateFunction", 0), ev("lambda.amazonaws.com", "Invoke", 90)],
  },
  {
    file: "aws_macic_evasion.yml",
    fires: times(6, (i) => ev("macie2.amazonaws.com", "ArchiveFindings", i)),
    // six calls from two addresses: three per address
    silent: times(6, (i) =>
      ev("macie2.amazonaws.com", "ArchiveFindings", i, { sourceIPAddress: i % 2 ? "203.0.113.9" : "198.51.100.4" }),
    ),
  },
  {
    file: "aws_ses_messaging_enabled.yml",
    fires: [
      ev("ses.amazonaws.com", "VerifyEmailIdentity", 0),
      ev("ses.amazonaws.com", "UpdateAccountSendingEnabled", 2),
    ],
    silent: [
      ev("ses.amazonaws.com", "VerifyEmailIdentity", 0),
      ev("ses.amazonaws.com", "UpdateAccountSendingEnabled", 12),
    ],
  },
];

describe("SigmaHQ rules with aggregations (shared data)", { skip }, () => {
  const files = skip
    ? []
    : readdirSync(dir)
        .filter((f) => f.endsWith(".yml"))
        .sort()
        .map((f) => ({ source: f, text: readFileSync(join(dir, f), "utf8") }));

  it("all 8 load as correlations, without errors", () => {
    assert.equal(files.length, 8);
    const { correlations, errors } = compileSigmaRules(files);
    assert.deepEqual(
      errors.map((e) => e.describe()),
      [],
    );
    assert.equal(correlations.length, 8);
    assert.deepEqual(cases.map((c) => c.file).sort(), files.map((f) => f.source).sort());
  });

  for (const c of cases) {
    it(`${c.file} fires on events built for it and stays silent on a near miss`, () => {
      const file = files.find((f) => f.source === c.file);
      assert.ok(file, c.file);
      const { rules, correlations, errors } = compileSigmaRules([file]);
      assert.equal(errors.length, 0);
      const fired = evaluateSequence(rules, correlations, c.fires);
      assert.equal(fired.length, 1, `${c.file}: expected one finding, got ${fired.length}`);
      assert.equal(fired[0]?.correlation.id, correlations[0]?.id);
      assert.deepEqual(evaluateSequence(rules, correlations, c.silent), []);
    });
  }
});
