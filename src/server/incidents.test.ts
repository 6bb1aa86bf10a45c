// Incident endpoints through app.request(): CRUD, tags, history, import/export, and bad input (malformed JSON,
// wrong types, oversized bodies, unknown keys, HTML in text) each answered with the right 4xx and no change.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { bearer, type Fixture, makeFixture } from "./test-helpers.js";

let f: Fixture;
let tok: string;
before(async () => {
  f = await makeFixture({ limits: { jsonBytes: 64 * 1024, importBytes: 256 * 1024 } });
  tok = f.tokens.responder;
});
after(async () => {
  await f.close();
});

const req = (path: string, method = "GET", body?: unknown) => f.app.request(path, bearer(tok, method, body));
const raw = (path: string, method: string, body: string, type = "application/json") =>
  f.app.request(path, { method, headers: { Authorization: `Bearer ${tok}`, "Content-Type": type }, body });
type Err = { error: { code: string; message: string; details: { problems?: Array<{ field?: string }> } } };

describe("incident CRUD", () => {
  test("create, show, list with filters, edit, tag, close, history, delete", async () => {
    const created = await req("/api/incidents", "POST", {
      title: "Crypto mining in eu-west-1",
      severity: "P1",
      techniques: [{ id: "t1496.a001" }],
      timeline: { detected: "2026-03-04T10:00:00Z" },
    });
    assert.equal(created.status, 201);
    const inc = (await created.json()) as { key: string; techniques: Array<{ id: string }> };
    assert.match(inc.key, /^IR-\d{4}-\d{4}$/);
    const shown = (await (await req(`/api/incidents/${inc.key.toLowerCase()}`)).json()) as { title: string };
    assert.equal(shown.title, "Crypto mining in eu-west-1");
    const list = (await (await req("/api/incidents?severity=P1&status=open&limit=10")).json()) as {
      items: Array<{ key: string }>;
      total: number;
    };
    assert.ok(list.items.some((i) => i.key === inc.key));
    const none = (await (await req("/api/incidents?severity=P4")).json()) as { total: number };
    assert.equal(none.total, 0);
    assert.equal((await req("/api/incidents?severity=P9")).status, 400);
    const edited = await req(`/api/incidents/${inc.key}`, "PATCH", {
      set: { threat_actor: "scattered spider" },
      add: [["tags", "mining"]],
    });
    assert.equal(edited.status, 200);
    const tagged = await req(`/api/incidents/${inc.key}/techniques`, "POST", {
      techniques: [{ id: "T1078.A001", confidence: "confirmed", evidence: "key used from TOR" }],
    });
    assert.equal(tagged.status, 200);
    const t = (await tagged.json()) as { incident: { techniques: Array<{ id: string }> } };
    assert.deepEqual(t.incident.techniques.map((x) => x.id).sort(), ["T1078.A001", "T1496.A001"]);
    const byTech = (await (await req("/api/incidents?technique=T1078")).json()) as { total: number };
    assert.equal(byTech.total, 1);
    const closed = await req(`/api/incidents/${inc.key}/close`, "POST", { at: "2026-03-06T00:00:00Z" });
    assert.equal(closed.status, 200);
    assert.equal((await req(`/api/incidents/${inc.key}/close`, "POST", {})).status, 409);
    const del = await req(`/api/incidents/${inc.key}`, "DELETE");
    assert.equal(del.status, 200);
    assert.equal((await req(`/api/incidents/${inc.key}`)).status, 404);
    const h = (await (await req(`/api/incidents/${inc.key}/history`)).json()) as { items: Array<{ action: string }> };
    assert.deepEqual(
      h.items.map((e) => e.action),
      ["create", "update", "tag", "close", "delete"],
    );
  });

  test("unknown keys and techniques are 404, malformed keys 400", async () => {
    for (const [method, path, body] of [
      ["GET", "/api/incidents/IR-2020-9999", undefined],
      ["PATCH", "/api/incidents/IR-2020-9999", { set: { title: "x" } }],
      ["DELETE", "/api/incidents/IR-2020-9999", undefined],
      ["POST", "/api/incidents/IR-2020-9999/techniques", { techniques: [{ id: "T1078" }] }],
      ["GET", "/api/incidents/IR-2020-9999/history", undefined],
    ] as const) {
      const res = await req(path, method, body);
      assert.equal(res.status, 404, `${method} ${path}`);
      assert.equal(((await res.json()) as Err).error.code, "NOT_FOUND");
    }
    assert.equal((await req("/api/incidents/not%20a%20key")).status, 400);
    // A well-formed team key that is not in the register is simply not found.
    assert.equal((await req("/api/incidents/SEC-1234")).status, 404);
    const before = await f.store.count();
    const res = await req("/api/incidents", "POST", { title: "x", techniques: [{ id: "T9999.999" }] });
    assert.equal(res.status, 400);
    assert.match(JSON.stringify(await res.json()), /T9999\.999/);
    assert.equal(await f.store.count(), before);
  });
});

