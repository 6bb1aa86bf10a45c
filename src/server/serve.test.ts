// startService(): once listening, the rules for scan uploads are compiled in the background, so the first upload
// is as fast as the next ones.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { RuleSetCache } from "../scan/rule-cache.js";
import { startService } from "./serve.js";

test("a started service compiles the scan rules before the first upload, which then uses them", async () => {
  const dir = mkdtempSync(join(tmpdir(), "techtrail-serve-"));
  const ruleCache = new RuleSetCache();
  const svc = await startService({ db: join(dir, "t.db"), port: 0, demo: false, webDir: null, app: { ruleCache } });
  try {
    const until = Date.now() + 30_000;
    while (ruleCache.loads === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    assert.equal(ruleCache.loads, 1, "compiled without any upload");
    const rules = await ruleCache.get({ ruleDirs: [], builtin: true });
    assert.ok(rules.info.rules.length > 100);
    assert.equal(ruleCache.loads, 1);

    // the first upload finds them compiled
    const login = await fetch(`${svc.url}/api/auth/login`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ username: "admin", password: svc.adminPassword }),
    });
    assert.equal(login.status, 200);
    const cookie = login.headers
      .getSetCookie()
      .map((c) => c.split(";")[0])
      .join("; ");
    const { csrfToken } = (await login.json()) as { csrfToken: string };
    const form = new FormData();
    const example = new URL(
      "../../examples/cloudtrail/111122223333_CloudTrail_eu-west-1_example.json",
      import.meta.url,
    );
    form.append("file", new Blob([readFileSync(example)]), "example.json");
    const res = await fetch(`${svc.url}/api/scan`, {
      method: "POST",
      headers: { Cookie: cookie, "X-CSRF-Token": csrfToken },
      body: form,
    });
    assert.equal(res.status, 200, await res.clone().text());
    const body = (await res.json()) as { summary: { findings: { total: number }; workers: number } };
    assert.equal(body.summary.findings.total, 2);
    assert.equal(body.summary.workers, 0);
    assert.equal(ruleCache.loads, 1, "the upload did not compile the rules again");
  } finally {
    await svc.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
