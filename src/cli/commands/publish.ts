// `techtrail publish --out DIR [--release VERSION] [--base-url URL] [--sign CMD]`: the static website of a
// catalog release (src/publish/). This module only parses options and prints the summary.

import type { Command } from "commander";
import { publishSite } from "../../publish/publish.js";
import { CATALOG_OPTION_HELP, catalogSelection, OVERLAY_OPTION_HELP } from "../catalog-options.js";
import { log, out, printJson } from "../output.js";

export function registerPublishCommand(program: Command): void {
  program
    .command("publish")
    .description("build the static website of a catalog release: matrix, pages, search, changelog, downloads")
    .requiredOption("--out <dir>", "site folder; the release goes into <dir>/<version>/")
    .option(
      "--release <version>",
      "a release of the catalog (default: the working catalog at its catalog.yaml version)",
    )
    .option("--catalog <dir>", CATALOG_OPTION_HELP)
    .option("--overlay <dir>", OVERLAY_OPTION_HELP)
    .option("--base-url <url>", "public URL of the site folder, for canonical links and the layer's STIX URL")
    .option("--sign <template>", "command run on SHA256SUMS, e.g. 'gpg --detach-sign --armor --output {sig} {file}'")
    .option("--json", "machine-readable summary")
    .action(
      async (o: {
        out: string;
        release?: string;
        catalog?: string;
        overlay?: string;
        baseUrl?: string;
        sign?: string;
        json?: boolean;
      }) => {
        const sel = catalogSelection(o);
        const r = await publishSite({
          out: o.out,
          ...(o.release ? { release: o.release } : {}),
          ...(sel.catalogDir ? { catalogDir: sel.catalogDir } : {}),
          ...(sel.overlayDir ? { overlayDir: sel.overlayDir } : {}),
          ...(o.baseUrl ? { baseUrl: o.baseUrl } : {}),
          ...(o.sign ? { sign: o.sign } : {}),
          ...(process.stderr.isTTY ? { progress: log } : {}),
        });
        if (o.json) return printJson(r);
        out(
          `published release ${r.version} into ${r.dir}: ${r.pages} pages, ${r.downloads.length} downloads${r.signature ? ", signed" : ""}${r.previous ? `, changelog since ${r.previous}` : ""}`,
        );
      },
    );
}
