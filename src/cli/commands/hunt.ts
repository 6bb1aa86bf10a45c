// `techtrail hunt --athena ... | --cloudtrail-lake ...`: the rules compiled to SQL (src/sql) run in Athena over the
// S3 trail or in CloudTrail Lake (src/hunt), their rows written as scan findings (JSON Lines, JSON, CSV) with the
// scan summary, --summary-json and --create-incident; --dry-run prints the queries and the partitions they read.

import type { Command } from "commander";
import { isTechtrailError, TechtrailError } from "../../core/errors.js";
import { writeOutput } from "../../core/fs.js";
import { type HuntOptions, planHunt, runHunt } from "../../hunt/hunt.js";
import { SIGMA_LEVELS } from "../../rules/index.js";
import { hasCatalogSelection, OVERLAY_OPTION_HELP, openCatalog } from "../catalog-options.js";
import { EXIT_FINDINGS, EXIT_OK, EXIT_PARTIAL, EXIT_SCAN_ERROR } from "../exit-codes.js";
import { log, out, safeText } from "../output.js";
import { FindingsOutput, LineWriter, windowOptions } from "./scan.js";

const HUNT_FORMATS = ["jsonl", "json", "csv"] as const;

interface HuntCliOpts {
  athena?: boolean;
  cloudtrailLake?: boolean;
  database?: string;
  table: string;
  workgroup: string;
  output?: string;
  catalog?: string;
  overlay?: string;
  eventDataStore?: string;
  from?: string;
  to?: string;
  accounts: string[];
  regions: string[];
  rules: string[];
  builtinRules: boolean;
  dryRun?: boolean;
  format: string;
  json?: boolean;
  minLevel: string;
  out?: string;
  summaryJson?: string;
  region?: string;
  maxAttempts?: string;
  concurrency?: string;
  quiet?: boolean;
  createIncident?: boolean;
  title?: string;
  db?: string;
  actor?: string;
}

const collect = (v: string, acc: string[]) => [...acc, v];

function huntOptions(o: HuntCliOpts): HuntOptions {
  if (o.athena === o.cloudtrailLake)
    throw new TechtrailError("VALIDATION", "give exactly one of --athena and --cloudtrail-lake");
  const w = windowOptions(o);
  const iso = (ms: number | undefined) =>
    ms === undefined ? undefined : new Date(ms).toISOString().replace(".000Z", "Z");
  if (o.athena && !o.dryRun) {
    const missing = [
      ["--database", o.database],
      ["--output", o.output],
    ].filter(([, v]) => !v);
    if (missing.length > 0)
      throw new TechtrailError("VALIDATION", `--athena needs ${missing.map(([f]) => f).join(" and ")}`);
    if (!/^s3:\/\/[^/]+/.test(o.output ?? ""))
      throw new TechtrailError(
        "VALIDATION",
        `--output must be an s3:// location for the query results, got ${o.output}`,
      );
  }
  if (o.cloudtrailLake && !o.eventDataStore)
    throw new TechtrailError("VALIDATION", "--cloudtrail-lake needs --event-data-store ID (its ID or ARN)");
  if (!(SIGMA_LEVELS as readonly string[]).includes(o.minLevel))
    throw new TechtrailError("VALIDATION", `unknown --min-level ${o.minLevel} (use ${SIGMA_LEVELS.join(", ")})`);
  const from = iso(w?.fromMs);
  const to = iso(w?.toMs);
  const concurrency = o.concurrency === undefined ? undefined : Number(o.concurrency);
  if (concurrency !== undefined && !(Number.isInteger(concurrency) && concurrency >= 1 && concurrency <= 32))
    throw new TechtrailError("VALIDATION", `--concurrency must be a whole number from 1 to 32, got ${o.concurrency}`);
  return {
    dialect: o.athena ? "athena" : "cloudtrail-lake",
    source: o.athena ? o.table : (o.eventDataStore as string),
    ...(from ? { from } : {}),
    ...(to ? { to } : {}),
    ...(w?.accounts ? { accounts: w.accounts } : {}),
    ...(w?.regions ? { regions: w.regions } : {}),
    ruleDirs: o.rules,
    builtinRules: o.builtinRules,
    minLevel: o.minLevel as HuntOptions["minLevel"] & string,
    ...(concurrency ? { concurrency } : {}),
  };
}

