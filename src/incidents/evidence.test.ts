import assert from "node:assert/strict";
import { test } from "node:test";
import { draftFromFindings, type FindingLike, mergeFindings } from "./evidence.js";
import { NewIncident } from "./model.js";
import { testCatalog } from "./test-catalog.js";

const catalog = testCatalog();
const f = (over: Partial<FindingLike>): FindingLike => ({
  rule: { id: "r-keys", title: "Access key created", level: "high" },
  techniques: ["T1098.001"],
  eventID: "e1",
  eventTime: "2026-03-01T10:00:00Z",
  eventName: "CreateAccessKey",
  eventSource: "iam.amazonaws.com",
  principalArn: "arn:aws:iam::123456789012:user/x",
  accountId: "123456789012",
  awsRegion: "us-east-1",
  ...over,
});

test("findings become technique tags with evidence, first seen and deduplicated events", () => {
  const findings = [
    f({}),
    f({ eventID: "e0", eventTime: "2026-03-01T09:00:00Z" }),
    f({}),
    f({
      rule: { id: "r-get", level: "low" },
      techniques: ["T1530.A001", "T9999"],
      eventID: "e2",
      errorCode: "AccessDenied",
    }),
    f({ techniques: ["T1496.A005"], eventID: "e3" }),
  ];
  const { techniques, unknown } = mergeFindings([], findings, catalog);
  assert.deepEqual(unknown, ["T9999"]);
  const keys = techniques.find((t) => t.id === "T1098.001");
  assert.ok(keys);
  assert.deepEqual(
    keys.findings.map((x) => x.eventID),
    ["e0", "e1"],
  );
  assert.equal(keys.firstSeen, "2026-03-01T09:00:00Z");
  assert.equal(keys.confidence, "likely");
  assert.match(keys.evidence, /2 finding\(s\) from r-keys/);
  assert.equal(techniques.find((t) => t.id === "T1530.A001")?.confidence, "possible", "failed calls only");
  assert.ok(
    techniques.some((t) => t.id === "T1496.A008"),
    "revoked IDs go to their replacement",
  );
});

test("a draft incident from findings is valid and carries context; detected is the earliest finding, not now", () => {
  const { draft } = draftFromFindings(
    [f({ eventTime: "2026-03-01T11:00:00Z" }), f({ eventID: "e9", awsRegion: "apiso-northsouth-3r" })],
    catalog,
    { source: "x.json" },
  );
  const i = NewIncident.parse(draft);
  assert.equal(i.status, "open");
  assert.equal(i.severity, "P2");
  assert.deepEqual(i.accounts, ["123456789012"]);
  assert.deepEqual(i.regions, ["us-east-1", "apiso-northsouth-3r"]);
  assert.deepEqual(i.services, ["iam"]);
  assert.equal(i.timeline.firstActivity, "2026-03-01T10:00:00Z");
  assert.equal(i.timeline.detected, "2026-03-01T10:00:00Z");
  assert.ok(i.tags.includes("draft"));
  // no event time at all: detected stays empty rather than the clock
  const undated = NewIncident.parse(draftFromFindings([f({ eventTime: null })], catalog).draft);
  assert.equal(undated.timeline.detected, undefined);
  assert.equal(undated.timeline.firstActivity, undefined);
});
