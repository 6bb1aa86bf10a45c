// Catalog folder text: a written folder loads back to the same catalog; merges append and keep comments.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { writeFileAtomic } from "../core/fs.js";
import { Catalog } from "./catalog.js";
import { catalogFolderFiles, mergeIntoFolderFiles } from "./folder.js";
import { loadCatalogDir } from "./load.js";
import { miniCatalogData, tech } from "./test-helpers.js";

const writeAll = (dir: string, files: Map<string, string>) => {
  for (const [rel, text] of files) writeFileAtomic(join(dir, rel), text);
};

describe("catalog folder files", () => {
  const c = new Catalog(
    miniCatalogData([
      tech("T1078", { version: "1.10", idNote: "multi-line\nnote: with colon", created: "2025-01-02" }),
      tech("T1078.A001", { provenance: "x" }),
    ]),
  );

  it("a complete folder loads back to the same catalog", () => {
    const dir = mkdtempSync(join(tmpdir(), "techtrail-folder-"));
    writeAll(dir, catalogFolderFiles(c, "generated for a test"));
    const back = loadCatalogDir(dir);
    assert.deepEqual(back.techniques, c.techniques);
    assert.deepEqual(back.tactics, c.tactics);
    assert.deepEqual(back.meta, c.meta);
    assert.match(readFileSync(join(dir, "tactics.yaml"), "utf8"), /^# generated for a test\n/);
  });

  it("a merge appends new items after the existing text and adds technique files", () => {
    const dir = mkdtempSync(join(tmpdir(), "techtrail-folder-"));
    const base = new Catalog({ ...miniCatalogData([tech("T1485", { mitigations: [] })]), mitigations: [] });
    writeAll(dir, catalogFolderFiles(base, "base"));
    const existing = {
      tactics: readFileSync(join(dir, "tactics.yaml"), "utf8"),
      dataSources: readFileSync(join(dir, "data-sources.yaml"), "utf8"),
      mitigations: readFileSync(join(dir, "mitigations.yaml"), "utf8"),
    };
    assert.match(existing.mitigations, /\[\]\n$/);
    const merged = new Catalog({
      ...c.data,
      tactics: [...c.tactics, { id: "TA0043", shortname: "reconnaissance", name: "Reconnaissance", description: "r" }],
      techniques: [...c.data.techniques, ...base.data.techniques],
    });
    const files = mergeIntoFolderFiles(
      existing,
      merged,
      { tactics: ["TA0043"], techniques: ["T1078", "T1078.A001"], mitigations: ["M1018"], dataSources: [] },
      "imported in a test",
    );
    assert.deepEqual([...files.keys()].sort(), [
      "mitigations.yaml",
      "tactics.yaml",
      "techniques/T1078.A001.yaml",
      "techniques/T1078.yaml",
    ]);
    assert.ok(files.get("tactics.yaml")?.startsWith(existing.tactics));
    assert.match(files.get("tactics.yaml") ?? "", /# imported in a test\n- id: TA0043/);
    writeAll(dir, files);
    const back = loadCatalogDir(dir);
    assert.deepEqual(back.techniques, merged.techniques);
    assert.deepEqual(back.tactics, merged.tactics);
    assert.deepEqual(back.mitigations, merged.mitigations);
  });
});
