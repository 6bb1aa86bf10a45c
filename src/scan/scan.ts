// scanPaths(): the one entry point of the scan engine, used by the CLI, the HTTP server and the incident
// register. Loads rules, finds input files, splits work into units, runs them on the worker pool, and passes
// findings on as they arrive (to the caller's sink, or collected and sorted when there is none), with a
// summary and an evidence sample built on the way.
import { open, readdir, stat } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { setImmediate as yieldToLoop } from "node:timers/promises";
import type { Catalog } from "../catalog/catalog.js";
import { loadBuiltinCatalog } from "../catalog/load.js";
import { type Problem, TechtrailError, zodProblems } from "../core/errors.js";
import type { DetectorMappings } from "../detectors/mapping.js";
import type { DetectorSummary } from "../detectors/model.js";
import { type SniffedStream, sniffDetectorStream } from "../detectors/read.js";
import type { Baseline } from "../rules/first-seen.js";
import { resolveRuleTechniques } from "../rules/index.js";
import { ActorMarker } from "./actors.js";
import { FindingAggregator, type FindingsSink } from "./aggregate.js";
import { CorrelationRun, type CorrelationSummary, type CorrTuple, correlationFinding } from "./correlate.js";
import { type DetectorFile, DetectorInput, splitDetectorFiles } from "./detector-input.js";
import {
  type CompiledRules,
  compileEngineRules,
  detectFormat,
  type EngineOptions,
  type EngineRules,
  type RuleFile,
  type RuleSetInfo,
  ruleSetInfo,
  ScanAborted,
  type ScanUnit,
  scanState,
  type UnitResult,
} from "./engine.js";
import type { HitBatch, RuleMeta } from "./hits.js";
import {
  type EngineInfo,
  type Finding,
  type FindingRule,
  type ResolvedScanOptions,
  type RuleProblem,
  ScanOptions,
  type ScanProgress,
  type ScanSummary,
  type SkipExample,
} from "./model.js";
import { runInThread, ScanPool } from "./pool.js";
import { describeWindow, LayoutPruner, makeWindow, type ScanWindow, windowActive } from "./prune.js";
import type { CachedRuleSet, RuleSetCache } from "./rule-cache.js";
import { readRuleFiles } from "./rule-files.js";
import { isS3Url, parseS3Url } from "./s3-settings.js";
import { compareFindings, EvidenceSampler, SummaryBuilder } from "./summary.js";
import type { Suppressor } from "./suppress.js";

export { compareFindings };

/** Findings as a read-only list: iterable, with length, at() and toArray(). */
export interface FindingList extends Iterable<Finding> {
  readonly length: number;
  at(index: number): Finding | undefined;
  toArray(): Finding[];
}

export interface ScanResult {
  /**
   * Without `onFindings`: every finding, sorted by eventTime, file, line/index, rule ID. With `onFindings` the
   * findings went to the sink and this is empty.
   */
  readonly findings: Finding[];
  /** The same as `findings` (kept for callers that iterate a FindingList). */
  readonly list: FindingList;
  summary: ScanSummary;
  /** first_seen state as a baseline's rules section (set when the rule set has correlations). */
  baselineRules?: () => Baseline["rules"];
  /**
   * A bounded sample for draft incidents: per technique, the `evidencePerTechnique` earliest findings (each
   * finding once, in time order). `summary.techniques[].findings` has the counts.
   */
  evidence: Finding[];
}

export interface ScanHooks {
  /**
   * Receives the findings as they are decoded, in arrival order (not sorted: files and workers interleave),
   * a slice at a time; a returned promise holds the scan back until it settles (back-pressure). When given,
   * nothing is kept but the summary and the evidence sample, whatever the number of findings.
   */
  onFindings?: FindingsSink;
  /** Stops the scan: scanPaths rejects with the signal's reason (a TechtrailError) or an IO error. */
  signal?: AbortSignal;
  /** Catalog used to resolve technique tags (default: the built-in catalog). */
  catalog?: Catalog;
  /** Stream read for the path "-" (default: process.stdin). */
  stdin?: Readable;
  /** Called about every 100 ms while scanning. */
  onProgress?(p: ScanProgress): void;
  /** Called once rules are known, with the correlation run (undefined when no rule correlates). */
  onCorrelationRun?(run: CorrelationRun | undefined): void;
  /** Suppression entries (loadSuppressions): matching findings are counted per entry and not passed on. */
  suppress?: Suppressor;
  /** With `suppress`: pass suppressed findings on as well, marked `suppressed` (the summary does not count them). */
  showSuppressed?: boolean;
  /**
   * Rules kept compiled between scans (a server's): a scan on this thread (no workers) reads `ruleDirs` and
   * `builtinRules` through it, and does not compile them again while their files are unchanged. Not used
   * with `ruleTexts`, nor by worker threads (each compiles the rule files for itself).
   */
  ruleCache?: RuleSetCache;
  /** Detector-to-technique mappings for detector findings (default: the built-in mappings/ folder). */
  detectorMappings?: DetectorMappings;
  /** Another engine for the rules it can express (scan --engine duckdb, src/duckdb/engine.ts). */
  external?: ExternalEngine;
}

