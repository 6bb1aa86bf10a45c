// Test fixture for the HTTP API: a temporary SQLite store with the built-in catalog, one user and one API token
// per role, and helpers to sign in and send requests through app.request().
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Hono } from "hono";
import { type AuthStore, openAuthStore } from "../auth/auth-store.js";
import type { Role } from "../auth/model.js";
import type { Catalog } from "../catalog/catalog.js";
import { loadBuiltinCatalog } from "../catalog/load.js";
import { openSqliteStore } from "../store/sqlite.js";
import type { Store } from "../store/store.js";
import { type AppOptions, createApp } from "./app.js";
import type { AppEnv } from "./context.js";

export const PASSWORD = "correct horse battery";

export interface Fixture {
  app: Hono<AppEnv>;
  store: Store;
  auth: AuthStore;
  catalog: Catalog;
  dir: string;
  tokens: Record<Role, string>;
  close(): Promise<void>;
}

export async function makeFixture(
  extra: Partial<AppOptions> = {},
  open?: () => Promise<{ store: Store; cleanup: () => Promise<void> }>,
): Promise<Fixture> {
  const dir = mkdtempSync(join(tmpdir(), "techtrail-api-"));
  const opened = open ? await open() : undefined;
  const store = opened?.store ?? (await openSqliteStore(join(dir, "t.db")));
  const auth = await openAuthStore(store);
  const catalog = loadBuiltinCatalog();
  const tokens = {} as Record<Role, string>;
  for (const role of ["viewer", "responder", "admin"] as const) {
    await auth.createUser({ name: role, role, password: PASSWORD });
    tokens[role] = (await auth.createToken({ user: role, name: `${role}-token` })).secret;
  }
  const app = createApp({ store, catalog, auth, webDir: null, ...extra });
  return {
    app,
    store,
    auth,
    catalog,
    dir,
    tokens,
    async close() {
      if (opened) await opened.cleanup();
      else await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface Session {
  cookie: string;
  csrf: string;
}

/** Signs in and returns the cookie header and CSRF token. */
export async function login(app: Hono<AppEnv>, username: string, password = PASSWORD): Promise<Session> {
  const res = await app.request("/api/auth/login", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ username, password }),
  });
  if (res.status !== 200) throw new Error(`login ${username} failed: ${res.status} ${await res.text()}`);
  const cookies = res.headers.getSetCookie().map((c) => c.split(";")[0]);
  const body = (await res.json()) as { csrfToken: string };
  return { cookie: cookies.join("; "), csrf: body.csrfToken };
}

/** JSON request with a Bearer token. */
export function bearer(token: string, method = "GET", body?: unknown): RequestInit {
  const init: RequestInit = {
    method,
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
  };
  if (body !== undefined) init.body = JSON.stringify(body);
  return init;
}

/** JSON request with a session cookie (and its CSRF header unless `csrf` is false or a different string). */
export function withSession(s: Session, method = "GET", body?: unknown, csrf: string | false = s.csrf): RequestInit {
  const headers: Record<string, string> = { Cookie: s.cookie, "Content-Type": "application/json" };
  if (csrf !== false) headers["X-CSRF-Token"] = csrf;
  const init: RequestInit = { method, headers };
  if (body !== undefined) init.body = JSON.stringify(body);
  return init;
}
