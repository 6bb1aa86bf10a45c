import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Incident } from "./api-types";
import {
  changedColumns,
  draftOf,
  draftProblems,
  EMPTY,
  fromLocalInput,
  newIncidentBody,
  toLocalInput,
  words,
} from "./incident-draft";

const incident: Incident = {
  key: "IR-2026-0042",
  title: "Keys leaked",
  summary: "",
  status: "open",
  severity: "P2",
  timeline: { detected: "2026-11-02T09:30:45Z" },
  accounts: ["123456789012"],
  regions: ["eu-west-1", "us-east-1"],
  services: [],
  resources: [],
  threatActor: "Ember Wasp",
  impact: ["data-exfiltration"],
  techniques: [
    { id: "T1078.A001", catalogVersion: "2026.12", confidence: "confirmed", evidence: "key AKIA…", findings: [] },
  ],
  playbooks: [],
  tags: ["prod"],
  notes: "",
  lessonsLearned: "",
  isDemo: false,
  createdAt: "2026-11-02T10:00:00Z",
  updatedAt: "2026-11-02T10:00:00Z",
};

describe("incident form state", () => {
  test("datetime-local values are UTC minutes", () => {
    assert.equal(toLocalInput("2026-11-02T09:30:45Z"), "2026-11-02T09:30");
    assert.equal(toLocalInput(undefined), "");
    assert.equal(fromLocalInput("2026-11-02T09:30"), "2026-11-02T09:30:00Z");
    assert.equal(fromLocalInput("2026-11-02T09:30:15"), "2026-11-02T09:30:15Z");
    assert.equal(fromLocalInput(""), undefined);
    assert.deepEqual(words(" a, b  c,,d "), ["a", "b", "c", "d"]);
  });

  test("a new incident body carries only what was filled in", () => {
    const body = newIncidentBody({
      ...EMPTY,
      title: "GPU instances in unused regions",
      detected: "2026-05-01T08:00",
      contained: "2026-05-01T12:00",
      recovered: "2026-05-02T09:00",
      regions: "ap-south-2, sa-east-1",
      techniques: [{ id: "T1496.A008", name: "EC2 use", confidence: "likely", evidence: "" }],
    });
    assert.equal(body.status, "contained", "a containment time makes it contained");
    assert.deepEqual(body.timeline, {
      detected: "2026-05-01T08:00:00Z",
      contained: "2026-05-01T12:00:00Z",
      recovered: "2026-05-02T09:00:00Z",
    });
    assert.deepEqual(body.regions, ["ap-south-2", "sa-east-1"]);
    assert.deepEqual(body.techniques, [{ id: "T1496.A008", confidence: "likely", evidence: "" }]);
    assert.equal("threatActor" in body, false);
    assert.equal("detectionSource" in body, false);
    assert.equal(newIncidentBody({ ...EMPTY, title: "x" }).status, "open");
  });

  test("an unchanged edit patches nothing; changes come back by column name", () => {
    const before = draftOf(incident, new Map([["T1078.A001", "Valid Accounts: IAM Users"]]));
    assert.equal(before.techniques[0]?.name, "Valid Accounts: IAM Users");
    assert.equal(before.regions, "eu-west-1, us-east-1");
    assert.deepEqual(changedColumns(before, before), {}, "seconds dropped by the input do not count as a change");
    const after = { ...before, title: "Keys leaked again", threatActor: "", regions: "eu-west-1", impact: [] };
    assert.deepEqual(changedColumns(before, after), {
      title: "Keys leaked again",
      threat_actor: "",
      regions: "eu-west-1",
      impact: "",
    });
    assert.deepEqual(changedColumns(before, { ...before, detected: "2026-11-03T07:00" }), {
      detected: "2026-11-03T07:00:00Z",
    });
    assert.deepEqual(
      changedColumns(before, { ...before, recovered: "2026-11-04T12:00", lessonsLearned: "rotate keys" }),
      {
        recovered: "2026-11-04T12:00:00Z",
        lessons_learned: "rotate keys",
      },
    );
  });

  test("initial-access technique and credential type: sent when set, patched by column, checked against the tags", () => {
    const tagged = [{ id: "T1078.A002", name: "Root user", confidence: "confirmed" as const, evidence: "" }];
    const body = newIncidentBody({
      ...EMPTY,
      title: "Root sign-in",
      techniques: tagged,
      initialAccessTechnique: "T1078.A002",
      credentialType: "root-password",
    });
    assert.equal(body.initialAccessTechnique, "T1078.A002");
    assert.equal(body.credentialType, "root-password");
    const bare = newIncidentBody({ ...EMPTY, title: "x", credentialType: "not-a-type" });
    assert.equal("initialAccessTechnique" in bare, false);
    assert.equal("credentialType" in bare, false, "only known credential types are sent");

    const before = draftOf(
      { ...incident, initialAccessTechnique: "T1078.A001", credentialType: "iam-user-access-key" },
      new Map(),
    );
    assert.equal(before.initialAccessTechnique, "T1078.A001");
    assert.equal(before.credentialType, "iam-user-access-key");
    assert.deepEqual(changedColumns(before, { ...before, credentialType: "iam-user-password" }), {
      credential_type: "iam-user-password",
    });
    assert.deepEqual(changedColumns(before, { ...before, initialAccessTechnique: "", credentialType: "" }), {
      initial_access_technique: "",
      credential_type: "",
    });

    assert.deepEqual(draftProblems(before), []);
    assert.deepEqual(draftProblems({ ...before, techniques: [] }), [
      {
        field: "initialAccessTechnique",
        message: "initial-access technique T1078.A001 is not among the incident's techniques (tag it too)",
      },
    ]);
    assert.deepEqual(draftProblems({ ...EMPTY }), [], "no initial-access technique, nothing to check");
  });
});