/**
 * An engine beside the JS one: given the rule and input files, it takes the rules it can evaluate (the JS
 * engine leaves them out), then runs over the input files and passes its findings on; they go through the same
 * suppression, level filter, summary, evidence and sink as the JS engine's. Matches of its rules that
 * correlations read go to the scan's correlation run as tuples (the same stateful correlator as the JS
 * engine's), so correlation findings do not depend on the engine.
 */
export interface ExternalEngine {
  plan(
    ruleFiles: readonly RuleFile[],
    inputs: ReadonlyArray<{ path: string; size: number }>,
    /** Standard input is read, or a time/account/region window filters events: both stay with the JS engine. */
    also: { stdin: boolean; window: boolean; strict?: boolean },
  ): Promise<ExternalPlan>;
  run(
    emit: (f: Finding) => Promise<void>,
    metaOf: (rule: RuleSetInfo["rules"][number]) => RuleMeta,
    signal?: AbortSignal,
    /** Correlation tuples of the rules in `tapped`, per input file (its position in `inputs`). */
    corr?: (file: number, tuples: CorrTuple[]) => void,
  ): Promise<ExternalRun>;
}

export interface ExternalPlan {
  ruleIds: string[];
  /** With `used: "js"`, scanPaths sets `jsRules` from the rules it loads. */
  info: EngineInfo;
  /** Its rules that correlations read, with the fields their tuples carry (a tuple's `r` indexes these). */
  tapped?: { ruleIds: string[]; fields: string[][] };
  /** It reads every input file itself and the JS engine has no rule left: the JS engine reads nothing. */
  readsAll?: boolean;
}

export interface ExternalRun {
  matchedEvents: number;
  /** Events it matched, by origin key (`file\u0000line` or `file\u0000#index`), to count events both engines matched once. */
  matchedKeys?: ReadonlySet<string>;
  /** With `readsAll`: what it read (the JS engine's counts are then empty). */
  stats?: {
    read: number;
    evaluated: number;
    bytes: number;
    skipCounts: Record<string, number>;
    examples: SkipExample[];
    skippedFiles: string[];
  };
  /** Origin of a correlation tuple's event (file position in `inputs`, tuple ordinal). */
  originOf?(file: number, ordinal: number): Finding["origin"];
}

/** Key of a finding's event for counting events matched by both engines once (see ExternalRun.matchedKeys). */
export function originKey(o: Finding["origin"]): string {
  return o.line !== undefined ? `${o.file}\u0000${o.line}` : `${o.file}\u0000#${o.index ?? ""}`;
}

/** The time in a CloudTrail delivery file name (`..._20260102T0305Z_...`), else 0 (then path order decides). */
function fileTime(path: string): number {
  const m = /_(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})Z[_.]/.exec(path);
  return m
    ? Date.UTC(+(m[1] as string), +(m[2] as string) - 1, +(m[3] as string), +(m[4] as string), +(m[5] as string))
    : 0;
}

interface InputFile {
  path: string;
  size: number;
  /** An S3 object (path is its s3:// URL). */
  s3?: { bucket: string; key: string };
}

/** Pruning by the delivery layout, and what it left out. */
interface Pruning {
  pruner: LayoutPruner;
  folders: number;
  files: number;
}

async function walkInputs(dir: string, out: InputFile[], prune?: Pruning): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    if (e.name.startsWith(".")) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      // folders outside the window by their layout names are never read
      if (prune && !prune.pruner.keep(p.split(/[\\/]/), false)) prune.folders++;
      else await walkInputs(p, out, prune);
    } else if (e.isFile() || e.isSymbolicLink()) {
      if (prune && !prune.pruner.keep(p.split(/[\\/]/), true)) {
        prune.files++;
        continue;
      }
      try {
        const st = await stat(p);
        if (st.isDirectory()) await walkInputs(p, out, prune);
        else out.push({ path: p, size: st.size });
      } catch {
        out.push({ path: p, size: 0 }); // reported as unreadable by the engine
      }
    }
  }
}

/**
 * Expands paths to files (folders recursively, in name order; s3://bucket/prefix listed); "-" stands for stdin.
 * With a window, folders, prefixes and files outside it by their delivery-layout names are left out unread.
 */
