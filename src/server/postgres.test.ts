// The API over a PostgreSQL store (TECHTRAIL_TEST_DATABASE_URL, set by scripts/with-postgres.sh): sign-in, CSRF,
// incident writes with the audit actor, list filters, matrix counts, analytics and concurrent writers.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { IncidentRegister } from "../register/register.js";
import { openTestPostgresStore } from "../store/postgres-test-store.js";
import { bearer, type Fixture, login, makeFixture, withSession } from "./test-helpers.js";

const url = process.env.TECHTRAIL_TEST_DATABASE_URL;

if (!url) {
  test("API on PostgreSQL", {
    skip: "TECHTRAIL_TEST_DATABASE_URL is not set (scripts/with-postgres.sh sets it)",
  }, () => {});
} else {
  describe("API on PostgreSQL", () => {
    let f: Fixture;
    before(async () => {
      f = await makeFixture({}, () => openTestPostgresStore(url, "tt_api", { maxConnections: 10 }));
      await new IncidentRegister(f.store, f.catalog).seedDemo({ incidents: 60, seed: 3 }, { actor: "test" });
    });
    after(async () => {
      await f?.close();
    });

    test("session writes need CSRF; history names the user; list, matrix and stats read PostgreSQL", async () => {
      const s = await login(f.app, "responder");
      const body = { title: "<b>PG</b> incident", techniques: [{ id: "T1078.A001" }] };
      assert.equal((await f.app.request("/api/incidents", withSession(s, "POST", body, false))).status, 403);
      const res = await f.app.request("/api/incidents", withSession(s, "POST", body));
      assert.equal(res.status, 201);
      const inc = (await res.json()) as { key: string };
      const h = (await (await f.app.request(`/api/incidents/${inc.key}/history`, bearer(f.tokens.viewer))).json()) as {
        items: Array<{ actor: string }>;
      };
      assert.equal(h.items[0]?.actor, "responder");
      const list = (await (await f.app.request("/api/incidents?demo=exclude", bearer(f.tokens.viewer))).json()) as {
        total: number;
      };
      assert.equal(list.total, 1);
      const m = (await (await f.app.request("/api/catalog/matrix?demo=exclude", bearer(f.tokens.viewer))).json()) as {
        totalIncidents: number;
      };
      assert.equal(m.totalIncidents, 1);
      const freq = (await (await f.app.request("/api/stats/frequency", bearer(f.tokens.viewer))).json()) as {
        scope: { incidents: number };
      };
      assert.equal(freq.scope.incidents, 61);
    });

    test("50 concurrent writers: every 201 is stored, keys unique", async () => {
      const before = await f.store.count();
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          f.app.request("/api/incidents", bearer(f.tokens.responder, "POST", { title: `writer ${i}` })),
        ),
      );
      const keys = await Promise.all(results.map(async (r) => ((await r.json()) as { key: string }).key));
      assert.ok(results.every((r) => r.status === 201));
      assert.equal(new Set(keys).size, 50);
      assert.equal(await f.store.count(), before + 50);
    });
  });
}
