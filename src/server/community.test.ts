// Community endpoints through app.request(): the datasets folder (listing, invalid files named), the comparison
// with all or named folder datasets, uploads (never stored), and refusals (no folder, unknown file, bad dataset).
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { buildSharedStats, type SharedStats } from "../community/share.js";
import { generateDemoIncidents } from "../incidents/demo.js";
import { NewIncident } from "../incidents/model.js";
import { openSqliteStore } from "../store/sqlite.js";
import { createApp } from "./app.js";
import { bearer, type Fixture, makeFixture } from "./test-helpers.js";

let f: Fixture;
let bare: Fixture;
let shared: SharedStats;

before(async () => {
  f = await makeFixture();
  const dir = join(f.dir, "community");
  mkdirSync(dir);
  // The "community": another register with a different seed, shared for one quarter.
  const other = await openSqliteStore(join(f.dir, "other.db"));
  const demo = (seed: number) =>
    generateDemoIncidents(f.catalog, { incidents: 600, seed }).map((i) => NewIncident.parse(i));
  await other.importMany(demo(7), { actor: "test" });
  shared = await buildSharedStats(other, f.catalog, { quarter: "2025Q3" });
  await other.close();
  writeFileSync(join(dir, "peer-a-2025Q3.json"), JSON.stringify(shared));
  writeFileSync(join(dir, "broken.json"), JSON.stringify({ ...shared, schemaVersion: 99 }));
  writeFileSync(join(dir, "notes.txt"), "not a dataset");
  await f.store.importMany(demo(3), { actor: "test" });
  // The app of a service with the folder (the fixture's own app has none).
  bare = f;
  f = { ...f, app: createApp({ store: f.store, catalog: f.catalog, auth: f.auth, webDir: null, communityDir: dir }) };
});
after(async () => {
  await bare.close();
});

const get = (fx: Fixture, path: string) => fx.app.request(path, bearer(fx.tokens.viewer));
type Comparison = {
  datasets: Array<{ file: string; quarter: string; incidents: number }>;
  quarters: string[];
  community: { incidents: number };
  local: { incidents: number };
  techniques: Array<{ id: string; verdict: string; local: number; community: number }>;
  slowerToContain: Array<{ id: string; localMedianHours: number; communityMedianHours: number }>;
};

describe("community comparison", () => {
  test("the folder's datasets are listed; invalid files are named with the reason", async () => {
    const res = await get(f, "/api/community/datasets");
    assert.equal(res.status, 200);
    const body = (await res.json()) as {
      configured: boolean;
      datasets: Array<{ file: string; incidents: number; k: number }>;
      invalid: Array<{ file: string; problem: string }>;
    };
    assert.equal(body.configured, true);
    assert.deepEqual(
      body.datasets.map((d) => [d.file, d.incidents, d.k]),
      [["peer-a-2025Q3.json", shared.incidents, 5]],
    );
    assert.equal(body.invalid.length, 1);
    assert.match(body.invalid[0]?.problem ?? "", /broken\.json: schemaVersion 99/);
    assert.doesNotMatch(JSON.stringify(body), /community"|\/tmp\//, "the folder path is not disclosed");
  });

  test("GET compare sets this register against the folder's datasets", async () => {
    const res = await get(f, "/api/community/compare?minCount=3");
    assert.equal(res.status, 200);
    const r = (await res.json()) as Comparison;
    assert.deepEqual(r.quarters, ["2025Q3"]);
    assert.equal(r.community.incidents, shared.incidents);
    assert.ok(r.local.incidents > 0);
    assert.ok(r.techniques.length > 0);
    assert.ok(r.techniques.every((t) => ["over", "under", "similar"].includes(t.verdict)));
    assert.ok(
      r.techniques.some((t) => t.verdict !== "similar"),
      "two seeds differ somewhere",
    );
    for (const s of r.slowerToContain) assert.ok(s.localMedianHours > s.communityMedianHours);
    const named = await get(f, "/api/community/compare?files=peer-a-2025Q3.json&demo=exclude");
    assert.equal(named.status, 200);
    assert.equal(((await named.json()) as Comparison).local.incidents, 0, "demo=exclude leaves no local incident");
    const bad = await get(f, "/api/community/compare?files=broken.json,missing.json");
    assert.equal(bad.status, 400);
    const text = JSON.stringify(await bad.json());
    assert.match(text, /schemaVersion 99/);
    assert.match(text, /missing\.json.*no such dataset/);
  });

  test("POST compare takes uploaded datasets, checks them and stores nothing", async () => {
    const post = (body: unknown) => f.app.request("/api/community/compare", bearer(f.tokens.viewer, "POST", body));
    const ok = await post({ datasets: [{ name: "mine.json", data: shared }], files: ["peer-a-2025Q3.json"] });
    assert.equal(ok.status, 200);
    const r = (await ok.json()) as Comparison;
    assert.deepEqual(
      r.datasets.map((d) => d.file),
      ["mine.json", "peer-a-2025Q3.json"],
    );
    assert.equal(r.community.incidents, 2 * shared.incidents);
    const tech = shared.techniques[0];
    assert.ok(tech);
    const low = { ...shared, techniques: [{ id: tech.id, incidents: 2 }, ...shared.techniques.slice(1)] };
    const refused = await post({ datasets: [{ name: "low.json", data: low }] });
    assert.equal(refused.status, 400);
    assert.match(JSON.stringify(await refused.json()), /low\.json.*below the declared k = 5/);
    const listed = (await (await get(f, "/api/community/datasets")).json()) as { datasets: unknown[] };
    assert.equal(listed.datasets.length, 1, "uploads are not kept");
  });

  test("GET /api/reports?community=1 adds the team-vs-community section from the folder", async () => {
    const res = await get(f, "/api/reports?quarter=2025Q3&format=md&community=1");
    assert.equal(res.status, 200);
    const md = await res.text();
    assert.match(
      md,
      /## This team and the community\n\nCompared with 1 shared dataset \(peer-a-2025Q3\.json\) covering 2025Q3/,
    );
    const plain = await (await get(f, "/api/reports?quarter=2025Q3&format=md")).text();
    assert.doesNotMatch(plain, /and the community/);
    assert.equal((await get(bare, "/api/reports?quarter=2025Q3&community=1")).status, 404);
  });

  test("a service without a folder says how to configure one", async () => {
    const list = (await (await get(bare, "/api/community/datasets")).json()) as { configured: boolean };
    assert.equal(list.configured, false);
    const res = await get(bare, "/api/community/compare");
    assert.equal(res.status, 404);
    assert.match(JSON.stringify(await res.json()), /--community-dir DIR or TECHTRAIL_COMMUNITY_DIR/);
  });
});
