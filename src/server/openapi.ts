// How routes are declared: each route module writes its endpoints once with createRoute() (path, role,
// query/path/body schemas, response schemas), and OpenAPIHono derives from that one declaration the request
// validation, the handler and client types (`hc<ApiType>` in the web UI) and GET /api/openapi.json.
// The helpers here give every declaration the same role guard, error responses and validation errors.
import type { Hook } from "@hono/zod-openapi";
import { OpenAPIHono } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import type { z } from "zod";
import type { Role } from "../auth/model.js";
import { type AppEnv, requireRole } from "./context.js";
import { ErrorBody } from "./errors.js";
import { validationError } from "./http.js";

/** Who may call a route: "public" needs no sign-in, otherwise the minimum role. */
export type Access = "public" | Role;

const TARGET_NAMES: Record<string, string> = {
  query: "query",
  json: "request body",
  param: "path parameter",
  form: "form",
  header: "header",
  cookie: "cookie",
};

/** Validation failures of a declared request part become the usual VALIDATION error naming the fields. */
export const defaultHook: Hook<unknown, AppEnv, string, undefined> = (result) => {
  if (!result.success) throw validationError(TARGET_NAMES[result.target] ?? result.target, result.error.issues);
  return undefined;
};

/** A route module's app: validation errors in the service's error shape. */
export function routeApp(): OpenAPIHono<AppEnv> {
  return new OpenAPIHono<AppEnv>({ defaultHook });
}

/**
 * The access part of a route declaration: the role guard as route middleware (it runs before validation, so
 * an unauthorised caller learns nothing about the input), the role in `x-role`, and no security for public
 * routes.
 */
export function access(role: Access): {
  middleware: MiddlewareHandler<AppEnv>[];
  "x-role": Access;
  security?: [];
} {
  if (role === "public") return { middleware: [], "x-role": role, security: [] };
  return { middleware: [requireRole(role)], "x-role": role };
}

/** A JSON response declaration. */
export function jsonContent<T extends z.ZodType>(schema: T, description = "OK") {
  return { description, content: { "application/json": { schema } } };
}

const err = (description: string) => ({ description, content: { "application/json": { schema: ErrorBody } } });

/**
 * The error responses a route can give: 400 always (bad input), 401/403 with a role, 404 for paths with a
 * parameter, 413 with a body, 429 where sign-in attempts are limited.
 */
export function errorResponses(opts: { role: Access; path?: string; body?: boolean; rateLimited?: boolean }) {
  return {
    400: err("Invalid input (malformed JSON, wrong types; details.problems names the fields)"),
    ...(opts.role === "public"
      ? {}
      : {
          401: err("Not signed in"),
          403: err("Role too low, or missing/wrong CSRF token on a cookie-authenticated write"),
        }),
    ...(opts.path?.includes("{") ? { 404: err("Unknown ID") } : {}),
    ...(opts.body ? { 413: err("Body too large") } : {}),
    ...(opts.rateLimited ? { 429: err("Too many failed sign-ins") } : {}),
  };
}

/** A request body that is documented but read by the handler itself (CSV, multipart, foreign JSON). */
export function rawBody(types: Record<string, string>) {
  return {
    required: true,
    content: Object.fromEntries(
      Object.entries(types).map(([type, description]) => [type, { schema: { type: "string" as const, description } }]),
    ),
  };
}

/** A declared JSON request body: required, so a missing or non-JSON body is refused. */
export function jsonBody<T extends z.ZodType>(schema: T, description?: string) {
  return {
    required: true as const,
    ...(description ? { description } : {}),
    content: { "application/json": { schema } },
  };
}

const INFO = {
  title: "techtrail API",
  version: "0.1.0",
  description:
    "Threat-technique catalog, incident register, CloudTrail scanning and analytics for AWS incident response. " +
    "Authenticate with the session cookie from POST /api/auth/login (send X-CSRF-Token on writes) or with " +
    "`Authorization: Bearer tt_...`. Roles: viewer (read), responder (write incidents, scan), admin (users, tokens).",
};

type JsonObject = Record<string, unknown>;

/** The OpenAPI 3.1 document of every route declared on `app` (computed once per app). */
export function openApiDocument(app: Pick<OpenAPIHono, "openAPIRegistry" | "getOpenAPI31Document">): JsonObject {
  app.openAPIRegistry.registerComponent("securitySchemes", "session", {
    type: "apiKey",
    in: "cookie",
    name: "tt_session",
  });
  app.openAPIRegistry.registerComponent("securitySchemes", "bearer", {
    type: "http",
    scheme: "bearer",
    bearerFormat: "tt_...",
  });
  const doc = app.getOpenAPI31Document({
    openapi: "3.1.0",
    info: INFO,
    servers: [{ url: "/" }],
    security: [{ session: [] }, { bearer: [] }],
  }) as unknown as JsonObject;
  // Stable operation IDs from method and path (getOpenAPI31Document leaves them out).
  for (const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, JsonObject>>))
    for (const [method, op] of Object.entries(ops))
      op.operationId ??= `${method}${path.replace(/[{}]/g, "").replace(/[^A-Za-z0-9]+(.)?/g, (_, ch: string = "") => ch.toUpperCase())}`;
  return doc;
}
