// Sign-in, roles, CSRF, API tokens, rate limiting and the admin routes, through app.request().
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { hashPassword, verifyPassword } from "../auth/password.js";
import { bearer, type Fixture, login, makeFixture, PASSWORD, withSession } from "./test-helpers.js";

let f: Fixture;
before(async () => {
  f = await makeFixture({ loginLimit: { maxPerUser: 5, maxPerIp: 50 } });
});
after(async () => {
  await f.close();
});

const NEW = { title: "Leaked key used from unknown IP", severity: "P2" };
const post = (init: RequestInit) => f.app.request("/api/incidents", init);
const count = () => f.store.count();

describe("passwords", () => {
  test("scrypt hashes are salted and verify only the right password", async () => {
    const a = await hashPassword("s3cret-password");
    const b = await hashPassword("s3cret-password");
    assert.notEqual(a, b);
    assert.match(a, /^scrypt\$/);
    assert.ok(!a.includes("s3cret"));
    assert.equal(await verifyPassword("s3cret-password", a), true);
    assert.equal(await verifyPassword("s3cret-passwore", a), false);
    assert.equal(await verifyPassword("x", "garbage"), false);
  });
});

describe("sign-in", () => {
  test("login sets HttpOnly SameSite=Strict cookie; me returns user and CSRF token; logout ends the session", async () => {
    const res = await f.app.request("/api/auth/login", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ username: "responder", password: PASSWORD }),
    });
    assert.equal(res.status, 200);
    const cookies = res.headers.getSetCookie();
    const session = cookies.find((c) => c.startsWith("tt_session="));
    assert.ok(session);
    assert.match(session, /HttpOnly/);
    assert.match(session, /SameSite=Strict/);
    assert.doesNotMatch(session, /Secure/); // plain http in tests
    const s = await login(f.app, "responder");
    const me = await f.app.request("/api/auth/me", withSession(s));
    const body = (await me.json()) as { user: { name: string; role: string }; csrfToken: string };
    assert.equal(body.user.name, "responder");
    assert.equal(body.csrfToken, s.csrf);
    assert.ok(!JSON.stringify(body).includes("password"));
    const out = await f.app.request("/api/auth/logout", withSession(s, "POST"));
    assert.equal(out.status, 200);
    assert.equal((await f.app.request("/api/auth/me", withSession(s))).status, 401);
  });

  test("Secure cookie over https", async () => {
    const res = await f.app.request("https://techtrail.example/api/auth/login", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ username: "viewer", password: PASSWORD }),
    });
    assert.match(res.headers.getSetCookie().find((c) => c.startsWith("tt_session=")) ?? "", /Secure/);
  });

  test("wrong password and unknown user are both 401 with the same message", async () => {
    const bad = (username: string) =>
      f.app.request("http://x/api/auth/login", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ username, password: "wrong password" }),
      });
    const a = await bad("admin");
    const b = await bad("nobody");
    assert.equal(a.status, 401);
    assert.equal(b.status, 401);
    assert.deepEqual(await a.json(), await b.json());
    assert.equal(a.headers.getSetCookie().length, 0);
  });

  test("five failures for one user in the window → 429 even with the right password", async () => {
    await f.auth.createUser({ name: "target", role: "viewer", password: PASSWORD });
    const attempt = (password: string) =>
      f.app.request("/api/auth/login", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ username: "target", password }),
      });
    for (let i = 0; i < 5; i++) assert.equal((await attempt("nope nope nope")).status, 401);
    const limited = await attempt(PASSWORD);
    assert.equal(limited.status, 429);
    assert.ok(Number(limited.headers.get("retry-after")) > 0);
    assert.equal(((await limited.json()) as { error: { code: string } }).error.code, "RATE_LIMIT");
  });
});

