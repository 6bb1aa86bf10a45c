// The catalog a command works with, chosen the same way everywhere: `--catalog DIR` (else TECHTRAIL_CATALOG,
// else the shipped catalog) with `--overlay DIR` (else TECHTRAIL_OVERLAY, else none) on top. Every command
// that loads the catalog goes through openCatalog() here.
import { join } from "node:path";
import type { Command } from "commander";
import type { Catalog } from "../catalog/catalog.js";
import { BUILTIN_RELEASES_DIR } from "../catalog/load.js";
import { type CatalogSelection, loadCatalog } from "../catalog/overlay.js";
import { log } from "./output.js";

export interface CatalogCliOptions {
  catalog?: string;
  overlay?: string;
}

export const CATALOG_OPTION_HELP = "catalog folder instead of the built-in one (default: TECHTRAIL_CATALOG)";
export const OVERLAY_OPTION_HELP =
  "team overlay folder loaded on top of the catalog (default: TECHTRAIL_OVERLAY; docs/catalog-overlays.md)";

/** Adds `--catalog DIR` (unless the command uses that name for something else) and `--overlay DIR`. */
export function addCatalogOptions(cmd: Command, opts: { catalog?: boolean } = {}): Command {
  if (opts.catalog !== false) cmd.option("--catalog <dir>", CATALOG_OPTION_HELP);
  return cmd.option("--overlay <dir>", OVERLAY_OPTION_HELP);
}

const nonEmpty = (v: string | undefined) => (v === undefined || v.trim() === "" ? undefined : v);

/** The folders named by the options, else by the environment. */
export function catalogSelection(o: CatalogCliOptions, env: NodeJS.ProcessEnv = process.env): CatalogSelection {
  return {
    catalogDir: nonEmpty(o.catalog) ?? nonEmpty(env.TECHTRAIL_CATALOG),
    overlayDir: nonEmpty(o.overlay) ?? nonEmpty(env.TECHTRAIL_OVERLAY),
  };
}

/** True when the options or the environment name a catalog or an overlay other than the shipped catalog alone. */
export function hasCatalogSelection(o: CatalogCliOptions, env: NodeJS.ProcessEnv = process.env): boolean {
  const s = catalogSelection(o, env);
  return s.catalogDir !== undefined || s.overlayDir !== undefined;
}

const warned = new Set<string>();

/** Loads the catalog in use; overlay warnings (what a catalog upgrade made redundant) are summed up on stderr. */
export function openCatalog(o: CatalogCliOptions): Catalog {
  const catalog = loadCatalog(catalogSelection(o));
  const ov = catalog.overlay;
  if (ov && ov.conflicts.length > 0 && !warned.has(ov.dir)) {
    warned.add(ov.dir);
    log(
      `techtrail: warning: overlay ${ov.namespace} has ${ov.conflicts.length} warning(s) against catalog ${catalog.meta.version}; \`techtrail catalog overlay check\` lists them`,
    );
  }
  return catalog;
}

/** Releases of the catalog in use: `<dir>/releases` for a catalog folder, never the built-in ones then. */
export function releasesDirOf(o: CatalogCliOptions): string {
  const dir = catalogSelection(o).catalogDir;
  return dir ? join(dir, "releases") : BUILTIN_RELEASES_DIR;
}
