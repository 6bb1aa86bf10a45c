// `techtrail scan PATH...`: runs the scan engine (src/scan) over CloudTrail files, folders or stdin and
// writes findings as they arrive (JSON Lines, JSON, CSV) or, for people, a table of collapsed repeats at the
// end; optionally writes the summary and a Navigator layer. Memory does not grow with the number of findings.

import type { Command } from "commander";
import { buildNavigatorLayers } from "../../catalog/layer.js";
import { loadBuiltinCatalog } from "../../catalog/load.js";
import { formatProblem, isTechtrailError, TechtrailError } from "../../core/errors.js";
import { type OutputSink, openOutput, writeFileAtomic, writeOutput } from "../../core/fs.js";
import type { ActorIndicators } from "../../core/indicators.js";
import { loadDetectorMappings } from "../../detectors/mapping.js";
import type { Baseline } from "../../rules/first-seen.js";
import { SIGMA_LEVELS } from "../../rules/index.js";
import {
  csvHeader,
  type Finding,
  FindingGroups,
  findingCsv,
  findingJsonl,
  loadBaseline,
  loadSuppressions,
  makeWindow,
  parseListOption,
  parseWindowTime,
  type ScanOptions,
  type ScanProgress,
  type ScanSummary,
  type ScanWindowInput,
  scanPaths,
} from "../../scan/index.js";
import { CATALOG_OPTION_HELP, hasCatalogSelection, OVERLAY_OPTION_HELP, openCatalog } from "../catalog-options.js";
import { EXIT_FINDINGS, EXIT_NO_EVENTS, EXIT_OK, EXIT_PARTIAL, EXIT_SCAN_ERROR } from "../exit-codes.js";
import { log, safeText } from "../output.js";
import { fitTable, outputWidth } from "../table-fit.js";

export const FORMATS = ["table", "json", "jsonl", "csv"] as const;
export type Format = (typeof FORMATS)[number];
/** Default of --min-level: informational findings are counted, not shown. */
export const DEFAULT_MIN_LEVEL = "low";

interface ScanCliOpts {
  rules: string[];
  catalog?: string;
  overlay?: string;
  builtinRules: boolean;
  format: string;
  json?: boolean;
  minLevel: string;
  out?: string;
  summaryJson?: string;
  layer?: string;
  workers?: string;
  strict?: boolean;
  quiet?: boolean;
  createIncident?: boolean;
  title?: string;
  db?: string;
  actor?: string;
  reorderWindow?: string;
  baseline?: string;
  suppress?: string;
  showSuppressed?: boolean;
  detectorMappings?: string;
  from?: string;
  to?: string;
  accounts: string[];
  regions: string[];
  s3Endpoint?: string;
  s3Region?: string;
  s3MaxAttempts?: string;
  s3Concurrency?: string;
  engine?: string;
  duckdbMemory?: string;
  /** false with --no-actors. */
  actors?: boolean;
}

/**
 * The register's actor indicators, for marking findings (none with --no-actors, or when there is no register
 * and none was named with --db, or the named one is yet to be created by --create-incident).
 */
async function registerIndicators(
  o: Pick<ScanCliOpts, "actors" | "db" | "createIncident">,
): Promise<ActorIndicators[]> {
  if (o.actors === false) return [];
  const { openStore } = await import("../../store/open.js");
  let store: Awaited<ReturnType<typeof openStore>>;
  try {
    store = await openStore({ ...(o.db ? { db: o.db } : {}), mustExist: true });
  } catch (e) {
    if (isTechtrailError(e) && e.code === "NOT_FOUND" && (!o.db || o.createIncident)) return [];
    throw e;
  }
  try {
    return await store.actorIndicators();
  } finally {
    await store.close();
  }
}

