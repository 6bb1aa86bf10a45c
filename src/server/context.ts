// What every route module receives: the library objects the service runs on, the Hono environment type with
// the authenticated principal, and the role guard used by every non-public route.
import type { Context, MiddlewareHandler } from "hono";
import type { AuthStore } from "../auth/auth-store.js";
import { type Principal, type Role, roleAllows } from "../auth/model.js";
import type { Catalog } from "../catalog/catalog.js";
import { TechtrailError } from "../core/errors.js";
import type { ChangeContext } from "../incidents/model.js";
import type { RuleSetCache } from "../scan/rule-cache.js";
import type { Store } from "../store/store.js";

export interface ServerLimits {
  /** JSON request bodies (default 1 MB). */
  jsonBytes: number;
  /** Incident import bodies (default 10 MB). */
  importBytes: number;
  /** Multipart scan uploads, all files together (default 50 MB). */
  uploadBytes: number;
  /** Files per scan upload (default 20). */
  uploadFiles: number;
  /** Scans running at once; one more is answered 429 (default 2). */
  scanConcurrency: number;
  /** Longest a scan may run; a longer one is stopped and answered 413 (default 120 s). */
  scanSeconds: number;
}

export interface ServerDeps {
  store: Store;
  catalog: Catalog;
  auth: AuthStore;
  limits: ServerLimits;
  /** Folder of shared community datasets (`stats share` files received from peers); none when absent. */
  communityDir?: string;
  /** Folder of catalog releases (default: the ones shipped with techtrail). */
  releasesDir?: string;
  /** The catalog folder served (absent: the shipped catalog), for /api/catalog/info. */
  catalogDir?: string;
  /** Where operational messages go (unexpected errors); the CLI passes stderr. Never console. */
  log: (line: string) => void;
  /** Rules compiled once for every scan upload, until the rule files change. */
  ruleCache: RuleSetCache;
  /** The team's deployed-controls inventory (controls.yaml), read on each controls request. */
  controlsFile?: string;
}

export type AppEnv = {
  Variables: {
    principal: Principal | undefined;
    /** The client address after trusted proxies (set when trustedProxies is configured). */
    clientIp: string | undefined;
  };
};

export type AppContext = Context<AppEnv>;

/** The signed-in principal, or AUTH (401). */
export function principalOf(c: AppContext): Principal {
  const p = c.get("principal");
  if (!p) throw new TechtrailError("AUTH", "sign in required (session cookie or Authorization: Bearer token)");
  return p;
}

/** Route guard: 401 without a principal, 403 when its role is below `need`. */
export function requireRole(need: Role): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const p = principalOf(c);
    if (!roleAllows(p.role, need))
      throw new TechtrailError("FORBIDDEN", `this needs the ${need} role; ${p.user.name} has ${p.role}`, {
        details: { need, have: p.role },
      });
    await next();
  };
}

/** Audit context of a change: the signed-in user (and the token name for API tokens). */
export function changeContext(c: AppContext, note?: string): ChangeContext {
  const p = principalOf(c);
  const ctx: ChangeContext = { actor: p.user.name };
  if (note !== undefined) ctx.note = note;
  return ctx;
}
