// Differences between two catalog versions (releases, folders or bundles): added, removed, changed
// (with old → new values per field: a word-level diff for prose, set differences for lists), newly
// deprecated and newly revoked techniques (with their replacement), grouped by tactic for changelogs,
// and the revoked → replacement map used to re-map incident tags when a release revokes a technique.
import { isDeepStrictEqual } from "node:util";
import { diffWords } from "diff";
import { z } from "zod";
import type { Catalog } from "./catalog.js";
import type { Technique } from "./model.js";

/** One run of words in a prose diff: kept (`=`), added (`+`) or removed (`-`). */
export const WordRun = z.object({ op: z.enum(["=", "+", "-"]), text: z.string() });
export type WordRun = z.infer<typeof WordRun>;

/** How one field changed. `old`/`new` are always the raw values; the kind says how to show the change. */
export const FieldChange = z.discriminatedUnion("kind", [
  /** Prose: the word-level diff from old to new. */
  z.object({ kind: z.literal("text"), old: z.unknown(), new: z.unknown(), words: z.array(WordRun) }),
  /** Lists compared as sets (events, aliases, tactics, mitigations by ID, references by URL). */
  z.object({
    kind: z.literal("set"),
    old: z.unknown(),
    new: z.unknown(),
    added: z.array(z.string()),
    removed: z.array(z.string()),
    /** Items kept in both whose detail changed (a mitigation's `how`), with its word diff. */
    modified: z.array(z.object({ item: z.string(), words: z.array(WordRun) })),
  }),
  /** Anything else (dates, versions, parent): old → new. */
  z.object({ kind: z.literal("value"), old: z.unknown(), new: z.unknown() }),
]);
export type FieldChange = z.infer<typeof FieldChange>;

export const DiffEntry = z.object({
  id: z.string(),
  name: z.string(),
  /** Tactic IDs of the technique (in the catalog it is listed from); the first one groups it. */
  tactics: z.array(z.string()),
});
export type DiffEntry = z.infer<typeof DiffEntry>;
export const ChangedEntry = DiffEntry.extend({
  fields: z.array(z.string()),
  changes: z.record(z.string(), FieldChange),
});
export type ChangedEntry = z.infer<typeof ChangedEntry>;
export const RevokedEntry = DiffEntry.extend({ revokedBy: z.string(), replacementName: z.string().nullable() });
export type RevokedEntry = z.infer<typeof RevokedEntry>;

export interface CatalogDiff {
  from: string;
  to: string;
  added: DiffEntry[];
  removed: DiffEntry[];
  changed: ChangedEntry[];
  deprecated: DiffEntry[];
  revoked: RevokedEntry[];
  /** Tactic ID → name, from both catalogs (new names win), in the new catalog's order. */
  tacticNames: Map<string, string>;
}

/** The JSON form of a diff (`catalog diff --json`, the API and the published changelog). */
export const CatalogDiffJson = z.object({
  from: z.string(),
  to: z.string(),
  added: z.array(DiffEntry),
  removed: z.array(DiffEntry),
  changed: z.array(ChangedEntry),
  deprecated: z.array(DiffEntry),
  revoked: z.array(RevokedEntry),
  /** The same entries by primary tactic (IDs only), in matrix order. */
  byTactic: z.array(
    z.object({
      tactic: z.string(),
      name: z.string(),
      added: z.array(z.string()),
      removed: z.array(z.string()),
      changed: z.array(z.string()),
      deprecated: z.array(z.string()),
      revoked: z.array(z.string()),
    }),
  ),
});
export type CatalogDiffJson = z.infer<typeof CatalogDiffJson>;

/** Fields whose change is reported through `deprecated`/`revoked` or that are bookkeeping only. */
const STATUS_FIELDS = new Set(["status", "revokedBy"]);
const PROSE_FIELDS = new Set(["name", "description", "detection", "idNote"]);
const SET_FIELDS = new Set(["events", "aliases", "tactics", "services", "platforms", "dataSources"]);

