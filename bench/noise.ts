// Noise of the built-in rules (npm run bench:noise): findings at level medium or above on the benign part of
// the Invictus AWS dataset (../shared/data/invictus-aws-dataset/CloudTrail, MIT, Invictus IR): the records whose
// userAgent does not contain `stratus-red-team` (the dataset's attacks were run with Stratus Red Team; the rest
// is the lab's own Terraform set-up and tear-down, console and service activity). Prints per rule, in the same
// run, the findings without suppression, with the example suppression file (rules/suppressions.example.yaml),
// and with it plus a site-specific file for the lab (bench/invictus-lab.suppress.yaml).
// Options: --suppress FILE (a site file instead of the lab one), --json.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { levelRank } from "../src/rules/index.js";
import { loadSuppressions, scanPaths } from "../src/scan/index.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const DATA = resolve(ROOT, "../shared/data/invictus-aws-dataset/CloudTrail");
const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const EXAMPLE = join(ROOT, "rules", "suppressions.example.yaml");
const SITE = arg("--suppress") ?? join(ROOT, "bench", "invictus-lab.suppress.yaml");

function benignRecords(): { benign: Array<Record<string, unknown>>; attack: number } {
  let files: string[];
  try {
    files = readdirSync(DATA).filter((f) => f.endsWith(".json"));
  } catch {
    process.stderr.write(`bench:noise: ${DATA} not found (the Invictus dataset in ../shared)\n`);
    process.exit(2);
  }
  const benign: Array<Record<string, unknown>> = [];
  let attack = 0;
  for (const f of files.sort()) {
    const doc = JSON.parse(readFileSync(join(DATA, f), "utf8")) as { Records?: Array<Record<string, unknown>> };
    for (const r of doc.Records ?? []) {
      if (
        String(r.userAgent ?? "")
          .toLowerCase()
          .includes("stratus-red-team")
      )
        attack++;
      else benign.push(r);
    }
  }
  return { benign, attack };
}

const { benign, attack } = benignRecords();
const dir = mkdtempSync(join(tmpdir(), "techtrail-noise-"));
const file = join(dir, "invictus-benign.jsonl");
writeFileSync(file, `${benign.map((r) => JSON.stringify(r)).join("\n")}\n`);
try {
  const { findings, summary } = await scanPaths([file], { workers: 0 });
  const example = loadSuppressions(EXAMPLE);
  const site = loadSuppressions(SITE);
  const medium = levelRank("medium");
  type Row = { id: string; title: string; level: string; findings: number; example: number; site: number };
  const perRule = new Map<string, Row>();
  const perEntry = new Map<string, number>();
  const totals = { findings: 0, example: 0, site: 0 };
  for (const f of findings) {
    if (levelRank(f.rule.level) < medium) continue;
    const row = perRule.get(f.rule.id) ?? { ...f.rule, findings: 0, example: 0, site: 0 };
    perRule.set(f.rule.id, row);
    row.findings++;
    totals.findings++;
    const hit = example.match(f);
    const siteHit = hit ?? site.match(f);
    if (hit)
      perEntry.set(
        `example #${hit.index + 1}: ${hit.reason}`,
        (perEntry.get(`example #${hit.index + 1}: ${hit.reason}`) ?? 0) + 1,
      );
    else {
      row.example++;
      totals.example++;
    }
    if (!hit && siteHit)
      perEntry.set(
        `site #${siteHit.index + 1}: ${siteHit.reason}`,
        (perEntry.get(`site #${siteHit.index + 1}: ${siteHit.reason}`) ?? 0) + 1,
      );
    if (!siteHit) {
      row.site++;
      totals.site++;
    }
  }
  const rows = [...perRule.values()].sort((a, b) => b.findings - a.findings || a.id.localeCompare(b.id));
  const result = {
    data: DATA,
    benignEvents: benign.length,
    attackEventsLeftOut: attack,
    rules: summary.rules.loaded,
    findingsAllLevels: summary.findings.total,
    mediumOrAbove: totals.findings,
    withExample: totals.example,
    withExampleAndSite: totals.site,
    exampleFile: EXAMPLE,
    siteFile: SITE,
    byRule: rows,
    suppressedByEntry: Object.fromEntries(perEntry),
  };
  if (process.argv.includes("--json")) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  else {
    const out = (s: string) => process.stdout.write(`${s}\n`);
    out(
      `Invictus benign events: ${benign.length} (${attack} Stratus Red Team events left out), ${summary.rules.loaded} rules`,
    );
    out(`findings at all levels: ${summary.findings.total}; at medium or above: ${totals.findings}`);
    out("");
    out("| rule | level | findings ≥ medium | with the example file | with example + lab file |");
    out("|---|---|---:|---:|---:|");
    for (const r of rows) out(`| ${r.title} | ${r.level} | ${r.findings} | ${r.example} | ${r.site} |`);
    out(`| **total** | | **${totals.findings}** | **${totals.example}** | **${totals.site}** |`);
    out("");
    for (const [entry, n] of perEntry) out(`suppressed by ${entry}: ${n}`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
