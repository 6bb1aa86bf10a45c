// `techtrail playbooks list|show|gaps`: the playbook registry (built-in `playbooks/` plus --playbooks
// folders) and the "which playbook do we write next" ranking from incident analytics.

import type { Command } from "commander";
import { formatDuration } from "../../analytics/timing.js";
import { TechtrailError } from "../../core/errors.js";
import { playbookGaps } from "../../playbooks/gaps.js";
import { loadPlaybooks, PHASES, requirePlaybook } from "../../playbooks/playbooks.js";
import { addFilterOptions, type FilterOptions, filterFromOptions, withStore } from "../analytics-options.js";
import { CATALOG_OPTION_HELP, OVERLAY_OPTION_HELP, openCatalog } from "../catalog-options.js";
import { out, printJson, table, truncate } from "../output.js";

interface PbOpts {
  playbooks?: string[];
  builtin?: boolean;
  catalog?: string;
  json?: boolean;
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

function number(v: string | undefined, name: string, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0)
    throw new TechtrailError("VALIDATION", `${name} must be a positive number, got "${v}"`, {
      problems: [{ field: name, message: "expected a positive number" }],
    });
  return n;
}

export function registerPlaybooksCommand(program: Command): void {
  const pb = program
    .command("playbooks")
    .description("incident-response playbooks: list, show, and which to write or review next");
  const common = (c: Command) =>
    c
      .option("--playbooks <dir>", "extra playbook folder (repeatable; overrides built-ins with the same ID)", collect)
      .option("--no-builtin", "leave out the built-in playbooks")
      .option("--catalog <dir>", CATALOG_OPTION_HELP)
      .option("--overlay <dir>", OVERLAY_OPTION_HELP)
      .option("--json", "machine-readable output");
  const registry = (o: PbOpts) => {
    const catalog = openCatalog(o);
    return { catalog, reg: loadPlaybooks(catalog, { dirs: o.playbooks ?? [], builtin: o.builtin !== false }) };
  };

  common(pb.command("list").description("list playbooks with status, owner, review date and techniques")).action(
    (_o, cmd: Command) => {
      const o = cmd.opts() as PbOpts;
      const { reg } = registry(o);
      if (o.json) return printJson(reg.playbooks.map(({ body: _b, ...rest }) => rest));
      if (reg.playbooks.length === 0) return out("no playbooks");
      out(
        table(
          ["id", "status", "owner", "last reviewed", "techniques", "missing phases"],
          reg.playbooks.map((p) => [
            p.id,
            p.status,
            p.owner,
            p.last_reviewed,
            truncate(p.techniques.join(", "), 60),
            p.missingPhases.join(", "),
          ]),
        ),
      );
    },
  );

  common(pb.command("show <id>").description("print one playbook")).action((id: string, _o, cmd: Command) => {
    const o = cmd.opts() as PbOpts;
    const { catalog, reg } = registry(o);
    const p = requirePlaybook(reg, id);
    if (o.json) return printJson(p);
    out(`${p.title}  [${p.id}, ${p.status}, owner ${p.owner}, last reviewed ${p.last_reviewed}]`);
    out(`file: ${p.file}`);
    out(`techniques: ${p.techniques.map((t) => `${t} ${catalog.technique(t)?.name ?? ""}`).join("; ")}`);
    if (p.missingPhases.length)
      out(`missing phases: ${p.missingPhases.map((m) => PHASES.find((x) => x.id === m)?.title ?? m).join(", ")}`);
    out("");
    out(p.body);
  });

  const gaps = common(
    pb
      .command("gaps")
      .description("rank techniques seen in incidents by priority and mark missing, draft or stale playbooks"),
  )
    .option("--stale-months <n>", "a playbook not reviewed for this many months is stale", "12")
    .option("--contain-hours <h>", "median time to contain above this is a response gap", "24")
    .option("--detect-hours <h>", "median time to detect above this is a response gap", "72")
    .option("--as-of <date>", "reference date for staleness (default today)")
    .option("-n, --limit <n>", "techniques shown", "20");
  addFilterOptions(gaps);
  gaps.action(async (_o, cmd: Command) => {
    const o = cmd.opts() as PbOpts &
      FilterOptions & { staleMonths: string; containHours: string; detectHours: string; asOf?: string; limit: string };
    const { catalog, reg } = registry(o);
    const f = filterFromOptions(o);
    const asOf = o.asOf ? filterFromOptions({ from: o.asOf }).from : undefined;
    const r = await withStore(o, (s) =>
      playbookGaps(s, catalog, reg.playbooks, f, {
        staleMonths: number(o.staleMonths, "--stale-months", 12),
        containHours: number(o.containHours, "--contain-hours", 24),
        detectHours: number(o.detectHours, "--detect-hours", 72),
        ...(asOf ? { asOf } : {}),
      }),
    );
    if (o.json) return printJson(r);
    out(
      `playbook gaps: ${r.scope.incidents} incident(s), ${r.playbooks} playbook(s), stale after ${r.staleMonths} months (as of ${r.asOf})`,
    );
    if (r.scope.note) out(`note: ${r.scope.note}`);
    if (r.scope.empty) return;
    out(
      "priority = Σ severity weight (P1=10 P2=5 P3=2 P4=1) × trend factor (share this quarter ÷ share last quarter, smoothed, within 0.5–2)",
    );
    out(
      `write or review next: ${r.next.slice(0, 5).join(", ") || "nothing — every technique seen has an active, current playbook"}`,
    );
    out("");
    const n = number(o.limit, "--limit", 20);
    out(
      table(
        ["#", "technique", "name", "incidents", "weighted", "trend", "priority", "status", "playbooks"],
        r.techniques
          .slice(0, n)
          .map((t) => [
            t.rank,
            t.id,
            truncate(t.name ?? "(not in catalog)", 34),
            t.incidents,
            t.weighted,
            `×${t.trendFactor.toFixed(2)}`,
            t.priority,
            t.status,
            t.playbooks.map((p) => `${p.id}${p.status !== "active" ? ` (${p.status})` : ""}`).join(", "),
          ]),
      ),
    );
    out("");
    if (r.responseGaps.length === 0) return out("response-capability gaps: none above the thresholds");
    out("response-capability gaps (median above threshold):");
    out(
      table(
        ["technique", "name", "slow to", "median", "threshold", "incidents", "playbooks"],
        r.responseGaps.map((g) => [
          g.id,
          truncate(g.name ?? "", 34),
          g.kind,
          formatDuration(g.median),
          formatDuration(g.thresholdSeconds),
          g.samples,
          g.playbooks.join(", ") || "none",
        ]),
      ),
    );
  });
}
