// Overlays: a team's own techniques and additions kept in a folder of its own, on top of a catalog (shipped or
// --catalog DIR), so upgrading the catalog never touches them (docs/catalog-overlays.md). Layout:
//   overlay.yaml            namespace (ID prefix), name, base catalog version
//   techniques/<ID>.yaml    the team's techniques (ACME-0001, ACME-0001.001, T1078.ACME-1), catalog schema
//   patches/<ID>.yaml       additions to a catalog technique: events, aliases, detection and mitigation notes
// Loading reads and validates every file (problems located at file:line:column), then merges: errors (an ID
// outside the namespace or colliding, an unknown parent or reference) stop the load; what an upgraded catalog
// made redundant or moved (an event it now lists, a revoked or removed patch target) is a warning, kept out
// of the merge, never written over either side.
import { readdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { type Problem, TechtrailError } from "../core/errors.js";
import { locatedProblems, type ParsedYaml } from "../core/yaml.js";
import { Catalog } from "./catalog.js";
import { loadBuiltinCatalog, loadCatalogDir, readYamlFile } from "./load.js";
import {
  isOverlayId,
  type LoadedCatalogInfo,
  type OverlayAdditions,
  type OverlayConflict,
  type OverlayInfo,
  OverlayManifest,
  OverlayPatch,
  overlayNamespaceOf,
  Technique,
} from "./model.js";

interface Located<T> {
  value: T;
  parsed: ParsedYaml;
  file: string;
}

/** An overlay folder read and validated file by file, not yet merged with a catalog. */
export interface OverlayFiles {
  dir: string;
  manifest: OverlayManifest;
  manifestFile: Located<OverlayManifest>;
  techniques: Located<Technique>[];
  patches: Located<OverlayPatch>[];
}

function yamlFiles(dir: string, problems: Problem[], required: boolean): string[] {
  try {
    return readdirSync(dir)
      .filter((f) => f.endsWith(".yaml") || f.endsWith(".yml"))
      .sort();
  } catch {
    if (required) problems.push({ source: dir, message: "folder is missing or unreadable" });
    return [];
  }
}

function located(
  item: { parsed: ParsedYaml; file: string },
  path: ReadonlyArray<PropertyKey>,
  message: string,
): Pick<OverlayConflict, "source" | "line" | "column" | "field" | "message"> {
  const [p] = locatedProblems(item.parsed, [{ path, message }], item.file) as [Problem];
  const out: Pick<OverlayConflict, "source" | "line" | "column" | "field" | "message"> = { message };
  if (p.source !== undefined) out.source = p.source;
  if (p.line !== undefined) out.line = p.line;
  if (p.column !== undefined) out.column = p.column;
  if (p.field !== undefined) out.field = p.field;
  return out;
}

/** Reads an overlay folder. Throws one TechtrailError listing every malformed file, located. */
export function loadOverlayDir(dir: string): OverlayFiles {
  const problems: Problem[] = [];
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    // reported below
  }
  if (!isDir)
    throw new TechtrailError("NOT_FOUND", `overlay folder ${dir} does not exist`, {
      problems: [{ source: dir, message: "expected a folder holding overlay.yaml (docs/catalog-overlays.md)" }],
    });
  const manifestPath = join(dir, "overlay.yaml");
  const manifest = readYamlFile(manifestPath, OverlayManifest, problems);
  const stemOf = (f: string) => f.replace(/\.ya?ml$/, "");
  const techniques: Located<Technique>[] = [];
  const techDir = join(dir, "techniques");
  for (const f of yamlFiles(techDir, problems, false)) {
    const file = join(techDir, f);
    const r = readYamlFile(file, Technique, problems);
    if (!r) continue;
    const item = { ...r, file };
    if (stemOf(f) !== r.value.id)
      problems.push(
        located(item, ["id"], `file name ${f} does not match id ${r.value.id} (expected ${r.value.id}.yaml)`),
      );
    techniques.push(item);
  }
  const patches: Located<OverlayPatch>[] = [];
  const patchDir = join(dir, "patches");
  for (const f of yamlFiles(patchDir, problems, false)) {
    const file = join(patchDir, f);
    const r = readYamlFile(file, OverlayPatch, problems);
    if (!r) continue;
    const item = { ...r, file };
    if (stemOf(f) !== r.value.technique)
      problems.push(
        located(
          item,
          ["technique"],
          `file name ${f} does not match technique ${r.value.technique} (expected ${r.value.technique}.yaml)`,
        ),
      );
    patches.push(item);
  }
  if (problems.length > 0 || !manifest)
    throw new TechtrailError("VALIDATION", `overlay in ${dir} has ${problems.length} problem(s)`, { problems });
  return {
    dir: resolve(dir),
    manifest: manifest.value,
    manifestFile: { ...manifest, file: manifestPath },
    techniques,
    patches,
  };
}