async function discover(
  paths: readonly string[],
  opts: Pick<ResolvedScanOptions, "s3">,
  prune?: Pruning,
): Promise<{ files: InputFile[]; stdin: boolean }> {
  const files: InputFile[] = [];
  let stdin = false;
  const missing: Problem[] = [];
  for (const p of paths) {
    if (p === "-") {
      stdin = true;
      continue;
    }
    if (isS3Url(p)) {
      const loc = parseS3Url(p);
      const { listS3 } = await import("./s3.js");
      const listed = await listS3(loc, prune?.pruner, opts.s3, opts.s3?.concurrency);
      if (prune) {
        prune.folders += listed.prunedFolders;
        prune.files += listed.prunedFiles;
      }
      for (const o of listed.objects)
        files.push({ path: `s3://${o.bucket}/${o.key}`, size: o.size, s3: { bucket: o.bucket, key: o.key } });
      continue;
    }
    let st: Awaited<ReturnType<typeof stat>>;
    try {
      st = await stat(p);
    } catch (e) {
      missing.push({ source: p, message: `no such file or folder (${(e as NodeJS.ErrnoException).code ?? "error"})` });
      continue;
    }
    if (st.isDirectory()) {
      try {
        await walkInputs(p, files, prune);
      } catch {
        files.push({ path: p, size: 0 }); // an unreadable folder: the engine reports it
      }
    } else files.push({ path: p, size: st.size });
  }
  if (missing.length > 0)
    throw new TechtrailError("NOT_FOUND", `${missing.length} input path(s) do not exist`, { problems: missing });
  const seen = new Set<string>();
  return {
    files: files.filter((f) => {
      if (seen.has(f.path)) return false;
      seen.add(f.path);
      return true;
    }),
    stdin,
  };
}

/** Splits big plain JSON Lines files into byte ranges so several workers share them. */
async function planUnits(files: readonly InputFile[], chunkBytes: number): Promise<ScanUnit[]> {
  const units: ScanUnit[] = [];
  let id = 0;
  for (const f of files) {
    if (f.s3) {
      units.push({ id: id++, kind: "s3", file: f.path, bucket: f.s3.bucket, key: f.s3.key, size: f.size });
      continue;
    }
    if (f.size >= chunkBytes * 1.5) {
      let jsonl = false;
      try {
        const fh = await open(f.path, "r");
        try {
          const head = Buffer.alloc(64 * 1024);
          const { bytesRead } = await fh.read(head, 0, head.length, 0);
          const h = head.subarray(0, bytesRead);
          jsonl = !(h[0] === 0x1f && h[1] === 0x8b) && detectFormat(h) === "jsonl";
        } finally {
          await fh.close();
        }
      } catch {
        // the engine reports it
      }
      if (jsonl) {
        for (let start = 0; start < f.size; start += chunkBytes) {
          const end = f.size - (start + chunkBytes) < chunkBytes / 2 ? f.size : start + chunkBytes;
          units.push({ id: id++, kind: "range", file: f.path, start, end });
          if (end === f.size) break;
        }
        continue;
      }
    }
    units.push({ id: id++, kind: "file", file: f.path });
  }
  return units;
}

function ruleProblemsOf(e: RuleSetInfo["errors"][number]): RuleProblem[] {
  if (e.problems.length === 0) return [{ code: e.code, message: e.message }];
  return e.problems.map((p) => {
    const rp: RuleProblem = { code: e.code, message: p.message };
    if (p.source !== undefined) rp.source = p.source;
    if (p.line !== undefined) rp.line = p.line;
    if (p.column !== undefined) rp.column = p.column;
    if (p.field !== undefined) rp.field = p.field;
    return rp;
  });
}

/** Longest stretch an in-thread scan keeps its thread before letting other work run. */
const YIELD_MS = 20;

const EMPTY_HITS: HitBatch = { rows: new Uint32Array(0), count: 0, idOther: [], timeOther: [], dict: [] };

function listOf(items: Finding[]): FindingList {
  return {
    get length() {
      return items.length;
    },
    at: (i: number) => items[i],
    toArray: () => [...items],
    [Symbol.iterator]: () => items[Symbol.iterator](),
  };
}

function abortError(signal: AbortSignal): unknown {
  const r: unknown = signal.reason;
  return r instanceof TechtrailError ? r : new TechtrailError("IO", "scan aborted", { cause: r });
}

export function resolveScanOptions(options: ScanOptions): ResolvedScanOptions {
  const parsed = ScanOptions.safeParse(options);
  if (!parsed.success)
    throw new TechtrailError("VALIDATION", "invalid scan options", {
      problems: zodProblems(parsed.error.issues, "scan options"),
    });
  return parsed.data;
}

/**
 * Scans CloudTrail files, folders (recursively) and "-" (stdin) with the built-in and given Sigma rules. Files
 * whose content is AWS detector output (GuardDuty, Security Hub ASFF, OCSF Parquet) are read as findings
 * beside them (src/detectors).
 */
