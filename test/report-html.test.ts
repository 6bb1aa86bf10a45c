// End-to-end: `techtrail report --format html` on a seeded store renders in headless Chromium with its
// SVG charts and without any network request; the screenshot goes to .screenshots/ (git-ignored).
// Uses Debian's /usr/bin/chromium (never a downloaded browser); skips with a message when it is absent.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { pathToFileURL } from "node:url";
import { loadBuiltinCatalog } from "../src/catalog/load.js";
import { generateDemoIncidents } from "../src/incidents/demo.js";
import { NewIncident } from "../src/incidents/model.js";
import { openSqliteStore } from "../src/store/sqlite.js";
import { REPO_ROOT, runCli } from "./cli-helper.js";
import { CHROMIUM, launchChromium } from "./helpers/chromium.js";

let dir: string;
let db: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "techtrail-report-"));
  db = join(dir, "incidents.db");
  const store = await openSqliteStore(db);
  // 600 incidents starting between 2025-10-01 and 2026-09-21, so 2026Q3 is well filled.
  const incidents = generateDemoIncidents(loadBuiltinCatalog(), {
    incidents: 600,
    seed: 7,
    from: "2025-10-01T00:00:00Z",
    to: "2026-11-20T00:00:00Z",
  });
  await store.importMany(
    incidents.map((i) => NewIncident.parse(i)),
    { actor: "test" },
  );
  await store.close();
});
after(() => rmSync(dir, { recursive: true, force: true }));

test("report --format html is one self-contained file with inline SVG charts", () => {
  const out = join(dir, "q3.html");
  const r = runCli(["report", "--db", db, "--quarter", "2026Q3", "--format", "html", "--out", out]);
  assert.equal(r.status, 0, r.stderr);
  const html = readFileSync(out, "utf8");
  assert.match(html, /^<!doctype html>/);
  assert.equal((html.match(/<svg[\s>]/g) ?? []).length, 5, "frequency, matrix, trend, co-occurrence, sources");
  assert.doesNotMatch(html, /<script/i);
  assert.doesNotMatch(html, /(src|href)="(https?:)?\/\//i, "no external resources");
  assert.match(html, /@media print/);
  assert.match(html, /Incident response report 2026Q3/);
  assert.match(html, /Playbook priorities/);
  assert.match(html, /Detection coverage: CloudTrail and GuardDuty/);
});

test("the HTML report renders in headless Chromium with its charts and no failed requests", {
  timeout: 120_000,
}, async (t) => {
  if (!existsSync(CHROMIUM)) {
    t.skip(`${CHROMIUM} is not installed (apt-get install -y chromium; .ci/run does it)`);
    return;
  }
  const out = join(dir, "render.html");
  const r = runCli(["report", "--db", db, "--quarter", "2026Q3", "--format", "html", "--out", out]);
  assert.equal(r.status, 0, r.stderr);
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1000, height: 1400 } });
    const failed: string[] = [];
    const requests: string[] = [];
    page.on("requestfailed", (req) => failed.push(req.url()));
    page.on("request", (req) => requests.push(req.url()));
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(pathToFileURL(out).href, { waitUntil: "load" });
    const svgs = await page.locator("figure svg").count();
    assert.equal(svgs, 5);
    // Charts have drawn content (bars, cells, lines), not just empty frames.
    const paths = await page.locator("figure svg path").count();
    assert.ok(paths > 50, `expected drawn chart shapes, got ${paths}`);
    const box = await page.locator("figure svg").first().boundingBox();
    assert.ok(box && box.width > 300 && box.height > 100, "the first chart is visible");
    assert.deepEqual(failed, []);
    assert.deepEqual(errors, []);
    assert.deepEqual(
      requests.filter((u) => !u.startsWith("file:")),
      [],
      "no request leaves the file",
    );
    const shots = join(REPO_ROOT, ".screenshots");
    mkdirSync(shots, { recursive: true });
    const file = join(shots, "report-2026Q3.png");
    await page.screenshot({ path: file, fullPage: true });
    assert.ok(statSync(file).size > 10_000);
    await page.emulateMedia({ media: "print" });
    assert.equal(await page.locator("nav").isVisible(), false, "print CSS hides the navigation");
  } finally {
    await browser.close();
  }
});

test("an empty period gives a report that says so in every format", () => {
  for (const format of ["md", "html", "json"]) {
    const r = runCli(["report", "--db", db, "--quarter", "2030Q1", "--format", format]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /No incidents in 2030Q1/);
    assert.doesNotMatch(r.stdout, /NaN/);
    if (format === "json") assert.equal(JSON.parse(r.stdout).empty, true);
    if (format === "html") assert.doesNotMatch(r.stdout, /<svg/);
  }
  const bad = runCli(["report", "--db", db, "--format", "pdf"]);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--format must be md, html or json/);
});