/** The result of merging an overlay with a catalog: the merged catalog unless an error stops it. */
export interface OverlayMerge {
  catalog: Catalog | undefined;
  /** Errors and warnings, errors first, each located in the overlay's files where it can be. */
  conflicts: OverlayConflict[];
}

const lower = (s: string) => s.toLowerCase();

/**
 * Merges an overlay with the catalog under it. Never throws for a conflict: errors leave `catalog` undefined
 * (see applyOverlay), warnings are listed and the merge goes on without the conflicting addition.
 */
export function mergeOverlay(base: Catalog, files: OverlayFiles): OverlayMerge {
  const conflicts: OverlayConflict[] = [];
  const m = files.manifest;
  const own = new Set([m.namespace, ...m.prefixes]);
  const add = (
    kind: OverlayConflict["kind"],
    severity: OverlayConflict["severity"],
    id: string | undefined,
    where: { parsed: ParsedYaml; file: string },
    path: ReadonlyArray<PropertyKey>,
    message: string,
  ) => conflicts.push({ kind, severity, ...(id !== undefined ? { id } : {}), ...located(where, path, message) });

  if (base.overlay)
    throw new TechtrailError("UNSUPPORTED", `the catalog already has overlay ${base.overlay.namespace}: one at a time`);
  if (m.base !== undefined && m.base !== base.meta.version)
    add(
      "base-version",
      "warning",
      undefined,
      files.manifestFile,
      ["base"],
      `overlay was written against catalog ${m.base}, the loaded catalog is ${base.meta.version}: review the warnings, then set base: "${base.meta.version}"`,
    );

  // The overlay's own techniques.
  const ownIds = new Map<string, Located<Technique>>();
  for (const item of files.techniques) {
    const t = item.value;
    if (!isOverlayId(t.id)) {
      add(
        "foreign-namespace",
        "error",
        t.id,
        item,
        ["id"],
        `${t.id} is a catalog ID; overlay techniques use ${m.namespace}-0001, ${m.namespace}-0001.001 or T1078.${m.namespace}-1 (a change to a catalog technique goes in patches/${t.id}.yaml)`,
      );
      continue;
    }
    const ns = overlayNamespaceOf(t.id);
    if (ns === undefined || !own.has(ns)) {
      add(
        "foreign-namespace",
        "error",
        t.id,
        item,
        ["id"],
        `${t.id} is outside this overlay's namespace: expected the prefix ${[...own].join(" or ")} (overlay.yaml)`,
      );
      continue;
    }
    const clash = base.technique(t.id);
    if (clash) {
      add("id-collision", "error", t.id, item, ["id"], `${t.id} collides with catalog technique ${clash.id}`);
      continue;
    }
    const prev = ownIds.get(t.id.toUpperCase());
    if (prev) {
      add("id-collision", "error", t.id, item, ["id"], `duplicate overlay technique ${t.id} (also in ${prev.file})`);
      continue;
    }
    ownIds.set(t.id.toUpperCase(), item);
  }
  for (const item of ownIds.values()) {
    const t = item.value;
    const ref = (kind: "unknown-parent" | "unknown-reference", path: PropertyKey[], message: string) =>
      add(kind, "error", t.id, item, path, message);
    if (t.parent !== undefined) {
      const parent = base.technique(t.parent);
      if (!parent && !ownIds.has(t.parent.toUpperCase()))
        ref(
          "unknown-parent",
          ["parent"],
          `unknown parent technique ${t.parent} (in neither the catalog nor the overlay)`,
        );
      else if (parent && parent.status !== "active")
        add(
          "parent-revoked",
          "warning",
          t.id,
          item,
          ["parent"],
          `parent ${parent.id} is ${parent.status}${parent.revokedBy ? ` (replaced by ${parent.revokedBy})` : ""} in catalog ${base.meta.version}`,
        );
    }
    if (t.revokedBy !== undefined && !base.has(t.revokedBy) && !ownIds.has(t.revokedBy.toUpperCase()))
      ref("unknown-reference", ["revokedBy"], `unknown replacement technique ${t.revokedBy}`);
    t.tactics.forEach((ta, i) => {
      if (!base.tactics.some((x) => x.id === ta))
        ref("unknown-reference", ["tactics", i], `unknown tactic ${ta} (catalog ${base.meta.version})`);
    });
    t.mitigations.forEach((mi, i) => {
      if (!base.mitigation(mi.id))
        ref(
          "unknown-reference",
          ["mitigations", i, "id"],
          `unknown mitigation ${mi.id} (catalog ${base.meta.version})`,
        );
    });
    t.dataSources.forEach((d, i) => {
      if (!base.dataSources.some((x) => x.id === d))
        ref("unknown-reference", ["dataSources", i], `unknown data source ${d} (catalog ${base.meta.version})`);
    });
  }

  // Patches: additions to catalog techniques, minus what the catalog already has.
  const patched = new Map<string, { technique: Technique; additions: OverlayAdditions }>();
  for (const item of files.patches) {
    const p = item.value;
    const target = base.technique(p.technique);
    if (!target) {
      const owned = ownIds.has(p.technique.toUpperCase());
      add(
        owned ? "patch-overlay-technique" : "patch-target-missing",
        owned ? "error" : "warning",
        p.technique,
        item,
        ["technique"],
        owned
          ? `${p.technique} is the overlay's own technique: edit techniques/${p.technique}.yaml instead`
          : `catalog ${base.meta.version} has no technique ${p.technique} (removed or renamed?): these additions are not applied`,
      );
      continue;
    }
    if (patched.has(target.id)) {
      add("id-collision", "error", target.id, item, ["technique"], `a second patch for ${target.id}`);
      continue;
    }
    if (target.status !== "active")
      add(
        target.status === "revoked" ? "patch-target-revoked" : "patch-target-deprecated",
        "warning",
        target.id,
        item,
        ["technique"],
        `${target.id} is ${target.status} in catalog ${base.meta.version}${target.revokedBy ? `: move these additions to ${target.revokedBy}` : ""} (still applied)`,
      );
    const additions: OverlayAdditions = { events: [], aliases: [], mitigations: [], detection: null, references: [] };
    const had = (list: readonly string[], v: string) => list.some((x) => lower(x) === lower(v));
    p.events.forEach((e, i) => {
      if (had(target.events, e))
        add(
          "already-in-catalog",
          "warning",
          target.id,
          item,
          ["events", i],
          `catalog ${base.meta.version} already lists ${e} for ${target.id}: drop it from the overlay`,
        );
      else if (!had(additions.events, e)) additions.events.push(e);
    });
    p.aliases.forEach((a, i) => {
      if (had(target.aliases, a))
        add(
          "already-in-catalog",
          "warning",
          target.id,
          item,
          ["aliases", i],
          `catalog ${base.meta.version} already has the alias "${a}" for ${target.id}: drop it from the overlay`,
        );
      else if (!had(additions.aliases, a)) additions.aliases.push(a);
    });
    p.mitigations.forEach((mi, i) => {
      if (!base.mitigation(mi.id))
        add(
          "unknown-reference",
          "error",
          target.id,
          item,
          ["mitigations", i, "id"],
          `unknown mitigation ${mi.id} (catalog ${base.meta.version})`,
        );
      else if (target.mitigations.some((x) => x.id === mi.id))
        add(
          "already-in-catalog",
          "warning",
          target.id,
          item,
          ["mitigations", i, "id"],
          `catalog ${base.meta.version} already lists mitigation ${mi.id} for ${target.id}: its note is not applied`,
        );
      else additions.mitigations.push(mi);
    });
    if (p.detection !== undefined) additions.detection = p.detection.trim();
    additions.references.push(...p.references);
    patched.set(target.id, { technique: target, additions });
  }

  conflicts.sort((a, b) => (a.severity === b.severity ? 0 : a.severity === "error" ? -1 : 1));
  if (conflicts.some((c) => c.severity === "error")) return { catalog: undefined, conflicts };

  const merged = base.techniques.map((t) => {
    const p = patched.get(t.id);
    if (!p) return t;
    const a = p.additions;
    return {
      ...t,
      events: [...t.events, ...a.events],
      aliases: [...t.aliases, ...a.aliases],
      mitigations: [...t.mitigations, ...a.mitigations],
      detection:
        a.detection === null
          ? t.detection
          : [t.detection, `${m.namespace} note: ${a.detection}`].filter(Boolean).join("\n\n"),
      references: [...t.references, ...a.references],
    };
  });
  const fileOf = new Map<string, string>();
  for (const item of ownIds.values()) fileOf.set(item.value.id, item.file);
  for (const item of files.patches) fileOf.set(item.value.technique, item.file);
  const count = (a: OverlayAdditions) =>
    a.events.length + a.aliases.length + a.mitigations.length + (a.detection === null ? 0 : 1) + a.references.length;
  const info: OverlayInfo = {
    namespace: m.namespace,
    prefixes: m.prefixes,
    name: m.name,
    description: m.description ?? null,
    base: m.base ?? null,
    dir: files.dir,
    techniques: [...ownIds.values()].map((i) => i.value.id),
    patched: Object.fromEntries([...patched].map(([id, p]) => [id, p.additions])),
    additions: [...patched.values()].reduce((n, p) => n + count(p.additions), 0),
    conflicts,
  };
  const catalog = new Catalog(
    { ...base.data, techniques: [...merged, ...[...ownIds.values()].map((i) => i.value)] },
    (id) => fileOf.get(id),
    info,
  );
  return { catalog, conflicts };
}

