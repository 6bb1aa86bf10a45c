// Monitoring profiles (built-ins, errors with file/line/field, umbrella sources) and coverage levels:
// visible / detected / validated with a one-rule folder and a one-event log, frequency and uniform weights.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { loadBuiltinCatalog } from "../catalog/load.js";
import { TechtrailError } from "../core/errors.js";
import { computeCoverage, coverageLayers } from "./coverage.js";
import { builtinProfileNames, loadProfile, parseProfile } from "./profile.js";

const catalog = loadBuiltinCatalog();
let dir: string;

// The rule's tests file holds a record it must match: used here as the "logs of the technique".
const BUILTIN = join(import.meta.dirname, "../../rules/builtin");
const RULE = "t1078.a001-user-key-probing-own-permissions";

before(() => {
  dir = mkdtempSync(join(tmpdir(), "techtrail-coverage-"));
  mkdirSync(join(dir, "rules"));
  writeFileSync(join(dir, "rules", `${RULE}.yml`), readFileSync(join(BUILTIN, `${RULE}.yml`), "utf8"));
  const tests = readFileSync(join(BUILTIN, `${RULE}.tests.yaml`), "utf8");
  const record =
    tests
      .split("\n")
      .find((l) => l.trim().startsWith("- {"))
      ?.trim()
      .slice(2) ?? "";
  writeFileSync(join(dir, "events.jsonl"), `${record}\n`);
});
after(() => rmSync(dir, { recursive: true, force: true }));

function err(fn: () => unknown): TechtrailError {
  try {
    fn();
  } catch (e) {
    if (e instanceof TechtrailError) return e;
    throw e;
  }
  assert.fail("expected an error");
}

test("built-in profiles load; 'everything' switches on every catalog data source", () => {
  assert.deepEqual(builtinProfileNames(), ["cloudtrail-guardduty", "cloudtrail-only", "everything"]);
  const all = loadProfile("everything", catalog);
  assert.deepEqual([...all.effective].sort(), catalog.dataSources.map((d) => d.id).sort());
  assert.equal(all.builtinRules, true);
  assert.deepEqual(loadProfile("cloudtrail-only", catalog).effective, ["cloudtrail-management"]);
});

test("bad profiles: unknown source, missing field, bad YAML, missing rule folder, unknown name", () => {
  const unknown = err(() =>
    parseProfile(
      "name: x\ndataSources:\n  - cloudtrail-management\n  - cloudtrail-everything\n",
      join(dir, "p.yaml"),
      catalog,
    ),
  );
  assert.equal(unknown.code, "VALIDATION");
  assert.equal(unknown.problems[0]?.line, 4);
  assert.equal(unknown.problems[0]?.field, "dataSources.1");
  assert.match(unknown.problems[0]?.message ?? "", /unknown data source cloudtrail-everything/);
  const noName = err(() => parseProfile("dataSources: [guardduty]\n", "p.yaml", catalog));
  assert.ok(noName.problems.some((p) => p.field === "name"));
  const extra = err(() => parseProfile("name: x\ndataSources: [guardduty]\nlogs: []\n", "p.yaml", catalog));
  assert.equal(extra.code, "VALIDATION");
  const yaml = err(() => parseProfile("name: [x\n", "p.yaml", catalog));
  assert.equal(yaml.code, "PARSE");
  const folder = err(() =>
    parseProfile("name: x\ndataSources: [guardduty]\nrules: [./nope]\n", join(dir, "p.yaml"), catalog),
  );
  assert.match(folder.describe(), /rule folder \.\/nope does not exist/);
  assert.equal(err(() => loadProfile("no-such-profile", catalog)).code, "NOT_FOUND");
});

test("a protection plan without its umbrella is reported and treated as off", () => {
  const p = parseProfile("name: x\ndataSources: [cloudtrail-management, guardduty-s3-protection]\n", "p.yaml", catalog);
  assert.deepEqual(p.ineffective, [{ id: "guardduty-s3-protection", requires: "guardduty" }]);
  assert.deepEqual(p.effective, ["cloudtrail-management"]);
});

test("visible, detected and validated levels with frequency weights", async () => {
  const file = join(dir, "profile.yaml");
  writeFileSync(
    file,
    "name: one rule\ndataSources: [cloudtrail-management, guardduty, guardduty-s3-protection]\nrules: [./rules]\n",
  );
  const profile = loadProfile(file, catalog);
  const frequency = new Map([
    ["T1078.A001", 3],
    ["T1496.A008", 1],
    ["T1530.A001", 4],
  ]);
  const r = await computeCoverage(catalog, profile, {
    frequency,
    validateLogs: [join(dir, "events.jsonl")],
    workers: 0,
  });
  assert.equal(r.weighting, "incidents");
  assert.equal(r.rules.deployed, 1);
  const byId = new Map(r.techniques.map((t) => [t.id, t]));
  const key = byId.get("T1078.A001");
  assert.deepEqual([key?.visible, key?.detected, key?.validated], [true, true, true]);
  assert.deepEqual(key?.firedRules, [key?.rules[0]]);
  const mining = byId.get("T1496.A008");
  assert.deepEqual([mining?.visible, mining?.detected, mining?.validated], [true, false, false]);
  // S3 object collection is visible through GuardDuty S3 Protection only: no CloudTrail source, no rule.
  assert.deepEqual(byId.get("T1530.A001")?.visibleVia, ["guardduty-s3-protection"]);
  assert.equal(r.scores.visible, 1);
  assert.equal(r.scores.detected, 3 / 8);
  assert.equal(r.scores.validated, 3 / 8);
  assert.deepEqual(r.unseen, []);
  assert.deepEqual(
    r.undetected.map((t) => t.id),
    ["T1530.A001", "T1496.A008"],
  );

  const ctOnly = await computeCoverage(catalog, loadProfile("cloudtrail-only", catalog), { frequency });
  assert.equal(ctOnly.validation, null);
  assert.equal(ctOnly.scores.validated, null);
  assert.deepEqual(
    ctOnly.unseen.map((t) => t.id),
    ["T1530.A001"],
    "S3 data events are off",
  );
  assert.equal(ctOnly.scores.visible, 4 / 8);
});

test("no frequencies: uniform weights with a note; Navigator layers of coverage and frequency", async () => {
  const profile = loadProfile(join(dir, "profile.yaml"), catalog);
  const r = await computeCoverage(catalog, profile);
  assert.equal(r.weighting, "uniform");
  assert.match(r.note ?? "", /weighs the same/);
  const active = catalog.techniques.filter((t) => t.status === "active").length;
  assert.equal(r.techniques.length, active);
  // The rule is tagged attack.t1078 and techtrail.t1078.a001: both resolve to catalog techniques.
  assert.deepEqual(
    r.techniques.filter((t) => t.detected).map((t) => t.id),
    ["T1078", "T1078.A001"],
  );
  assert.equal(r.scores.detected, 2 / active);
  const layers = coverageLayers(
    catalog,
    await computeCoverage(catalog, profile, { frequency: new Map([["T1078.A001", 2]]) }),
  );
  const full = layers.coverage.full.techniques.find((t) => t.techniqueID === "T1078.A001");
  assert.equal(full?.score, 2);
  assert.deepEqual(
    layers.frequency.full.techniques.map((t) => [t.techniqueID, t.score]),
    [["T1078.A001", 2]],
  );
  assert.equal(layers.frequency.attack.techniques[0]?.techniqueID, "T1078");
});
