// `techtrail catalog ...`: browse, search, release, export, import, diff and layer the technique catalog.

import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "commander";
import type { Catalog } from "../../catalog/catalog.js";
import { diffCatalogs, diffToJson, renderDiffMarkdown, renderDiffText } from "../../catalog/diff.js";
import { buildNavigatorLayers, parseScores } from "../../catalog/layer.js";
import { listReleases, openCatalogRef } from "../../catalog/load.js";
import type { Technique } from "../../catalog/model.js";
import { techniqueSource } from "../../catalog/overlay.js";
import { createRelease, serializeRelease } from "../../catalog/release.js";
import { searchCatalog } from "../../catalog/search.js";
import { stixToCatalog } from "../../catalog/stix.js";
import { TechtrailError } from "../../core/errors.js";
import { writeFileAtomic, writeOutput } from "../../core/fs.js";
import {
  addCatalogOptions,
  type CatalogCliOptions,
  catalogSelection,
  openCatalog,
  releasesDirOf,
} from "../catalog-options.js";
import { out, printJson, safeText, table, truncate } from "../output.js";
import { registerOverlayCommands } from "./catalog-overlay.js";
import { registerStixCommands } from "./catalog-stix.js";

export { openCatalog, releasesDirOf };

interface CatalogOpts extends CatalogCliOptions {
  json?: boolean;
}

export function techniqueSummary(t: Technique) {
  return {
    id: t.id,
    name: t.name,
    tactics: t.tactics,
    events: t.events,
    parent: t.parent ?? null,
    status: t.status,
    source: techniqueSource(t.id),
  };
}

/** Where a technique comes from, for tables: `overlay ACME`, `catalog +ACME` (the overlay adds to it), `catalog`. */
function sourceLabel(c: Catalog, t: Technique): string {
  const ov = c.overlay;
  if (!ov) return "catalog";
  if (techniqueSource(t.id) === "overlay") return `overlay ${ov.namespace}`;
  return ov.patched[t.id] ? `catalog +${ov.namespace}` : "catalog";
}

function tacticNames(c: Catalog, t: Technique): string {
  return t.tactics.map((id) => c.tactic(id)?.name ?? id).join(", ");
}

/** The options of a subcommand merged with the `catalog` command's own (--catalog). */
type GlobalOpts = (cmd: Command) => CatalogOpts;

export function registerCatalogCommands(program: Command): void {
  const cat = addCatalogOptions(
    program.command("catalog").description("browse and publish the threat-technique catalog"),
  );
  const globalOpts = (cmd: Command): CatalogOpts => ({ ...cat.opts(), ...cmd.opts() });

  registerStats(cat, globalOpts);
  registerList(cat, globalOpts);
  registerShow(cat, globalOpts);
  registerSearch(cat, globalOpts);
  registerEvent(cat, globalOpts);
  registerRelease(cat, globalOpts);
  registerReleases(cat, globalOpts);
  registerDiff(cat, globalOpts);
  registerLayer(cat, globalOpts);
  registerStixCommands(cat, globalOpts);
  registerOverlayCommands(cat, globalOpts);
  setBundleLoader((json, file) => stixToCatalog(json, { file }));
}

/** `catalog stats`: counts of tactics, techniques and events. */
function registerStats(cat: Command, globalOpts: GlobalOpts): void {
  cat
    .command("stats")
    .description("counts of tactics, techniques and events")
    .option("--json", "machine-readable output")
    .action((_o, cmd: Command) => {
      const o = globalOpts(cmd);
      const c = openCatalog(o);
      const s = c.stats();
      if (o.json) return printJson(s);
      out(`${s.name} ${s.version}`);
      if (c.overlay)
        out(
          `overlay ${c.overlay.namespace} (${c.overlay.name}): ${c.overlay.techniques.length} technique(s), ${c.overlay.additions} addition(s) to ${Object.keys(c.overlay.patched).length} catalog technique(s)`,
        );
      out(
        `tactics: ${s.tactics}  techniques: ${s.techniques} (${s.subtechniques} sub-techniques)  with CloudTrail events: ${s.techniquesWithEvents}`,
      );
      out(
        `distinct events: ${s.events}  mitigations: ${s.mitigations}  data sources: ${s.dataSources}  deprecated: ${s.deprecated}  revoked: ${s.revoked}`,
      );
      out("");
      out(
        table(
          ["tactic", "name", "techniques"],
          c.tactics.map((t) => [t.id, t.name, s.perTactic[t.id] ?? 0]),
        ),
      );
    });
}

