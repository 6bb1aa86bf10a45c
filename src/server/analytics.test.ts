// Analytics, playbook and coverage endpoints over a demo-seeded store: each answers for viewers, applies the
// filter query, refuses bad parameters with 400 and never reads a file named in a query.
import assert from "node:assert/strict";
import { basename } from "node:path";
import { after, before, describe, test } from "node:test";
import { DEFAULT_PROFILE } from "../coverage/profile.js";
import { IncidentRegister } from "../register/register.js";
import { bearer, type Fixture, makeFixture } from "./test-helpers.js";

let f: Fixture;
before(async () => {
  f = await makeFixture();
  await new IncidentRegister(f.store, f.catalog).seedDemo({ incidents: 120, seed: 7 }, { actor: "test" });
});
after(async () => {
  await f.close();
});

const get = async (path: string, token = f.tokens.viewer) => {
  const res = await f.app.request(path, bearer(token));
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

describe("analytics endpoints", () => {
  test("frequency counts the demo incidents and honours filters", async () => {
    const all = await get("/api/stats/frequency");
    assert.equal(all.status, 200);
    const scope = all.body.scope as { incidents: number };
    assert.equal(scope.incidents, 120);
    const top = (all.body.techniques as Array<{ id: string; incidents: number }>)[0];
    assert.ok(top && top.incidents > 0);
    const p1 = await get("/api/stats/frequency?severity=P1&limit=3");
    assert.ok((p1.body.scope as { incidents: number }).incidents < 120);
    assert.ok((p1.body.techniques as unknown[]).length <= 3);
    const none = await get("/api/stats/frequency?demo=exclude");
    assert.equal((none.body.scope as { incidents: number }).incidents, 0);
  });

  test("trend, co-occurrence, paths, actors, timing, mitigations answer", async () => {
    for (const p of [
      "/api/stats/trend?quarters=4",
      "/api/stats/cooccurrence?minCount=2&limit=5",
      "/api/stats/paths",
      "/api/stats/actors",
      "/api/stats/timing",
      "/api/stats/mitigations?limit=5",
    ]) {
      const r = await get(p);
      assert.equal(r.status, 200, `${p}: ${JSON.stringify(r.body).slice(0, 200)}`);
      assert.ok(r.body.scope, p);
    }
    const key = (await f.store.list({ limit: 1 })).items[0]?.key as string;
    assert.equal((await get(`/api/stats/actors/match/${key}`)).status, 200);
    assert.equal((await get("/api/stats/actors/match/IR-1999-0001")).status, 404);
  });

  test("bad parameters are 400 naming the field; no sign-in is 401", async () => {
    const bad = await get("/api/stats/frequency?severity=P9");
    assert.equal(bad.status, 400);
    assert.match(JSON.stringify(bad.body), /severity/);
    assert.equal((await get("/api/stats/trend?quarters=abc")).status, 400);
    assert.equal((await get("/api/stats/frequency?from=2026-01-01&quarter=2026Q1")).status, 400);
    assert.equal((await get("/api/stats/frequency?bogus=1")).status, 400);
    assert.equal((await f.app.request("/api/stats/frequency")).status, 401);
  });

  test("playbooks, gaps and coverage; coverage profiles are names, never paths", async () => {
    const pbs = await get("/api/playbooks");
    const items = pbs.body.items as Array<{ id: string }>;
    assert.ok(items.length > 0);
    assert.equal((await get(`/api/playbooks/${items[0]?.id}`)).status, 200);
    assert.equal((await get("/api/playbooks/no-such-playbook")).status, 404);
    const gaps = await get("/api/playbooks/gaps");
    assert.equal(gaps.status, 200);
    assert.ok(Array.isArray(gaps.body.techniques));
    const list = (await get("/api/coverage/profiles")).body as { items: string[]; default: string };
    assert.ok(list.items.length > 1);
    assert.equal(list.default, DEFAULT_PROFILE);
    // Without a profile the CLI's default is scored (not whichever name sorts first); another one when named.
    const byDefault = await get("/api/coverage");
    assert.equal(byDefault.status, 200, JSON.stringify(byDefault.body).slice(0, 300));
    const profileOf = (body: Record<string, unknown>) => basename((body.profile as { file: string }).file, ".yaml");
    assert.equal(profileOf(byDefault.body), DEFAULT_PROFILE);
    const other = list.items.find((p) => p !== DEFAULT_PROFILE) as string;
    const cov = await get(`/api/coverage?profile=${other}`);
    assert.equal(cov.status, 200, JSON.stringify(cov.body).slice(0, 300));
    assert.equal(profileOf(cov.body), other);
    assert.equal((await get("/api/coverage?profile=/etc/passwd")).status, 404);
    assert.equal((await get("/api/coverage?profile=../profiles/x")).status, 404);
  });

  test("reports: JSON, Markdown and self-contained HTML with a script-free CSP", async () => {
    const j = await get("/api/reports?quarter=2026Q4");
    assert.equal(j.status, 200, JSON.stringify(j.body).slice(0, 300));
    assert.equal((j.body.period as { label: string }).label, "2026Q4");
    const md = await f.app.request("/api/reports?quarter=2026Q4&format=md", bearer(f.tokens.viewer));
    assert.equal(md.status, 200);
    assert.match(md.headers.get("content-type") ?? "", /markdown/);
    assert.match(await md.text(), /2026Q4/);
    const html = await f.app.request("/api/reports?quarter=2026Q4&format=html&download=1", bearer(f.tokens.viewer));
    assert.equal(html.status, 200);
    const csp = html.headers.get("content-security-policy") ?? "";
    assert.match(csp, /default-src 'none'/);
    assert.doesNotMatch(csp, /script-src/);
    assert.match(html.headers.get("content-disposition") ?? "", /attachment/);
    assert.doesNotMatch(await html.text(), /<script/i);
    assert.equal((await get("/api/reports?quarter=2026Q9")).status, 400);
    assert.equal((await get("/api/reports?format=pdf")).status, 400);
  });
});
