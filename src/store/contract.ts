// The one contract every Store adapter must pass. sqlite.test.ts and postgres.test.ts register it
// with their own factory, so both engines are held to exactly the same behaviour.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { TechtrailError } from "../core/errors.js";
import { type ChangeContext, NewIncident, type NewIncidentInput } from "../incidents/model.js";
import type { SqlStore } from "./sql-store.js";
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
  });
}
