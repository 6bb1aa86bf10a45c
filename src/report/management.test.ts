import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ControlImpact, ControlsResult } from "../analytics/controls.js";
import type { TimingResult } from "../analytics/model.js";
import type { CoverageResult } from "../coverage/coverage.js";
import {
  controlsSummary,
  controlsUnavailable,
  type ManagementInput,
  managementSummary,
  verdictOf,
} from "./management.js";

const HOUR = 3600;
const stats = (median: number | null, samples: number) => ({ samples, median, p90: median });

function timing(rows: Array<[string, number | null, number]>, overallContain: number): TimingResult {
  return {
    scope: { filter: {}, incidents: 100, empty: false },
    overall: { timeToDetect: stats(10 * HOUR, 100), timeToContain: stats(overallContain, 100) },
    byTechnique: rows.map(([key, median, samples]) => ({
      key,
      name: null,
      incidents: samples,
      share: 0,
      timeToDetect: stats(null, 0),
      timeToContain: stats(median, samples),
    })),
    bySource: [],
  };
}

function coverage(entries: Array<[string, { visible: boolean; detected: boolean }]>): CoverageResult {
  return {
    techniques: entries.map(([id, c]) => ({ id, name: id, incidents: 1, ...c })),
    unseen: entries.filter(([, c]) => !c.visible).map(([id]) => ({ id, name: id, incidents: 9 })),
    undetected: entries.filter(([, c]) => c.visible && !c.detected).map(([id]) => ({ id, name: id, incidents: 8 })),
  } as unknown as CoverageResult;
}

const CONTROLS_MISSING = controlsUnavailable("needs a controls file");

function input(over: Partial<ManagementInput> = {}): ManagementInput {
  return {
    current: {
      label: "2026Q3",
      from: "2026-07-01T00:00:00Z",
      to: "2026-10-01T00:00:00Z",
      incidents: 100,
      bySeverity: { P1: 10, P2: 20, P3: 50, P4: 20 },
      // A: frequent and low severity; B: rising sharply; C: rare but P1 and undetected; D: too rare to test, not logged.
      techniques: new Map([
        ["T1000", 60],
        ["T2000", 40],
        ["T3000", 10],
        ["T4000", 2],
      ]),
    },
    previous: {
      label: "2026Q2",
      from: "2026-04-01T00:00:00Z",
      to: "2026-07-01T00:00:00Z",
      incidents: 90,
      bySeverity: { P1: 9, P2: 21, P3: 40, P4: 20 },
      techniques: new Map([
        ["T1000", 58],
        ["T2000", 8],
        ["T3000", 9],
        ["T4000", 1],
      ]),
    },
    names: new Map([
      ["T1000", "Alpha"],
      ["T2000", "Bravo"],
      ["T3000", "Charlie"],
      ["T4000", "Delta"],
    ]),
    severity: new Map<string, Record<string, number>>([
      ["T1000", { P4: 60 }],
      ["T2000", { P3: 40 }],
      ["T3000", { P1: 10 }],
      ["T4000", { P2: 2 }],
    ]),
    timing: timing(
      [
        ["T1000", 2 * HOUR, 60],
        ["T2000", 10 * HOUR, 40],
        ["T3000", 40 * HOUR, 10],
        ["T4000", 90 * HOUR, 2],
      ],
      10 * HOUR,
    ),
    newTechniques: [],
    gaps: null,
    coverage: coverage([
      ["T1000", { visible: true, detected: true }],
      ["T2000", { visible: true, detected: true }],
      ["T3000", { visible: true, detected: false }],
      ["T4000", { visible: false, detected: false }],
    ]),
    controls: CONTROLS_MISSING,
    ...over,
  };
}

