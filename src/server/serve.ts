// Runs the techtrail service on a socket: opens the store (SQLite ./techtrail.db, or PostgreSQL when
// TECHTRAIL_DATABASE_URL is set), the auth tables and the catalog; on the very first start (no users, no
// incidents) seeds the demo register and creates an `admin` user with a one-time password that is returned
// for printing (only its scrypt hash is stored); then listens with @hono/node-server, on 127.0.0.1 by default.
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { serve } from "@hono/node-server";
import { type AuthStore, openAuthStore } from "../auth/auth-store.js";
import type { Catalog } from "../catalog/catalog.js";
import { loadCatalog } from "../catalog/overlay.js";
import { TechtrailError } from "../core/errors.js";
import { packagePath } from "../core/paths.js";
import { IncidentRegister } from "../register/register.js";
import { RuleSetCache } from "../scan/rule-cache.js";
import { type OpenStoreOptions, openStore } from "../store/open.js";
import type { Store } from "../store/store.js";
import { type AppOptions, createApp } from "./app.js";

export const DEFAULT_HOST = "127.0.0.1";
export const DEFAULT_PORT = 4317;
export const DEFAULT_WEB_DIR = packagePath("web", "dist");

export interface ServiceOptions {
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Store location (file or postgres:// URL); default from the environment. */
  db?: string;
  env?: NodeJS.ProcessEnv;
  /** Seed the demo register on the first start of an empty store (default true). */
  demo?: boolean;
  webDir?: string | null;
  catalog?: Catalog;
  /** Catalog folder to load (default: the shipped catalog); its releases/ are the ones served. Ignored with `catalog`. */
  catalogDir?: string;
  /** Team overlay folder loaded on top of the catalog. Ignored with `catalog`. */
  overlayDir?: string;
  app?: Partial<AppOptions>;
  log?: (line: string) => void;
}

export interface RunningService {
  url: string;
  port: number;
  host: string;
  store: Store;
  auth: AuthStore;
  /** The catalog served, overlay included. */
  catalog: Catalog;
  /** Set on the first start only: the generated password of the `admin` user (not stored in clear). */
  adminPassword?: string;
  /** Demo incidents created on this start. */
  seeded: number;
  close(): Promise<void>;
}

/** First start of an empty store: no users and no incidents. Seeds demo data and creates the admin. */
export async function initialiseService(
  store: Store,
  auth: AuthStore,
  catalog: Catalog,
  opts: { demo: boolean },
): Promise<{ adminPassword?: string; seeded: number }> {
  const out: { adminPassword?: string; seeded: number } = { seeded: 0 };
  if ((await auth.countUsers()) > 0) return out;
  if (opts.demo && (await store.count()) === 0) {
    const r = await new IncidentRegister(store, catalog).seedDemo({}, { actor: "techtrail", note: "first start" });
    out.seeded = r.created;
  }
  const { generatedPassword } = await auth.createUser({ name: "admin", role: "admin" });
  if (generatedPassword !== undefined) out.adminPassword = generatedPassword;
  return out;
}

export async function startService(opts: ServiceOptions = {}): Promise<RunningService> {
  const host = opts.host ?? DEFAULT_HOST;
  const port = opts.port ?? DEFAULT_PORT;
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new TechtrailError("VALIDATION", `invalid port ${port}`, {
      problems: [{ field: "port", message: "expected 0-65535" }],
    });
  const storeOpts: OpenStoreOptions = {};
  if (opts.db !== undefined) storeOpts.db = opts.db;
  if (opts.env !== undefined) storeOpts.env = opts.env;
  const store = await openStore(storeOpts);
  try {
    const catalog = opts.catalog ?? loadCatalog({ catalogDir: opts.catalogDir, overlayDir: opts.overlayDir });
    const auth = await openAuthStore(store);
    await auth.pruneSessions();
    const communityDir = (opts.env ?? process.env).TECHTRAIL_COMMUNITY_DIR?.trim();
    const appOpts: AppOptions = {
      store,
      catalog,
      auth,
      webDir: opts.webDir === undefined ? DEFAULT_WEB_DIR : opts.webDir,
      ...(opts.catalogDir !== undefined
        ? { catalogDir: opts.catalogDir, releasesDir: join(opts.catalogDir, "releases") }
        : {}),
      ...(communityDir ? { communityDir } : {}),
      ...opts.app,
    };
    const ruleCache = appOpts.ruleCache ?? new RuleSetCache();
    appOpts.ruleCache = ruleCache;
    if (opts.log) appOpts.log = opts.log;
    // Bound to loopback: answer only to loopback names (DNS-rebinding protection).
    if (appOpts.allowedHosts === undefined && /^(127\.|::1$|localhost$)/.test(host))
      appOpts.allowedHosts = ["127.0.0.1", "localhost", "[::1]", host.includes(":") ? `[${host}]` : host];
    const app = createApp(appOpts);
    const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
      const s = serve({ fetch: app.fetch, hostname: host, port }, () => resolve(s));
      s.once("error", (e: NodeJS.ErrnoException) =>
        reject(
          new TechtrailError(
            "IO",
            e.code === "EADDRINUSE"
              ? `port ${port} on ${host} is already in use (try --port)`
              : `cannot listen on ${host}:${port}: ${e.message}`,
            { cause: e },
          ),
        ),
      );
    });
    // Initialise only once the port is ours: a start that cannot listen must not create an admin whose
    // password nobody saw.
    let init: Awaited<ReturnType<typeof initialiseService>>;
    try {
      init = await initialiseService(store, auth, catalog, { demo: opts.demo ?? true });
    } catch (e) {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      throw e;
    }
    // Compile the rules for scan uploads once started, so the first upload is as fast as the next ones (an
    // error here is left for the first upload to report).
    const warm = setTimeout(() => void ruleCache.get({ ruleDirs: [], builtin: true }).catch(() => undefined), 0);
    warm.unref();
    const addr = server.address() as AddressInfo;
    const shownHost = host.includes(":") ? `[${host}]` : host;
    let closed = false;
    const running: RunningService = {
      url: `http://${shownHost}:${addr.port}`,
      port: addr.port,
      host,
      store,
      auth,
      catalog,
      seeded: init.seeded,
      async close() {
        if (closed) return;
        closed = true;
        clearTimeout(warm);
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
        });
        await store.close();
      },
    };
    if (init.adminPassword !== undefined) running.adminPassword = init.adminPassword;
    return running;
  } catch (e) {
    await store.close().catch(() => undefined);
    throw e;
  }
}
