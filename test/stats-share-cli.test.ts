// End-to-end: `stats share` on one demo register, `stats compare` from another (different seed), and the
// refusals of bad options and bad shared files.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { runCli, runCliJson } from "./cli-helper.js";

let dir: string;
const db = (n: string) => join(dir, `${n}.db`);

before(() => {
  dir = mkdtempSync(join(tmpdir(), "techtrail-share-cli-"));
  for (const [name, seed] of [
    ["a", "1"],
    ["b", "2"],
  ] as const) {
    const r = runCli(["demo", "seed", "--db", db(name), "--incidents", "1200", "--seed", seed]);
    assert.equal(r.status, 0, r.stderr);
  }
});
after(() => rmSync(dir, { recursive: true, force: true }));

test("stats share then stats compare on two demo registers shows the comparison", () => {
  const out = join(dir, "b-2025Q3.json");
  const s = runCli(["stats", "share", "--db", db("b"), "--quarter", "2025q3", "--out", out]);
  assert.equal(s.status, 0, s.stderr);
  assert.match(s.stdout, /wrote .*b-2025Q3\.json: 2025Q3, \d+ incidents, k = 5;/);
  const file = JSON.parse(readFileSync(out, "utf8"));
  assert.equal(file.schemaVersion, 1);
  assert.equal(file.k, 5);
  assert.doesNotMatch(readFileSync(out, "utf8"), /IR-\d{4}-|\d{4}-\d{2}-\d{2}|\d{12}/);

  const c = runCli(["stats", "compare", "--db", db("a"), out]);
  assert.equal(c.status, 0, c.stderr);
  assert.match(c.stdout, /this team: \d+ incident\(s\); community: \d+ incident\(s\) in 1 file\(s\); 2025Q3/);
  assert.match(c.stdout, /over-represented here:/);
  assert.match(c.stdout, /under-represented here:/);
  assert.match(c.stdout, /slower to contain here:/);
  const j = runCliJson<{ techniques: Array<{ verdict: string }>; local: { incidents: number } }>([
    "stats",
    "compare",
    "--db",
    db("a"),
    out,
    out,
    "--json",
  ]);
  assert.ok(j.local.incidents > 0 && j.techniques.length > 0);

  const noisy = join(dir, "noisy.json");
  const n = runCli([
    "stats",
    "share",
    "--db",
    db("b"),
    "--quarter",
    "2025Q3",
    "--out",
    noisy,
    "--epsilon",
    "1",
    "--seed",
    "3",
  ]);
  assert.equal(n.status, 0, n.stderr);
  assert.equal(JSON.parse(readFileSync(noisy, "utf8")).epsilon, 1);
});

test("bad input: --epsilon ≤ 0, a wrong schema version, a cell below k", () => {
  const e = runCli([
    "stats",
    "share",
    "--db",
    db("a"),
    "--quarter",
    "2025Q3",
    "--out",
    join(dir, "x.json"),
    "--epsilon",
    "0",
  ]);
  assert.notEqual(e.status, 0);
  assert.match(e.stderr, /--epsilon must be a number greater than 0/);
  assert.doesNotMatch(e.stderr, /\n\s+at /);

  const out = join(dir, "a.json");
  assert.equal(runCli(["stats", "share", "--db", db("a"), "--quarter", "2025Q3", "--out", out]).status, 0);
  const good = JSON.parse(readFileSync(out, "utf8"));
  const v2 = join(dir, "v2.json");
  writeFileSync(v2, JSON.stringify({ ...good, schemaVersion: 2 }));
  const r1 = runCli(["stats", "compare", "--db", db("b"), v2]);
  assert.notEqual(r1.status, 0);
  assert.match(r1.stderr, /v2\.json: schemaVersion 2/);
  const low = join(dir, "low.json");
  good.techniques[0].incidents = 1;
  writeFileSync(low, JSON.stringify(good));
  const r2 = runCli(["stats", "compare", "--db", db("b"), low]);
  assert.notEqual(r2.status, 0);
  assert.match(r2.stderr, /low\.json: 1 cell\(s\) below the declared k = 5, first techniques\[0\]\.incidents = 1/);
});

test("report --community FILE adds the team-vs-community section in Markdown, HTML and JSON", () => {
  const shared = join(dir, "peer-2025Q3.json");
  assert.equal(runCli(["stats", "share", "--db", db("b"), "--quarter", "2025Q3", "--out", shared]).status, 0);
  const args = ["report", "--db", db("a"), "--quarter", "2025Q3", "--no-coverage", "--community", shared];
  const json = runCliJson<{
    community: {
      datasets: Array<{ file: string }>;
      techniques: Array<{ id: string; verdict: string; local: number }>;
      slowerToContain: Array<{ id: string }>;
    };
  }>([...args, "--format", "json"]);
  assert.deepEqual(
    json.community.datasets.map((d) => d.file),
    ["peer-2025Q3.json"],
  );
  const over = json.community.techniques.find((t) => t.verdict === "over");
  assert.ok(over, "two seeds give some over-represented technique");
  const md = runCli([...args, "--format", "md"]);
  assert.equal(md.status, 0, md.stderr);
  const section = md.stdout.slice(md.stdout.indexOf("## This team and the community"));
  assert.ok(section.startsWith("## This team and the community"), "Markdown section present");
  assert.match(section, /Compared with 1 shared dataset \(peer-2025Q3\.json\) covering 2025Q3/);
  assert.match(section, /Over-represented here/);
  assert.match(section, new RegExp(`\\| ${over.id.replace(".", "\\.")} [^|]*\\| ${over.local} \\|`));
  const html = runCli([...args, "--format", "html"]);
  assert.equal(html.status, 0, html.stderr);
  assert.match(html.stdout, /<section id="community">\s*<h2>This team and the community<\/h2>/);
  assert.match(html.stdout, /<caption>Over-represented here<\/caption>/);
  // Without --community there is no such section; a bad dataset is refused before any analysis.
  assert.doesNotMatch(
    runCli(["report", "--db", db("a"), "--quarter", "2025Q3", "--no-coverage"]).stdout,
    /and the community/,
  );
  const bad = join(dir, "bad.json");
  writeFileSync(bad, JSON.stringify({ ...JSON.parse(readFileSync(shared, "utf8")), schemaVersion: 2 }));
  const refused = runCli([...args.slice(0, -1), bad]);
  assert.equal(refused.status, 2);
  assert.match(refused.stderr, /bad\.json: schemaVersion 2/);
});
