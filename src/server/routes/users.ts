// Admin routes: users (/api/users CRUD) and API tokens (/api/tokens create/list/revoke).
// Generated passwords and token secrets are in the creation response only; they are stored hashed.
import { createRoute } from "@hono/zod-openapi";
import { z } from "zod";
import { ApiToken, NewToken, NewUser, User, UserPatch } from "../../auth/model.js";
import type { ServerDeps } from "../context.js";
import { json, limitBody } from "../http.js";
import { access, errorResponses, jsonBody, jsonContent, routeApp } from "../openapi.js";

export const TokenListQuery = z.strictObject({ user: z.string().min(1).optional() });
export const CreatedUser = z.object({ user: User, generatedPassword: z.string().nullable() });
export const CreatedToken = z.object({ token: ApiToken, secret: z.string() });
const NameParam = z.object({ name: z.string() });
const IdParam = z.object({ id: z.string() });

const small = limitBody(16 * 1024);
const admin = access("admin");
const adminWrite = { ...admin, middleware: [...admin.middleware, small] };
const tags = ["admin"];
const errors = errorResponses({ role: "admin" });
const errorsWithBody = errorResponses({ role: "admin", body: true });
const errorsById = errorResponses({ role: "admin", path: "/{id}" });

const listUsers = createRoute({
  method: "get",
  path: "/users",
  summary: "List users",
  tags,
  ...admin,
  responses: { 200: jsonContent(z.object({ items: z.array(User) })), ...errors },
});
const createUser = createRoute({
  method: "post",
  path: "/users",
  summary: "Create a user (a password is generated and returned once when none is given)",
  tags,
  ...adminWrite,
  request: { body: jsonBody(NewUser) },
  responses: { 201: jsonContent(CreatedUser, "Created"), ...errorsWithBody },
});
const getUser = createRoute({
  method: "get",
  path: "/users/{name}",
  summary: "One user",
  tags,
  ...admin,
  request: { params: NameParam },
  responses: { 200: jsonContent(User), ...errorsById },
});
const patchUser = createRoute({
  method: "patch",
  path: "/users/{name}",
  summary: "Change role, password or disabled flag",
  tags,
  ...adminWrite,
  request: { params: NameParam, body: jsonBody(UserPatch) },
  responses: { 200: jsonContent(User), ...errorsById, ...errorsWithBody },
});
const deleteUser = createRoute({
  method: "delete",
  path: "/users/{name}",
  summary: "Delete a user",
  tags,
  ...admin,
  request: { params: NameParam },
  responses: { 200: jsonContent(User), ...errorsById },
});
const listTokens = createRoute({
  method: "get",
  path: "/tokens",
  summary: "List API tokens",
  tags,
  ...admin,
  request: { query: TokenListQuery },
  responses: { 200: jsonContent(z.object({ items: z.array(ApiToken) })), ...errors },
});
const createToken = createRoute({
  method: "post",
  path: "/tokens",
  summary: "Create an API token (the secret is returned once)",
  tags,
  ...adminWrite,
  request: { body: jsonBody(NewToken) },
  responses: { 201: jsonContent(CreatedToken, "Created"), ...errorsWithBody },
});
const revokeToken = createRoute({
  method: "delete",
  path: "/tokens/{id}",
  summary: "Revoke an API token",
  tags,
  ...admin,
  request: { params: IdParam },
  responses: { 200: jsonContent(ApiToken), ...errorsById },
});

export function userRoutes(deps: ServerDeps) {
  return routeApp()
    .openapi(listUsers, async (c) => json(c, { items: await deps.auth.listUsers() }))
    .openapi(createUser, async (c) => {
      const res = await deps.auth.createUser(c.req.valid("json"));
      return json(c, { user: res.user, generatedPassword: res.generatedPassword ?? null }, 201);
    })
    .openapi(getUser, async (c) => json(c, await deps.auth.requireUser(c.req.valid("param").name)))
    .openapi(patchUser, async (c) =>
      json(c, await deps.auth.updateUser(c.req.valid("param").name, c.req.valid("json"))),
    )
    .openapi(deleteUser, async (c) => json(c, await deps.auth.deleteUser(c.req.valid("param").name)))
    .openapi(listTokens, async (c) => json(c, { items: await deps.auth.listTokens(c.req.valid("query").user) }))
    .openapi(createToken, async (c) => {
      const res = await deps.auth.createToken(c.req.valid("json"));
      return json(c, { token: res.token, secret: res.secret }, 201);
    })
    .openapi(revokeToken, async (c) => json(c, await deps.auth.revokeToken(c.req.valid("param").id)));
}
