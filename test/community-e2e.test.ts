// Browser test of the Community page: the real HTTP API and web UI (createApp on @hono/node-server, 127.0.0.1,
// random port) over a temporary SQLite demo register, with a community datasets folder holding one peer's
// `stats share` file (another demo register, another seed). A viewer opens Community, sees the folder's dataset
// and this team against it (over/under-represented techniques, slower to contain), then adds a file of their own,
// a bad one first. Skipped with a message when /usr/bin/chromium is missing.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, describe, test } from "node:test";
import { serve } from "@hono/node-server";
import type { Browser, Page } from "playwright-core";
import { openAuthStore } from "../src/auth/auth-store.js";
import { loadBuiltinCatalog } from "../src/catalog/load.js";
import { buildSharedStats, type SharedStats } from "../src/community/share.js";
import { IncidentRegister } from "../src/register/register.js";
import { createApp } from "../src/server/app.js";
import { openSqliteStore } from "../src/store/sqlite.js";
import type { Store } from "../src/store/store.js";
import { CHROMIUM, launchChromium } from "./helpers/chromium.js";
import { DIST, ensureBuilt } from "./helpers/web-dist.js";

const ROOT = resolve(import.meta.dirname, "..");
const _WEB = join(ROOT, "web");
const SHOTS = join(ROOT, ".screenshots");
const PASSWORD = "correct horse battery staple";
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium)
  process.stderr.write(`community-e2e: SKIPPED: ${CHROMIUM} is missing; the browser test did not run\n`);

describe("the Community page in Chromium", { skip: haveChromium ? false : `${CHROMIUM} is missing` }, () => {
  let dir: string;
  let store: Store;
  let server: ReturnType<typeof serve>;
  let base: string;
  let browser: Browser;
  let shared: SharedStats;
  const errors: string[] = [];
  const requests: string[] = [];

  before(async () => {
    ensureBuilt();
    mkdirSync(SHOTS, { recursive: true });
    dir = mkdtempSync(join(tmpdir(), "techtrail-community-web-"));
    const catalog = loadBuiltinCatalog();
    const peer = await openSqliteStore(join(dir, "peer.db"));
    await new IncidentRegister(peer, catalog).seedDemo({ incidents: 800, seed: 5 }, { actor: "test" });
    shared = await buildSharedStats(peer, catalog, { quarter: "2025Q3" });
    await peer.close();
    const folder = join(dir, "community");
    mkdirSync(folder);
    writeFileSync(join(folder, "peer-2025Q3.json"), JSON.stringify(shared));
    store = await openSqliteStore(join(dir, "web.db"));
    await new IncidentRegister(store, catalog).seedDemo({ incidents: 800, seed: 9 }, { actor: "test" });
    const auth = await openAuthStore(store);
    await auth.createUser({ name: "viewer1", role: "viewer", password: PASSWORD });
    const app = createApp({ store, catalog, auth, webDir: DIST, secureCookies: false, communityDir: folder });
    server = await new Promise((res) => {
      const s = serve({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 }, () => res(s));
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await new Promise<void>((res) => (server ? server.close(() => res()) : res()));
    await store?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function signedIn(user: string): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    context.setDefaultTimeout(60_000);
    context.on("request", (r) => requests.push(r.url()));
    const page = await context.newPage();
    page.on("pageerror", (e) => errors.push(`page error: ${e.message}`));
    page.on("console", (m) => {
      if (m.type() !== "error") return;
      if (/status of 401/.test(m.text()) && /\/api\/auth\/me$/.test(m.location().url)) return;
      // The bad upload below is a 400 by design; the page shows the reason (asserted).
      if (/status of 400/.test(m.text()) && /\/api\/community\/compare$/.test(m.location().url)) return;
      errors.push(`${m.text()} @ ${m.location().url}`);
    });
    await page.goto(`${base}/`);
    await page.getByLabel("User name").fill(user);
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByTestId("who").waitFor();
    return page;
  }

  test("a viewer compares the team with the folder's dataset, then with uploaded files", async () => {
    const p = await signedIn("viewer1");
    await p.getByRole("link", { name: "Community" }).click();
    await p.getByTestId("community-datasets").waitFor();
    assert.match(
      (await p.getByTestId("community-datasets").textContent()) ?? "",
      new RegExp(`peer-2025Q3\\.json · 2025Q3 · ${shared.incidents} incidents · k = 5`),
    );
    await p.getByTestId("community-summary").waitFor();
    const summary = (await p.getByTestId("community-summary").textContent()) ?? "";
    assert.match(summary, new RegExp(`community: ${shared.incidents} incidents in 1 dataset · 2025Q3`));
    // What the page shows is what the API computed.
    const api = (await p.evaluate(async () => {
      const r = await fetch("/api/community/compare?files=peer-2025Q3.json&minCount=3&demo=include");
      return r.json();
    })) as { techniques: Array<{ id: string; verdict: string; local: number }>; slowerToContain: unknown[] };
    const over = api.techniques.filter((t) => t.verdict === "over");
    const under = api.techniques.filter((t) => t.verdict === "under");
    assert.ok(over.length > 0 || under.length > 0, "two seeds differ");
    if (over.length) {
      const rows = p.getByTestId("community-over").locator("tbody tr");
      assert.equal(await rows.count(), over.length);
      const first = over[0] as { id: string; local: number };
      assert.match(
        (await rows.first().textContent()) ?? "",
        new RegExp(`^${first.id.replace(".", "\\.")}.*${first.local}`),
      );
    }
    if (under.length) assert.equal(await p.getByTestId("community-under").locator("tbody tr").count(), under.length);
    if (api.slowerToContain.length)
      assert.equal(await p.getByTestId("community-slower").locator("tbody tr").count(), api.slowerToContain.length);
    await p.screenshot({ path: join(SHOTS, "community.png"), fullPage: true });
    // A technique link leads to its page.
    const link = p.locator("a.tid").first();
    const id = (await link.textContent()) ?? "";
    await link.click();
    await p.waitForURL(new RegExp(`#/techniques/${id.replace(".", "\\.")}`));
    await p.goBack();

    // A file of one's own: a bad one is refused with the reason, a good one adds to the folder's.
    const bad = join(dir, "bad.json");
    writeFileSync(bad, JSON.stringify({ ...shared, schemaVersion: 7 }));
    await p.getByTestId("community-upload").setInputFiles(bad);
    await p
      .getByRole("alert")
      .filter({ hasText: /bad\.json: schemaVersion 7/ })
      .waitFor();
    const mine = join(dir, "mine.json");
    writeFileSync(mine, JSON.stringify(shared));
    await p.getByTestId("community-upload").setInputFiles(mine);
    await p
      .getByTestId("community-summary")
      .filter({ hasText: /in 2 datasets/ })
      .waitFor();
    assert.match(
      (await p.getByTestId("community-summary").textContent()) ?? "",
      new RegExp(`community: ${2 * shared.incidents} incidents in 2 datasets`),
    );
  });

  test("no console error and no request outside the service", () => {
    assert.deepEqual(errors, []);
    assert.deepEqual(
      requests.filter((u) => !u.startsWith(`${base}/`) && !/^(data|blob):/.test(u)),
      [],
    );
  });
});