/** `catalog list`: list techniques. */
function registerList(cat: Command, globalOpts: GlobalOpts): void {
  cat
    .command("list")
    .description("list techniques")
    .option("--tactic <id>", "only techniques of this tactic (ID, short name or name)")
    .option("--json", "machine-readable output")
    .action((_o, cmd: Command) => {
      const o = globalOpts(cmd) as CatalogOpts & { tactic?: string };
      const c = openCatalog(o);
      const list = o.tactic ? c.byTactic(o.tactic) : [...c.techniques];
      if (o.json) return printJson(list.map(techniqueSummary));
      const rows = list.map((t) => [t.id, truncate(t.name, 50), truncate(tacticNames(c, t), 40), t.events.length]);
      if (!c.overlay) return out(table(["id", "name", "tactics", "events"], rows));
      out(
        table(
          ["id", "name", "tactics", "events", "source"],
          rows.map((r, i) => [...r, sourceLabel(c, list[i] as Technique)]),
        ),
      );
    });
}

/** `catalog show`: show one technique. */
function registerShow(cat: Command, globalOpts: GlobalOpts): void {
  cat
    .command("show <id>")
    .description("show one technique")
    .option("--json", "machine-readable output")
    .action((id: string, _o, cmd: Command) => {
      const o = globalOpts(cmd);
      const c = openCatalog(o);
      const t = c.require(id);
      const added = c.overlay?.patched[t.id];
      if (o.json) return printJson({ ...t, source: techniqueSource(t.id), overlayAdditions: added ?? null });
      out(
        `${t.id}  ${t.name}${t.status !== "active" ? `  [${t.status}${t.revokedBy ? ` → ${t.revokedBy}` : ""}]` : ""}`,
      );
      if (c.overlay && techniqueSource(t.id) === "overlay")
        out(`source: overlay ${c.overlay.namespace} (${c.overlay.name}), not part of catalog ${c.meta.version}`);
      if (c.overlay && added) {
        const parts = [
          added.events.length ? `events ${added.events.join(", ")}` : "",
          added.aliases.length ? `aliases ${added.aliases.join("; ")}` : "",
          added.mitigations.length ? `mitigation notes ${added.mitigations.map((m) => m.id).join(", ")}` : "",
          added.detection !== null ? "a detection note" : "",
          added.references.length ? `${added.references.length} reference(s)` : "",
        ].filter(Boolean);
        out(`overlay ${c.overlay.namespace} adds: ${parts.join("; ")}`);
      }
      out(`tactics: ${tacticNames(c, t)}`);
      if (t.parent) out(`parent: ${t.parent} ${c.technique(t.parent)?.name ?? ""}`);
      const subs = c.subtechniques(t.id);
      if (subs.length) out(`sub-techniques: ${subs.map((s) => s.id).join(", ")}`);
      out(`aliases: ${t.aliases.join("; ")}`);
      if (t.services.length) out(`services: ${t.services.join(", ")}`);
      if (t.events.length) out(`CloudTrail events: ${t.events.join(", ")}`);
      out(`data sources: ${t.dataSources.map((d) => c.dataSources.find((x) => x.id === d)?.name ?? d).join(", ")}`);
      out("");
      out(t.description);
      out("");
      out("Detection:");
      out(t.detection);
      out("");
      out("Mitigations:");
      for (const m of t.mitigations) out(`  ${m.id} ${c.mitigation(m.id)?.name ?? ""}: ${m.how}`);
      if (t.idNote) out(`\nNote on the ID: ${t.idNote}`);
    });
}

/** `catalog search`: rank techniques for a phrase (name, aliases, description, event names). */
function registerSearch(cat: Command, globalOpts: GlobalOpts): void {
  cat
    .command("search <query...>")
    .description("rank techniques for a phrase (name, aliases, description, event names)")
    .option("-n, --limit <n>", "number of results", "10")
    .option("--json", "machine-readable output")
    .action((words: string[], _o, cmd: Command) => {
      const o = globalOpts(cmd) as CatalogOpts & { limit: string };
      const c = openCatalog(o);
      const hits = searchCatalog(c, words.join(" "), { limit: Number(o.limit) || 10 });
      if (o.json)
        return printJson(
          hits.map((h) => ({
            id: h.id,
            name: h.name,
            score: h.score,
            matched: h.matched,
            source: techniqueSource(h.id),
          })),
        );
      if (hits.length === 0) return out("no matching technique");
      const rows = hits.map((h) => [h.score.toFixed(2), h.id, truncate(h.name, 50), h.matched.join(",")]);
      if (!c.overlay) return out(table(["score", "id", "name", "matched in"], rows));
      out(
        table(
          ["score", "id", "name", "matched in", "source"],
          rows.map((r, i) => [...r, sourceLabel(c, hits[i]?.technique as Technique)]),
        ),
      );
    });
}

