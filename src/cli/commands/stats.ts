// `techtrail stats <frequency|trend|cooccurrence|paths|actors|timing|mitigations|share|compare>`: incident analytics
// from the store, as text tables or --json. The work is done by src/analytics; this only formats.

import type { Command } from "commander";
import {
  actorProfiles,
  formatDuration,
  matchIncidentToActors,
  mitigationImpact,
  responseTiming,
  type Scope,
  tacticPaths,
  techniqueCooccurrence,
  techniqueFrequency,
  techniqueTrend,
} from "../../analytics/index.js";
import type { Catalog } from "../../catalog/catalog.js";
import { TechtrailError } from "../../core/errors.js";
import { addFilterOptions, type FilterOptions, filterFromOptions, withStore } from "../analytics-options.js";
import { CATALOG_OPTION_HELP, OVERLAY_OPTION_HELP, openCatalog } from "../catalog-options.js";
import { out, printJson, table, truncate } from "../output.js";
import { registerShareCommands } from "./stats-share.js";

type Opts = FilterOptions & { json?: boolean; catalog?: string; limit?: string };

export const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;

function positiveInt(v: string | undefined, name: string, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1)
    throw new TechtrailError("VALIDATION", `${name} must be a positive integer, got "${v}"`, {
      problems: [{ field: name, message: "expected a positive integer" }],
    });
  return n;
}

function header(scope: Scope, what: string): void {
  const f = scope.filter;
  const period = f.from || f.to ? ` ${f.from ?? "…"} → ${f.to ?? "…"}` : "";
  out(`${what}: ${scope.incidents} incident(s)${period}`);
  if (scope.note) out(`note: ${scope.note}`);
}

function techName(c: Catalog, id: string): string {
  return truncate(c.technique(id)?.name ?? "(not in catalog)", 44);
}

async function run(cmd: Command, fn: (o: Opts, catalog: Catalog) => Promise<void>): Promise<void> {
  const o = cmd.opts() as Opts;
  await fn(o, openCatalog(o));
}

/** Adds a `stats` subcommand with the options they all share (--json, --catalog, the filters). */
type Subcommand = (name: string, description: string) => Command;

export function registerStatsCommand(program: Command): void {
  const stats = program
    .command("stats")
    .description("incident analytics: frequency, trend, co-occurrence, paths, actors, timing, mitigations");
  const sub = (name: string, description: string) => {
    const c = stats.command(name).description(description).option("--json", "machine-readable output");
    c.option("--catalog <dir>", CATALOG_OPTION_HELP).option("--overlay <dir>", OVERLAY_OPTION_HELP);
    addFilterOptions(c);
    return c;
  };
  registerFrequency(sub);
  registerTrend(sub);
  registerCooccurrence(sub);
  registerPaths(sub);
  registerActors(sub);
  registerTiming(sub);
  registerMitigations(sub);
  registerShareCommands(stats);
}

/** `stats frequency`: incidents per technique and per tactic, with their share. */
function registerFrequency(sub: Subcommand): void {
  sub("frequency", "incidents per technique and per tactic, with their share")
    .option("-n, --limit <n>", "techniques shown", "25")
    .action(async (_o, cmd: Command) =>
      run(cmd, async (o, catalog) => {
        const f = filterFromOptions(o);
        const r = await withStore(o, (s) => techniqueFrequency(s, catalog, f));
        if (o.json) return printJson(r);
        header(r.scope, "technique frequency");
        if (r.scope.empty) return;
        out(`${r.tagged} incident(s) carry technique tags`);
        out("");
        const n = positiveInt(o.limit, "--limit", 25);
        out(
          table(
            ["technique", "name", "incidents", "share"],
            r.techniques.slice(0, n).map((t) => [t.id, techName(catalog, t.id), t.incidents, pct(t.share)]),
          ),
        );
        out("");
        out(
          table(
            ["tactic", "name", "incidents", "share"],
            r.tactics.map((t) => [t.id, t.name, t.incidents, pct(t.share)]),
          ),
        );
      }),
    );
}

