import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { loadBuiltinCatalog } from "../catalog/index.js";
import { TechtrailError } from "../core/errors.js";
import { BUILTIN_SCENARIO_DIR, loadScenarioPacks, parseScenarioPack, selectScenarioPacks } from "./pack.js";

const catalog = loadBuiltinCatalog();

/** The twelve scenarios, by the names the packs use. */
const REQUIRED = [
  "credential-misuse",
  "ransomware-s3",
  "cryptomining-ec2",
  "ssrf-imds",
  "leaked-access-key",
  "console-takeover",
  "iam-persistence",
  "lambda-backdoor",
  "snapshot-exfiltration",
  "logging-disabled",
  "ses-abuse",
  "identity-center-abuse",
];

function problemsOf(fn: () => unknown): TechtrailError {
  try {
    fn();
  } catch (e) {
    if (e instanceof TechtrailError) return e;
    throw e;
  }
  assert.fail("expected a TechtrailError");
}

describe("scenario packs", () => {
  it("ships at least the twelve scenarios, all valid against the catalog", () => {
    const packs = loadScenarioPacks(catalog);
    for (const name of REQUIRED) assert.ok(packs.has(name), `missing scenario ${name}`);
    assert.ok(packs.size >= 12);
    for (const pack of packs.values())
      for (const step of pack.steps)
        assert.ok(catalog.has(step.technique), `${pack.name}/${step.id}: ${step.technique}`);
    // refusals during discovery, and branches, are part of the set
    const all = [...packs.values()];
    assert.ok(all.some((p) => p.steps.some((s) => s.calls.some((c) => c.error !== undefined))));
    assert.ok(all.filter((p) => p.branches.length > 0).length >= 5);
  });

  it("places an unknown technique at file:line:column", () => {
    const file = join(BUILTIN_SCENARIO_DIR, "ransomware-s3.yaml");
    const text = readFileSync(file, "utf8").replace("technique: T1490.A901", "technique: T1490.Z999");
    const e = problemsOf(() => parseScenarioPack(text, "ransomware-s3.yaml", catalog));
    const p = e.problems.find((x) => x.message.includes("T1490.Z999"));
    assert.ok(p, e.describe());
    assert.equal(p.source, "ransomware-s3.yaml");
    const line = text.split("\n").findIndex((l) => l.includes("T1490.Z999")) + 1;
    assert.equal(p.line, line);
    assert.equal(p.column, (text.split("\n")[line - 1]?.indexOf("T1490.Z999") ?? -2) + 1);
    assert.equal(p.field, "steps.3.technique");
  });

  it("refuses a step that comes after a later step, and an unknown reference, with their positions", () => {
    const file = join(BUILTIN_SCENARIO_DIR, "ransomware-s3.yaml");
    const text = readFileSync(file, "utf8").replace(
      "  - id: list-buckets\n",
      "  - id: list-buckets\n    after: ransom-note\n",
    );
    const e = problemsOf(() => parseScenarioPack(text, "ransomware-s3.yaml", catalog));
    const p = e.problems.find((x) => x.message.includes("impossible step order"));
    assert.ok(p, e.describe());
    assert.equal(p.line, text.split("\n").findIndex((l) => l.includes("after: ransom-note")) + 1);
    assert.ok(p.column !== undefined);

    const bad = readFileSync(file, "utf8").replace(
      "identity: sync-agent\n    network: vps",
      "identity: nobody\n    network: vps",
    );
    const e2 = problemsOf(() => parseScenarioPack(bad, "ransomware-s3.yaml", catalog));
    assert.ok(e2.problems.some((x) => x.message === "unknown identity nobody" && x.line !== undefined));
  });

  it("refuses unknown template variables and names that do not match the file", () => {
    const file = join(BUILTIN_SCENARIO_DIR, "ransomware-s3.yaml");
    const text = readFileSync(file, "utf8").replace(`"\${bucket}/\${item}"`, `"\${buckett}/\${item}"`);
    const e = problemsOf(() => parseScenarioPack(text, "ransomware-s3.yaml", catalog));
    assert.ok(
      e.problems.some((p) => p.message === `unknown variable \${buckett}` && p.line !== undefined),
      e.describe(),
    );
    const e2 = problemsOf(() => parseScenarioPack(readFileSync(file, "utf8"), "other-name.yaml", catalog));
    assert.ok(e2.problems.some((p) => p.field === "name"));
  });

  it("reports the problems of every file of a folder together", () => {
    const dir = mkdtempSync(join(tmpdir(), "techtrail-scenarios-"));
    const good = readFileSync(join(BUILTIN_SCENARIO_DIR, "ses-abuse.yaml"), "utf8");
    writeFileSync(join(dir, "ses-abuse.yaml"), good);
    writeFileSync(join(dir, "broken.yaml"), "name: broken\ntitle: [unclosed\n");
    const e = problemsOf(() => loadScenarioPacks(catalog, dir));
    assert.ok(e.problems.every((p) => p.source?.endsWith("broken.yaml")));
  });

  it("an unknown scenario name lists the known ones", () => {
    const packs = loadScenarioPacks(catalog);
    const e = problemsOf(() => selectScenarioPacks(packs, ["ransomware-s3", "no-such-thing"]));
    assert.equal(e.code, "NOT_FOUND");
    assert.match(e.message, /unknown scenario no-such-thing; known scenarios: .*ransomware-s3/);
  });
});