export async function scanPaths(
  paths: readonly string[],
  options: ScanOptions = {},
  hooks: ScanHooks = {},
): Promise<ScanResult> {
  const t0 = performance.now();
  const opts = resolveScanOptions(options);
  if (paths.length === 0)
    throw new TechtrailError("VALIDATION", "nothing to scan: give at least one file, folder or -");
  const readRules = () => readRuleFiles(opts.ruleDirs, { builtin: opts.builtinRules });
  const cacheable = hooks.ruleCache !== undefined && opts.ruleTexts.length === 0;
  // A missing rule folder is reported before missing inputs.
  let read = cacheable ? undefined : await readRules();
  const window = opts.window && windowActive(opts.window) ? makeWindow(opts.window) : undefined;
  const prune: Pruning | undefined = window ? { pruner: new LayoutPruner(window), folders: 0, files: 0 } : undefined;
  const { files: inputs, stdin: anyStdin } = await discover(paths, opts, prune);
  // detector files are told from CloudTrail by their first bytes and read on this thread after the scan
  // (S3 objects are CloudTrail: detector files are read from disk); stdin is told alike, its head kept
  const sniffed: SniffedStream | undefined = anyStdin
    ? await sniffDetectorStream(hooks.stdin ?? process.stdin)
    : undefined;
  const stdin = sniffed && !sniffed.kind ? sniffed.stream : undefined;
  const { detector: detectorFiles, rest } = await splitDetectorFiles(inputs.filter((f) => !f.s3));
  if (sniffed?.kind) detectorFiles.push({ path: "-", kind: sniffed.kind, stream: sniffed.stream });
  const files = [...rest, ...inputs.filter((f) => f.s3)];
  const units = await planUnits(files, opts.chunkBytes);
  const engine: EngineOptions = {
    maxRecordBytes: opts.maxRecordBytes,
    prefilter: opts.prefilter,
    strict: opts.strict,
    skipExamples: opts.skipExamples,
    ...(window ? { window } : {}),
    ...(opts.s3 ? { s3: opts.s3 } : {}),
  };
  const workers = Math.min(opts.workers ?? Math.max(1, availableParallelism()), units.length);
  // Cached rules serve scans on this thread; workers compile the files for themselves, and this thread does
  // not compile on their behalf (a server's event loop would stall meanwhile).
  const cached =
    cacheable && workers === 0
      ? await hooks.ruleCache?.get({ ruleDirs: opts.ruleDirs, builtin: opts.builtinRules })
      : undefined;
  read ??= cached ? { files: [...cached.files], problems: [...cached.readProblems] } : await readRules();
  const { files: ruleFiles, problems: readProblems } = read;
  ruleFiles.push(...opts.ruleTexts);
  const external = hooks.external
    ? await hooks.external.plan(ruleFiles, files, {
        stdin: stdin !== undefined,
        window: window !== undefined,
        strict: opts.strict,
      })
    : undefined;
  if (external && external.ruleIds.length > 0) engine.skipRules = external.ruleIds;
  hooks.signal?.throwIfAborted();
  // S3 objects: enough units per worker for `concurrency` requests in flight over all workers
  const s3Units = units.some((u) => u.kind === "s3");
  const inFlight = s3Units && workers > 0 ? Math.max(2, Math.ceil((opts.s3?.concurrency ?? 16) / workers)) : undefined;
  // (no JS workers when the other engine reads every file itself)
  const pool = workers > 0 && !external?.readsAll ? new ScanPool(workers, ruleFiles, engine, inFlight) : undefined;
  const onAbort = () => void pool?.abort(abortError(hooks.signal as AbortSignal));
  hooks.signal?.addEventListener("abort", onAbort, { once: true });
  try {
    return await scanWith(paths, opts, hooks, {
      t0,
      ruleFiles,
      readProblems,
      // cached rules hold every rule: not used when another engine takes some
      cached: engine.skipRules ? undefined : cached,
      files,
      detectorFiles,
      stdin,
      units,
      engine,
      pool,
      window,
      prune,
      external,
    });
  } catch (e) {
    if (e instanceof ScanAborted || hooks.signal?.aborted) throw abortError(hooks.signal as AbortSignal);
    throw e;
  } finally {
    hooks.signal?.removeEventListener("abort", onAbort);
    await pool?.close();
    // stdin left unread (the scan stopped before it) is let go
    sniffed?.stream.destroy();
  }
}

interface Prepared {
  t0: number;
  ruleFiles: RuleFile[];
  readProblems: RuleProblem[];
  /** Rules compiled before (RuleSetCache): this thread scans with them and does not compile. */
  cached: CachedRuleSet | undefined;
  files: InputFile[];
  detectorFiles: DetectorFile[];
  /** Standard input when it is CloudTrail (its head already read, to tell it from detector findings). */
  stdin: Readable | undefined;
  units: ScanUnit[];
  engine: EngineOptions;
  pool: ScanPool | undefined;
  window: ScanWindow | undefined;
  prune: Pruning | undefined;
  external: ExternalPlan | undefined;
}

/**
 * The other engine's account of the scan; when it left every rule to the JS engine, the JS rules are those
 * this scan loaded (the other engine decides that without compiling them, so as to cost nothing then).
 */
function engineInfo(info: EngineInfo, rules: RuleSetInfo): EngineInfo {
  if (info.used !== "js") return info;
  return { ...info, jsRules: rules.rules.filter((r) => !r.correlationOnly).length + rules.correlations.length };
}

