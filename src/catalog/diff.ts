// Differences between two catalog versions (releases, folders or bundles): added, removed, changed
// (with the fields), newly deprecated and newly revoked techniques (with their replacement), and the
// revoked → replacement map used to re-map incident tags when a release revokes a technique.
import { isDeepStrictEqual } from "node:util";
import type { Catalog } from "./catalog.js";
import type { Technique } from "./model.js";

export interface DiffEntry {
  id: string;
  name: string;
}
export interface ChangedEntry extends DiffEntry {
  fields: string[];
  changes: Record<string, { old: unknown; new: unknown }>;
}
export interface RevokedEntry extends DiffEntry {
  revokedBy: string;
  replacementName: string | null;
}
export interface CatalogDiff {
  from: string;
  to: string;
  added: DiffEntry[];
  removed: DiffEntry[];
  changed: ChangedEntry[];
  deprecated: DiffEntry[];
  revoked: RevokedEntry[];
}

/** Fields whose change is reported through `deprecated`/`revoked` or that are bookkeeping only. */
const STATUS_FIELDS = new Set(["status", "revokedBy"]);

export function diffCatalogs(oldC: Catalog, newC: Catalog): CatalogDiff {
  const diff: CatalogDiff = {
    from: oldC.meta.version,
    to: newC.meta.version,
    added: [],
    removed: [],
    changed: [],
    deprecated: [],
    revoked: [],
  };
  for (const n of newC.techniques) {
    const o = oldC.technique(n.id);
    if (!o) {
      diff.added.push({ id: n.id, name: n.name });
      if (n.status === "revoked" && n.revokedBy) diff.revoked.push(revokedEntry(n, newC));
      else if (n.status === "deprecated") diff.deprecated.push({ id: n.id, name: n.name });
      continue;
    }
    if (n.status === "revoked" && o.status !== "revoked" && n.revokedBy) diff.revoked.push(revokedEntry(n, newC));
    if (n.status === "deprecated" && o.status !== "deprecated") diff.deprecated.push({ id: n.id, name: n.name });
    const changes: ChangedEntry["changes"] = {};
    const keys = new Set([...Object.keys(o), ...Object.keys(n)]);
    for (const k of [...keys].sort()) {
      if (STATUS_FIELDS.has(k)) continue;
      const ov = (o as Record<string, unknown>)[k];
      const nv = (n as Record<string, unknown>)[k];
      if (!isDeepStrictEqual(ov, nv)) changes[k] = { old: ov, new: nv };
    }
    const fields = Object.keys(changes);
    if (fields.length) diff.changed.push({ id: n.id, name: n.name, fields, changes });
  }
  for (const o of oldC.techniques) if (!newC.technique(o.id)) diff.removed.push({ id: o.id, name: o.name });
  return diff;
}

function revokedEntry(t: Technique, c: Catalog): RevokedEntry {
  const by = t.revokedBy ?? "";
  return { id: t.id, name: t.name, revokedBy: by, replacementName: c.technique(by)?.name ?? null };
}

export function isEmptyDiff(d: CatalogDiff): boolean {
  return !d.added.length && !d.removed.length && !d.changed.length && !d.deprecated.length && !d.revoked.length;
}

/**
 * Old technique ID → the technique to use instead in `to`, following chains of revocations
 * (A revoked by B, B revoked by C ⇒ A → C). Covers every ID of `from` or `to` that is revoked in `to`.
 */
export function revocationMap(from: Catalog, to: Catalog): Map<string, string> {
  const map = new Map<string, string>();
  const ids = new Set([...from.techniques.map((t) => t.id), ...to.techniques.map((t) => t.id)]);
  for (const id of [...ids].sort()) {
    let cur = to.technique(id);
    if (cur?.status !== "revoked" || !cur.revokedBy) continue;
    const seen = new Set<string>([id]);
    let target = cur.revokedBy;
    while (true) {
      cur = to.technique(target);
      if (cur?.status !== "revoked" || !cur.revokedBy || seen.has(cur.revokedBy)) break;
      seen.add(target);
      target = cur.revokedBy;
    }
    map.set(id, target);
  }
  return map;
}

export function renderDiffText(d: CatalogDiff): string {
  const lines = [`catalog ${d.from} → ${d.to}`];
  if (isEmptyDiff(d)) return `${lines[0]}: no changes`;
  const section = (title: string, items: string[]) => {
    if (!items.length) return;
    lines.push("", `${title} (${items.length}):`, ...items.map((i) => `  ${i}`));
  };
  section(
    "added",
    d.added.map((e) => `+ ${e.id} ${e.name}`),
  );
  section(
    "removed",
    d.removed.map((e) => `- ${e.id} ${e.name}`),
  );
  section(
    "changed",
    d.changed.map((e) => `~ ${e.id} ${e.name}: ${e.fields.join(", ")}`),
  );
  section(
    "deprecated",
    d.deprecated.map((e) => `! ${e.id} ${e.name}`),
  );
  section(
    "revoked",
    d.revoked.map((e) => `x ${e.id} ${e.name} → ${e.revokedBy}${e.replacementName ? ` ${e.replacementName}` : ""}`),
  );
  return lines.join("\n");
}

export function renderDiffMarkdown(d: CatalogDiff): string {
  const out = [`# Catalog changes ${d.from} → ${d.to}`, ""];
  if (isEmptyDiff(d)) return `${out.join("\n")}No changes.\n`;
  out.push(
    `| | count |`,
    `|---|---:|`,
    `| added | ${d.added.length} |`,
    `| removed | ${d.removed.length} |`,
    `| changed | ${d.changed.length} |`,
    `| deprecated | ${d.deprecated.length} |`,
    `| revoked | ${d.revoked.length} |`,
    "",
  );
  const esc = (s: string) => s.replace(/\|/g, "\\|");
  if (d.added.length) out.push("## Added", "", ...d.added.map((e) => `- \`${e.id}\` ${esc(e.name)}`), "");
  if (d.removed.length) out.push("## Removed", "", ...d.removed.map((e) => `- \`${e.id}\` ${esc(e.name)}`), "");
  if (d.changed.length)
    out.push(
      "## Changed",
      "",
      "| ID | name | fields |",
      "|---|---|---|",
      ...d.changed.map((e) => `| \`${e.id}\` | ${esc(e.name)} | ${e.fields.join(", ")} |`),
      "",
    );
  if (d.deprecated.length)
    out.push("## Deprecated", "", ...d.deprecated.map((e) => `- \`${e.id}\` ${esc(e.name)}`), "");
  if (d.revoked.length)
    out.push(
      "## Revoked",
      "",
      "| ID | name | replaced by |",
      "|---|---|---|",
      ...d.revoked.map(
        (e) =>
          `| \`${e.id}\` | ${esc(e.name)} | \`${e.revokedBy}\`${e.replacementName ? ` ${esc(e.replacementName)}` : ""} |`,
      ),
      "",
    );
  return out.join("\n");
}

/** JSON form required by `catalog diff --json`: `{added, removed, changed, deprecated, revoked}` plus versions. */
export function diffToJson(d: CatalogDiff) {
  return {
    from: d.from,
    to: d.to,
    added: d.added,
    removed: d.removed,
    changed: d.changed.map((c) => ({ id: c.id, name: c.name, fields: c.fields })),
    deprecated: d.deprecated,
    revoked: d.revoked,
  };
}