/** `catalog event`: techniques an API call maps to (CreateAccessKey or iam:CreateAccessKey). */
function registerEvent(cat: Command, globalOpts: GlobalOpts): void {
  cat
    .command("event <name>")
    .description("techniques an API call maps to (CreateAccessKey or iam:CreateAccessKey)")
    .option("--json", "machine-readable output")
    .action((name: string, _o, cmd: Command) => {
      const o = globalOpts(cmd);
      const c = openCatalog(o);
      const list = c.byEvent(name);
      if (o.json) return printJson(list.map(techniqueSummary));
      if (list.length === 0) return out(`no technique lists ${name}`);
      out(
        table(
          ["id", "name", "tactics"],
          list.map((t) => [t.id, truncate(t.name, 50), tacticNames(c, t)]),
        ),
      );
    });
}

/** `catalog release`: freeze the current catalog as catalog/releases/<version>.json. */
function registerRelease(cat: Command, globalOpts: GlobalOpts): void {
  cat
    .command("release <version>")
    .description("freeze the catalog as <catalog>/releases/<version>.json (version must match catalog.yaml)")
    .option("--date <yyyy-mm-dd>", "release date (default: today, UTC)")
    .option("--dir <dir>", "releases folder (default: releases/ in the catalog folder used)")
    .option("--force", "overwrite an existing release")
    .option("--json", "machine-readable output")
    .action((version: string, _o, cmd: Command) => {
      const o = globalOpts(cmd) as CatalogOpts & { date?: string; dir?: string; force?: boolean };
      if (catalogSelection(o).overlayDir !== undefined)
        throw new TechtrailError(
          "VALIDATION",
          "a release freezes the catalog alone, not a team overlay: run `catalog release` without --overlay (and TECHTRAIL_OVERLAY unset)",
        );
      const c = openCatalog(o);
      const date = o.date ?? new Date().toISOString().slice(0, 10);
      const release = createRelease(c, version, date);
      const file = join(o.dir ?? releasesDirOf(o), `${version}.json`);
      if (existsSync(file) && !o.force)
        throw new TechtrailError(
          "CONFLICT",
          `release ${version} already exists (${file}); releases are immutable, use --force to replace it`,
        );
      writeFileAtomic(file, serializeRelease(release));
      if (o.json) return printJson({ version, date, file, techniques: release.catalog.techniques.length });
      out(`released catalog ${version} (${date}): ${release.catalog.techniques.length} techniques → ${file}`);
    });
}

/** `catalog releases`: list shipped catalog releases. */
function registerReleases(cat: Command, globalOpts: GlobalOpts): void {
  cat
    .command("releases")
    .description("list the releases of the catalog in use")
    .option("--json", "machine-readable output")
    .action((_o, cmd: Command) => {
      const o = globalOpts(cmd);
      const rows = listReleaseSummaries(releasesDirOf(o));
      if (o.json) return printJson(rows);
      out(
        table(
          ["version", "released", "techniques"],
          rows.map((r) => [r.version, r.released ?? "", r.techniques]),
        ),
      );
    });
}

/** `catalog diff`: changes between two catalogs: release versions, release files, bundles, folders or 'current'. */
function registerDiff(cat: Command, globalOpts: GlobalOpts): void {
  cat
    .command("diff <old> <new>")
    .description("changes between two catalogs: release versions, release files, bundles, folders or 'current'")
    .option("--format <fmt>", "text | markdown | json", "text")
    .option("--json", "same as --format json")
    .action((oldRef: string, newRef: string, _o, cmd: Command) => {
      const o = globalOpts(cmd) as CatalogOpts & { format: string };
      // `current` is the catalog in use, overlay included; releases are those of the catalog folder in use.
      const dir = catalogSelection(o).catalogDir;
      const ref = (r: string) =>
        r === "current" || r === "working"
          ? openCatalog(o)
          : openCatalogRef(r, {
              ...(dir ? { catalogDir: dir, releasesDir: releasesDirOf(o) } : {}),
              ...bundleLoaderOpt(),
            });
      const d = diffCatalogs(ref(oldRef), ref(newRef));
      const fmt = o.json ? "json" : o.format;
      if (fmt === "json") return printJson(diffToJson(d));
      if (fmt === "markdown" || fmt === "md") {
        process.stdout.write(safeText(renderDiffMarkdown(d)));
        return;
      }
      if (fmt !== "text")
        throw new TechtrailError("VALIDATION", `unknown --format ${fmt}: expected text, markdown or json`);
      out(renderDiffText(d));
    });
}

