// `techtrail serve` and `techtrail start` (what `npm start` runs): the web service on http://127.0.0.1:4317 with
// the embedded SQLite store (or PostgreSQL via TECHTRAIL_DATABASE_URL). Prints the URL and, on the first start,
// the one-time admin password.
import type { Command } from "commander";
import { loadBuiltinCatalog } from "../../catalog/load.js";
import { describeLoadedCatalog, loadedCatalogInfo } from "../../catalog/overlay.js";
import { loadControlsInventory } from "../../controls/load.js";
import { TechtrailError } from "../../core/errors.js";
import { DEFAULT_HOST, DEFAULT_PORT, startService } from "../../server/serve.js";
import { CATALOG_OPTION_HELP, catalogSelection, OVERLAY_OPTION_HELP, openCatalog } from "../catalog-options.js";
import { log, out } from "../output.js";

interface ServeOpts {
  secureCookies?: boolean;
  trustedProxy?: string[];
  host: string;
  port: string;
  demo: boolean;
  db?: string;
  web?: string;
  catalog?: string;
  overlay?: string;
  controls?: string;
  communityDir?: string;
}

export async function runServe(o: ServeOpts): Promise<void> {
  if (!/^\d+$/.test(o.port) || Number(o.port) > 65_535)
    throw new TechtrailError("VALIDATION", `--port must be a number from 0 to 65535, got ${o.port}`);
  const opts: Parameters<typeof startService>[0] = {
    host: o.host,
    port: Number(o.port),
    demo: o.demo,
    log: (line) => log(line),
  };
  if (o.db !== undefined) opts.db = o.db;
  const sel = catalogSelection(o);
  if (sel.catalogDir !== undefined || sel.overlayDir !== undefined) opts.catalog = openCatalog(o);
  if (sel.catalogDir !== undefined) opts.catalogDir = sel.catalogDir;
  if (o.web !== undefined) opts.webDir = o.web;
  if (o.secureCookies) opts.app = { secureCookies: true };
  if (o.trustedProxy && o.trustedProxy.length > 0) opts.app = { ...opts.app, trustedProxies: o.trustedProxy };
  const controls = o.controls ?? process.env.TECHTRAIL_CONTROLS;
  if (controls) {
    // Checked now so a bad file stops the start with its located problems, not the first request.
    loadControlsInventory(controls, opts.catalog ?? loadBuiltinCatalog());
    opts.app = { ...opts.app, controlsFile: controls };
  }
  if (o.communityDir !== undefined) opts.app = { ...opts.app, communityDir: o.communityDir };
  const svc = await startService(opts);
  out(`techtrail listening on ${svc.url}`);
  out(`  ${describeLoadedCatalog(loadedCatalogInfo(svc.catalog, sel))}`);
  out(
    `  store: ${svc.store.kind} ${svc.store.location}${svc.seeded ? ` (seeded ${svc.seeded} demo incidents, marked demo)` : ""}`,
  );
  if (svc.adminPassword !== undefined) {
    out(`  sign in as admin with password: ${svc.adminPassword}`);
    out("  (shown only this once; change it after signing in, or reset it with `techtrail user passwd admin`)");
  } else out("  sign in with your techtrail user (`techtrail user add NAME --role admin` creates one)");
  if (!/^(127\.|::1$|localhost$)/.test(o.host))
    log(`techtrail: warning: listening on ${o.host}, reachable from other machines; put it behind https`);
  const stop = () => {
    svc.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

export function addServeOptions(cmd: Command): Command {
  return cmd
    .option("--host <host>", "address to listen on", DEFAULT_HOST)
    .option("--port <port>", "port to listen on (0 = any free port)", String(DEFAULT_PORT))
    .option("--no-demo", "do not seed the demo register on the first start of an empty store")
    .option(
      "--db <file|url>",
      "SQLite file or postgres:// URL (default: TECHTRAIL_DATABASE_URL, TECHTRAIL_DB, ./techtrail.db)",
    )
    .option("--web <dir>", "folder of the built web UI (default: web/dist of the package)")
    .option("--catalog <dir>", CATALOG_OPTION_HELP)
    .option("--overlay <dir>", OVERLAY_OPTION_HELP)
    .option(
      "--controls <file>",
      "the team's deployed-controls inventory for stats controls (default: TECHTRAIL_CONTROLS)",
    )
    .option("--secure-cookies", "always mark cookies Secure (behind an https reverse proxy)")
    .option(
      "--community-dir <dir>",
      "folder of shared community datasets (`stats share` files) for the Community page (default: TECHTRAIL_COMMUNITY_DIR)",
    )
    .option(
      "--trusted-proxy <cidr>",
      "reverse proxy address or CIDR whose X-Forwarded-For gives the client address (repeatable; default: none)",
      (v: string, acc: string[]) => [...acc, v],
      [] as string[],
    );
}

export function registerServeCommand(program: Command): void {
  addServeOptions(program.command("serve").description("run the web service and HTTP API")).action((o: ServeOpts) =>
    runServe(o),
  );
}
