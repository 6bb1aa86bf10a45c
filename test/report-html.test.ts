// End-to-end: `techtrail report --format html` on a seeded store renders in headless Chromium with its
// SVG charts and without any network request, the management summary at the top; `--format pdf` prints
// through the same Chromium and its page 1 (read back with poppler's pdftotext, pictured with pdftoppm) is
// the management summary alone. Screenshots go to .screenshots/ (git-ignored). Uses Debian's
// /usr/bin/chromium and poppler-utils (never a downloaded browser); skips with a message when absent.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { pathToFileURL } from "node:url";
import { controlsImpact } from "../src/analytics/controls.js";
import { quarterRange } from "../src/analytics/model.js";
import { loadBuiltinCatalog } from "../src/catalog/load.js";
import { generateDemoIncidents } from "../src/incidents/demo.js";
import { NewIncident } from "../src/incidents/model.js";
import type { ReportData } from "../src/report/report.js";
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
  // Entry facts for the controls analysis: IAM-user incidents got in with a console password (MFA prevents it).
  const withEntry = incidents.map((i) =>
    i.techniques?.some((t) => t.id === "T1078.A001")
      ? {
          ...i,
          initialAccess: "compromised-console-credentials" as const,
          initialAccessTechnique: "T1078.A001",
          credentialType: "iam-user-password" as const,
        }
      : i,
  );
  await store.importMany(
    withEntry.map((i) => NewIncident.parse(i)),
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
  // The management summary is the first section, before the navigation and the analyst sections.
  const first = html.indexOf("<section");
  assert.equal(html.indexOf('<section id="management">'), first);
  assert.ok(first < html.indexOf("<nav>") && html.indexOf("<nav>") < html.indexOf('<section id="frequency">'));
  for (const part of [
    "What changed since 2026Q2",
    "The three techniques that matter most",
    "Controls that would have prevented the most incidents",
    "Playbook and detection gaps",
    "Is the change more than noise?",
  ])
    assert.ok(html.indexOf(part) > first && html.indexOf(part) < html.indexOf("<nav>"), part);
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
    // Page 1 of the screen view: the management summary is the first thing under the title.
    const top = await page.evaluate(() => {
      const sec = document.querySelector("main section");
      const h2 = sec?.querySelector("h2");
      return { id: sec?.id, heading: h2?.textContent, y: h2?.getBoundingClientRect().top ?? -1 };
    });
    assert.equal(top.id, "management");
    assert.equal(top.heading, "Management summary: 2026Q3");
    assert.ok(top.y > 0 && top.y < 200, `the summary heading is at the top of the page (y=${top.y})`);
    assert.equal(
      await page.locator("#management table").count(),
      3,
      "top techniques, controls and significance tables",
    );
    const shots0 = join(REPO_ROOT, ".screenshots");
    mkdirSync(shots0, { recursive: true });
    await page.screenshot({ path: join(shots0, "report-2026Q3-top.png") });
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
    assert.equal(
      await page.locator("#management").evaluate((e) => getComputedStyle(e).breakAfter),
      "page",
      "in print the analyst sections start on a new page",
    );
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
  const bad = runCli(["report", "--db", db, "--format", "docx"]);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--format must be md, html, pdf or json, got docx/);
});

test("an unknown quarter is refused with what was expected; a quarter before the register or still to come says so", () => {
  for (const q of ["2026Q5", "26Q1", "Q3"]) {
    const r = runCli(["report", "--db", db, "--quarter", q]);
    assert.equal(r.status, 2, q);
    assert.match(r.stderr, /(unknown|invalid) quarter/, q);
    assert.match(r.stderr, /2026Q3/, "names the expected form");
    assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
  }
  const before = runCli(["report", "--db", db, "--quarter", "2019Q1", "--format", "md"]);
  assert.equal(before.status, 0, before.stderr);
  assert.match(before.stdout, /No incidents in 2019Q1.*The register holds incidents from 2025-10-01 to /);
  assert.match(before.stderr, /No incidents in 2019Q1/, "said on stderr too");
  const future = runCli(["report", "--db", db, "--quarter", "2099Q1", "--format", "md"]);
  assert.match(future.stdout, /2099Q1 has not started yet/);
  assert.match(future.stdout, /2098Q4 had 0 incident\(s\)/);
});