/** Merges an overlay with a catalog; throws one VALIDATION error listing every error conflict, located. */
export function applyOverlay(base: Catalog, files: OverlayFiles): Catalog {
  const { catalog, conflicts } = mergeOverlay(base, files);
  if (catalog) return catalog;
  const errors = conflicts.filter((c) => c.severity === "error");
  throw new TechtrailError(
    "VALIDATION",
    `overlay ${files.manifest.namespace} in ${files.dir} has ${errors.length} conflict(s) with catalog ${base.meta.version}`,
    { problems: errors.map(conflictProblem) },
  );
}

/** A conflict as a located problem (for errors and for printing). */
export function conflictProblem(c: OverlayConflict): Problem {
  const p: Problem = { message: c.message };
  if (c.source !== undefined) p.source = c.source;
  if (c.line !== undefined) p.line = c.line;
  if (c.column !== undefined) p.column = c.column;
  if (c.field !== undefined) p.field = c.field;
  return p;
}

/** Where a technique comes from in a catalog that may carry an overlay. */
export function techniqueSource(id: string): "catalog" | "overlay" {
  return isOverlayId(id) ? "overlay" : "catalog";
}

/** Which catalog folder (default: the shipped one) and which overlay folder (default: none) to load. */
export interface CatalogSelection {
  catalogDir?: string | undefined;
  overlayDir?: string | undefined;
}