describe("management summary", () => {
  it("tests every change and says in plain words whether it is more than noise", () => {
    const m = managementSummary(input());
    const [total, severe, ...techs] = m.significance.tests;
    assert.equal(total?.label, "All incidents");
    assert.equal(total?.significant, false, "100 against 90 is noise");
    assert.match(m.changed[0] as string, /100 incident\(s\) in 2026Q3 against 90 in 2026Q2: within noise/);
    assert.equal(severe?.current, 30);
    // T2000 went 8 → 40: significant even after Holm's correction over the three techniques tested (T4000 has 3 incidents).
    assert.equal(m.significance.tested, 3);
    const bravo = techs.find((t) => t.technique === "T2000");
    assert.ok(bravo?.significant && bravo.direction === "up" && bravo.adjustedP < 0.001);
    assert.match(
      bravo.verdict,
      /more than noise: a real increase \(8 → 40, p < 0.001; < 0.001 corrected for 3 tests\)/,
    );
    assert.ok(techs.find((t) => t.technique === "T1000")?.significant === false);
    assert.ok(!techs.some((t) => t.technique === "T4000"), "too rare to test");
    assert.match(m.changed.join("\n"), /T2000 Bravo rose 8 → 40/);
  });

  it("ranks techniques by severity-weighted frequency, trend, containment time and detection gaps, and says why", () => {
    const m = managementSummary(input());
    assert.deepEqual(
      m.topTechniques.map((t) => t.id),
      ["T3000", "T2000", "T1000"],
    );
    const [c, b, a] = m.topTechniques;
    // C: 10 P1 (100) × contain 40 h / 10 h → 2 (held) × logged-not-detected 1.5 = 300.
    assert.deepEqual(c?.factors, { weighted: 100, trend: 1, containment: 2, detection: 1.5 });
    assert.equal(c?.score, 300);
    assert.equal(c?.detection, "visible");
    assert.ok(c?.reasons.some((r) => /no rule or detector finding/.test(r)));
    // B: 40 P3 (80) × significant rise 1.5 × contain 1 × detected 1 = 120.
    assert.equal(b?.score, 120);
    assert.ok(b?.reasons.some((r) => /Trend: more than noise: a real increase/.test(r)));
    // A: 60 P4 (60) × contain 0.5 (2 h against 10 h, held to the floor) = 30.
    assert.equal(a?.factors.containment, 0.5);
    assert.equal(a?.score, 30);
    assert.match(m.ranking, /frequency × severity/);
  });

  it("a technique with too few timed incidents is not weighed by its containment time", () => {
    const m = managementSummary(
      input({
        current: { ...input().current, techniques: new Map([["T4000", 2]]) },
      }),
    );
    const d = m.topTechniques[0];
    assert.equal(d?.factors.containment, 1);
    assert.equal(d?.detection, "not-visible");
    assert.equal(d?.factors.detection, 2);
    assert.ok(d?.reasons.some((r) => /too few incidents to tell \(1 → 2\)/.test(r)));
    assert.ok(d?.reasons.some((r) => /too few timed incidents/.test(r)));
  });

  it("lists detection gaps, keeps the controls note when the analysis is missing, marks no detection without coverage", () => {
    const m = managementSummary(input());
    assert.deepEqual(
      m.gaps.detection.map((g) => g.id),
      ["T4000", "T3000"],
    );
    assert.equal(m.controls.available, false);
    assert.equal(m.controls.note, "needs a controls file");
    assert.deepEqual(m.controls.controls, []);
    const none = managementSummary(input({ coverage: null }));
    assert.ok(none.topTechniques.every((t) => t.detection === "unknown" && t.factors.detection === 1));
  });

  it("a quarter still running is compared per day observed, not as if it were over", () => {
    const half = { ...input().current, incidents: 45, bySeverity: { P3: 45 }, techniques: new Map([["T1000", 45]]) };
    const over = managementSummary(input({ current: half, previous: { ...input().previous, incidents: 90 } }));
    assert.equal(over.significance.tests[0]?.significant, true, "45 in a whole quarter against 90 is a real fall");
    const running = managementSummary(
      input({
        current: { ...half, observedTo: "2026-08-16T00:00:00Z" },
        previous: { ...input().previous, incidents: 90 },
      }),
    );
    assert.equal(running.significance.tests[0]?.significant, false, "45 in 46 days against 90 in 91 is the same rate");
    assert.match(running.changed[0] as string, /2026Q3 is still running \(46 of 92 days so far\)/);
    assert.match(running.significance.method, /period lengths 46 and 91 days/);
  });

  it("an empty period still compares with the one before and ranks nothing", () => {
    const m = managementSummary(
      input({
        current: { ...input().current, incidents: 0, bySeverity: {}, techniques: new Map() },
        severity: new Map(),
      }),
    );
    assert.deepEqual(m.topTechniques, []);
    assert.equal(m.significance.tests[0]?.significant, true, "90 → 0 is a real decrease");
    assert.equal(m.significance.tests[0]?.direction, "down");
    assert.equal(m.previousPeriod.incidents, 90);
  });

  it("verdicts: too few, no change, noise", () => {
    const base = { pValue: 1, adjustedP: 1, significant: false };
    assert.equal(verdictOf({ ...base, current: 2, previous: 1, direction: "up" }), "too few incidents to tell (1 → 2)");
    assert.equal(verdictOf({ ...base, current: 6, previous: 6, direction: "same" }), "no change (6 → 6)");
    assert.match(
      verdictOf({ ...base, current: 5, previous: 2, direction: "up", pValue: 0.45 }),
      /within noise: a change this size happens by chance \(2 → 5, p = 0.45\)/,
    );
  });

  it("controls: the analysis' counts, deployed misses, missing facts named, no credit for nothing", () => {
    const counts = (over: Partial<ControlImpact["counts"]>) => ({
      incidents: 10,
      prevented: 0,
      shortened: 0,
      limited: 0,
      undetermined: 0,
      untouched: 10,
      savedSeconds: { total: 0, median: null, known: 0 },
      ...over,
    });
    const decision = (key: string) => ({
      key,
      title: key,
      severity: "P2",
      status: "closed",
      date: null,
      outcome: "prevented" as const,
      reason: "r",
      rule: null,
    });
    const control = (id: string, over: Partial<ControlImpact>): ControlImpact => ({
      id,
      name: `Control ${id}`,
      deployed: false,
      rules: [],
      counts: counts({}),
      incidents: [],
      untouched: [],
      ...over,
    });
    const result: ControlsResult = {
      scope: { filter: {}, incidents: 10, empty: false },
      team: "blue",
      controls: [
        control("M1", {
          counts: counts({ prevented: 2, untouched: 8 }),
          incidents: [decision("IR-1"), decision("IR-2")],
        }),
        control("M2", {
          counts: counts({ shortened: 3, untouched: 7, savedSeconds: { total: 9, median: 3, known: 3 } }),
        }),
        control("M3", {}),
      ],
      deployed: [
        control("M4", { deployed: true, since: "2026-08-01", happenedAnyway: [decision("IR-9")] }),
        control("M5", { deployed: true, since: "2026-08-01", happenedAnyway: [] }),
      ],
      withoutRules: [],
      missing: { initialAccessTechnique: 4, credentialType: 5 },
    };
    const s = controlsSummary(result, "controls.yaml");
    assert.equal(s.available, true);
    assert.deepEqual(
      s.controls.map((c) => [c.id, c.prevented, c.shortened, c.savedMedian, c.examples]),
      [
        ["M1", 2, 0, null, ["IR-1", "IR-2"]],
        ["M2", 0, 3, 3, []],
      ],
      "a control that touches nothing is left out",
    );
    assert.deepEqual(s.deployed, [
      { id: "M4", name: "Control M4", since: "2026-08-01", happenedAnyway: 1, examples: ["IR-9"] },
    ]);
    assert.match(s.note, /blue's controls file controls\.yaml/);
    assert.match(s.note, /4 incident\(s\) lack the initial-access technique and 5 the credential type/);
    const none = controlsSummary({ ...result, controls: [result.controls[2] as ControlImpact], deployed: [] }, null);
    assert.deepEqual(none.controls, []);
    assert.match(none.note, /No deployed-controls file was given/);
    assert.match(none.note, /No control would have prevented an incident/);
  });
});