test("the summary's controls are the controls analysis' counts; a deployed control's misses are named", async () => {
  const r = runCli(["report", "--db", db, "--quarter", "2026Q3", "--format", "json", "--no-coverage"]);
  assert.equal(r.status, 0, r.stderr);
  const rep = JSON.parse(r.stdout) as ReportData;
  const store = await openSqliteStore(db);
  let expected: Awaited<ReturnType<typeof controlsImpact>>;
  try {
    expected = await controlsImpact(store, loadBuiltinCatalog(), quarterRange("2026Q3"));
  } finally {
    await store.close();
  }
  const mfa = expected.controls.find((c) => c.id === "M1032");
  assert.ok(mfa && mfa.counts.prevented > 20, "MFA prevents the password sign-ins");
  const c = rep.management.controls;
  assert.equal(c.available, true);
  assert.equal(c.controls[0]?.id, "M1032", "most prevented first");
  assert.equal(c.controls[0]?.prevented, mfa.counts.prevented);
  assert.equal(c.controls[0]?.untouched, mfa.counts.untouched);
  assert.deepEqual(
    c.controls[0]?.examples,
    mfa.incidents
      .filter((d) => d.outcome === "prevented")
      .slice(0, 5)
      .map((d) => d.key),
  );
  assert.match(c.note, /No deployed-controls file was given/);
  const md = runCli(["report", "--db", db, "--quarter", "2026Q3", "--format", "md", "--no-coverage"]).stdout;
  assert.match(md, new RegExp(`\\| M1032 Multi-factor Authentication \\| ${mfa.counts.prevented} \\|`));

  // MFA deployed mid-quarter: earlier incidents still count as prevented, later ones are its misses.
  const file = join(dir, "controls.yaml");
  writeFileSync(file, "team: blue\ncontrols:\n  - control: M1032\n    since: 2026-08-15\n");
  const dep = JSON.parse(
    runCli(["report", "--db", db, "--quarter", "2026Q3", "--format", "json", "--no-coverage", "--controls", file])
      .stdout,
  ) as ReportData;
  const d = dep.management.controls.deployed.find((x) => x.id === "M1032");
  assert.ok(d && d.happenedAnyway > 0 && d.since === "2026-08-15");
  assert.ok(
    !dep.management.controls.controls.some((x) => x.id === "M1032"),
    "a deployed control is not a recommendation",
  );
  assert.match(dep.management.controls.note, /blue's controls file/);

  // A controls file naming an unknown control is refused with its place.
  writeFileSync(file, "team: blue\ncontrols:\n  - control: M9999\n    since: 2026-08-15\n");
  const bad = runCli(["report", "--db", db, "--quarter", "2026Q3", "--controls", file]);
  assert.equal(bad.status, 2, bad.stderr);
  assert.match(bad.stderr, /controls\.yaml:3:\d+.*unknown control M9999/);
});

const hasPoppler = () => spawnSync("pdftotext", ["-v"]).error === undefined;
const pdfText = (file: string, page: number) => {
  const r = spawnSync("pdftotext", ["-f", String(page), "-l", String(page), "-layout", file, "-"], {
    encoding: "utf8",
  });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
};

test("report --format pdf opens with the management summary alone on page 1", { timeout: 180_000 }, (t) => {
  if (!existsSync(CHROMIUM)) {
    t.skip(`${CHROMIUM} is not installed (apt-get install -y chromium; .ci/run does it)`);
    return;
  }
  if (!hasPoppler()) {
    t.skip("pdftotext/pdftoppm are not installed (apt-get install -y poppler-utils; .ci/run does it)");
    return;
  }
  const out = join(dir, "q3.pdf");
  const r = runCli(["report", "--db", db, "--quarter", "2026Q3", "--format", "pdf", "--out", out]);
  assert.equal(r.status, 0, r.stderr);
  const pdf = readFileSync(out);
  assert.equal(pdf.subarray(0, 5).toString("latin1"), "%PDF-");
  const info = spawnSync("pdfinfo", [out], { encoding: "utf8" }).stdout;
  assert.match(info, /Page size:\s+594\.\d+ x 841\.\d+ pts \(A4\)/);
  assert.ok(Number(/Pages:\s+(\d+)/.exec(info)?.[1]) > 3, "the analyst sections follow");
  const page1 = pdfText(out, 1);
  const at = (s: string) => page1.indexOf(s);
  assert.ok(at("Incident response report 2026Q3") >= 0 && at("Incident response report 2026Q3") < 20, page1);
  const parts = [
    "Management summary: 2026Q3",
    "What changed since 2026Q2",
    "The three techniques that matter most",
    "Controls that would have prevented the most incidents",
    "Playbook and detection gaps",
    "Is the change more than noise?",
  ];
  for (const [i, part] of parts.entries()) {
    assert.ok(at(part) > 0, `page 1 has "${part}"`);
    if (i > 0) assert.ok(at(part) > at(parts[i - 1] as string), `"${part}" comes after "${parts[i - 1]}"`);
  }
  assert.match(page1, /within noise|more than noise/);
  assert.match(page1, /All incidents\s+\d+\s+\d+\s+\d\.\d\d/, "the significance table made it onto page 1");
  assert.doesNotMatch(page1, /Most frequent techniques|Incidents in the period/, "analyst sections start on page 2");
  assert.match(pdfText(out, 2).trimStart(), /^Incidents in the period/);
  // A picture of page 1 as a reader sees it.
  const shots = join(REPO_ROOT, ".screenshots");
  mkdirSync(shots, { recursive: true });
  const png = spawnSync("pdftoppm", [
    "-f",
    "1",
    "-l",
    "1",
    "-r",
    "80",
    "-png",
    "-singlefile",
    out,
    join(shots, "report-2026Q3-pdf-page1"),
  ]);
  assert.equal(png.status, 0, String(png.stderr));
  assert.ok(statSync(join(shots, "report-2026Q3-pdf-page1.png")).size > 10_000);

  // An empty quarter prints one page that says so.
  const empty = join(dir, "empty.pdf");
  const e = runCli(["report", "--db", db, "--quarter", "2030Q1", "--format", "pdf", "--out", empty]);
  assert.equal(e.status, 0, e.stderr);
  assert.match(spawnSync("pdfinfo", [empty], { encoding: "utf8" }).stdout, /Pages:\s+1\n/);
  assert.match(pdfText(empty, 1).replace(/\s+/g, " "), /No incidents in 2030Q1/);
});
