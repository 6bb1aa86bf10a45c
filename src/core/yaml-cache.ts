// Parsed-YAML cache for the data files techtrail ships (catalog, built-in rules, profiles): the build stores
// each file's parsed value under the SHA-1 of its text (dist/yaml-cache.json), so a cold start — every CLI
// command, every scan worker — skips the YAML parser for files it has seen. Keyed by content, so a changed
// file simply misses and is parsed; files whose value JSON cannot carry exactly (.inf, .nan, -0) are left out.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { isDeepStrictEqual } from "node:util";
import { packagePath } from "./paths.js";

export const YAML_CACHE_FILE = packagePath("dist", "yaml-cache.json");
const VERSION = 1;

interface CacheFile {
  version: number;
  /** SHA-1 of a file's text → JSON text of its parsed value. */
  entries: Record<string, string>;
}

let entries: Map<string, string> | null | undefined;

export const textHash = (text: string): string => createHash("sha1").update(text).digest("hex");

function load(file: string): Map<string, string> | null {
  try {
    const json = JSON.parse(readFileSync(file, "utf8")) as CacheFile;
    if (json?.version !== VERSION || json.entries === null || typeof json.entries !== "object") return null;
    return new Map(Object.entries(json.entries));
  } catch {
    return null; // no cache (running from source before a build) or an unreadable one: parse as usual
  }
}

/** The cached value of a YAML text (a fresh copy), or undefined. */
export function cachedYamlValue(text: string): { value: unknown } | undefined {
  if (entries === undefined) entries = load(YAML_CACHE_FILE);
  if (entries === null) return undefined;
  const hit = entries.get(textHash(text));
  return hit === undefined ? undefined : { value: JSON.parse(hit) };
}

/** For tests: read the cache from another file (undefined: the default file again). */
export function useYamlCacheFile(file: string | undefined): void {
  entries = file === undefined ? undefined : load(file);
}

/** Builds cache content from (text, parsed value) pairs; values JSON would change are skipped. */
export function buildYamlCache(files: Iterable<{ text: string; value: unknown }>): {
  cache: CacheFile;
  skipped: number;
} {
  const out: Record<string, string> = {};
  let skipped = 0;
  for (const f of files) {
    const json = JSON.stringify(f.value);
    if (json === undefined || !isDeepStrictEqual(JSON.parse(json), f.value)) {
      skipped++;
      continue;
    }
    out[textHash(f.text)] = json;
  }
  return { cache: { version: VERSION, entries: out }, skipped };
}
