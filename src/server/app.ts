// The techtrail HTTP service as a Hono app: security headers, JSON errors, authentication, body limits and the
// route modules under /api, plus the web UI's static files. createApp() does no I/O of its own, so tests drive
// it with app.request(); src/server/serve.ts puts it on a socket. `ApiType` is the type of the /api routes for
// the web UI's typed client (`hc<ApiType>("/api")`).
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import type { AuthStore } from "../auth/auth-store.js";
import type { Catalog } from "../catalog/catalog.js";
import { TechtrailError } from "../core/errors.js";
import { RuleSetCache } from "../scan/rule-cache.js";
import type { Store } from "../store/store.js";
import type { AppEnv, ServerDeps, ServerLimits } from "./context.js";
import { errorResponse, toTechtrailError } from "./errors.js";
import { json, limitBody, MB } from "./http.js";
import { access, errorResponses, jsonContent, openApiDocument, routeApp } from "./openapi.js";
import { actorRoutes } from "./routes/actors.js";
import { analyticsRoutes } from "./routes/analytics.js";
import { authRoutes } from "./routes/auth.js";
import { catalogRoutes } from "./routes/catalog.js";
import { communityRoutes } from "./routes/community.js";
import { controlsRoutes } from "./routes/controls.js";
import { incidentRoutes } from "./routes/incidents.js";
import { ruleRoutes } from "./routes/rules.js";
import { scanRoutes } from "./routes/scan.js";
import { userRoutes } from "./routes/users.js";
import { workshopRoutes } from "./routes/workshops.js";
import {
  allowHosts,
  authenticate,
  LoginLimiter,
  type LoginLimitOptions,
  parseTrustedProxies,
  type SecureCookies,
  securityHeaders,
  trustedProxies,
} from "./security.js";
import { staticRoutes } from "./static.js";

export interface AppOptions {
  store: Store;
  catalog: Catalog;
  auth: AuthStore;
  limits?: Partial<ServerLimits>;
  /** Folder with the built web UI (index.html); null or missing folder = no UI. */
  webDir?: string | null;
  releasesDir?: string;
  /** The catalog folder served (absent: the shipped catalog), shown by /api/catalog/info. */
  catalogDir?: string;
  /** Folder of shared community datasets for /api/community (default: none). */
  communityDir?: string;
  /** Secure flag on cookies: "auto" (when the request is https), or forced. */
  secureCookies?: SecureCookies;
  loginLimit?: LoginLimitOptions;
  /** Host names (without port) the service answers to; absent = any (the server sets it for loopback binds). */
  allowedHosts?: readonly string[];
  /**
   * Addresses or CIDRs of reverse proxies whose X-Forwarded-For is believed for the client address (used by the
   * login limiter). Empty or absent (the default): the socket's address is the client.
   */
  trustedProxies?: readonly string[];
  log?: (line: string) => void;
  /** The compiled rules scan uploads use (default: a new cache; the first upload compiles them). */
  ruleCache?: RuleSetCache;
  /** Deployed-controls inventory for /api/stats/controls (docs/controls.md). */
  controlsFile?: string;
}

export const DEFAULT_LIMITS: ServerLimits = {
  jsonBytes: 1 * MB,
  importBytes: 10 * MB,
  uploadBytes: 50 * MB,
  uploadFiles: 20,
  scanConcurrency: 2,
  scanSeconds: 120,
};

const health = createRoute({
  method: "get",
  path: "/health",
  summary: "Liveness and versions",
  tags: ["service"],
  ...access("public"),
  responses: {
    200: jsonContent(z.object({ ok: z.boolean(), catalog: z.string(), store: z.enum(["sqlite", "postgres"]) })),
    ...errorResponses({ role: "public" }),
  },
});
const openapi = createRoute({
  method: "get",
  path: "/openapi.json",
  summary: "This document",
  tags: ["service"],
  ...access("public"),
  responses: { 200: jsonContent(z.record(z.string(), z.unknown())), ...errorResponses({ role: "public" }) },
});

/** Every /api route; `document` gives the OpenAPI document of the whole app. */
function apiRoutes(
  deps: ServerDeps,
  limiter: LoginLimiter,
  secure: SecureCookies,
  document: () => Record<string, unknown>,
) {
  return routeApp()
    .openapi(health, (c) => json(c, { ok: true, catalog: deps.catalog.meta.version, store: deps.store.kind }))
    .openapi(openapi, (c) => json(c, document()))
    .route("/auth", authRoutes(deps, limiter, secure))
    .route("/", userRoutes(deps))
    .route("/catalog", catalogRoutes(deps))
    .route("/incidents", incidentRoutes(deps))
    .route("/actors", actorRoutes(deps))
    .route("/scan", scanRoutes(deps))
    .route("/rules", ruleRoutes(deps))
    .route("/workshops", workshopRoutes(deps))
    .route("/controls", controlsRoutes(deps))
    .route("/", communityRoutes(deps))
    .route("/", analyticsRoutes(deps));
}

/** The /api routes with their request and response types, for `hc<ApiType>("/api")`. */
export type ApiType = ReturnType<typeof apiRoutes>;

export function createApp(opts: AppOptions): OpenAPIHono<AppEnv> {
  const deps: ServerDeps = {
    store: opts.store,
    catalog: opts.catalog,
    auth: opts.auth,
    limits: { ...DEFAULT_LIMITS, ...opts.limits },
    log: opts.log ?? (() => undefined),
    ruleCache: opts.ruleCache ?? new RuleSetCache(),
  };
  if (opts.releasesDir !== undefined) deps.releasesDir = opts.releasesDir;
  if (opts.catalogDir !== undefined) deps.catalogDir = opts.catalogDir;
  if (opts.controlsFile !== undefined) deps.controlsFile = opts.controlsFile;
  if (opts.communityDir !== undefined) deps.communityDir = opts.communityDir;
  const secure = opts.secureCookies ?? "auto";
  const limiter = new LoginLimiter(opts.loginLimit);
  const app = new OpenAPIHono<AppEnv>();

  app.use("*", securityHeaders());
  if (opts.allowedHosts) app.use("*", allowHosts(opts.allowedHosts));
  if (opts.trustedProxies && opts.trustedProxies.length > 0)
    app.use("*", trustedProxies(parseTrustedProxies(opts.trustedProxies)));
  app.onError((err, c) => {
    const e = toTechtrailError(err);
    if (e.code === "INTERNAL")
      deps.log(`techtrail: ${c.req.method} ${c.req.path} failed: ${(err as Error)?.stack ?? String(err)}`);
    return errorResponse(c, e);
  });

  // Every /api request: authenticate (optional here; routes require roles), then the default JSON body limit.
  // Imports and uploads declare their own larger limits, so the general limit skips them.
  app.use("/api/*", authenticate(opts.auth));
  const jsonLimit = limitBody(deps.limits.jsonBytes);
  app.use("/api/*", async (c, next) => {
    const p = c.req.path;
    if (p === "/api/scan" || p === "/api/incidents/import" || p === "/api/catalog/import") return next();
    return jsonLimit(c, next);
  });

  let doc: Record<string, unknown> | undefined;
  app.route(
    "/api",
    apiRoutes(deps, limiter, secure, () => (doc ??= openApiDocument(app))),
  );

  app.all("/api/*", (c) => {
    throw new TechtrailError("NOT_FOUND", `no API endpoint ${c.req.method} ${c.req.path}`);
  });
  app.route("/", staticRoutes(opts.webDir ?? null));
  return app;
}
