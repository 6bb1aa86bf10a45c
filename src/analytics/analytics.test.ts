// Analytics on a small hand-made incident set with known answers, run against SQLite and, when
// TECHTRAIL_TEST_DATABASE_URL is set, the same assertions against PostgreSQL.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { loadBuiltinCatalog } from "../catalog/load.js";
import { openTestPostgresStore } from "../store/postgres-test-store.js";
import { openSqliteStore } from "../store/sqlite.js";
import type { Store } from "../store/store.js";
import {
  actorProfiles,
  countPairs,
  matchIncidentToActors,
  mitigationImpact,
  quantile,
  responseTiming,
  SEVERITY_WEIGHT,
  tacticPaths,
  techniqueCooccurrence,
  techniqueFrequency,
  techniqueTrend,
} from "./index.js";
import { analyticsFixture } from "./test-helpers.js";
import { quantileInPlace } from "./timing.js";

const catalog = loadBuiltinCatalog();
const FIXTURE = analyticsFixture(catalog.meta.version);

function hasNaN(v: unknown): boolean {
  if (typeof v === "number") return !Number.isFinite(v);
  if (Array.isArray(v)) return v.some(hasNaN);
  if (v && typeof v === "object") return Object.values(v).some(hasNaN);
  return false;
}

interface Fixture {
  store: Store;
  empty: Store;
  cleanup(): Promise<void>;
}

