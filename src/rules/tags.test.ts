import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { miniCatalog, tech } from "../catalog/test-helpers.js";
import { resolveRuleTechniques } from "./resolve.js";
import { parseTags } from "./tags.js";

describe("parseTags", () => {
  it("splits techniques, catalog IDs and tactics", () => {
    const t = parseTags([
      "attack.t1078.004",
      "attack.T1098",
      "attack.defense_evasion",
      "attack.privilege-escalation",
      "attack.g0016",
      "techtrail.t1078.a001",
      "techtrail.at1023.001",
      "cve.2021-1234",
      "detection.threat-hunting",
      "attack.t1078.004",
    ]);
    assert.deepEqual(t.attackRefs, ["T1078.004", "T1098"]);
    assert.deepEqual(t.catalogRefs, ["T1078.A001", "AT1023.001"]);
    assert.deepEqual(t.techniqueRefs, ["T1078.004", "T1098", "T1078.A001", "AT1023.001"]);
    assert.deepEqual(t.tacticRefs, ["defense-evasion", "privilege-escalation"]);
    assert.deepEqual(t.problems, []);
  });
  it("reports malformed techtrail tags with their index", () => {
    const t = parseTags(["attack.t1078", "techtrail.x123"]);
    assert.equal(t.problems.length, 1);
    assert.equal(t.problems[0]?.index, 1);
    assert.match(t.problems[0]?.message ?? "", /techtrail\.x123/);
  });
});

describe("resolveRuleTechniques", () => {
  const catalog = miniCatalog([tech("T1078"), tech("T1078.004"), tech("T1078.A001"), tech("T1562"), tech("T1562.008")]);
  it("keeps catalog IDs, falls back to the parent for ATT&CK sub-techniques, reports unknown ones", () => {
    const r = resolveRuleTechniques(
      { catalogRefs: ["T1078.A001", "T1078.A999"], attackRefs: ["T1562.008", "T1078.003", "T1499.004", "T1078"] },
      catalog,
    );
    assert.deepEqual(r.techniques, ["T1078.A001", "T1562.008", "T1078"]);
    assert.deepEqual(r.unknown, ["T1078.A999", "T1499.004"]);
  });
});