describe("control characters", () => {
  test("?q=%00 and a title with NUL are 400 VALIDATION naming the field, not a match of everything", async () => {
    const search = await req("/api/incidents?q=%00");
    assert.equal(search.status, 400);
    assert.match(await search.text(), /control characters/);
    const created = await req("/api/incidents", "POST", { title: "nul\u0000title" });
    assert.equal(created.status, 400);
    assert.match(await created.text(), /title/);
  });
});

describe("bad input changes nothing", () => {
  test("malformed JSON → 400 VALIDATION naming the problem", async () => {
    const before = await f.store.count();
    const res = await raw("/api/incidents", "POST", '{"title": "x",');
    assert.equal(res.status, 400);
    const e = (await res.json()) as Err;
    assert.equal(e.error.code, "VALIDATION");
    assert.match(e.error.message, /malformed JSON/);
    assert.equal((await raw("/api/incidents", "POST", "")).status, 400);
    assert.equal((await raw("/api/incidents", "POST", '{"title":"x"}', "text/plain")).status, 400);
    assert.equal(await f.store.count(), before);
  });

  test("wrong types → 400 naming each field", async () => {
    const before = await f.store.count();
    const res = await req("/api/incidents", "POST", { title: 42, severity: "urgent", accounts: "123" });
    assert.equal(res.status, 400);
    const fields = ((await res.json()) as Err).error.details.problems?.map((p) => p.field);
    assert.ok(fields?.includes("title"));
    assert.ok(fields?.includes("severity"));
    assert.ok(fields?.includes("accounts"));
    const edit = await req("/api/incidents/IR-2026-0001", "PATCH", { set: { nope: "x" } });
    assert.equal(edit.status, 400);
    assert.equal(await f.store.count(), before);
  });

  test("oversized bodies → 413, with or without Content-Length", async () => {
    const before = await f.store.count();
    const big = JSON.stringify({ title: "big", notes: "x".repeat(100 * 1024) });
    const res = await raw("/api/incidents", "POST", big);
    assert.equal(res.status, 413);
    assert.equal(((await res.json()) as Err).error.code, "VALIDATION");
    const stream = new ReadableStream({
      start(ctrl) {
        for (let i = 0; i < 10; i++) ctrl.enqueue(new TextEncoder().encode(big.slice(i * 11000, (i + 1) * 11000)));
        ctrl.close();
      },
    });
    const chunked = await f.app.request("/api/incidents", {
      method: "POST",
      headers: { Authorization: `Bearer ${tok}`, "Content-Type": "application/json", "Transfer-Encoding": "chunked" },
      body: stream,
      duplex: "half",
    } as RequestInit);
    assert.equal(chunked.status, 413);
    assert.equal(await f.store.count(), before);
  });

  test("HTML and script in incident text are stored as text and returned escaped", async () => {
    const title = `<script>alert("x")</script><img src=x onerror=alert(1)>`;
    const res = await req("/api/incidents", "POST", { title, notes: "</script><b>&amp;" });
    assert.equal(res.status, 201);
    const text = await res.text();
    assert.ok(!text.includes("<script>"), "no raw markup in the JSON text");
    assert.match(text, /\\u003cscript\\u003e/);
    assert.match(res.headers.get("content-type") ?? "", /application\/json/);
    const inc = JSON.parse(text) as { key: string; title: string };
    assert.equal(inc.title, title, "stored exactly as typed");
    const back = (await (await req(`/api/incidents/${inc.key}`)).json()) as { title: string };
    assert.equal(back.title, title);
  });
});

