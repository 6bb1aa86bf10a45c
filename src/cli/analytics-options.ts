// Options shared by the analytics commands (stats, report, playbooks gaps, coverage): the store location
// (--db, else TECHTRAIL_DATABASE_URL / TECHTRAIL_DB / ./techtrail.db) and the incident filters.
import type { Command } from "commander";
import { type AnalyticsFilter, parseAnalyticsFilter, quarterRange } from "../analytics/model.js";
import { TechtrailError } from "../core/errors.js";
import { openStore } from "../store/open.js";
import type { Store } from "../store/store.js";

export interface FilterOptions {
  db?: string;
  from?: string;
  to?: string;
  quarter?: string;
  severity?: string;
  account?: string;
  actor?: string;
  tag?: string;
  demo?: string;
}

export function addStoreOption(cmd: Command): Command {
  return cmd.option(
    "--db <file|url>",
    "SQLite file or postgres:// URL (default: TECHTRAIL_DATABASE_URL, TECHTRAIL_DB or ./techtrail.db)",
  );
}

export function addFilterOptions(cmd: Command, opts: { quarter?: boolean } = {}): Command {
  addStoreOption(cmd);
  if (opts.quarter !== false) cmd.option("--quarter <yyyyQn>", "one quarter, e.g. 2026Q3 (instead of --from/--to)");
  return cmd
    .option("--from <date>", "incidents dated on or after this date")
    .option("--to <date>", "incidents dated up to this date (a bare date includes the whole day)")
    .option("--severity <list>", "comma-separated severities, e.g. P1,P2")
    .option("--account <id>", "incidents in this AWS account")
    .option("--actor <name>", "incidents attributed to this threat actor")
    .option("--tag <tag>", "incidents with this tag")
    .option("--demo <mode>", "demo incidents: include (default), only or exclude", "include");
}

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

/** The analytics filter from command options; a bare `--to` date is inclusive. */
export function filterFromOptions(o: FilterOptions): AnalyticsFilter {
  const input: Record<string, unknown> = {};
  if (o.quarter) {
    if (o.from || o.to)
      throw new TechtrailError("VALIDATION", "use either --quarter or --from/--to, not both", {
        problems: [{ field: "--quarter", message: "conflicts with --from/--to" }],
      });
    Object.assign(input, quarterRange(o.quarter));
  }
  if (o.from) input.from = o.from;
  if (o.to) {
    const to = o.to.trim();
    if (DATE_ONLY.test(to)) {
      const ms = Date.parse(`${to}T00:00:00Z`);
      input.to = Number.isNaN(ms) ? to : new Date(ms + 86_400_000).toISOString();
    } else input.to = to;
  }
  if (o.severity)
    input.severity = o.severity
      .split(",")
      .map((s) => s.trim().toUpperCase())
      .filter(Boolean);
  if (o.account) input.account = o.account;
  if (o.actor) input.actor = o.actor;
  if (o.tag) input.tag = o.tag;
  const demo = (o.demo ?? "include").toLowerCase();
  if (demo === "only") input.demo = true;
  else if (demo === "exclude") input.demo = false;
  else if (demo !== "include")
    throw new TechtrailError("VALIDATION", `--demo must be include, only or exclude, got ${o.demo}`, {
      problems: [{ field: "--demo", message: "expected include, only or exclude" }],
    });
  try {
    const f = parseAnalyticsFilter(input);
    if (f.from && f.to && Date.parse(f.to) <= Date.parse(f.from))
      throw new TechtrailError("VALIDATION", `--to (${o.to}) must be after --from (${o.from})`, {
        problems: [{ field: "--to", message: "the period is empty" }],
      });
    return f;
  } catch (e) {
    if (e instanceof TechtrailError && e.problems.length)
      for (const p of e.problems) if (p.field && !p.field.startsWith("--")) p.field = `--${p.field}`;
    throw e;
  }
}

/** Opens an existing store (these commands only read: a missing SQLite file is an error), runs fn, always closes. */
export async function withStore<T>(o: { db?: string }, fn: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStore({ ...(o.db ? { db: o.db } : {}), mustExist: true });
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}
