// The one contract every Store adapter must pass. sqlite.test.ts and postgres.test.ts register it
// with their own factory, so both engines are held to exactly the same behaviour.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { TechtrailError } from "../core/errors.js";
import { type ChangeContext, NewIncident, type NewIncidentInput, nameKey } from "../incidents/model.js";
import { applyMigrations, MIGRATIONS, splitStatements } from "./migrations.js";
import type { SqlDb } from "./sql.js";
import { SqlStore } from "./sql-store.js";
import { workshopTests } from "./workshop-contract.js";

export interface StoreFixture {
  store: SqlStore;
  /** Drops whatever the factory created. */
  cleanup(): Promise<void>;
}

const alice: ChangeContext = { actor: "alice" };
const bob: ChangeContext = { actor: "bob" };

export function sampleIncident(over: Partial<NewIncidentInput> = {}): NewIncident {
  return NewIncident.parse({
    title: "Leaked access key used for cryptomining",
    summary: "Key committed to a public repository; EC2 instances launched in three regions.",
    severity: "P2",
    timeline: {
      firstActivity: "2026-03-01T02:10:00Z",
      detected: "2026-03-01T09:00:00Z",
      contained: "2026-03-01T12:30:00Z",
    },
    accounts: ["123456789012"],
    regions: ["us-east-1", "eu-west-1"],
    services: ["ec2", "iam"],
    resources: ["arn:aws:iam::123456789012:user/ci-deploy"],
    detectionSource: "guardduty",
    initialAccess: "leaked-access-key",
    threatActor: "Ember Wasp",
    impact: ["resource-abuse"],
    techniques: [
      { id: "T1078.A001", catalogVersion: "2026.11", confidence: "confirmed", evidence: "CloudTrail shows the key" },
      {
        id: "T1496.A008",
        catalogVersion: "2026.11",
        confidence: "likely",
        firstSeen: "2026-03-01T02:30:00Z",
        findings: [
          {
            ruleId: "ec2-mass-launch",
            ruleTitle: "Many instances launched",
            level: "high",
            eventID: "e1",
            eventTime: "2026-03-01T02:30:00Z",
            eventName: "RunInstances",
            principalArn: "arn:aws:iam::123456789012:user/ci-deploy",
          },
        ],
      },
    ],
    playbooks: ["compromised-access-key"],
    tags: ["cryptomining", "prod"],
    status: "contained",
    ...over,
  });
}

async function rejects(p: Promise<unknown>, code: string, fieldOrText?: string): Promise<TechtrailError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof TechtrailError, `expected a TechtrailError, got ${String(e)}`);
    assert.equal(e.code, code, e.describe());
    if (fieldOrText) assert.match(e.describe(), new RegExp(fieldOrText.replace(/\./g, "\\.")));
    return e;
  }
  assert.fail(`expected ${code}`);
}

/** Keys: sequential per incident year, explicit keys and the counter. */
function keyTests(st: () => SqlStore): void {
  test("create assigns sequential keys per incident year and get returns the same incident", async () => {
    const store = st();
    const a = await store.create(sampleIncident(), alice);
    const b = await store.create(sampleIncident({ title: "Second" }), alice);
    assert.equal(a.key, "IR-2026-0001");
    assert.equal(b.key, "IR-2026-0002");
    const old = await store.create(
      sampleIncident({ title: "Old one", timeline: { detected: "2024-05-01T00:00:00Z" }, status: "open" }),
      alice,
    );
    assert.equal(old.key, "IR-2024-0001");
    assert.deepEqual(await store.get("ir-2026-0001"), a);
    assert.equal(a.techniques[1]?.findings[0]?.eventID, "e1");
    assert.equal(await store.get("IR-2099-0001"), undefined);
    await rejects(store.require("IR-2099-0001"), "NOT_FOUND");
  });

  test("explicit keys conflict with existing ones and move the counter past them", async () => {
    const store = st();
    await rejects(store.create(sampleIncident({ key: "IR-2026-0001" }), alice), "CONFLICT", "IR-2026-0001");
    const x = await store.create(sampleIncident({ key: "IR-2026-0500" }), alice);
    assert.equal(x.key, "IR-2026-0500");
    const next = await store.create(sampleIncident(), alice);
    assert.equal(next.key, "IR-2026-0501");
  });
}

