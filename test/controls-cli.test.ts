// End-to-end: `techtrail stats controls` on the seeded demo register: root-user protection's prevented
// incidents with the list and the deciding rule, the shipped demo controls file, and a bad controls file.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { loadBuiltinCatalog } from "../src/catalog/load.js";
import { generateDemoIncidents } from "../src/incidents/demo.js";
import { runCli, runCliJson } from "./cli-helper.js";

let dir: string;
let db: string;

before(() => {
  dir = mkdtempSync(join(tmpdir(), "techtrail-controls-"));
  db = join(dir, "demo.db");
  const r = runCli(["demo", "seed", "--db", db]);
  assert.equal(r.status, 0, r.stderr);
});
after(() => rmSync(dir, { recursive: true, force: true }));

interface Decision {
  key: string;
  title: string;
  outcome: string;
  reason: string;
  rule: { technique: string; effect: string; when?: { credential?: string[] } } | null;
}
interface Impact {
  id: string;
  name: string;
  counts: { prevented: number; shortened: number; limited: number; undetermined: number; untouched: number };
  incidents: Decision[];
  untouched: Array<{ reason: string; keys: string[] }>;
  happenedAnyway?: Decision[];
}
interface Result {
  scope: { incidents: number };
  team: string | null;
  controls: Impact[];
  deployed: Impact[];
}

test("stats controls --json on the demo register: root-user protection's prevented incidents, listed with the rule", () => {
  const r = runCliJson<Result>(["stats", "controls", "--db", db, "--json"]);
  const root = r.controls.find((c) => c.id === "AM0009");
  assert.ok(root, "root-user protection is weighed");
  assert.equal(root.name, "Root user protection");
  // Independently: the demo incidents that got in as the root user with a root password or key.
  const expected = generateDemoIncidents(loadBuiltinCatalog()).filter(
    (i) => i.initialAccessTechnique === "T1078.A002" && /^root-/.test(i.credentialType ?? ""),
  );
  assert.ok(expected.length >= 10, `${expected.length} root incidents in the demo`);
  const prevented = root.incidents.filter((d) => d.outcome === "prevented");
  assert.equal(root.counts.prevented, expected.length);
  assert.equal(prevented.length, expected.length);
  assert.deepEqual(prevented.map((d) => d.title).sort(), expected.map((i) => i.title).sort());
  for (const d of prevented) {
    assert.equal(d.rule?.technique, "T1078.A002");
    assert.equal(d.rule?.effect, "prevents");
    assert.match(d.reason, /^initial access T1078\.A002 with a root-(password|access-key) credential: AM0009 prevents/);
  }
  assert.equal(
    root.counts.prevented +
      root.counts.shortened +
      root.counts.limited +
      root.counts.undetermined +
      root.counts.untouched,
    r.scope.incidents,
  );
  // Ranked by incidents prevented.
  const order = r.controls.map((c) => c.counts.prevented);
  assert.deepEqual(
    order,
    [...order].sort((a, b) => (b ?? 0) - (a ?? 0)),
  );
});

test("stats controls with the shipped demo controls file: deployed controls and incidents that happened anyway", () => {
  const r = runCliJson<Result>(["stats", "controls", "--db", db, "--controls", "examples/controls.yaml", "--json"]);
  assert.equal(r.team, "cloud-platform");
  const gd = r.deployed.find((c) => c.id === "AM0008");
  assert.ok(gd, "GuardDuty is deployed in the demo");
  assert.ok((gd.happenedAnyway?.length ?? 0) > 0, "slow detections after the deployment are findings");
  assert.ok(
    r.controls.some((c) => c.id === "AM0009"),
    "root protection is still to decide",
  );
  assert.ok(!r.controls.some((c) => c.id === "AM0008"));
  const text = runCli(["stats", "controls", "--db", db, "--controls", "examples/controls.yaml", "--quarter", "2026Q3"]);
  assert.equal(text.status, 0, text.stderr);
  assert.match(text.stdout, /control counterfactuals \(team cloud-platform\)/);
  assert.match(text.stdout, /deployed: incidents that happened anyway/);
  const one = runCli(["stats", "controls", "--db", db, "--control", "am0009"]);
  assert.match(one.stdout, /prevented \(\d+\) by rule "prevents T1078\.A002 when credential is root-password"/);
  assert.match(one.stdout, /IR-\d{4}-\d{4} prevented: initial access T1078\.A002/);
});

