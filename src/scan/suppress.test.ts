import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { TechtrailError } from "../core/errors.js";
import { packagePath } from "../core/paths.js";
import type { Finding } from "./model.js";
import { parseSuppressions } from "./suppress.js";

const finding = (over: Partial<Finding> = {}): Finding => ({
  rule: { id: "rule-a", title: "A", level: "medium" },
  techniques: [],
  tactics: [],
  attempt: false,
  eventName: "CreateRole",
  principalArn: "arn:aws:sts::111122223333:assumed-role/ci-deploy-prod/build-42",
  userAgent: "APN/1.0 HashiCorp/1.0 Terraform/1.9.5 (+https://www.terraform.io) terraform-provider-aws/5.70.0",
  accountId: "111122223333",
  sourceIPAddress: "10.1.2.3",
  origin: { file: "x.json", index: 0 },
  ...over,
});

const file = `suppressions:
  - reason: Terraform in CI
    principals: ["arn:aws:sts::*:assumed-role/ci-deploy*/*"]
    userAgents: "*Terraform*"
  - reason: Lab account, one rule
    accounts: ["444455556666"]
    rules: [Rule-B]
  - reason: Office network, read-only enumeration
    sourceIPs: [192.0.2.0/24, "2001:db8::/32", cloudformation.amazonaws.com]
    eventNames: ["List*", Describe*]
  - reason: Old exception
    expires: 2026-01-31
    eventNames: CreateRole
`;
const now = new Date("2026-02-01T10:00:00Z");
const s = parseSuppressions(file, "s.yaml", now);

describe("suppression", () => {
  it("all given fields must match (AND); values of one field are alternatives (OR)", () => {
    assert.deepEqual(s.match(finding()), { index: 0, reason: "Terraform in CI" });
    assert.equal(s.match(finding({ userAgent: "aws-cli/2.15" })), undefined);
    assert.equal(s.match(finding({ principalArn: "arn:aws:iam::111122223333:user/alice" })), undefined);
    const lab = finding({
      userAgent: "aws-cli",
      accountId: "444455556666",
      rule: { id: "rule-b", title: "B", level: "high" },
    });
    assert.equal(s.match(lab)?.index, 1);
    assert.equal(s.match({ ...lab, rule: { id: "rule-c", title: "C", level: "high" } }), undefined);
  });

  it("source addresses match by CIDR (IPv4 and IPv6) or by service name; event names by glob", () => {
    const enumeration = finding({ userAgent: "x", eventName: "ListUsers", sourceIPAddress: "192.0.2.77" });
    assert.equal(s.match(enumeration)?.index, 2);
    assert.equal(s.match({ ...enumeration, sourceIPAddress: "2001:db8::5" })?.index, 2);
    assert.equal(s.match({ ...enumeration, sourceIPAddress: "cloudformation.amazonaws.com" })?.index, 2);
    assert.equal(s.match({ ...enumeration, sourceIPAddress: "198.51.100.1" }), undefined);
    assert.equal(s.match({ ...enumeration, eventName: "DeleteUser" }), undefined);
    assert.equal(s.match({ ...enumeration, sourceIPAddress: undefined }), undefined);
  });

  it("an expired entry suppresses nothing and is reported with its line", () => {
    assert.equal(s.match(finding({ userAgent: "aws-cli", principalArn: "arn:aws:iam::1:user/x" })), undefined);
    assert.deepEqual(
      s.warnings.map((w) => [w.line, w.field]),
      [[11, "suppressions.3.expires"]],
    );
    assert.match(s.warnings[0]?.message ?? "", /expired on 2026-01-31/);
    // the last day still counts
    const before = parseSuppressions(file, "s.yaml", new Date("2026-01-31T23:59:00Z"));
    assert.equal(before.warnings.length, 0);
    assert.equal(before.match(finding({ userAgent: "aws-cli" }))?.index, 3);
  });

  it("rejects malformed files with file:line:column and field", () => {
    const bad = `suppressions:
  - userAgents: "*Terraform*"
  - reason: x
    accounts: [1234]
    expires: 31/01/2026
  - reason: y
  - reason: z
    sourceIPs: [not-an-ip]
    principal: arn:aws:iam::1:user/x
`;
    try {
      parseSuppressions(bad, "bad.yaml", now);
      assert.fail("expected an error");
    } catch (e) {
      assert.ok(e instanceof TechtrailError);
      assert.equal(e.code, "VALIDATION");
      assert.deepEqual(
        e.problems.map((p) => [p.line, p.field]).sort((a, b) => Number(a[0]) - Number(b[0])),
        [
          [2, "suppressions.0.reason"],
          [4, "suppressions.1.accounts"],
          [5, "suppressions.1.expires"],
          [6, "suppressions.2"],
          [8, "suppressions.3.sourceIPs.0"],
          [9, "suppressions.3.principal"],
        ],
      );
    }
    assert.throws(() => parseSuppressions("suppressions: [\n", "y.yaml", now), /invalid YAML in y\.yaml/);
  });

  it("the shipped example file is valid and matches infrastructure automation", () => {
    const example = parseSuppressions(
      readFileSync(packagePath("rules", "suppressions.example.yaml"), "utf8"),
      "rules/suppressions.example.yaml",
      now,
    );
    assert.deepEqual(example.warnings, []);
    assert.ok(example.match(finding()));
    const cfn = finding({
      principalArn: "arn:aws:iam::111122223333:user/alice",
      userAgent: "cloudformation.amazonaws.com",
      sourceIPAddress: "cloudformation.amazonaws.com",
    });
    assert.ok(example.match(cfn));
    const person = finding({
      principalArn: "arn:aws:iam::111122223333:user/alice",
      userAgent: "aws-cli/2.15.30 Python/3.11.8",
      sourceIPAddress: "203.0.113.9",
    });
    assert.equal(example.match(person), undefined);
  });
});
