import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { runCli } from "./cli-helper.js";

describe("techtrail scan --engine", () => {
  const dir = mkdtempSync(join(tmpdir(), "tt-engine-"));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const sorted = (s: string) => s.trim().split("\n").sort();

  it("duckdb prints the same findings as js and says which engine ran", () => {
    const js = runCli(["scan", "examples/cloudtrail", "--format", "jsonl"]);
    const summary = join(dir, "summary.json");
    const dd = runCli([
      "scan",
      "examples/cloudtrail",
      "--format",
      "jsonl",
      "--engine",
      "duckdb",
      "--duckdb-memory",
      "512MB",
      "--summary-json",
      summary,
    ]);
    assert.equal(dd.status, js.status, dd.stderr);
    assert.ok(js.stdout.trim().length > 0);
    assert.deepEqual(sorted(dd.stdout), sorted(js.stdout));
    assert.match(dd.stderr, /engine duckdb \(asked for\): \d+ rule\(s\) in DuckDB SQL, \d+ in JS/);
    const s = JSON.parse(readFileSync(summary, "utf8")) as { engine: { used: string; sqlRules: number } };
    assert.equal(s.engine.used, "duckdb");
    assert.ok(s.engine.sqlRules > 100);
  });

  it("auto keeps JS for small inputs and says why; a bad engine or memory size is refused", () => {
    const auto = runCli(["scan", "examples/cloudtrail", "--format", "jsonl", "--engine", "auto"]);
    assert.match(
      auto.stderr,
      /engine js \(auto: [\d.]+ MiB of input; the JS engine was faster at every measured size\)/,
    );
    const bad = runCli(["scan", "examples/cloudtrail", "--engine", "spark"]);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /unknown --engine spark \(use js, duckdb or auto\)/);
    const mem = runCli(["scan", "examples/cloudtrail", "--engine", "duckdb", "--duckdb-memory", "lots"]);
    assert.equal(mem.status, 2);
    assert.match(mem.stderr, /--duckdb-memory: 'lots' is not a size/);
  });
});
