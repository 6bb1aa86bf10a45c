// Issue 17 done-when: an actor imported from the shared ATT&CK bundles shows in the web UI with its techniques.
// The cloud subset of ATT&CK Enterprise (../shared/data/attack-stix, ATT&CK Terms of Use) is imported into a
// temporary SQLite register the way `techtrail actor import` does, then the real API and web UI
// (createApp on 127.0.0.1) are driven in Debian's Chromium. Skipped with a message without Chromium or ../shared.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, describe, test } from "node:test";
import { serve } from "@hono/node-server";
import type { Browser } from "playwright-core";
import { openAuthStore } from "../src/auth/auth-store.js";
import { loadBuiltinCatalog } from "../src/catalog/load.js";
import { bundleActors } from "../src/catalog/stix-actors.js";
import type { NewActorInput } from "../src/incidents/actor.js";
import { createApp } from "../src/server/app.js";
import { openSqliteStore } from "../src/store/sqlite.js";
import type { Store } from "../src/store/store.js";
import { CHROMIUM, launchChromium } from "./helpers/chromium.js";
import { DIST, ensureBuilt } from "./helpers/web-dist.js";
import { sharedPath, skipUnlessShared } from "./shared.js";

const ROOT = resolve(import.meta.dirname, "..");
const _WEB = join(ROOT, "web");
const PASSWORD = "correct horse battery staple";
const BUNDLE = "data/attack-stix/enterprise-cloud-subset-stix20.json";
const skip = existsSync(CHROMIUM) ? skipUnlessShared(BUNDLE) : `${CHROMIUM} is missing`;
if (skip) process.stderr.write(`actors-e2e: SKIPPED: ${skip}\n`);

describe("ATT&CK groups as actors in the web UI", { skip }, () => {
  let dir: string;
  let store: Store;
  let server: ReturnType<typeof serve>;
  let base: string;
  let browser: Browser;

  before(async () => {
    ensureBuilt();
    dir = mkdtempSync(join(tmpdir(), "techtrail-actors-web-"));
    store = await openSqliteStore(join(dir, "web.db"));
    const source = "ATT&CK Enterprise 18.1 (cloud subset)";
    const { actors } = bundleActors(JSON.parse(readFileSync(sharedPath(BUNDLE), "utf8")), { source, file: BUNDLE });
    const r = await store.importActors(actors as NewActorInput[], { actor: "test" });
    assert.ok(r.created.length > 100, `the bundle's groups became actors (${r.created.length})`);
    const auth = await openAuthStore(store);
    await auth.createUser({ name: "viewer1", role: "viewer", password: PASSWORD });
    const app = createApp({ store, catalog: loadBuiltinCatalog(), auth, webDir: DIST, secureCookies: false });
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

  test("APT29 (G0016) is listed and its page shows the techniques ATT&CK says it uses, with provenance", async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    context.setDefaultTimeout(60_000);
    const page = await context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(`page error: ${e.message}`));
    page.on("console", (m) => {
      if (m.type() !== "error") return;
      if (/status of 401/.test(m.text()) && /\/api\/auth\/me$/.test(m.location().url)) return;
      errors.push(`${m.text()} @ ${m.location().url}`);
    });
    await page.goto(`${base}/`);
    await page.getByLabel("User name").fill("viewer1");
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByTestId("who").waitFor();

    // the API says what the page must show
    const api = await page.request.get(`${base}/api/actors/APT29`);
    assert.equal(api.status(), 200);
    const detail = (await api.json()) as {
      actor: { id: string };
      techniques: Array<{ id: string; declared: boolean }>;
    };
    const declared = detail.techniques.filter((t) => t.declared).map((t) => t.id);
    assert.ok(declared.includes("T1078.004"), `APT29 uses Cloud Accounts in ATT&CK (${declared.join(", ")})`);

    await page.getByRole("link", { name: "Actors", exact: true }).click();
    await page.getByTestId("actors-table").waitFor();
    await page.getByTestId("actors-table").getByRole("link", { name: "APT29", exact: true }).click();
    await page.getByTestId("actor-page").waitFor();
    const text = (await page.getByTestId("actor-page").textContent()) ?? "";
    assert.match(text, /Cozy Bear/, "aliases shown");
    assert.match(text, /G0016/, "provenance: the ATT&CK group ID");
    const techniques = (await page.getByTestId("actor-techniques").textContent()) ?? "";
    for (const id of declared) assert.ok(techniques.includes(id), `technique ${id} shown`);
    assert.match(techniques, /Cloud Accounts/);
    assert.match(techniques, /ATT&CK Enterprise 18\.1/);
    assert.equal(await page.getByTestId("actor-techniques").locator("tbody tr").count(), detail.techniques.length);
    assert.deepEqual(errors, []);
    await context.close();
  });
});
