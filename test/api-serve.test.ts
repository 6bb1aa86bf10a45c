// End to end: `techtrail serve` on a free loopback port with a fresh SQLite file prints the URL and a one-time
// admin password, seeds the demo register once, and `techtrail user add` / `token create` give working logins.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { BIN, REPO_ROOT, runCli } from "./cli-helper.js";

const dir = mkdtempSync(join(tmpdir(), "techtrail-serve-"));
const db = join(dir, "t.db");
const children: ChildProcess[] = [];
after(() => {
  for (const c of children) c.kill("SIGTERM");
  rmSync(dir, { recursive: true, force: true });
});

async function serve(args: string[]): Promise<{ child: ChildProcess; stdout: string; url: string }> {
  const child = spawn(process.execPath, [BIN, "serve", "--port", "0", "--db", db, ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, TECHTRAIL_DATABASE_URL: "" },
  });
  children.push(child);
  let stdout = "";
  let stderr = "";
  child.stderr?.on("data", (d) => {
    stderr += String(d);
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no listening line; stderr: ${stderr}`)), 60_000);
    child.stdout?.on("data", (d) => {
      stdout += String(d);
      const m = /techtrail listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout);
      if (m && /sign in/.test(stdout)) {
        clearTimeout(timer);
        resolve(m[1] as string);
      }
    });
    child.once("exit", (code) => reject(new Error(`serve exited ${code}: ${stderr}`)));
  });
  return { child, stdout, url };
}

async function stop(child: ChildProcess): Promise<void> {
  await new Promise((resolve) => {
    child.once("exit", resolve);
    child.kill("SIGTERM");
  });
}

test("first start seeds demo data and prints a one-time admin password; the next start does neither", async () => {
  const first = await serve([]);
  const pw = /password: (\S+)/.exec(first.stdout)?.[1];
  assert.ok(pw, first.stdout);
  assert.match(first.stdout, /seeded \d+ demo incidents/);
  const login = await fetch(`${first.url}/api/auth/login`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ username: "admin", password: pw }),
  });
  assert.equal(login.status, 200);
  const cookie = login.headers
    .getSetCookie()
    .map((c) => c.split(";")[0])
    .join("; ");
  const list = (await (
    await fetch(`${first.url}/api/incidents?demo=only&limit=1`, { headers: { Cookie: cookie } })
  ).json()) as {
    total: number;
  };
  assert.ok(list.total > 0);
  const health = await fetch(`${first.url}/api/health`);
  assert.equal(health.headers.get("x-frame-options"), "DENY");
  await stop(first.child);

  // CLI user and token management against the same database.
  const add = runCli(["user", "add", "dana", "--role", "responder", "--password-stdin", "--db", db], {
    input: "velvet canyon thistle\n",
  });
  assert.equal(add.status, 0, add.stderr);
  const tok = runCli(["token", "create", "--user", "dana", "--name", "ci", "--db", db]);
  assert.equal(tok.status, 0, tok.stderr);
  const secret = tok.stdout.trim();
  assert.match(secret, /^tt_/);
  assert.equal(runCli(["user", "add", "dana", "--db", db]).status, 4);

  const second = await serve([]);
  assert.doesNotMatch(second.stdout, /password:/);
  assert.doesNotMatch(second.stdout, /seeded/);
  const created = await fetch(`${second.url}/api/incidents`, {
    method: "POST",
    headers: { Authorization: `Bearer ${secret}`, "Content-Type": "application/json" },
    body: JSON.stringify({ title: "from the CLI token" }),
  });
  assert.equal(created.status, 201);
  const danaLogin = await fetch(`${second.url}/api/auth/login`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ username: "dana", password: "velvet canyon thistle" }),
  });
  assert.equal(danaLogin.status, 200);
  await stop(second.child);

  // a password reset warns about live tokens and can revoke them; `token revoke --all-for` does it alone
  const reset = runCli(["user", "passwd", "dana", "--password-stdin", "--db", db], {
    input: "velvet canyon thistle\n",
  });
  assert.equal(reset.status, 2, "the same password again is refused");
  assert.match(reset.stderr, /differ from the current/);
  const weak = runCli(["user", "passwd", "dana", "--password-stdin", "--db", db], { input: "aaaaaaaaaa\n" });
  assert.notEqual(weak.status, 0);
  const warn = runCli(["user", "passwd", "dana", "--db", db]);
  assert.equal(warn.status, 0, warn.stderr);
  assert.match(warn.stderr, /1 active API token\(s\).*--revoke-tokens/);
  const revoke = runCli(["user", "passwd", "dana", "--revoke-tokens", "--db", db]);
  assert.match(revoke.stdout, /revoked 1 API token\(s\) of dana/);
  runCli(["token", "create", "--user", "dana", "--name", "again", "--db", db]);
  const all = runCli(["token", "revoke", "--all-for", "dana", "--db", db]);
  assert.equal(all.status, 0, all.stderr);
  assert.match(all.stdout, /revoked 1 API token\(s\) of dana/);
  assert.equal(runCli(["token", "revoke", "--db", db]).status, 2);
});

test("--no-demo on an empty store seeds nothing", async () => {
  const other = join(dir, "empty.db");
  const child = spawn(process.execPath, [BIN, "serve", "--port", "0", "--db", other, "--no-demo"], {
    cwd: REPO_ROOT,
    env: { ...process.env, TECHTRAIL_DATABASE_URL: "" },
  });
  children.push(child);
  let stdout = "";
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("timeout")), 60_000);
    child.stdout?.on("data", (d) => {
      stdout += String(d);
      if (/sign in/.test(stdout)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once("exit", (code) => reject(new Error(`serve exited ${code}`)));
  });
  assert.doesNotMatch(stdout, /seeded/);
  assert.match(stdout, /password: \S+/);
  await stop(child);
});

test("a start that cannot listen creates no admin and seeds nothing", async () => {
  const blocker = createServer();
  await new Promise<void>((r) => blocker.listen(0, "127.0.0.1", r));
  const port = (blocker.address() as AddressInfo).port;
  try {
    const other = join(dir, "busy.db");
    const r = runCli(["serve", "--port", String(port), "--db", other], { env: { TECHTRAIL_DATABASE_URL: "" } });
    assert.equal(r.status, 6, r.stderr);
    assert.match(r.stderr, /already in use/);
    assert.doesNotMatch(r.stdout, /password/);
    const users = runCli(["user", "list", "--json", "--db", other]);
    assert.deepEqual(JSON.parse(users.stdout), []);
  } finally {
    blocker.close();
  }
});
