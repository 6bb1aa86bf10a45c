import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { compileSigmaRules } from "../rules/index.js";
import { planPrefilter, RecordPrefilter, requiredLiterals } from "./prefilter.js";

const rule = (detection: string, id = "r1") =>
  `title: t\nid: ${id}\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n${detection}`;

function compile(text: string) {
  const { rules, errors } = compileSigmaRules([{ text, source: "r.yml" }]);
  assert.equal(errors.length, 0, errors[0]?.message);
  return rules[0] as NonNullable<(typeof rules)[0]>;
}

describe("pre-filter literals", () => {
  it("takes the key of `exists: true` and the text of booleans", () => {
    const r = compile(
      rule(
        "  sel:\n    eventName: PutObject\n    requestParameters.x-amz-server-side-encryption-customer-algorithm|exists: true\n  condition: sel\n",
      ),
    );
    assert.deepEqual(requiredLiterals(r, undefined), ["x-amz-server-side-encryption-customer-algorithm"]);
    const b = compile(
      rule("  sel:\n    eventName: GetParameter\n    requestParameters.withDecryption: true\n  condition: sel\n"),
    );
    assert.deepEqual(requiredLiterals(b, undefined), ["true"]);
    const none = compile(
      rule("  sel:\n    eventName: PutObject\n    requestParameters.x|exists: false\n  condition: sel\n"),
    );
    assert.equal(requiredLiterals(none, undefined), null, "a missing key leaves nothing to look for");
  });

  it("drops selections that require another eventName from the need for one eventName", () => {
    const text = rule(
      "  sel_simulate:\n    eventName: SimulatePrincipalPolicy\n  sel_list:\n    eventName: [ListRolePolicies, ListAttachedRolePolicies]\n  denied:\n    errorCode: AccessDenied\n  condition: sel_simulate or (sel_list and denied)\n",
    );
    const r = compile(text);
    assert.equal(requiredLiterals(r, undefined), null, "over all names: the simulate branch has no literal");
    assert.equal(requiredLiterals(r, undefined, "simulateprincipalpolicy"), null);
    assert.deepEqual(requiredLiterals(r, undefined, "listattachedrolepolicies"), ["AccessDenied"]);
    // a wildcard name that cannot match drops out too
    const w = compile(
      rule(
        "  a:\n    eventName: List*\n  b:\n    eventName: GetUser\n    errorCode: AccessDenied\n  condition: a or b\n",
      ),
    );
    assert.deepEqual(requiredLiterals(w, undefined, "getuser"), ["AccessDenied"], "List* cannot match GetUser");
    assert.equal(requiredLiterals(w, undefined, "listusers"), null, "List* admits ListUsers with no literal");

    const plan = planPrefilter([r], new Map());
    const pre = new RecordPrefilter(plan);
    const rec = (s: string) => {
      const buf = Buffer.from(s);
      return pre.candidate(buf, 0, buf.length);
    };
    assert.equal(rec('{"eventName":"ListAttachedRolePolicies","eventSource":"iam.amazonaws.com"}'), false);
    assert.equal(rec('{"eventName":"ListAttachedRolePolicies","errorCode":"AccessDenied"}'), true);
    assert.equal(rec('{"eventName":"SimulatePrincipalPolicy","eventSource":"iam.amazonaws.com"}'), true);
    assert.equal(rec('{"eventName":"GetUser"}'), false, "no rule for this name");
  });
});

describe("pre-filter on eventName prefixes", () => {
  it("indexes `eventName|startswith` rules by the names met, so other records are skipped", () => {
    const text = rule(
      "  sel:\n    eventName|startswith: UpdateFunctionCode\n    userIdentity.type: IAMUser\n  condition: sel\n",
    );
    const r = compile(text);
    const plan = planPrefilter([r], new Map([["r.yml", text]]));
    assert.equal(plan.enabled, true);
    const pf = new RecordPrefilter(plan);
    const rec = (name: string, type: string) => {
      const b = Buffer.from(
        JSON.stringify({ eventName: name, eventSource: "lambda.amazonaws.com", userIdentity: { type } }),
      );
      return pf.candidate(b, 0, b.length);
    };
    assert.equal(rec("UpdateFunctionCode20150331v2", "IAMUser"), true);
    assert.equal(rec("GetFunction", "IAMUser"), false, "a name no prefix admits");
    assert.equal(rec("updatefunctioncode", "IAMUser"), true, "names compare case-insensitively");
  });
});

describe("pre-filter literals under their key", () => {
  const text = rule(
    [
      "  sel_type:",
      "    eventSource: ec2.amazonaws.com",
      "    eventName: [RunInstances, TerminateInstances]",
      "    userIdentity.type: IAMUser",
      "  sel_flag:",
      "    eventName: DeleteDBInstance",
      "    requestParameters.skipFinalSnapshot: true",
      "  condition: 1 of sel_*",
      "",
    ].join("\n"),
  );
  const pf = new RecordPrefilter(planPrefilter([compile(text)], new Map([["r.yml", text]])));
  const rec = (s: string) => {
    const b = Buffer.from(s);
    return pf.candidate(b, 0, b.length);
  };
  const head = '{"eventName":"RunInstances","eventSource":"ec2.amazonaws.com",';

  it("looks for a field's literal in the value of that key, not anywhere in the record", () => {
    assert.equal(rec(`${head}"userIdentity":{"type":"IAMUser"}}`), true);
    assert.equal(rec(`${head}"userIdentity":{"type":"AssumedRole"},"userAgent":"IAMUser tool"}`), false);
    // the eventSource every record of the name carries is no evidence: the need comes from the type
    assert.equal(rec(`${head}"userIdentity":{"type":"Root"}}`), false);
  });

  it("admits the key's value in every form the rule can match", () => {
    assert.equal(rec(`${head}"userIdentity.type":"IAMUser"}`), true, "flattened dotted key");
    assert.equal(rec(`${head}"userIdentity":{"type" : "xx\\"IAMUser"}}`), true, "spaces and escapes before it");
    assert.equal(rec(`${head}"userIdentity":{"type":["AssumedRole","IAMUser"]}}`), true, "array value");
    assert.equal(rec(`${head}"userIdentity":{"type":{"a":1}}}`), true, "object value");
    const del = '{"eventName":"DeleteDBInstance","eventSource":"rds.amazonaws.com","requestParameters":';
    assert.equal(rec(`${del}{"skipFinalSnapshot":true}}`), true, "a bare boolean");
    assert.equal(rec(`${del}{"skipFinalSnapshot":"TRUE"}}`), true, "a string, any case");
    assert.equal(rec(`${del}{"skipFinalSnapshot":false,"note":"true"}}`), false);
  });
});
