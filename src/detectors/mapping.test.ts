import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { loadBuiltinCatalog } from "../catalog/load.js";
import { TechtrailError } from "../core/errors.js";
import { DetectorMappings, parseMappingFile } from "./mapping.js";

const catalog = loadBuiltinCatalog();
const good = `detector: guardduty
sources: [https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_finding-types-active.html]
reviewed: "2026-12-02"
mappings:
  - type: UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS
    dataSource: guardduty
    techniques:
      - { id: T1552.005, relation: detects, confidence: high }
unmapped:
  - type: Backdoor:EC2/Spambot
    reason: host behaviour the catalog does not model
`;

describe("detector mappings", () => {
  it("loads a file and looks types up exactly, keeping unmapped reasons", () => {
    const m = new DetectorMappings([parseMappingFile(good, "gd.yaml", catalog)]);
    assert.equal(
      m.lookup("guardduty", "UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS")?.techniques[0]?.id,
      "T1552.005",
    );
    assert.equal(m.lookup("guardduty", "Backdoor:EC2/Spambot"), undefined);
    assert.match(m.unmapped("guardduty", "Backdoor:EC2/Spambot")?.reason ?? "", /catalog/);
    assert.equal(m.lookup("macie", "UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS"), undefined);
  });

  it("names file, line and field for unknown techniques, data sources and duplicate types", () => {
    const bad = good
      .replace("T1552.005", "T9999")
      .replace("dataSource: guardduty", "dataSource: nope")
      .replace("Backdoor:EC2/Spambot", "UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS");
    try {
      parseMappingFile(bad, "gd.yaml", catalog);
      assert.fail("expected an error");
    } catch (e) {
      assert.ok(e instanceof TechtrailError);
      const text = e.problems.map((p) => `${p.source}:${p.line}:${p.field}:${p.message}`).join("\n");
      assert.match(text, /gd\.yaml:8:mappings\.0\.techniques\.0\.id:unknown technique T9999/);
      assert.match(text, /gd\.yaml:6:mappings\.0\.dataSource:unknown data source nope/);
      assert.match(text, /unmapped\.0\.type:type .* is listed twice/);
    }
  });

  it("refuses a relation outside detects/enables with its position", () => {
    assert.throws(
      () => parseMappingFile(good.replace("relation: detects", "relation: maybe"), "gd.yaml", catalog),
      (e: unknown) =>
        e instanceof TechtrailError && e.problems.some((p) => p.line === 8 && /relation/.test(p.field ?? "")),
    );
  });
});