/** Window, stored bytes and partial marks, added to the summary the builder made. */
function finishSummary(
  summary: ScanSummary,
  files: readonly InputFile[],
  prep: Pick<Prepared, "window" | "prune">,
  outside: number,
): void {
  if (files.length > 0) summary.files.stored = files.reduce((n, f) => n + f.size, 0);
  if (prep.window && prep.prune)
    summary.window = {
      ...describeWindow(prep.window),
      prunedFolders: prep.prune.folders,
      prunedFiles: prep.prune.files,
      outsideEvents: outside,
    };
  // unreadable, denied or truncated input: findings cover only what was read
  const byReason: Record<string, number> = {};
  for (const r of ["unreadable", "truncated"]) {
    const n = summary.skipped.byReason[r] ?? 0;
    if (n > 0) byReason[r] = n;
  }
  const n = Object.values(byReason).reduce((a, b) => a + b, 0);
  if (n > 0) summary.partial = { files: n, byReason };
}

/** The rule set of a scan, with every rule problem; throws when there is nothing to scan with (or, strict, any problem). */
interface LoadedRules {
  rules: RuleSetInfo;
  errors: RuleProblem[];
  /** The rules compiled on this thread (once, on first call): for scanning without a pool, and stdin. */
  compileHere: () => EngineRules;
}

async function loadRules(opts: ResolvedScanOptions, prep: Prepared): Promise<LoadedRules> {
  const { ruleFiles, readProblems, pool } = prep;
  // With a pool, the workers compile the rules and report them; this thread compiles only if it scans too
  // (and not at all with cached rules). The scan's own state (encoder, tap) is new either way.
  let compiled: CompiledRules | undefined = prep.cached?.compiled;
  let state: EngineRules | undefined;
  const compiledHere = () => (compiled ??= compileEngineRules(ruleFiles, prep.engine.skipRules));
  const compileHere = () => (state ??= scanState(compiledHere()));
  const rules: RuleSetInfo = pool ? await pool.info() : (prep.cached?.info ?? ruleSetInfo(compiledHere()));
  const errors: RuleProblem[] = [...readProblems, ...rules.errors.flatMap(ruleProblemsOf)];
  if (opts.strict && errors.length > 0) {
    const first = rules.errors[0];
    throw new TechtrailError(
      first?.code ?? "IO",
      `rule error (strict): ${first?.message ?? readProblems[0]?.message}`,
      {
        problems: first?.problems.length ? first.problems : [{ message: errors[0]?.message ?? "rule error" }],
      },
    );
  }
  if (rules.rules.length === 0 && !prep.engine.skipRules)
    throw new TechtrailError("VALIDATION", "no rules to scan with", {
      problems: errors.slice(0, 10).map((r) => ({ ...r })),
    });
  return { rules, errors, compileHere };
}

/** What findings carry of their rule: the rule, its catalog techniques and their tactics (frozen, shared). */
function ruleMetas(
  rules: RuleSetInfo,
  catalog: Catalog,
): {
  meta: RuleMeta[];
  correlationMeta: Map<string, RuleMeta>;
  unknownTechniques: Record<string, string[]>;
  metaOf: (r: RuleSetInfo["rules"][number]) => RuleMeta;
} {
  const unknownTechniques: Record<string, string[]> = {};
  const metaOf = (r: RuleSetInfo["rules"][number] | RuleSetInfo["correlations"][number]): RuleMeta => {
    const { techniques, unknown } = resolveRuleTechniques(r, catalog);
    if (unknown.length > 0) unknownTechniques[r.id] = unknown;
    const tactics = new Set<string>();
    for (const id of techniques) for (const ta of catalog.technique(id)?.tactics ?? []) tactics.add(ta);
    for (const ref of r.tacticRefs) {
      const ta = catalog.tactic(ref) ?? catalog.tactic(ref.replace(/_/g, "-"));
      if (ta) tactics.add(ta.id);
    }
    const rule: FindingRule = { id: r.id, title: r.title, level: r.level };
    return {
      rule: Object.freeze(rule),
      techniques: Object.freeze(techniques) as string[],
      tactics: Object.freeze([...tactics].sort()) as string[],
    };
  };
  const meta = rules.rules.map(metaOf);
  const correlationMeta = new Map(rules.correlations.map((c) => [c.id, metaOf(c)]));
  return { meta, correlationMeta, unknownTechniques, metaOf };
}

function correlationRunFor(
  rules: RuleSetInfo,
  opts: ResolvedScanOptions,
  tapped: ExternalPlan["tapped"],
): CorrelationRun | undefined {
  if (rules.correlations.length === 0) return undefined;
  // the other engine's tapped rules follow the JS engine's (its tuples' rule positions are shifted past them)
  return new CorrelationRun(
    rules.correlations,
    [...rules.rules.map((r) => r.id), ...(tapped?.ruleIds ?? [])],
    [...rules.tapFields, ...(tapped?.fields ?? [])],
    {
      reorderWindowMs: opts.reorderWindowMs,
      minBuffered: opts.reorderMinEvents,
      ...(opts.baseline ? { baseline: opts.baseline } : {}),
    },
  );
}