/** --from/--to/--accounts/--regions → the scan window (undefined when none is given). */
export function windowOptions(
  o: Pick<ScanCliOpts, "from" | "to" | "accounts" | "regions">,
): ScanWindowInput | undefined {
  const w: ScanWindowInput = {};
  if (o.from !== undefined) w.fromMs = parseWindowTime("--from", o.from);
  if (o.to !== undefined) w.toMs = parseWindowTime("--to", o.to);
  if (o.accounts.length > 0) w.accounts = parseListOption("--accounts", o.accounts);
  if (o.regions.length > 0) w.regions = parseListOption("--regions", o.regions);
  return Object.keys(w).length > 0 ? makeWindow(w) : undefined;
}

function wholeOption(flag: string, text: string | undefined, min: number, max: number): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || +text < min || +text > max)
    throw new TechtrailError("VALIDATION", `${flag} must be a whole number from ${min} to ${max}, got ${text}`);
  return Number(text);
}

/** --s3-* options → S3 settings (undefined when none is given; the environment still applies). */
function s3Options(o: ScanCliOpts): ScanOptions["s3"] {
  const maxAttempts = wholeOption("--s3-max-attempts", o.s3MaxAttempts, 1, 20);
  const concurrency = wholeOption("--s3-concurrency", o.s3Concurrency, 1, 256);
  if (o.s3Endpoint !== undefined && !/^https?:\/\/[^/]/.test(o.s3Endpoint))
    throw new TechtrailError("VALIDATION", `--s3-endpoint must be an http(s) URL, got ${o.s3Endpoint}`);
  const s = {
    ...(o.s3Endpoint !== undefined ? { endpoint: o.s3Endpoint } : {}),
    ...(o.s3Region !== undefined ? { region: o.s3Region } : {}),
    ...(maxAttempts !== undefined ? { maxAttempts } : {}),
    ...(concurrency !== undefined ? { concurrency } : {}),
  };
  return Object.keys(s).length > 0 ? s : undefined;
}

/** `90m`, `1h`, `0s` → ms; a clear error otherwise. */
export function durationOption(flag: string, text: string): number {
  const m = /^(\d+)(ms|s|m|h|d)$/.exec(text.trim());
  if (!m)
    throw new TechtrailError("VALIDATION", `${flag}: '${text}' is not a duration (expected e.g. 30s, 15m, 1h, 2d)`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as "ms"];
  return Number(m[1]) * unit;
}

/** Buffered line writer honouring back-pressure, to --out (see openOutput: atomic for files) or stdout. */
export class LineWriter {
  private buf: string[] = [];
  private size = 0;

  private constructor(private readonly sink: OutputSink) {}

  static async open(file: string | undefined): Promise<LineWriter> {
    return new LineWriter(await openOutput(file ?? "-"));
  }

  async line(s: string): Promise<void> {
    this.buf.push(s);
    this.size += s.length + 1;
    if (this.size >= 64 * 1024) await this.flush();
  }

  private async flush(): Promise<void> {
    if (this.buf.length === 0) return;
    const chunk = `${this.buf.join("\n")}\n`;
    this.buf = [];
    this.size = 0;
    await this.sink.write(chunk);
  }

  async close(): Promise<void> {
    await this.flush();
    await this.sink.close();
  }

  abort(): Promise<void> {
    return this.sink.abort();
  }
}

function progressLine(p: ScanProgress): string {
  const secs = p.elapsedMs / 1000;
  const rate = secs > 0 ? Math.round(p.events / secs) : 0;
  const n = (x: number) => x.toLocaleString("en-US");
  return `scan: files ${n(p.filesDone)}/${n(p.filesTotal)}  events ${n(p.events)}  ${n(rate)} ev/s  findings ${n(p.findings)}`;
}

/** Writes findings in the chosen format as they arrive; the table collapses repeats and is written at the end. */
export class FindingsOutput {
  private readonly groups = new FindingGroups();
  /** --show-suppressed: suppressed findings, shown apart in the table. */
  private readonly suppressed = new FindingGroups();
  private pendingJson: string | undefined;