/** Changes: the audit trail of updates, refused changes. */
function changeTests(st: () => SqlStore): void {
  test("update records before/after in the audit trail; a no-op writes nothing", async () => {
    const store = st();
    const { incident, changed } = await store.update(
      "IR-2026-0001",
      (i) => ({ ...i, severity: "P1", tags: [...i.tags, "escalated"] }),
      bob,
    );
    assert.equal(changed, true);
    assert.equal(incident.severity, "P1");
    const again = await store.update("IR-2026-0001", (i) => ({ ...i, severity: "P1" }), bob);
    assert.equal(again.changed, false);
    const h = await store.history("IR-2026-0001");
    assert.deepEqual(
      h.map((e) => [e.action, e.actor]),
      [
        ["create", "alice"],
        ["update", "bob"],
      ],
    );
    const change = h[1];
    assert.ok(change);
    assert.equal((change.before as { severity: string }).severity, "P2");
    assert.equal((change.after as { severity: string }).severity, "P1");
    assert.equal(h[0]?.before, null);
  });

  test("an impossible change is refused naming the field and leaves the incident untouched", async () => {
    const store = st();
    const before = await store.require("IR-2026-0002");
    const e = await rejects(
      store.update(
        "IR-2026-0002",
        (i) => ({ ...i, timeline: { ...i.timeline, contained: "2026-02-01T00:00:00Z" } }),
        bob,
      ),
      "VALIDATION",
      "timeline.contained",
    );
    assert.match(e.describe(), /before detected/);
    assert.deepEqual(await store.require("IR-2026-0002"), before);
    assert.equal((await store.history("IR-2026-0002")).length, 1);
  });
}

/** Queries: every list filter. */
function listTests(st: () => SqlStore): void {
  test("list filters by status, severity, technique groups, actor, tag, dates, demo and text", async () => {
    const store = st();
    await store.create(
      sampleIncident({
        title: "S3 ransom note",
        severity: "P1",
        status: "open",
        timeline: { detected: "2025-07-10T00:00:00Z" },
        threatActor: "Bucket Barons",
        techniques: [{ id: "T1486.A001", catalogVersion: "2026.11" }],
        tags: ["ransom"],
        isDemo: true,
      }),
      alice,
    );
    const all = await store.list({ limit: 100 });
    assert.equal(all.total, all.items.length);
    assert.ok(all.total >= 6);
    const dates = all.items.map((i) => i.date ?? "");
    assert.deepEqual(dates, [...dates].sort().reverse(), "newest first by default");
    assert.deepEqual(
      (await store.list({ status: ["open"] })).items.map((i) => i.title),
      ["S3 ransom note", "Old one"],
    );
    const p1 = await store.list({ severity: ["P1"] });
    assert.deepEqual(p1.items.map((i) => i.key).sort(), ["IR-2025-0001", "IR-2026-0001"]);
    const ransom = await store.list({ techniques: [["T1486.A001", "T1485.A003"]] });
    assert.deepEqual(
      ransom.items.map((i) => i.key),
      ["IR-2025-0001"],
    );
    assert.deepEqual(ransom.items[0]?.techniques, ["T1486.A001"]);
    const both = await store.list({ techniques: [["T1078.A001"], ["T1486.A001"]] });
    assert.equal(both.total, 0, "groups are ANDed");
    assert.equal((await store.list({ threatActor: "  bucket   BARONS " })).total, 1);
    assert.deepEqual(
      (await store.list({ families: ["T1486"] })).items.map((i) => i.key),
      ["IR-2025-0001"],
    );
    assert.equal((await store.list({ families: ["T1496"] })).total, all.total - 1);
    assert.equal((await store.list({ tactics: ["TA0040"] })).total, all.total);
    assert.equal((await store.list({ tactics: ["TA0005"], text: "ransom" })).total, 0);
    assert.equal((await store.list({ tactics: ["TA0040"], severity: ["P1"] })).total, 2);
    assert.equal((await store.list({ tactics: ["TA0040"], families: ["T1486"], tag: "ransom" })).total, 1);
    assert.equal((await store.list({ tag: "Ransom" })).total, 1);
    assert.equal((await store.list({ since: "2025-01-01", until: "2026-01-01" })).total, 1);
    assert.equal((await store.list({ until: "2025-01-01" })).total, 1);
    assert.equal((await store.list({ demo: true })).total, 1);
    assert.equal((await store.list({ text: "RANSOM" })).total, 1);
    assert.equal((await store.list({ text: "100%" })).total, 0, "LIKE wildcards are escaped");
    const page = await store.list({ sort: "key", order: "asc", limit: 2, offset: 1 });
    assert.equal(page.items.length, 2);
    assert.equal(page.items[0]?.key, "IR-2025-0001");
    assert.equal(await store.count({ status: ["contained"] }), all.total - 2);
    await rejects(store.list({ limit: 0 }), "VALIDATION", "limit");
  });
}

