// Browser tests of the web UI: the real HTTP API (createApp on @hono/node-server, 127.0.0.1, random port) over a
// temporary SQLite store with the demo register and one user per role, driven through Debian's Chromium
// (/usr/bin/chromium) with playwright-core. Never a downloaded browser: without /usr/bin/chromium the suite is
// skipped with a message (CI installs the `chromium` package in .ci/run).
// Uses one Stratus Red Team detonation log from ../shared/data/stratus-detonation-logs (Apache-2.0).
// Screenshots of each main page go to .screenshots/ (git-ignored).
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, describe, test } from "node:test";
import { serve } from "@hono/node-server";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { openAuthStore } from "../src/auth/auth-store.js";
import { loadBuiltinCatalog } from "../src/catalog/load.js";
import { IncidentRegister } from "../src/register/register.js";
import { createApp } from "../src/server/app.js";
import { openSqliteStore } from "../src/store/sqlite.js";
import type { Store } from "../src/store/store.js";
import { CHROMIUM, launchChromium } from "./helpers/chromium.js";
import { DIST, ensureBuilt } from "./helpers/web-dist.js";
import { sharedPath } from "./shared.js";

const ROOT = resolve(import.meta.dirname, "..");
const SHOTS = join(ROOT, ".screenshots");
const STRATUS = sharedPath("data/stratus-detonation-logs/raw/aws.defense-evasion.cloudtrail-stop.json");
const PASSWORD = "correct horse battery staple";
const HOSTILE_TITLE = `Keys leaked <img src=x onerror="window.__pwned=1"> <script>window.__pwned=2</script>`;

const haveChromium = existsSync(CHROMIUM);
if (!haveChromium)
  process.stderr.write(
    `web-e2e: SKIPPED: ${CHROMIUM} is missing (apt-get install -y chromium); the browser tests did not run\n`,
  );

/**
 * The log the scan step uploads: the Stratus CloudTrail-stop detonation when ../shared is there, else one
 * StopLogging record of the same shape written for the test (so the flow runs on a fresh clone too).
 */
function trailStopLog(dir: string): string {
  if (existsSync(STRATUS)) return STRATUS;
  const file = join(dir, "cloudtrail-stop.json");
  const record = {
    eventVersion: "1.10",
    eventTime: "2026-10-01T10:00:00Z",
    eventSource: "cloudtrail.amazonaws.com",
    eventName: "StopLogging",
    awsRegion: "eu-west-1",
    sourceIPAddress: "203.0.113.7",
    userAgent: "aws-cli/2.15.0",
    userIdentity: {
      type: "IAMUser",
      principalId: "AIDAEXAMPLE",
      arn: "arn:aws:iam::111122223333:user/e2e",
      accountId: "111122223333",
      userName: "e2e",
    },
    requestParameters: { name: "org-trail" },
    responseElements: null,
    eventID: "0b9f0a4e-2f55-4f1e-9a43-5d6f0c1e2a01",
    eventType: "AwsApiCall",
    recipientAccountId: "111122223333",
  };
  writeFileSync(file, JSON.stringify([record]));
  return file;
}

interface Observed {
  requests: string[];
  consoleErrors: string[];
}

