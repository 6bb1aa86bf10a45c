// `techtrail catalog ...`: browse, search, release, export, import, diff and layer the technique catalog.
import type { Command } from "commander";
import type { Catalog } from "../../catalog/catalog.js";
import { loadBuiltinCatalog, loadCatalogDir } from "../../catalog/load.js";
import type { Technique } from "../../catalog/model.js";
import { searchCatalog } from "../../catalog/search.js";
import { out, printJson, table, truncate } from "../output.js";

interface CatalogOpts {
  catalog?: string;
  json?: boolean;
}

export function openCatalog(opts: { catalog?: string }): Catalog {
  return opts.catalog ? loadCatalogDir(opts.catalog) : loadBuiltinCatalog();
}

export function techniqueSummary(t: Technique) {
  return {
    id: t.id,
    name: t.name,
    tactics: t.tactics,
    events: t.events,
    parent: t.parent ?? null,
    status: t.status,
  };
}

function tacticNames(c: Catalog, t: Technique): string {
  return t.tactics.map((id) => c.tactic(id)?.name ?? id).join(", ");
}

export function registerCatalogCommands(program: Command): void {
  const cat = program
    .command("catalog")
    .description("browse and publish the threat-technique catalog")
    .option("--catalog <dir>", "catalog folder to use instead of the built-in one");
  const globalOpts = (cmd: Command): CatalogOpts => ({ ...cat.opts(), ...cmd.opts() });

  cat
    .command("stats")
    .description("counts of tactics, techniques and events")
    .option("--json", "machine-readable output")
    .action((_o, cmd: Command) => {
      const o = globalOpts(cmd);
      const c = openCatalog(o);
      const s = c.stats();
      if (o.json) return printJson(s);
      out(`${s.name} ${s.version}`);
      out(
        `tactics: ${s.tactics}  techniques: ${s.techniques} (${s.subtechniques} sub-techniques)  with CloudTrail events: ${s.techniquesWithEvents}`,
      );
      out(
        `distinct events: ${s.events}  mitigations: ${s.mitigations}  data sources: ${s.dataSources}  deprecated: ${s.deprecated}  revoked: ${s.revoked}`,
      );
      out("");
      out(
        table(
          ["tactic", "name", "techniques"],
          c.tactics.map((t) => [t.id, t.name, s.perTactic[t.id] ?? 0]),
        ),
      );
    });

  cat
    .command("list")
    .description("list techniques")
    .option("--tactic <id>", "only techniques of this tactic (ID, short name or name)")
    .option("--json", "machine-readable output")
    .action((_o, cmd: Command) => {
      const o = globalOpts(cmd) as CatalogOpts & { tactic?: string };
      const c = openCatalog(o);
      const list = o.tactic ? c.byTactic(o.tactic) : [...c.techniques];
      if (o.json) return printJson(list.map(techniqueSummary));
      out(
        table(
          ["id", "name", "tactics", "events"],
          list.map((t) => [t.id, truncate(t.name, 50), truncate(tacticNames(c, t), 40), t.events.length]),
        ),
      );
    });

  cat
    .command("show <id>")
    .description("show one technique")
    .option("--json", "machine-readable output")
    .action((id: string, _o, cmd: Command) => {
      const o = globalOpts(cmd);
      const c = openCatalog(o);
      const t = c.require(id);
      if (o.json) return printJson(t);
      out(
        `${t.id}  ${t.name}${t.status !== "active" ? `  [${t.status}${t.revokedBy ? ` → ${t.revokedBy}` : ""}]` : ""}`,
      );
      out(`tactics: ${tacticNames(c, t)}`);
      if (t.parent) out(`parent: ${t.parent} ${c.technique(t.parent)?.name ?? ""}`);
      const subs = c.subtechniques(t.id);
      if (subs.length) out(`sub-techniques: ${subs.map((s) => s.id).join(", ")}`);
      out(`aliases: ${t.aliases.join("; ")}`);
      if (t.services.length) out(`services: ${t.services.join(", ")}`);
      if (t.events.length) out(`CloudTrail events: ${t.events.join(", ")}`);
      out(`data sources: ${t.dataSources.map((d) => c.dataSources.find((x) => x.id === d)?.name ?? d).join(", ")}`);
      out("");
      out(t.description);
      out("");
      out("Detection:");
      out(t.detection);
      out("");
      out("Mitigations:");
      for (const m of t.mitigations) out(`  ${m.id} ${c.mitigation(m.id)?.name ?? ""}: ${m.how}`);
      if (t.idNote) out(`\nNote on the ID: ${t.idNote}`);
    });

  cat
    .command("search <query...>")
    .description("rank techniques for a phrase (name, aliases, description, event names)")
    .option("-n, --limit <n>", "number of results", "10")
    .option("--json", "machine-readable output")
    .action((words: string[], _o, cmd: Command) => {
      const o = globalOpts(cmd) as CatalogOpts & { limit: string };
      const c = openCatalog(o);
      const hits = searchCatalog(c, words.join(" "), { limit: Number(o.limit) || 10 });
      if (o.json) return printJson(hits.map((h) => ({ id: h.id, name: h.name, score: h.score, matched: h.matched })));
      if (hits.length === 0) return out("no matching technique");
      out(
        table(
          ["score", "id", "name", "matched in"],
          hits.map((h) => [h.score.toFixed(2), h.id, truncate(h.name, 50), h.matched.join(",")]),
        ),
      );
    });

  cat
    .command("event <name>")
    .description("techniques an API call maps to (CreateAccessKey or iam:CreateAccessKey)")
    .option("--json", "machine-readable output")
    .action((name: string, _o, cmd: Command) => {
      const o = globalOpts(cmd);
      const c = openCatalog(o);
      const list = c.byEvent(name);
      if (o.json) return printJson(list.map(techniqueSummary));
      if (list.length === 0) return out(`no technique lists ${name}`);
      out(
        table(
          ["id", "name", "tactics"],
          list.map((t) => [t.id, truncate(t.name, 50), tacticNames(c, t)]),
        ),
      );
    });
}
