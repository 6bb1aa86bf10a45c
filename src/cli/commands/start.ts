// `techtrail start` (what `npm start` runs): until the web service exists, prints the catalog
// overview as a tactic-by-tactic matrix so a fresh clone shows something useful in one command.
import type { Command } from "commander";
import { loadBuiltinCatalog } from "../../catalog/load.js";
import { out, truncate } from "../output.js";

export function registerStartCommand(program: Command): void {
  program
    .command("start")
    .description("print the catalog overview (the web service will replace this)")
    .action(() => {
      const c = loadBuiltinCatalog();
      const s = c.stats();
      out(
        `${s.name} ${s.version}: ${s.techniques} techniques (${s.subtechniques} sub-techniques) in ${s.tactics} tactics`,
      );
      out(
        `${s.techniquesWithEvents} techniques list the CloudTrail events that reveal them (${s.events} distinct events)`,
      );
      for (const ta of c.tactics) {
        const list = c.byTactic(ta.id);
        out("");
        out(`${ta.name} (${ta.id}) — ${list.length}`);
        for (const t of list) out(`  ${t.id.padEnd(11)} ${truncate(t.name, 70)}`);
      }
      out("");
      out('Try: npx techtrail catalog search "stolen access keys"   |   npx techtrail catalog show T1078.A001');
    });
}
