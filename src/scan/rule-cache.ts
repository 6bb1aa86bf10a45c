// RuleSetCache: rule files read and compiled once and shared by later scans (the HTTP server's uploads) until
// the rule folders change. A change is seen through a fingerprint of the files' paths, sizes and times, taken
// before each scan: a few milliseconds for the built-in library, where reading and compiling it costs about
// 0.3 s. One rule set is kept (the last one asked for), so memory does not grow with changes.
import { statSync } from "node:fs";
import { type CompiledRules, compileEngineRules, type RuleFile, type RuleSetInfo, ruleSetInfo } from "./engine.js";
import type { RuleProblem } from "./model.js";
import { listRuleFiles, readRuleFiles } from "./rule-files.js";

/** A compiled rule set as scanPaths() takes it (read-only: scans only read it). */
export interface CachedRuleSet {
  /** The files as read (worker threads compile them for themselves). */
  readonly files: readonly RuleFile[];
  readonly readProblems: readonly RuleProblem[];
  readonly compiled: CompiledRules;
  readonly info: RuleSetInfo;
}

export interface RuleFolders {
  ruleDirs: readonly string[];
  builtin: boolean;
}

/**
 * What the rule set read from these folders depends on: each rule file's path, size, modification and change
 * time (a rename, edit, chmod, added or removed file changes it). Throws NOT_FOUND for a missing user folder.
 */
export async function ruleFilesFingerprint(folders: RuleFolders): Promise<string> {
  const paths = await listRuleFiles(folders.ruleDirs, { builtin: folders.builtin });
  // stat in one synchronous pass: a couple of milliseconds for hundreds of files, where async calls queue on
  // the libuv pool and take ten times that on a busy machine
  const parts = paths.map((p) => {
    try {
      const st = statSync(p);
      return `${p}\u0000${st.size}\u0000${st.mtimeMs}\u0000${st.ctimeMs}`;
    } catch (e) {
      return `${p}\u0000${(e as NodeJS.ErrnoException).code ?? "error"}`;
    }
  });
  return `${folders.builtin}\u0001${folders.ruleDirs.join("\u0000")}\u0001${parts.join("\u0001")}`;
}

/** Reads and compiles the rules of the folders, with the pre-filter plan and the metadata built up front. */
export async function loadRuleSet(folders: RuleFolders): Promise<CachedRuleSet> {
  const { files, problems } = await readRuleFiles(folders.ruleDirs, { builtin: folders.builtin });
  const compiled = compileEngineRules(files);
  void compiled.plan; // built now rather than in the first scan that uses it
  return { files, readProblems: problems, compiled, info: ruleSetInfo(compiled) };
}

export class RuleSetCache {
  private entry: { fingerprint: string; set: Promise<CachedRuleSet> } | undefined;
  /** How many times rules were read and compiled (a cache miss). */
  loads = 0;

  /** The compiled rules of the folders: the kept ones while the folders are unchanged, else newly compiled. */
  async get(folders: RuleFolders): Promise<CachedRuleSet> {
    const fingerprint = await ruleFilesFingerprint(folders);
    if (this.entry?.fingerprint === fingerprint) return this.entry.set;
    // The files are read after the fingerprint was taken: an edit in between gives a newer rule set under an
    // older fingerprint, which the next call sees as a change.
    const entry = { fingerprint, set: loadRuleSet(folders) };
    this.entry = entry;
    this.loads++;
    entry.set.catch(() => {
      if (this.entry === entry) this.entry = undefined; // a failure is not kept: the next scan tries again
    });
    return entry.set;
  }

  /** Forgets the kept rule set. */
  clear(): void {
    this.entry = undefined;
  }
}