function registerSuite(name: string, factory: () => Promise<Fixture>): void {
  describe(`analytics on ${name}`, () => {
    let fx: Fixture;
    before(async () => {
      fx = await factory();
      await fx.store.importMany(FIXTURE, { actor: "test" });
    });
    after(async () => {
      await fx.cleanup();
    });

    test("frequency counts incidents per technique and distinct incidents per tactic", async () => {
      const r = await techniqueFrequency(fx.store, catalog);
      assert.equal(r.scope.incidents, 5);
      assert.equal(r.tagged, 4);
      assert.deepEqual(
        r.techniques.map((x) => [x.id, x.incidents]),
        [
          ["T1078.A001", 4],
          ["T1486.A001", 2],
          ["T1496.A008", 1],
          ["T1619.A001", 1],
        ],
      );
      assert.equal(r.techniques[0]?.share, 0.8);
      assert.equal(r.techniques[0]?.name, catalog.technique("T1078.A001")?.name);
      const impact = r.tactics.find((x) => x.id === "TA0040");
      assert.equal(impact?.incidents, 3, "IR1, IR2 and IR3 reached impact; IR1 counts once for two impact techniques");
      assert.equal(r.tactics.find((x) => x.id === "TA0007")?.incidents, 1);
    });

    test("filters: severity, account, actor, tag and date range", async () => {
      const sev = await techniqueFrequency(fx.store, catalog, { severity: ["P1", "P2"] });
      assert.equal(sev.scope.incidents, 3);
      assert.equal(sev.techniques.find((x) => x.id === "T1078.A001")?.incidents, 2);
      const acc = await techniqueFrequency(fx.store, catalog, { account: "111122223333" });
      assert.equal(acc.scope.incidents, 1);
      assert.equal(acc.techniques.length, 3);
      const actor = await techniqueFrequency(fx.store, catalog, { actor: "GLASS HERON" });
      assert.equal(actor.scope.incidents, 2);
      const tag = await techniqueFrequency(fx.store, catalog, { tag: "ransom" });
      assert.deepEqual(
        tag.techniques.map((x) => x.id),
        ["T1078.A001", "T1486.A001", "T1619.A001"],
      );
      const q3 = await techniqueFrequency(fx.store, catalog, { from: "2026-07-01", to: "2026-10-01" });
      assert.equal(q3.scope.incidents, 4);
      assert.equal(q3.techniques.find((x) => x.id === "T1078.A001")?.incidents, 3);
    });

    test("an empty period gives empty results that say so, never NaN", async () => {
      const filter = { from: "2027-01-01", to: "2027-04-01" };
      const results = [
        await techniqueFrequency(fx.store, catalog, filter),
        await techniqueCooccurrence(fx.store, catalog, filter),
        await tacticPaths(fx.store, catalog, filter),
        await actorProfiles(fx.store, catalog, filter),
        await responseTiming(fx.store, catalog, filter),
        await mitigationImpact(fx.store, catalog, filter),
      ];
      for (const r of results) {
        assert.equal(r.scope.empty, true);
        assert.match(r.scope.note ?? "", /no incidents between 2027-01-01/);
        assert.equal(hasNaN(r), false);
      }
      const timing = results[4] as Awaited<ReturnType<typeof responseTiming>>;
      assert.equal(timing.overall.timeToDetect.median, null);
      const emptyStore = await techniqueFrequency(fx.empty, catalog);
      assert.equal(emptyStore.scope.note, "the incident store is empty");
      const emptyTrend = await techniqueTrend(fx.empty, catalog);
      assert.equal(emptyTrend.current, null);
      assert.deepEqual(emptyTrend.techniques, []);
    });

    test("trend: change against the previous quarter and techniques new this quarter", async () => {
      const r = await techniqueTrend(fx.store, catalog, {}, { quarter: "2026Q3", quarters: 2 });
      assert.deepEqual(
        r.quarters.map((q) => [q.quarter, q.incidents]),
        [
          ["2026Q2", 1],
          ["2026Q3", 4],
        ],
      );
      const key = r.techniques.find((x) => x.id === "T1078.A001");
      assert.deepEqual(key?.counts, [1, 3]);
      assert.equal(key?.change, 2);
      assert.equal(key?.changePct, 2);
      assert.equal(key?.isNew, false);
      const ransom = r.techniques.find((x) => x.id === "T1486.A001");
      assert.equal(ransom?.changePct, null);
      assert.deepEqual(r.newTechniques, ["T1486.A001", "T1496.A008", "T1619.A001"]);
      const latest = await techniqueTrend(fx.store, catalog);
      assert.equal(latest.current, "2026Q3", "defaults to the latest quarter with incidents");
    });

    test("co-occurrence: pair counts, support, confidence and lift", async () => {
      const r = await techniqueCooccurrence(fx.store, catalog, {}, { minCount: 1 });
      assert.equal(r.distinctPairs, 4);
      assert.equal(r.multiTechnique, 3);
      const top = r.pairs[0];
      assert.deepEqual([top?.a, top?.b, top?.count], ["T1078.A001", "T1486.A001", 2]);
      assert.equal(top?.support, 2 / 5);
      assert.equal(top?.confidenceBA, 1);
      assert.equal(top?.confidenceAB, 0.5);
      assert.equal(top?.lift, (2 * 5) / (4 * 2));
      const min2 = await techniqueCooccurrence(fx.store, catalog, {}, { minCount: 2 });
      assert.equal(min2.pairs.length, 1);
    });

    test("paths follow first-seen order and collapse repeated tactics", async () => {
      const r = await tacticPaths(fx.store, catalog);
      assert.deepEqual(r.paths[0]?.tactics, ["TA0005", "TA0040"]);
      assert.equal(r.paths[0]?.incidents, 2);
      assert.ok(r.paths.some((p) => p.tactics.join(">") === "TA0005>TA0007>TA0040"));
      assert.equal(r.entry[0]?.tactic, "TA0005");
      assert.equal(r.transitions.find((x) => x.from === "TA0005" && x.to === "TA0040")?.count, 2);
    });

    test("actor profiles, Jaccard similarity and incident-to-actor matching", async () => {
      const r = await actorProfiles(fx.store, catalog);
      assert.deepEqual(
        r.actors.map((a) => [a.name, a.incidents]),
        [
          ["Glass Heron", 2],
          ["Ember Wasp", 1],
        ],
      );
      assert.deepEqual(r.actors[0]?.signature, ["T1078.A001", "T1486.A001", "T1619.A001"]);
      assert.equal(r.similarity[0]?.jaccard, 0.25);
      const m = await matchIncidentToActors(fx.store, catalog, "ir-2026-0002");
      assert.equal(m.attributedTo, "Glass Heron");
      assert.equal(m.matches[0]?.name, "Glass Heron");
      assert.equal(m.matches[0]?.incidents, 1, "the incident itself is left out of its actor's profile");
      assert.equal(m.matches[0]?.jaccard, 2 / 3);
      assert.equal(m.matches[1]?.jaccard, 1 / 3);
      await assert.rejects(matchIncidentToActors(fx.store, catalog, "IR-2026-0999"), { code: "NOT_FOUND" });
    });

    test("timing: median and p90 time to detect and contain, per technique and per source", async () => {
      const r = await responseTiming(fx.store, catalog);
      assert.equal(r.overall.timeToDetect.samples, 4);
      assert.equal(r.overall.timeToDetect.median, 6 * 3600);
      assert.equal(r.overall.timeToDetect.p90, (quantile([1, 2, 10, 48], 0.9) as number) * 3600);
      assert.equal(r.overall.timeToContain.median, 2 * 3600);
      const gd = r.bySource.find((s) => s.key === "guardduty");
      assert.equal(gd?.incidents, 2);
      assert.equal(gd?.share, 0.4);
      assert.equal(gd?.timeToDetect.median, 1.5 * 3600);
      assert.equal(r.bySource.find((s) => s.key === "unknown")?.incidents, 1);
      const ransom = r.byTechnique.find((x) => x.key === "T1486.A001");
      assert.equal(ransom?.timeToContain.median, 3 * 3600);
    });

    test("mitigation impact equals a brute-force severity-weighted count over the catalog", async () => {
      const r = await mitigationImpact(fx.store, catalog, {}, { incidentLimit: 2 });
      const expected = new Map<string, { score: number; keys: string[] }>();
      for (const i of FIXTURE) {
        const ms = new Set(i.techniques.flatMap((x) => catalog.require(x.id).mitigations.map((m) => m.id)));
        for (const m of ms) {
          const e = expected.get(m) ?? { score: 0, keys: [] };
          e.score += SEVERITY_WEIGHT[i.severity];
          e.keys.push(i.key as string);
          expected.set(m, e);
        }
      }
      assert.equal(r.mitigations.length, expected.size);
      for (const m of r.mitigations) {
        assert.equal(m.score, expected.get(m.id)?.score, m.id);
        assert.equal(m.incidents, expected.get(m.id)?.keys.length);
        assert.ok(m.examples.length <= 2);
      }
      const top = r.mitigations[0];
      assert.ok(top && r.mitigations.every((m) => m.score <= top.score));
      if (top && top.incidents >= 2) assert.equal(top.examples[0]?.severity, "P1");
    });
  });
}

