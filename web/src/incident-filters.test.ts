import assert from "node:assert/strict";
import { test } from "node:test";
import { client, href } from "./client";
import { filtersOf, incidentQuery } from "./incident-filters";

test("incident filters: address → API query, empty fields and impossible values left out", () => {
  const f = filtersOf(new URLSearchParams("q=+leaked+&status=open&demo=exclude&sort=colour&order=desc&offset=50"));
  assert.equal(f.q, " leaked ");
  assert.equal(f.tactic, "");
  const q = incidentQuery(f);
  assert.deepEqual(
    { q: q.q, status: q.status, demo: q.demo, sort: q.sort, order: q.order },
    { q: "leaked", status: "open", demo: "exclude", sort: undefined, order: "desc" },
  );
  assert.equal(
    href(client.incidents.$path({ query: { ...q, limit: 50, offset: 0 } })),
    "/api/incidents?q=leaked&status=open&demo=exclude&order=desc&limit=50&offset=0",
  );
});
