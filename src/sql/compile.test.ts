import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { DuckDBInstance } from "@duckdb/node-api";
import { parse as parseYaml } from "yaml";
import { type CompiledRule, compileSigmaRules } from "../rules/index.js";
import { loadRuleLibrary } from "../scan/rule-library.js";
import { compileRules, ruleCondition } from "./compile.js";
import { duckdbFieldColumns } from "./dialects.js";
import { fieldsOf, ruleIR } from "./ir.js";
import { type Rec, testRecords } from "./test-helpers.js";

/** Records built to hit the edges of Sigma's semantics: case, lists, nulls, numbers, nesting, dotted keys. */
const EDGE: Rec[] = [
  {
    eventName: "ConsoleLogin",
    eventSource: "signin.amazonaws.com",
    userIdentity: { type: "Root", arn: "ARN:AWS:IAM::1:ROOT" },
  },
  { eventName: "consolelogin", eventSource: "SIGNIN.amazonaws.com", errorCode: null, tags: ["a", "B", null, 3] },
  {
    eventName: "PutBucketPolicy",
    eventSource: "s3.amazonaws.com",
    requestParameters: { bucketPolicy: { Statement: [{ Principal: "*" }] }, n: 12, s: " 7 " },
  },
  {
    eventName: "GetObject",
    eventSource: "s3.amazonaws.com",
    "userIdentity.arn": "arn:aws:iam::1:user/flat",
    "requestParameters.key": "x?y*z",
  },
  {
    eventName: "CreateUser",
    eventSource: "iam.amazonaws.com",
    sourceIPAddress: "10.1.2.3",
    readOnly: false,
    requestParameters: { userName: "a_b%c" },
  },
  {
    eventName: "CreateUser",
    eventSource: "iam.amazonaws.com",
    sourceIPAddress: "::ffff:10.1.2.3",
    requestParameters: { userName: ["x", "y"] },
  },
  {
    eventName: "AssumeRole",
    eventSource: "sts.amazonaws.com",
    sourceIPAddress: "AWS Internal",
    requestParameters: null,
    recipientAccountId: "111122223333",
    userIdentity: { accountId: "111122223333", arn: "arn:aws:iam::111122223333:user/Ab" },
  },
];

const SIGMA_EDGE = `title: edge
id: edge-1
logsource: { product: aws, service: cloudtrail }
detection:
  sel_ci:
    eventName: consolelogin
  sel_wild:
    userIdentity.arn|endswith: ':root'
  sel_null:
    errorCode: null
  sel_list_all:
    tags|all: [a, b]
  sel_num:
    requestParameters.n|gte: 10
  sel_num_text:
    requestParameters.s|lt: 8
  sel_flat:
    userIdentity.arn|contains: 'flat'
  sel_escape:
    requestParameters.key: 'x\\?y\\*z'
  sel_like_chars:
    requestParameters.userName: 'a_b%c'
  sel_cidr:
    sourceIPAddress|cidr: 10.0.0.0/8
  sel_listval:
    requestParameters.userName: Y
  sel_bool:
    readOnly: 'false'
  sel_ref:
    recipientAccountId|fieldref: userIdentity.accountId
  sel_q:
    eventName: 'Assume?ole'
  sel_re:
    userIdentity.arn|re: 'user/[a-z]+$'
  sel_re_i:
    userIdentity.arn|re|i: 'USER/AB$'
  sel_exists:
    requestParameters|exists: false
  sel_obj:
    requestParameters.bucketPolicy|contains: '"Principal":"*"'
  condition: 1 of sel_*
`;

function edgeRules(): CompiledRule[] {
  // one rule per identifier, so each construct is compared on its own
  const doc = parseYaml(SIGMA_EDGE) as { detection: Record<string, unknown> };
  const names = Object.keys(doc.detection).filter((k) => k !== "condition");
  const files = names.map((n) => ({
    source: `edge/${n}.yml`,
    text: SIGMA_EDGE.replace("id: edge-1", `id: edge-${n}`).replace("condition: 1 of sel_*", `condition: ${n}`),
  }));
  const { rules, errors } = compileSigmaRules(files);
  assert.deepEqual(errors, []);
  return [
    ...rules,
    ...compileSigmaRules([
      {
        source: "edge/not.yml",
        text: SIGMA_EDGE.replace("condition: 1 of sel_*", "condition: not sel_null and not 2 of sel_*"),
      },
    ]).rules,
  ];
}

