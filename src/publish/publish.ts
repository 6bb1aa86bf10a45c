// `techtrail publish`: builds the static site of one catalog release into OUT/<version>/ (pages, Pagefind
// search index, downloads, SHA256SUMS and its optional signature) and refreshes OUT/index.html, the list
// of every release published into OUT. The release folder is built beside its target and renamed into place,
// so a failed run never leaves a half-written release.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { z } from "zod";
import type { Catalog } from "../catalog/catalog.js";
import { BUILTIN_RELEASES_DIR, listReleases, openCatalogRef } from "../catalog/load.js";
import { applyOverlay, loadCatalog, loadOverlayDir, mergeOverlay, type OverlayFiles } from "../catalog/overlay.js";
import { TechtrailError } from "../core/errors.js";
import { writeFileAtomic } from "../core/fs.js";
import { html } from "../core/html.js";
import { BUILTIN_MAPPINGS_DIR, loadDetectorMappings } from "../detectors/mapping.js";
import { BUILTIN_RULES_DIR } from "../scan/rule-files.js";
import { loadRuleLibrary } from "../scan/rule-library.js";
import { buildReleaseSite, type RuleFileText, renderDownloadsPage, SUMS_FILE } from "./site.js";

export const SIGNATURE_FILE = `${SUMS_FILE}.sig`;
/** Marker written into each release folder; OUT/index.html lists the folders that have one. */
const MARKER = "release.json";
const ReleaseMarker = z.object({ version: z.string(), name: z.string(), date: z.string() });

export interface PublishOptions {
  out: string;
  /** Catalog folder (default: the built-in one); its releases/ folder holds the releases. */
  catalogDir?: string;
  /** A team overlay published on top of the catalog (docs/catalog-overlays.md). */
  overlayDir?: string;
  /** A release version of that catalog (default: the working catalog, at its catalog.yaml version). */
  release?: string;
  baseUrl?: string;
  /** Command template run on SHA256SUMS: `{file}` and `{sig}` are replaced (see docs/publish.md). */
  sign?: string;
  mappingsDir?: string;
  /** Release date when the catalog has none (default: today, UTC). */
  today?: string;
  progress?: (line: string) => void;
}

export interface PublishResult {
  version: string;
  dir: string;
  pages: number;
  downloads: string[];
  previous: string | null;
  signature: string | null;
}

const byVersion = (a: string, b: string) => a.localeCompare(b, "en", { numeric: true });

/** The release to publish, and the working catalog (the one rules and detector mappings are reviewed against). */
function openRelease(
  o: PublishOptions,
  releasesDir: string,
  overlay: OverlayFiles | undefined,
): { catalog: Catalog; working: Catalog } {
  const working = loadCatalog({ catalogDir: o.catalogDir });
  const withOverlay = (c: Catalog) => (overlay ? applyOverlay(c, overlay) : c);
  if (!o.release || (o.release === working.meta.version && !listReleases(releasesDir).includes(o.release))) {
    const both = withOverlay(working);
    return { catalog: both, working: both };
  }
  const catalog = openCatalogRef(o.release, { releasesDir, ...(o.catalogDir ? { catalogDir: o.catalogDir } : {}) });
  return { catalog: withOverlay(catalog), working: withOverlay(working) };
}

/** Splits the --sign template on whitespace (no shell) and fills in the placeholders. */
export function signCommand(template: string, file: string, sig: string): string[] {
  const argv = template.trim().split(/\s+/).filter(Boolean);
  if (!argv.length)
    throw new TechtrailError(
      "VALIDATION",
      "--sign needs a command template, e.g. 'gpg --detach-sign --armor --output {sig} {file}'",
    );
  if (!argv.some((a) => a.includes("{file}")))
    throw new TechtrailError("VALIDATION", `--sign template must contain {file} (the ${SUMS_FILE} path): ${template}`);
  return argv.map((a) => a.replaceAll("{file}", file).replaceAll("{sig}", sig));
}

function runSign(template: string, dir: string): string {
  const file = join(dir, SUMS_FILE);
  const sig = join(dir, SIGNATURE_FILE);
  const [cmd, ...args] = signCommand(template, file, sig);
  const r = spawnSync(cmd as string, args, { encoding: "buffer", cwd: dir, maxBuffer: 16 * 1024 * 1024 });
  if (r.error)
    throw new TechtrailError(
      "IO",
      `--sign: cannot run ${cmd}: ${(r.error as NodeJS.ErrnoException).code ?? r.error.message}`,
    );
  if (r.status !== 0)
    throw new TechtrailError(
      "IO",
      `--sign: ${cmd} exited ${r.status ?? r.signal}: ${r.stderr.toString("utf8").trim().slice(0, 500)}`,
    );
  // A command that prints the signature instead of writing {sig} (e.g. `gpg --detach-sign --armor {file}` to stdout).
  if (!existsSync(sig) && r.stdout.length) writeFileAtomic(sig, r.stdout);
  if (!existsSync(sig))
    throw new TechtrailError(
      "IO",
      `--sign: ${cmd} wrote no signature (expected ${SIGNATURE_FILE}, or the signature on stdout)`,
    );
  return SIGNATURE_FILE;
}

async function indexSearch(dir: string): Promise<void> {
  // Pagefind ships its indexer as a platform binary inside npm packages; loaded only when publishing.
  const pagefind = await import("pagefind");
  try {
    const { index, errors } = await pagefind.createIndex({});
    if (!index || errors.length) throw new TechtrailError("INTERNAL", `search index: ${errors.join("; ")}`);
    const added = await index.addDirectory({ path: dir });
    if (added.errors.length) throw new TechtrailError("INTERNAL", `search index: ${added.errors.join("; ")}`);
    const written = await index.writeFiles({ outputPath: join(dir, "pagefind") });
    if (written.errors.length) throw new TechtrailError("INTERNAL", `search index: ${written.errors.join("; ")}`);
  } finally {
    await pagefind.close();
  }
}

