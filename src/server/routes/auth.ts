// Sign-in routes: POST /api/auth/login (session cookie + CSRF token), POST /api/auth/logout,
// GET /api/auth/me (who am I, with the CSRF token), POST /api/auth/password (change one's own password).
import { Hono } from "hono";
import { LoginRequest, PasswordChange } from "../../auth/model.js";
import { TechtrailError } from "../../core/errors.js";
import { type AppEnv, principalOf, type ServerDeps } from "../context.js";
import { json, limitBody, readJson } from "../http.js";
import {
  CSRF_HEADER,
  clearSessionCookies,
  clientIp,
  type LoginLimiter,
  type SecureCookies,
  sessionToken,
  setSessionCookies,
} from "../security.js";

export function authRoutes(deps: ServerDeps, limiter: LoginLimiter, secure: SecureCookies): Hono<AppEnv> {
  const r = new Hono<AppEnv>();
  const small = limitBody(16 * 1024);

  r.post("/login", small, async (c) => {
    const body = await readJson(c, LoginRequest);
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
    return json(c, { user, role: user.role, csrfToken: s.csrfToken, csrfHeader: CSRF_HEADER, expiresAt: s.expiresAt });
  });

  r.post("/logout", async (c) => {
    principalOf(c);
    const token = sessionToken(c);
    if (token) await deps.auth.deleteSession(token);
    clearSessionCookies(c, secure);
    return json(c, { ok: true });
  });

  r.get("/me", (c) => {
    const p = principalOf(c);
    return json(c, {
      user: p.user,
      role: p.role,
      via: p.via,
      csrfToken: p.csrfToken ?? null,
      csrfHeader: CSRF_HEADER,
    });
  });

  r.post("/password", small, async (c) => {
    const p = principalOf(c);
    const body = await readJson(c, PasswordChange);
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

  return r;
}