  constructor(
    private readonly w: LineWriter,
    private readonly format: Format,
    private readonly width: number,
  ) {}

  async start(): Promise<void> {
    if (this.format === "csv") await this.w.line(csvHeader());
    else if (this.format === "json") await this.w.line('{"findings": [');
  }

  async write(batch: readonly Finding[]): Promise<void> {
    const w = this.w;
    if (this.format === "jsonl") for (const f of batch) await w.line(findingJsonl(f));
    else if (this.format === "csv") for (const f of batch) await w.line(findingCsv(f));
    else if (this.format === "json")
      // one finding behind, so the last one is written without a comma
      for (const f of batch) {
        if (this.pendingJson !== undefined) await w.line(`  ${this.pendingJson},`);
        this.pendingJson = JSON.stringify(f);
      }
    else for (const f of batch) (f.suppressed ? this.suppressed : this.groups).add(f);
  }

  async end(summary: ScanSummary): Promise<void> {
    const w = this.w;
    if (this.format === "json") {
      if (this.pendingJson !== undefined) await w.line(`  ${this.pendingJson}`);
      await w.line(`], "summary": ${JSON.stringify(summary)}}`);
      return;
    }
    if (this.format !== "table") return;
    for (const l of tableLines(this.groups, summary, this.width)) await w.line(l);
    if (this.suppressed.size > 0) {
      await w.line("");
      await w.line("SUPPRESSED (--show-suppressed; counted per entry in the summary, not above):");
      const rows = this.suppressed
        .sorted()
        .map((g) => [g.first ?? "", g.count, g.rule.level, g.principal, g.eventName ?? "", g.rule.title]);
      for (const l of fitTable(
        ["first", "count", "level", "principal", "event", "rule"],
        rows,
        this.width,
        [3, 5],
      ).split("\n"))
        await w.line(l);
    }
    const s = summary.suppressed;
    if (s.total > 0)
      for (const e of s.byEntry)
        await w.line(`${count(e.count)} finding(s) suppressed by entry ${e.index + 1} (${e.reason})`);
  }
}

const count = (n: number) => n.toLocaleString("en-US");

/** The text for people: repeats collapsed, fitted to the width, then the techniques seen. */
function tableLines(groups: FindingGroups, summary: ScanSummary, width: number): string[] {
  const lines: string[] = [];
  if (groups.size === 0) lines.push(noFindingsText(summary));
  else {
    const sorted = groups.sorted();
    // The actors column only when a finding came from a known actor's infrastructure.
    const marked = sorted.some((g) => g.actors.length > 0);
    const rows = sorted.map((g) => [
      g.first ?? "",
      g.count > 1 ? (g.last ?? "") : "",
      g.failed > 0 ? `${g.count} (${g.failed} failed)` : g.count,
      g.rule.level,
      g.techniques.join(",") || "-",
      g.principal,
      ...(marked ? [g.actors.join(", ")] : []),
      g.detector
        ? `${g.detector}:${g.eventName ?? ""}`
        : `${(g.eventSource ?? "").replace(/\.amazonaws\.com$/, "")}:${g.eventName ?? ""}`,
      g.rule.title,
    ]);
    const heads = ["first", "last", "count", "level", "techniques", "principal"];
    if (marked) heads.push("actors");
    heads.push("event", "rule");
    lines.push(...fitTable(heads, rows, width, marked ? [4, 5, 6, 7, 8] : [4, 5, 6, 7]).split("\n"));
    if (groups.ungrouped > 0)
      lines.push(`(${count(groups.ungrouped)} more finding(s) in further groups; see --format jsonl)`);
  }
  const below = summary.findings.belowMinLevel ?? 0;
  if (below > 0)
    lines.push(
      `${count(below)} finding(s) below level ${summary.findings.minLevel} not shown (--min-level informational shows them)`,
    );
  if (summary.techniques.length > 0) {
    lines.push("");
    const rows = summary.techniques.map((t) => [
      t.id,
      t.name ?? "",
      t.findings,
      t.attempts,
      t.firstSeen ?? "",
      t.lastSeen ?? "",
      t.principals.join(", "),
    ]);
    lines.push(
      ...fitTable(
        ["technique", "name", "findings", "attempts", "first seen", "last seen", "principals"],
        rows,
        width,
        [1, 6],
      ).split("\n"),
    );
  }
  return lines;
}

