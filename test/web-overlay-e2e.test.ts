// Browser check of a team overlay in the web UI: `startService` with examples/overlay-acme, signed in as the
// first-start admin, in Debian's Chromium (skipped without /usr/bin/chromium). The footer names the catalog
// and overlay, the matrix marks overlay cells, and technique pages mark overlay techniques and additions.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, describe, test } from "node:test";
import type { Browser, Page } from "playwright-core";
import { type RunningService, startService } from "../src/server/serve.js";
import { CHROMIUM, launchChromium } from "./helpers/chromium.js";
import { DIST, ensureBuilt } from "./helpers/web-dist.js";

const EXAMPLE = resolve(import.meta.dirname, "..", "examples", "overlay-acme");
const haveChromium = existsSync(CHROMIUM);

describe("web UI with a team overlay", { skip: haveChromium ? false : `${CHROMIUM} is missing` }, () => {
  let dir: string;
  let svc: RunningService;
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];

  before(async () => {
    ensureBuilt();
    dir = mkdtempSync(join(tmpdir(), "techtrail-web-overlay-"));
    svc = await startService({ port: 0, db: join(dir, "t.db"), webDir: DIST, demo: false, overlayDir: EXAMPLE });
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    context.setDefaultTimeout(60_000);
    page = await context.newPage();
    page.on("pageerror", (e) => errors.push(e.message));
    page.on("console", (m) => {
      if (m.type() === "error" && !/status of 401/.test(m.text())) errors.push(m.text());
    });
    await page.goto(`${svc.url}/`);
    await page.getByLabel("User name").fill("admin");
    await page.getByLabel("Password").fill(svc.adminPassword ?? "");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByTestId("who").waitFor();
  });

  after(async () => {
    await browser?.close();
    await svc?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test("the footer names the catalog and overlay; the matrix marks overlay techniques", async () => {
    await page.getByTestId("matrix").waitFor();
    const line = page.getByTestId("catalog-line");
    await line.waitFor();
    assert.match(
      (await line.textContent()) ?? "",
      /^Catalog \d{4}\.\d{2} \+ overlay ACME \(3 techniques, 5 additions\) · ACME cloud security team$/,
    );
    const cell = page.locator('.matrix-cell[data-technique="SEC-1042"]');
    assert.equal(await cell.getAttribute("data-source"), "overlay");
    assert.match((await cell.getAttribute("class")) ?? "", /\boverlay\b/);
    assert.equal(
      await page.locator('.matrix-cell[data-technique="T1078"]').first().getAttribute("data-source"),
      "catalog",
    );
  });

  test("technique pages mark the overlay's techniques and its additions", async () => {
    await page.goto(`${svc.url}/#/techniques/ACME-0001`);
    await page.getByTestId("overlay-notice").waitFor();
    assert.match((await page.locator("h1").textContent()) ?? "", /ACME-0001.*Deployment pipeline role.*overlay/);
    await page.goto(`${svc.url}/#/techniques/T1078.A001`);
    const added = page.getByTestId("overlay-additions");
    await added.waitFor();
    assert.match(
      (await added.textContent()) ?? "",
      /adds 2 events, 1 alias, 1 mitigation note, a detection note to this catalog technique/,
    );
    const eventItem = page.locator("ul.events li", { hasText: "sts:GetSessionToken" });
    assert.equal(await eventItem.locator(".badge-overlay").count(), 1);
    assert.equal(await page.locator("ul.events li", { hasText: "iam:GetUser" }).locator(".badge-overlay").count(), 0);
    assert.deepEqual(errors, []);
  });
});