/** Deletion and the append-only audit trail. */
function deletionTests(st: () => SqlStore): void {
  test("delete removes the incident and its rows; the audit trail keeps its history", async () => {
    const store = st();
    const gone = await store.delete("IR-2026-0500", alice);
    assert.equal(gone.key, "IR-2026-0500");
    assert.equal(await store.get("IR-2026-0500"), undefined);
    assert.equal(
      (await store.list({ techniques: [["T1496.A008"]], limit: 100 })).items.some((i) => i.key === gone.key),
      false,
    );
    const h = await store.history("IR-2026-0500");
    assert.deepEqual(
      h.map((e) => e.action),
      ["create", "delete"],
    );
    assert.equal(h[1]?.after, null);
    await rejects(store.delete("IR-2026-0500", alice), "NOT_FOUND");
    // The key is not handed out again.
    assert.equal((await store.create(sampleIncident(), alice)).key, "IR-2026-0502");
  });

  test("the audit trail is append-only at the database level", async () => {
    const store = st();
    await assert.rejects(store.db.run("UPDATE audit_log SET actor = 'mallory'"), /append-only/);
    await assert.rejects(store.db.run("DELETE FROM audit_log"), /append-only/);
    const h = await store.history("IR-2026-0001");
    assert.equal(h[0]?.actor, "alice");
  });
}

/** Team keys (the register's key pattern) and imports that update existing incidents by key. */
function teamKeyTests(st: () => SqlStore): void {
  test("team keys are refused until the register's key pattern accepts them", async () => {
    const store = st();
    assert.equal(await store.keyPattern(), undefined);
    await rejects(store.create(sampleIncident({ key: "SEC-1234" }), alice), "VALIDATION", "IR-YYYY-NNNN");
    await rejects(store.setKeyPattern("SEC-(\\d+"), "VALIDATION", "keyPattern");
    await rejects(store.setKeyPattern("SEC-\\d*|"), "VALIDATION", "empty key");
    await store.setKeyPattern("SEC-\\d{4,}");
    assert.equal(await store.keyPattern(), "SEC-\\d{4,}");
    const a = await store.create(sampleIncident({ key: "sec-1234", title: "Ticket key" }), alice);
    assert.equal(a.key, "SEC-1234");
    assert.deepEqual(await store.get("sec-1234"), a);
    await rejects(store.create(sampleIncident({ key: "SEC-12" }), alice), "VALIDATION", "SEC-12 does not match");
    await rejects(store.create(sampleIncident({ key: "SEC-1234" }), alice), "CONFLICT", "SEC-1234");
    // Keys without one still get techtrail's own form, next to team keys in the same register.
    const own = await store.create(sampleIncident({ title: "No ticket" }), alice);
    assert.match(own.key, /^IR-2026-\d{4}$/);
    const changed = await store.update("SEC-1234", (i) => ({ ...i, severity: "P1" }), bob);
    assert.equal(changed.changed, true);
    assert.deepEqual(
      (await store.history("SEC-1234")).map((e) => e.action),
      ["create", "update"],
    );
    assert.ok((await store.list({ limit: 1000 })).items.some((i) => i.key === "SEC-1234"));
  });

  test("import --upsert updates existing keys by the fields given, audits each change, creates the rest", async () => {
    const store = st();
    const before = await store.require("SEC-1234");
    const r = await store.importMany(
      [
        // Only title and contained are given: everything else stays.
        sampleIncident({
          key: "SEC-1234",
          title: "Ticket key, renamed",
          timeline: { contained: "2026-03-01T11:00:00Z" },
        }),
        sampleIncident({ key: "SEC-2000", title: "New ticket" }),
        sampleIncident({ key: "IR-2026-0001" }),
      ],
      { actor: "carol", note: "upsert from sheet.csv" },
      {
        upsert: true,
        fieldsOf: (k) =>
          k === "SEC-1234" ? ["title", "timeline.contained"] : k === "IR-2026-0001" ? ["title"] : undefined,
      },
    );
    assert.deepEqual(r.keys, ["SEC-2000"]);
    assert.deepEqual(r.updatedKeys, ["SEC-1234"]);
    assert.equal(r.updated, 1);
    assert.equal(r.unchanged, 1, "IR-2026-0001 already has that title");
    const after = await store.require("SEC-1234");
    assert.equal(after.title, "Ticket key, renamed");
    assert.equal(after.timeline.contained, "2026-03-01T11:00:00Z");
    assert.equal(after.severity, before.severity);
    assert.deepEqual(after.timeline.detected, before.timeline.detected);
    assert.equal(after.createdAt, before.createdAt);
    const h = await store.history("SEC-1234");
    const last = h[h.length - 1];
    assert.equal(last?.action, "update");
    assert.equal(last?.actor, "carol");
    assert.equal(last?.note, "upsert from sheet.csv: changed title, timeline");
    assert.equal((last?.before as { title?: string } | undefined)?.title, "Ticket key");
    assert.equal((await store.history("IR-2026-0001")).filter((e) => e.note?.includes("sheet.csv")).length, 0);
    assert.equal((await store.history("SEC-2000"))[0]?.action, "import");
    // Without --upsert an existing key is still a conflict.
    await rejects(store.importMany([sampleIncident({ key: "SEC-2000" })], alice), "CONFLICT", "SEC-2000");
  });

  test("an upsert that would leave an invalid incident rolls back the whole import; dry runs write nothing", async () => {
    const store = st();
    const count = await store.count();
    const before = await store.require("SEC-1234");
    const e = await rejects(
      store.importMany(
        [
          sampleIncident({ key: "SEC-3000", title: "would be new" }),
          sampleIncident({ key: "SEC-1234", title: "x", timeline: { contained: "2026-01-01T00:00:00Z" } }),
        ],
        alice,
        { upsert: true, fieldsOf: () => ["title", "timeline.contained"] },
      ),
      "VALIDATION",
      "timeline.contained",
    );
    assert.deepEqual([...new Set((e.details as { keys: string[] }).keys)], ["SEC-1234"]);
    assert.equal(await store.count(), count);
    assert.deepEqual(await store.require("SEC-1234"), before);
    const dry = await store.importMany(
      [sampleIncident({ key: "SEC-1234", severity: "P4" }), sampleIncident({ key: "SEC-3001" })],
      alice,
      { upsert: true, dryRun: true, fieldsOf: () => ["severity"] },
    );
    assert.deepEqual([dry.updatedKeys, dry.keys, dry.dryRun], [["SEC-1234"], ["SEC-3001"], true]);
    assert.deepEqual(await store.require("SEC-1234"), before);
    assert.equal(await store.get("SEC-3001"), undefined);
    await rejects(store.importMany([sampleIncident({ key: "OPS-1" })], alice, { upsert: true }), "VALIDATION", "OPS-1");
    await store.setKeyPattern(undefined);
    assert.equal(await store.keyPattern(), undefined);
    // Stored team keys stay readable and updatable after the pattern changes.
    assert.equal((await store.update("SEC-1234", (i) => ({ ...i, severity: "P3" }), bob)).changed, true);
  });
}

