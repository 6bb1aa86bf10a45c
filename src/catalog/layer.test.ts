import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { buildNavigatorLayers, NavigatorLayer, parseScores } from "./layer.js";
import { miniCatalog, tech } from "./test-helpers.js";

const cat = () =>
  miniCatalog([
    tech("T1078"),
    tech("T1078.004"),
    tech("T1078.A001", { name: "Valid Accounts: IAM Users" }),
    tech("T1078.A002", { name: "Valid Accounts: Account Root User" }),
    tech("AT1023"),
    tech("AT1023.001", { name: "Query RDS" }),
  ]);

describe("Navigator layers", () => {
  it("rolls AWS sub-techniques up to their ATT&CK parent in the enterprise layer", () => {
    const { attack, full } = buildNavigatorLayers(cat(), {
      "T1078.A001": 3,
      "T1078.A002": 2,
      "T1078.004": 1,
      "AT1023.001": 4,
    });
    NavigatorLayer.parse(attack);
    assert.equal(attack.versions.layer, "4.5");
    assert.equal(attack.domain, "enterprise-attack");
    const byId = Object.fromEntries(attack.techniques.map((t) => [t.techniqueID, t]));
    assert.deepEqual(Object.keys(byId).sort(), ["T1078", "T1078.004"]);
    assert.equal(byId.T1078?.score, 5);
    assert.match(byId.T1078?.comment ?? "", /T1078\.A001 Valid Accounts: IAM Users \(3\)/);
    assert.deepEqual(
      byId.T1078?.metadata.map((m) => m.name),
      ["T1078.A001", "T1078.A002"],
    );
    assert.match(JSON.stringify(attack.metadata), /AT1023\.001=4/);
    assert.equal(attack.gradient.maxValue, 5);
    // Full layer keeps every ID and points at the STIX export.
    assert.deepEqual(full.techniques.map((t) => t.techniqueID).sort(), [
      "AT1023.001",
      "T1078.004",
      "T1078.A001",
      "T1078.A002",
    ]);
    assert.equal(full.customDataURL, "techtrail-catalog.stix.json");
  });

  it("supports max aggregation", () => {
    const { attack } = buildNavigatorLayers(cat(), { "T1078.A001": 3, "T1078.A002": 2 }, { aggregate: "max" });
    assert.equal(attack.techniques[0]?.score, 3);
  });

  it("rejects unknown IDs, naming each", () => {
    assert.throws(
      () => buildNavigatorLayers(cat(), { T9999: 1, "T1078.A777": 2 }),
      (e: Error & { describe?: () => string }) => {
        const text = e.describe?.() ?? "";
        return /T9999/.test(text) && /T1078\.A777/.test(text);
      },
    );
  });

  it("parses score maps in both shapes and rejects bad ones", () => {
    assert.deepEqual(parseScores('{"T1078": 2}', "x"), { T1078: 2 });
    assert.deepEqual(parseScores('[{"id": "T1078", "score": 2}]', "x"), { T1078: 2 });
    assert.throws(() => parseScores('{"T1078": "high"}', "scores.json"), /scores\.json/);
    assert.throws(() => parseScores("{", "scores.json"), /not valid JSON/);
  });
});
