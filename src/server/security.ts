// Security plumbing of the HTTP service: response headers (CSP without inline script), authentication from
// a session cookie or a Bearer token, CSRF checking for cookie-authenticated writes, session cookies, and the
// login rate limiter (failures per IP + user name and per IP within a sliding window).
import type { Context, MiddlewareHandler } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import type { AuthStore } from "../auth/auth-store.js";
import { safeEqual } from "../auth/password.js";
import { TechtrailError } from "../core/errors.js";
import { type Cidr, cidrTest, parseCidr, parseIp } from "../rules/matchers.js";
import type { AppContext, AppEnv } from "./context.js";

export const SESSION_COOKIE = "tt_session";
export const CSRF_COOKIE = "tt_csrf";
export const CSRF_HEADER = "X-CSRF-Token";

export const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

export function securityHeaders(): MiddlewareHandler {
  return async (c, next) => {
    await next();
    const h = c.res.headers;
    // A handler may set a stricter policy of its own (the self-contained HTML report: no script at all).
    if (!h.has("Content-Security-Policy")) h.set("Content-Security-Policy", CONTENT_SECURITY_POLICY);
    h.set("X-Content-Type-Options", "nosniff");
    h.set("Referrer-Policy", "no-referrer");
    h.set("X-Frame-Options", "DENY");
    h.set("Cross-Origin-Opener-Policy", "same-origin");
    h.set("Cross-Origin-Resource-Policy", "same-origin");
    if (c.req.path.startsWith("/api/") && !h.has("Cache-Control")) h.set("Cache-Control", "no-store");
  };
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * Refuses requests whose Host header is not one of `hosts` (names without port), so a web page on another
 * site cannot reach a loopback-bound service through DNS rebinding.
 */
export function allowHosts(hosts: readonly string[]): MiddlewareHandler {
  const allowed = new Set(hosts.map((h) => h.toLowerCase()));
  return async (c, next) => {
    const host = (c.req.header("host") ?? new URL(c.req.url).host).toLowerCase();
    const name = host.startsWith("[") ? host.slice(0, host.indexOf("]") + 1) : host.replace(/:\d+$/, "");
    if (!allowed.has(name))
      throw new TechtrailError("FORBIDDEN", `host ${name} is not served here (use ${[...allowed].join(" or ")})`, {
        details: { reason: "host" },
      });
    await next();
  };
}

/** Whether cookies get the Secure flag: forced on/off, or when the request came over https. */
export type SecureCookies = boolean | "auto";

function isSecure(c: Context, mode: SecureCookies): boolean {
  if (mode !== "auto") return mode;
  return new URL(c.req.url).protocol === "https:";
}

/**
 * Sets `principal` from `Authorization: Bearer tt_...` (checked first; a bad token is 401, never a fallback to the
 * cookie) or the session cookie, and enforces CSRF on state-changing requests authenticated by cookie.
 */
export function authenticate(auth: AuthStore): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    c.set("principal", undefined);
    const header = c.req.header("authorization");
    if (header !== undefined) {
      const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
      if (!m) throw new TechtrailError("AUTH", "malformed Authorization header; expected `Bearer tt_...`");
      const p = await auth.tokenPrincipal(m[1] as string);
      if (!p) throw new TechtrailError("AUTH", "invalid, expired or revoked API token");
      c.set("principal", p);
      return next();
    }
    const sid = getCookie(c, SESSION_COOKIE);
    if (sid) {
      const p = await auth.sessionPrincipal(sid);
      if (p) {
        if (!SAFE_METHODS.has(c.req.method)) {
          const sent = c.req.header(CSRF_HEADER) ?? "";
          if (!sent || !p.csrfToken || !safeEqual(sent, p.csrfToken))
            throw new TechtrailError(
              "FORBIDDEN",
              `missing or wrong ${CSRF_HEADER} header (take it from GET /api/auth/me); request refused`,
              { details: { reason: "csrf" } },
            );
        }
        c.set("principal", p);
      }
    }
    return next();
  };
}

export function setSessionCookies(
  c: Context,
  s: { token: string; csrfToken: string; expiresAt: string },
  secure: SecureCookies,
): void {
  const expires = new Date(s.expiresAt);
  const sec = isSecure(c, secure);
  setCookie(c, SESSION_COOKIE, s.token, { httpOnly: true, sameSite: "Strict", secure: sec, path: "/", expires });
  // Readable by the page's own script for the double-submit header; useless to other sites (SameSite, CORS).
  setCookie(c, CSRF_COOKIE, s.csrfToken, { httpOnly: false, sameSite: "Strict", secure: sec, path: "/", expires });
}

export function clearSessionCookies(c: Context, secure: SecureCookies): void {
  const sec = isSecure(c, secure);
  deleteCookie(c, SESSION_COOKIE, { path: "/", secure: sec, httpOnly: true, sameSite: "Strict" });
  deleteCookie(c, CSRF_COOKIE, { path: "/", secure: sec, sameSite: "Strict" });
}