/** The team's controls file kept in the register: saved as written with who and when, replaced, removed. */
function storedControlsTests(st: () => SqlStore): void {
  test("the register keeps one controls file text, who saved it and when", async () => {
    const store = st();
    assert.equal(await store.storedControls(), undefined);
    const text = "team: blue # our team\ncontrols:\n  - control: AM0007\n    since: 2024-03-01\n";
    const saved = await store.setStoredControls(text, alice);
    assert.equal(saved?.text, text);
    assert.equal(saved?.updatedBy, alice.actor);
    assert.deepEqual(await store.storedControls(), saved);
    await store.setStoredControls("team: red\n", bob);
    assert.deepEqual(
      [(await store.storedControls())?.text, (await store.storedControls())?.updatedBy],
      ["team: red\n", bob.actor],
    );
    assert.equal(await store.setStoredControls(undefined, bob), undefined);
    assert.equal(await store.storedControls(), undefined);
    // The key pattern shares the settings table and is left alone.
    await store.setKeyPattern("SEC-\\d+");
    await store.setStoredControls(text, alice);
    await store.setStoredControls(undefined, alice);
    assert.equal(await store.keyPattern(), "SEC-\\d+");
    await store.setKeyPattern(undefined);
  });
}

/** Bulk import and export, and concurrent writers. */
function bulkTests(st: () => SqlStore, factory: () => Promise<StoreFixture>): void {
  test("importMany is all-or-nothing and reports every conflicting key", async () => {
    const store = st();
    const before = await store.count();
    const e = await rejects(
      store.importMany(
        [
          sampleIncident({ key: "IR-2023-0001" }),
          sampleIncident({ key: "IR-2026-0001" }),
          sampleIncident({ key: "IR-2026-0002" }),
          sampleIncident({ key: "IR-2023-0001" }),
        ],
        alice,
      ),
      "CONFLICT",
    );
    assert.equal(e.problems.length, 3, e.describe());
    assert.equal(await store.count(), before);
    assert.equal(await store.get("IR-2023-0001"), undefined);
    const ok = await store.importMany([sampleIncident({ key: "IR-2023-0007" }), sampleIncident()], alice);
    assert.equal(ok.created, 2);
    assert.equal(ok.keys[0], "IR-2023-0007");
    assert.equal((await store.history("IR-2023-0007"))[0]?.action, "import");
  });

  test("export then import into an empty store round-trips exactly", async () => {
    const store = st();
    const exported = await store.exportAll();
    assert.equal(exported.length, await store.count());
    const other = await factory();
    try {
      await other.store.importMany(exported, alice);
      assert.deepEqual(await other.store.exportAll(), exported);
      const filtered = await other.store.exportAll({ demo: true });
      assert.deepEqual(
        filtered.map((i) => i.key),
        ["IR-2025-0001"],
      );
    } finally {
      await other.cleanup();
    }
  });

  test("concurrent creates and read-modify-write updates in one process lose nothing", async () => {
    const store = st();
    const made = await Promise.all(
      Array.from({ length: 12 }, (_, n) => store.create(sampleIncident({ title: `parallel ${n}` }), alice)),
    );
    assert.equal(new Set(made.map((i) => i.key)).size, 12);
    await Promise.all(
      Array.from({ length: 10 }, (_, n) =>
        store.update("IR-2024-0001", (i) => ({ ...i, tags: [...i.tags, `t${n}`] }), { actor: `w${n}` }),
      ),
    );
    const i = await store.require("IR-2024-0001");
    assert.equal(i.tags.filter((t) => /^t\d$/.test(t)).length, 10);
  });
}

