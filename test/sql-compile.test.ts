// The Athena (Trino) and CloudTrail Lake output of every rule parses with a real Trino grammar
// (dt-sql-parser's TrinoSQL), and a few rules' queries are kept as golden files (test/golden/sql/;
// UPDATE_GOLDEN=1 rewrites them after a reviewed change).
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { TrinoSQL } from "dt-sql-parser";
import { loadRuleLibrary } from "../src/scan/rule-library.js";
import { combinedQuery, compileRules } from "../src/sql/index.js";

const GOLDEN = "test/golden/sql";
const GOLDEN_RULES = [
  "0071c57d-4313-439d-9f06-806ff6de1e6f", // console role switch failed: a JSON column path
  "0b7e4a9d-3c2f-4b18-9e65-8d1a7c3f2e54", // console brute force: event_count correlation
];

describe("Trino/Athena and CloudTrail Lake SQL", async () => {
  const lib = await loadRuleLibrary({ ruleDirs: ["rules/optional"] });
  const parser = new TrinoSQL();

  it("the parser rejects broken SQL (the check below is not vacuous)", () => {
    assert.ok(parser.validate("SELECT a FROM t WHERE (b = 1").length > 0);
    assert.ok(parser.validate("SELECT any_match(x, v -> v = 1) FROM t WHERE a LIKE 'x' ESCAPE '\\'").length === 0);
  });

  for (const dialect of ["athena", "cloudtrail-lake"] as const) {
    it(`${dialect}: every compiled query parses as Trino SQL`, () => {
      const opts =
        dialect === "athena"
          ? {
              from: "2026-01-01T00:00:00Z",
              to: "2026-01-02T00:00:00Z",
              accounts: ["111122223333"],
              regions: ["us-east-1"],
            }
          : { from: "2026-01-01T00:00:00Z" };
      const result = compileRules(lib, dialect, opts);
      assert.ok(result.queries.length >= 200, `${result.queries.length} queries`);
      const failures: string[] = [];
      for (const q of result.queries) {
        const errors = parser.validate(q.sql);
        if (errors.length > 0) failures.push(`${q.ruleId}: ${errors[0]?.message}`);
      }
      assert.deepEqual(failures, []);
      // every rule is either compiled or named with its construct
      const named = new Set([...result.queries.map((q) => q.ruleId), ...result.unsupported.map((u) => u.ruleId)]);
      const expected = [...lib.rules.filter((r) => !r.correlationOnly), ...lib.correlations].map((r) => r.id);
      assert.deepEqual(
        expected.filter((id) => !named.has(id)),
        [],
      );
    });
  }

  it("the combined Athena query parses", () => {
    const sql = combinedQuery(compileRules({ rules: lib.rules.slice(0, 20) }, "athena"));
    assert.deepEqual(parser.validate(sql), []);
  });

  it("golden files", () => {
    mkdirSync(GOLDEN, { recursive: true });
    for (const dialect of ["duckdb", "athena", "cloudtrail-lake"] as const) {
      const result = compileRules(lib, dialect);
      for (const id of GOLDEN_RULES) {
        const q = result.queries.find((x) => x.ruleId === id);
        assert.ok(q, `${id} compiles for ${dialect}`);
        const file = join(GOLDEN, `${dialect}-${id}.sql`);
        const text = `${q.sql.replace(/\bv\d+\b/g, "v")};\n`;
        if (process.env.UPDATE_GOLDEN === "1" || !existsSync(file)) writeFileSync(file, text);
        assert.equal(text, readFileSync(file, "utf8"), `${file} differs (UPDATE_GOLDEN=1 after review)`);
      }
    }
  });
});