/** The units run by the pool (or this thread), then stdin: each unit's result, and whether strict mode stopped. */
interface UnitsRun {
  results: Map<number, UnitResult>;
  stopped: boolean;
  filesTotal: number;
  scanMs: number;
}

async function runUnits(
  hooks: ScanHooks,
  prep: Prepared,
  loaded: LoadedRules,
  agg: FindingAggregator,
  run: CorrelationRun | undefined,
): Promise<UnitsRun> {
  const { t0, files, stdin, units, engine, pool } = prep;
  const results = new Map<number, UnitResult>();
  let events = 0;
  let bytes = 0;
  let filesDone = 0;
  let stopped = false;
  const filesTotal = files.length + (stdin ? 1 : 0);
  let lastReport = 0;
  const report = (force = false) => {
    if (!hooks.onProgress) return;
    const now = performance.now();
    if (!force && now - lastReport < 100) return;
    lastReport = now;
    hooks.onProgress({ filesDone, filesTotal, events, findings: agg.received, bytes, elapsedMs: now - t0 });
  };
  const unitsPerFile = new Map<string, number>();
  for (const u of units) unitsPerFile.set(u.file, (unitsPerFile.get(u.file) ?? 0) + 1);
  const onResult = (r: UnitResult, thread: number, ack: () => void) => {
    if (r.corr.length > 0) run?.accept(r.id, r.corr);
    r.corr = [];
    const hits = r.hits;
    r.hits = EMPTY_HITS;
    results.set(r.id, r);
    agg.unitDone(r.id, hits, r.lines, thread, ack);
    const left = (unitsPerFile.get(r.file) ?? 1) - 1;
    unitsPerFile.set(r.file, left);
    if (left === 0) filesDone++;
    if (r.stopped) stopped = true;
    report();
  };
  const aborted = () => {
    if (hooks.signal?.aborted) throw new ScanAborted();
  };
  let lastYield = performance.now();
  const callbacks = {
    result: onResult,
    hits: (unit: number, batch: HitBatch, thread: number, ack: () => void) => {
      agg.hits(unit, batch, thread, ack);
    },
    corr: (unit: number, tuples: CorrTuple[]) => run?.accept(unit, tuples),
    progress: (e: number, b: number) => {
      events += e;
      bytes += b;
      report();
    },
    stop: () => stopped || hooks.signal?.aborted === true,
    // in-thread scans only: between chunks, wait while findings back up, and let other work on this thread
    // (a server's requests, the time limit's timer) run every YIELD_MS
    wait: () => {
      aborted();
      const held = agg.backPressure();
      if (held) return held;
      const now = performance.now();
      if (now - lastYield < YIELD_MS) return undefined;
      lastYield = now;
      return yieldToLoop();
    },
  };
  const ordered = unitOrder(units, files, run?.needsOrder === true);
  const scanStart = performance.now();
  if (pool)
    await pool.run(
      ordered,
      loaded.rules.rules.map((r) => r.id),
      callbacks,
    );
  else await runInThread(ordered, loaded.compileHere(), engine, callbacks);
  // the workers' memory is given back before stdin and the summary
  await pool?.close();
  if (stdin && !stopped) {
    const unit: ScanUnit = { id: units.length, kind: "stream", file: "-", stream: stdin };
    unitsPerFile.set("-", 1);
    agg.addUnit(unit);
    await runInThread([unit], loaded.compileHere(), engine, callbacks);
  }
  await agg.idle();
  aborted();
  const scanMs = performance.now() - scanStart;
  report(true);
  return { results, stopped, filesTotal, scanMs };
}

/**
 * Biggest files first, so one large file does not finish alone at the end; with correlations (`byTime`), in
 * event-time order (CloudTrail file names carry their time) so matches reach the reorder buffer nearly in
 * order. Either way the ranges of a chunked file go in file order (a range's findings wait for the line counts
 * of the ranges before it).
 */
function unitOrder(units: readonly ScanUnit[], files: readonly InputFile[], byTime: boolean): ScanUnit[] {
  const sizeOf = new Map(files.map((f) => [f.path, f.size]));
  return [...units].sort(
    byTime
      ? (a, b) => fileTime(a.file) - fileTime(b.file) || a.id - b.id
      : (a, b) => (sizeOf.get(b.file) ?? 0) - (sizeOf.get(a.file) ?? 0) || a.id - b.id,
  );
}

/** Line numbers of ranges continue those of the previous ranges of the same file (for skip examples). */
function rangeLineBases(units: readonly ScanUnit[], results: ReadonlyMap<number, UnitResult>): Map<number, number> {
  const lineBase = new Map<number, number>();
  const rangesByFile = new Map<string, Array<Extract<ScanUnit, { kind: "range" }>>>();
  for (const u of units) {
    if (u.kind !== "range") continue;
    const list = rangesByFile.get(u.file) ?? [];
    list.push(u);
    rangesByFile.set(u.file, list);
  }
  for (const list of rangesByFile.values()) {
    list.sort((a, b) => a.start - b.start);
    let base = 0;
    for (const u of list) {
      lineBase.set(u.id, base);
      base += results.get(u.id)?.lines ?? 0;
    }
  }
  return lineBase;
}