/** How the intruder got in: stored in the document and in columns the control counterfactuals read. */
function entryTests(st: () => SqlStore): void {
  test("initial-access technique and credential type round-trip and fill their columns, also on update", async () => {
    const store = st();
    const made = await store.create(
      sampleIncident({
        key: "IR-2026-0700",
        initialAccessTechnique: "t1078.a001",
        credentialType: "iam-user-access-key",
      }),
      alice,
    );
    assert.equal(made.initialAccessTechnique, "T1078.A001");
    const back = await store.require("IR-2026-0700");
    assert.equal(back.initialAccessTechnique, "T1078.A001");
    assert.equal(back.credentialType, "iam-user-access-key");
    const col = async () =>
      (
        await store.db.query(
          "SELECT initial_access_technique AS t, credential_type AS c FROM incidents WHERE key = ?",
          ["IR-2026-0700"],
        )
      )[0];
    assert.deepEqual({ ...(await col()) }, { t: "T1078.A001", c: "iam-user-access-key" });
    await store.update("IR-2026-0700", (i) => ({ ...i, credentialType: "role-session" }), bob);
    assert.deepEqual({ ...(await col()) }, { t: "T1078.A001", c: "role-session" });
    const { credentialType: _c, initialAccessTechnique: _t, ...rest } = await store.require("IR-2026-0700");
    await store.update("IR-2026-0700", () => rest, bob);
    assert.deepEqual({ ...(await col()) }, { t: null, c: null });
    await store.delete("IR-2026-0700", bob);
  });
}

export function registerStoreContract(name: string, factory: () => Promise<StoreFixture>): void {
  describe(`store contract: ${name}`, () => {
    let fx: StoreFixture;
    let store: SqlStore;
    before(async () => {
      fx = await factory();
      store = fx.store;
      store.setTaxonomy((id) => (id.startsWith("T1486") || id.startsWith("T1496") ? ["TA0040"] : ["TA0005"]));
    });
    after(async () => {
      await fx.cleanup();
    });

    keyTests(() => store);
    changeTests(() => store);
    listTests(() => store);
    deletionTests(() => store);
    entryTests(() => store);
    bulkTests(() => store, factory);
    workshopTests(() => store);
    teamKeyTests(() => store);
    storedControlsTests(() => store);
    actorTests(factory);
  });
}

