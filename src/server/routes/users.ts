// Admin routes: users (/api/users CRUD) and API tokens (/api/tokens create/list/revoke).
// Generated passwords and token secrets are in the creation response only; they are stored hashed.
import { Hono } from "hono";
import { z } from "zod";
import { NewToken, NewUser, UserPatch } from "../../auth/model.js";
import { type AppEnv, requireRole, type ServerDeps } from "../context.js";
import { json, limitBody, readJson, readQuery } from "../http.js";

export const TokenListQuery = z.strictObject({ user: z.string().min(1).optional() });

export function userRoutes(deps: ServerDeps): Hono<AppEnv> {
  const r = new Hono<AppEnv>();
  const small = limitBody(16 * 1024);
  const admin = requireRole("admin");

  r.get("/users", admin, async (c) => json(c, { items: await deps.auth.listUsers() }));
  r.post("/users", admin, small, async (c) => {
    const body = await readJson(c, NewUser);
    const res = await deps.auth.createUser(body);
    return json(c, { user: res.user, generatedPassword: res.generatedPassword ?? null }, 201);
  });
  r.get("/users/:name", admin, async (c) => json(c, await deps.auth.requireUser(c.req.param("name"))));
  r.patch("/users/:name", admin, small, async (c) => {
    const body = await readJson(c, UserPatch);
    return json(c, await deps.auth.updateUser(c.req.param("name"), body));
  });
  r.delete("/users/:name", admin, async (c) => json(c, await deps.auth.deleteUser(c.req.param("name"))));

  r.get("/tokens", admin, async (c) => {
    const q = readQuery(c, TokenListQuery);
    return json(c, { items: await deps.auth.listTokens(q.user) });
  });
  r.post("/tokens", admin, small, async (c) => {
    const body = await readJson(c, NewToken);
    const res = await deps.auth.createToken(body);
    return json(c, { token: res.token, secret: res.secret }, 201);
  });
  r.delete("/tokens/:id", admin, async (c) => json(c, await deps.auth.revokeToken(c.req.param("id"))));
  return r;
}
