// hunt through the real Athena and CloudTrail clients with the network layer replaced by recorded responses
// (a request handler, the SDK's HttpHandler interface): not run against AWS.
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { before, describe, it } from "node:test";
import { miniCatalog, tech } from "../catalog/test-helpers.js";
import { TRAIL_RULE } from "../scan/test-helpers.js";
import { planHunt, runHunt } from "./hunt.js";
import { AthenaRunner, LakeRunner } from "./runners.js";

const catalog = miniCatalog([tech("T1562", {}), tech("T1562.008", {}), tech("T1098", {})]);
const KEY_RULE = `title: Access key created
id: r-create-key
level: medium
tags: [attack.t1098]
logsource: {product: aws, service: cloudtrail}
detection:
  selection:
    eventSource: iam.amazonaws.com
    eventName: CreateAccessKey
  condition: selection
`;

interface Recorded {
  target: string;
  body: Record<string, unknown>;
}

/** A request handler answering from a script: `answer(target, body)` gives the JSON response. */
function recorded(answer: (target: string, body: Record<string, unknown>) => unknown) {
  const calls: Recorded[] = [];
  const handler = {
    metadata: { handlerProtocol: "http/1.1" },
    async handle(req: { headers: Record<string, string>; body?: string | Uint8Array }) {
      const target = (req.headers["x-amz-target"] ?? "").split(".").pop() ?? "";
      const body = JSON.parse(typeof req.body === "string" ? req.body : Buffer.from(req.body ?? "{}").toString());
      calls.push({ target, body });
      const out = answer(target, body);
      const status = (out as { $status?: number }).$status ?? 200;
      return {
        response: {
          statusCode: status,
          headers: { "content-type": "application/x-amz-json-1.1" },
          body: Readable.from([Buffer.from(JSON.stringify(out))]),
        },
      };
    },
    updateHttpClientConfig() {},
    httpHandlerConfigs() {
      return {};
    },
    destroy() {},
  };
  return { handler, calls };
}