function ruleFileTexts(files: ReadonlyArray<{ source: string; text: string }>): RuleFileText[] {
  return files
    .filter((f) => f.source.startsWith("rules/"))
    .map((f) => ({ name: f.source.slice("rules/".length), text: f.text }));
}

export async function publishSite(o: PublishOptions): Promise<PublishResult> {
  const progress = o.progress ?? (() => undefined);
  const releasesDir = o.catalogDir ? join(o.catalogDir, "releases") : BUILTIN_RELEASES_DIR;
  // Loading checks every reference (tactics, parents, replacements, mitigations, data sources) and throws
  // one error listing them all; detector mappings are checked against the same catalog.
  // Rules and mappings are current content, checked against the working catalog; on an older release's
  // pages only what names that release's techniques shows.
  const overlay = o.overlayDir ? loadOverlayDir(o.overlayDir) : undefined;
  const { catalog, working } = openRelease(o, releasesDir, overlay);
  const v = catalog.meta.version;
  const mappings = loadDetectorMappings(working, o.mappingsDir ?? BUILTIN_MAPPINGS_DIR);
  const lib = await loadRuleLibrary({ catalog: working, ruleDirs: [] });
  if (!lib.files.length) throw new TechtrailError("NOT_FOUND", `no rule files in ${BUILTIN_RULES_DIR}`);
  const prevVersion =
    listReleases(releasesDir)
      .filter((r) => byVersion(r, v) < 0)
      .sort(byVersion)
      .pop() ?? null;
  const previousAlone = prevVersion ? openCatalogRef(prevVersion, { releasesDir }) : undefined;
  // The changelog compares the catalog's releases: the overlay goes on both sides where it fits the older one.
  const previous =
    previousAlone && overlay ? (mergeOverlay(previousAlone, overlay).catalog ?? previousAlone) : previousAlone;
  const date = catalog.data.released ?? o.today ?? new Date().toISOString().slice(0, 10);
  progress(`building release ${v}${prevVersion ? ` (changes since ${prevVersion})` : ""}`);
  const site = buildReleaseSite({
    catalog,
    ...(previous ? { previous } : {}),
    rules: lib.infos.filter((r) => r.origin === "builtin"),
    ruleFiles: ruleFileTexts(lib.files),
    mappings,
    ...(o.baseUrl ? { baseUrl: o.baseUrl } : {}),
    date,
  });

  const out = resolve(o.out);
  const target = join(out, v);
  let tmp: string;
  try {
    mkdirSync(out, { recursive: true });
    tmp = mkdtempSync(join(out, `.${v}.publish-`));
  } catch (e) {
    throw new TechtrailError("IO", `cannot write into ${o.out}: ${(e as NodeJS.ErrnoException).code ?? e}`);
  }
  try {
    for (const [path, data] of site.files) writeFileAtomic(join(tmp, path), data);
    const signature = o.sign ? runSign(o.sign, join(tmp, "downloads")) : null;
    writeFileAtomic(
      join(tmp, "downloads.html"),
      renderDownloadsPage(site, catalog, {
        ...(o.baseUrl ? { baseUrl: o.baseUrl } : {}),
        ...(signature ? { signature } : {}),
      }),
    );
    writeFileAtomic(join(tmp, MARKER), `${JSON.stringify({ version: v, name: catalog.meta.name, date }, null, 2)}\n`);
    progress("indexing pages for search");
    await indexSearch(tmp);
    if (existsSync(target)) {
      const old = `${tmp}.old`;
      renameSync(target, old);
      renameSync(tmp, target);
      rmSync(old, { recursive: true, force: true });
    } else renameSync(tmp, target);
    writeFileAtomic(join(out, "index.html"), rootIndex(out));
    const pages = [...site.files.keys()].filter((p) => p.endsWith(".html")).length + 1;
    return {
      version: v,
      dir: join(o.out, v),
      pages,
      downloads: [...site.downloads.map((d) => d.name), SUMS_FILE, ...(signature ? [signature] : [])],
      previous: prevVersion,
      signature,
    };
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}

/** OUT/index.html: every published release, newest first, the newest linked as current. */
function rootIndex(out: string): string {
  const releases = readdirSync(out, { withFileTypes: true })
    .filter((d) => d.isDirectory() && !d.name.startsWith(".") && existsSync(join(out, d.name, MARKER)))
    .map((d) => {
      const m = ReleaseMarker.safeParse(JSON.parse(readFileSync(join(out, d.name, MARKER), "utf8")));
      return m.success && m.data.version === basename(d.name) ? m.data : undefined;
    })
    .filter((m) => m !== undefined)
    .sort((a, b) => byVersion(b.version, a.version));
  const name = releases[0]?.name ?? "techtrail catalog";
  return `<!doctype html>\n${html`<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="data:,">
<title>${name}: releases</title>
<style>body{font:16px/1.5 system-ui,sans-serif;color:#1b1f24;margin:2rem;max-width:50rem}a{color:#0b57a3}a:focus-visible{outline:3px solid #d35400}</style>
</head>
<body>
<main>
<h1>${name}</h1>
${releases[0] ? html`<p>Current release: <a href="${releases[0].version}/index.html">${releases[0].version}</a> (${releases[0].date}).</p>` : ""}
<h2>All releases</h2>
<ul>${releases.map((r) => html`<li><a href="${r.version}/index.html">${r.version}</a>, released ${r.date}: <a href="${r.version}/changelog.html">changelog</a>, <a href="${r.version}/downloads.html">downloads</a></li>`)}</ul>
</main>
</body>
</html>`}\n`;
}
