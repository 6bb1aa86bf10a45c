// Harness for the built-in Sigma rules in rules/builtin/: every rule compiles, carries a techtrail.* tag of a
// catalog technique, and behaves as its `<same-base>.tests.yaml` says (match / nomatch records).
// Also checks that every catalog technique with CloudTrail events has at least one built-in rule.
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import type { Catalog } from "../src/catalog/catalog.js";
import { loadBuiltinCatalog } from "../src/catalog/load.js";
import { formatProblem, TechtrailError } from "../src/core/errors.js";
import { type CompiledRule, compileSigmaRules, resolveRuleTechniques } from "../src/rules/index.js";
import { loadRuleLibrary, testRuleLibrary } from "../src/scan/rule-library.js";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const builtinDir = join(repoRoot, "rules", "builtin");

const ruleFiles = existsSync(builtinDir)
  ? readdirSync(builtinDir)
      .filter((f) => f.endsWith(".yml"))
      .sort()
  : [];
const compiled = compileSigmaRules(
  ruleFiles.map((f) => ({ source: `rules/builtin/${f}`, text: readFileSync(join(builtinDir, f), "utf8") })),
);

// The catalog content is edited concurrently; a broken catalog skips only the catalog checks, loudly.
let catalog: Catalog | undefined;
let catalogError = "";
try {
  catalog = loadBuiltinCatalog();
} catch (e) {
  catalogError = e instanceof TechtrailError ? e.describe() : String(e);
}
const skipCatalog = catalog ? false : `built-in catalog does not load, catalog checks skipped: ${catalogError}`;

describe("built-in Sigma rules", () => {
  it("has rules, and every rule compiles", () => {
    assert.ok(ruleFiles.length > 0, "rules/builtin/ holds no .yml rule");
    assert.deepEqual(
      compiled.errors.map((e) => e.describe()),
      [],
    );
    assert.equal(compiled.rules.length, ruleFiles.length);
  });

  it("every rule has at least one techtrail.* tag", () => {
    const untagged = compiled.rules.filter((r) => r.catalogRefs.length === 0).map((r) => r.source);
    assert.deepEqual(untagged, [], "rules without a techtrail.<catalog id> tag");
  });

  it("techtrail.* tags name techniques of the built-in catalog", { skip: skipCatalog }, () => {
    const problems: string[] = [];
    for (const r of compiled.rules) {
      const { unknown } = resolveRuleTechniques({ catalogRefs: r.catalogRefs, attackRefs: [] }, catalog as Catalog);
      if (unknown.length > 0) problems.push(`${r.source}: unknown catalog technique(s) ${unknown.join(", ")}`);
    }
    assert.deepEqual(problems, []);
  });

  it("each rule matches its `match` records and none of its `nomatch` records", async () => {
    // The same runner as `techtrail rules test` (src/rules/testing.ts), over the built-in rules only.
    const lib = await loadRuleLibrary({ builtin: true });
    // rules/builtin/correlation/ holds the correlation and first_seen rules (with their base rules)
    const single = lib.rules.filter((r) => !r.source.includes("builtin/correlation/"));
    assert.equal(single.length, compiled.rules.length);
    assert.ok(lib.correlations.length >= 8, `only ${lib.correlations.length} built-in correlation rules`);
    const results = await testRuleLibrary(lib);
    const failures = results
      .filter((r) => r.status !== "pass")
      .flatMap((r) => r.failures.map((f) => `${r.source} (${r.status}): ${formatProblem(f)}`));
    assert.deepEqual(failures, []);
    assert.ok(results.every((r) => r.cases > 0));
  });

  it("correlation rules carry known techtrail.* tags; all of them load", { skip: skipCatalog }, async () => {
    const lib = await loadRuleLibrary({ builtin: true });
    assert.deepEqual(
      lib.errors.map((e) => e.describe()),
      [],
    );
    const problems: string[] = [];
    for (const c of lib.correlations) {
      if (c.catalogRefs.length === 0) problems.push(`${c.source}: ${c.id} has no techtrail.* tag`);
      const { unknown } = resolveRuleTechniques({ catalogRefs: c.catalogRefs, attackRefs: [] }, catalog as Catalog);
      if (unknown.length > 0) problems.push(`${c.source}: unknown catalog technique(s) ${unknown.join(", ")}`);
    }
    assert.deepEqual(problems, []);
    const types = new Set(lib.correlations.map((c) => c.type));
    for (const t of ["event_count", "value_count", "temporal_ordered", "first_seen"])
      assert.ok(types.has(t as never), `no built-in ${t} rule`);
  });

  it("the optional rules (rules/optional) load and pass their sequence tests", async () => {
    const lib = await loadRuleLibrary({ builtin: false, ruleDirs: [join(repoRoot, "rules", "optional")] });
    assert.deepEqual(
      lib.errors.map((e) => e.describe()),
      [],
    );
    assert.ok(lib.correlations.length >= 2);
    const results = await testRuleLibrary(lib);
    const failures = results
      .filter((r) => r.status !== "pass")
      .flatMap((r) => r.failures.map((f) => `${r.source} (${r.status}): ${formatProblem(f)}`));
    assert.deepEqual(failures, []);
  });

  it("t1098.a900 answers a 900 KB CreateRole record of nested AWS-principal openers at once", () => {
    const rule = compiled.rules.find((r) => r.source.includes("t1098.a900-trust-policy-wildcard-principal"));
    assert.ok(rule, "rule t1098.a900 not found");
    // the shape that made the old pattern `"AWS"\s*:\s*(\[[^\]]*)?"\*"` backtrack for minutes
    const doc = `{"Statement":[{"Principal":{"AWS":[${'"AWS": ['.repeat(115_000)}`;
    assert.ok(doc.length > 900_000);
    const record = {
      eventSource: "iam.amazonaws.com",
      eventName: "CreateRole",
      requestParameters: { roleName: "x", assumeRolePolicyDocument: doc },
    };
    const start = performance.now();
    assert.equal(rule.match(record), false);
    const wild = { ...record, requestParameters: { roleName: "x", assumeRolePolicyDocument: `${doc}"*"]` } };
    assert.equal(rule.match(wild), true);
    assert.ok(performance.now() - start < 500, `took ${performance.now() - start} ms`);
  });

  it("every active catalog technique with events has a built-in rule", { skip: skipCatalog }, () => {
    const covered = new Set(compiled.rules.flatMap((r: CompiledRule) => r.catalogRefs));
    const missing = (catalog as Catalog).techniques
      .filter((t) => t.events.length > 0 && t.status === "active" && !covered.has(t.id.toUpperCase()))
      .map((t) => t.id);
    assert.deepEqual(missing, [], `catalog techniques with events but no built-in rule: ${missing.join(", ")}`);
  });
});
