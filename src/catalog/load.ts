// Reads a catalog folder (catalog.yaml, tactics.yaml, data-sources.yaml, mitigations.yaml, techniques/*.yaml)
// and frozen release files. Every problem in every file is collected before failing, so one run shows them all.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import { z } from "zod";
import { type Problem, TechtrailError } from "../core/errors.js";
import { packagePath } from "../core/paths.js";
import { locatedProblems, type ParsedYaml, parseYaml } from "../core/yaml.js";
import { Catalog } from "./catalog.js";
import {
  type CatalogData,
  CatalogMeta,
  DataSource,
  isOverlayId,
  Mitigation,
  ReleaseFile,
  Tactic,
  Technique,
} from "./model.js";

export const BUILTIN_CATALOG_DIR = packagePath("catalog");
export const BUILTIN_RELEASES_DIR = packagePath("catalog", "releases");

function readText(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (e) {
    throw new TechtrailError("IO", `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, {
      problems: [{ source: file, message: "file cannot be read" }],
    });
  }
}

function loadYamlFile<T>(file: string, schema: z.ZodType<T>, problems: Problem[]): T | undefined {
  return readYamlFile(file, schema, problems)?.value;
}

/** Reads and validates one YAML file; problems (located at file:line:column) go to `problems`. */
export function readYamlFile<T>(
  file: string,
  schema: z.ZodType<T>,
  problems: Problem[],
): { value: T; parsed: ParsedYaml } | undefined {
  let parsed: ParsedYaml;
  try {
    parsed = parseYaml(readText(file), file);
  } catch (e) {
    if (e instanceof TechtrailError) {
      problems.push(...(e.problems.length ? e.problems : [{ source: file, message: e.message }]));
      return undefined;
    }
    throw e;
  }
  const res = schema.safeParse(parsed.value);
  if (!res.success) {
    problems.push(...locatedProblems(parsed, res.error.issues, file));
    return undefined;
  }
  return { value: res.data, parsed };
}

/** Loads a catalog folder. Throws one TechtrailError listing every problem found. */
export function loadCatalogDir(dir: string = BUILTIN_CATALOG_DIR): Catalog {
  const problems: Problem[] = [];
  const meta = loadYamlFile(join(dir, "catalog.yaml"), CatalogMeta, problems);
  const tactics = loadYamlFile(join(dir, "tactics.yaml"), z.array(Tactic), problems);
  const dataSources = loadYamlFile(join(dir, "data-sources.yaml"), z.array(DataSource), problems);
  const mitigations = loadYamlFile(join(dir, "mitigations.yaml"), z.array(Mitigation), problems);
  const techDir = join(dir, "techniques");
  let files: string[] = [];
  try {
    files = readdirSync(techDir)
      .filter((f) => f.endsWith(".yaml") || f.endsWith(".yml"))
      .sort();
  } catch {
    problems.push({ source: techDir, message: "techniques folder is missing or unreadable" });
  }
  const techniques: Technique[] = [];
  const fileOf = new Map<string, string>();
  for (const f of files) {
    const file = join(techDir, f);
    const read = readYamlFile(file, Technique, problems);
    if (!read) continue;
    const t = read.value;
    // Overlay IDs are reserved to overlays, so an overlay can never collide with a catalog technique.
    if (isOverlayId(t.id)) {
      problems.push(
        ...locatedProblems(
          read.parsed,
          [
            {
              path: ["id"],
              message: `${t.id} is an overlay ID: a catalog holds IDs like T1078, T1078.A001 or AT1023; keep team techniques in an overlay (--overlay DIR, docs/catalog-overlays.md)`,
            },
          ],
          file,
        ),
      );
      continue;
    }
    const stem = basename(f).replace(/\.ya?ml$/, "");
    if (stem !== t.id)
      problems.push({
        source: file,
        field: "id",
        message: `file name ${f} does not match id ${t.id} (expected ${t.id}.yaml)`,
      });
    const prev = fileOf.get(t.id);
    if (prev) {
      problems.push({
        source: file,
        field: "id",
        message: `duplicate technique ID ${t.id} (also in ${prev})`,
      });
      continue;
    }
    fileOf.set(t.id, file);
    techniques.push(t);
  }
  if (problems.length > 0 || !meta || !tactics || !dataSources || !mitigations) {
    throw new TechtrailError("VALIDATION", `catalog in ${dir} has ${problems.length} problem(s)`, {
      problems,
    });
  }
  return new Catalog({ meta, tactics, dataSources, mitigations, techniques }, (id) => fileOf.get(id));
}

let builtin: Catalog | undefined;
/** The catalog shipped with techtrail (cached). */
export function loadBuiltinCatalog(): Catalog {
  builtin ??= loadCatalogDir(BUILTIN_CATALOG_DIR);
  return builtin;
}

/** Parses a release file's JSON text (see `catalog release`). */
export function parseRelease(text: string, source: string): CatalogData {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new TechtrailError("PARSE", `${source} is not valid JSON: ${(e as Error).message}`, {
      problems: [{ source, message: (e as Error).message }],
    });
  }
  const res = ReleaseFile.safeParse(json);
  if (!res.success) {
    throw new TechtrailError("VALIDATION", `${source} is not a techtrail catalog release`, {
      problems: res.error.issues
        .slice(0, 20)
        .map((i) => ({ source, field: i.path.map(String).join("."), message: i.message })),
    });
  }
  return res.data.catalog;
}

export function loadReleaseFile(file: string): Catalog {
  return new Catalog(parseRelease(readText(file), file));
}

/** Versions of the releases shipped in a releases folder, oldest first. */
export function listReleases(dir: string = BUILTIN_RELEASES_DIR): string[] {
  try {
    return readdirSync(dir)
      .filter((f) => f.endsWith(".json"))
      .map((f) => f.replace(/\.json$/, ""))
      .sort((a, b) => a.localeCompare(b, "en", { numeric: true }));
  } catch {
    return [];
  }
}

/**
 * Opens a catalog named on the command line: `current` (the working catalog folder), a release
 * version (`2026.10`), a release file, a catalog folder, or (via `bundleLoader`) a STIX bundle file.
 */
export function openCatalogRef(
  ref: string,
  opts: {
    catalogDir?: string;
    releasesDir?: string;
    bundleLoader?: (json: unknown, file: string) => Catalog;
  } = {},
): Catalog {
  const releasesDir = opts.releasesDir ?? BUILTIN_RELEASES_DIR;
  if (ref === "current" || ref === "working")
    return opts.catalogDir ? loadCatalogDir(opts.catalogDir) : loadBuiltinCatalog();
  if (/^\d{4}\.\d{2}(\.\d+)?$/.test(ref)) {
    if (!listReleases(releasesDir).includes(ref))
      throw new TechtrailError(
        "NOT_FOUND",
        `no catalog release ${ref} (available: ${listReleases(releasesDir).join(", ") || "none"})`,
      );
    return loadReleaseFile(join(releasesDir, `${ref}.json`));
  }
  let isDir = false;
  try {
    isDir = statSync(ref).isDirectory();
  } catch {
    throw new TechtrailError("NOT_FOUND", `${ref} is neither a release version, a file nor a folder`);
  }
  if (isDir) return loadCatalogDir(ref);
  const text = readText(ref);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new TechtrailError("PARSE", `${ref} is not valid JSON: ${(e as Error).message}`);
  }
  if (json && typeof json === "object" && (json as { type?: unknown }).type === "bundle") {
    if (!opts.bundleLoader)
      throw new TechtrailError("UNSUPPORTED", `${ref} is a STIX bundle; no bundle loader configured`);
    return opts.bundleLoader(json, ref);
  }
  return new Catalog(parseRelease(text, ref));
}
