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