/** `stats trend`: incidents per technique per quarter, change against the previous quarter, new techniques. */
function registerTrend(sub: Subcommand): void {
  sub("trend", "incidents per technique per quarter, change against the previous quarter, new techniques")
    .option("--quarters <n>", "quarters shown, ending with the current one", "4")
    .option("-n, --limit <n>", "techniques shown", "25")
    .action(async (_o, cmd: Command) =>
      run(cmd, async (o, catalog) => {
        const oo = o as Opts & { quarters: string };
        // --quarter names the current quarter of the trend, not a filter on one quarter.
        const f = filterFromOptions({ ...o, quarter: undefined });
        const r = await withStore(o, (s) =>
          techniqueTrend(s, catalog, f, {
            ...(o.quarter ? { quarter: o.quarter } : {}),
            quarters: positiveInt(oo.quarters, "--quarters", 4),
          }),
        );
        if (o.json) return printJson(r);
        header(r.scope, `trend to ${r.current ?? "(no data)"}`);
        if (!r.current || r.scope.empty) return;
        out(`incidents per quarter: ${r.quarters.map((q) => `${q.quarter} ${q.incidents}`).join(", ")}`);
        out(`new in ${r.current}: ${r.newTechniques.length ? r.newTechniques.join(", ") : "none"}`);
        out("");
        const n = positiveInt(o.limit, "--limit", 25);
        out(
          table(
            ["technique", "name", ...r.quarters.map((q) => q.quarter), "change", ""],
            r.techniques
              .slice(0, n)
              .map((t) => [
                t.id,
                techName(catalog, t.id),
                ...t.counts,
                `${t.change >= 0 ? "+" : ""}${t.change}${t.changePct === null ? "" : ` (${t.changePct >= 0 ? "+" : ""}${Math.round(t.changePct * 100)}%)`}`,
                t.isNew ? "new" : "",
              ]),
          ),
        );
      }),
    );
}

/** `stats cooccurrence`: technique pairs seen in the same incidents: count, support, confidence, lift. */
function registerCooccurrence(sub: Subcommand): void {
  sub("cooccurrence", "technique pairs seen in the same incidents: count, support, confidence, lift")
    .option("--min-count <n>", "leave out pairs seen in fewer incidents", "2")
    .option("--sort <by>", "count or lift", "count")
    .option("-n, --limit <n>", "pairs shown", "25")
    .action(async (_o, cmd: Command) =>
      run(cmd, async (o, catalog) => {
        const oo = o as Opts & { minCount: string; sort: string };
        const f = filterFromOptions(o);
        const r = await withStore(o, (s) =>
          techniqueCooccurrence(s, catalog, f, {
            minCount: positiveInt(oo.minCount, "--min-count", 2),
            limit: positiveInt(o.limit, "--limit", 25),
            sort: oo.sort === "lift" ? "lift" : "count",
          }),
        );
        if (o.json) return printJson(r);
        header(r.scope, "technique co-occurrence");
        if (r.scope.empty) return;
        out(`${r.multiTechnique} incident(s) with two or more techniques, ${r.distinctPairs} distinct pair(s)`);
        out("");
        out(
          table(
            ["a", "b", "incidents", "support", "conf a→b", "conf b→a", "lift"],
            r.pairs.map((p) => [
              p.a,
              p.b,
              p.count,
              pct(p.support),
              pct(p.confidenceAB),
              pct(p.confidenceBA),
              p.lift.toFixed(2),
            ]),
          ),
        );
      }),
    );
}

/** `stats paths`: tactic progressions inside incidents (by first-seen time) and the most common paths. */
function registerPaths(sub: Subcommand): void {
  sub("paths", "tactic progressions inside incidents (by first-seen time) and the most common paths")
    .option("-n, --limit <n>", "paths shown", "15")
    .action(async (_o, cmd: Command) =>
      run(cmd, async (o, catalog) => {
        const f = filterFromOptions(o);
        const r = await withStore(o, (s) => tacticPaths(s, catalog, f, { limit: positiveInt(o.limit, "--limit", 15) }));
        if (o.json) return printJson(r);
        header(r.scope, "tactic paths");
        if (r.scope.empty) return;
        out(
          table(
            ["incidents", "share", "path"],
            r.paths.map((p) => [p.incidents, pct(p.share), p.names.join(" → ")]),
          ),
        );
        out("");
        const name = (id: string) => catalog.tactic(id)?.name ?? id;
        out(
          table(
            ["from", "to", "incidents"],
            r.transitions.slice(0, 15).map((t) => [name(t.from), name(t.to), t.count]),
          ),
        );
      }),
    );
}

