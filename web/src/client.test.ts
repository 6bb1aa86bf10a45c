import assert from "node:assert/strict";
import { afterEach, test } from "node:test";
import { onUnauthorized, setCsrf } from "./api";
import type { IncidentSummary } from "./api-types";
import { client, href, ok, quietClient } from "./client";
import { useCall } from "./use-api";

const realFetch = globalThis.fetch;
afterEach(() => {
  globalThis.fetch = realFetch;
  setCsrf(null);
});

/** Replaces fetch with one that records requests and answers `status` with `body`. */
function fakeFetch(status: number, body: unknown) {
  const seen: Array<{ url: string; method: string; headers: Headers; body: unknown; res?: Response }> = [];
  globalThis.fetch = (async (input: RequestInfo | URL, init: RequestInit = {}) => {
    seen.push({
      url: String(input),
      method: init.method ?? "GET",
      headers: new Headers(init.headers),
      body: init.body,
    });
    const res = new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
    (seen[seen.length - 1] as { res?: Response }).res = res;
    return res;
  }) as typeof fetch;
  return seen;
}

test("API links leave out empty filters and repeat list keys", () => {
  assert.equal(href(client.incidents.$path()), "/api/incidents");
  assert.equal(
    href(
      client.incidents.export.$path({
        query: { q: "x&y", status: ["open", "contained"], severity: [], actor: "", format: "csv" },
      }),
    ),
    "/api/incidents/export?q=x%26y&status=open&status=contained&format=csv",
  );
  assert.equal(href(client.incidents[":key"].$path({ param: { key: "IR-2026-0001" } })), "/api/incidents/IR-2026-0001");
  // Path parameters are encoded: a name with a slash or a question mark stays one segment.
  assert.equal(href(client.users[":name"].$path({ param: { name: "a/b?c d" } })), "/api/users/a%2Fb%3Fc%20d");
});

test("the client sends the CSRF header on writes only, with the session cookie", async () => {
  const seen = fakeFetch(200, { items: [], total: 0, limit: 50, offset: 0 });
  setCsrf("tok-1", "X-CSRF-Token");
  await ok(client.incidents.$get({ query: { limit: 5 } }));
  await client.incidents[":key"].close.$post({ param: { key: "IR-2026-0001" }, json: {} });
  assert.equal(seen[0]?.url, "/api/incidents?limit=5");
  assert.equal(seen[0]?.headers.get("X-CSRF-Token"), null);
  assert.equal(seen[0]?.headers.get("Accept"), "application/json");
  assert.equal(seen[1]?.method, "POST");
  assert.equal(seen[1]?.url, "/api/incidents/IR-2026-0001/close");
  assert.equal(seen[1]?.headers.get("X-CSRF-Token"), "tok-1");
  assert.equal(seen[1]?.headers.get("Content-Type"), "application/json");
  assert.equal(seen[1]?.body, "{}");
  assert.equal(seen[1]?.res?.bodyUsed, true, "an answer nobody reads is still read, so the request ends");
  await client.tokens[":id"].$delete({ param: { id: "t/1" } });
  assert.equal(seen[2]?.url, "/api/tokens/t%2F1");
  assert.equal(seen[2]?.headers.get("X-CSRF-Token"), "tok-1");
});

test("a failed call throws ApiError; a 401 announces itself except from the quiet client", async () => {
  fakeFetch(401, { error: { code: "AUTH", message: "not signed in" } });
  let announced = 0;
  const off = onUnauthorized(() => announced++);
  try {
    await assert.rejects(ok(client.auth.me.$get()), { name: "ApiError", status: 401, message: "not signed in" });
    assert.equal(announced, 1);
    await assert.rejects(ok(quietClient.auth.me.$get()), { name: "ApiError", status: 401 });
    assert.equal(announced, 1, "the sign-in check stays quiet");
  } finally {
    off();
  }
});

// Type-level checks (web/tsconfig.json typechecks this file; `npm run typecheck`): a request or a response that
// does not match the server's route declaration is a compile error. Never called (a hook by name only for the
// lint rule on hooks).
export function useTypeChecks(): void {
  // @ts-expect-error: `technqiue` is not a query parameter of GET /api/incidents
  void client.incidents.$get({ query: { technqiue: "T1078" } });
  // @ts-expect-error: a wrong query parameter name through the loading hook
  useCall(client.stats.frequency.$get, { query: { quater: "2026Q1" } });
  // @ts-expect-error: `demo` takes include|only|exclude, not 1
  useCall(client.incidents.$get, { query: { demo: "1" } });
  // @ts-expect-error: no such path
  void client.incident.$get();
  // @ts-expect-error: GET /api/incidents/{key} needs its path parameter
  useCall(client.incidents[":key"].$get, {});
  const list = useCall(client.incidents.$get, { query: { status: "open", limit: 50 } });
  const first: IncidentSummary | undefined = list.data?.items[0];
  // @ts-expect-error: an incident summary has no `colour`
  void first?.colour;
}
