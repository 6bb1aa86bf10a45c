// The auth store (users, sessions, API tokens) on SQLite and, when TECHTRAIL_TEST_DATABASE_URL is set
// (scripts/with-postgres.sh), on PostgreSQL in a schema of its own.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { isTechtrailError } from "../core/errors.js";
import { openTestPostgresStore } from "../store/postgres-test-store.js";
import { openSqliteStore } from "../store/sqlite.js";
import type { Store } from "../store/store.js";
import { openAuthStore } from "./auth-store.js";

type Open = () => Promise<{ store: Store; cleanup: () => Promise<void> }>;

const sqlite: Open = async () => {
  const dir = mkdtempSync(join(tmpdir(), "techtrail-auth-"));
  const store = await openSqliteStore(join(dir, "a.db"));
  return {
    store,
    cleanup: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
};

const url = process.env.TECHTRAIL_TEST_DATABASE_URL;
const postgres: Open = () => openTestPostgresStore(url as string, "tt_auth");

const code = (e: unknown) => (isTechtrailError(e) ? e.code : String(e));

function contract(name: string, open: Open): void {
  describe(`auth store on ${name}`, () => {
    test("users: create, duplicate, password check, update, last admin, delete with sessions and tokens", async () => {
      const { store, cleanup } = await open();
      try {
        const auth = await openAuthStore(store);
        await auth.migrate(); // idempotent
        assert.equal(await auth.countUsers(), 0);
        const { user, generatedPassword } = await auth.createUser({ name: "Admin", role: "admin" });
        assert.ok(generatedPassword && generatedPassword.length === 20);
        assert.equal(user.role, "admin");
        await assert.rejects(
          auth.createUser({ name: "admin", password: "another password" }),
          (e) => code(e) === "CONFLICT",
        );
        await assert.rejects(
          auth.createUser({ name: "x y", password: "long enough pw" }),
          (e) => code(e) === "VALIDATION",
        );
        await assert.rejects(auth.createUser({ name: "short", password: "short" }), (e) => code(e) === "VALIDATION");
        assert.equal((await auth.checkPassword("ADMIN", generatedPassword))?.name, "Admin");
        assert.equal(await auth.checkPassword("admin", "wrong password"), undefined);
        assert.equal(await auth.checkPassword("nobody", generatedPassword), undefined);
        await assert.rejects(auth.updateUser("admin", { role: "viewer" }), (e) => code(e) === "CONFLICT");
        await assert.rejects(auth.updateUser("admin", { disabled: true }), (e) => code(e) === "CONFLICT");
        await assert.rejects(auth.deleteUser("admin"), (e) => code(e) === "CONFLICT");
        await auth.createUser({ name: "eve", role: "responder", password: "purple otter meadow" });
        const s = await auth.createSession(await auth.requireUser("eve"));
        const t = await auth.createToken({ user: "eve", name: "ci" });
        assert.equal((await auth.sessionPrincipal(s.token))?.user.name, "eve");
        await auth.updateUser("eve", { password: "amber falcon river" });
        assert.equal(await auth.sessionPrincipal(s.token), undefined, "a new password ends sessions");
        assert.equal((await auth.tokenPrincipal(t.secret))?.role, "responder");
        await auth.updateUser("eve", { disabled: true });
        assert.equal(await auth.tokenPrincipal(t.secret), undefined, "a disabled user's tokens stop working");
        assert.equal(await auth.checkPassword("eve", "amber falcon river"), undefined);
        await auth.deleteUser("eve");
        assert.deepEqual(await auth.listTokens(), []);
        assert.deepEqual(
          (await auth.listUsers()).map((u) => u.name),
          ["Admin"],
        );
      } finally {
        await cleanup();
      }
    });

    test("at least one active admin survives concurrent demotions, disables and deletes (60 rounds)", async () => {
      const { store, cleanup } = await open();
      try {
        const auth = await openAuthStore(store);
        await auth.createUser({ name: "ada", role: "admin", password: "lantern orbit willow" });
        await auth.createUser({ name: "bea", role: "admin", password: "copper tide glacier" });
        const activeAdmins = async () =>
          (await auth.listUsers()).filter((u) => u.role === "admin" && !u.disabled).map((u) => u.name);
        // two admins demoting each other, one admin demoting the other and then herself, disable vs demote
        const moves: Array<[string, Record<string, unknown>, string, Record<string, unknown>]> = [
          ["ada", { role: "responder" }, "bea", { role: "viewer" }],
          ["bea", { role: "viewer" }, "ada", { role: "viewer" }],
          ["ada", { disabled: true }, "bea", { role: "responder" }],
          ["bea", { disabled: true }, "ada", { disabled: true }],
        ];
        for (let round = 0; round < 60; round++) {
          await auth.updateUser("ada", { role: "admin", disabled: false });
          await auth.updateUser("bea", { role: "admin", disabled: false });
          const [u1, p1, u2, p2] = moves[round % moves.length] as (typeof moves)[number];
          const results = await Promise.allSettled([auth.updateUser(u1, p1), auth.updateUser(u2, p2)]);
          const refused = results.filter((r) => r.status === "rejected");
          assert.equal(refused.length, 1, `round ${round}: exactly one change is refused`);
          assert.equal(code((refused[0] as PromiseRejectedResult).reason), "CONFLICT");
          assert.equal((await activeAdmins()).length, 1, `round ${round}: one active admin left`);
        }
        await auth.updateUser("ada", { role: "admin", disabled: false });
        await auth.updateUser("bea", { role: "admin", disabled: false });
        const deletes = await Promise.allSettled([auth.deleteUser("ada"), auth.deleteUser("bea")]);
        assert.equal(deletes.filter((r) => r.status === "rejected").length, 1);
        assert.equal((await activeAdmins()).length, 1);
      } finally {
        await cleanup();
      }
    });

    test("password policy in the store: user name, reuse of the current password; sign-in ends older sessions; revoke all tokens", async () => {
      const { store, cleanup } = await open();
      try {
        const auth = await openAuthStore(store);
        await assert.rejects(
          auth.createUser({ name: "mallory", password: "mallory is great" }),
          (e) => code(e) === "VALIDATION",
        );
        await assert.rejects(
          auth.createUser({ name: "nul", password: "\u0000".repeat(10) }),
          (e) => code(e) === "VALIDATION",
        );
        const { user } = await auth.createUser({ name: "otto", role: "responder", password: "granite meadow lark" });
        await assert.rejects(
          auth.updateUser("otto", { password: "granite meadow lark" }),
          (e) => code(e) === "VALIDATION" && /differ/.test(String((e as Error).message)),
        );
        await assert.rejects(auth.updateUser("otto", { password: "aaaaaaaaaa" }), (e) => code(e) === "VALIDATION");
        await auth.updateUser("otto", { password: "silver harbor finch" });
        // a second sign-in ends the first session
        const first = await auth.createSession(user);
        const second = await auth.createSession(user);
        assert.equal(await auth.sessionPrincipal(first.token), undefined);
        assert.equal((await auth.sessionPrincipal(second.token))?.user.name, "otto");
        // every token of the user at once
        const t1 = await auth.createToken({ user: "otto", name: "ci" });
        const t2 = await auth.createToken({ user: "otto", name: "laptop" });
        assert.equal(await auth.revokeUserTokens("OTTO"), 2);
        assert.equal(await auth.tokenPrincipal(t1.secret), undefined);
        assert.equal(await auth.tokenPrincipal(t2.secret), undefined);
        assert.equal(await auth.revokeUserTokens("otto"), 0);
        await assert.rejects(auth.revokeUserTokens("nobody"), (e) => code(e) === "NOT_FOUND");
      } finally {
        await cleanup();
      }
    });

    test("sessions expire; tokens: hashed, role capped by the user, revocable, expiring", async () => {
      const { store, cleanup } = await open();
      try {
        const auth = await openAuthStore(store, { sessionTtlMs: 50 });
        const { user } = await auth.createUser({ name: "val", role: "viewer", password: "quiet granite harbor" });
        const s = await auth.createSession(user);
        assert.ok((await auth.sessionPrincipal(s.token))?.csrfToken);
        await new Promise((r) => setTimeout(r, 80));
        assert.equal(await auth.sessionPrincipal(s.token), undefined);
        const t = await auth.createToken({ user: "val", name: "wants more", role: "admin" });
        assert.match(t.secret, /^tt_[A-Za-z0-9_-]{43}$/);
        const rows = await (
          store as unknown as { db: { query: (s: string) => Promise<Array<Record<string, unknown>>> } }
        ).db.query("SELECT token_hash FROM auth_tokens");
        assert.ok(!JSON.stringify(rows).includes(t.secret.slice(3)), "the secret is not stored");
        assert.equal((await auth.tokenPrincipal(t.secret))?.role, "viewer");
        assert.equal(await auth.tokenPrincipal("tt_not-a-token"), undefined);
        await auth.revokeToken(t.token.id);
        assert.equal(await auth.tokenPrincipal(t.secret), undefined);
        assert.ok((await auth.listTokens("val"))[0]?.revokedAt);
        await assert.rejects(auth.revokeToken("missing"), (e) => code(e) === "NOT_FOUND");
        await assert.rejects(auth.createToken({ user: "nobody" }), (e) => code(e) === "NOT_FOUND");
      } finally {
        await cleanup();
      }
    });
  });
}

contract("SQLite", sqlite);
if (url) contract("PostgreSQL", postgres);
else
  test("auth store on PostgreSQL", {
    skip: "TECHTRAIL_TEST_DATABASE_URL is not set (scripts/with-postgres.sh sets it)",
  }, () => {});