/** `catalog layer`: ATT&CK Navigator layers (format 4.5) from a technique → score map. */
function registerLayer(cat: Command, globalOpts: GlobalOpts): void {
  cat
    .command("layer")
    .description("ATT&CK Navigator layers (format 4.5) from a technique → score map")
    .option(
      "--scores <file>",
      "JSON {\"T1078.A001\": 3, ...} or [{id, score}] ('-' for stdin); default: every technique scores 1",
    )
    .option("--variant <v>", "attack (ATT&CK IDs, AWS IDs rolled up) | full (all catalog IDs)", "attack")
    .option("--out <file>", "write the chosen variant to a file instead of stdout")
    .option("--out-dir <dir>", "write both variants as <name>.attack.json and <name>.full.json")
    .option("--name <name>", "layer name")
    .option("--custom-data-url <url>", "STIX bundle URL for the full-ID layer", "techtrail-catalog.stix.json")
    .option("--aggregate <fn>", "how AWS sub-technique scores combine on the ATT&CK parent: sum | max", "sum")
    .action(async (_o, cmd: Command) => {
      const o = globalOpts(cmd) as CatalogOpts & {
        scores?: string;
        variant: string;
        out?: string;
        outDir?: string;
        name?: string;
        customDataUrl: string;
        aggregate: string;
      };
      const c = openCatalog(o);
      let scores: Record<string, number>;
      if (o.scores) {
        const src = o.scores === "-" ? "stdin" : o.scores;
        const text = o.scores === "-" ? readFileSync(0, "utf8") : readFileSync(o.scores, "utf8");
        scores = parseScores(text, src);
      } else scores = Object.fromEntries(c.techniques.filter((t) => t.status === "active").map((t) => [t.id, 1]));
      if (o.aggregate !== "sum" && o.aggregate !== "max")
        throw new TechtrailError("VALIDATION", `--aggregate must be sum or max, got ${o.aggregate}`);
      if (o.variant !== "attack" && o.variant !== "full")
        throw new TechtrailError("VALIDATION", `--variant must be attack or full, got ${o.variant}`);
      const layers = buildNavigatorLayers(c, scores, {
        ...(o.name ? { name: o.name } : {}),
        customDataURL: o.customDataUrl,
        aggregate: o.aggregate,
      });
      if (o.outDir) {
        const base = (o.name ?? `techtrail-${c.meta.version}`).replace(/[^A-Za-z0-9._-]+/g, "-");
        writeFileAtomic(join(o.outDir, `${base}.attack.json`), `${JSON.stringify(layers.attack, null, 2)}\n`);
        writeFileAtomic(join(o.outDir, `${base}.full.json`), `${JSON.stringify(layers.full, null, 2)}\n`);
        process.stderr.write(`wrote ${base}.attack.json and ${base}.full.json to ${o.outDir}\n`);
        return;
      }
      const text = `${JSON.stringify(o.variant === "full" ? layers.full : layers.attack, null, 2)}\n`;
      if (o.out) await writeOutput(o.out, text);
      else process.stdout.write(text);
    });
}

/** Registered by the STIX module so `catalog diff` accepts bundles; undefined until then. */
let stixBundleLoader: ((json: unknown, file: string) => Catalog) | undefined;
export function setBundleLoader(fn: (json: unknown, file: string) => Catalog): void {
  stixBundleLoader = fn;
}
function bundleLoaderOpt(): { bundleLoader?: (json: unknown, file: string) => Catalog } {
  return stixBundleLoader ? { bundleLoader: stixBundleLoader } : {};
}

function listReleaseSummaries(dir: string): Array<{ version: string; released: string | null; techniques: number }> {
  return listReleases(dir).map((v) => {
    const c = openCatalogRef(v, { releasesDir: dir });
    return { version: v, released: c.data.released ?? null, techniques: c.techniques.length };
  });
}
