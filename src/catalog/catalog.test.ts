import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { TechtrailError } from "../core/errors.js";
import { compareIds } from "./catalog.js";
import { TECHNIQUE_ID_RE, Technique } from "./model.js";
import { miniCatalog, tech } from "./test-helpers.js";

describe("technique model", () => {
  it("accepts every ID form and rejects others", () => {
    for (const id of ["T1078", "T1078.004", "T1078.A001", "AT1023", "AT1023.001"]) assert.match(id, TECHNIQUE_ID_RE);
    for (const id of ["T107", "T1078.4", "T1078.B001", "TA0005", "t1078", "AT1023.A01", "T1078.A0011"])
      assert.doesNotMatch(id, TECHNIQUE_ID_RE);
  });

  it("requires the parent of a sub-technique to be its ID prefix", () => {
    const r = Technique.safeParse(tech("T1078.A001", { parent: "T1098" }));
    assert.equal(r.success, false);
    assert.match(JSON.stringify(r.error?.issues), /parent of T1078.A001 must be T1078/);
  });

  it("requires revokedBy exactly when revoked", () => {
    assert.equal(Technique.safeParse(tech("T1562", { status: "revoked" })).success, false);
    assert.equal(Technique.safeParse(tech("T1562", { revokedBy: "T1685" })).success, false);
    assert.equal(Technique.safeParse(tech("T1562", { status: "revoked", revokedBy: "T1685" })).success, true);
  });

  it("rejects events not written service:Action", () => {
    const r = Technique.safeParse(tech("T1562", { events: ["StopLogging"] }));
    assert.equal(r.success, false);
    assert.match(JSON.stringify(r.error?.issues), /service:Action/);
  });
});

describe("Catalog", () => {
  it("reports every cross-reference problem at once", () => {
    try {
      miniCatalog([tech("T1078.A001"), tech("T1562", { tactics: ["TA9999"], dataSources: ["nope"] })]);
      assert.fail("expected an error");
    } catch (e) {
      assert.ok(e instanceof TechtrailError);
      assert.equal(e.code, "VALIDATION");
      const text = e.describe();
      assert.match(text, /unknown parent technique T1078/);
      assert.match(text, /unknown tactic TA9999/);
      assert.match(text, /unknown data source nope/);
    }
  });

  it("rejects duplicate IDs", () => {
    assert.throws(
      () => miniCatalog([tech("T1562"), tech("T1562")]),
      (e: TechtrailError) => /duplicate technique ID T1562/.test(e.describe()),
    );
  });

  it("looks techniques up by ID case-insensitively, by tactic and by event", () => {
    const c = miniCatalog([
      tech("T1098"),
      tech("T1098.001", { events: ["iam:CreateAccessKey"], tactics: ["TA0006"] }),
      tech("T1562", { events: ["cloudtrail:StopLogging"] }),
    ]);
    assert.equal(c.technique("t1098.001")?.id, "T1098.001");
    assert.deepEqual(
      c.byTactic("credential-access").map((t) => t.id),
      ["T1098.001"],
    );
    assert.deepEqual(
      c.byEvent("CreateAccessKey").map((t) => t.id),
      ["T1098.001"],
    );
    assert.deepEqual(
      c.byEvent("iam:createaccesskey").map((t) => t.id),
      ["T1098.001"],
    );
    assert.deepEqual(c.byEvent("iam.amazonaws.com:CreateAccessKey").length, 1);
    assert.deepEqual(c.byEvent("s3:CreateAccessKey"), []);
    assert.deepEqual(
      c.subtechniques("T1098").map((t) => t.id),
      ["T1098.001"],
    );
    const s = c.stats();
    assert.equal(s.techniques, 3);
    assert.equal(s.techniquesWithEvents, 2);
    assert.equal(s.subtechniques, 1);
    assert.throws(() => c.require("T9999"), /unknown technique ID T9999/);
  });

  it("orders IDs naturally", () => {
    const ids = ["AT1023", "T1190", "T1078.A001", "T1078.004", "T1078", "AT1023.001"];
    assert.deepEqual([...ids].sort(compareIds), ["T1078", "T1078.004", "T1078.A001", "T1190", "AT1023", "AT1023.001"]);
  });
});