/** The one way to load "the catalog in use": a catalog folder or the shipped one, with an overlay on top. */
export function loadCatalog(sel: CatalogSelection = {}): Catalog {
  const base = sel.catalogDir ? loadCatalogDir(sel.catalogDir) : loadBuiltinCatalog();
  return sel.overlayDir ? applyOverlay(base, loadOverlayDir(sel.overlayDir)) : base;
}

/** What a loaded catalog is made of, for display (`catalog overlay check`, the API and the UI). */
export function loadedCatalogInfo(catalog: Catalog, sel: CatalogSelection = {}): LoadedCatalogInfo {
  const o = catalog.overlay;
  return {
    catalog: {
      name: catalog.meta.name,
      version: catalog.meta.version,
      path: sel.catalogDir ? resolve(sel.catalogDir) : null,
      builtin: !sel.catalogDir,
    },
    overlay: o
      ? {
          namespace: o.namespace,
          prefixes: o.prefixes,
          name: o.name,
          path: o.dir,
          base: o.base,
          techniques: o.techniques.length,
          patchedTechniques: Object.keys(o.patched).length,
          additions: o.additions,
          warnings: o.conflicts,
        }
      : null,
  };
}

/** One line naming the catalog and overlay: "catalog 2026.12 + overlay ACME (3 techniques, 5 additions)". */
export function describeLoadedCatalog(info: LoadedCatalogInfo): string {
  const base = `catalog ${info.catalog.version}${info.catalog.builtin ? "" : ` (${info.catalog.path})`}`;
  const o = info.overlay;
  if (!o) return base;
  const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? "" : "s"}`;
  return `${base} + overlay ${o.namespace} (${plural(o.techniques, "technique")}, ${plural(o.additions, "addition")})`;
}