async function runHuntCli(o: HuntCliOpts): Promise<number> {
  if (o.json) o.format = "json";
  if (!(HUNT_FORMATS as readonly string[]).includes(o.format))
    throw new TechtrailError("VALIDATION", `unknown --format ${o.format} (use ${HUNT_FORMATS.join(", ")})`);
  const opts = huntOptions(o);
  if (o.dryRun) {
    const plan = await planHunt(opts);
    out(`-- ${plan.dialect}: ${plan.queries.length} quer${plan.queries.length === 1 ? "y" : "ies"}`);
    for (const p of plan.partitions) out(`-- reads ${p}`);
    for (const q of plan.queries) {
      out("");
      out(`${q.sql};`);
    }
    for (const n of plan.notRun) log(`techtrail: not run by hunt: ${n.ruleId} (${n.reason})`);
    for (const u of plan.unsupported)
      log(`techtrail: not expressible in ${plan.dialect}: ${u.ruleId} (${u.source}): ${u.construct}`);
    return EXIT_OK;
  }
  // the AWS clients are loaded only to run queries
  const { AthenaRunner, LakeRunner } = await import("../../hunt/runners.js");
  const maxAttempts = o.maxAttempts === undefined ? undefined : Number(o.maxAttempts);
  const aws = { ...(o.region ? { region: o.region } : {}), ...(maxAttempts ? { maxAttempts } : {}) };
  const runner = o.athena
    ? new AthenaRunner(
        {
          database: o.database as string,
          workgroup: o.workgroup,
          output: o.output as string,
          ...(o.catalog ? { catalog: o.catalog } : {}),
        },
        aws,
      )
    : new LakeRunner(o.eventDataStore as string, aws);
  const w = await LineWriter.open(o.out);
  const output = new FindingsOutput(w, o.format as "json", 100);
  let result: Awaited<ReturnType<typeof runHunt>>;
  try {
    await output.start();
    // --catalog is Athena's data catalog here: the technique catalog comes from TECHTRAIL_CATALOG, with --overlay.
    const catalogSel = { ...(o.overlay ? { overlay: o.overlay } : {}) };
    result = await runHunt(opts, runner, {
      onFindings: (batch) => output.write(batch),
      ...(hasCatalogSelection(catalogSel) ? { catalog: openCatalog(catalogSel) } : {}),
    });
    await output.end(result.summary);
    await w.close();
  } catch (e) {
    await w.abort();
    throw e;
  }
  const { summary, failed, plan } = result;
  for (const n of plan.notRun) log(`techtrail: not run by hunt: ${n.ruleId} (${n.reason})`);
  for (const u of plan.unsupported)
    log(`techtrail: not expressible in ${plan.dialect} (use scan for it): ${u.ruleId} (${u.source}): ${u.construct}`);
  for (const f of failed) log(`techtrail: query failed: ${safeText(f.message)}`);
  if (o.summaryJson) await writeOutput(o.summaryJson, `${JSON.stringify(summary, null, 2)}\n`);
  if (!o.quiet)
    log(
      `techtrail: ${plan.queries.length - failed.length} of ${plan.queries.length} ${plan.dialect} queries ran; ${summary.findings.total} finding(s), ${summary.techniques.length} technique(s)`,
    );
  if (failed.length > 0)
    log(
      `techtrail: PARTIAL hunt: ${failed.length} quer${failed.length === 1 ? "y" : "ies"} failed or cancelled; findings cover only the others`,
    );
  if (o.createIncident && summary.findings.total > 0) {
    const { createIncidentFromScan } = await import("./incident.js");
    await createIncidentFromScan(result.evidence, {
      ...o,
      source: `${plan.dialect}:${opts.source}`,
      totals: {
        findings: summary.findings.total,
        byTechnique: Object.fromEntries(summary.techniques.map((t) => [t.id, t.findings])),
      },
    });
  } else if (o.createIncident) log("techtrail: no findings: no incident created");
  if (summary.findings.total > 0) return EXIT_FINDINGS;
  return failed.length > 0 ? EXIT_PARTIAL : EXIT_OK;
}

export function registerHuntCommand(program: Command): void {
  program
    .command("hunt")
    .description(
      "run the rules where the logs live: Athena over the S3 trail (--athena) or CloudTrail Lake (--cloudtrail-lake); findings as from scan; exit 0 = none, 1 = findings, 2 = error, 10 = partial (a query failed)",
    )
    .option("--athena", "run in Amazon Athena over the CloudTrail table")
    .option("--database <name>", "Athena database holding the CloudTrail table")
    .option(
      "--table <name>",
      "Athena CloudTrail table (partition projection on account, region, timestamp)",
      "cloudtrail_logs",
    )
    .option("--workgroup <name>", "Athena workgroup", "primary")
    .option("--output <s3url>", "Athena query result location (s3://bucket/prefix/)")
    .option("--catalog <name>", "Athena data catalog (default AwsDataCatalog)")
    .option("--overlay <dir>", `${OVERLAY_OPTION_HELP}; the technique catalog is TECHTRAIL_CATALOG here`)
    .option("--cloudtrail-lake", "run in CloudTrail Lake")
    .option("--event-data-store <id>", "CloudTrail Lake event data store ID")
    .option("--from <time>", "only events at or after this time (YYYY-MM-DD or ISO 8601)")
    .option("--to <time>", "only events before this time (YYYY-MM-DD = up to the end of that UTC day)")
    .option("--accounts <ids>", "only these accounts (comma-separated, repeatable)", collect, [] as string[])
    .option("--regions <names>", "only these regions (comma-separated, repeatable)", collect, [] as string[])
    .option("--rules <dir>", "extra Sigma rules folder (repeatable)", collect, [] as string[])
    .option("--no-builtin-rules", "do not load the built-in rules")
    .option("--dry-run", "print the queries and the partitions they would read; run nothing")
    .option("--format <format>", `output format: ${HUNT_FORMATS.join(", ")}`, "jsonl")
    .option("--json", "the same as --format json")
    .option("--min-level <level>", "show findings of rules at this Sigma level or above", "low")
    .option("--out <file>", "write findings to a file instead of stdout")
    .option("--summary-json <file>", "write the summary as JSON")
    .option("--region <region>", "AWS region of Athena or the event data store (default AWS_REGION)")
    .option("--max-attempts <n>", "attempts per AWS request, with back-off on throttling (default 5)")
    .option("--concurrency <n>", "queries run at once (default 4)")
    .option("--quiet", "no closing statistics on stderr")
    .option("--create-incident", "store a draft incident whose technique tags carry the findings as evidence")
    .option("--title <text>", "title of the draft incident (with --create-incident)")
    .option("--db <file|url>", "incident store for --create-incident")
    .option("--actor <name>", "who creates the incident, for the audit trail")
    .action(async (o: HuntCliOpts) => {
      try {
        process.exitCode = await runHuntCli(o);
      } catch (e) {
        if (!isTechtrailError(e)) throw e;
        process.stderr.write(`techtrail: ${safeText(e.describe())}\n`);
        process.exitCode = EXIT_SCAN_ERROR;
      }
    });
}
