// Build step: parses the YAML files techtrail ships (catalog, rules, profiles, playbooks, mappings) once and
// writes their values to dist/yaml-cache.json (see src/core/yaml-cache.ts). Runs after tsc, from the compiled
// modules.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const { parseYamlText } = await import(join(root, "dist/core/yaml.js"));
const { buildYamlCache, YAML_CACHE_FILE } = await import(join(root, "dist/core/yaml-cache.js"));
const { writeFileAtomic } = await import(join(root, "dist/core/fs.js"));

function* walk(dir) {
  let list;
  try {
    list = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of list) {
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* walk(p);
    else if (/\.ya?ml$/.test(e.name)) yield p;
  }
}

const parsed = [];
let failed = 0;
for (const dir of ["catalog", "rules", "profiles", "playbooks", "mappings"]) {
  for (const file of walk(join(root, dir))) {
    const text = readFileSync(file, "utf8");
    try {
      parsed.push({ text, value: parseYamlText(text, file).value });
    } catch {
      failed++; // not one valid document (several documents, or an error): parsed at run time as before
    }
  }
}
const { cache, skipped } = buildYamlCache(parsed);
await writeFileAtomic(YAML_CACHE_FILE, `${JSON.stringify(cache)}\n`);
process.stderr.write(
  `yaml cache: ${Object.keys(cache.entries).length} files (${skipped + failed} left to the parser) -> ${YAML_CACHE_FILE}\n`,
);