/** The units' counts added up, with the first skip examples (line numbers made file-wide). */
interface UnitTotals {
  read: number;
  evaluated: number;
  matched: number;
  /** Events outside the scan window (read, not evaluated). */
  outside: number;
  bytes: number;
  skipCounts: Record<string, number>;
  examples: SkipExample[];
  skippedFiles: Set<string>;
  /** The problem that stopped a strict scan. */
  strictProblem: SkipExample | undefined;
}

function unitTotals(
  results: ReadonlyMap<number, UnitResult>,
  lineBase: ReadonlyMap<number, number>,
  skipExamples: number,
): UnitTotals {
  const t: UnitTotals = {
    read: 0,
    evaluated: 0,
    matched: 0,
    outside: 0,
    bytes: 0,
    skipCounts: {},
    examples: [],
    skippedFiles: new Set(),
    strictProblem: undefined,
  };
  for (const r of [...results.values()].sort((a, b) => a.id - b.id)) {
    const base = lineBase.get(r.id) ?? 0;
    t.read += r.read;
    t.evaluated += r.evaluated;
    t.matched += r.matchedEvents;
    t.outside += r.outside;
    t.bytes += r.bytes;
    if (r.fileSkipped) t.skippedFiles.add(r.file);
    for (const [k, n] of Object.entries(r.skipCounts)) t.skipCounts[k] = (t.skipCounts[k] ?? 0) + (n ?? 0);
    for (const ex of r.examples) {
      const e = ex.line !== undefined ? { ...ex, line: ex.line + base } : ex;
      if (t.examples.length < skipExamples) t.examples.push(e);
      if (r.stopped && t.strictProblem === undefined) t.strictProblem = e;
    }
  }
  return t;
}

function strictStop(first: SkipExample | undefined): TechtrailError {
  const p: Problem = { message: first?.message ?? "problem in input" };
  if (first) {
    p.source = first.file;
    if (first.line !== undefined) p.line = first.line;
  }
  return new TechtrailError(
    first?.reason === "unreadable" ? "IO" : "PARSE",
    `scan stopped at the first problem (strict): ${first?.reason ?? "error"}`,
    {
      problems: [p],
    },
  );
}

/**
 * Correlation and first_seen findings, built on this thread once all matches are in, go the same way as the
 * others: to the sink, the summary and the evidence.
 */
async function emitCorrelations(
  run: CorrelationRun,
  agg: FindingAggregator,
  correlationMeta: ReadonlyMap<string, RuleMeta>,
  results: ReadonlyMap<number, UnitResult>,
  lineBase: ReadonlyMap<number, number>,
  external: { base: number; originOf?: ExternalRun["originOf"] },
): Promise<CorrelationSummary> {
  const done = run.finish();
  const originOf = ([unit = 0, ordinal = 0]: number[]): Finding["origin"] => {
    if (unit >= external.base && external.originOf) return external.originOf(unit - external.base, ordinal);
    const r = results.get(unit);
    const o: Finding["origin"] = { file: r?.file ?? "-" };
    if (r?.originKind === "line") o.line = ordinal + (lineBase.get(unit) ?? 0);
    else o.index = ordinal;
    return o;
  };
  for (const r of done.results) {
    const m = correlationMeta.get(r.correlation.id) as RuleMeta;
    void agg.emit(correlationFinding(r, m, originOf));
  }
  await agg.idle();
  return done.summary;
}

/**
 * Detector findings go last, so the summary can place those naming only an access key on the timeline of the
 * principal CloudTrail showed using it.
 */
async function emitDetectorFindings(
  detectorFiles: readonly DetectorFile[],
  catalog: Catalog,
  opts: ResolvedScanOptions,
  hooks: ScanHooks,
  agg: FindingAggregator,
): Promise<DetectorSummary> {
  const input = new DetectorInput(catalog, { mappings: hooks.detectorMappings, examples: opts.skipExamples });
  const found = await input.readFiles(detectorFiles);
  const detectors = input.summary();
  const first = detectors.problems.examples[0];
  if (opts.strict && first) {
    const p: Problem = { source: first.file, message: `${first.reason}: ${first.message}` };
    if (first.line !== undefined) p.line = first.line;
    if (first.field !== undefined) p.field = first.field;
    throw new TechtrailError("PARSE", `scan stopped at the first problem (strict): ${first.reason}`, {
      problems: [p],
    });
  }
  for (const f of found) void agg.emit(f);
  await agg.idle();
  return detectors;
}

