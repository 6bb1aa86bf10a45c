// Browser test of a workshop: the real HTTP API and web UI (createApp on @hono/node-server, 127.0.0.1, random port)
// over a temporary SQLite store, driven in Debian's Chromium (launchChromium). A facilitator starts a workshop,
// a participant opens it, takes a hint, answers every question and reads the score; the facilitator sees the
// results and the debrief. Skipped with a message when /usr/bin/chromium is missing.
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
  process.stderr.write(`workshop-e2e: SKIPPED: ${CHROMIUM} is missing; the browser test did not run\n`);

describe("a workshop in Chromium", { skip: haveChromium ? false : `${CHROMIUM} is missing` }, () => {
  let dir: string;
  let store: Store;
  let server: ReturnType<typeof serve>;
  let base: string;
  let browser: Browser;
  const errors: string[] = [];

  before(async () => {
    ensureBuilt();
    mkdirSync(SHOTS, { recursive: true });
    dir = mkdtempSync(join(tmpdir(), "techtrail-workshop-web-"));
    store = await openSqliteStore(join(dir, "web.db"));
    const auth = await openAuthStore(store);
    for (const name of ["facilitator1", "participant1"])
      await auth.createUser({ name, role: name === "facilitator1" ? "responder" : "viewer", password: PASSWORD });
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

  async function signedIn(user: string): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    context.setDefaultTimeout(60_000);
    const page = await context.newPage();
    page.on("pageerror", (e) => errors.push(`page error: ${e.message}`));
    page.on("console", (m) => {
      if (m.type() !== "error") return;
      if (/status of 401/.test(m.text()) && /\/api\/auth\/me$/.test(m.location().url)) return;
      errors.push(`${m.text()} @ ${m.location().url}`);
    });
    await page.goto(`${base}/`);
    await page.getByLabel("User name").fill(user);
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByTestId("who").waitFor();
    return page;
  }

  test("start, answer with a hint, score; the facilitator sees results and the debrief", async () => {
    // Start: the facilitator fills in the form; the server plays the scenario and keeps the key.
    const f = await signedIn("facilitator1");
    await f.getByRole("link", { name: "Workshops" }).click();
    await f.getByLabel("Scenario pack").selectOption("ransomware-s3");
    await f.getByLabel(/^Seed/).fill("5");
    await f.getByLabel("Title (optional)").fill("Friday ransomware drill");
    await f.getByRole("button", { name: "Start" }).click();
    await f.getByTestId("question-initial-access").waitFor();
    const id = decodeURIComponent(new URL(f.url()).hash.split("/")[2] ?? "");
    const w = await store.getWorkshop(id);
    assert.ok(w, `workshop ${id} is stored`);
    const key = w.answerKey.scenarios[0];
    assert.ok(key);
    const techniques = [
      ...new Set([...key.steps].sort((a, b) => (a.start < b.start ? -1 : 1)).map((s) => s.technique)),
    ];
    const buckets = [
      ...new Set(
        [...key.impact.deleted, ...key.impact.encrypted].map((r) => r.replace(/^arn:aws:s3:::/, "").split("/")[0]),
      ),
    ];

    const p = await signedIn("participant1");
    await p.getByRole("link", { name: "Workshops" }).click();
    await p.getByTestId("workshop-list").getByRole("link", { name: "Friday ransomware drill" }).click();
    await p.getByTestId("question-initial-access").waitFor();
    assert.equal(await p.getByRole("link", { name: "Download the logs" }).count(), 1);

    const ia = p.getByTestId("question-initial-access");
    await ia.getByRole("button", { name: /Take a hint/ }).click();
    await ia.getByTestId("hint").waitFor();
    assert.match((await ia.getByTestId("hint").textContent()) ?? "", new RegExp(`account ${key.account}`));
    await ia
      .getByLabel("Access key ID (or principal)")
      .fill(key.initialAccess.accessKeyId ?? key.initialAccess.principalArn);
    await ia.getByLabel("Source IP address").fill(key.initialAccess.sourceIp);
    await ia.getByRole("button", { name: "Answer" }).click();
    await ia.getByTestId("answer-result").waitFor();
    assert.match((await ia.getByTestId("answer-result").textContent()) ?? "", /20 of 25 point\(s\).*−5 for hints/);

    const tq = p.getByTestId("question-techniques");
    await tq.getByLabel(/Technique IDs/).fill(techniques.join(" "));
    await tq.getByRole("button", { name: "Answer" }).click();
    await tq.getByTestId("answer-result").waitFor();

    const iq = p.getByTestId("question-impact");
    await iq.getByLabel(/Deleted or encrypted/).fill(buckets.join(", ") || "none");
    await iq.getByRole("button", { name: "Answer" }).click();
    await iq.getByTestId("answer-result").waitFor();

    const cq = p.getByTestId("question-containment");
    await cq.getByLabel(/Time/).fill(new Date(Date.parse(key.containBy) + 6 * 3_600_000).toISOString());
    await cq.getByRole("button", { name: "Answer" }).click();
    await cq.getByTestId("answer-result").waitFor();
    assert.match((await cq.getByTestId("answer-result").textContent()) ?? "", /Too late/);

    await p.waitForFunction(() =>
      /all questions answered/.test(document.querySelector("[data-testid=workshop-score]")?.textContent ?? ""),
    );
    assert.match((await p.getByTestId("workshop-score").textContent()) ?? "", /Your score: 75 of 100/);
    assert.equal(await p.getByTestId("workshop-results").count(), 0, "participants do not see the results table");
    await p.screenshot({ path: join(SHOTS, "workshop-participant.png"), fullPage: true });

    await f.goto(`${base}/#/workshops/${id}`);
    await f.getByRole("button", { name: "Refresh" }).click();
    await f.getByTestId("workshop-results").waitFor();
    assert.match((await f.getByTestId("workshop-results").textContent()) ?? "", /participant1\s*75\/100/);
    await f.getByRole("button", { name: "Show the debrief" }).click();
    await f.getByTestId("debrief").waitFor();
    const debrief = (await f.getByTestId("debrief").textContent()) ?? "";
    assert.ok(debrief.includes(key.initialAccess.sourceIp), "the debrief names where the attacker came from");
    assert.match(debrief, /Ransomware and extortion on S3 data/, "the debrief links the playbook");
    await f.getByRole("button", { name: "Close the workshop" }).click();
    await f.getByText("closed").first().waitFor();
    await f.screenshot({ path: join(SHOTS, "workshop-facilitator.png"), fullPage: true });
    assert.deepEqual(errors, []);
  });
});
