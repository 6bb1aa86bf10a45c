import assert from "node:assert/strict";
import { describe, it, test } from "node:test";
import { loadBuiltinCatalog } from "../catalog/load.js";
import { loadControlsInventory } from "../controls/load.js";
import { loadPlaybooks } from "../playbooks/playbooks.js";
import { NewActor } from "./actor.js";
import { DEMO_CONTROLS_FILE, DEMO_PLAYBOOKS, demoActors, generateDemoIncidents } from "./demo.js";
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
    assert.ok(first >= "2025-10-01" && first < "2026-11-13", first);
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

describe("the shipped demo register tells a consistent story", () => {
  const shipped = loadBuiltinCatalog();
  const demo = generateDemoIncidents(shipped).map((i) => NewIncident.parse(i));
  const playbooks = new Map(loadPlaybooks(shipped).playbooks.map((p) => [p.id, p.techniques]));
  const ids = (i: NewIncident) => i.techniques.map((t) => t.id);

  it("has open, contained and closed incidents", () => {
    const statuses = new Set(demo.map((i) => i.status));
    assert.deepEqual([...statuses].sort(), ["closed", "contained", "open"]);
  });

  it("records how every incident began: entry technique first, credential and vector agreeing with it", () => {
    const credentialsOf: Record<string, string[]> = {
      "T1078.A001": ["iam-user-access-key", "iam-user-password"],
      "T1078.A002": ["root-password", "root-access-key"],
      "T1078.004": ["role-session", "federated-session"],
      "T1190.A016": ["none"],
      "T1648.A002": ["none"],
    };
    for (const i of demo) {
      const entry = i.initialAccessTechnique ?? "";
      assert.ok(entry, `${i.title}: initial-access technique`);
      const first = [...i.techniques].sort((a, b) => (a.firstSeen ?? "").localeCompare(b.firstSeen ?? ""))[0];
      assert.equal(first?.id, entry, `${i.title}: the entry is seen first`);
      assert.ok(credentialsOf[entry]?.includes(i.credentialType ?? ""), `${entry} with ${i.credentialType}`);
      if (i.initialAccess === "leaked-access-key") assert.match(i.credentialType ?? "", /access-key$/);
      if (i.credentialType?.startsWith("root")) assert.match(i.resources[0] ?? "", /:root$/);
    }
    const kinds = new Set(demo.map((i) => i.credentialType));
    for (const k of ["root-password", "root-access-key", "iam-user-access-key", "iam-user-password", "none"])
      assert.ok(kinds.has(k as NewIncident["credentialType"]), k);
  });

  it("never tags an SMS-pumping incident with an SES technique, or the reverse", () => {
    for (const i of demo) {
      if (/SMS/.test(i.title) || i.tags.includes("sms-pumping")) assert.ok(!ids(i).includes("T1496.A001"), i.title);
      if (/SES/.test(i.title) || i.tags.includes("ses-abuse")) assert.ok(!ids(i).includes("T1496.003"), i.title);
    }
    assert.ok(demo.some((i) => i.tags.includes("sms-pumping")) && demo.some((i) => i.tags.includes("ses-abuse")));
  });

  it("keeps ransomware and other scenario-specific lessons on incidents they fit", () => {
    const lessons = demo.filter((i) => i.lessonsLearned);
    assert.ok(lessons.length > 100);
    for (const i of lessons) {
      if (/SSE-C|Object Lock|backups of critical buckets/.test(i.lessonsLearned))
        assert.ok(ids(i).some((t) => /^T148[56]/.test(t)) || i.impact.includes("ransom-demand"), i.title);
      if (/IMDSv2/.test(i.lessonsLearned)) assert.ok(ids(i).includes("T1552.005") || ids(i).includes("T1190.A016"));
      if (/root user/.test(i.lessonsLearned)) assert.ok(ids(i).includes("T1078.A002"), i.title);
      if (/Bedrock/.test(i.lessonsLearned)) assert.ok(ids(i).includes("T1496.A007"), i.title);
    }
    assert.ok(
      demo.every((i) => i.status === "closed" || i.lessonsLearned === ""),
      "lessons come with closure",
    );
  });

  it("lists only shipped playbooks, each covering a technique of the incident", () => {
    for (const [id, triggers] of DEMO_PLAYBOOKS) {
      const covers = playbooks.get(id);
      assert.ok(covers, `${id} is a shipped playbook`);
      for (const t of triggers) assert.ok(covers.includes(t), `${id} covers ${t}`);
    }
    for (const i of demo)
      for (const p of i.playbooks) {
        assert.ok(playbooks.has(p), `${p} is shipped`);
        assert.ok(
          ids(i).some((t) => playbooks.get(p)?.includes(t)),
          `${p} covers one of ${ids(i).join(", ")}`,
        );
      }
  });

  it("seeds every attributed actor as an entity with valid indicators in documentation ranges", () => {
    const actors = demoActors().map((a) => NewActor.parse(a));
    const named = new Set(demo.map((i) => i.threatActor).filter(Boolean));
    for (const n of named)
      assert.ok(
        actors.some((a) => a.name === n),
        `${n} is seeded`,
      );
    for (const a of actors) {
      assert.equal(a.indicators.length, 4);
      assert.ok(a.indicators.some((x) => x.type === "cidr" && x.value.startsWith("203.0.113.")));
      assert.ok(a.indicators.every((x) => x.validFrom && x.validUntil));
    }
  });

  it("ships a deployed-controls file that names known controls and techniques", () => {
    const inv = loadControlsInventory(DEMO_CONTROLS_FILE, shipped);
    assert.ok(inv.controls.length >= 3);
    assert.ok(!inv.controls.some((c) => c.control === "AM0009"), "root protection is the open question");
  });
});