export function wordDiff(oldText: string, newText: string): WordRun[] {
  return diffWords(oldText, newText).map((c) => ({ op: c.added ? "+" : c.removed ? "-" : "=", text: c.value }));
}

function setChange(
  ov: unknown,
  nv: unknown,
  oldItems: string[],
  newItems: string[],
  modified: Array<{ item: string; words: WordRun[] }> = [],
): FieldChange {
  const o = new Set(oldItems);
  const n = new Set(newItems);
  return {
    kind: "set",
    old: ov,
    new: nv,
    added: newItems.filter((x) => !o.has(x)),
    removed: oldItems.filter((x) => !n.has(x)),
    modified,
  };
}

function fieldChange(field: string, ov: unknown, nv: unknown): FieldChange {
  if (PROSE_FIELDS.has(field) && (typeof ov === "string" || typeof nv === "string"))
    return { kind: "text", old: ov, new: nv, words: wordDiff(String(ov ?? ""), String(nv ?? "")) };
  if (SET_FIELDS.has(field)) {
    const list = (v: unknown) => (Array.isArray(v) ? v.map(String) : []);
    return setChange(ov, nv, list(ov), list(nv));
  }
  if (field === "mitigations") {
    const list = (v: unknown) => (Array.isArray(v) ? (v as Technique["mitigations"]) : []);
    const before = new Map(list(ov).map((m) => [m.id, m.how]));
    const modified = list(nv)
      .filter((m) => before.has(m.id) && before.get(m.id) !== m.how)
      .map((m) => ({ item: m.id, words: wordDiff(before.get(m.id) ?? "", m.how) }));
    return setChange(
      ov,
      nv,
      list(ov).map((m) => m.id),
      list(nv).map((m) => m.id),
      modified,
    );
  }
  if (field === "references") {
    const key = (r: Technique["references"][number]) => r.url ?? [r.source, r.externalId].filter(Boolean).join(" ");
    const list = (v: unknown) => (Array.isArray(v) ? (v as Technique["references"]).map(key) : []);
    return setChange(ov, nv, list(ov), list(nv));
  }
  return { kind: "value", old: ov, new: nv };
}

const entry = (t: Technique): DiffEntry => ({ id: t.id, name: t.name, tactics: [...t.tactics] });

export function diffCatalogs(oldC: Catalog, newC: Catalog): CatalogDiff {
  const tacticNames = new Map<string, string>();
  for (const t of newC.tactics) tacticNames.set(t.id, t.name);
  for (const t of oldC.tactics) if (!tacticNames.has(t.id)) tacticNames.set(t.id, t.name);
  const diff: CatalogDiff = {
    from: oldC.meta.version,
    to: newC.meta.version,
    added: [],
    removed: [],
    changed: [],
    deprecated: [],
    revoked: [],
    tacticNames,
  };
  for (const n of newC.techniques) {
    const o = oldC.technique(n.id);
    if (!o) {
      diff.added.push(entry(n));
      if (n.status === "revoked" && n.revokedBy) diff.revoked.push(revokedEntry(n, newC));
      else if (n.status === "deprecated") diff.deprecated.push(entry(n));
      continue;
    }
    if (n.status === "revoked" && o.status !== "revoked" && n.revokedBy) diff.revoked.push(revokedEntry(n, newC));
    if (n.status === "deprecated" && o.status !== "deprecated") diff.deprecated.push(entry(n));
    const changes: ChangedEntry["changes"] = {};
    const keys = new Set([...Object.keys(o), ...Object.keys(n)]);
    for (const k of [...keys].sort()) {
      if (STATUS_FIELDS.has(k)) continue;
      const ov = (o as Record<string, unknown>)[k];
      const nv = (n as Record<string, unknown>)[k];
      if (!isDeepStrictEqual(ov, nv)) changes[k] = fieldChange(k, ov, nv);
    }
    const fields = Object.keys(changes);
    if (fields.length) diff.changed.push({ ...entry(n), fields, changes });
  }
  for (const o of oldC.techniques) if (!newC.technique(o.id)) diff.removed.push(entry(o));
  return diff;
}

