// Benchmark of the HTTP API (npm run bench:api). Starts `techtrail serve` in a child process on a random loopback
// port against a fresh SQLite store seeded with the demo register, signs in as the generated admin and creates
// an API token, then with autocannon (in this process, so server and load generator each have a core):
//   1. read endpoints for ~10 s each with 10 connections: target ≥ 2,000 requests/s and p99 ≤ 50 ms;
//   2. a bare node:http server answering the same technique-list bytes, as the ceiling in the same run;
//   3. 50 concurrent writers POSTing incidents with a Bearer token for 30 s: target zero errors and zero lost
//      writes (rows gained = requests sent: every answered request was a 201, and the few still in flight when
//      the clock stopped were stored too).
// Options: --seconds N (reads, default 10), --write-seconds N (default 30), --connections N (default 10).
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const READ_SECONDS = arg("--seconds", 10);
const WRITE_SECONDS = arg("--write-seconds", 30);
const CONNECTIONS = arg("--connections", 10);
const WRITERS = 50;

const dir = mkdtempSync(join(tmpdir(), "techtrail-bench-api-"));
let child: ChildProcess | undefined;

function startServer(): Promise<{ url: string; password: string }> {
  child = spawn(
    process.execPath,
    ["--import", "tsx", join(ROOT, "src/cli/main.ts"), "serve", "--port", "0", "--db", join(dir, "bench.db")],
    { cwd: ROOT, env: { ...process.env, TECHTRAIL_DATABASE_URL: "" }, stdio: ["ignore", "pipe", "inherit"] },
  );
  let out = "";
  return new Promise((resolvePromise, reject) => {
    child?.stdout?.on("data", (d) => {
      out += String(d);
      const url = /listening on (http:\/\/[^\s]+)/.exec(out)?.[1];
      const password = /password: (\S+)/.exec(out)?.[1];
      if (url && password) resolvePromise({ url, password });
    });
    child?.once("exit", (code) => reject(new Error(`server exited ${code}: ${out}`)));
  });
}

