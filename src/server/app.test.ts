// API tests through app.request() on a temporary SQLite store: error mapping, catalog endpoints, security
// headers, static fallback, OpenAPI document.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { sharedPath, skipUnlessShared } from "../../test/shared.js";
import { createApp } from "./app.js";
import { resolveStaticPath } from "./static.js";
import { bearer, type Fixture, makeFixture } from "./test-helpers.js";

// MITRE ATT&CK (ATT&CK Terms of Use), from ../shared.
const BUNDLE = "data/attack-stix/enterprise-cloud-subset-stix20.json";

let f: Fixture;
before(async () => {
  f = await makeFixture();
});
after(async () => {
  await f.close();
});

const get = (path: string, token = f.tokens.viewer) => f.app.request(path, bearer(token));

describe("catalog endpoints", () => {
  test("stats and technique list, filtered by tactic", async () => {
    const stats = (await (await get("/api/catalog")).json()) as { techniques: number; version: string };
    assert.equal(stats.techniques, f.catalog.techniques.length);
    assert.equal(stats.version, f.catalog.meta.version);
    const res = await get("/api/catalog/techniques?tactic=TA0040");
    assert.equal(res.status, 200);
    const body = (await res.json()) as { items: Array<{ id: string; tactics: string[] }> };
    assert.ok(body.items.length > 0);
    assert.ok(body.items.every((t) => t.tactics.includes("TA0040")));
    assert.equal((await get("/api/catalog/techniques?tactic=TA9999")).status, 404);
  });

  test("technique detail is case-insensitive; unknown IDs are 404 with the error shape", async () => {
    const t = (await (await get("/api/catalog/techniques/t1078.a001")).json()) as {
      id: string;
      tacticNames: unknown[];
    };
    assert.equal(t.id, "T1078.A001");
    assert.ok(t.tacticNames.length > 0);
    const res = await get("/api/catalog/techniques/T9999.999");
    assert.equal(res.status, 404);
    const err = (await res.json()) as { error: { code: string; message: string; details: unknown } };
    assert.equal(err.error.code, "NOT_FOUND");
    assert.match(err.error.message, /T9999/);
    assert.ok(err.error.details);
  });

  test("search needs q and returns ranked hits", async () => {
    const res = await get("/api/catalog/search?q=access%20key&limit=3");
    const body = (await res.json()) as { items: Array<{ id: string; score: number }> };
    assert.ok(body.items.length > 0 && body.items.length <= 3);
    const miss = await get("/api/catalog/search");
    assert.equal(miss.status, 400);
    const err = (await miss.json()) as { error: { details: { problems: Array<{ field: string }> } } };
    assert.equal(err.error.details.problems[0]?.field, "q");
    assert.equal((await get("/api/catalog/search?q=x&limit=abc")).status, 400);
  });

  test("event lookup, releases, STIX export, diff refuses file paths", async () => {
    const ev = (await (await get("/api/catalog/event/iam:CreateAccessKey")).json()) as { items: unknown[] };
    assert.ok(ev.items.length > 0);
    assert.equal((await get("/api/catalog/event/NoSuchCall")).status, 404);
    const rel = (await (await get("/api/catalog/releases")).json()) as { current: string };
    assert.equal(rel.current, f.catalog.meta.version);
    const stix = await get("/api/catalog/export/stix");
    assert.equal(stix.status, 200);
    assert.equal(((await stix.json()) as { type: string }).type, "bundle");
    const same = (await (await get("/api/catalog/diff?from=current&to=current")).json()) as { added: unknown[] };
    assert.deepEqual(same.added, []);
    assert.equal((await get("/api/catalog/diff?from=/etc/passwd")).status, 400);
    assert.equal((await get("/api/catalog/diff?from=1999.01")).status, 404);
  });

  test("layer from scores; unknown technique named in the error", async () => {
    const ok = await f.app.request(
      "/api/catalog/layer",
      bearer(f.tokens.viewer, "POST", { scores: { "T1078.A001": 3 } }),
    );
    assert.equal(ok.status, 200);
    const layers = (await ok.json()) as { attack: { techniques: Array<{ techniqueID: string }> }; full: unknown };
    assert.equal(layers.attack.techniques[0]?.techniqueID, "T1078");
    const bad = await f.app.request("/api/catalog/layer", bearer(f.tokens.viewer, "POST", { scores: { T0000: 1 } }));
    assert.equal(bad.status, 400);
    assert.match(await bad.text(), /T0000/);
    const wrongType = await f.app.request(
      "/api/catalog/layer",
      bearer(f.tokens.viewer, "POST", { scores: { T1078: "x" } }),
    );
    assert.equal(wrongType.status, 400);
    assert.match(((await wrongType.json()) as { error: { message: string } }).error.message, /scores\.T1078/);
  });

  test("catalog import preview (admin only) with a real ATT&CK bundle; the served catalog is unchanged", {
    skip: skipUnlessShared(BUNDLE),
  }, async () => {
    const bundle = readFileSync(sharedPath(BUNDLE), "utf8");
    const send = (token: string, query = "?source=mitre-attack") =>
      f.app.request(`/api/catalog/import${query}`, {
        method: "POST",
        headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
        body: bundle,
      });
    assert.equal((await send(f.tokens.responder)).status, 403);
    assert.equal((await send(f.tokens.admin, "")).status, 400);
    const res = await send(f.tokens.admin);
    assert.equal(res.status, 200);
    const body = (await res.json()) as {
      applied: boolean;
      report: { specVersion: string; added: { techniques: string[] } };
      diff: { added: unknown[] };
    };
    assert.equal(body.applied, false);
    assert.equal(body.report.specVersion, "2.0");
    assert.ok(body.report.added.techniques.length > 0);
    assert.equal(body.diff.added.length, body.report.added.techniques.length);
    const stats = (await (await get("/api/catalog")).json()) as { techniques: number };
    assert.equal(stats.techniques, f.catalog.techniques.length);
    const broken = await f.app.request(
      "/api/catalog/import?source=x",
      bearer(f.tokens.admin, "POST", { type: "bundle", objects: [{ type: "attack-pattern" }] }),
    );
    assert.equal(broken.status, 400);
  });

  test("matrix counts incidents per technique and rolls sub-techniques up once per incident", async () => {
    const actor = { actor: "test" };
    await f.store.create(
      (await import("../incidents/validate.js")).validateNewIncident(
        { title: "two subs", techniques: [{ id: "T1078.A001" }, { id: "T1078.A002" }] },
        f.catalog,
      ),
      actor,
    );
    const m = (await (await get("/api/catalog/matrix")).json()) as {
      totalIncidents: number;
      tactics: Array<{
        techniques: Array<{
          id: string;
          incidentsWithSubtechniques: number;
          subtechniques: Array<{ id: string; incidents: number }>;
        }>;
      }>;
    };
    assert.equal(m.totalIncidents, 1);
    const cell = m.tactics.flatMap((t) => t.techniques).find((t) => t.id === "T1078");
    assert.ok(cell);
    assert.equal(cell.incidentsWithSubtechniques, 1);
    assert.equal(cell.subtechniques.find((s) => s.id === "T1078.A001")?.incidents, 1);
  });
});

