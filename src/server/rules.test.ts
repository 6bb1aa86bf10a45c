// GET /api/rules and /api/rules/{id}: the built-in rule library through the API (viewer), filters as in
// `techtrail rules list`, one rule with its YAML text, 404 for unknown IDs and 400 for bad filters.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { bearer, type Fixture, makeFixture } from "./test-helpers.js";

let f: Fixture;
before(async () => {
  f = await makeFixture();
});
after(async () => {
  await f.close();
});

const get = (path: string, token = f.tokens.viewer) => f.app.request(path, bearer(token));

interface Rule {
  id: string;
  title: string;
  level: string;
  techniques: string[];
  attack: string[];
  status?: string;
  source: string;
  tags: string[];
}

describe("rules API", () => {
  test("lists the built-in rules with ID, title, level, techniques, status and source; filters narrow it", async () => {
    const all = (await (await get("/api/rules")).json()) as { total: number; items: Rule[] };
    assert.ok(all.total > 50, `${all.total} rules`);
    assert.equal(all.items.length, all.total);
    for (const r of all.items.slice(0, 20)) {
      assert.ok(r.id && r.title && r.level && r.source.startsWith("rules/builtin/"), JSON.stringify(r));
      assert.ok(Array.isArray(r.techniques) && Array.isArray(r.tags));
    }
    const withTechnique = all.items.find((r) => r.techniques.length > 0);
    assert.ok(withTechnique);
    const id = withTechnique.techniques[0] as string;
    const byTechnique = (await (await get(`/api/rules?technique=${id}`)).json()) as { items: Rule[] };
    assert.ok(byTechnique.items.some((r) => r.id === withTechnique.id));
    assert.ok(byTechnique.items.length < all.items.length);
    assert.ok(
      byTechnique.items.every((r) => [...r.techniques, ...r.attack].some((t) => t === id || t.startsWith(`${id}.`))),
    );
    const high = (await (await get("/api/rules?minLevel=high")).json()) as { items: Rule[] };
    assert.ok(high.items.length > 0 && high.items.every((r) => r.level === "high" || r.level === "critical"));
    const bad = await get("/api/rules?level=urgent");
    assert.equal(bad.status, 400);
    const e = (await bad.json()) as { error: { details: { problems: Array<{ field: string }> } } };
    assert.equal(e.error.details.problems[0]?.field, "level");
  });

  test("one rule with its YAML text; unknown IDs are 404; sign-in required", async () => {
    const first = ((await (await get("/api/rules")).json()) as { items: Rule[] }).items[0] as Rule;
    const res = await get(`/api/rules/${encodeURIComponent(first.id)}`);
    assert.equal(res.status, 200);
    const r = (await res.json()) as Rule & { yaml: string };
    assert.equal(r.id, first.id);
    assert.equal(r.title, first.title);
    assert.match(r.yaml, new RegExp(`id:\\s*['"]?${first.id}`));
    assert.match(r.yaml, /detection:/);
    const missing = await get("/api/rules/00000000-0000-0000-0000-000000000000");
    assert.equal(missing.status, 404);
    assert.equal(((await missing.json()) as { error: { code: string } }).error.code, "NOT_FOUND");
    assert.equal((await f.app.request("/api/rules")).status, 401);
  });

  test("both rule routes are in the OpenAPI document", async () => {
    const doc = (await (await f.app.request("/api/openapi.json")).json()) as { paths: Record<string, unknown> };
    assert.ok(doc.paths["/api/rules"]);
    assert.ok(doc.paths["/api/rules/{id}"]);
  });
});