describe("import and export", () => {
  test("JSON import is all or nothing; CSV export re-imports", async () => {
    const before = await f.store.count();
    const bad = await req("/api/incidents/import", "POST", [{ title: "ok one" }, { title: "" }]);
    assert.equal(bad.status, 400);
    assert.equal(await f.store.count(), before);
    const ok = await req("/api/incidents/import", "POST", [
      { title: "imported one", techniques: [{ id: "T1078.A001" }] },
      { title: "imported two" },
    ]);
    assert.equal(ok.status, 201);
    assert.equal(((await ok.json()) as { created: number }).created, 2);
    assert.equal(await f.store.count(), before + 2);
    const csv = await req("/api/incidents/export?format=csv&q=imported");
    assert.equal(csv.status, 200);
    assert.match(csv.headers.get("content-type") ?? "", /text\/csv/);
    const text = await csv.text();
    assert.match(text, /imported one/);
    // Same keys again: conflict, nothing imported.
    const again = await raw("/api/incidents/import", "POST", text, "text/csv");
    assert.equal(again.status, 409);
    assert.equal(await f.store.count(), before + 2);
    const fresh = text.replace(/IR-\d{4}-\d{4}/g, "");
    const csvImport = await raw("/api/incidents/import?dryRun=1", "POST", fresh, "text/csv");
    assert.equal(csvImport.status, 200);
    assert.equal(await f.store.count(), before + 2);
    const json = (await (await req("/api/incidents/export?format=json")).json()) as { incidents: unknown[] };
    assert.equal(json.incidents.length, before + 2);
  });

  test("?upsert=1 updates incidents by team key with one audit row each; a bad key names the pattern", async () => {
    await f.store.setKeyPattern("SEC-\\d+");
    try {
      const first = await req("/api/incidents/import", "POST", [{ key: "SEC-77", title: "From the ticket system" }]);
      assert.equal(first.status, 201);
      const bad = await req("/api/incidents/import?upsert=1", "POST", [{ key: "OPS-1", title: "x" }]);
      assert.equal(bad.status, 400);
      assert.match(JSON.stringify(await bad.json()), /incidents\.0\.key.*OPS-1 does not match.*SEC-\\\\d\+/);
      const up = await req("/api/incidents/import?upsert=1", "POST", {
        format: "techtrail-incidents/1",
        incidents: [
          { key: "SEC-77", title: "From the ticket system", severity: "P1" },
          { key: "SEC-78", title: "New one" },
        ],
      });
      assert.equal(up.status, 201);
      const body = (await up.json()) as { keys: string[]; updatedKeys: string[]; unchanged: number };
      assert.deepEqual([body.keys, body.updatedKeys, body.unchanged], [["SEC-78"], ["SEC-77"], 0]);
      const history = (await (await req("/api/incidents/SEC-77/history")).json()) as {
        items: Array<{ action: string; note: string | null }>;
      };
      assert.deepEqual(
        history.items.map((e) => [e.action, e.note]),
        [
          ["import", "import through the API"],
          ["update", "import through the API: changed severity"],
        ],
      );
    } finally {
      await f.store.setKeyPattern(undefined);
    }
  });

  test("viewer cannot import", async () => {
    const res = await f.app.request("/api/incidents/import", bearer(f.tokens.viewer, "POST", [{ title: "x" }]));
    assert.equal(res.status, 403);
  });
});
