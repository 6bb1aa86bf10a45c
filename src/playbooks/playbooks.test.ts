// Playbook registry (built-ins, front-matter errors with file/line/field, overrides) and gap ranking on
// the analytics fixture store.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { analyticsFixture } from "../analytics/test-helpers.js";
import { loadBuiltinCatalog } from "../catalog/load.js";
import { TechtrailError } from "../core/errors.js";
import { openSqliteStore } from "../store/sqlite.js";
import type { Store } from "../store/store.js";
import { playbookGaps, trendFactor } from "./gaps.js";
import { loadPlaybooks, PHASES, parsePlaybook, playbooksFor } from "./playbooks.js";

const catalog = loadBuiltinCatalog();
let dir: string;
let store: Store;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "techtrail-playbooks-"));
  store = await openSqliteStore(join(dir, "s.db"));
  await store.importMany(analyticsFixture(catalog.meta.version), { actor: "test" });
});
after(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const doc = (
  front: string,
  body = "## Prepare\n## Detect and analyse\n## Contain\n## Eradicate and recover\n## Post-incident\n",
) => `---\n${front}\n---\n\n# Title\n\n${body}`;
const GOOD = "id: my-pb\ntitle: Mine\ntechniques: [T1078.A001]\nowner: me\nstatus: active\nlast_reviewed: 2026-01-01";

function problems(fn: () => unknown): TechtrailError {
  try {
    fn();
  } catch (e) {
    if (e instanceof TechtrailError) return e;
    throw e;
  }
  assert.fail("expected an error");
}

test("built-in playbooks load, cover real catalog techniques and have every phase", () => {
  const reg = loadPlaybooks(catalog);
  const ids = reg.playbooks.map((p) => p.id);
  for (const id of [
    "unauthorized-credential-use",
    "s3-ransomware",
    "cryptomining",
    "imds-credential-theft",
    "logging-disruption",
  ])
    assert.ok(ids.includes(id), id);
  for (const p of reg.playbooks) {
    assert.deepEqual(p.missingPhases, [], p.id);
    assert.equal(p.phases.length, PHASES.length);
    for (const t of p.techniques) assert.ok(catalog.technique(t), `${p.id}: ${t}`);
    assert.match(p.body, /aws [a-z0-9-]+ [a-z-]+/, `${p.id} gives concrete AWS CLI commands`);
  }
});

test("bad front matter names file, line and field", () => {
  const e = problems(() => parsePlaybook(doc(GOOD.replace("status: active", "status: final")), "pb.md", catalog));
  assert.equal(e.code, "VALIDATION");
  const p = e.problems.find((x) => x.field === "status");
  assert.equal(p?.source, "pb.md");
  assert.equal(p?.line, 6, "status is on line 6 of the file (front matter starts on line 2)");
  const missing = problems(() => parsePlaybook(doc(GOOD.replace("owner: me\n", "")), "pb.md", catalog));
  assert.ok(missing.problems.some((x) => x.field === "owner"));
  const date = problems(() => parsePlaybook(doc(GOOD.replace("2026-01-01", "last spring")), "pb.md", catalog));
  assert.ok(date.problems.some((x) => x.field === "last_reviewed" && x.line === 7));
  const none = problems(() => parsePlaybook("# just markdown\n", "x.md", catalog));
  assert.equal(none.code, "PARSE");
  assert.match(none.describe(), /x\.md:1/);
  const yaml = problems(() => parsePlaybook("---\nid: [unclosed\n---\n", "y.md", catalog));
  assert.equal(yaml.code, "PARSE");
});

test("unknown technique IDs are reported at their line", () => {
  const e = problems(() =>
    parsePlaybook(
      doc(GOOD.replace("techniques: [T1078.A001]", "techniques:\n  - T1078.A001\n  - T9999.A001")),
      "pb.md",
      catalog,
    ),
  );
  assert.equal(e.problems.length, 1);
  assert.equal(e.problems[0]?.field, "techniques.1");
  assert.equal(e.problems[0]?.line, 6);
  assert.match(e.problems[0]?.message ?? "", /unknown technique ID T9999\.A001/);
});

test("extra folders override built-ins by ID; duplicates in one folder are errors; missing phases are listed", () => {
  const extra = join(dir, "extra");
  mkdirSync(extra);
  writeFileSync(
    join(extra, "cm.md"),
    doc(
      "id: cryptomining\ntitle: Our mining playbook\ntechniques: [T1496.A008]\nowner: us\nstatus: draft\nlast_reviewed: 2026-11-01",
      "## Contain\n",
    ),
  );
  const reg = loadPlaybooks(catalog, { dirs: [extra] });
  const cm = reg.playbooks.find((p) => p.id === "cryptomining");
  assert.equal(cm?.title, "Our mining playbook");
  assert.deepEqual(cm?.missingPhases, ["prepare", "detect-analyse", "eradicate-recover", "post-incident"]);
  writeFileSync(join(extra, "cm2.md"), doc(GOOD.replace("my-pb", "cryptomining")));
  const dup = problems(() => loadPlaybooks(catalog, { dirs: [extra] }));
  assert.match(dup.describe(), /duplicate playbook ID cryptomining/);
  const missingDir = problems(() => loadPlaybooks(catalog, { dirs: [join(dir, "nope")] }));
  assert.equal(missingDir.code, "NOT_FOUND");
});

test("a playbook for a parent technique covers its sub-techniques", () => {
  const p = parsePlaybook(doc(GOOD.replace("[T1078.A001]", "[T1496]")), "p.md", catalog);
  assert.equal(playbooksFor(catalog, [p], "T1496.A008")[0]?.via, "parent");
  assert.equal(playbooksFor(catalog, [p], "T1078.A001").length, 0);
});

test("trend factor is a smoothed share ratio within 0.5..2", () => {
  assert.equal(trendFactor(3, 4, 1, 1), 1);
  assert.equal(trendFactor(100, 100, 0, 100), 2);
  assert.equal(trendFactor(0, 100, 100, 100), 0.5);
  assert.equal(trendFactor(0, 0, 0, 0), 1);
});

test("gaps rank by severity weight × trend and mark missing, draft and stale playbooks", async () => {
  const reg = loadPlaybooks(catalog);
  const r = await playbookGaps(
    store,
    catalog,
    reg.playbooks,
    {},
    { asOf: "2026-11-26", containHours: 3, minSamples: 1 },
  );
  const key = r.techniques.find((t) => t.id === "T1078.A001");
  assert.equal(key?.weighted, 10 + 5 + 2 + 1);
  assert.equal(key?.trendFactor, 1);
  assert.equal(key?.priority, 18);
  assert.equal(key?.status, "ok");
  // T1486.A001: P1 + P2 = 15, new this quarter: ((2+1)/(4+2)) / ((0+1)/(1+2)) = 1.5 → 22.5, ranked first.
  assert.deepEqual(
    r.techniques.slice(0, 2).map((t) => [t.id, t.priority]),
    [
      ["T1486.A001", 22.5],
      ["T1078.A001", 18],
    ],
  );
  const stale = await playbookGaps(store, catalog, reg.playbooks, {}, { asOf: "2027-01-01", staleMonths: 1 });
  assert.equal(stale.techniques.find((t) => t.id === "T1078.A001")?.status, "stale");
  const none = await playbookGaps(store, catalog, [], {}, { asOf: "2026-11-26" });
  assert.ok(none.techniques.every((t) => t.status === "no-playbook"));
  assert.deepEqual(
    none.next,
    none.techniques.map((t) => t.id),
  );
  const draft = parsePlaybook(doc(GOOD.replace("status: active", "status: draft")), "d.md", catalog);
  const d = await playbookGaps(store, catalog, [draft], {}, { asOf: "2026-11-26" });
  assert.equal(d.techniques.find((t) => t.id === "T1078.A001")?.status, "draft");
  // Response gap: T1619.A001 (only in IR-2026-0001) took 4 h to contain.
  assert.ok(r.responseGaps.some((g) => g.id === "T1619.A001" && g.kind === "contain" && g.median === 4 * 3600));
  const empty = await playbookGaps(store, catalog, reg.playbooks, { from: "2030-01-01" });
  assert.equal(empty.scope.empty, true);
  assert.deepEqual(empty.techniques, []);
});
