// `techtrail stats <frequency|trend|cooccurrence|paths|actors|timing|mitigations|share|compare>`: incident analytics
// from the store, as text tables or --json. The work is done by src/analytics; this only formats.

import type { Command } from "commander";
import {
  actorProfiles,
  type ControlImpact,
  controlsImpact,
  formatDuration,
  humanSeconds,
  matchIncidentToActors,
  mitigationImpact,
  responseTiming,
  ruleText,
  type Scope,
  tacticPaths,
  techniqueCooccurrence,
  techniqueFrequency,
  techniqueTrend,
} from "../../analytics/index.js";
import type { Catalog } from "../../catalog/catalog.js";
import { BUILTIN_CATALOG_DIR } from "../../catalog/load.js";
import { loadMitigationEffects } from "../../controls/load.js";
import { TechtrailError } from "../../core/errors.js";
import { teamControls } from "../../register/register.js";
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
    .description("incident analytics: frequency, trend, co-occurrence, paths, actors, timing, mitigations, controls");
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
  registerControls(sub);
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
          if (best && best.score > 0) {
            out(`looks most like ${best.name}${best.id ? ` ${best.id}` : ""} (score ${best.score.toFixed(2)}):`);
            for (const c of best.components)
              out(`  ${c.name}: ${c.score.toFixed(2)} (weight ${c.weight}) — ${c.detail}`);
          }
          out("");
          out(
            table(
              ["actor", "score", "techniques", "ordering", "indicators", "incidents"],
              m.matches.map((x) => {
                const comp = (n: string) => {
                  const c = x.components.find((y) => y.name === n);
                  return c ? c.score.toFixed(2) : "-";
                };
                return [
                  x.name,
                  x.score.toFixed(2),
                  comp("techniques"),
                  comp("ordering"),
                  comp("indicators"),
                  x.incidents,
                ];
              }),
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

/** The decisions of one control grouped by outcome and deciding rule: `prevented by <rule>: IR-…, IR-…`. */
function explainControl(c: ControlImpact, all: boolean): string[] {
  const lines: string[] = [];
  const groups = new Map<string, { outcome: string; rule: string; keys: string[]; saved: number }>();
  for (const d of c.incidents) {
    const r = d.rule;
    const rule = r ? `${ruleText(r)}${r.origin === "catalog" ? "" : ` (${r.origin})`}` : "";
    const k = `${d.outcome}|${rule}`;
    const g = groups.get(k) ?? { outcome: d.outcome, rule, keys: [], saved: 0 };
    g.keys.push(d.key);
    g.saved += d.savedSeconds ?? 0;
    groups.set(k, g);
  }
  const keys = (ks: string[]) =>
    all || ks.length <= 8 ? ks.join(", ") : `${ks.slice(0, 8).join(", ")} +${ks.length - 8} more`;
  for (const g of groups.values()) {
    const saved = g.outcome === "shortened" && g.saved > 0 ? `, ${humanSeconds(g.saved)} saved in all` : "";
    lines.push(`  ${g.outcome} (${g.keys.length}${saved}) by rule "${g.rule}": ${keys(g.keys)}`);
  }
  for (const u of c.untouched) lines.push(`  untouched (${u.keys.length}): ${truncate(u.reason, 140)}`);
  if (all) for (const d of c.incidents) lines.push(`    ${d.key} ${d.outcome}: ${d.reason}`);
  return lines;
}

/** `stats controls`: what each control not yet deployed would have done; deployed controls' incidents anyway. */
function registerControls(sub: Subcommand): void {
  sub("controls", "what each control would have prevented, shortened or not touched, with the incidents and rules")
    .option(
      "--controls <file>",
      "the team's deployed-controls inventory (controls.yaml, docs/controls.md; default: the one kept in the register, if any)",
    )
    .option("--control <ids>", "only these controls (comma-separated mitigation IDs); lists every incident's reason")
    .action(async (_o, cmd: Command) =>
      run(cmd, async (o, catalog) => {
        const oo = o as Opts & { controls?: string; control?: string };
        const f = filterFromOptions(o);
        const rules = loadMitigationEffects(catalog, o.catalog ?? BUILTIN_CATALOG_DIR);
        const only = oo.control
          ?.split(",")
          .map((x) => x.trim().toUpperCase())
          .filter(Boolean);
        for (const id of only ?? [])
          if (!catalog.mitigation(id))
            throw new TechtrailError("NOT_FOUND", `unknown control ${id} (controls are catalog mitigation IDs)`, {
              problems: [{ field: "--control", message: `unknown control ${id}` }],
            });
        const r = await withStore(o, async (s) => {
          // --controls FILE, else the controls.yaml kept in the register (as the service and web UI use it).
          const team = await teamControls(s, catalog, oo.controls ? { path: oo.controls } : undefined);
          return controlsImpact(s, catalog, f, {
            rules,
            ...(team ? { inventory: team.inventory, inventorySource: team.source } : {}),
            ...(only ? { only } : {}),
          });
        });
        if (o.json) return printJson(r);
        header(r.scope, `control counterfactuals${r.team ? ` (team ${r.team})` : ""}`);
        if (r.scope.empty) return;
        out(
          `${r.missing.initialAccessTechnique} incident(s) without an initial-access technique, ${r.missing.credentialType} without a credential type (prevents rules cannot decide them)`,
        );
        const row = (c: ControlImpact) => [
          c.id,
          truncate(c.name, 34),
          c.counts.prevented,
          c.counts.shortened,
          c.counts.savedSeconds.known ? humanSeconds(c.counts.savedSeconds.total) : "-",
          c.counts.limited,
          c.counts.undetermined,
          c.counts.untouched,
        ];
        const cols = [
          "control",
          "name",
          "prevented",
          "shortened",
          "time saved",
          "limited",
          "undetermined",
          "untouched",
        ];
        if (r.controls.length) {
          out("");
          out("not deployed: what each would have done");
          out(table(cols, r.controls.map(row)));
          for (const c of r.controls) {
            if (c.incidents.length === 0 && !only) continue;
            out("");
            out(`${c.id} ${c.name}`);
            for (const l of explainControl(c, only !== undefined)) out(l);
          }
        }
        if (r.deployed.length) {
          out("");
          out("deployed: incidents that happened anyway (began on or after the deployment date)");
          out(
            table(
              ["control", "name", "since", "scope", "happened anyway", "before: prevented", "before: shortened"],
              r.deployed.map((c) => [
                c.id,
                truncate(c.name, 34),
                c.since ?? "",
                c.scope?.join(", ") ?? "all",
                c.happenedAnyway?.length ?? 0,
                c.counts.prevented,
                c.counts.shortened,
              ]),
            ),
          );
          for (const c of r.deployed)
            for (const d of c.happenedAnyway ?? [])
              out(`  ${c.id} ${d.key} (${d.date?.slice(0, 10) ?? "?"}) ${d.outcome}: ${d.reason}`);
        }
        if (r.withoutRules.length)
          out(`\nnot evaluated (no effect rules): ${r.withoutRules.map((m) => m.id).join(", ")}`);
      }),
    );
}