/** CloudTrail events read: records read less those skipped as not JSON, not CloudTrail or too large. */
function eventsRead(s: ScanSummary): number {
  const r = s.skipped.byReason;
  return s.events.read - (r["not-json"] ?? 0) - (r["not-cloudtrail"] ?? 0) - (r["too-large"] ?? 0);
}

/** "3 not-json, 1 too-large" */
const reasons = (byReason: Record<string, number>, keep: (r: string) => boolean) =>
  Object.entries(byReason)
    .filter(([r, n]) => keep(r) && n > 0)
    .map(([r, n]) => `${count(n)} ${r}`)
    .join(", ");

const FILE_REASONS = new Set(["unreadable", "unknown-format"]);

/** "3 detector finding(s) (guardduty 2, security-hub 1) from 2 file(s), 1 unmapped type, 1 problem (missing-field 1)" */
function detectorPart(s: ScanSummary): string | undefined {
  const d = s.detectors;
  if (!d) return undefined;
  const by = Object.entries(d.bySource)
    .map(([k, n]) => `${k} ${count(n)}`)
    .join(", ");
  let text = `${count(d.findings)} detector finding(s)${by ? ` (${by})` : ""} from ${count(d.files)} file(s)`;
  if (d.unmapped.total > 0) text += `, ${count(d.unmapped.total)} of unmapped type(s)`;
  if (d.problems.total > 0)
    text += `, ${count(d.problems.total)} problem(s) (${reasons(d.problems.byReason, () => true)})`;
  return text;
}

/** Detector findings read (turned into findings or not). */
const detectorRead = (s: ScanSummary): number => s.detectors?.read ?? 0;

/** The opening of every closing line: CloudTrail events read, then files and records skipped, with reasons. */
export function readAndSkipped(s: ScanSummary): string {
  const parts = [`${count(eventsRead(s))} CloudTrail event(s) read from ${count(s.files.scanned)} file(s)`];
  const det = detectorPart(s);
  if (det) parts.push(det);
  if (s.files.skipped > 0)
    parts.push(`${count(s.files.skipped)} file(s) skipped: ${reasons(s.skipped.byReason, (r) => FILE_REASONS.has(r))}`);
  const records = reasons(s.skipped.byReason, (r) => !FILE_REASONS.has(r));
  if (records) parts.push(`skipped: ${records}`);
  return parts.join("; ");
}

function noFindingsText(s: ScanSummary): string {
  if (eventsRead(s) === 0 && detectorRead(s) === 0) return `No CloudTrail events read: ${readAndSkipped(s)}.`;
  return s.partial
    ? `No findings in what was read, but the scan is PARTIAL: ${partialText(s.partial)}.`
    : "No findings.";
}

/** "2 file(s) not read whole (1 unreadable, 1 truncated)" */
function partialText(p: NonNullable<ScanSummary["partial"]>): string {
  return `${count(p.files)} file(s) not read whole (${reasons(p.byReason, () => true)})`;
}

/**
 * Checks --json, --format, --min-level, --workers, --engine and --duckdb-memory (--json sets --format json);
 * returns the worker count and the engine.
 */
