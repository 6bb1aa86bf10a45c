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
    // a wildcard name is no exact constraint: the selection stays (with its literal)
    const w = compile(
      rule(
        "  a:\n    eventName: List*\n  b:\n    eventName: GetUser\n    errorCode: AccessDenied\n  condition: a or b\n",
      ),
    );
    assert.deepEqual(requiredLiterals(w, undefined, "getuser"), ["List", "AccessDenied"]);

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