async function bearerToken(url: string, password: string): Promise<string> {
  const login = await fetch(`${url}/api/auth/login`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ username: "admin", password }),
  });
  const { csrfToken } = (await login.json()) as { csrfToken: string };
  const cookie = login.headers
    .getSetCookie()
    .map((c) => c.split(";")[0])
    .join("; ");
  const res = await fetch(`${url}/api/tokens`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Cookie: cookie, "X-CSRF-Token": csrfToken },
    body: JSON.stringify({ user: "admin", name: "bench", role: "responder" }),
  });
  if (res.status !== 201) throw new Error(`token: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { secret: string }).secret;
}

function run(opts: autocannon.Options): Promise<autocannon.Result> {
  return new Promise((resolvePromise, reject) => {
    autocannon(opts, (err, res) => (err ? reject(err) : resolvePromise(res)));
  });
}

async function total(url: string, token: string): Promise<number> {
  const res = await fetch(`${url}/api/incidents?limit=1`, { headers: { Authorization: `Bearer ${token}` } });
  return ((await res.json()) as { total: number }).total;
}

const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
const pass = (ok: boolean) => (ok ? "PASS" : "FAIL");

async function main(): Promise<void> {
  const t0 = performance.now();
  const { url, password } = await startServer();
  const startup = performance.now() - t0;
  const token = await bearerToken(url, password);
  const headers = { Authorization: `Bearer ${token}` };
  const before = await total(url, token);

  const reads: Array<[string, string]> = [
    ["technique list", "/api/catalog/techniques"],
    ["incidents, newest 50", "/api/incidents?limit=50"],
    ["catalog search", "/api/catalog/search?q=stolen%20access%20key"],
    ["technique detail", "/api/catalog/techniques/T1078.A001"],
  ];
  // Shown for information (no target): the matrix aggregates every incident's techniques on each request.
  const extra: Array<[string, string]> = [["matrix with incident counts", "/api/catalog/matrix"]];
  const rows: string[] = [];
  let ok = true;
  for (const [name, path] of reads) {
    const r = await run({ url: `${url}${path}`, connections: CONNECTIONS, duration: READ_SECONDS, headers });
    const good = r.non2xx === 0 && r.errors === 0 && r.requests.average >= 2000 && r.latency.p99 <= 50;
    ok &&= good;
    rows.push(
      `| ${name} \`${path}\` | ${fmt(r.requests.average)} | ${r.latency.p50} | ${r.latency.p99} | ${r.errors + r.non2xx} | ${pass(good)} |`,
    );
    process.stderr.write(`bench:api: ${name}: ${fmt(r.requests.average)} req/s, p99 ${r.latency.p99} ms\n`);
  }
  for (const [name, path] of extra) {
    const r = await run({ url: `${url}${path}`, connections: CONNECTIONS, duration: READ_SECONDS, headers });
    rows.push(
      `| ${name} \`${path}\` (information) | ${fmt(r.requests.average)} | ${r.latency.p50} | ${r.latency.p99} | ${r.errors + r.non2xx} | – |`,
    );
  }

  // Ceiling: a bare node:http server returning the same bytes as the technique list.
  const body = Buffer.from(await (await fetch(`${url}/api/catalog/techniques`, { headers })).arrayBuffer());
  const bare = createServer((_req, res) => {
    res.writeHead(200, { "Content-Type": "application/json", "Content-Length": body.length });
    res.end(body);
  });
  await new Promise<void>((r) => bare.listen(0, "127.0.0.1", r));
  const port = (bare.address() as AddressInfo).port;
  const ceiling = await run({ url: `http://127.0.0.1:${port}/`, connections: CONNECTIONS, duration: READ_SECONDS });
  bare.close();
  rows.push(
    `| baseline: bare node:http, same bytes as the technique list (same process as the load generator) | ${fmt(ceiling.requests.average)} | ${ceiling.latency.p50} | ${ceiling.latency.p99} | ${ceiling.errors + ceiling.non2xx} | – |`,
  );

  // Writers: autocannon, 50 connections, WRITE_SECONDS. When the clock stops, requests still in flight are
  // finished by the server but their responses are not read, so the exact check is: rows gained = requests
  // sent, with every answered request a 201 (and 2xx = rows gained − requests in flight).
  const mid = await total(url, token);
  const w = await run({
    url: `${url}/api/incidents`,
    connections: WRITERS,
    duration: WRITE_SECONDS,
    method: "POST",
    headers: { ...headers, "Content-Type": "application/json" },
    body: JSON.stringify({ title: "bench: access key used from an unknown ASN", severity: "P3", tags: ["bench"] }),
  });
  await new Promise((r) => setTimeout(r, 2000)); // let the server finish the requests in flight
  const after = await total(url, token);
  const created = w["2xx"];
  const sent = w.requests.sent;
  const inFlight = sent - created - w.non2xx;
  const failed = w.errors + w.timeouts + w.non2xx;
  const gained = after - mid;
  const lost = sent - gained;
  const writesOk = failed === 0 && lost === 0;
  ok &&= writesOk;

  const report = [
    `Store: SQLite (WAL) seeded with ${before} demo incidents; server in a child process, autocannon in this one; ${CONNECTIONS} connections per read test, ${READ_SECONDS} s each; Node ${process.version}; server start ${fmt(startup)} ms.`,
    "",
    "| read endpoint | requests/s | p50 ms | p99 ms | errors | target ≥ 2,000 req/s, p99 ≤ 50 ms |",
    "|---|---|---|---|---|---|",
    ...rows,
    "",
    "| writers | result | target | |",
    "|---|---|---|---|",
    `| ${WRITERS} concurrent writers, ${WRITE_SECONDS} s, POST /api/incidents (Bearer) | ${fmt(created)} answered 201 (${fmt(created / WRITE_SECONDS)}/s) + ${inFlight} in flight at the end, p50 ${w.latency.p50} ms, p99 ${w.latency.p99} ms | – | – |`,
    `| errors (connection errors + timeouts + non-2xx) | ${failed} | 0 | ${pass(failed === 0)} |`,
    `| lost writes (requests sent − rows gained: ${fmt(sent)} − ${fmt(gained)}) | ${lost} | 0 | ${pass(lost === 0)} |`,
  ].join("\n");
  process.stdout.write(`${report}\n\nbench:api: ${pass(ok)}\n`);
  process.exitCode = ok ? 0 : 1;
}

main()
  .catch((e) => {
    process.stderr.write(`bench:api: ${(e as Error).stack ?? e}\n`);
    process.exitCode = 2;
  })
  .finally(() => {
    child?.kill("SIGTERM");
    setTimeout(() => rmSync(dir, { recursive: true, force: true }), 500).unref();
  });
