// Community statistics: k-anonymity and the no-join-back check on a demo register, noise, the refusals of
// bad shared files, and the comparison of a register with merged datasets.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { loadBuiltinCatalog } from "../catalog/load.js";
import { TechtrailError } from "../core/errors.js";
import { generateDemoIncidents } from "../incidents/demo.js";
import { NewIncident } from "../incidents/model.js";
import { openSqliteStore } from "../store/sqlite.js";
import type { Store } from "../store/store.js";
import { buildSharedStats, compareWithCommunity, parseSharedStats, type SharedStats } from "./share.js";

const catalog = loadBuiltinCatalog();
const incidents = generateDemoIncidents(catalog, { incidents: 1200, seed: 11 }).map((i) => NewIncident.parse(i));
let dir: string;
let store: Store;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "techtrail-share-"));
  store = await openSqliteStore(join(dir, "a.db"));
  await store.importMany(incidents, { actor: "test" });
});
after(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Every leaf value of a JSON value, as strings, with its path. */
function leaves(v: unknown, path = "", out: Array<[string, string]> = []): Array<[string, string]> {
  if (Array.isArray(v)) for (const [i, x] of v.entries()) leaves(x, `${path}[${i}]`, out);
  else if (v && typeof v === "object")
    for (const [k, x] of Object.entries(v)) leaves(x, path ? `${path}.${k}` : k, out);
  else if (v !== null && v !== undefined) out.push([path, String(v)]);
  return out;
}

/** Values that identify an incident: key, title, accounts, principals, IPs, actor, campaign, exact dates. */
function identifying(): Set<string> {
  const s = new Set<string>();
  const add = (x: string | undefined) => {
    if (!x) return;
    s.add(x);
    // A timestamp also identifies by its date and by its epoch milliseconds.
    const ms = /^\d{4}-\d{2}-\d{2}T/.test(x) ? Date.parse(x) : Number.NaN;
    if (!Number.isNaN(ms)) {
      s.add(x.slice(0, 10));
      s.add(String(ms));
      s.add(new Date(ms).toISOString());
    }
  };
  for (const i of incidents) {
    add(i.key);
    add(i.title);
    add(i.threatActor);
    add(i.campaign);
    for (const a of i.accounts) add(a);
    for (const r of i.resources) add(r);
    for (const t of Object.values(i.timeline)) add(t as string | undefined);
    for (const t of i.techniques) {
      add(t.firstSeen);
      for (const f of t.findings) {
        add(f.principalArn);
        add(f.sourceIPAddress);
        add(f.accessKeyId);
        add(f.accountId);
        add(f.eventID);
        add(f.eventTime);
      }
    }
  }
  return s;
}

test("a shared quarter cannot be joined back to an incident: every cell ≥ k, no identifying value", async () => {
  const d = await buildSharedStats(store, catalog, { quarter: "2025Q3" });
  assert.equal(d.k, 5);
  assert.ok(d.incidents >= 5 && d.techniques.length > 3 && d.pairs.length > 0 && d.paths.length > 0);
  assert.ok(d.timing.some((t) => t.medianContainHours !== null) && d.sources.length > 0);
  const counts = leaves(d).filter(([p]) => /incidents$|Samples$/.test(p));
  for (const [p, v] of counts) assert.ok(Number(v) === 0 || Number(v) >= 5, `${p} = ${v} is below k`);
  const bad = identifying();
  assert.ok(bad.size > 1200);
  for (const [p, v] of leaves(d)) assert.ok(!bad.has(v), `${p} = ${v} equals a value of an incident`);
  // The parser accepts what share wrote.
  assert.deepEqual(parseSharedStats(JSON.stringify(d), "a.json"), d);
});

test("a larger k suppresses more cells; --epsilon adds seeded noise and is refused at ≤ 0", async () => {
  const k5 = await buildSharedStats(store, catalog, { quarter: "2025Q3" });
  const k10 = await buildSharedStats(store, catalog, { quarter: "2025Q3", k: 10 });
  assert.ok(k10.techniques.length < k5.techniques.length);
  assert.ok(k10.techniques.every((t) => t.incidents >= 10));
  const n1 = await buildSharedStats(store, catalog, { quarter: "2025Q3", epsilon: 0.5, seed: 1 });
  const n2 = await buildSharedStats(store, catalog, { quarter: "2025Q3", epsilon: 0.5, seed: 1 });
  const n3 = await buildSharedStats(store, catalog, { quarter: "2025Q3", epsilon: 0.5, seed: 2 });
  assert.deepEqual(n1, n2);
  assert.notDeepEqual(n1.techniques, n3.techniques);
  assert.notDeepEqual(n1.techniques, k5.techniques, "noise changes counts");
  assert.ok(n1.techniques.every((t) => t.incidents >= 5));
  for (const epsilon of [0, -1])
    await assert.rejects(buildSharedStats(store, catalog, { quarter: "2025Q3", epsilon }), /--epsilon/);
});

test("a file with another schema version or a cell below its k is refused, naming file and field", async () => {
  const d = await buildSharedStats(store, catalog, { quarter: "2025Q3" });
  const wrong = { ...d, schemaVersion: 2 };
  assert.throws(
    () => parseSharedStats(JSON.stringify(wrong), "x.json"),
    (e: unknown) =>
      e instanceof TechtrailError && /x\.json/.test(e.message) && e.problems[0]?.field === "schemaVersion",
  );
  const low: SharedStats = { ...d, techniques: [...d.techniques, { id: "T1530", incidents: 2 }] };
  assert.throws(
    () => parseSharedStats(JSON.stringify(low), "y.json"),
    (e: unknown) =>
      e instanceof TechtrailError &&
      /y\.json.*below the declared k = 5/.test(e.message) &&
      e.problems[0]?.field === `techniques[${d.techniques.length}].incidents`,
  );
  assert.throws(() => parseSharedStats("{", "z.json"), /z\.json: not JSON/);
});

test("compare: the register against merged datasets shows over- and under-represented techniques", async () => {
  const other = await openSqliteStore(join(dir, "b.db"));
  try {
    // Another team: the same generator with another seed.
    const b = generateDemoIncidents(catalog, { incidents: 1200, seed: 12 }).map((i) => NewIncident.parse(i));
    await other.importMany(b, { actor: "test" });
    const shared = await buildSharedStats(other, catalog, { quarter: "2025Q3" });
    const r = await compareWithCommunity(store, catalog, [shared, shared]);
    assert.equal(r.community.incidents, shared.incidents * 2);
    assert.deepEqual(r.quarters, ["2025Q3"]);
    assert.ok(r.local.incidents > 0);
    for (const t of r.techniques) {
      assert.ok(t.local >= 3 || t.community >= 3);
      if (t.ratio !== null) assert.ok(Math.abs(t.ratio - t.localShare / t.communityShare) < 1e-9);
      if (t.verdict === "over") assert.ok(t.ratio === null || t.ratio >= 1.5);
      if (t.verdict === "under") assert.ok(t.ratio !== null && t.ratio <= 1 / 1.5);
    }
    for (const s of r.slowerToContain) assert.ok(s.localMedianHours > s.communityMedianHours);
  } finally {
    await other.close();
  }
});
