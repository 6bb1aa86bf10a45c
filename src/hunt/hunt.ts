// Hunting where the logs live: the rules compiled to Athena (Trino) or CloudTrail Lake SQL (src/sql), with
// partition predicates for the window, run through a QueryRunner, and the result rows turned into scan findings
// that go through the same summary as `techtrail scan`. Correlation queries and rules a dialect cannot express
// are named in the result, never dropped.
import type { Catalog } from "../catalog/catalog.js";
import { loadBuiltinCatalog } from "../catalog/load.js";
import { TechtrailError } from "../core/errors.js";
import { resolveRuleTechniques, type SIGMA_LEVELS } from "../rules/index.js";
import type { Finding, ScanSummary } from "../scan/model.js";
import { loadRuleLibrary, type RuleLibrary } from "../scan/rule-library.js";
import { compareFindings, EvidenceSampler, SummaryBuilder } from "../scan/summary.js";
import { type CompiledQuery, compileRules, type DialectName, type UnsupportedRule } from "../sql/index.js";

/** One query's rows, each a column → value map (null for SQL NULL). */
export type Row = Record<string, string | null>;

/** Runs one query where the logs are; `name` names it in messages (the rule ID). */
export interface QueryRunner {
  readonly engine: "athena" | "cloudtrail-lake";
  run(sql: string, name: string, signal?: AbortSignal): Promise<{ id: string; rows: Row[] }>;
}

export interface HuntOptions {
  dialect: Extract<DialectName, "athena" | "cloudtrail-lake">;
  /** Athena table (default cloudtrail_logs) or CloudTrail Lake event data store ID. */
  source: string;
  from?: string;
  to?: string;
  accounts?: string[];
  regions?: string[];
  ruleDirs?: string[];
  builtinRules?: boolean;
  minLevel?: (typeof SIGMA_LEVELS)[number];
  /** Queries run at once (default 4). */
  concurrency?: number;
}

export interface HuntPlan {
  dialect: HuntOptions["dialect"];
  queries: CompiledQuery[];
  /** Correlation queries: compiled, not run by hunt (their rows are groups, not events). */
  notRun: Array<{ ruleId: string; reason: string }>;
  unsupported: UnsupportedRule[];
  /** What the partition predicates restrict (for --dry-run). */
  partitions: string[];
}

export interface FailedQuery {
  ruleId: string;
  queryId?: string;
  message: string;
}

export interface HuntResult {
  findings: Finding[];
  evidence: Finding[];
  summary: ScanSummary;
  plan: HuntPlan;
  /** Queries that failed or were cancelled: the results are partial. */
  failed: FailedQuery[];
}

/** A failed or cancelled query, with the ID the engine gave it. */
export class QueryFailed extends Error {
  constructor(
    message: string,
    readonly queryId: string | undefined,
  ) {
    super(message);
  }
}

/** Compiles the rules for the dialect with the window's predicates (Athena: partitions too). */
export async function planHunt(o: HuntOptions, lib?: RuleLibrary): Promise<HuntPlan> {
  const library = lib ?? (await loadRuleLibrary({ ruleDirs: o.ruleDirs ?? [], builtin: o.builtinRules ?? true }));
  const result = compileRules(library, o.dialect, {
    source: o.source,
    ...(o.from ? { from: o.from } : {}),
    ...(o.to ? { to: o.to } : {}),
    ...(o.accounts?.length ? { accounts: o.accounts } : {}),
    ...(o.regions?.length ? { regions: o.regions } : {}),
  });
  const partitions: string[] = [];
  if (o.dialect === "athena") {
    partitions.push(`account: ${o.accounts?.length ? o.accounts.join(", ") : "all"}`);
    partitions.push(`region: ${o.regions?.length ? o.regions.join(", ") : "all"}`);
    partitions.push(
      `timestamp (day): ${o.from ? o.from.slice(0, 10).replace(/-/g, "/") : "any"} to ${o.to ? o.to.slice(0, 10).replace(/-/g, "/") : "any"}`,
    );
  } else partitions.push(`eventtime from ${o.from ?? "any"} to ${o.to ?? "any"} (CloudTrail Lake has no partitions)`);
  return {
    dialect: o.dialect,
    queries: result.queries.filter((q) => q.kind === "event"),
    notRun: result.queries
      .filter((q) => q.kind === "correlation")
      .map((q) => ({ ruleId: q.ruleId, reason: "correlation: run it with rules compile and your SQL client" })),
    unsupported: result.unsupported,
    partitions,
  };
}

const str = (v: string | null | undefined) => (v === null || v === undefined || v === "" ? undefined : v);

/** Athena returns eventtime as text; CloudTrail Lake as `2026-03-04 10:00:00.000`: both become ISO 8601. */
function isoTime(v: string | undefined): string | undefined {
  if (!v) return undefined;
  if (/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}/.test(v)) {
    const ms = Date.parse(`${v.replace(" ", "T").replace(/\.\d+$/, "")}Z`);
    return Number.isFinite(ms) ? new Date(ms).toISOString().replace(".000Z", "Z") : v;
  }
  return v;
}

