import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { TechtrailError } from "../core/errors.js";
import { testCatalog } from "../incidents/test-catalog.js";
import type { SqlStore } from "../store/sql-store.js";
import { openSqliteStore } from "../store/sqlite.js";
import { IncidentRegister } from "./register.js";

const ctx = { actor: "carol" };

async function expectError(p: Promise<unknown>, code: string, re?: RegExp): Promise<TechtrailError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof TechtrailError, String(e));
    assert.equal(e.code, code, e.describe());
    if (re) assert.match(e.describe(), re);
    return e;
  }
  assert.fail(`expected ${code}`);
}

describe("incident register", () => {
  let dir: string;
  let store: SqlStore;
  let reg: IncidentRegister;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "techtrail-register-"));
    store = await openSqliteStore(join(dir, "r.db"));
    reg = new IncidentRegister(store, testCatalog());
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test("add validates techniques against the catalog and fills the catalog version", async () => {
    const i = await reg.add(
      { title: "Keys", timeline: { detected: "2026-02-01" }, techniques: [{ id: "t1078.a001" }] },
      ctx,
    );
    assert.equal(i.key, "IR-2026-0001");
    assert.deepEqual(i.techniques[0], {
      id: "T1078.A001",
      catalogVersion: "2026.11",
      confidence: "likely",
      evidence: "",
      findings: [],
    });
    await expectError(
      reg.add({ title: "x", techniques: [{ id: "T1078.999" }] }, ctx),
      "VALIDATION",
      /unknown technique T1078\.999/,
    );
    await expectError(
      reg.add({ title: "x", techniques: [{ id: "T1496.A005" }] }, ctx),
      "VALIDATION",
      /revoked; use T1496\.A008/,
    );
    await expectError(reg.add({ title: "x", accounts: ["42"] }, ctx), "VALIDATION", /\[accounts\.0\]/);
  });

  test("tag resolves IDs, rejects phrases with ranked suggestions, and updates existing tags", async () => {
    const e = await expectError(reg.tag("IR-2026-0001", [{ id: "credential theft" }], ctx), "VALIDATION");
    const suggestions = (e.details as { suggestions: Array<{ id: string }> }).suggestions.map((s) => s.id);
    assert.ok(suggestions.includes("T1552.001") && suggestions.includes("T1552.005"), suggestions.join(","));
    await reg.tag("IR-2026-0001", [{ id: "T1496.A008", confidence: "confirmed", evidence: "RunInstances x40" }], ctx);
    const { incident } = await reg.tag("IR-2026-0001", [{ id: "T1078.A001", confidence: "confirmed" }], ctx);
    assert.deepEqual(
      incident.techniques.map((t) => [t.id, t.confidence]),
      [
        ["T1078.A001", "confirmed"],
        ["T1496.A008", "confirmed"],
      ],
    );
    const removed = await reg.tag("IR-2026-0001", [{ id: "T1078.A001" }], ctx, { remove: true });
    assert.deepEqual(
      removed.incident.techniques.map((t) => t.id),
      ["T1496.A008"],
    );
    await expectError(reg.tag("IR-2026-0001", [{ id: "T1078.A001" }], ctx, { remove: true }), "NOT_FOUND");
    assert.deepEqual(
      (await reg.history("IR-2026-0001")).map((h) => h.action),
      ["create", "tag", "tag", "tag"],
    );
  });

  test("edit sets fields by column name, adds/removes list values, and refuses technique edits", async () => {
    const { incident } = await reg.edit(
      "IR-2026-0001",
      {
        set: { severity: "critical", threat_actor: "ember wasp", contained: "2026-02-02" },
        add: [
          ["tags", "prod, crypto"],
          ["accounts", "123456789012"],
        ],
      },
      ctx,
    );
    assert.equal(incident.severity, "P1");
    assert.equal(incident.threatActor, "Ember Wasp");
    assert.deepEqual(incident.tags, ["prod", "crypto"]);
    const r2 = await reg.edit("IR-2026-0001", { remove: [["tags", "PROD"]], set: { threat_actor: "" } }, ctx);
    assert.deepEqual(r2.incident.tags, ["crypto"]);
    assert.equal(r2.incident.threatActor, undefined);
    await expectError(
      reg.edit("IR-2026-0001", { set: { contained: "2026-01-01" } }, ctx),
      "VALIDATION",
      /timeline\.contained/,
    );
    await expectError(reg.edit("IR-2026-0001", { set: { techniques: "T1078" } }, ctx), "VALIDATION", /incident tag/);
    await expectError(reg.edit("IR-2026-0001", { set: { owner: "x" } as never }, ctx), "VALIDATION", /unknown field/);
  });

  test("close sets status and time; closing twice is a conflict; reopening clears the closed time", async () => {
    const { incident } = await reg.close("IR-2026-0001", { at: "2026-02-10", lessons: "rotate keys" }, ctx);
    assert.equal(incident.status, "closed");
    assert.equal(incident.timeline.closed, "2026-02-10T00:00:00Z");
    await expectError(reg.close("IR-2026-0001", {}, ctx), "CONFLICT");
    const reopened = await reg.edit("IR-2026-0001", { set: { status: "open" } }, ctx);
    assert.equal(reopened.incident.timeline.closed, undefined);
    assert.equal((await reg.history("IR-2026-0001")).at(-2)?.action, "close");
  });

  test("list expands techniques to sub-techniques, tactics to their techniques, and date ranges by day", async () => {
    await reg.add(
      { title: "Ransom", timeline: { detected: "2025-06-30T23:59:00Z" }, techniques: [{ id: "T1486.A001" }] },
      ctx,
    );
    assert.deepEqual(
      (await reg.list({ technique: ["T1496"] })).items.map((i) => i.key),
      ["IR-2026-0001"],
    );
    assert.deepEqual(
      (await reg.list({ tactic: ["impact"] })).items.map((i) => i.key),
      ["IR-2026-0001", "IR-2025-0001"],
    );
    assert.equal((await reg.list({ tactic: ["collection"] })).total, 0);
    assert.equal((await reg.list({ from: "2025-06-01", to: "2025-06-30" })).total, 1, "to is inclusive of the day");
    await expectError(reg.list({ from: "last week" }), "VALIDATION", /from/);
    await expectError(reg.list({ tactic: ["nope"] }), "NOT_FOUND");
  });

  test("import is all-or-nothing, points duplicate keys at their records, and supports dry runs", async () => {
    const before = await store.count();
    const csv = "key,title\nIR-2024-0100,a\nIR-2026-0001,clash\n";
    const e = await expectError(reg.importText(csv, { format: "csv", source: "in.csv" }, ctx), "CONFLICT");
    assert.match(e.describe(), /record 2: incident IR-2026-0001 already exists/);
    assert.equal(await store.count(), before);
    const dry = await reg.importText("title\nnew one\n", { format: "csv", dryRun: true }, ctx);
    assert.equal(dry.created, 1);
    assert.equal(dry.dryRun, true);
    assert.match(dry.keys[0] ?? "", /^IR-\d{4}-\d{4}$/);
    assert.equal(await store.count(), before);
    const { text } = await reg.exportText("csv");
    const dir2 = mkdtempSync(join(tmpdir(), "techtrail-register-"));
    const other = await openSqliteStore(join(dir2, "r.db"));
    try {
      const reg2 = new IncidentRegister(other, testCatalog());
      await reg2.importText(text, { format: "csv" }, ctx);
      assert.equal((await reg2.exportText("csv")).text, text);
    } finally {
      await other.close();
      rmSync(dir2, { recursive: true, force: true });
    }
  });

  test("a big file is validated on a worker thread: all imported, or nothing with every problem", async () => {
    const make = (n: number, bad: number[]) =>
      JSON.stringify({
        incidents: Array.from({ length: n }, (_, k) => ({
          title: `bulk ${k}`,
          summary: "x".repeat(400),
          timeline: { detected: "2023-05-01T00:00:00Z", ...(bad.includes(k) ? { contained: "2023-04-01" } : {}) },
          techniques: [{ id: "T1078.A001" }, { id: "T1496.A008" }],
        })),
      });
    const before = await store.count();
    const badText = make(6000, [4500, 5999]);
    assert.ok(badText.length > 2_000_000, "big enough for the worker");
    const e = await expectError(reg.importText(badText, { format: "json", source: "bulk.json" }, ctx), "VALIDATION");
    assert.deepEqual(
      e.problems.map((p) => p.field),
      ["incidents.4500.timeline.contained", "incidents.5999.timeline.contained"],
    );
    assert.equal(await store.count(), before);
    const ok = await reg.importText(make(6000, []), { format: "json" }, ctx);
    assert.equal(ok.created, 6000);
    assert.equal(await store.count({ text: "bulk" }), 6000);
    assert.equal(ok.keys.at(-1), "IR-2023-6000");
    await store.db.run("DELETE FROM incidents WHERE key LIKE 'IR-2023-%'");
  });

  test("remap moves revoked tags to their replacement, merges duplicates, audits each incident", async () => {
    const old = testCatalog({ old: true });
    const oldReg = new IncidentRegister(store, old);
    const a = await oldReg.add({ title: "old mining", techniques: [{ id: "T1496.A005", evidence: "old tag" }] }, ctx);
    const b = await oldReg.add(
      {
        title: "both",
        techniques: [
          { id: "T1496.A005", confidence: "confirmed" },
          { id: "T1496.A008", confidence: "possible", catalogVersion: "2026.11" },
        ],
      },
      ctx,
    );
    const catalogs = new Map([["2026.01", old]]);
    const dry = await reg.remap("2026.11", { dryRun: true, catalogs }, ctx);
    assert.equal(dry.incidents, 2);
    assert.deepEqual(
      dry.changes.map((c) => [c.key, c.from, c.to, c.merged]),
      [
        [a.key, "T1496.A005", "T1496.A008", false],
        [b.key, "T1496.A005", "T1496.A008", true],
      ],
    );
    assert.equal((await store.require(a.key)).techniques[0]?.id, "T1496.A005", "dry run changes nothing");
    const res = await reg.remap("2026.11", { catalogs }, ctx);
    assert.equal(res.changes.length, 2);
    const ra = await store.require(a.key);
    assert.deepEqual(
      [ra.techniques[0]?.id, ra.techniques[0]?.catalogVersion, ra.techniques[0]?.evidence],
      ["T1496.A008", "2026.11", "old tag"],
    );
    const rb = await store.require(b.key);
    assert.deepEqual(
      rb.techniques.map((t) => [t.id, t.confidence]),
      [["T1496.A008", "confirmed"]],
    );
    const h = await store.history(b.key);
    assert.equal(h.at(-1)?.action, "remap");
    assert.match(h.at(-1)?.note ?? "", /T1496\.A005→T1496\.A008/);
    assert.equal((await reg.remap("2026.11", { catalogs }, ctx)).changes.length, 0, "idempotent");
    await expectError(reg.remap("1999.01", { catalogs }, ctx), "NOT_FOUND");
  });

  test("remap carries the initial-access technique to the replacement, merged or not", async () => {
    // T1496.A005 is the test catalog's one revoked technique (→ T1496.A008), so it stands in for a way in here.
    const old = testCatalog({ old: true });
    const oldReg = new IncidentRegister(store, old);
    const moved = await oldReg.add(
      {
        title: "entry remapped",
        techniques: [{ id: "T1496.A005" }, { id: "T1078.A001" }],
        initialAccessTechnique: "T1496.A005",
        credentialType: "iam-user-access-key",
      },
      ctx,
    );
    const merged = await oldReg.add(
      {
        title: "entry merged into its replacement",
        techniques: [{ id: "T1496.A005" }, { id: "T1496.A008", catalogVersion: "2026.11" }],
        initialAccessTechnique: "T1496.A005",
      },
      ctx,
    );
    const untouched = await oldReg.add(
      {
        title: "entry not remapped",
        techniques: [{ id: "T1496.A005" }, { id: "T1078.A001" }],
        initialAccessTechnique: "T1078.A001",
      },
      ctx,
    );
    const res = await reg.remap("2026.11", { catalogs: new Map([["2026.01", old]]) }, ctx);
    assert.deepEqual(
      res.changes.filter((c) => [moved.key, merged.key, untouched.key].includes(c.key)).map((c) => [c.key, c.merged]),
      [
        [moved.key, false],
        [merged.key, true],
        [untouched.key, false],
      ],
    );
    const m = await store.require(moved.key);
    assert.equal(m.initialAccessTechnique, "T1496.A008");
    assert.equal(m.credentialType, "iam-user-access-key", "the credential stays");
    assert.deepEqual(m.techniques.map((t) => t.id).sort(), ["T1078.A001", "T1496.A008"]);
    const g = await store.require(merged.key);
    assert.equal(g.initialAccessTechnique, "T1496.A008");
    assert.deepEqual(
      g.techniques.map((t) => t.id),
      ["T1496.A008"],
    );
    assert.equal((await store.require(untouched.key)).initialAccessTechnique, "T1078.A001");
    assert.match((await store.history(moved.key)).at(-1)?.note ?? "", /initial access T1496\.A005→T1496\.A008/);
  });

  test("demo seed: the same set again is a no-op, a different one needs --replace", async () => {
    const res = await reg.seedDemo({ incidents: 40, seed: 5 }, ctx);
    assert.equal(res.created, 40);
    assert.equal(await store.count({ demo: true }), 40);
    const same = await reg.seedDemo({ incidents: 40, seed: 5 }, ctx);
    assert.deepEqual([same.created, same.alreadySeeded], [0, true]);
    assert.equal(await store.count({ demo: true }), 40);
    await expectError(reg.seedDemo({ incidents: 40, seed: 6 }, ctx), "CONFLICT", /--replace/);
    const again = await reg.seedDemo({ incidents: 30, seed: 5, replace: true }, ctx);
    assert.equal(again.removed, 40);
    assert.equal(await store.count({ demo: true }), 30);
  });

  test("attach adds findings to an incident; createFromFindings makes a draft", async () => {
    const finding = {
      rule: { id: "r1", title: "t", level: "high" },
      techniques: ["T1530.A001"],
      eventID: "ev1",
      eventTime: "2026-02-01T00:00:00Z",
      eventName: "GetObject",
      accountId: "123456789012",
    };
    const r = await reg.attach("IR-2025-0001", [finding], ctx);
    assert.equal(r.incident.techniques.find((t) => t.id === "T1530.A001")?.findings[0]?.eventID, "ev1");
    const { incident } = await reg.createFromFindings([finding], { title: "From scan" }, ctx);
    assert.equal(incident.title, "From scan");
    assert.equal(incident.techniques[0]?.findings.length, 1);
    await expectError(reg.createFromFindings([], {}, ctx), "VALIDATION");
  });
});