function checkScanOptions(o: ScanCliOpts): { workers: number | undefined; engineChoice: string } {
  if (o.json) {
    if (o.format !== "table" && o.format !== "json")
      throw new TechtrailError("VALIDATION", `--json and --format ${o.format} contradict each other`);
    o.format = "json";
  }
  if (!(FORMATS as readonly string[]).includes(o.format))
    throw new TechtrailError("VALIDATION", `unknown --format ${o.format} (use ${FORMATS.join(", ")})`);
  if (!(SIGMA_LEVELS as readonly string[]).includes(o.minLevel))
    throw new TechtrailError("VALIDATION", `unknown --min-level ${o.minLevel} (use ${SIGMA_LEVELS.join(", ")})`);
  let workers: number | undefined;
  if (o.workers !== undefined) {
    if (!/^\d+$/.test(o.workers))
      throw new TechtrailError(
        "VALIDATION",
        `--workers must be a whole number (0 = no worker threads), got ${o.workers}`,
      );
    workers = Number(o.workers);
  }
  const engineChoice = o.engine ?? "js";
  if (!["js", "duckdb", "auto"].includes(engineChoice))
    throw new TechtrailError("VALIDATION", `unknown --engine ${engineChoice} (use js, duckdb or auto)`);
  if (o.duckdbMemory !== undefined && !/^\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i.test(o.duckdbMemory))
    throw new TechtrailError("VALIDATION", `--duckdb-memory: '${o.duckdbMemory}' is not a size (e.g. 512MB, 2GB)`);
  return { workers, engineChoice };
}

/** Logs to stderr what the scan could not use: skipped rules and records, warnings, detector problems. */
function logScanProblems(summary: ScanSummary, o: ScanCliOpts): void {
  for (const e of summary.rules.errors)
    log(`techtrail: rule skipped: ${formatProblem({ ...e, message: `${e.message}` })}`);
  for (const ex of summary.skipped.examples)
    log(
      `techtrail: skipped (${ex.reason}): ${formatProblem({ source: ex.file, ...(ex.line !== undefined ? { line: ex.line } : {}), message: ex.index !== undefined ? `record ${ex.index}: ${ex.message}` : ex.message })}`,
    );
  if (!o.quiet) for (const w of summary.correlations?.warnings ?? []) log(`techtrail: warning: ${w}`);
  for (const p of summary.detectors?.problems.examples ?? [])
    log(
      `techtrail: detector finding skipped (${p.reason}): ${formatProblem({
        source: p.file,
        ...(p.line !== undefined ? { line: p.line } : {}),
        ...(p.field !== undefined ? { field: p.field } : {}),
        message:
          p.index !== undefined
            ? `finding ${p.index}: ${p.message}`
            : p.row !== undefined
              ? `row ${p.row}: ${p.message}`
              : p.message,
      })}`,
    );
  if (!o.quiet)
    for (const u of summary.detectors?.unmapped.types ?? [])
      log(
        `techtrail: unmapped ${u.detector} type ${u.type} (${count(u.count)} finding(s), first at ${formatProblem({ source: u.first.file, ...(u.first.line !== undefined ? { line: u.first.line } : {}), message: u.first.index !== undefined ? `finding ${u.first.index}` : u.first.row !== undefined ? `row ${u.first.row}` : "" }).replace(/: $/, "")})${u.reason ? `: ${u.reason}` : ": not in the reviewed mappings"}`,
      );
  if (!o.quiet && summary.engine) {
    const e = summary.engine;
    log(
      `techtrail: engine ${e.used} (${e.reason}): ${e.sqlRules} rule(s) in DuckDB SQL, ${e.jsRules} in JS${e.notExpressible.length ? ` (${e.notExpressible.length} not expressible in SQL)` : ""}`,
    );
  }
  if (summary.skipped.total > summary.skipped.examples.length)
    log(
      `techtrail: ${summary.skipped.total - summary.skipped.examples.length} more skipped record(s) (see --summary-json)`,
    );
}