describe("hunt", () => {
  let rules: string;
  before(() => {
    rules = mkdtempSync(join(tmpdir(), "techtrail-hunt-"));
    writeFileSync(join(rules, "stop.yml"), TRAIL_RULE.text);
    writeFileSync(join(rules, "key.yml"), KEY_RULE);
    process.env.AWS_ACCESS_KEY_ID ??= "AKIDEXAMPLE";
    process.env.AWS_SECRET_ACCESS_KEY ??= "secret";
  });
  const base = { ruleDirs: () => [rules], builtinRules: false };

  it("--dry-run plan: one query per rule with partition predicates, and the partitions read", async () => {
    const plan = await planHunt({
      dialect: "athena",
      source: "cloudtrail_logs",
      ruleDirs: base.ruleDirs(),
      builtinRules: false,
      from: "2026-03-04T00:00:00Z",
      to: "2026-03-05T00:00:00Z",
      accounts: ["111122223333"],
      regions: ["us-east-1"],
    });
    assert.deepEqual(plan.queries.map((q) => q.ruleId).sort(), ["r-create-key", "r-stop-logging"]);
    for (const q of plan.queries) {
      assert.match(q.sql, /"account" IN \('111122223333'\)/);
      assert.match(q.sql, /"region" IN \('us-east-1'\)/);
      assert.match(q.sql, /"timestamp" >= '2026\/03\/04'/);
    }
    assert.deepEqual(plan.partitions, [
      "account: 111122223333",
      "region: us-east-1",
      "timestamp (day): 2026/03/04 to 2026/03/05",
    ]);
  });

  it("Athena: rows become findings; a failed query is named and marks the result partial", async () => {
    const polls = new Map<string, number>();
    const { handler, calls } = recorded((target, body) => {
      if (target === "StartQueryExecution")
        return { QueryExecutionId: String(body.QueryString).includes("r-stop-logging") ? "q-stop" : "q-key" };
      if (target === "GetQueryExecution") {
        const id = body.QueryExecutionId as string;
        const n = (polls.get(id) ?? 0) + 1;
        polls.set(id, n);
        if (n === 1) return { QueryExecution: { QueryExecutionId: id, Status: { State: "RUNNING" } } };
        return id === "q-stop"
          ? { QueryExecution: { QueryExecutionId: id, Status: { State: "SUCCEEDED" } } }
          : {
              QueryExecution: {
                QueryExecutionId: id,
                Status: {
                  State: "FAILED",
                  StateChangeReason: "TABLE_NOT_FOUND: line 8:6: Table cloudtrail_logs does not exist",
                },
              },
            };
      }
      if (target === "GetQueryResults") {
        const cols = [
          "rule_id",
          "event_id",
          "event_time",
          "event_source",
          "event_name",
          "aws_region",
          "source_ip",
          "user_agent",
          "error_code",
          "principal_arn",
          "access_key_id",
          "account_id",
        ];
        const row = (vals: Array<string | null>) => ({
          Data: vals.map((v) => (v === null ? {} : { VarCharValue: v })),
        });
        return {
          ResultSet: {
            ResultSetMetadata: { ColumnInfo: cols.map((Name) => ({ Name, Type: "varchar" })) },
            Rows: [
              row(cols),
              row([
                "r-stop-logging",
                "e-1",
                "2026-03-04T10:00:00Z",
                "cloudtrail.amazonaws.com",
                "StopLogging",
                "us-east-1",
                "198.51.100.7",
                "aws-cli/2.15.30",
                null,
                "arn:aws:iam::111122223333:user/ops",
                "AKIAEXAMPLEKEY000001",
                "111122223333",
              ]),
              row([
                "r-stop-logging",
                "e-2",
                "2026-03-04T11:00:00Z",
                "cloudtrail.amazonaws.com",
                "StopLogging",
                "us-east-1",
                null,
                "Boto3/1.34.2",
                "AccessDenied",
                null,
                null,
                "111122223333",
              ]),
            ],
          },
        };
      }
      throw new Error(`unexpected ${target}`);
    });
    const runner = new AthenaRunner(
      { database: "security", workgroup: "ir", output: "s3://athena-results/hunt/" },
      { requestHandler: handler, region: "us-east-1" },
    );
    const r = await runHunt(
      {
        dialect: "athena",
        source: "cloudtrail_logs",
        ruleDirs: base.ruleDirs(),
        builtinRules: false,
        regions: ["us-east-1"],
      },
      runner,
      { catalog },
    );
    assert.deepEqual(
      r.findings.map((f) => [f.rule.id, f.eventID, f.eventName, f.principalArn, f.origin.file, f.origin.index]),
      [
        ["r-stop-logging", "e-1", "StopLogging", "arn:aws:iam::111122223333:user/ops", "athena:q-stop", 0],
        ["r-stop-logging", "e-2", "StopLogging", undefined, "athena:q-stop", 1],
      ],
    );
    // the columns every engine's findings carry: user agent, error code (an attempt), access key
    assert.deepEqual(
      r.findings.map((f) => [f.userAgent, f.errorCode, f.attempt, f.accessKeyId]),
      [
        ["aws-cli/2.15.30", undefined, false, "AKIAEXAMPLEKEY000001"],
        ["Boto3/1.34.2", "AccessDenied", true, undefined],
      ],
    );
    assert.deepEqual(r.findings[0]?.techniques, ["T1562.008"]);
    assert.equal(r.summary.findings.total, 2);
    assert.deepEqual(r.summary.partial, { files: 1, byReason: { "query-failed": 1 } });
    assert.equal(r.failed.length, 1);
    assert.match(r.failed[0]?.message ?? "", /Athena query q-key \(rule r-create-key\) failed: TABLE_NOT_FOUND/);
    const start = calls.find((c) => c.target === "StartQueryExecution")?.body as Record<string, never>;
    assert.equal(start.WorkGroup, "ir");
    assert.deepEqual(start.ResultConfiguration, { OutputLocation: "s3://athena-results/hunt/" });
    assert.deepEqual(start.QueryExecutionContext, { Database: "security" });
    assert.match(String(start.QueryString), /"region" IN \('us-east-1'\)/);
  });

  it("CloudTrail Lake: paged rows become findings; a cancelled query is named", async () => {
    const { handler, calls } = recorded((target, body) => {
      if (target === "StartQuery")
        return { QueryId: String(body.QueryStatement).includes("r-stop-logging") ? "lq-stop" : "lq-key" };
      if (target === "GetQueryResults") {
        if (body.QueryId === "lq-key") return { QueryStatus: "CANCELLED", ErrorMessage: "cancelled by the user" };
        const row = (id: string) => [
          { rule_id: "r-stop-logging" },
          { event_id: id },
          { event_time: "2026-03-04 10:00:00.000" },
          { event_name: "StopLogging" },
          { account_id: "111122223333" },
        ];
        return body.NextToken
          ? { QueryStatus: "FINISHED", QueryResultRows: [row("e-2")] }
          : { QueryStatus: "FINISHED", QueryResultRows: [row("e-1")], NextToken: "page-2" };
      }
      throw new Error(`unexpected ${target}`);
    });
    const r = await runHunt(
      { dialect: "cloudtrail-lake", source: "eds-123", ruleDirs: base.ruleDirs(), builtinRules: false },
      new LakeRunner("eds-123", { requestHandler: handler }),
      { catalog },
    );
    assert.deepEqual(
      r.findings.map((f) => [f.eventID, f.eventTime, f.origin.file]),
      [
        ["e-1", "2026-03-04T10:00:00Z", "cloudtrail-lake:lq-stop"],
        ["e-2", "2026-03-04T10:00:00Z", "cloudtrail-lake:lq-stop"],
      ],
    );
    assert.match(
      r.failed[0]?.message ?? "",
      /CloudTrail Lake query lq-key \(rule r-create-key\) was cancelled: cancelled by the user/,
    );
    assert.ok(
      calls.filter((c) => c.target === "StartQuery").every((c) => String(c.body.QueryStatement).includes("eds-123")),
    );
  });
});
