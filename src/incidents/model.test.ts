import assert from "node:assert/strict";
import { test } from "node:test";
import { Incident, NewIncident, normaliseName, normaliseTimestamp } from "./model.js";

const base = { title: "t", techniques: [] };
const issues = (raw: unknown) => {
  const r = NewIncident.safeParse(raw);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
};

test("timestamps: dates, zones, spaces and fractions normalise to one UTC form; impossible dates fail", () => {
  assert.equal(normaliseTimestamp("2026-03-04"), "2026-03-04T00:00:00Z");
  assert.equal(normaliseTimestamp("2026-03-04 10:22"), "2026-03-04T10:22:00Z");
  assert.equal(normaliseTimestamp("2026-03-04T10:22:00+02:00"), "2026-03-04T08:22:00Z");
  assert.equal(normaliseTimestamp("2026-03-04T10:22:00.250Z"), "2026-03-04T10:22:00.250Z");
  assert.equal(normaliseTimestamp("2026-02-30"), undefined);
  assert.equal(normaliseTimestamp("2026-03-04T25:00"), undefined);
  assert.equal(normaliseTimestamp("yesterday"), undefined);
});

test("an impossible timeline is an error naming the later field", () => {
  const msgs = issues({
    ...base,
    timeline: { detected: "2026-03-04T10:00:00Z", contained: "2026-03-04T09:00:00Z", firstActivity: "2026-03-01" },
  });
  assert.equal(msgs.length, 1);
  assert.match(msgs[0] ?? "", /^timeline\.contained: contained .* is before detected/);
  assert.deepEqual(issues({ ...base, timeline: { firstActivity: "2026-03-01", detected: "2026-03-01" } }), []);
});

test("account IDs, duplicate techniques, impact 'none' and closed status are checked", () => {
  assert.match(issues({ ...base, accounts: ["12345"] })[0] ?? "", /^accounts\.0: expected a 12-digit AWS account ID/);
  const dup = issues({
    ...base,
    techniques: [
      { id: "T1078.A001", catalogVersion: "2026.11" },
      { id: "t1078.a001", catalogVersion: "2026.11" },
    ],
  });
  assert.match(dup[0] ?? "", /^techniques\.1\.id: technique T1078.A001 is tagged twice/);
  assert.match(issues({ ...base, impact: ["none", "ransom-demand"] })[0] ?? "", /^impact:/);
  assert.match(issues({ ...base, status: "closed" })[0] ?? "", /^timeline\.closed: a closed incident needs/);
  assert.match(issues({ ...base, timeline: { closed: "2026-01-01" } })[0] ?? "", /^status: status is open/);
  assert.match(issues({ ...base, severity: "P5" })[0] ?? "", /^severity:/);
  assert.match(issues({ ...base, detectionSource: "email" })[0] ?? "", /^detectionSource:/);
  assert.match(issues({ ...base, key: "INC 1!" })[0] ?? "", /^key: expected an incident key/);
  assert.match(issues({ ...base, key: `SEC-${"1".repeat(40)}` })[0] ?? "", /^key: expected an incident key/);
  // A team key has the shape of a key; whether a register accepts it is its key pattern (keys.test.ts).
  assert.deepEqual(issues({ ...base, key: "sec-1234" }), []);
});

test("actor names are normalised; deliberate capitals are kept", () => {
  assert.equal(normaliseName("  scattered   spider "), "Scattered Spider");
  assert.equal(normaliseName('"APT29"'), "APT29");
  assert.equal(normaliseName("TeamTNT"), "TeamTNT");
  const parsed = NewIncident.parse({ ...base, threatActor: "ember_wasp", tags: ["Prod Account"] });
  assert.equal(parsed.threatActor, "Ember Wasp");
  assert.deepEqual(parsed.tags, ["prod-account"]);
});

test("text fields refuse NUL and control characters naming the field; free text keeps line breaks and tabs", () => {
  for (const [field, value] of [
    ["title", "ok\u0000"],
    ["title", "bell\u0007"],
    ["title", "esc\u001b[2J"],
    ["summary", "nul\u0000"],
    ["notes", "esc\u001b"],
    ["threatActor", "Wasp\u001b"],
    ["resources", ["arn:aws:s3:::b\u0000"]],
  ] as const) {
    const r = NewIncident.safeParse({ title: "t", [field]: value });
    assert.equal(r.success, false, `${field} accepted ${JSON.stringify(value)}`);
    assert.equal(String(r.error?.issues[0]?.path[0]), field);
    assert.match(r.error?.issues[0]?.message ?? "", /control characters/);
  }
  const ok = NewIncident.parse({ title: "fine", summary: "line one\r\nline\ttwo", notes: "a\nb" });
  assert.equal(ok.summary, "line one\r\nline\ttwo");
});

test("the initial-access technique must be one of the incident's technique tags", () => {
  const entry = {
    key: "IR-2026-0001",
    title: "Root sign-in",
    createdAt: "2026-03-02T00:00:00Z",
    updatedAt: "2026-03-02T00:00:00Z",
    techniques: [{ id: "T1078.A002", catalogVersion: "2026.11" }],
  };
  const ok = Incident.parse({ ...entry, initialAccessTechnique: "t1078.a002", credentialType: "root-password" });
  assert.equal(ok.initialAccessTechnique, "T1078.A002");
  const bad = Incident.safeParse({ ...entry, initialAccessTechnique: "T1078.A001" });
  assert.equal(bad.success, false);
  assert.match(bad.error?.issues[0]?.message ?? "", /T1078\.A001 is not among the incident's techniques/);
  assert.deepEqual(bad.error?.issues[0]?.path, ["initialAccessTechnique"]);
  assert.equal(Incident.safeParse({ ...entry, credentialType: "password" }).success, false);
});