/** Threat actors: attribution from names, links, renames, merges (nothing lost), imports, bad indicators. */
function actorTests(factory: () => Promise<StoreFixture>): void {
  const withStore = (fn: (s: SqlStore) => Promise<void>) => async () => {
    const fx = await factory();
    try {
      fx.store.setTaxonomy(() => ["TA0001"]);
      await fn(fx.store);
    } finally {
      await fx.cleanup();
    }
  };

  test(
    "actors: an incident's threat actor name becomes an actor entity; aliases find it; old clients still read the name",
    withStore(async (store) => {
      const a = await store.create(sampleIncident({ threatActor: "ember wasp" }), alice);
      assert.equal(a.actorId, "ACT-0001");
      assert.equal(a.threatActor, "Ember Wasp");
      assert.equal(a.actorConfidence, "likely");
      await store.updateActor("ACT-0001", (x) => ({ ...x, aliases: ["EW-1"] }), alice);
      const b = await store.create(sampleIncident({ threatActor: "ew-1" }), alice);
      assert.equal(b.actorId, "ACT-0001", "an alias attributes to the same actor");
      assert.equal((await store.list({ threatActor: "EW-1" })).total, 2, "the name filter takes aliases");
      assert.equal((await store.list({ actorId: "act-0001" })).total, 2);
      const list = await store.listActors();
      assert.deepEqual(
        list.map((x) => [x.id, x.name, x.incidents]),
        [["ACT-0001", "Ember Wasp", 2]],
      );
      // an old client changes the name: the incident moves to the (new) actor of that name
      const { incident } = await store.update(b.key, (i) => ({ ...i, threatActor: "Scarlet Heron" }), bob);
      assert.equal(incident.actorId, "ACT-0002");
      const cleared = await store.update(b.key, (i) => ({ ...i, threatActor: undefined }), bob);
      assert.equal(cleared.incident.actorId, undefined);
      assert.equal(cleared.incident.actorConfidence, undefined);
    }),
  );

  test(
    "actors: link attributes an incident with a confidence, audited on the incident and the actor",
    withStore(async (store) => {
      const i = await store.create(sampleIncident({ threatActor: undefined }), alice);
      const actor = await store.createActor(
        { name: "Copper Lynx", indicators: [{ type: "cidr", value: "203.0.113.9/24" }] },
        alice,
      );
      assert.equal(actor.indicators[0]?.value, "203.0.113.0/24", "CIDRs are kept as their network");
      const r = await store.linkIncident(i.key, "copper lynx", "confirmed", { actor: "bob", note: "same C2" });
      assert.equal(r.incident.actorId, actor.id);
      assert.equal(r.incident.threatActor, "Copper Lynx");
      assert.equal(r.incident.actorConfidence, "confirmed");
      const h = await store.history(i.key);
      assert.deepEqual(
        h.map((e) => [e.action, e.actor, e.note]),
        [
          ["create", "alice", null],
          ["attribute", "bob", "same C2"],
        ],
      );
      const ah = await store.actorHistory(actor.id);
      assert.deepEqual(
        ah.map((e) => [e.action, e.by]),
        [
          ["create", "alice"],
          ["link", "bob"],
        ],
      );
      const d = await store.actorDetail(actor.id);
      assert.deepEqual(
        d.incidents.map((x) => [x.key, x.confidence]),
        [[i.key, "confirmed"]],
      );
      assert.deepEqual(
        d.techniques.map((t) => [t.id, t.incidents]),
        [
          ["T1078.A001", 1],
          ["T1496.A008", 1],
        ],
      );
      const un = await store.linkIncident(i.key, null, "likely", bob);
      assert.equal(un.incident.actorId, undefined);
      assert.equal(un.incident.threatActor, undefined);
      await rejects(store.linkIncident(i.key, "ACT-0099", "likely", bob), "NOT_FOUND", "ACT-0099");
    }),
  );

  test(
    "actors: merging keeps every attribution (with its confidence) and every audit entry of both actors",
    withStore(async (store) => {
      const a = await store.createActor({ name: "Ember Wasp", aliases: ["EW"] }, alice);
      const b = await store.createActor(
        { name: "Amber Hornet", indicators: [{ type: "ip", value: "198.51.100.7" }] },
        alice,
      );
      const i1 = await store.create(sampleIncident({ threatActor: "Ember Wasp" }), alice);
      const i2 = await store.create(sampleIncident({ threatActor: undefined }), alice);
      const i3 = await store.create(sampleIncident({ threatActor: undefined }), alice);
      await store.linkIncident(i2.key, b.id, "possible", bob);
      await store.linkIncident(i3.key, "amber hornet", "confirmed", bob);
      const auditBefore = [
        ...(await store.history(i1.key)),
        ...(await store.history(i2.key)),
        ...(await store.history(i3.key)),
      ].map((e) => e.id);
      const actorAuditBefore = [...(await store.actorHistory(a.id)), ...(await store.actorHistory(b.id))].map(
        (e) => e.id,
      );
      const m = await store.mergeActors(a.id, b.id, { actor: "carol" });
      assert.deepEqual(m.incidents, [i2.key, i3.key]);
      assert.deepEqual(m.actor.aliases, ["EW", "Amber Hornet"]);
      assert.deepEqual(
        m.actor.indicators.map((x) => x.value),
        ["198.51.100.7"],
      );
      for (const [key, conf] of [
        [i1.key, "likely"],
        [i2.key, "possible"],
        [i3.key, "confirmed"],
      ] as const) {
        const inc = await store.require(key);
        assert.equal(inc.actorId, a.id, key);
        assert.equal(inc.threatActor, "Ember Wasp");
        assert.equal(inc.actorConfidence, conf, `${key} keeps its confidence`);
      }
      const auditAfter = [
        ...(await store.history(i1.key)),
        ...(await store.history(i2.key)),
        ...(await store.history(i3.key)),
      ];
      for (const id of auditBefore)
        assert.ok(
          auditAfter.some((e) => e.id === id),
          `incident audit entry ${id} kept`,
        );
      assert.equal(auditAfter.filter((e) => /merged into/.test(e.note ?? "")).length, 2);
      const ah = await store.actorHistory(a.id);
      for (const id of actorAuditBefore)
        assert.ok(
          ah.some((e) => e.id === id),
          `actor audit entry ${id} kept`,
        );
      assert.deepEqual(
        ah.slice(-2).map((e) => [e.actorId, e.action, e.by]),
        [
          [b.id, "merged", "carol"],
          [a.id, "merge", "carol"],
        ],
      );
      // the merged actor's ID and names still find the survivor
      assert.equal((await store.requireActor(b.id)).id, a.id);
      assert.equal((await store.requireActor("amber hornet")).id, a.id);
      assert.deepEqual(
        (await store.listActors()).map((x) => [x.id, x.incidents]),
        [[a.id, 3]],
      );
      assert.deepEqual((await store.actorDetail(a.id)).mergedFrom, [b.id]);
      await rejects(store.mergeActors(a.id, b.id, alice), "VALIDATION", "from");
    }),
  );

  test(
    "actors: a rename keeps the old name as an alias and renames the attributed incidents' actor (audited)",
    withStore(async (store) => {
      const i = await store.create(sampleIncident({ threatActor: "Ember Wasp" }), alice);
      const r = await store.updateActor("Ember Wasp", (x) => ({ ...x, name: "Ember Wasp Group" }), bob);
      assert.deepEqual(r.actor.aliases, ["Ember Wasp"]);
      const after = await store.require(i.key);
      assert.equal(after.threatActor, "Ember Wasp Group");
      assert.equal((await store.history(i.key)).at(-1)?.action, "attribute");
      await rejects(
        store.createActor({ name: "Other", aliases: ["ember wasp"] }, alice),
        "CONFLICT",
        "already a name of ACT-0001",
      );
    }),
  );

  test(
    "actors: an indicator that is not a valid IP, CIDR or ASN is refused naming the field",
    withStore(async (store) => {
      const e1 = await rejects(
        store.createActor({ name: "X", indicators: [{ type: "ip", value: "300.1.2.3" }] }, alice),
        "VALIDATION",
        "indicators.0.value",
      );
      assert.match(e1.describe(), /not a valid IP address: "300\.1\.2\.3"/);
      await rejects(
        store.createActor(
          {
            name: "X",
            indicators: [
              { type: "asn", value: "AS64500" },
              { type: "cidr", value: "10.0.0.0/33" },
            ],
          },
          alice,
        ),
        "VALIDATION",
        "indicators.1.value",
      );
      await rejects(
        store.createActor({ name: "X", indicators: [{ type: "asn", value: "ASX" }] }, alice),
        "VALIDATION",
        "not a valid ASN",
      );
      assert.deepEqual(await store.listActors(), []);
    }),
  );

  test(
    "actors: an import creates actors with provenance and updates them on a second run; indicators for scans",
    withStore(async (store) => {
      const input = {
        name: "Ember Wasp",
        aliases: ["EW"],
        description: "Imported.",
        techniques: [{ id: "T1078.004", name: "Cloud Accounts" }],
        references: [{ source: "mitre-attack", externalId: "G9999", url: "https://attack.mitre.org/groups/G9999" }],
        provenance: { source: "ATT&CK test", stixId: "intrusion-set--1", externalId: "G9999" },
      };
      const r1 = await store.importActors([input], alice);
      assert.deepEqual(r1, { created: ["ACT-0001"], updated: [], unchanged: [], droppedAliases: [] });
      const r2 = await store.importActors([input], alice);
      assert.deepEqual(r2, { created: [], updated: [], unchanged: ["ACT-0001"], droppedAliases: [] });
      const r3 = await store.importActors(
        [{ ...input, techniques: [...input.techniques, { id: "T1530" }], name: "Ember Wasp 2" }],
        alice,
      );
      assert.deepEqual(r3.updated, ["ACT-0001"]);
      const a = await store.requireActor("ember wasp 2");
      assert.equal(a.provenance?.externalId, "G9999");
      assert.deepEqual(
        a.techniques.map((t) => t.id),
        ["T1078.004", "T1530"],
      );
      await store.updateActor(
        a.id,
        (x) => ({ ...x, indicators: [{ type: "access-key", value: "AKIAEXAMPLE000000001" }] }),
        alice,
      );
      assert.deepEqual(await store.actorIndicators(), [
        { id: "ACT-0001", name: "Ember Wasp", indicators: [{ type: "access-key", value: "AKIAEXAMPLE000000001" }] },
      ]);
    }),
  );
}