function revokedEntry(t: Technique, c: Catalog): RevokedEntry {
  const by = t.revokedBy ?? "";
  return { ...entry(t), revokedBy: by, replacementName: c.technique(by)?.name ?? null };
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

/** Entries grouped by their primary (first) tactic, tactics in the catalog's matrix order. */
export function groupByTactic<T extends DiffEntry>(d: CatalogDiff, list: readonly T[]): Array<[string, string, T[]]> {
  const groups = new Map<string, T[]>();
  for (const e of list) {
    const k = e.tactics[0] ?? "";
    const g = groups.get(k) ?? [];
    g.push(e);
    groups.set(k, g);
  }
  const order = [...d.tacticNames.keys()];
  return [...groups.keys()]
    .sort((a, b) => (order.indexOf(a) + 1 || 1e9) - (order.indexOf(b) + 1 || 1e9) || a.localeCompare(b))
    .map((k) => [k, d.tacticNames.get(k) ?? (k || "no tactic"), groups.get(k) ?? []]);
}

/** A short display form of a non-prose value. */
export function showValue(v: unknown): string {
  if (v === undefined) return "(none)";
  if (typeof v === "string") return v;
  return JSON.stringify(v);
}

/** Plain-text word diff in the style of `git diff --word-diff`: [-removed-]{+added+}. */
export function wordsText(words: readonly WordRun[]): string {
  return words.map((w) => (w.op === "=" ? w.text : w.op === "+" ? `{+${w.text}+}` : `[-${w.text}-]`)).join("");
}

/** One line per changed field: old → new, word diff for prose, +/- for sets. */
export function changeLines(
  field: string,
  c: FieldChange,
  fmt: { words: (w: readonly WordRun[]) => string; code: (s: string) => string },
): string[] {
  if (c.kind === "text") return [`${field}: ${fmt.words(c.words)}`];
  if (c.kind === "value") return [`${field}: ${fmt.code(showValue(c.old))} → ${fmt.code(showValue(c.new))}`];
  const parts: string[] = [];
  if (c.added.length) parts.push(`added ${c.added.map(fmt.code).join(", ")}`);
  if (c.removed.length) parts.push(`removed ${c.removed.map(fmt.code).join(", ")}`);
  if (!parts.length && !c.modified.length) parts.push("reordered");
  const lines = parts.length ? [`${field}: ${parts.join("; ")}`] : [];
  for (const m of c.modified) lines.push(`${field} ${fmt.code(m.item)}: ${fmt.words(m.words)}`);
  return lines;
}

export function renderDiffText(d: CatalogDiff): string {
  const lines = [`catalog ${d.from} → ${d.to}`];
  if (isEmptyDiff(d)) return `${lines[0]}: no changes`;
  const section = <T extends DiffEntry>(title: string, items: readonly T[], line: (e: T) => string[]) => {
    if (!items.length) return;
    lines.push("", `${title} (${items.length}):`);
    for (const [, name, list] of groupByTactic(d, items)) {
      lines.push(`  ${name}`);
      for (const e of list) lines.push(...line(e).map((l) => `    ${l}`));
    }
  };
  const plain = { words: wordsText, code: (s: string) => s };
  section("added", d.added, (e) => [`+ ${e.id} ${e.name}`]);
  section("removed", d.removed, (e) => [`- ${e.id} ${e.name}`]);
  section("deprecated", d.deprecated, (e) => [`! ${e.id} ${e.name}`]);
  section("revoked", d.revoked, (e) => [
    `x ${e.id} ${e.name} → ${e.revokedBy}${e.replacementName ? ` ${e.replacementName}` : ""}`,
  ]);
  section("changed", d.changed, (e) => [
    `~ ${e.id} ${e.name}: ${e.fields.join(", ")}`,
    ...Object.entries(e.changes).flatMap(([f, c]) => changeLines(f, c, plain).map((l) => `    ${l}`)),
  ]);
  return lines.join("\n");
}

/** Escapes Markdown punctuation so catalog text renders literally. */
export function mdEscape(s: string): string {
  return s.replace(/[\\`*_~|<>[\]#]/g, (c) => `\\${c}`).replace(/\s*\n\s*/g, " ");
}
const mdCode = (s: string) => `\`${s.replace(/`/g, "'")}\``;
/** Markdown word diff: removed words struck through, added words in bold. */
export function wordsMarkdown(words: readonly WordRun[]): string {
  return words
    .map((w, i) => {
      const t = mdEscape(w.text);
      if (w.op === "=" || !t.trim()) return t;
      const lead = t.match(/^\s*/)?.[0] ?? "";
      // A replacement (removed run right before an added one) reads better with a space between them.
      const trail = t.match(/\s*$/)?.[0] || (w.op === "-" && words[i + 1]?.op === "+" ? " " : "");
      const core = t.trim();
      return `${lead}${w.op === "+" ? `**${core}**` : `~~${core}~~`}${trail}`;
    })
    .join("");
}

export function renderDiffMarkdown(d: CatalogDiff): string {
  const out = [`# Catalog changes ${d.from} → ${d.to}`, ""];
  if (isEmptyDiff(d)) return `${out.join("\n")}No changes.\n`;
  out.push(
    `| | count |`,
    `|---|---:|`,
    `| new | ${d.added.length} |`,
    `| removed | ${d.removed.length} |`,
    `| changed | ${d.changed.length} |`,
    `| deprecated | ${d.deprecated.length} |`,
    `| revoked | ${d.revoked.length} |`,
    "",
    "In prose, ~~struck~~ words were removed and **bold** words added. Techniques are grouped by their first tactic.",
    "",
  );
  const name = (e: DiffEntry) => `${mdCode(e.id)} ${mdEscape(e.name)}`;
  const section = <T extends DiffEntry>(title: string, items: readonly T[], lines: (e: T) => string[]) => {
    if (!items.length) return;
    out.push(`## ${title}`, "");
    for (const [, tactic, list] of groupByTactic(d, items)) {
      out.push(`### ${mdEscape(tactic)}`, "");
      for (const e of list) out.push(...lines(e));
      out.push("");
    }
  };
  section("New techniques", d.added, (e) => [`- ${name(e)}`]);
  section("Removed", d.removed, (e) => [`- ${name(e)}`]);
  section("Deprecated", d.deprecated, (e) => [`- ${name(e)}`]);
  section("Revoked", d.revoked, (e) => [
    `- ${name(e)} → replaced by ${mdCode(e.revokedBy)}${e.replacementName ? ` ${mdEscape(e.replacementName)}` : ""}`,
  ]);
  const md = { words: wordsMarkdown, code: mdCode };
  section("Changed", d.changed, (e) => [
    `- ${name(e)}`,
    ...Object.entries(e.changes).flatMap(([f, c]) => changeLines(f, c, md).map((l) => `  - ${l}`)),
  ]);
  return out.join("\n");
}

/** JSON form of `catalog diff --json` (schema: CatalogDiffJson). */
export function diffToJson(d: CatalogDiff): CatalogDiffJson {
  const ids = (l: readonly DiffEntry[]) => l.map((e) => e.id);
  const all = [...d.added, ...d.removed, ...d.changed, ...d.deprecated, ...d.revoked];
  const byTactic = groupByTactic(d, all).map(([tactic, name, list]) => {
    const here = new Set(list.map((e) => e.id));
    const pick = (l: readonly DiffEntry[]) => ids(l).filter((id) => here.has(id));
    return {
      tactic,
      name,
      added: pick(d.added),
      removed: pick(d.removed),
      changed: pick(d.changed),
      deprecated: pick(d.deprecated),
      revoked: pick(d.revoked),
    };
  });
  return {
    from: d.from,
    to: d.to,
    added: d.added,
    removed: d.removed,
    changed: d.changed,
    deprecated: d.deprecated,
    revoked: d.revoked,
    byTactic,
  };
}
