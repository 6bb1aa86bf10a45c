// Finds and reads rule files: the built-in rules shipped in rules/builtin and user folders given with
// --rules (recursive *.yml / *.yaml; *.tests.yaml files hold rule test records and are skipped).
import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { TechtrailError } from "../core/errors.js";
import { packagePath } from "../core/paths.js";
import type { RuleFile } from "./engine.js";
import type { RuleProblem } from "./model.js";

export const BUILTIN_RULES_DIR = packagePath("rules", "builtin");

const isRuleFile = (name: string) => /\.ya?ml$/i.test(name) && !/\.tests\.ya?ml$/i.test(name);

async function walk(dir: string, out: string[]): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    if (e.name.startsWith(".")) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) await walk(p, out);
    else if (isRuleFile(e.name)) out.push(p);
  }
}

/**
 * Paths of the rule files under the folders, in reading order. A missing folder given by the user is an error
 * (NOT_FOUND); a missing built-in folder just means no built-in rules.
 */
export async function listRuleFiles(dirs: readonly string[], opts: { builtin: boolean }): Promise<string[]> {
  const paths: string[] = [];
  if (opts.builtin) {
    try {
      await walk(BUILTIN_RULES_DIR, paths);
    } catch {
      // no built-in rules installed
    }
  }
  for (const dir of dirs) {
    let isDir = false;
    try {
      isDir = (await stat(dir)).isDirectory();
    } catch {
      throw new TechtrailError("NOT_FOUND", `rules folder ${dir} does not exist`, {
        problems: [{ source: dir, message: "no such folder" }],
      });
    }
    if (isDir) await walk(dir, paths);
    else paths.push(dir);
  }
  return paths;
}

/** Reads every rule file under the folders (see listRuleFiles). Unreadable files become problems. */
export async function readRuleFiles(
  dirs: readonly string[],
  opts: { builtin: boolean },
): Promise<{ files: RuleFile[]; problems: RuleProblem[] }> {
  const files: RuleFile[] = [];
  const problems: RuleProblem[] = [];
  for (const p of await listRuleFiles(dirs, opts)) {
    try {
      files.push({ text: await readFile(p, "utf8"), source: p });
    } catch (e) {
      problems.push({ code: "IO", source: p, message: `cannot read rule file: ${(e as Error).message}` });
    }
  }
  return { files, problems };
}