async function runScan(paths: string[], o: ScanCliOpts): Promise<number> {
  const { workers, engineChoice } = checkScanOptions(o);
  // loaded only when asked: the native DuckDB library is not needed by the JS engine
  const external =
    engineChoice === "js"
      ? undefined
      : (await import("../../duckdb/engine.js")).duckdbEngine({
          requested: engineChoice as "duckdb" | "auto",
          ...(o.duckdbMemory ? { memoryLimit: o.duckdbMemory } : {}),
        });
  const showProgress = process.stderr.isTTY === true && !o.quiet;
  let shown = false;
  let baseline: Baseline | undefined;
  if (o.baseline) {
    const loaded = await loadBaseline(o.baseline);
    baseline = loaded.baseline;
    for (const w of loaded.warnings) log(`techtrail: warning: ${w}`);
  }
  if (o.showSuppressed && !o.suppress)
    throw new TechtrailError("VALIDATION", "--show-suppressed needs --suppress FILE");
  if (o.showSuppressed && o.format === "csv")
    throw new TechtrailError("VALIDATION", "--show-suppressed marks findings in table, json and jsonl output, not csv");
  const suppress = o.suppress ? loadSuppressions(o.suppress) : undefined;
  // Only a named catalog or overlay is loaded here; otherwise scanPaths loads the built-in one while its workers start.
  const catalog = hasCatalogSelection(o) ? openCatalog(o) : undefined;
  const detectorMappings = o.detectorMappings
    ? loadDetectorMappings(catalog ?? loadBuiltinCatalog(), o.detectorMappings)
    : undefined;
  const window = windowOptions(o);
  const s3 = s3Options(o);
  const actors = await registerIndicators(o);
  for (const x of suppress?.warnings ?? []) log(`techtrail: warning: ${formatProblem(x)}`);
  const w = await LineWriter.open(o.out);
  const output = new FindingsOutput(w, o.format as Format, o.out ? outputWidth({}) : outputWidth());
  let summary: ScanSummary;
  let evidence: Finding[];
  try {
    await output.start();
    ({ summary, evidence } = await scanPaths(
      paths,
      {
        ruleDirs: o.rules,
        builtinRules: o.builtinRules,
        strict: o.strict === true,
        minLevel: o.minLevel as (typeof SIGMA_LEVELS)[number],
        ...(workers !== undefined ? { workers } : {}),
        ...(o.reorderWindow !== undefined
          ? { reorderWindowMs: durationOption("--reorder-window", o.reorderWindow) }
          : {}),
        ...(baseline ? { baseline } : {}),
        ...(window ? { window } : {}),
        ...(s3 ? { s3 } : {}),
        ...(actors.length > 0 ? { actors } : {}),
      },
      // scanPaths loads the built-in catalog itself once the workers are starting (they compile rules meanwhile)
      {
        onFindings: (batch) => output.write(batch),
        ...(catalog ? { catalog } : {}),
        ...(detectorMappings ? { detectorMappings } : {}),
        ...(external ? { external } : {}),
        ...(suppress ? { suppress, showSuppressed: o.showSuppressed === true } : {}),
        ...(showProgress
          ? {
              onProgress: (p: ScanProgress) => {
                shown = true;
                process.stderr.write(`\r${progressLine(p)}\x1b[K`);
              },
            }
          : {}),
      },
    ));
    if (shown) process.stderr.write("\r\x1b[K");
    await output.end(summary);
    await w.close();
  } catch (e) {
    if (shown) process.stderr.write("\r\x1b[K");
    await w.abort();
    if (isTechtrailError(e)) throw e;
    throw new TechtrailError("IO", `cannot write ${o.out ?? "stdout"}: ${(e as Error).message}`, { cause: e });
  }
  logScanProblems(summary, o);
  if (o.summaryJson) await writeOutput(o.summaryJson, `${JSON.stringify(summary, null, 2)}\n`);
  if (o.layer) {
    const scores = new Map(summary.techniques.map((t) => [t.id, t.findings]));
    const layers = buildNavigatorLayers(catalog ?? loadBuiltinCatalog(), scores, {
      name: "techtrail scan",
      description: `Techniques found by techtrail scan in ${paths.join(", ")}`,
    });
    writeFileAtomic(o.layer, `${JSON.stringify(layers.attack, null, 2)}\n`);
    writeFileAtomic(o.layer.replace(/(\.json)?$/, ".full.json"), `${JSON.stringify(layers.full, null, 2)}\n`);
  }
  const noEvents = eventsRead(summary) === 0 && detectorRead(summary) === 0;
  if (noEvents)
    // said even with --quiet: a scan that read nothing must not pass for clean logs
    log(`techtrail: ${readAndSkipped(summary)}: nothing was scanned (exit status ${EXIT_NO_EVENTS})`);
  else if (!o.quiet) {
    const s = summary;
    const below = s.findings.belowMinLevel ? ` (+${count(s.findings.belowMinLevel)} below ${s.findings.minLevel})` : "";
    log(
      `techtrail: ${readAndSkipped(s)}; ${count(s.findings.total)} finding(s)${below}, ${s.techniques.length} technique(s), ${s.rules.loaded} rules (${s.rules.failed} failed), ${(s.durationMs / 1000).toFixed(2)} s, ${s.eventsPerSecond.toLocaleString("en-US")} events/s`,
    );
  }
  if (summary.actors && summary.actors.findings > 0)
    // said even with --quiet: a known actor's infrastructure in the logs is the headline
    log(
      `techtrail: ${count(summary.actors.findings)} finding(s) match known actors' indicators: ${summary.actors.actors
        .map(
          (a) =>
            `${safeText(a.name)} ${a.id} (${count(a.findings)}: ${a.indicators.map((i) => safeText(i.value)).join(", ")})`,
        )
        .join("; ")}`,
    );
  if (o.createIncident && summary.findings.total > 0) {
    // loaded only when asked: the incident store and its drivers are not needed to scan
    const { createIncidentFromScan } = await import("./incident.js");
    await createIncidentFromScan(evidence, {
      ...o,
      source: paths.join(", "),
      ...(summary.actors ? { matchedActors: summary.actors.actors } : {}),
      totals: {
        findings: summary.findings.total,
        byTechnique: Object.fromEntries(summary.techniques.map((t) => [t.id, t.findings])),
      },
    });
  } else if (o.createIncident) log("techtrail: no findings: no incident created");
  if (summary.partial && !noEvents)
    // said even with --quiet, like an empty scan: partial results must not pass for a clean scan
    log(
      `techtrail: PARTIAL scan: ${partialText(summary.partial)}; findings cover only what was read${summary.findings.total > 0 ? "" : ` (exit status ${EXIT_PARTIAL})`}`,
    );
  if (noEvents) return EXIT_NO_EVENTS;
  if (summary.findings.total > 0) return EXIT_FINDINGS;
  return summary.partial ? EXIT_PARTIAL : EXIT_OK;
}

