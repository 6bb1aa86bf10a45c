import assert from "node:assert/strict";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { TechtrailError } from "../core/errors.js";
import { BUILTIN_CATALOG_DIR, loadCatalogDir, openCatalogRef } from "./load.js";

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A copy of the shipped catalog folder's metadata files plus the given technique files. */
function catalogWith(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "techtrail-cat-"));
  dirs.push(dir);
  for (const f of readdirSync(BUILTIN_CATALOG_DIR))
    if (f.endsWith(".yaml")) cpSync(join(BUILTIN_CATALOG_DIR, f), join(dir, f));
  const td = join(dir, "techniques");
  mkdirSync(td);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(td, name), text);
  return dir;
}

const good = (id: string, extra = "") => `id: ${id}
name: Impair Defenses
tactics: [TA0005]
description: Something.
aliases: [a, b, c]
detection: Look.
dataSources: [cloudtrail-management]
mitigations: [{id: M1018, how: Least privilege.}]
created: "2026-01-01"
modified: "2026-01-01"
${extra}`;

function problemsOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof TechtrailError, `expected TechtrailError, got ${e}`);
    return e.describe();
  }
  assert.fail("expected an error");
}

describe("loadCatalogDir", () => {
  it("loads a valid folder", () => {
    const dir = catalogWith({ "T1562.yaml": good("T1562") });
    const c = loadCatalogDir(dir);
    assert.equal(c.techniques.length, 1);
  });

  it("reports a YAML syntax error with file and line", () => {
    const dir = catalogWith({ "T1562.yaml": good("T1562"), "T1485.yaml": "id: T1485\nname: [unclosed\n" });
    const text = problemsOf(() => loadCatalogDir(dir));
    assert.match(text, /T1485\.yaml:\d+(:\d+)?: /);
  });

  it("reports schema problems with file, line and field", () => {
    const dir = catalogWith({ "T1562.yaml": good("T1562").replace("tactics: [TA0005]", "tactics: [defense]") });
    const text = problemsOf(() => loadCatalogDir(dir));
    assert.match(text, /T1562\.yaml:3:\d+ \[tactics\.0\]: expected a tactic ID/);
  });

  it("reports an ill-formed ID, a file-name mismatch, an unknown tactic and an unknown parent", () => {
    const dir = catalogWith({
      "T15620.yaml": good("T15620"),
      "T1485.yaml": good("T1490"),
      "T1562.yaml": good("T1562").replace("[TA0005]", "[TA0099]"),
      "T1098.A001.yaml": good("T1098.A001", "parent: T1098"),
    });
    const text = problemsOf(() => loadCatalogDir(dir));
    assert.match(text, /T15620\.yaml.*\[id\]: expected a technique ID/);
    assert.match(text, /T1485\.yaml \[id\]: file name T1485\.yaml does not match id T1490/);
    // Cross-reference checks run once every file parses; fix the first two and check again.
    rmSync(join(dir, "techniques", "T15620.yaml"));
    rmSync(join(dir, "techniques", "T1485.yaml"));
    const text2 = problemsOf(() => loadCatalogDir(dir));
    assert.match(text2, /T1562\.yaml \[tactics\.0\]: unknown tactic TA0099/);
    assert.match(text2, /T1098\.A001\.yaml \[parent\]: unknown parent technique T1098/);
  });

  it("refuses an overlay ID in a catalog folder, located at its id", () => {
    const dir = catalogWith({ "T1562.yaml": good("T1562"), "ACME-0001.yaml": good("ACME-0001") });
    const text = problemsOf(() => loadCatalogDir(dir));
    assert.match(text, /ACME-0001\.yaml:1:5 \[id\]: ACME-0001 is an overlay ID: .*keep team techniques in an overlay/);
  });

  it("opens release versions, files and folders by reference", () => {
    assert.throws(() => openCatalogRef("1999.01"), /no catalog release 1999\.01/);
    assert.throws(() => openCatalogRef("/nonexistent/x.json"), /neither a release version/);
    const dir = catalogWith({ "T1562.yaml": good("T1562") });
    assert.equal(openCatalogRef(dir).techniques.length, 1);
    const bad = join(dir, "bad.json");
    writeFileSync(bad, '{"format": "nope"}');
    assert.throws(() => openCatalogRef(bad), /not a techtrail catalog release/);
  });
});