/** `stats actors`: threat-actor technique profiles and similarity; --incident KEY: which actor it looks like. */
function registerActors(sub: Subcommand): void {
  sub("actors", "threat-actor technique profiles and similarity; --incident KEY: which actor it looks like")
    .option("--incident <key>", "compare one incident with every actor's profile")
    .option("--min-share <x>", "share of an actor's incidents a technique needs to be in its signature", "0.2")
    .action(async (_o, cmd: Command) =>
      run(cmd, async (o, catalog) => {
        const oo = o as Opts & { incident?: string; minShare: string };
        const minShare = Number(oo.minShare);
        if (!(minShare > 0 && minShare <= 1))
          throw new TechtrailError("VALIDATION", `--min-share must be a number in (0, 1], got "${oo.minShare}"`, {
            problems: [{ field: "--min-share", message: "expected a share such as 0.2" }],
          });
        const f = filterFromOptions(o);
        if (oo.incident) {
          const key = oo.incident;
          const m = await withStore(o, (s) => matchIncidentToActors(s, catalog, key, f, { minShare }));
          if (o.json) return printJson(m);
          out(
            `${m.incident}: ${m.techniques.join(", ") || "no techniques"}${m.attributedTo ? ` (attributed to ${m.attributedTo})` : ""}`,
          );
          if (m.note) out(`note: ${m.note}`);
          const best = m.matches[0];
          if (best && best.jaccard > 0)
            out(`looks most like ${best.name} (Jaccard ${best.jaccard.toFixed(2)}; shared: ${best.shared.join(", ")})`);
          out("");
          out(
            table(
              ["actor", "jaccard", "shared techniques", "incidents"],
              m.matches.map((x) => [x.name, x.jaccard.toFixed(2), x.shared.join(", "), x.incidents]),
            ),
          );
          return;
        }
        const r = await withStore(o, (s) => actorProfiles(s, catalog, f, { minShare }));
        if (o.json) return printJson(r);
        header(r.scope, "threat actors");
        if (r.scope.empty || r.actors.length === 0) return;
        out(
          table(
            ["actor", "incidents", "signature techniques"],
            r.actors.map((a) => [a.name, a.incidents, a.signature.join(", ")]),
          ),
        );
        out("");
        out(
          table(
            ["actor a", "actor b", "jaccard", "weighted", "shared"],
            r.similarity
              .slice(0, 15)
              .map((s) => [s.a, s.b, s.jaccard.toFixed(2), s.weighted.toFixed(2), s.shared.join(", ")]),
          ),
        );
      }),
    );
}

/** `stats timing`: time to detect and to contain (median, p90) per technique and per detection source. */
function registerTiming(sub: Subcommand): void {
  sub("timing", "time to detect and to contain (median, p90) per technique and per detection source")
    .option("-n, --limit <n>", "techniques shown", "25")
    .action(async (_o, cmd: Command) =>
      run(cmd, async (o, catalog) => {
        const f = filterFromOptions(o);
        const r = await withStore(o, (s) => responseTiming(s, catalog, f));
        if (o.json) return printJson(r);
        header(r.scope, "response timing");
        if (r.scope.empty) return;
        const d = formatDuration;
        out(
          `overall: detect median ${d(r.overall.timeToDetect.median)} (p90 ${d(r.overall.timeToDetect.p90)}), contain median ${d(r.overall.timeToContain.median)} (p90 ${d(r.overall.timeToContain.p90)})`,
        );
        out("");
        out("detection-source mix:");
        out(
          table(
            ["source", "incidents", "share", "detect median", "detect p90", "contain median", "contain p90"],
            r.bySource.map((s) => [
              s.name ?? s.key,
              s.incidents,
              pct(s.share),
              d(s.timeToDetect.median),
              d(s.timeToDetect.p90),
              d(s.timeToContain.median),
              d(s.timeToContain.p90),
            ]),
          ),
        );
        out("");
        const n = positiveInt(o.limit, "--limit", 25);
        out(
          table(
            ["technique", "name", "incidents", "detect median", "detect p90", "contain median", "contain p90"],
            r.byTechnique
              .slice(0, n)
              .map((t) => [
                t.key,
                techName(catalog, t.key),
                t.incidents,
                d(t.timeToDetect.median),
                d(t.timeToDetect.p90),
                d(t.timeToContain.median),
                d(t.timeToContain.p90),
              ]),
          ),
        );
      }),
    );
}

/** `stats mitigations`: catalog mitigations ranked by severity-weighted incidents they would have addressed. */
function registerMitigations(sub: Subcommand): void {
  sub("mitigations", "catalog mitigations ranked by severity-weighted incidents they would have addressed")
    .option("-n, --limit <n>", "mitigations shown", "15")
    .option("--examples <n>", "incidents listed per mitigation", "5")
    .action(async (_o, cmd: Command) =>
      run(cmd, async (o, catalog) => {
        const oo = o as Opts & { examples: string };
        const f = filterFromOptions(o);
        const r = await withStore(o, (s) =>
          mitigationImpact(s, catalog, f, {
            limit: positiveInt(o.limit, "--limit", 15),
            incidentLimit: positiveInt(oo.examples, "--examples", 5),
          }),
        );
        if (o.json) return printJson(r);
        header(r.scope, "mitigation impact");
        if (r.scope.empty) return;
        out(
          `weights: ${Object.entries(r.weights)
            .map(([k, v]) => `${k}=${v}`)
            .join(" ")}; ${r.unmitigated} incident(s) involve no mitigated technique`,
        );
        out("");
        out(
          table(
            [
              "mitigation",
              "name",
              "score",
              "incidents",
              "P1/P2/P3/P4",
              "top techniques",
              "incidents (most severe first)",
            ],
            r.mitigations.map((m) => [
              m.id,
              truncate(m.name, 36),
              m.score,
              m.incidents,
              ["P1", "P2", "P3", "P4"].map((s) => m.bySeverity[s] ?? 0).join("/"),
              m.techniques
                .slice(0, 3)
                .map((t) => t.id)
                .join(", "),
              m.examples.map((e) => e.key).join(", "),
            ]),
          ),
        );
      }),
    );
}
