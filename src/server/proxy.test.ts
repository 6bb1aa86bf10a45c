import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { TechtrailError } from "../core/errors.js";
import { parseTrustedProxies, resolveClientIp } from "./security.js";
import { makeFixture } from "./test-helpers.js";

describe("trusted proxies", () => {
  const trusted = parseTrustedProxies(["10.0.0.0/8", "192.0.2.1"]);

  test("X-Forwarded-For is believed only from a trusted proxy, right-most untrusted hop first", () => {
    assert.equal(resolveClientIp("203.0.113.9", "198.51.100.7", trusted), "203.0.113.9", "not from a proxy");
    assert.equal(resolveClientIp("10.1.2.3", "198.51.100.7", trusted), "198.51.100.7");
    // the client wrote the left-most entry itself: the proxy chain's last untrusted hop wins
    assert.equal(resolveClientIp("10.1.2.3", "6.6.6.6, 198.51.100.7, 192.0.2.1", trusted), "198.51.100.7");
    assert.equal(resolveClientIp("10.1.2.3", "not-an-ip", trusted), "10.1.2.3", "malformed: no guess");
    assert.equal(resolveClientIp("10.1.2.3", undefined, trusted), "10.1.2.3");
    assert.equal(resolveClientIp("10.1.2.3", "198.51.100.7", []), "10.1.2.3", "off by default");
    assert.throws(() => parseTrustedProxies(["10.0.0.0/99"]), TechtrailError);
  });

  test("the login limiter counts per client behind the proxy, and per socket without the setting", async () => {
    const env = { incoming: { socket: { remoteAddress: "10.0.0.5" } } };
    const attempt = (app: Awaited<ReturnType<typeof makeFixture>>["app"], client: string, user: string) =>
      app.request(
        "/api/auth/login",
        {
          method: "POST",
          headers: { "Content-Type": "application/json", "X-Forwarded-For": client },
          body: JSON.stringify({ username: user, password: "wrong wrong wrong" }),
        },
        env,
      );
    const behind = await makeFixture({ loginLimit: { maxPerUser: 100, maxPerIp: 3 }, trustedProxies: ["10.0.0.0/8"] });
    for (let i = 0; i < 3; i++) assert.equal((await attempt(behind.app, "198.51.100.7", `u${i}`)).status, 401);
    assert.equal((await attempt(behind.app, "198.51.100.7", "u9")).status, 429, "that client's budget is spent");
    assert.equal((await attempt(behind.app, "198.51.100.8", "u9")).status, 401, "another client has its own");
    const direct = await makeFixture({ loginLimit: { maxPerUser: 100, maxPerIp: 3 } });
    for (let i = 0; i < 3; i++) assert.equal((await attempt(direct.app, "198.51.100.7", `u${i}`)).status, 401);
    assert.equal((await attempt(direct.app, "198.51.100.8", "u9")).status, 429, "without the setting, one budget");
  });
});
