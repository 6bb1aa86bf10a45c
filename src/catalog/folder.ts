// Catalog folder contents as text (catalog.yaml, tactics.yaml, data-sources.yaml, mitigations.yaml,
// techniques/<ID>.yaml), for `catalog import --out DIR` and in-place merges. Pure: returns file
// contents keyed by path relative to the folder; the CLI writes them.
import { stringify } from "yaml";
import type { Catalog } from "./catalog.js";
import type { DataSource, Mitigation, Tactic, Technique } from "./model.js";

const YAML_OPTS = { lineWidth: 100, minContentWidth: 40 } as const;

/** One technique file; empty optional lists and defaults are kept so the file is self-describing. */
export function techniqueYaml(t: Technique): string {
  return stringify(t, YAML_OPTS);
}

function listYaml(items: ReadonlyArray<Tactic | Mitigation | DataSource>): string {
  return items.length === 0 ? "[]\n" : stringify(items, YAML_OPTS);
}

/** Every file of a complete catalog folder holding `catalog`. */
export function catalogFolderFiles(catalog: Catalog, header: string): Map<string, string> {
  const comment = `# ${header}\n`;
  const files = new Map<string, string>();
  files.set("catalog.yaml", comment + stringify(catalog.meta, YAML_OPTS));
  files.set("tactics.yaml", comment + listYaml(catalog.tactics));
  files.set("data-sources.yaml", comment + listYaml(catalog.dataSources));
  files.set("mitigations.yaml", comment + listYaml(catalog.mitigations));
  for (const t of catalog.techniques) files.set(`techniques/${t.id}.yaml`, techniqueYaml(t));
  return files;
}

/**
 * Files to write so that an existing catalog folder holds `merged`: new technique files, and the new
 * tactics, mitigations and data sources appended to their lists (existing text and comments kept).
 * `existing` holds the current text of tactics.yaml, data-sources.yaml and mitigations.yaml.
 */
export function mergeIntoFolderFiles(
  existing: { tactics: string; dataSources: string; mitigations: string },
  merged: Catalog,
  added: { tactics: string[]; techniques: string[]; mitigations: string[]; dataSources: string[] },
  note: string,
): Map<string, string> {
  const files = new Map<string, string>();
  const append = (text: string, items: ReadonlyArray<Tactic | Mitigation | DataSource>) => {
    const body = text.trimEnd();
    // An empty list written as `[]` cannot take appended items: replace it.
    const head = /(^|\n)\[\]$/.test(body) ? body.replace(/\[\]$/, "") : `${body}\n`;
    return `${head}# ${note}\n${stringify(items, YAML_OPTS)}`;
  };
  const pick = <T extends { id: string }>(list: readonly T[], ids: string[]) => list.filter((x) => ids.includes(x.id));
  if (added.tactics.length) files.set("tactics.yaml", append(existing.tactics, pick(merged.tactics, added.tactics)));
  if (added.dataSources.length)
    files.set("data-sources.yaml", append(existing.dataSources, pick(merged.dataSources, added.dataSources)));
  if (added.mitigations.length)
    files.set("mitigations.yaml", append(existing.mitigations, pick(merged.mitigations, added.mitigations)));
  for (const id of added.techniques) {
    const t = merged.technique(id);
    if (t) files.set(`techniques/${t.id}.yaml`, techniqueYaml(t));
  }
  return files;
}