registerSuite("SQLite", async () => {
  const dir = mkdtempSync(join(tmpdir(), "techtrail-analytics-"));
  const store = await openSqliteStore(join(dir, "a.db"));
  const empty = await openSqliteStore(join(dir, "empty.db"));
  return {
    store,
    empty,
    cleanup: async () => {
      await store.close();
      await empty.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

const url = process.env.TECHTRAIL_TEST_DATABASE_URL;
if (!url) {
  test("analytics on PostgreSQL", {
    skip: "TECHTRAIL_TEST_DATABASE_URL is not set (scripts/with-postgres.sh sets it)",
  }, () => {});
} else {
  registerSuite("PostgreSQL", async () => {
    const full = await openTestPostgresStore(url, "tt_an");
    const empty = await openTestPostgresStore(url, "tt_an");
    return {
      store: full.store,
      empty: empty.store,
      cleanup: async () => {
        await full.cleanup();
        await empty.cleanup();
      },
    };
  });
}

test("countPairs counts each pair once per incident, ignoring repeats", () => {
  const r = countPairs([["A", "B", "C"], ["B", "A"], ["A", "A"], ["C"]]);
  assert.equal(r.pairs.get("A|B"), 2);
  assert.equal(r.pairs.get("A|C"), 1);
  assert.equal(r.pairs.get("B|C"), 1);
  assert.equal(r.singles.get("A"), 3);
  assert.equal(r.multi, 2);
});

test("linear-time quantiles equal the sorted (type 7) quantiles", () => {
  let seed = 7;
  const rand = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  for (let n = 1; n < 60; n++) {
    const values = Array.from({ length: n }, () => Math.round(rand() * 1000));
    for (const q of [0, 0.1, 0.5, 0.9, 1]) {
      assert.equal(quantileInPlace(Float64Array.from(values), q), quantile(values, q), `n=${n} q=${q}`);
    }
  }
  assert.equal(quantileInPlace(new Float64Array(0), 0.5), null);
});