/**
 * The threat actors migration on a register made before actor entities: every distinct free-text threat actor becomes
 * an actor, each incident is attributed to it (confidence "likely", audited) and keeps its own text.
 * `openRaw` gives an empty, unmigrated database.
 */
const ACTORS_MIGRATION = MIGRATIONS.find((m) => m.name === "threat actors")?.version ?? 0;

export function registerActorMigrationTest(
  name: string,
  openRaw: () => Promise<{ db: SqlDb; cleanup(): Promise<void> }>,
): void {
  test(`${name}: the threat actors migration turns free-text threat actors into actor entities without losing anything`, async () => {
    const { db, cleanup } = await openRaw();
    try {
      await db.transaction(async (tx) => {
        await tx.run(
          "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)",
        );
        for (const m of MIGRATIONS.filter((x) => x.version < ACTORS_MIGRATION)) {
          for (const stmt of splitStatements(m.sql[tx.dialect])) await tx.run(stmt);
          await tx.run("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)", [
            m.version,
            m.name,
            "2026-01-01T00:00:00Z",
          ]);
        }
        const rows: Array<[string, string | null]> = [
          ["IR-2026-0001", "EMBER  Wasp"],
          ["IR-2026-0002", "Ember Wasp"],
          ["IR-2026-0003", "Copper Lynx"],
          ["IR-2026-0004", null],
        ];
        for (const [key, actor] of rows) {
          const seq = Number(key.slice(-4));
          const doc = {
            key,
            title: `incident ${seq}`,
            summary: "",
            status: "open",
            severity: "P3",
            timeline: { detected: `2026-02-0${seq}T00:00:00Z` },
            accounts: [],
            regions: [],
            services: [],
            resources: [],
            ...(actor ? { threatActor: actor } : {}),
            impact: [],
            playbooks: [],
            tags: [],
            notes: "",
            lessonsLearned: "",
            isDemo: false,
            createdAt: "2026-02-01T00:00:00Z",
            updatedAt: "2026-02-01T00:00:00Z",
          };
          await tx.run(
            `INSERT INTO incidents (key, year, seq, title, status, severity, threat_actor, actor_key, incident_at, created_at, updated_at, is_demo, doc)
             VALUES (?, 2026, ?, ?, 'open', 'P3', ?, ?, ?, ?, ?, ?, ?)`,
            [
              key,
              seq,
              doc.title,
              actor,
              actor ? nameKey(actor) : null,
              `2026-02-0${seq}T00:00:00.000Z`,
              "2026-02-01T00:00:00.000Z",
              "2026-02-01T00:00:00.000Z",
              false,
              JSON.stringify(doc),
            ],
          );
        }
      });
      await applyMigrations(db);
      const store = new SqlStore(db, name);
      assert.deepEqual(
        (await store.listActors()).map((a) => [a.id, a.name, a.incidents]),
        [
          ["ACT-0001", "Copper Lynx", 1],
          ["ACT-0002", "Ember Wasp", 2],
        ],
      );
      const one = await store.require("IR-2026-0001");
      assert.equal(one.threatActor, "EMBER Wasp", "the incident's own spelling is kept");
      assert.equal(one.actorId, "ACT-0002");
      assert.equal(one.actorConfidence, "likely");
      assert.equal((await store.require("IR-2026-0004")).actorId, undefined);
      const h = await store.history("IR-2026-0001");
      assert.deepEqual(
        h.map((e) => [e.action, e.actor]),
        [["attribute", "techtrail"]],
      );
      assert.match(h[0]?.note ?? "", /ACT-0002/);
      assert.equal((await store.actorHistory("ACT-0001"))[0]?.action, "create");
      // an old client's edit of the name still works after the migration
      const { incident } = await store.update("IR-2026-0002", (i) => ({ ...i, severity: "P2" }), alice);
      assert.equal(incident.actorId, "ACT-0002");
      assert.equal((await store.list({ threatActor: "Ember Wasp" })).total, 2);
    } finally {
      await cleanup();
    }
  });
}
