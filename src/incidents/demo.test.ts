import assert from "node:assert/strict";
import { test } from "node:test";
import { generateDemoIncidents } from "./demo.js";
import { NewIncident } from "./model.js";
import { testCatalog } from "./test-catalog.js";

const catalog = testCatalog();

test("demo data is deterministic per seed and valid", () => {
  const a = generateDemoIncidents(catalog, { incidents: 300, seed: 7 });
  const b = generateDemoIncidents(catalog, { incidents: 300, seed: 7 });
  const c = generateDemoIncidents(catalog, { incidents: 300, seed: 8 });
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
  assert.equal(a.length, 300);
  for (const i of a) {
    const parsed = NewIncident.parse(i);
    assert.equal(parsed.isDemo, true);
    assert.ok(parsed.techniques.length > 0);
    for (const t of parsed.techniques) assert.ok(catalog.technique(t.id), `${t.id} is in the catalog`);
    const d = parsed.timeline.detected ?? "";
    assert.ok(d >= "2024-01-01" && d < "2027-01-01", d);
  }
});

test("credential misuse, cryptomining and S3 ransom dominate; actors and delays look real", () => {
  const all = generateDemoIncidents(catalog, { incidents: 1000, seed: 1 }).map((i) => NewIncident.parse(i));
  const freq = new Map<string, number>();
  for (const i of all) for (const t of i.techniques) freq.set(t.id, (freq.get(t.id) ?? 0) + 1);
  const top = [...freq.entries()].sort((x, y) => y[1] - x[1]).map(([id]) => id);
  assert.equal(top[0], "T1078.A001");
  assert.ok(top.slice(0, 4).includes("T1496.A008"), top.join(","));
  assert.ok((freq.get("T1530.A001") ?? 0) > (freq.get("T1552.001") ?? 0) * 3);
  const actors = new Set(all.map((i) => i.threatActor).filter(Boolean));
  assert.ok(actors.size >= 10, `${actors.size} actors`);
  assert.ok(
    all.some((i) => !i.threatActor),
    "some incidents are unattributed",
  );
  const hours = (a?: string, b?: string) => (Date.parse(b ?? "") - Date.parse(a ?? "")) / 3_600_000;
  const median = (xs: number[]) => xs.sort((x, y) => x - y)[Math.floor(xs.length / 2)] ?? 0;
  const by = (src: string) =>
    median(
      all.filter((i) => i.detectionSource === src).map((i) => hours(i.timeline.firstActivity, i.timeline.detected)),
    );
  assert.ok(by("guardduty") < by("billing-anomaly"), "GuardDuty detects faster than the bill");
  const p1 = median(
    all.filter((i) => i.severity === "P1").map((i) => hours(i.timeline.detected, i.timeline.contained)),
  );
  const p3 = median(
    all.filter((i) => i.severity === "P3").map((i) => hours(i.timeline.detected, i.timeline.contained)),
  );
  assert.ok(p1 < p3, "P1 incidents are contained faster");
  const years = all.map((i) => (i.timeline.detected ?? "").slice(0, 4));
  assert.ok(years.filter((y) => y === "2026").length > years.filter((y) => y === "2024").length, "volume grows");
});

test("techniques missing from the catalog are left out", () => {
  const small = generateDemoIncidents(testCatalog(), { incidents: 50, seed: 3 });
  assert.ok(small.every((i) => (i.techniques ?? []).every((t) => t.id !== "T1087.004")));
});

test("from/to place the incidents in a chosen period and end the register there", () => {
  const from = "2025-10-01T00:00:00Z";
  const to = "2026-11-20T00:00:00Z";
  const all = generateDemoIncidents(catalog, { incidents: 200, seed: 5, from, to }).map((i) => NewIncident.parse(i));
  assert.equal(all.length, 200);
  for (const i of all) {
    const first = i.timeline.firstActivity ?? "";
    assert.ok(first >= "2025-10-01" && first < "2026-09-22", first);
    for (const t of [i.timeline.contained, i.timeline.recovered, i.timeline.closed])
      if (t) assert.ok(t < "2026-11-20T00:00:01Z", `${t} is after the register's end`);
    assert.equal(i.status === "closed", i.timeline.closed !== undefined);
    assert.equal(i.status === "open", i.timeline.contained === undefined);
  }
  assert.ok(all.filter((i) => (i.timeline.firstActivity ?? "") >= "2026-07-01").length > 20, "the last months fill");
  assert.deepEqual(
    generateDemoIncidents(catalog, { incidents: 5, seed: 5 }),
    generateDemoIncidents(catalog, { incidents: 5, seed: 5, from: "2024-01-01T00:00:00Z", to: "2027-01-01T00:00:00Z" }),
    "the defaults are 2024-2026",
  );
  assert.throws(
    () => generateDemoIncidents(catalog, { from: "last year" }),
    /demo option from: expected an ISO timestamp/,
  );
  assert.throws(() => generateDemoIncidents(catalog, { from: to, to: from }), /more than 60 days after/);
});
