// `techtrail scan PATH...`: runs the scan engine (src/scan) over CloudTrail files, folders or stdin and
// prints findings as a table, JSON, JSON Lines or CSV; optionally writes the summary and a Navigator layer.
import type { Command } from "commander";
import { buildNavigatorLayers } from "../../catalog/layer.js";
import { loadBuiltinCatalog } from "../../catalog/load.js";
import { formatProblem, isTechtrailError, TechtrailError } from "../../core/errors.js";
import { type OutputSink, openOutput, writeFileAtomic, writeOutput } from "../../core/fs.js";
import type { Baseline } from "../../rules/first-seen.js";
import {
  csvHeader,
  type FindingList,
  findingCsv,
  findingJsonl,
  loadBaseline,
  principalOf,
  type ScanProgress,
  type ScanSummary,
  scanPaths,
} from "../../scan/index.js";
import { EXIT_FINDINGS, EXIT_OK, EXIT_SCAN_ERROR } from "../exit-codes.js";
import { log, safeText, table, truncate } from "../output.js";
import { createIncidentFromScan } from "./incident.js";

const FORMATS = ["table", "json", "jsonl", "csv"] as const;
type Format = (typeof FORMATS)[number];

interface ScanCliOpts {
  rules: string[];
  builtinRules: boolean;
  format: string;
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
class LineWriter {
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

async function writeFindings(
  w: LineWriter,
  format: Format,
  findings: FindingList,
  summary: ScanSummary,
): Promise<void> {
  if (format === "jsonl") {
    for (const f of findings) await w.line(findingJsonl(f));
  } else if (format === "csv") {
    await w.line(csvHeader());
    for (const f of findings) await w.line(findingCsv(f));
  } else if (format === "json") {
    // streamed, so a large result never becomes one giant string
    await w.line('{"findings": [');
    for (let i = 0; i < findings.length; i++)
      await w.line(`  ${JSON.stringify(findings.at(i))}${i < findings.length - 1 ? "," : ""}`);
    await w.line(`], "summary": ${JSON.stringify(summary)}}`);
  } else {
    if (findings.length === 0) await w.line("No findings.");
    else {
      const rows = [...findings].map((f) => [
        f.eventTime ?? "",
        f.rule.level,
        f.techniques.join(",") || "-",
        truncate(principalOf(f), 48),
        `${(f.eventSource ?? "").replace(/\.amazonaws\.com$/, "")}:${f.eventName ?? ""}${f.attempt ? ` (${f.errorCode})` : ""}`,
        truncate(f.rule.title, 60),
      ]);
      for (const l of table(["time", "level", "techniques", "principal", "event", "rule"], rows).split("\n"))
        await w.line(l);
    }
    if (summary.techniques.length > 0) {
      await w.line("");
      const rows = summary.techniques.map((t) => [
        t.id,
        truncate(t.name ?? "", 40),
        t.findings,
        t.attempts,
        t.firstSeen ?? "",
        t.lastSeen ?? "",
        truncate(t.principals.join(", "), 60),
      ]);
      for (const l of table(
        ["technique", "name", "findings", "attempts", "first seen", "last seen", "principals"],
        rows,
      ).split("\n"))
        await w.line(l);
    }
  }
}

async function runScan(paths: string[], o: ScanCliOpts): Promise<number> {
  if (!(FORMATS as readonly string[]).includes(o.format))
    throw new TechtrailError("VALIDATION", `unknown --format ${o.format} (use ${FORMATS.join(", ")})`);
  let workers: number | undefined;
  if (o.workers !== undefined) {
    if (!/^\d+$/.test(o.workers))
      throw new TechtrailError(
        "VALIDATION",
        `--workers must be a whole number (0 = no worker threads), got ${o.workers}`,
      );
    workers = Number(o.workers);
  }
  const showProgress = process.stderr.isTTY === true && !o.quiet;
  let shown = false;
  let baseline: Baseline | undefined;
  if (o.baseline) {
    const loaded = await loadBaseline(o.baseline);
    baseline = loaded.baseline;
    for (const w of loaded.warnings) log(`techtrail: warning: ${w}`);
  }
  const { list: findings, summary } = await scanPaths(
    paths,
    {
      ruleDirs: o.rules,
      builtinRules: o.builtinRules,
      strict: o.strict === true,
      ...(workers !== undefined ? { workers } : {}),
      ...(o.reorderWindow !== undefined
        ? { reorderWindowMs: durationOption("--reorder-window", o.reorderWindow) }
        : {}),
      ...(baseline ? { baseline } : {}),
    },
    // scanPaths loads the built-in catalog itself once the workers are starting (they compile rules meanwhile)
    {
      ...(showProgress
        ? {
            onProgress: (p: ScanProgress) => {
              shown = true;
              process.stderr.write(`\r${progressLine(p)}\x1b[K`);
            },
          }
        : {}),
    },
  );
  if (shown) process.stderr.write("\r\x1b[K");
  for (const e of summary.rules.errors)
    log(`techtrail: rule skipped: ${formatProblem({ ...e, message: `${e.message}` })}`);
  for (const ex of summary.skipped.examples)
    log(
      `techtrail: skipped (${ex.reason}): ${formatProblem({ source: ex.file, ...(ex.line !== undefined ? { line: ex.line } : {}), message: ex.index !== undefined ? `record ${ex.index}: ${ex.message}` : ex.message })}`,
    );
  if (!o.quiet) for (const w of summary.correlations?.warnings ?? []) log(`techtrail: warning: ${w}`);
  if (summary.skipped.total > summary.skipped.examples.length)
    log(
      `techtrail: ${summary.skipped.total - summary.skipped.examples.length} more skipped record(s) (see --summary-json)`,
    );

  const w = await LineWriter.open(o.out);
  try {
    await writeFindings(w, o.format as Format, findings, summary);
    await w.close();
  } catch (e) {
    await w.abort();
    if (isTechtrailError(e)) throw e;
    throw new TechtrailError("IO", `cannot write ${o.out ?? "stdout"}: ${(e as Error).message}`, { cause: e });
  }
  if (o.summaryJson) await writeOutput(o.summaryJson, `${JSON.stringify(summary, null, 2)}\n`);
  if (o.layer) {
    const scores = new Map(summary.techniques.map((t) => [t.id, t.findings]));
    const layers = buildNavigatorLayers(loadBuiltinCatalog(), scores, {
      name: "techtrail scan",
      description: `Techniques found by techtrail scan in ${paths.join(", ")}`,
    });
    writeFileAtomic(o.layer, `${JSON.stringify(layers.attack, null, 2)}\n`);
    writeFileAtomic(o.layer.replace(/(\.json)?$/, ".full.json"), `${JSON.stringify(layers.full, null, 2)}\n`);
  }
  if (!o.quiet) {
    const s = summary;
    log(
      `techtrail: ${s.events.read.toLocaleString("en-US")} events in ${s.files.scanned} file(s), ${s.findings.total} finding(s), ${s.techniques.length} technique(s), ${s.skipped.total} skipped, ${s.rules.loaded} rules (${s.rules.failed} failed), ${(s.durationMs / 1000).toFixed(2)} s, ${s.eventsPerSecond.toLocaleString("en-US")} events/s`,
    );
  }
  if (o.createIncident) await createIncidentFromScan(findings, { ...o, source: paths.join(", ") });
  return findings.length > 0 ? EXIT_FINDINGS : EXIT_OK;
}

export function registerScanCommands(program: Command): void {
  program
    .command("scan")
    .description(
      "scan CloudTrail logs (files, folders, - for stdin) with Sigma rules; exit 0 = no findings, 1 = findings, 2 = error",
    )
    .argument(
      "<paths...>",
      "CloudTrail files or folders (S3 delivery trees, JSON Lines, JSON arrays; gzip or plain), - for stdin",
    )
    .option(
      "--rules <dir>",
      "extra Sigma rules folder (repeatable)",
      (v: string, acc: string[]) => [...acc, v],
      [] as string[],
    )
    .option("--no-builtin-rules", "do not load the built-in rules")
    .option("--format <format>", `output format: ${FORMATS.join(", ")}`, "table")
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
      "incident store for --create-incident (default: TECHTRAIL_DATABASE_URL, TECHTRAIL_DB, ./techtrail.db)",
    )
    .option("--actor <name>", "who creates the incident, for the audit trail")
    .option(
      "--reorder-window <duration>",
      "correlations: how far behind newer events a matched event may arrive and still count (default 1h)",
    )
    .option("--baseline <file>", "first_seen rules: combinations already seen (from techtrail baseline build)")
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