describe("roles", () => {
  test("no session → 401; viewer cannot write → 403; responder can", async () => {
    const before = await count();
    assert.equal((await f.app.request("/api/incidents")).status, 401);
    assert.equal(
      (await post({ method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(NEW) }))
        .status,
      401,
    );
    const v = await login(f.app, "viewer");
    assert.equal((await post(withSession(v, "POST", NEW))).status, 403);
    assert.equal((await post(bearer(f.tokens.viewer, "POST", NEW))).status, 403);
    assert.equal(await count(), before);
    const created = await post(bearer(f.tokens.responder, "POST", NEW));
    assert.equal(created.status, 201);
    const inc = (await created.json()) as { key: string };
    assert.equal(await count(), before + 1);
    for (const [method, path, body] of [
      ["PATCH", `/api/incidents/${inc.key}`, { set: { title: "x" } }],
      ["DELETE", `/api/incidents/${inc.key}`, undefined],
      ["POST", `/api/incidents/${inc.key}/techniques`, { techniques: [{ id: "T1078.A001" }] }],
    ] as const) {
      assert.equal((await f.app.request(path, withSession(v, method, body))).status, 403, `${method} ${path}`);
      assert.equal((await f.app.request(path, bearer(f.tokens.viewer, method, body))).status, 403, `${method} ${path}`);
    }
    assert.equal(
      ((await (await f.app.request(`/api/incidents/${inc.key}`, bearer(f.tokens.viewer))).json()) as { title: string })
        .title,
      NEW.title,
    );
  });

  test("the audit actor is the signed-in user or the token's user", async () => {
    const inc = (await (await post(bearer(f.tokens.responder, "POST", NEW))).json()) as { key: string };
    const a = await login(f.app, "admin");
    const r = await f.app.request(`/api/incidents/${inc.key}`, withSession(a, "PATCH", { set: { severity: "P1" } }));
    assert.equal(r.status, 200);
    const h = (await (await f.app.request(`/api/incidents/${inc.key}/history`, bearer(f.tokens.viewer))).json()) as {
      items: Array<{ actor: string; action: string }>;
    };
    assert.deepEqual(
      h.items.map((e) => [e.action, e.actor]),
      [
        ["create", "responder"],
        ["update", "admin"],
      ],
    );
  });

  test("admin routes: responder and viewer tokens get 403, admin manages users and tokens", async () => {
    for (const t of [f.tokens.viewer, f.tokens.responder])
      assert.equal((await f.app.request("/api/users", bearer(t))).status, 403);
    const created = await f.app.request(
      "/api/users",
      bearer(f.tokens.admin, "POST", { name: "carol", role: "responder" }),
    );
    assert.equal(created.status, 201);
    const { generatedPassword } = (await created.json()) as { generatedPassword: string };
    assert.ok(generatedPassword.length >= 16);
    await login(f.app, "carol", generatedPassword);
    assert.equal((await f.app.request("/api/users", bearer(f.tokens.admin, "POST", { name: "carol" }))).status, 409);
    assert.equal((await f.app.request("/api/users/nobody", bearer(f.tokens.admin))).status, 404);
    const patched = await f.app.request("/api/users/carol", bearer(f.tokens.admin, "PATCH", { role: "viewer" }));
    assert.equal(((await patched.json()) as { role: string }).role, "viewer");
    const tok = await f.app.request("/api/tokens", bearer(f.tokens.admin, "POST", { user: "carol", name: "ci" }));
    assert.equal(tok.status, 201);
    const { token, secret } = (await tok.json()) as { token: { id: string }; secret: string };
    assert.match(secret, /^tt_/);
    assert.equal((await f.app.request("/api/incidents", bearer(secret))).status, 200);
    const listed = (await (await f.app.request("/api/tokens?user=carol", bearer(f.tokens.admin))).json()) as {
      items: unknown[];
    };
    assert.equal(listed.items.length, 1);
    assert.ok(!JSON.stringify(listed).includes(secret));
    assert.equal((await f.app.request(`/api/tokens/${token.id}`, bearer(f.tokens.admin, "DELETE"))).status, 200);
    assert.equal((await f.app.request("/api/incidents", bearer(secret))).status, 401);
    assert.equal((await f.app.request("/api/tokens/nope", bearer(f.tokens.admin, "DELETE"))).status, 404);
    assert.equal((await f.app.request("/api/users/carol", bearer(f.tokens.admin, "DELETE"))).status, 200);
  });

  test("a token never exceeds its user's role; bad Authorization headers are 401", async () => {
    const { secret } = await f.auth.createToken({ user: "viewer", name: "wants-admin", role: "admin" });
    assert.equal((await f.app.request("/api/users", bearer(secret))).status, 403);
    assert.equal((await post(bearer(secret, "POST", NEW))).status, 403);
    assert.equal((await f.app.request("/api/incidents", bearer("tt_forged"))).status, 401);
    assert.equal((await f.app.request("/api/incidents", { headers: { Authorization: "Basic abc" } })).status, 401);
  });

  test("the last admin cannot be demoted or deleted", async () => {
    const solo = await makeFixture();
    try {
      const r = await solo.app.request("/api/users/admin", bearer(solo.tokens.admin, "PATCH", { role: "viewer" }));
      assert.equal(r.status, 409);
      assert.equal((await solo.app.request("/api/users/admin", bearer(solo.tokens.admin, "DELETE"))).status, 409);
    } finally {
      await solo.close();
    }
  });
});

describe("CSRF", () => {
  test("cookie writes need the X-CSRF-Token header; Bearer requests are exempt", async () => {
    const s = await login(f.app, "responder");
    const before = await count();
    const none = await post(withSession(s, "POST", NEW, false));
    assert.equal(none.status, 403);
    assert.match(((await none.json()) as { error: { message: string } }).error.message, /CSRF/);
    assert.equal((await post(withSession(s, "POST", NEW, "forged-token-value"))).status, 403);
    const other = await login(f.app, "admin");
    assert.equal((await post(withSession(s, "POST", NEW, other.csrf))).status, 403);
    assert.equal(await count(), before);
    assert.equal((await post(withSession(s, "POST", NEW))).status, 201);
    assert.equal((await post(bearer(f.tokens.responder, "POST", NEW))).status, 201);
    assert.equal(await count(), before + 2);
    // Logout is a state change too.
    assert.equal((await f.app.request("/api/auth/logout", withSession(s, "POST", undefined, false))).status, 403);
    assert.equal((await f.app.request("/api/auth/me", withSession(s))).status, 200);
  });
});
