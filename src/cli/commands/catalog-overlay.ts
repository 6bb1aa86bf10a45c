// `techtrail catalog overlay check`: an overlay reviewed against the catalog in use (after an upgrade, say):
// every conflict listed with its file:line:column, nothing written on either side.
import type { Command } from "commander";
import { loadBuiltinCatalog, loadCatalogDir } from "../../catalog/load.js";
import {
  conflictProblem,
  describeLoadedCatalog,
  loadedCatalogInfo,
  loadOverlayDir,
  mergeOverlay,
} from "../../catalog/overlay.js";
import { formatProblem, TechtrailError } from "../../core/errors.js";
import { type CatalogCliOptions, catalogSelection } from "../catalog-options.js";
import { out, printJson } from "../output.js";

type GlobalOpts = (cmd: Command) => CatalogCliOptions & { json?: boolean };

export function registerOverlayCommands(cat: Command, globalOpts: GlobalOpts): void {
  const ov = cat.command("overlay").description("team overlays on top of the catalog (docs/catalog-overlays.md)");
  ov.command("check [dir]")
    .description(
      "list the conflicts of an overlay with the catalog in use (IDs that collide, unknown parents, additions the catalog now has, revoked or removed targets); exit 2 on errors, 1 on warnings with --strict",
    )
    .option("--strict", "exit 1 when there are warnings")
    .option("--json", "machine-readable output")
    .action((dir: string | undefined, _o, cmd: Command) => {
      const o = { ...globalOpts(cmd), ...cmd.opts() } as CatalogCliOptions & { json?: boolean; strict?: boolean };
      const sel = catalogSelection(dir ? { ...o, overlay: dir } : o);
      if (sel.overlayDir === undefined)
        throw new TechtrailError(
          "VALIDATION",
          "no overlay to check: give its folder (`catalog overlay check DIR`), --overlay DIR or TECHTRAIL_OVERLAY",
        );
      const base = sel.catalogDir ? loadCatalogDir(sel.catalogDir) : loadBuiltinCatalog();
      // A malformed file throws here with its located problems, like any load.
      const files = loadOverlayDir(sel.overlayDir);
      const { catalog, conflicts } = mergeOverlay(base, files);
      const errors = conflicts.filter((c) => c.severity === "error").length;
      const warnings = conflicts.length - errors;
      if (o.json) {
        printJson({
          ok: errors === 0,
          catalog: { version: base.meta.version, path: sel.catalogDir ?? null },
          overlay: { namespace: files.manifest.namespace, path: files.dir, base: files.manifest.base ?? null },
          errors,
          warnings,
          conflicts,
          loaded: catalog ? loadedCatalogInfo(catalog, sel) : null,
        });
      } else {
        out(
          catalog
            ? describeLoadedCatalog(loadedCatalogInfo(catalog, sel))
            : `overlay ${files.manifest.namespace} cannot load on catalog ${base.meta.version}`,
        );
        for (const c of conflicts) out(`${c.severity} ${c.kind}: ${formatProblem(conflictProblem(c))}`);
        out(conflicts.length === 0 ? "no conflicts" : `${errors} error(s), ${warnings} warning(s)`);
      }
      if (errors > 0) process.exitCode = 2;
      else if (warnings > 0 && o.strict) process.exitCode = 1;
    });
}
