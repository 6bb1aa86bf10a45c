// The published site in a browser: `publishSite` on the shipped catalog, the folder served by a tiny local static
// server, walked in headless Debian Chromium (/usr/bin/chromium via playwright-core, never a downloaded browser):
// matrix → technique → search → changelog → downloads, with no console error, every internal link resolving,
// and no request leaving the site. Skipped with a message when /usr/bin/chromium is absent.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { dirname, extname, join, normalize, relative, resolve } from "node:path";
import { after, before, describe, test } from "node:test";
import type { Browser, Page } from "playwright-core";
import { publishSite } from "../src/publish/publish.js";
import { CHROMIUM, launchChromium } from "./helpers/chromium.js";

const haveChromium = existsSync(CHROMIUM);
if (!haveChromium)
  process.stderr.write(
    `publish-e2e: SKIPPED: ${CHROMIUM} is missing (apt-get install -y chromium); the browser tests did not run\n`,
  );

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".css": "text/css",
  ".js": "text/javascript",
  ".json": "application/json",
  ".csv": "text/csv",
  ".md": "text/markdown",
};

/** Serves `root` read-only; `/` and folders map to index.html, nothing outside `root` is reachable. */
function staticServer(root: string): Promise<Server> {
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
    let file = normalize(join(root, path));
    if (relative(root, file).startsWith("..")) return void res.writeHead(403).end();
    if (existsSync(file) && statSync(file).isDirectory()) file = join(file, "index.html");
    if (!existsSync(file)) return void res.writeHead(404).end("not found");
    res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream" });
    res.end(readFileSync(file));
  });
  return new Promise((ok) => server.listen(0, "127.0.0.1", () => ok(server)));
}

function htmlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = join(dir, d.name);
    if (d.isDirectory()) return d.name === "pagefind" ? [] : htmlFiles(p);
    return d.name.endsWith(".html") ? [p] : [];
  });
}

describe("published site in Chromium", { skip: haveChromium ? false : `${CHROMIUM} is missing` }, () => {
  let dir = "";
  let out = "";
  let version = "";
  let server: Server;
  let base = "";
  let browser: Browser;
  const requests: string[] = [];
  const consoleErrors: string[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "techtrail-publish-e2e-"));
    out = join(dir, "site");
    const r = await publishSite({ out });
    version = r.version;
    server = await staticServer(out);
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await new Promise<void>((res) => (server ? server.close(() => res()) : res()));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function newPage(): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    context.setDefaultTimeout(60_000);
    context.on("request", (r) => requests.push(r.url()));
    const page = await context.newPage();
    page.on("console", (m) => {
      if (m.type() === "error") consoleErrors.push(`${m.text()} @ ${m.location().url}`);
    });
    page.on("pageerror", (e) => consoleErrors.push(`page error: ${e.message}`));
    return page;
  }

  async function checkPage(page: Page): Promise<void> {
    assert.equal(await page.evaluate(() => document.documentElement.lang), "en", page.url());
    assert.equal(await page.locator("h1").count(), 1, `one h1 on ${page.url()}`);
  }

  test("matrix → technique → search → changelog → downloads", async () => {
    const page = await newPage();
    await page.goto(`${base}/`);
    await page.getByRole("link", { name: version }).first().click();
    await page.waitForURL(`${base}/${version}/index.html`);
    await checkPage(page);
    assert.match((await page.locator("h1").textContent()) ?? "", new RegExp(version.replace(".", "\\.")));

    // Keyboard: the first Tab reaches the skip link.
    await page.keyboard.press("Tab");
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), "Skip to content");

    await page.locator('a[href="techniques/T1098.html"]').first().click();
    await page.waitForURL(/\/techniques\/T1098\.html$/);
    await checkPage(page);
    assert.match((await page.locator("h1").textContent()) ?? "", /T1098/);
    for (const h of ["CloudTrail events", "Detection", "Mitigations", "Detector findings", "Rules", "References"])
      await page.getByRole("heading", { name: h, exact: true }).waitFor();

    await page.getByRole("navigation", { name: "Site" }).getByRole("link", { name: "Search" }).click();
    await page.waitForURL(/\/search\.html$/);
    await checkPage(page);
    const input = page.locator(".pagefind-ui__search-input");
    // Words of a technique's name and of its CloudTrail events both find it.
    await input.fill("account manipulation");
    const result = page.locator(".pagefind-ui__result-link", { hasText: "T1098 Account Manipulation" }).first();
    await result.waitFor();
    await input.fill("CreateLoginProfile");
    await page.locator(".pagefind-ui__result-link", { hasText: "T1098" }).first().waitFor();
    await input.fill("account manipulation");
    await result.click();
    await page.waitForURL(/\/techniques\/[A-Z0-9.]+\.html$/);
    await checkPage(page);

    await page.getByRole("navigation", { name: "Site" }).getByRole("link", { name: "Changelog" }).click();
    await page.waitForURL(/\/changelog\.html$/);
    await checkPage(page);
    assert.match((await page.locator("h1").textContent()) ?? "", new RegExp(`→ ${version.replace(".", "\\.")}`));

    await page.getByRole("navigation", { name: "Site" }).getByRole("link", { name: "Downloads" }).click();
    await page.waitForURL(/\/downloads\.html$/);
    await checkPage(page);
    const links = await page
      .locator("main a[href^='downloads/']")
      .evaluateAll((as) => as.map((a) => (a as HTMLAnchorElement).href));
    assert.ok(links.some((l) => l.endsWith(".stix.json")));
    assert.ok(links.some((l) => l.endsWith("/SHA256SUMS")));
    for (const l of links) {
      const res = await page.request.get(l);
      assert.equal(res.status(), 200, l);
    }

    assert.deepEqual(consoleErrors, []);
    const outside = requests.filter((u) => !u.startsWith(`${base}/`));
    assert.deepEqual(outside, [], "no request leaves the site");
  });

  test("every internal link of every page resolves", () => {
    const bad: string[] = [];
    const pages = htmlFiles(out);
    assert.ok(pages.length > 100, `pages: ${pages.length}`);
    for (const file of pages) {
      const text = readFileSync(file, "utf8");
      for (const m of text.matchAll(/\b(?:href|src)="([^"]+)"/g)) {
        const href = (m[1] ?? "").replaceAll("&amp;", "&");
        if (/^[a-z]+:/i.test(href) || href.startsWith("#")) continue;
        const target = resolve(dirname(file), href.split("#")[0] ?? "");
        if (!existsSync(target)) bad.push(`${relative(out, file)} → ${href}`);
      }
    }
    assert.deepEqual(bad, []);
  });
});