test("stats controls --control M1036 on the demo register: account use policies prevent only stolen workload role sessions", () => {
  const r = runCliJson<Result>(["stats", "controls", "--db", db, "--control", "M1036", "--json"]);
  const m = r.controls.find((c) => c.id === "M1036");
  assert.ok(m, "account use policies are weighed");
  const demo = generateDemoIncidents(loadBuiltinCatalog());
  // Independently: the incidents whose way in was a role session (a vendor's role) — network conditions on the
  // role stop those sessions anywhere else.
  const expected = demo.filter((i) => i.initialAccessTechnique === "T1078.004" && i.credentialType === "role-session");
  assert.ok(expected.length >= 3, `${expected.length} role-session entries in the demo`);
  assert.equal(m.counts.prevented, expected.length);
  // Plausible: a handful, not most of the register (the old rule said 320 of 400).
  assert.ok(m.counts.prevented <= r.scope.incidents * 0.05, `${m.counts.prevented} of ${r.scope.incidents} prevented`);
  for (const d of m.incidents.filter((x) => x.outcome === "prevented")) {
    assert.equal(d.rule?.technique, "T1078.004");
    assert.match(d.reason, /^initial access T1078\.004 with a role-session credential: M1036 prevents T1078\.004/);
  }
  // SSRF to instance metadata: the stolen instance credentials fail off the instance, but the way in stays open.
  const ssrf = m.incidents.filter((x) => x.outcome === "limited");
  assert.ok(ssrf.length > 0);
  assert.ok(ssrf.every((d) => d.rule?.technique === "T1552.005" && /SSRF/.test(d.title)));
  // A leaked IAM user key used for mining is no business of this control: not among the decided incidents.
  const decided = new Set(m.incidents.map((d) => d.key));
  const exported = runCli(["incident", "export", "--db", db, "--format", "json"]);
  assert.equal(exported.status, 0, exported.stderr);
  const all = (
    JSON.parse(exported.stdout) as {
      incidents: Array<{ key: string; title: string; initialAccessTechnique?: string; credentialType?: string }>;
    }
  ).incidents;
  const mining = all.filter(
    (i) =>
      /mining/i.test(i.title) &&
      i.initialAccessTechnique === "T1078.A001" &&
      i.credentialType === "iam-user-access-key",
  );
  assert.ok(mining.length > 0, "the demo has leaked-key mining incidents");
  const untouched = new Set(m.untouched.flatMap((u) => u.keys));
  for (const i of mining) {
    assert.equal(decided.has(i.key), false, `${i.key} (leaked IAM user key, mining) is not counted`);
    assert.ok(untouched.has(i.key), `${i.key} is listed as untouched`);
  }
});

test("stats controls: a bad controls file is refused with file:line:column", () => {
  const file = join(dir, "controls.yaml");
  writeFileSync(file, "team: x\ncontrols:\n  - control: AM0001\n    since: 2026-01-01\n    techniques: [T1562.999]\n");
  const r = runCli(["stats", "controls", "--db", db, "--controls", file]);
  assert.notEqual(r.status, 0);
  assert.match(
    r.stderr,
    new RegExp(
      `${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:5:18 \\[controls\\.0\\.techniques\\.0\\]: unknown technique T1562\\.999`,
    ),
  );
  assert.doesNotMatch(r.stderr, /at .*\.js:\d+/, "no stack trace");
  const bad = runCli(["stats", "controls", "--db", db, "--control", "AM9999"]);
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /unknown control AM9999/);
});
