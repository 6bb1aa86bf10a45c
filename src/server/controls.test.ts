// GET /api/stats/controls over a demo-seeded store, with and without the server's controls file; a bad file is a
// located 400, an unknown control a 404. Incidents carry the entry facts through the API. The controls.yaml kept in
// the register (GET/PUT/DELETE /api/controls) is used by /api/stats/controls and /api/reports.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { ControlsResult } from "../analytics/controls.js";
import { DEMO_CONTROLS_FILE } from "../incidents/demo.js";
import { IncidentRegister } from "../register/register.js";
import type { ReportData } from "../report/report.js";
import { createApp } from "./app.js";
import type { ControlsSetting } from "./routes/controls.js";
import { bearer, type Fixture, login, makeFixture, withSession } from "./test-helpers.js";

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

describe("the controls.yaml kept in the register", () => {
  let f: Fixture;
  let served: Fixture;
  before(async () => {
    f = await makeFixture();
    served = await makeFixture({ controlsFile: DEMO_CONTROLS_FILE });
    for (const x of [f, served])
      await new IncidentRegister(x.store, x.catalog).seedDemo({ incidents: 150, seed: 3 }, { actor: "test" });
  });
  after(async () => {
    await f.close();
    await served.close();
  });
  const call = async (fx: Fixture, path: string, token: string, method = "GET", body?: unknown) => {
    const res = await fx.app.request(path, bearer(token, method, body));
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const TEXT = [
    "team: blue # the platform team",
    "controls:",
    "  - control: AM0009",
    "    since: 2026-08-01",
    "    note: Root MFA and no root keys, organization-wide.",
  ].join("\n");

  test("an admin saves it, viewers read it, and reports and the controls analysis use it", async () => {
    const none = await call(f, "/api/controls", f.tokens.viewer);
    assert.equal(none.status, 200);
    assert.deepEqual(none.body, {
      source: null,
      name: null,
      text: null,
      updatedAt: null,
      updatedBy: null,
      inventory: null,
      editable: true,
    });
    const before = await call(f, "/api/reports?format=json", f.tokens.viewer);
    const plain = (before.body as unknown as ReportData).management.controls;
    assert.equal(plain.deployed.length, 0);
    assert.match(plain.note, /No deployed-controls file was given/);

    const saved = await call(f, "/api/controls", f.tokens.admin, "PUT", { text: TEXT });
    assert.equal(saved.status, 200, JSON.stringify(saved.body));
    const s = saved.body as unknown as ControlsSetting;
    assert.equal(s.source, "register");
    assert.equal(s.text, TEXT, "kept as written, comments and all");
    assert.equal(s.updatedBy, "admin");
    assert.equal(s.inventory?.team, "blue");
    assert.deepEqual(
      s.inventory?.controls.map((c) => [c.control, c.since]),
      [["AM0009", "2026-08-01"]],
    );
    assert.deepEqual((await call(f, "/api/controls", f.tokens.viewer)).body, saved.body);

    const stats = (await call(f, "/api/stats/controls", f.tokens.viewer)).body as unknown as ControlsResult;
    assert.equal(stats.team, "blue");
    assert.deepEqual(
      stats.deployed.map((c) => c.id),
      ["AM0009"],
    );
    const rep = (await call(f, "/api/reports?format=json", f.tokens.viewer)).body as unknown as ReportData;
    const d = rep.management.controls.deployed.find((x) => x.id === "AM0009");
    assert.ok(d, "the report's controls section knows AM0009 is deployed");
    assert.equal(d.since, "2026-08-01");
    assert.equal(d.happenedAnyway, stats.deployed[0]?.happenedAnyway?.length);
    assert.ok(!rep.management.controls.controls.some((x) => x.id === "AM0009"), "deployed: no recommendation");
    assert.match(rep.management.controls.note, /blue's controls file controls\.yaml \(kept in the register\)/);
    // controls=0 weighs every control as not deployed, as without an inventory.
    const without = (await call(f, "/api/reports?format=json&controls=0", f.tokens.viewer))
      .body as unknown as ReportData;
    assert.equal(without.management.controls.deployed.length, 0);
    assert.ok(without.management.controls.controls.some((x) => x.id === "AM0009"));
    const md = await f.app.request("/api/reports?format=md", bearer(f.tokens.viewer));
    assert.match(await md.text(), /AM0009/);

    const cleared = await call(f, "/api/controls", f.tokens.admin, "DELETE");
    assert.equal(cleared.status, 200);
    assert.equal((cleared.body as unknown as ControlsSetting).source, null);
    assert.equal(
      ((await call(f, "/api/stats/controls", f.tokens.viewer)).body as unknown as ControlsResult).team,
      null,
    );
  });

  test("a bad controls.yaml is refused with every problem at its line and column, and nothing is kept", async () => {
    const bad = [
      "team: blue",
      "controls:",
      "  - control: AM9999",
      "    since: 2026-02-30",
      "  - control: AM0001",
      "    since: 2026-01-01",
      "    techniques: [T1562.999]",
    ].join("\n");
    const r = await call(f, "/api/controls", f.tokens.admin, "PUT", { text: bad });
    assert.equal(r.status, 400, JSON.stringify(r.body));
    const text = JSON.stringify(r.body);
    assert.match(text, /"source":"controls\.yaml"/);
    const problems = (r.body as { error: { details: { problems: Array<Record<string, unknown>> } } }).error.details
      .problems;
    const at = problems.map((p) => `${p.line}:${p.column} ${p.field}`);
    assert.ok(at.includes("4:12 controls.0.since"), at.join(", "));
    const unknown = await call(f, "/api/controls", f.tokens.admin, "PUT", {
      text: "team: blue\ncontrols:\n  - control: AM9999\n    since: 2026-02-01\n  - control: AM0001\n    since: 2026-01-01\n    techniques: [T1562.999]\n",
    });
    assert.equal(unknown.status, 400);
    const located = (unknown.body as { error: { details: { problems: Array<Record<string, unknown>> } } }).error.details
      .problems;
    assert.deepEqual(
      located.map((p) => `${p.line}:${p.column} ${p.field}`),
      ["3:14 controls.0.control", "7:18 controls.1.techniques.0"],
    );
    const yaml = await call(f, "/api/controls", f.tokens.admin, "PUT", { text: "team: [blue\n" });
    assert.equal(yaml.status, 400);
    assert.equal((await call(f, "/api/controls", f.tokens.viewer)).body.source, null, "nothing was kept");
    const empty = await call(f, "/api/controls", f.tokens.admin, "PUT", { text: "" });
    assert.equal(empty.status, 400);
    assert.match(JSON.stringify(empty.body), /"field":"text"/);
  });

  test("only an admin changes it (a session needs its CSRF token); a --controls file makes it read-only", async () => {
    for (const role of ["viewer", "responder"] as const) {
      const r = await call(f, "/api/controls", f.tokens[role], "PUT", { text: TEXT });
      assert.equal(r.status, 403, role);
    }
    const s = await login(f.app, "admin");
    const noCsrf = await f.app.request("/api/controls", withSession(s, "PUT", { text: TEXT }, false));
    assert.equal(noCsrf.status, 403);
    const ok = await f.app.request("/api/controls", withSession(s, "PUT", { text: TEXT }));
    assert.equal(ok.status, 200);
    await call(f, "/api/controls", f.tokens.admin, "DELETE");

    const file = await call(served, "/api/controls", served.tokens.viewer);
    assert.equal(file.body.source, "file");
    assert.equal(file.body.editable, false);
    assert.equal((file.body as unknown as ControlsSetting).inventory?.team, "cloud-platform");
    const refused = await call(served, "/api/controls", served.tokens.admin, "PUT", { text: TEXT });
    assert.equal(refused.status, 409);
    assert.match(JSON.stringify(refused.body), /serve --controls/);
    const rep = (await call(served, "/api/reports?format=json", served.tokens.viewer)).body as unknown as ReportData;
    assert.ok(
      rep.management.controls.deployed.some((x) => x.id === "AM0008"),
      "the file's controls in the report",
    );
  });
});
