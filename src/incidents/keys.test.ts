import assert from "node:assert/strict";
import { test } from "node:test";
import { fieldsOfRecord, KeyPattern, keyProblem, mergeRecord } from "./keys.js";
import { Incident, NewIncident } from "./model.js";

test("a key pattern must compile and must not accept the empty key", () => {
  assert.equal(KeyPattern.parse(" SEC-\\d{4,} "), "SEC-\\d{4,}");
  assert.match(KeyPattern.safeParse("SEC-(").error?.message ?? "", /not a regular expression/);
  assert.match(KeyPattern.safeParse("\\d*").error?.message ?? "", /empty key/);
  assert.equal(KeyPattern.safeParse("").success, false);
});

test("IR keys are always accepted; team keys only when the whole key matches the pattern", () => {
  assert.equal(keyProblem("IR-2026-0042", undefined), undefined);
  assert.match(keyProblem("SEC-1234", undefined) ?? "", /no team key pattern is set/);
  assert.equal(keyProblem("SEC-1234", "sec-\\d{4,}"), undefined, "case is ignored");
  assert.match(keyProblem("SEC-1234X", "SEC-\\d{4,}") ?? "", /expected a key matching SEC-\\d\{4,\} or IR-YYYY-NNNN/);
  assert.match(keyProblem("A B", ".+") ?? "", /may only hold letters, digits/);
});

const stored = Incident.parse({
  key: "SEC-1",
  title: "Old title",
  status: "closed",
  severity: "P2",
  timeline: { detected: "2026-01-02T00:00:00Z", closed: "2026-01-05T00:00:00Z" },
  tags: ["prod"],
  threatActor: "Ember Wasp",
  createdAt: "2026-01-02T00:00:00Z",
  updatedAt: "2026-01-05T00:00:00Z",
});

test("an upsert changes only the fields the record gives; a given empty field clears it", () => {
  const rec = NewIncident.parse({ key: "SEC-1", title: "New title", tags: [] });
  const next = Incident.parse(
    mergeRecord(stored, rec, ["title", "tags", "threatActor", "timeline.contained", "createdAt", "key"]),
  );
  assert.equal(next.title, "New title");
  assert.deepEqual(next.tags, []);
  assert.equal(next.threatActor, undefined);
  assert.equal(next.severity, "P2");
  assert.deepEqual(next.timeline, stored.timeline);
  assert.equal(next.createdAt, stored.createdAt);
});

test("an upsert reopening a closed incident clears its closed time, as incident edit does", () => {
  const rec = NewIncident.parse({ key: "SEC-1", title: "x", status: "contained" });
  const next = Incident.parse(mergeRecord(stored, rec, ["status"]));
  assert.equal(next.status, "contained");
  assert.equal(next.timeline.closed, undefined);
  assert.equal(next.timeline.detected, "2026-01-02T00:00:00Z");
});

test("the fields of a JSON record are its keys, timeline per sub-field", () => {
  assert.deepEqual(
    fieldsOfRecord({ key: "SEC-1", title: "t", timeline: { detected: "x" }, createdAt: "y", bogus: 1 }),
    ["title", "timeline.detected"],
  );
});