describe("web UI in Chromium", { skip: haveChromium ? false : `${CHROMIUM} is missing` }, () => {
  let dir: string;
  let store: Store;
  let server: ReturnType<typeof serve>;
  let base: string;
  let browser: Browser;
  const observed: Observed = { requests: [], consoleErrors: [] };
  const contexts: BrowserContext[] = [];
  /** Path templates the server documents in /api/openapi.json (features still landing are absent). */
  let documented: RegExp[] = [];
  const offers = (path: string) => documented.some((re) => re.test(path));

  before(async () => {
    ensureBuilt();
    mkdirSync(SHOTS, { recursive: true });
    dir = mkdtempSync(join(tmpdir(), "techtrail-web-"));
    store = await openSqliteStore(join(dir, "web.db"));
    const catalog = loadBuiltinCatalog();
    const auth = await openAuthStore(store);
    for (const role of ["admin", "responder", "viewer"] as const)
      await auth.createUser({ name: `${role}1`, role, password: PASSWORD });
    await new IncidentRegister(store, catalog).seedDemo({ incidents: 120 }, { actor: "test", note: "web e2e" });
    const app = createApp({
      store,
      catalog,
      auth,
      webDir: DIST,
      secureCookies: false,
      log: (line) => process.stderr.write(`web-e2e server: ${line}\n`),
    });
    server = await new Promise((res) => {
      const s = serve({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 }, () => res(s));
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const doc = (await (await fetch(`${base}/api/openapi.json`)).json()) as { paths: Record<string, unknown> };
    documented = Object.keys(doc.paths).map(
      (p) => new RegExp(`^${p.replaceAll(".", "\\.").replace(/\{[^}]+\}/g, "[^/]+")}$`),
    );
    browser = await launchChromium();
  });

  after(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    await new Promise<void>((res) => (server ? server.close(() => res()) : res()));
    await store?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** A fresh browser context that records every request and every console error or CSP violation. */
  async function newPage(): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    // CI runs two test files at once on two cores: allow slow steps more than Playwright's 30 s default.
    context.setDefaultTimeout(60_000);
    contexts.push(context);
    context.on("request", (r) => observed.requests.push(r.url()));
    // Runs through the DevTools protocol, not as page script, so the CSP does not apply to it.
    await context.addInitScript(() => {
      document.addEventListener("securitypolicyviolation", (e) =>
        console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`),
      );
    });
    const page = await context.newPage();
    page.on("console", (m) => {
      if (m.type() !== "error") return;
      // The sign-in check (GET /api/auth/me before signing in) is a 401 by design; Chromium logs it.
      if (/status of 401/.test(m.text()) && /\/api\/auth\/(me|login)$/.test(m.location().url)) return;
      // An endpoint the server does not offer yet: the page shows its "not available" state (asserted below).
      if (/status of 404/.test(m.text()) && !offers(new URL(m.location().url || base).pathname)) return;
      observed.consoleErrors.push(`${m.text()} @ ${m.location().url}`);
    });
    page.on("pageerror", (e) => observed.consoleErrors.push(`page error: ${e.message}`));
    return page;
  }

  async function signIn(page: Page, user: string): Promise<void> {
    await page.goto(`${base}/`);
    await page.getByLabel("User name").fill(user);
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByTestId("who").waitFor();
    assert.match((await page.getByTestId("who").textContent()) ?? "", new RegExp(user));
  }

  async function shot(page: Page, name: string): Promise<void> {
    await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
  }

  /** The "Incidents: all / real / demo" select of the matrix and dashboard. */
  function incidentsSelect(page: Page) {
    return page.locator("label", { hasText: /^Incidents/ }).locator("select");
  }

  async function realMatrixCount(page: Page, id: string): Promise<{ total: number; count: number }> {
    await page.goto(`${base}/#/matrix`);
    await incidentsSelect(page).selectOption({ label: "real only" });
    await page.getByTestId("matrix").waitFor();
    // Wait until the filtered matrix arrived (the demo-inclusive one has far more incidents).
    await page.waitForFunction(
      () => Number(document.querySelector("[data-testid=matrix-total]")?.textContent ?? "-1") < 100,
    );
    const total = Number(await page.getByTestId("matrix-total").textContent());
    const count = Number(await page.getByTestId(`count-${id}`).first().textContent());
    return { total, count };
  }

  async function pick(page: Page, alias: string, id: string): Promise<void> {
    const input = page.getByTestId("technique-picker");
    await input.fill(alias);
    const option = page.locator(`[data-testid=picker-results] li[data-technique="${id}"] button`);
    await option.waitFor();
    await option.click();
    await page.locator(`[data-testid=picked-techniques] li[data-technique="${id}"]`).waitFor();
  }

  test("sign-in is required and a wrong password is refused", async () => {
    const page = await newPage();
    await page.goto(`${base}/`);
    await shot(page, "01-sign-in");
    await page.getByLabel("User name").fill("responder1");
    await page.getByLabel("Password").fill("not the password");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("alert").waitFor();
    assert.match((await page.getByRole("alert").textContent()) ?? "", /wrong user name or password/);
    assert.equal(await page.getByTestId("who").count(), 0);
  });

  test("a responder tags an incident through the picker; matrix and dashboard count it; scan → incident", async (t) => {
    const page = await newPage();
    await signIn(page, "responder1");
    await page.getByTestId("matrix").waitFor();
    await shot(page, "02-matrix");

    const beforeCounts = await realMatrixCount(page, "T1078");
    assert.equal(beforeCounts.total, 0, "no real incident yet");

    // New incident with two techniques found by what responders call them.
    await page.goto(`${base}/#/incidents/new`);
    await page.getByLabel("Title").fill(HOSTILE_TITLE);
    await page.getByLabel("Severity").selectOption("P2");
    await page.getByLabel("Detected (UTC)").fill("2026-11-02T09:30");
    await pick(page, "stolen access keys", "T1078.A001");
    // The second one by keyboard: the best match is highlighted, Enter picks it.
    await page.getByTestId("technique-picker").fill("disable cloudtrail");
    await page.locator('[data-testid=picker-results] li.active[data-technique="T1562.008"]').waitFor();
    await page.getByTestId("technique-picker").press("Enter");
    await page.locator('[data-testid=picked-techniques] li[data-technique="T1562.008"]').waitFor();
    // The way in: offered from the tagged techniques only, and the credential used.
    const entryOptions = await page.getByLabel("Initial-access technique").locator("option").allTextContents();
    assert.deepEqual(
      entryOptions.map((o) => o.split(" ")[0]),
      ["—", "T1078.A001", "T1562.008"],
    );
    await page.getByLabel("Initial-access technique").selectOption("T1078.A001");
    await page.getByLabel("Credential type").selectOption("iam-user-access-key");
    await shot(page, "03-incident-form");
    await page.getByRole("button", { name: "Create incident" }).click();
    await page.getByTestId("incident-title").waitFor();
    assert.match(await page.title(), /^Incidents IR-\d{4}-\d+ · techtrail$/);
    // The markup in the title is text, not elements.
    assert.equal(await page.getByTestId("incident-title").textContent(), HOSTILE_TITLE);
    assert.equal(
      await page.locator("[data-testid=incident-title] img, [data-testid=incident-title] script").count(),
      0,
    );
    assert.equal(await page.evaluate(() => (window as { __pwned?: number }).__pwned), undefined);
    const tagged = await page.getByTestId("incident-techniques").textContent();
    assert.match(tagged ?? "", /T1078\.A001/);
    assert.match(tagged ?? "", /T1562\.008/);
    assert.equal(await page.getByTestId("incident-entry-technique").textContent(), "T1078.A001");
    assert.equal(await page.getByTestId("incident-credential-type").textContent(), "iam-user-access-key");
    const key = /#\/incidents\/(IR-\d{4}-\d+)/.exec(page.url())?.[1];
    assert.ok(key, `incident page URL: ${page.url()}`);
    await shot(page, "04-incident");

    // Counted on the matrix (real incidents only: exactly this one).
    const afterCounts = await realMatrixCount(page, "T1078");
    assert.deepEqual(afterCounts, { total: 1, count: 1 });
    assert.equal(Number(await page.getByTestId("count-T1562").first().textContent()), 1);
    // Sub-techniques expand inside the cell with their own counts.
    const cell = page.locator('.matrix-cell[data-technique="T1078"]').first();
    await cell.getByRole("button", { name: /sub-techniques/ }).click();
    assert.match((await cell.locator(".subs").textContent()) ?? "", /T1078\.A001.*1/);
    await shot(page, "05-matrix-real");
    // The frequency as an ATT&CK Navigator layer, saved from the page.
    const [layerFile] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("button", { name: "ATT&CK IDs" }).click(),
    ]);
    const layer = JSON.parse(readFileSync((await layerFile.path()) as string, "utf8")) as {
      techniques: Array<{ techniqueID: string; score?: number }>;
    };
    assert.ok(layer.techniques.some((x) => x.techniqueID === "T1078" && x.score === 1));
    assert.ok(layer.techniques.some((x) => x.techniqueID === "T1562.008" && x.score === 1));
    // A count opens the incident list filtered to the technique.
    await page.getByTestId("count-T1078").first().click();
    await page.getByTestId("incident-table").getByText(key).waitFor();
    assert.match((await page.getByTestId("incident-count").textContent()) ?? "", /^1 incident\b/);

    // Counted on the dashboard.
    await page.goto(`${base}/#/dashboard`);
    await incidentsSelect(page).selectOption({ label: "real only" });
    if (offers("/api/stats/frequency")) {
      await page.waitForFunction(
        () => document.querySelector("[data-testid=dashboard-incidents]")?.textContent === "1",
      );
      assert.equal(await page.getByTestId("freq-T1078.A001").textContent(), "1");
      await page.getByTestId("chart-frequency").waitFor();
      // The period filter: the incident was detected in 2026Q4, so 2026Q3 has none (when the list offers it).
      const period = page.locator('select[name="quarter"]');
      if ((await period.locator('option[value="2026Q3"]').count()) > 0) {
        await period.selectOption("2026Q3");
        await page.waitForFunction(
          () => document.querySelector("[data-testid=dashboard-incidents]")?.textContent === "0",
        );
        await period.selectOption("");
        await page.waitForFunction(
          () => document.querySelector("[data-testid=dashboard-incidents]")?.textContent === "1",
        );
      }
    } else {
      t.diagnostic("the server has no /api/stats/frequency yet: checking the dashboard's not-available state");
      await page.getByTestId("not-available").first().waitFor();
    }
    await shot(page, "06-dashboard");

    // In the list, found by title search.
    await page.goto(`${base}/#/incidents?q=leaked&demo=exclude`);
    await page.getByTestId("incident-table").getByText(key).waitFor();
    assert.match((await page.getByTestId("incident-count").textContent()) ?? "", /^1 incident/);
    await shot(page, "07-incidents");

    // Technique page lists the incident.
    await page.goto(`${base}/#/techniques/T1078.A001`);
    await page.getByText("stolen access keys").first().waitFor();
    await page.getByRole("link", { name: key }).waitFor();
    await shot(page, "08-technique");
    // Its playbook, rendered from Markdown as elements.
    await page.getByTestId("technique-playbooks").getByRole("link").first().click();
    await page.getByTestId("playbook-body").locator("h3", { hasText: "Contain" }).waitFor();
    assert.ok((await page.getByTestId("playbook-body").locator("li").count()) > 3);
    assert.match((await page.getByTestId("playbook-techniques").textContent()) ?? "", /T1078/);
    await shot(page, "08b-playbook");

    // Edit: the initial-access technique must stay tagged: removing it is refused in the form, naming the field,
    // and nothing is sent.
    await page.goto(`${base}/#/incidents/${key}/edit`);
    assert.equal(await page.getByLabel("Initial-access technique").inputValue(), "T1078.A001");
    await page.getByLabel("Initial-access technique").selectOption("T1562.008");
    await page
      .locator('[data-testid=picked-techniques] li[data-technique="T1562.008"]')
      .getByRole("button", { name: "remove" })
      .click();
    await page.getByRole("button", { name: "Save changes" }).click();
    await page.getByRole("alert").waitFor();
    assert.match(
      (await page.getByRole("alert").textContent()) ?? "",
      /initialAccessTechnique.*T1562\.008 is not among the incident's techniques/,
    );
    // Edit: severity, a tag, one technique removed, the way in and the credential changed; only the changes are
    // sent and the history records them. (A reload: the refused form is still the same URL.)
    await page.reload();
    await page.getByLabel("Credential type").selectOption("iam-user-password");
    await page.getByLabel("Severity").selectOption("P1");
    await page.getByLabel("Tags").fill("prod-account");
    await page.getByLabel("Lessons learned").fill("Rotate long-lived keys <b>now</b>");
    await page
      .locator('[data-testid=picked-techniques] li[data-technique="T1562.008"]')
      .getByRole("button", { name: "remove" })
      .click();
    await page.getByRole("button", { name: "Save changes" }).click();
    await page.getByTestId("incident-title").waitFor();
    assert.match((await page.locator(".badges").textContent()) ?? "", /P1.*prod-account/);
    const left = (await page.getByTestId("incident-techniques").textContent()) ?? "";
    assert.match(left, /T1078\.A001/);
    assert.doesNotMatch(left, /T1562\.008/);
    assert.equal(await page.getByTestId("incident-entry-technique").textContent(), "T1078.A001");
    assert.equal(await page.getByTestId("incident-credential-type").textContent(), "iam-user-password");
    await page.getByText("Rotate long-lived keys <b>now</b>").waitFor();
    assert.match((await page.getByTestId("incident-history").textContent()) ?? "", /update.*tag|tag.*update/s);

    // Scan a Stratus detonation log and file an incident from its findings.
    await page.goto(`${base}/#/scan`);
    assert.match((await page.getByTestId("scan-empty").textContent()) ?? "", /Choose one or more CloudTrail/);
    await page.getByTestId("scan-files").setInputFiles(trailStopLog(dir));
    await page.getByRole("button", { name: "Scan", exact: true }).click();
    if (!offers("/api/scan")) {
      t.diagnostic("the server has no POST /api/scan yet: checking the scan page's not-available state");
      await page.getByTestId("not-available").waitFor();
      await shot(page, "09-scan");
      return;
    }
    await page.getByTestId("scan-summary").waitFor({ timeout: 60_000 });
    const findings = Number(await page.getByTestId("scan-finding-count").textContent());
    assert.ok(findings > 0, "the Stratus CloudTrail-stop log yields findings");
    assert.match((await page.getByTestId("scan-techniques").textContent()) ?? "", /T1562\.008/);
    await shot(page, "09-scan");
    await page.getByLabel("Incident title").fill("CloudTrail stopped (Stratus detonation)");
    await page.getByTestId("create-incident").click();
    await page.getByTestId("incident-title").waitFor({ timeout: 60_000 });
    assert.equal(await page.getByTestId("incident-title").textContent(), "CloudTrail stopped (Stratus detonation)");
    assert.match((await page.getByTestId("incident-techniques").textContent()) ?? "", /T1562\.008/);
    const scanKey = /#\/incidents\/(IR-\d{4}-\d+)/.exec(page.url())?.[1];
    assert.ok(scanKey && scanKey !== key);
    await page.getByRole("button", { name: "Close incident" }).click();
    await page.locator(".badges .badge-closed").waitFor();
    // The page reloads the incident and its history separately: wait for the history row itself.
    await page.getByTestId("incident-history").getByText(/close/).first().waitFor({ timeout: 60_000 });
    assert.match((await page.getByTestId("incident-history").textContent()) ?? "", /close/);
    assert.equal((await realMatrixCount(page, "T1562")).total, 2);

    // Import a JSON file through the list page: checked first, then stored; the export returns it.
    const importFile = join(dir, "import.json");
    writeFileSync(
      importFile,
      JSON.stringify([
        {
          title: "Imported: root user console login",
          severity: "P1",
          timeline: { detected: "2026-10-05T08:00:00Z" },
          techniques: [{ id: "T1078.A002", confidence: "confirmed" }],
        },
      ]),
    );
    await page.goto(`${base}/#/incidents?demo=exclude`);
    await page.getByText("Export / import").click();
    await page.getByTestId("import-file").setInputFiles(importFile);
    await page.getByRole("button", { name: "Check", exact: true }).click();
    await page.getByText("1 incident would be created").waitFor();
    assert.equal((await realMatrixCount(page, "T1078")).total, 2, "a dry run stores nothing");
    await page.goto(`${base}/#/incidents?demo=exclude`);
    await page.getByText("Export / import").click();
    await page.getByTestId("import-file").setInputFiles(importFile);
    await page.getByRole("button", { name: "Check", exact: true }).click();
    await page.getByRole("button", { name: "Import 1 incident" }).click();
    await page.getByTestId("import-done").waitFor();
    await page.getByTestId("incident-table").getByText("Imported: root user console login").waitFor();
    const exported = await page.context().request.get(`${base}/api/incidents/export?format=json&demo=exclude`);
    assert.equal(exported.status(), 200);
    const titles = ((await exported.json()) as { incidents: Array<{ title: string }> }).incidents.map((i) => i.title);
    assert.equal(titles.length, 3);
    assert.ok(titles.includes("Imported: root user console login"));

    // Quarterly report: the HTML link serves a self-contained page.
    await page.goto(`${base}/#/reports`);
    if (offers("/api/reports")) {
      const link = page.getByRole("link", { name: "Open the HTML report" });
      await link.waitFor();
      const href = await link.getAttribute("href");
      const report = await page.context().request.get(`${base}${href}`);
      assert.equal(report.status(), 200);
      assert.match(report.headers()["content-type"] ?? "", /text\/html/);
    } else {
      t.diagnostic("the server has no /api/reports yet: checking the reports page's not-available state");
      await page.getByTestId("not-available").waitFor();
    }

    for (const [path, name] of [
      ["gaps", "10-gaps"],
      ["coverage", "11-coverage"],
      ["releases", "12-releases"],
      ["reports", "15-reports"],
    ] as const) {
      await page.goto(`${base}/#/${path}`);
      await page.locator("h1").waitFor();
      await page.waitForLoadState("networkidle");
      await shot(page, name);
    }
    // Coverage keeps rule and detector detection apart and names the GuardDuty finding types per technique.
    await page.goto(`${base}/#/coverage`);
    await page.getByTestId("detected-split").waitFor();
    const detectorCells = await page.getByTestId("detector-findings").allTextContents();
    assert.ok(
      detectorCells.some((c) => /guardduty, (high|medium|low)/.test(c)),
      "GuardDuty finding types behind detected techniques",
    );
    await shot(page, "11-coverage"); // again, now that the report has loaded
  });

  test("a viewer sees no write controls and the API refuses its writes", async () => {
    const page = await newPage();
    await signIn(page, "viewer1");
    const nav = (await page.getByRole("navigation", { name: "Main" }).textContent()) ?? "";
    assert.doesNotMatch(nav, /Scan/);
    assert.doesNotMatch(nav, /Users/);
    await page.goto(`${base}/#/incidents`);
    await page.getByTestId("incident-table").waitFor();
    assert.equal(await page.getByTestId("new-incident").count(), 0);
    // Filters go to the URL and to the API: Impact-tactic P1 incidents only.
    await page.locator('select[name="tactic"]').selectOption("TA0040");
    await page.locator('select[name="severity"]').selectOption("P1");
    const filtered = page.waitForResponse((r) => /\/api\/incidents\?.*tactic=TA0040/.test(r.url()));
    await page.getByRole("button", { name: "Apply" }).click();
    const total = ((await (await filtered).json()) as { total: number }).total;
    assert.ok(total > 0);
    assert.match(page.url(), /tactic=TA0040/);
    await page
      .getByTestId("incident-count")
      .getByText(new RegExp(`^${total} incidents?`))
      .waitFor();
    const severities = await page.locator("[data-testid=incident-table] tbody tr td:nth-child(4)").allTextContents();
    assert.ok(severities.length > 0 && severities.every((x) => x === "P1"), severities.join(","));
    const first = page.getByTestId("incident-table").locator("tbody tr a").first();
    const key = await first.textContent();
    await first.click();
    await page.getByTestId("incident-title").waitFor();
    assert.equal(await page.getByTestId("incident-actions").count(), 0);
    assert.equal(await page.getByTestId("technique-picker").count(), 0);
    await shot(page, "13-viewer-incident");
    // Typing the form's URL shows why instead of a form whose submit would fail.
    await page.goto(`${base}/#/incidents/new`);
    await page.getByTestId("needs-role").waitFor();
    assert.equal(await page.getByRole("button", { name: "Create incident" }).count(), 0);
    await page.goto(`${base}/#/scan`);
    await page.getByTestId("needs-role").waitFor();

    // The matrix at 1,440 px: either every tactic fits or a cue says how many are off to the right; the
    // column heads count techniques in correct English.
    await page.goto(`${base}/#/matrix`);
    await page.getByTestId("matrix").waitFor();
    const fit = await page.getByTestId("matrix").evaluate((el) => ({ scroll: el.scrollWidth, client: el.clientWidth }));
    if (fit.scroll > fit.client)
      assert.match((await page.getByTestId("matrix-scroll-cue").textContent()) ?? "", /Scroll sideways for \d+ more/);
    const heads = await page.locator(".matrix-head small").allTextContents();
    assert.ok(heads.length > 0 && heads.every((h) => /^(1 technique|\d+ techniques)$/.test(h)), heads.join("|"));
    // Counts are not clipped: each count box is as wide as its text.
    const clipped = await page
      .locator(".matrix-cell .count")
      .evaluateAll((els) => els.filter((e) => e.scrollWidth > e.clientWidth + 1).length);
    assert.equal(clipped, 0);
    await shot(page, "13a-matrix-1440");

    // A technique names the rules that detect it by title and level (no rule IDs), linked to the rule view.
    const rulesApi = (await (await page.context().request.get(`${base}/api/rules?technique=T1098`)).json()) as {
      items: Array<{ id: string; title: string; level: string }>;
    };
    assert.ok(rulesApi.items.length > 0);
    await page.goto(`${base}/#/techniques/T1098`);
    const ruleLinks = page.getByTestId("technique-rules").getByRole("link");
    await ruleLinks.first().waitFor();
    const shown = await page.getByTestId("technique-rules").textContent();
    assert.ok(shown?.includes(rulesApi.items[0]?.title ?? "?"), shown ?? "");
    assert.ok(shown?.includes(rulesApi.items[0]?.level ?? "?"));
    assert.doesNotMatch(shown ?? "", /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-/);
    assert.equal(await ruleLinks.count(), rulesApi.items.length);
    await ruleLinks.first().click();
    await page.getByTestId("rule-page").waitFor();
    assert.match((await page.getByTestId("rule-yaml").textContent()) ?? "", /detection:/);
    await shot(page, "13b-rule");

    // The server refuses the viewer's session even with a valid CSRF token.
    const req = page.context().request;
    const me = (await (await req.get(`${base}/api/auth/me`)).json()) as { csrfToken: string; role: string };
    assert.equal(me.role, "viewer");
    const create = await req.post(`${base}/api/incidents`, {
      headers: { "X-CSRF-Token": me.csrfToken },
      data: { title: "viewer write" },
    });
    assert.equal(create.status(), 403);
    const del = await req.delete(`${base}/api/incidents/${key}`, { headers: { "X-CSRF-Token": me.csrfToken } });
    assert.equal(del.status(), 403);
    assert.equal((await req.get(`${base}/api/incidents/${key}`)).status(), 200, "the incident is still there");

    // Signing out ends the session on the server too.
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByLabel("User name").waitFor();
    assert.equal((await req.get(`${base}/api/auth/me`)).status(), 401);
  });

  test("an admin manages users; the Users page is admin-only", async () => {
    const page = await newPage();
    await signIn(page, "admin1");
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Users" }).click();
    const table = page.locator("table");
    await table.getByText("responder1").waitFor();
    await page.getByLabel("New user").fill("analyst2");
    await page.getByRole("button", { name: "Add user" }).click();
    await page.getByText("One-time password").waitFor();
    await table.getByText("analyst2").waitFor();
    // Without tokens the section says what they are for and how to make one.
    await page.getByTestId("no-tokens").waitFor();
    // An API token for the viewer: its secret is shown once and works as a Bearer token.
    await page.getByLabel("For user").selectOption("viewer1");
    await page.getByLabel("Token name").fill("dashboards");
    await page.getByRole("button", { name: "Create token" }).click();
    const secret = (await page.getByTestId("token-secret").locator("code").textContent()) ?? "";
    assert.match(secret, /^tt_/);
    await page.context().grantPermissions(["clipboard-read", "clipboard-write"], { origin: base });
    await page.getByTestId("token-secret").getByRole("button", { name: "Copy token" }).click();
    await page.getByTestId("token-secret").getByRole("button", { name: "Copied" }).waitFor();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), secret);
    await page.getByTestId("token-table").getByText("dashboards").waitFor();
    const me = await fetch(`${base}/api/auth/me`, { headers: { Authorization: `Bearer ${secret}` } });
    assert.equal(((await me.json()) as { role: string; via: string }).via, "token");
    await shot(page, "14-users");
  });

  test("no request left 127.0.0.1, no console error, no CSP violation", () => {
    assert.ok(observed.requests.length > 20, `recorded ${observed.requests.length} requests`);
    const outside = observed.requests.filter((u) => !u.startsWith(`${base}/`) && !/^(data|blob):/.test(u));
    assert.deepEqual(outside, []);
    assert.deepEqual(observed.consoleErrors, []);
  });
});
