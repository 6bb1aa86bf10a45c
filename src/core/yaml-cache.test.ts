import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { parseYaml, parseYamlText } from "./yaml.js";
import { buildYamlCache, cachedYamlValue, useYamlCacheFile } from "./yaml-cache.js";

const TEXT = "id: T1078.A001\nname: Stolen access keys\ntactics:\n  - initial-access\n  - persistence\nscore: 3\n";

describe("YAML cache", () => {
  after(() => useYamlCacheFile(undefined));

  it("returns the parser's value for a cached text, a fresh copy each time, and locates on demand", () => {
    const dir = mkdtempSync(join(tmpdir(), "tt-yaml-cache-"));
    const file = join(dir, "cache.json");
    const { cache, skipped } = buildYamlCache([
      { text: TEXT, value: parseYamlText(TEXT, "t.yaml").value },
      { text: "x: .inf\n", value: parseYamlText("x: .inf\n", "inf.yaml").value },
    ]);
    assert.equal(skipped, 1, "a value JSON cannot carry (.inf) is left to the parser");
    writeFileSync(file, JSON.stringify(cache));
    useYamlCacheFile(file);

    const a = cachedYamlValue(TEXT);
    assert.ok(a, "cache hit");
    assert.deepEqual(a.value, parseYamlText(TEXT, "t.yaml").value);
    const b = cachedYamlValue(TEXT);
    assert.notEqual(a.value, b?.value, "each hit is a fresh copy");
    assert.equal(cachedYamlValue(`${TEXT}# changed\n`), undefined, "another text misses");
    assert.equal(cachedYamlValue("x: .inf\n"), undefined);

    const parsed = parseYaml(TEXT, "t.yaml");
    assert.deepEqual(parsed.value, parseYamlText(TEXT, "t.yaml").value);
    assert.deepEqual(parsed.locate(["tactics", 1]), { line: 5, column: 5 });
    assert.deepEqual(parsed.locate(["score"]), parseYamlText(TEXT, "t.yaml").locate(["score"]));
  });

  it("parses as usual without a cache file", () => {
    useYamlCacheFile(join(tmpdir(), "does-not-exist", "cache.json"));
    assert.equal(cachedYamlValue(TEXT), undefined);
    assert.deepEqual(parseYaml(TEXT, "t.yaml").value, parseYamlText(TEXT, "t.yaml").value);
  });
});
