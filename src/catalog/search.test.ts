import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { editDistance, searchCatalog, stem, tokenize } from "./search.js";
import { miniCatalog, tech } from "./test-helpers.js";

describe("search primitives", () => {
  it("stems plurals and verb forms together", () => {
    assert.equal(stem("keys"), stem("key"));
    assert.equal(stem("deleting"), stem("deleted"));
    assert.equal(stem("policies"), stem("policy"));
  });
  it("splits API names into words", () => {
    assert.deepEqual(tokenize("CreateAccessKey"), ["creat", "access", "key"]);
  });
  it("computes bounded edit distance with transpositions", () => {
    assert.equal(editDistance("cloudtrial", "cloudtrail", 2), 1);
    assert.equal(editDistance("abc", "xyz", 1), 2);
  });
});

describe("searchCatalog", () => {
  const c = miniCatalog([
    tech("T1496", {
      name: "Resource Hijacking",
      aliases: ["cryptomining", "crypto jacking", "coin miner"],
      tactics: ["TA0040"],
    }),
    tech("T1562", { name: "Impair Defenses", aliases: ["turned off logging", "disabled CloudTrail", "blind the SOC"] }),
    tech("T1098", {
      name: "Account Manipulation",
      aliases: ["new access key", "backdoor key", "persistence key"],
      events: ["iam:CreateAccessKey"],
    }),
  ]);
  it("ranks by aliases, joins compounds and tolerates typos", () => {
    assert.equal(searchCatalog(c, "crypto mining")[0]?.id, "T1496");
    assert.equal(searchCatalog(c, "someone turned off cloudtrial")[0]?.id, "T1562");
    assert.equal(searchCatalog(c, "CreateAccessKey")[0]?.id, "T1098");
    assert.equal(searchCatalog(c, "access keys")[0]?.id, "T1098");
  });
  it("returns nothing for unrelated words and scores in descending order", () => {
    assert.deepEqual(searchCatalog(c, "zebra"), []);
    const hits = searchCatalog(c, "key logging miner");
    for (let i = 1; i < hits.length; i++) assert.ok((hits[i - 1]?.score ?? 0) >= (hits[i]?.score ?? 0));
  });
});