async function scanWith(
  paths: readonly string[],
  opts: ResolvedScanOptions,
  hooks: ScanHooks,
  prep: Prepared,
): Promise<ScanResult> {
  const catalog = hooks.catalog ?? loadBuiltinCatalog();
  const loaded = await loadRules(opts, prep);
  const { rules } = loaded;
  const { meta, correlationMeta, unknownTechniques, metaOf } = ruleMetas(rules, catalog);
  const run = correlationRunFor(rules, opts, prep.external?.tapped);
  hooks.onCorrelationRun?.(run);

  const collected: Finding[] = [];
  const jsMatched = new Set<string>();
  const summaryBuilder = new SummaryBuilder(catalog, opts.timelineLimit, opts.minLevel);
  const evidence = new EvidenceSampler(opts.evidencePerTechnique);
  const actors = opts.actors.length > 0 ? new ActorMarker(opts.actors) : undefined;
  const agg = new FindingAggregator({
    rules: meta,
    units: prep.units,
    summary: summaryBuilder,
    evidence,
    sink:
      hooks.onFindings ??
      ((batch) => {
        for (const f of batch) collected.push(f);
      }),
    minLevel: opts.minLevel,
    suppress: hooks.suppress,
    showSuppressed: hooks.showSuppressed,
    // events both engines matched are counted once: the JS engine's matched events, by origin (only when the
    // other engine runs beside it: a key per matched event adds up to tens of MB over a big input)
    observe:
      hooks.external && prep.engine.skipRules && !prep.external?.readsAll
        ? (f) => jsMatched.add(originKey(f.origin))
        : undefined,
    actors,
  });

  const { results, stopped, filesTotal, scanMs } = prep.external?.readsAll
    ? { results: new Map<number, UnitResult>(), stopped: false, filesTotal: prep.files.length, scanMs: 0 }
    : await runUnits(hooks, prep, loaded, agg, run);
  const lineBase = rangeLineBases(prep.units, results);
  const totals = unitTotals(results, lineBase, opts.skipExamples);
  if (stopped) throw strictStop(totals.strictProblem);
  // the other engine's rules, over the same files (its findings pass through the same aggregator)
  let externalMatched = 0;
  let externalMs = 0;
  // correlation tuples of the other engine: one unit per input file, numbered after the JS engine's units
  const externalBase = prep.units.length + 1;
  let ext: ExternalRun | undefined;
  if (hooks.external && prep.engine.skipRules) {
    const start = performance.now();
    const offset = rules.rules.length;
    ext = await hooks.external.run(
      (f) => agg.emit(f),
      metaOf,
      hooks.signal,
      (file, tuples) => {
        for (const t of tuples) t.r += offset;
        run?.accept(externalBase + file, tuples);
      },
    );
    externalMatched = ext.matchedEvents;
    if (ext.matchedKeys) for (const k of jsMatched) if (ext.matchedKeys.has(k)) externalMatched--;
    if (ext.stats) {
      totals.read += ext.stats.read;
      totals.evaluated += ext.stats.evaluated;
      totals.bytes += ext.stats.bytes;
      for (const [k, n] of Object.entries(ext.stats.skipCounts)) totals.skipCounts[k] = (totals.skipCounts[k] ?? 0) + n;
      for (const e of ext.stats.examples) if (totals.examples.length < opts.skipExamples) totals.examples.push(e);
      for (const f of ext.stats.skippedFiles) totals.skippedFiles.add(f);
    }
    await agg.idle();
    if (hooks.signal?.aborted) throw new ScanAborted();
    externalMs = performance.now() - start;
  }
  const correlations = run
    ? await emitCorrelations(run, agg, correlationMeta, results, lineBase, {
        base: externalBase,
        ...(ext?.originOf ? { originOf: ext.originOf } : {}),
      })
    : undefined;
  const detectors =
    prep.detectorFiles.length > 0
      ? await emitDetectorFindings(prep.detectorFiles, catalog, opts, hooks, agg)
      : undefined;
  const summary = summaryBuilder.build({
    inputs: [...paths],
    filesScanned: filesTotal - totals.skippedFiles.size,
    filesSkipped: totals.skippedFiles.size,
    bytes: totals.bytes,
    read: totals.read,
    evaluated: totals.evaluated,
    matched: totals.matched + externalMatched,
    skipCounts: totals.skipCounts,
    examples: totals.examples,
    rules: {
      loaded: rules.rules.length + (prep.engine.skipRules?.length ?? 0),
      failed: rules.errors.length + prep.readProblems.length,
      errors: loaded.errors,
      unknownTechniques,
    },
    workers: prep.pool?.size ?? 0,
    ...(correlations ? { correlations } : {}),
    ...(detectors ? { detectors } : {}),
    ...(prep.external ? { engine: engineInfo(prep.external.info, rules) } : {}),
    durationMs: performance.now() - prep.t0,
    scanMs: scanMs + externalMs,
  });
  finishSummary(summary, prep.files, prep, totals.outside);
  if (actors) summary.actors = actors.summary();
  collected.sort(compareFindings);
  return {
    findings: collected,
    list: listOf(collected),
    summary,
    evidence: evidence.findings(),
    ...(run ? { baselineRules: () => run.firstSeen.toBaselineRules(opts.baseline) } : {}),
  };
}