describe("DuckDB SQL of every rule agrees with the JS matcher", () => {
  let db: DuckDBInstance;
  const records = [...testRecords("rules"), ...EDGE];
  before(async () => {
    db = await DuckDBInstance.create(":memory:");
    const c = await db.connect();
    await c.run("CREATE TABLE ev (i INTEGER, record JSON)");
    const app = await c.createAppender("ev");
    records.forEach((r, i) => {
      app.appendInteger(i);
      app.appendVarchar(JSON.stringify(r));
      app.endRow();
    });
    app.closeSync();
    c.closeSync();
  });
  after(() => db?.closeSync());

  it("on the rule test records and edge cases (built-in, optional and edge rules)", async () => {
    const lib = await loadRuleLibrary({ ruleDirs: ["rules/optional"] });
    const rules = [...lib.rules, ...edgeRules()];
    const c = await db.connect();
    let compared = 0;
    const mismatches: string[] = [];
    // a batch of rules per query: one column per rule
    for (let at = 0; at < rules.length; at += 40) {
      const batch = rules.slice(at, at + 40);
      const irs = batch.map((r) => ruleIR(r));
      const fields = duckdbFieldColumns(new Set(irs.flatMap((ir) => [...fieldsOf(ir.expr)])));
      const cols = irs.map((ir, k) => `(${ruleCondition(ir, "duckdb", { columns: fields.columns })}) AS r${k}`);
      const from = `(SELECT i, ${fields.project} FROM (SELECT i, ${fields.extract} FROM ev))`;
      const rows = (await c.runAndReadAll(`SELECT i, ${cols.join(", ")} FROM ${from} ORDER BY i`)).getRows();
      for (const row of rows) {
        const rec = records[Number(row[0])] as Rec;
        batch.forEach((r, k) => {
          const sql = row[k + 1];
          assert.equal(typeof sql, "boolean", `rule ${r.id}: SQL gave ${String(sql)}, not a boolean`);
          compared++;
          if (sql !== r.match(rec)) mismatches.push(`${r.id} on ${JSON.stringify(rec).slice(0, 160)}: sql=${sql}`);
        });
      }
    }
    c.closeSync();
    assert.deepEqual(mismatches, []);
    assert.ok(compared > 200 * 300, `compared ${compared}`);
  });

  it("edge rules do fire (the comparison is not vacuous)", () => {
    const fired = edgeRules().filter((r) => EDGE.some((e) => r.match(e)));
    assert.ok(fired.length >= 15, `only ${fired.map((r) => r.id).join(", ")}`);
  });
});

describe("compileRules", () => {
  it("names the rule and construct a dialect cannot express", () => {
    const { rules } = compileSigmaRules([
      {
        source: "kw.yml",
        text: "title: kw\nid: kw-1\nlogsource: { product: aws, service: cloudtrail }\ndetection:\n  words: [evil]\n  condition: words\n",
      },
      {
        source: "v6.yml",
        text: "title: v6\nid: v6-1\nlogsource: { product: aws, service: cloudtrail }\ndetection:\n  sel:\n    sourceIPAddress|cidr: '2001:db8::/32'\n  condition: sel\n",
      },
      {
        source: "col.yml",
        text: "title: col\nid: col-1\nlogsource: { product: aws, service: cloudtrail }\ndetection:\n  sel:\n    eventCategory: Insight\n  condition: sel\n",
      },
    ]);
    const duck = compileRules({ rules }, "duckdb");
    assert.deepEqual(
      duck.unsupported.map((u) => [u.ruleId, u.construct.split(" (")[0]]),
      [
        ["kw-1", "keyword search"],
        ["v6-1", "cidr '2001:db8::/32'"],
      ],
    );
    assert.deepEqual(
      duck.queries.map((q) => q.ruleId),
      ["col-1"],
    );
    const athena = compileRules({ rules }, "athena");
    assert.match(athena.unsupported.find((u) => u.ruleId === "col-1")?.construct ?? "", /eventCategory.*Athena/);
    assert.deepEqual(
      compileRules({ rules }, "cloudtrail-lake").queries.map((q) => q.ruleId),
      ["col-1"],
    );
  });
});