/** Runs the plan's queries and turns their rows into findings (the same shape and summary as `scan`). */
export async function runHunt(
  o: HuntOptions,
  runner: QueryRunner,
  hooks: { catalog?: Catalog; onFindings?: (batch: Finding[]) => Promise<void> | void; signal?: AbortSignal } = {},
): Promise<HuntResult> {
  const t0 = performance.now();
  const lib = await loadRuleLibrary({ ruleDirs: o.ruleDirs ?? [], builtin: o.builtinRules ?? true });
  const plan = await planHunt(o, lib);
  const catalog = hooks.catalog ?? loadBuiltinCatalog();
  const byId = new Map(lib.rules.map((r) => [r.id, r]));
  const summaryBuilder = new SummaryBuilder(catalog, 100, o.minLevel);
  const evidence = new EvidenceSampler(20);
  const collected: Finding[] = [];
  const failed: FailedQuery[] = [];
  const LEVELS = ["informational", "low", "medium", "high", "critical"];
  const minRank = LEVELS.indexOf(o.minLevel ?? "informational");
  let rowsRead = 0;
  const queue = [...plan.queries];
  const worker = async () => {
    for (let q = queue.shift(); q; q = queue.shift()) {
      hooks.signal?.throwIfAborted();
      let res: { id: string; rows: Row[] };
      try {
        res = await runner.run(q.sql, q.ruleId, hooks.signal);
      } catch (e) {
        if (hooks.signal?.aborted) throw e;
        failed.push({
          ruleId: q.ruleId,
          ...(e instanceof QueryFailed && e.queryId ? { queryId: e.queryId } : {}),
          message: (e as Error).message,
        });
        continue;
      }
      const rule = byId.get(q.ruleId);
      const { techniques } = rule ? resolveRuleTechniques(rule, catalog) : { techniques: q.techniques };
      const tactics = new Set<string>();
      for (const id of techniques) for (const ta of catalog.technique(id)?.tactics ?? []) tactics.add(ta);
      const batch: Finding[] = [];
      res.rows.forEach((row, index) => {
        rowsRead++;
        const f: Finding = {
          rule: { id: q.ruleId, title: q.title, level: q.level as Finding["rule"]["level"] },
          techniques: [...techniques],
          tactics: [...tactics].sort(),
          attempt: false,
          origin: { file: `${runner.engine}:${res.id}`, index },
        };
        const set = (k: keyof Finding, v: string | undefined) => {
          if (v !== undefined) (f as Record<string, unknown>)[k] = v;
        };
        set("eventID", str(row.event_id));
        set("eventTime", isoTime(str(row.event_time)));
        set("eventSource", str(row.event_source));
        set("eventName", str(row.event_name));
        set("awsRegion", str(row.aws_region));
        set("sourceIPAddress", str(row.source_ip));
        set("userAgent", str(row.user_agent));
        set("errorCode", str(row.error_code));
        f.attempt = f.errorCode !== undefined;
        set("principalArn", str(row.principal_arn));
        set("accessKeyId", str(row.access_key_id));
        set("accountId", str(row.account_id));
        if (LEVELS.indexOf(f.rule.level) < minRank) {
          summaryBuilder.below();
          return;
        }
        summaryBuilder.add(f);
        evidence.add(f);
        batch.push(f);
      });
      if (hooks.onFindings) await hooks.onFindings(batch);
      else collected.push(...batch);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(o.concurrency ?? 4, queue.length)) }, worker));
  const durationMs = performance.now() - t0;
  const summary = summaryBuilder.build({
    inputs: [`${o.dialect}:${o.source}`],
    filesScanned: 0,
    filesSkipped: 0,
    bytes: 0,
    read: rowsRead,
    evaluated: rowsRead,
    matched: rowsRead,
    skipCounts: {},
    examples: [],
    rules: {
      loaded: plan.queries.length,
      failed: plan.unsupported.length + lib.errors.length,
      errors: plan.unsupported.map((u) => ({
        code: "UNSUPPORTED",
        source: u.source,
        message: `${u.ruleId}: not expressible in ${o.dialect}: ${u.construct}`,
      })),
      unknownTechniques: {},
    },
    workers: 0,
    durationMs,
    scanMs: durationMs,
  });
  if (failed.length > 0) summary.partial = { files: failed.length, byReason: { "query-failed": failed.length } };
  collected.sort(compareFindings);
  return { findings: collected, evidence: evidence.findings(), summary, plan, failed };
}

/** Polls until `check` says done; waits grow from 200 ms to 5 s. */
export async function poll<T>(
  check: () => Promise<T | undefined>,
  signal?: AbortSignal,
  what = "query",
  timeoutMs = 30 * 60_000,
): Promise<T> {
  const start = Date.now();
  let wait = 200;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() - start > timeoutMs)
      throw new TechtrailError("IO", `${what} still running after ${Math.round(timeoutMs / 60_000)} minutes`);
    signal?.throwIfAborted();
    await new Promise((r) => setTimeout(r, wait));
    wait = Math.min(5000, wait * 1.5);
  }
}
