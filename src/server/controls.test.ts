// GET /api/stats/controls over a demo-seeded store, with and without the server's controls file; a bad file is a
// located 400, an unknown control a 404. Incidents carry the entry facts through the API.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { ControlsResult } from "../analytics/controls.js";
import { DEMO_CONTROLS_FILE } from "../incidents/demo.js";
import { IncidentRegister } from "../register/register.js";
import { createApp } from "./app.js";
import { bearer, type Fixture, makeFixture } from "./test-helpers.js";

describe("controls endpoint", () => {
  let f: Fixture;
  let bare: Fixture;
  before(async () => {
    f = await makeFixture({ controlsFile: DEMO_CONTROLS_FILE });
    bare = await makeFixture();
    for (const x of [f, bare])
      await new IncidentRegister(x.store, x.catalog).seedDemo({ incidents: 150, seed: 3 }, { actor: "test" });
  });
  after(async () => {
    await f.close();
    await bare.close();
  });
  const get = async (fx: Fixture, path: string) => {
    const res = await fx.app.request(path, bearer(fx.tokens.viewer));
    return { status: res.status, body: (await res.json()) as ControlsResult & { error?: unknown } };
  };

  test("weighs the controls not deployed and reports what deployed ones missed, with the filter", async () => {
    const r = await get(f, "/api/stats/controls");
    assert.equal(r.status, 200, JSON.stringify(r.body).slice(0, 300));
    assert.equal(r.body.team, "cloud-platform");
    assert.deepEqual(r.body.deployed.map((c) => c.id).sort(), ["AM0001", "AM0007", "AM0008", "AM0011"]);
    const root = r.body.controls.find((c) => c.id === "AM0009");
    assert.ok(root && root.counts.prevented > 0);
    assert.equal(root.incidents.filter((d) => d.outcome === "prevented").length, root.counts.prevented);
    const plain = await get(bare, "/api/stats/controls");
    assert.equal(plain.body.team, null);
    assert.equal(plain.body.deployed.length, 0);
    assert.deepEqual(
      plain.body.controls.find((c) => c.id === "AM0009")?.counts,
      root.counts,
      "same register, same answer for a control neither deploys",
    );
    const q = await get(f, "/api/stats/controls?quarter=2026Q3&control=am0009");
    assert.equal(q.status, 200);
    assert.deepEqual(
      q.body.controls.map((c) => c.id),
      ["AM0009"],
    );
    assert.ok(q.body.scope.incidents < r.body.scope.incidents);
  });

  test("an unknown control is 404; a broken controls file is a 400 naming file, line and field", async () => {
    const unknown = await get(f, "/api/stats/controls?control=AM9999");
    assert.equal(unknown.status, 404);
    const file = join(bare.dir, "controls.yaml");
    writeFileSync(file, "team: x\ncontrols:\n  - control: AM0001\n    since: 2026-13-01\n");
    const broken = createApp({
      store: bare.store,
      catalog: bare.catalog,
      auth: bare.auth,
      webDir: null,
      controlsFile: file,
    });
    const res = await broken.request("/api/stats/controls", bearer(bare.tokens.viewer));
    const text = await res.text();
    assert.equal(res.status, 400, text);
    assert.match(text, /controls\.yaml/);
    assert.match(text, /"line":4/);
    assert.match(text, /controls\.0\.since/);
  });
});