export function registerScanCommands(program: Command): void {
  program
    .command("scan")
    .description(
      `scan CloudTrail logs (files, folders, s3://, - for stdin) with Sigma rules, and read AWS detector findings (GuardDuty, Security Hub ASFF, Security Lake OCSF Parquet) beside them; exit 0 = no findings, 1 = findings, 2 = error, ${EXIT_NO_EVENTS} = no CloudTrail event read, ${EXIT_PARTIAL} = partial`,
    )
    .argument(
      "<paths...>",
      "CloudTrail files or folders (S3 delivery trees, JSON Lines, JSON arrays; gzip or plain), - for stdin; GuardDuty, ASFF and OCSF Parquet finding files are recognised from their content; s3://bucket/prefix reads a trail bucket",
    )
    .option(
      "--rules <dir>",
      "extra Sigma rules folder (repeatable)",
      (v: string, acc: string[]) => [...acc, v],
      [] as string[],
    )
    .option("--no-builtin-rules", "do not load the built-in rules")
    .option("--catalog <dir>", CATALOG_OPTION_HELP)
    .option("--overlay <dir>", OVERLAY_OPTION_HELP)
    .option("--format <format>", `output format: ${FORMATS.join(", ")}`, "table")
    .option("--json", "the same as --format json")
    .option(
      "--min-level <level>",
      `show findings of rules at this Sigma level or above (${SIGMA_LEVELS.join(" < ")}); the others are counted`,
      DEFAULT_MIN_LEVEL,
    )
    .option("--out <file>", "write findings to a file instead of stdout")
    .option("--summary-json <file>", "write the scan summary as JSON")
    .option("--layer <file>", "write an ATT&CK Navigator layer of the techniques found (and <file>.full.json)")
    .option("--workers <n>", "worker threads (default: number of cores; 0 = none)")
    .option("--strict", "stop at the first problem (rule error, skipped record or unreadable file)")
    .option("--quiet", "no progress or closing statistics on stderr")
    .option("--create-incident", "store a draft incident whose technique tags carry the findings as evidence")
    .option("--title <text>", "title of the draft incident (with --create-incident)")
    .option(
      "--db <file|url>",
      "incident store for --create-incident and actor indicators (default: TECHTRAIL_DATABASE_URL, TECHTRAIL_DB, ./techtrail.db)",
    )
    .option("--no-actors", "do not mark findings that match the register's actor indicators")
    .option("--actor <name>", "who creates the incident, for the audit trail")
    .option(
      "--reorder-window <duration>",
      "correlations: how far behind newer events a matched event may arrive and still count (default 1h)",
    )
    .option("--suppress <file>", "hide findings matched by a reviewed suppression file (counted per entry)")
    .option("--show-suppressed", "with --suppress: print the suppressed findings too, marked")
    .option(
      "--detector-mappings <dir>",
      "detector finding types to techniques: a folder of mapping files (default: the built-in mappings/)",
    )
    .option("--baseline <file>", "first_seen rules: combinations already seen (from techtrail baseline build)")
    .option("--from <time>", "only events at or after this time (YYYY-MM-DD = start of the UTC day, or ISO 8601)")
    .option("--to <time>", "only events before this time (YYYY-MM-DD = up to the end of that UTC day, or ISO 8601)")
    .option(
      "--accounts <ids>",
      "only these accounts (comma-separated, repeatable); other AWSLogs/<account>/ folders are not read",
      (v: string, acc: string[]) => [...acc, v],
      [] as string[],
    )
    .option(
      "--regions <names>",
      "only these regions (comma-separated, repeatable); other region folders are not read",
      (v: string, acc: string[]) => [...acc, v],
      [] as string[],
    )
    .option("--s3-endpoint <url>", "s3:// inputs: S3-compatible endpoint (default: AWS_ENDPOINT_URL_S3; path style)")
    .option("--s3-region <region>", "s3:// inputs: the bucket's region (default: AWS_REGION, else us-east-1)")
    .option("--s3-max-attempts <n>", "s3:// inputs: attempts per request, with back-off on throttling (default 5)")
    .option("--s3-concurrency <n>", "s3:// inputs: objects fetched at once (default 16)")
    .option(
      "--engine <name>",
      "js (default), duckdb (rules SQL can express run in embedded DuckDB in one pass, the rest in JS), or auto (JS: it was faster at every measured input size; see docs/sql.md)",
    )
    .option("--duckdb-memory <size>", "DuckDB memory limit (default 1GB; it spills to a temporary folder beyond)")
    .action(async (paths: string[], o: ScanCliOpts) => {
      try {
        process.exitCode = await runScan(paths, o);
      } catch (e) {
        if (!isTechtrailError(e)) throw e;
        process.stderr.write(`techtrail: ${safeText(e.describe())}\n`);
        process.exitCode = EXIT_SCAN_ERROR;
      }
    });
}