export function sessionToken(c: Context): string | undefined {
  return getCookie(c, SESSION_COOKIE);
}

export interface LoginLimitOptions {
  /** Failures allowed per IP + user name in the window (default 5). */
  maxPerUser?: number;
  /** Failures allowed per IP over all user names (default 20). */
  maxPerIp?: number;
  windowMs?: number;
  now?: () => number;
}

/** Counts failed sign-ins in a sliding window; refuses further attempts once a limit is reached. */
export class LoginLimiter {
  private readonly failures = new Map<string, number[]>();
  private readonly maxPerUser: number;
  private readonly maxPerIp: number;
  private readonly windowMs: number;
  private readonly now: () => number;

  constructor(opts: LoginLimitOptions = {}) {
    this.maxPerUser = opts.maxPerUser ?? 5;
    this.maxPerIp = opts.maxPerIp ?? 20;
    this.windowMs = opts.windowMs ?? 5 * 60_000;
    this.now = opts.now ?? Date.now;
  }

  private recent(key: string): number[] {
    const t = this.now();
    const list = (this.failures.get(key) ?? []).filter((x) => t - x < this.windowMs);
    if (list.length) this.failures.set(key, list);
    else this.failures.delete(key);
    return list;
  }

  /** Throws RATE_LIMIT when this IP (and user name) has failed too often recently. */
  check(ip: string, user: string): void {
    const keys: Array<[string, number]> = [
      [`u:${ip}:${user.toLowerCase()}`, this.maxPerUser],
      [`i:${ip}`, this.maxPerIp],
    ];
    for (const [key, max] of keys) {
      const list = this.recent(key);
      if (list.length >= max) {
        const oldest = list[0] ?? this.now();
        const retryAfterSeconds = Math.max(1, Math.ceil((oldest + this.windowMs - this.now()) / 1000));
        throw new TechtrailError("RATE_LIMIT", `too many failed sign-ins; try again in ${retryAfterSeconds} s`, {
          details: { retryAfterSeconds },
        });
      }
    }
  }

  fail(ip: string, user: string): void {
    const t = this.now();
    for (const key of [`u:${ip}:${user.toLowerCase()}`, `i:${ip}`]) {
      const list = this.recent(key);
      list.push(t);
      this.failures.set(key, list);
    }
    // Keep memory bounded under a flood of distinct names.
    if (this.failures.size > 50_000)
      for (const k of [...this.failures.keys()].slice(0, 10_000)) this.failures.delete(k);
  }

  succeed(ip: string, user: string): void {
    this.failures.delete(`u:${ip}:${user.toLowerCase()}`);
  }
}

/**
 * The client address: the socket's remote address under @hono/node-server ("local" under app.request()), or the
 * address the trusted proxies reported (see trustedProxies()).
 */
export function clientIp(c: Context): string {
  const resolved = (c as unknown as AppContext).get("clientIp");
  return resolved ?? socketIp(c);
}

function socketIp(c: Context): string {
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined;
  return env?.incoming?.socket?.remoteAddress ?? "local";
}

/** Parses trusted proxy addresses or CIDRs; a clear error names a bad one. */
export function parseTrustedProxies(list: readonly string[]): Cidr[] {
  return list.map((text) => {
    const c = parseCidr(text.includes("/") ? text : `${text}/${text.includes(":") ? 128 : 32}`);
    if (!c)
      throw new TechtrailError("VALIDATION", `trusted proxy '${text}' is not an IP address or CIDR (e.g. 10.0.0.0/8)`, {
        problems: [{ field: "trustedProxies", message: `not an address or CIDR: ${text}` }],
      });
    return c;
  });
}

/**
 * The client behind trusted proxies: when the connection comes from one, the right-most X-Forwarded-For entry
 * that is not itself a trusted proxy (entries further left can be forged by the client). Off by default.
 */
export function resolveClientIp(remote: string, forwarded: string | undefined, trusted: readonly Cidr[]): string {
  const isTrusted = (ip: string) => cidrTest(trusted as Cidr[])(ip.trim());
  if (trusted.length === 0 || !forwarded || !isTrusted(remote)) return remote;
  const hops = forwarded
    .split(",")
    .map((h) => h.trim())
    .filter((h) => h !== "");
  for (let i = hops.length - 1; i >= 0; i--) {
    const h = hops[i] as string;
    if (!parseIp(h)) return remote; // a malformed entry: do not guess
    if (!isTrusted(h)) return h;
  }
  return hops[0] ?? remote;
}

/** Middleware: records the client address behind the configured trusted proxies. */
export function trustedProxies(cidrs: readonly Cidr[]): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    c.set("clientIp", resolveClientIp(socketIp(c), c.req.header("x-forwarded-for"), cidrs));
    await next();
  };
}
