// `techtrail catalog export` and `catalog import`: STIX 2.1 / release JSON out, ATT&CK bundles in.
// Library work is in src/catalog/stix.ts; this module only reads, writes and prints.
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import type { Command } from "commander";
import type { Catalog } from "../../catalog/catalog.js";
import { catalogFolderFiles, mergeIntoFolderFiles } from "../../catalog/folder.js";
import { loadCatalogDir, openCatalogRef } from "../../catalog/load.js";
import { RELEASE_FORMAT } from "../../catalog/model.js";
import { loadCatalog } from "../../catalog/overlay.js";
import { serializeRelease } from "../../catalog/release.js";
import { exportStix, formatImportReport, importStix, parseStixJson, serializeStix } from "../../catalog/stix.js";
import { TechtrailError } from "../../core/errors.js";
import { writeFileAtomic, writeOutput } from "../../core/fs.js";
import { type CatalogCliOptions, catalogSelection, openCatalog } from "../catalog-options.js";
import { log, out, printJson } from "../output.js";

interface Opts extends CatalogCliOptions {
  json?: boolean;
}

function releaseJson(c: Catalog): string {
  return serializeRelease({ format: RELEASE_FORMAT, catalog: { ...c.data, techniques: [...c.techniques] } });
}

/** Writes files into a new folder built next to `dir` and renamed into place (all or nothing). */
function writeFolderAtomic(dir: string, files: Map<string, string>, seedFrom?: string): void {
  const target = resolve(dir);
  let tmp: string;
  try {
    mkdirSync(dirname(target), { recursive: true });
    tmp = mkdtempSync(join(dirname(target), `.${basename(target)}.import-`));
  } catch (e) {
    throw new TechtrailError("IO", `cannot create a folder next to ${dir}: ${(e as NodeJS.ErrnoException).code ?? e}`);
  }
  try {
    if (seedFrom) cpSync(seedFrom, tmp, { recursive: true });
    for (const [rel, text] of files) writeFileAtomic(join(tmp, rel), text);
    // Re-read what was written: a folder that does not load is never put in place.
    loadCatalogDir(tmp);
    if (seedFrom) {
      const old = `${tmp}.old`;
      renameSync(target, old);
      renameSync(tmp, target);
      rmSync(old, { recursive: true, force: true });
    } else {
      if (existsSync(target)) rmSync(target, { recursive: true });
      renameSync(tmp, target);
    }
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    if (e instanceof TechtrailError) throw e;
    throw new TechtrailError("IO", `cannot write ${dir}: ${(e as NodeJS.ErrnoException).code ?? e}`, { cause: e });
  }
}

export function registerStixCommands(cat: Command, globalOpts: (cmd: Command) => Opts): void {
  cat
    .command("export")
    .description("write the catalog as an ATT&CK-compatible STIX 2.1 bundle or as release-format JSON")
    .option("--format <fmt>", "stix | json", "stix")
    .option("--out <file>", "write to this file (atomically) instead of stdout")
    .option("--release <version>", "export a shipped release (version or release file) instead of the working catalog")
    .action(async (_o, cmd: Command) => {
      const o = globalOpts(cmd) as Opts & { format: string; out?: string; release?: string };
      if (o.format !== "stix" && o.format !== "json")
        throw new TechtrailError("VALIDATION", `unknown --format ${o.format}: expected stix or json`);
      const dir = catalogSelection(o).catalogDir;
      // The working catalog is the one in use, overlay included (a team shares its techniques this way).
      const c = o.release ? openCatalogRef(o.release, dir ? { catalogDir: dir } : {}) : openCatalog(o);
      const text = o.format === "stix" ? serializeStix(exportStix(c)) : releaseJson(c);
      if (!o.out) return void process.stdout.write(text);
      await writeOutput(o.out, text);
      if (o.out !== "-")
        log(`wrote ${c.meta.name} ${c.meta.version} (${c.techniques.length} techniques) as ${o.format} to ${o.out}`);
    });

  cat
    .command("import <file>")
    .description("merge an ATT&CK-format STIX 2.0/2.1 bundle; the catalog's own IDs win and conflicts are reported")
    .requiredOption("--source <name>", "provenance recorded on the imported techniques (e.g. 'ATT&CK ICS 18.1')")
    .option("--out <path>", "write the merged catalog to a new folder (YAML files) or to FILE.json (release format)")
    .option("--dry-run", "only print the report")
    .option("--json", "print {report, written} as JSON")
    .action((file: string, _o, cmd: Command) => {
      const o = globalOpts(cmd) as Opts & { source: string; out?: string; dryRun?: boolean };
      let text: string;
      try {
        text = readFileSync(file, "utf8");
      } catch (e) {
        throw new TechtrailError("IO", `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
      }
      // A bundle merges into the catalog folder itself, never into an overlay.
      const catalogDir = catalogSelection(o).catalogDir;
      const base = loadCatalog({ catalogDir });
      const { catalog, report } = importStix(base, parseStixJson(text, file), { source: o.source, file });
      let written: string | null = null;
      let nothingNew = false;
      const header = `Catalog merged by techtrail catalog import: ${base.meta.name} ${base.meta.version} + ${o.source} (${basename(file)}).`;
      if (o.dryRun) {
        // report only
      } else if (o.out?.endsWith(".json")) {
        writeFileAtomic(o.out, releaseJson(catalog));
        written = o.out;
      } else if (o.out) {
        if (existsSync(o.out) && readdirSync(o.out).length > 0)
          throw new TechtrailError("CONFLICT", `${o.out} exists and is not empty; choose a new folder or FILE.json`);
        writeFolderAtomic(o.out, catalogFolderFiles(catalog, header));
        written = o.out;
      } else if (catalogDir) {
        const read = (f: string) => readFileSync(join(catalogDir, f), "utf8");
        const files = mergeIntoFolderFiles(
          {
            tactics: read("tactics.yaml"),
            dataSources: read("data-sources.yaml"),
            mitigations: read("mitigations.yaml"),
          },
          catalog,
          report.added,
          `Imported from ${o.source} (${basename(file)}) by techtrail catalog import.`,
        );
        if (files.size > 0) {
          writeFolderAtomic(catalogDir, files, catalogDir);
          written = catalogDir;
        } else nothingNew = true;
      }
      if (o.json) return printJson({ report, written });
      out(formatImportReport(report));
      if (written) out(`wrote merged catalog (${catalog.techniques.length} techniques) to ${written}`);
      else if (nothingNew) out(`nothing new for ${catalogDir}: it already holds everything the bundle adds`);
      else if (!o.dryRun)
        log("nothing written: give --out DIR or --out FILE.json, or --catalog DIR to merge into that folder");
    });
}
