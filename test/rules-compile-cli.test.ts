import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { runCli } from "./cli-helper.js";

describe("techtrail rules compile", () => {
  const dir = mkdtempSync(join(tmpdir(), "tt-compile-"));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const rulesDir = join(dir, "rules");
  const outDir = join(dir, "out");

  it("writes one query per rule with the rule and its techniques in comments, and names what it cannot express", () => {
    rmSync(rulesDir, { recursive: true, force: true });
    mkdirSync(rulesDir, { recursive: true });
    writeFileSync(
      join(rulesDir, "a.yml"),
      "title: Trail stopped\nid: rule-a\ntags: [attack.t1562.008]\nlogsource: { product: aws, service: cloudtrail }\ndetection:\n  sel:\n    eventName: StopLogging\n  condition: sel\n",
    );
    writeFileSync(
      join(rulesDir, "b.yml"),
      "title: Keyword\nid: rule-b\nlogsource: { product: aws, service: cloudtrail }\ndetection:\n  words: [evil]\n  condition: words\n",
    );
    const r = runCli([
      "rules",
      "compile",
      "--dialect",
      "athena",
      "--no-builtin-rules",
      "--rules",
      rulesDir,
      "--out",
      outDir,
    ]);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(readdirSync(outDir), ["rule-a.sql"]);
    const sql = readFileSync(join(outDir, "rule-a.sql"), "utf8");
    assert.match(sql, /^-- rule: rule-a\n-- title: Trail stopped\n/);
    assert.match(sql, /-- techniques: T1562\.008/);
    assert.match(sql, /FROM cloudtrail_logs\nWHERE .*lower\(eventname\) = 'stoplogging'/);
    assert.match(r.stderr, /rule-b \(.*b\.yml\): keyword search/);
  });

  it("--combined --json and a bad dialect", () => {
    const j = runCli(["rules", "compile", "--dialect", "duckdb", "--no-builtin-rules", "--rules", rulesDir, "--json"]);
    assert.equal(j.status, 0, j.stderr);
    const parsed = JSON.parse(j.stdout) as {
      queries: Array<{ ruleId: string }>;
      unsupported: Array<{ ruleId: string }>;
    };
    assert.deepEqual(
      parsed.queries.map((q) => q.ruleId),
      ["rule-a"],
    );
    assert.deepEqual(
      parsed.unsupported.map((q) => q.ruleId),
      ["rule-b"],
    );
    const c = runCli([
      "rules",
      "compile",
      "--dialect",
      "cloudtrail-lake",
      "--no-builtin-rules",
      "--rules",
      rulesDir,
      "--combined",
    ]);
    assert.equal(c.status, 0, c.stderr);
    assert.match(c.stdout, /FROM event_data_store/);
    const bad = runCli(["rules", "compile", "--dialect", "mysql"]);
    assert.notEqual(bad.status, 0);
    assert.match(bad.stderr, /unknown dialect 'mysql'.*\n.*--dialect.*duckdb, athena, cloudtrail-lake/);
  });
});
