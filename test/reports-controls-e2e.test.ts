// Browser test of the Reports page's deployed controls: the real HTTP API and web UI (createApp on
// @hono/node-server, 127.0.0.1, random port) over a temporary SQLite demo register. An admin records the team's
// controls.yaml on the Reports page (a bad one first: refused with line and column), the report links then weigh
// them as deployed (and leave them out when asked); a viewer sees the list but cannot edit it. Skipped with a
// message when /usr/bin/chromium is missing.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, describe, test } from "node:test";
import { serve } from "@hono/node-server";
import type { Browser, Page } from "playwright-core";
import { openAuthStore } from "../src/auth/auth-store.js";
import { loadBuiltinCatalog } from "../src/catalog/load.js";
import { IncidentRegister } from "../src/register/register.js";
import type { ReportData } from "../src/report/report.js";
import { createApp } from "../src/server/app.js";
import { openSqliteStore } from "../src/store/sqlite.js";
import type { Store } from "../src/store/store.js";
import { CHROMIUM, launchChromium } from "./helpers/chromium.js";
import { DIST, ensureBuilt } from "./helpers/web-dist.js";

const SHOTS = join(resolve(import.meta.dirname, ".."), ".screenshots");
const PASSWORD = "correct horse battery staple";
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium)
  process.stderr.write(`reports-controls-e2e: SKIPPED: ${CHROMIUM} is missing; the browser test did not run\n`);

describe("deployed controls on the Reports page in Chromium", {
  skip: haveChromium ? false : `${CHROMIUM} is missing`,
}, () => {
  let dir: string;
  let store: Store;
  let server: ReturnType<typeof serve>;
  let base: string;
  let browser: Browser;
  const errors: string[] = [];
  const requests: string[] = [];

  before(async () => {
    ensureBuilt();
    mkdirSync(SHOTS, { recursive: true });
    dir = mkdtempSync(join(tmpdir(), "techtrail-reports-web-"));
    const catalog = loadBuiltinCatalog();
    store = await openSqliteStore(join(dir, "web.db"));
    await new IncidentRegister(store, catalog).seedDemo({}, { actor: "test" });
    const auth = await openAuthStore(store);
    await auth.createUser({ name: "admin1", role: "admin", password: PASSWORD });
    await auth.createUser({ name: "viewer1", role: "viewer", password: PASSWORD });
    const app = createApp({ store, catalog, auth, webDir: DIST, secureCookies: false });
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
      // The bad controls file below is a 400 by design; the page shows the reason (asserted).
      if (/status of 400/.test(m.text()) && /\/api\/controls$/.test(m.location().url)) return;
      errors.push(`${m.text()} @ ${m.location().url}`);
    });
    await page.goto(`${base}/`);
    await page.getByLabel("User name").fill(user);
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByTestId("who").waitFor();
    return page;
  }

  /** The JSON report behind the page's JSON link, fetched with the page's session. */
  async function jsonReport(p: Page): Promise<{ url: string; data: ReportData }> {
    const url = (await p.getByRole("link", { name: "JSON" }).getAttribute("href")) ?? "";
    const r = await p.context().request.get(`${base}${url}`);
    assert.equal(r.status(), 200, url);
    return { url, data: (await r.json()) as ReportData };
  }

  test("an admin records the team's controls; the report weighs them as deployed, or not when asked", async () => {
    const p = await signedIn("admin1");
    await p.getByRole("link", { name: "Reports" }).click();
    const section = p.getByTestId("deployed-controls");
    await section.filter({ hasText: /None recorded/ }).waitFor();
    const before = await jsonReport(p);
    assert.equal(before.data.management.controls.deployed.length, 0);
    assert.ok(
      before.data.management.controls.controls.some((c) => c.id === "AM0008"),
      "GuardDuty recommended",
    );

    const box = p.getByLabel("controls.yaml");
    await box.fill("team: blue\ncontrols:\n  - control: AM0008\n    since: 2025-02-30\n");
    await p.getByRole("button", { name: "Save controls" }).click();
    const alert = p.getByRole("alert").filter({ hasText: /controls\.0\.since/ });
    await alert.waitFor();
    assert.match((await alert.textContent()) ?? "", /line 4, column 12: controls\.0\.since/);
    await section.filter({ hasText: /None recorded/ }).waitFor();

    await box.fill("team: blue\ncontrols:\n  - control: AM0008 # GuardDuty everywhere\n    since: 2025-02-01\n");
    await p.getByRole("button", { name: "Save controls" }).click();
    await p
      .getByTestId("deployed-list")
      .filter({ hasText: /AM0008 since 2025-02-01/ })
      .waitFor();
    assert.match(
      (await section.textContent()) ?? "",
      /blue: 1 control in place, kept in the register, saved by admin1/,
    );
    await p.screenshot({ path: join(SHOTS, "reports-controls.png"), fullPage: true });

    const deployed = await jsonReport(p);
    assert.doesNotMatch(deployed.url, /controls=0/);
    const gd = deployed.data.management.controls.deployed.find((c) => c.id === "AM0008");
    assert.ok(gd, "the report knows GuardDuty is deployed");
    assert.equal(gd.since, "2025-02-01");
    assert.ok(!deployed.data.management.controls.controls.some((c) => c.id === "AM0008"), "no longer recommended");
    const html = await p
      .context()
      .request.get(
        `${base}${(await p.getByRole("link", { name: "Open the HTML report" }).getAttribute("href")) ?? ""}`,
      );
    assert.match(await html.text(), /Deployed controls with incidents that happened anyway/);

    await p.getByLabel("Weigh the team's deployed controls").uncheck();
    const without = await jsonReport(p);
    assert.match(without.url, /controls=0/);
    assert.equal(without.data.management.controls.deployed.length, 0);
    await p.context().close();
  });

  test("a viewer sees the deployed controls but no editor", async () => {
    const p = await signedIn("viewer1");
    await p.getByRole("link", { name: "Reports" }).click();
    await p
      .getByTestId("deployed-list")
      .filter({ hasText: /AM0008/ })
      .waitFor();
    assert.equal(await p.getByLabel("controls.yaml").count(), 0);
    await p.context().close();
  });

  test("no console error and no request outside the service", () => {
    assert.deepEqual(errors, []);
    assert.deepEqual(
      requests.filter((u) => !u.startsWith(`${base}/`) && !/^(data|blob):/.test(u)),
      [],
    );
  });
});