describe("service basics", () => {
  test("security headers on every response, JSON 404 for unknown API paths", async () => {
    const res = await f.app.request("/api/nope");
    assert.equal(res.status, 404);
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, "NOT_FOUND");
    const csp = res.headers.get("content-security-policy") ?? "";
    for (const d of [
      "default-src 'self'",
      "script-src 'self'",
      "object-src 'none'",
      "frame-ancestors 'none'",
      "base-uri 'none'",
    ])
      assert.ok(csp.includes(d), d);
    assert.ok(!csp.includes("unsafe-inline"));
    assert.equal(res.headers.get("x-content-type-options"), "nosniff");
    assert.equal(res.headers.get("x-frame-options"), "DENY");
    assert.ok(res.headers.get("referrer-policy"));
  });

  test("a loopback-bound service answers only to loopback host names (DNS rebinding)", async () => {
    const app = createApp({
      store: f.store,
      catalog: f.catalog,
      auth: f.auth,
      webDir: null,
      allowedHosts: ["127.0.0.1", "localhost"],
    });
    assert.equal((await app.request("http://127.0.0.1:4317/api/health")).status, 200);
    assert.equal((await app.request("http://localhost/api/health")).status, 200);
    const evil = await app.request("http://attacker.example:4317/api/health");
    assert.equal(evil.status, 403);
    assert.equal(((await evil.json()) as { error: { code: string } }).error.code, "FORBIDDEN");
  });

  test("one demo parameter (include|only|exclude) on the incident list, export, matrix and stats", async () => {
    for (const path of ["/api/incidents", "/api/incidents/export", "/api/catalog/matrix", "/api/stats/frequency"]) {
      for (const v of ["include", "only", "exclude"]) assert.equal((await get(`${path}?demo=${v}`)).status, 200, path);
      const bad = await get(`${path}?demo=1`);
      assert.equal(bad.status, 400, path);
      const e = (await bad.json()) as { error: { details: { problems: Array<{ field: string }> } } };
      assert.equal(e.error.details.problems[0]?.field, "demo");
    }
  });

  test("without a built UI, / explains that the UI is not built", async () => {
    const res = await f.app.request("/");
    assert.equal(res.status, 200);
    assert.match(await res.text(), /not built/);
    assert.equal((await f.app.request("/assets/app.js")).status, 404);
  });

  test("OpenAPI document is derived from the route declarations: every served /api route is in it, and back", async () => {
    const res = await f.app.request("/api/openapi.json");
    assert.equal(res.status, 200);
    const doc = JSON.parse(await res.text()) as {
      openapi: string;
      paths: Record<string, Record<string, { "x-role"?: string; responses: Record<string, unknown> }>>;
    };
    assert.equal(doc.openapi, "3.1.0");
    for (const p of ["/api/incidents", "/api/catalog/techniques", "/api/auth/login", "/api/incidents/{key}"])
      assert.ok(doc.paths[p], p);
    const documented = new Set(
      Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`)),
    );
    // The route table of the running app: what really answers, including anything added without a declaration.
    const served = new Set(
      f.app.routes
        .filter((r) => r.path.startsWith("/api/") && !r.path.includes("*") && r.method !== "ALL")
        .map((r) => `${r.method} ${r.path.replace(/:(\w+)/g, "{$1}")}`),
    );
    for (const s of served) assert.ok(documented.has(s), `undocumented route ${s}`);
    for (const d of documented) assert.ok(served.has(d), `documented but not served: ${d}`);
    assert.ok(documented.size >= 50, `only ${documented.size} operations`);
    const post = doc.paths["/api/incidents"]?.post as unknown as {
      requestBody: { content: Record<string, { schema: { properties: object } }> };
    };
    assert.ok("title" in post.requestBody.content["application/json"]!.schema.properties);
    // Roles and error responses come from the same declaration.
    assert.equal(doc.paths["/api/users"]?.get?.["x-role"], "admin");
    assert.equal(doc.paths["/api/health"]?.get?.["x-role"], "public");
    assert.ok(doc.paths["/api/incidents/{key}"]?.get?.responses["404"]);
    const list = doc.paths["/api/incidents"]?.get as unknown as { parameters: Array<{ name: string; schema: object }> };
    const demo = list.parameters.find((p) => p.name === "demo");
    assert.ok(demo);
    assert.deepEqual((demo.schema as { enum?: string[] }).enum, ["include", "only", "exclude"]);
  });
});

describe("static files", () => {
  test("serves files, falls back to index.html, never leaves the folder", async () => {
    const root = mkdtempSync(join(tmpdir(), "techtrail-web-"));
    const web = join(root, "dist");
    mkdirSync(join(web, "assets"), { recursive: true });
    writeFileSync(join(web, "index.html"), "<!doctype html><title>ui</title>");
    writeFileSync(join(web, "assets", "app.js"), "export {}");
    writeFileSync(join(root, "secret.txt"), "top secret");
    symlinkSync(join(root, "secret.txt"), join(web, "link.txt"));
    try {
      const app = createApp({ store: f.store, catalog: f.catalog, auth: f.auth, webDir: web });
      const js = await app.request("/assets/app.js");
      assert.equal(js.status, 200);
      assert.match(js.headers.get("content-type") ?? "", /javascript/);
      const spa = await app.request("/incidents/IR-2026-0001");
      assert.equal(spa.status, 200);
      assert.match(await spa.text(), /<title>ui<\/title>/);
      for (const p of [
        "/../secret.txt",
        "/%2e%2e/secret.txt",
        "/assets/%2e%2e/%2e%2e/secret.txt",
        "/link.txt",
        "/..%5csecret.txt",
      ]) {
        const res = await app.request(`http://localhost${p}`);
        const text = await res.text();
        assert.ok(!text.includes("top secret"), p);
      }
      assert.equal(resolveStaticPath(web, "/%2e%2e/secret.txt"), undefined);
      assert.equal(resolveStaticPath(web, "/link.txt"), undefined);
      assert.equal(resolveStaticPath(web, "/%E0%A4%A"), undefined);
      assert.ok(resolveStaticPath(web, "/assets/app.js"));
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
