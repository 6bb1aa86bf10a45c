// Sign-in routes: POST /api/auth/login (session cookie + CSRF token), POST /api/auth/logout,
// GET /api/auth/me (who am I, with the CSRF token), POST /api/auth/password (change one's own password).
import { createRoute } from "@hono/zod-openapi";
import { z } from "zod";
import { LoginRequest, PasswordChange, Role, User } from "../../auth/model.js";
import { TechtrailError } from "../../core/errors.js";
import { principalOf, type ServerDeps } from "../context.js";
import { json, limitBody } from "../http.js";
import { access, errorResponses, jsonBody, jsonContent, routeApp } from "../openapi.js";
import {
  CSRF_HEADER,
  clearSessionCookies,
  clientIp,
  type LoginLimiter,
  type SecureCookies,
  sessionToken,
  setSessionCookies,
} from "../security.js";

export const LoginResult = z.object({
  user: User,
  role: Role,
  csrfToken: z.string(),
  csrfHeader: z.string(),
  expiresAt: z.string(),
});
export const Me = z.object({
  user: User,
  role: Role,
  via: z.enum(["session", "token"]),
  csrfToken: z.string().nullable(),
  csrfHeader: z.string(),
});
export type Me = z.infer<typeof Me>;
export const PasswordChanged = z.object({ user: User, csrfToken: z.string().optional() });
export const Ok = z.object({ ok: z.boolean() });

const small = limitBody(16 * 1024);
const tag = ["auth"];

const login = createRoute({
  method: "post",
  path: "/login",
  summary: "Sign in: sets the HttpOnly session cookie and returns the CSRF token",
  tags: tag,
  ...access("public"),
  middleware: [small],
  request: { body: jsonBody(LoginRequest) },
  responses: { 200: jsonContent(LoginResult), ...errorResponses({ role: "public", body: true, rateLimited: true }) },
});
const logout = createRoute({
  method: "post",
  path: "/logout",
  summary: "End the session",
  tags: tag,
  ...access("viewer"),
  responses: { 200: jsonContent(Ok), ...errorResponses({ role: "viewer" }) },
});
const me = createRoute({
  method: "get",
  path: "/me",
  summary: "The signed-in user, role and CSRF token",
  tags: tag,
  ...access("viewer"),
  responses: { 200: jsonContent(Me), ...errorResponses({ role: "viewer" }) },
});
const password = createRoute({
  method: "post",
  path: "/password",
  summary: "Change one's own password (a session gets a fresh cookie and CSRF token)",
  tags: tag,
  ...access("viewer"),
  middleware: [...access("viewer").middleware, small],
  request: { body: jsonBody(PasswordChange) },
  responses: {
    200: jsonContent(PasswordChanged),
    ...errorResponses({ role: "viewer", body: true, rateLimited: true }),
  },
});

export function authRoutes(deps: ServerDeps, limiter: LoginLimiter, secure: SecureCookies) {
  return routeApp()
    .openapi(login, async (c) => {
      const body = c.req.valid("json");
      const ip = clientIp(c);
      limiter.check(ip, body.username);
      const user = await deps.auth.checkPassword(body.username, body.password);
      if (!user) {
        limiter.fail(ip, body.username);
        throw new TechtrailError("AUTH", "wrong user name or password");
      }
      limiter.succeed(ip, body.username);
      const s = await deps.auth.createSession(user);
      setSessionCookies(c, s, secure);
      return json(c, {
        user,
        role: user.role,
        csrfToken: s.csrfToken,
        csrfHeader: CSRF_HEADER,
        expiresAt: s.expiresAt,
      });
    })
    .openapi(logout, async (c) => {
      principalOf(c);
      const token = sessionToken(c);
      if (token) await deps.auth.deleteSession(token);
      clearSessionCookies(c, secure);
      return json(c, { ok: true });
    })
    .openapi(me, (c) => {
      const p = principalOf(c);
      return json(c, {
        user: p.user,
        role: p.role,
        via: p.via,
        csrfToken: p.csrfToken ?? null,
        csrfHeader: CSRF_HEADER,
      });
    })
    .openapi(password, async (c) => {
      const p = principalOf(c);
      const body = c.req.valid("json");
      const ip = clientIp(c);
      limiter.check(ip, p.user.name);
      const ok = await deps.auth.checkPassword(p.user.name, body.currentPassword);
      if (!ok) {
        limiter.fail(ip, p.user.name);
        throw new TechtrailError("AUTH", "current password is wrong");
      }
      const user = await deps.auth.updateUser(p.user.name, { password: body.newPassword });
      // Changing the password ended every session; give the browser a fresh one.
      if (p.via === "session") {
        const s = await deps.auth.createSession(user);
        setSessionCookies(c, s, secure);
        return json(c, { user, csrfToken: s.csrfToken });
      }
      return json(c, { user });
    });
}
