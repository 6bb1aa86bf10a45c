// End-to-end checks of the shipped catalog content and the catalog CLI.
// Uses ../shared/reference/aws-ttc-ids.yaml (facts: IDs, names, tactics of the public AWS catalog).
import assert from "node:assert/strict";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { loadBuiltinCatalog } from "../src/catalog/load.js";
import { searchCatalog } from "../src/catalog/search.js";
import { REPO_ROOT, runCli, runCliJson } from "./cli-helper.js";
import { sharedPath, skipUnlessShared } from "./shared.js";

const REF = "reference/aws-ttc-ids.yaml";
/** The public catalog's IDs, names and tactics (read only when ../shared is there). */
const reference = () =>
  parse(readFileSync(sharedPath(REF), "utf8")) as {
    tactics: Array<{ id: string; name: string }>;
    techniques: Array<{ id: string; name: string; tactics: string[] }>;
    march_2026_additions: Array<{ id: string | null; name: string; events: string[] }>;
  };

describe("shipped catalog content", () => {
  const c = loadBuiltinCatalog();

  it("meets the size targets: ≥80 techniques over ≥12 tactics, ≥60 with CloudTrail events", () => {
    const s = c.stats();
    assert.ok(s.techniques >= 80, `techniques: ${s.techniques}`);
    assert.ok(s.tactics >= 12, `tactics: ${s.tactics}`);
    assert.ok(s.techniquesWithEvents >= 60, `with events: ${s.techniquesWithEvents}`);
    assert.ok(c.tactic("TA0010"), "Exfiltration tactic");
    for (const ta of c.tactics) assert.ok((s.perTactic[ta.id] ?? 0) > 0, `tactic ${ta.id} ${ta.name} has no technique`);
  });

  it("holds every ID of the public AWS catalog with the same name and tactics", { skip: skipUnlessShared(REF) }, () => {
    const ref = reference();
    const problems: string[] = [];
    for (const r of ref.techniques) {
      const t = c.technique(r.id);
      if (!t) problems.push(`${r.id} missing`);
      else {
        if (t.name !== r.name) problems.push(`${r.id} name "${t.name}" ≠ "${r.name}"`);
        if ([...t.tactics].sort().join() !== [...r.tactics].sort().join())
          problems.push(`${r.id} tactics ${t.tactics} ≠ ${r.tactics}`);
      }
    }
    for (const a of ref.march_2026_additions) {
      const withEvents = (x: (typeof c.techniques)[number] | undefined) =>
        x && a.events.every((e) => x.events.includes(e));
      // A published ID must carry the events; an unpublished one gets a project ID explained in idNote.
      const t = a.id ? [c.technique(a.id)].find(withEvents) : c.techniques.find((x) => withEvents(x) && x.idNote);
      if (!t)
        problems.push(
          `March 2026 addition "${a.name}" (${a.events}) not found with its events${a.id ? "" : " and an idNote"}`,
        );
    }
    assert.deepEqual(problems, []);
  });

  it("gives every technique a description, ≥3 aliases, detection, mitigations and data sources", () => {
    const problems: string[] = [];
    for (const t of c.techniques) {
      if (t.description.length < 40) problems.push(`${t.id} description too short`);
      if (t.aliases.length < 3) problems.push(`${t.id} has ${t.aliases.length} aliases`);
      if (t.detection.length < 20) problems.push(`${t.id} detection missing`);
      if (t.mitigations.length < 1) problems.push(`${t.id} has no mitigation`);
      if (t.dataSources.length < 1) problems.push(`${t.id} has no data source`);
      // Listed CloudTrail events are only seen when a CloudTrail source is on (coverage relies on this).
      if (t.events.length > 0 && !t.dataSources.some((d) => d.startsWith("cloudtrail-")))
        problems.push(`${t.id} lists CloudTrail events but no cloudtrail-* data source`);
    }
    assert.deepEqual(problems, []);
  });

  it("puts the right technique in the top 3 for everyday phrases", () => {
    const cases: Array<[string, (id: string) => boolean]> = [
      ["crypto mining", (id) => id.startsWith("T1496")],
      ["stolen access keys", (id) => id === "T1078.A001" || id === "T1078.004" || id === "T1552.001"],
      ["someone turned off CloudTrail", (id) => id === "T1562.008"],
      ["ransom note in S3 bucket", (id) => /^T1486|^T1485\.A003/.test(id)],
      ["credential theft", (id) => /^T1552|^T1555|^T1528|^T1078/.test(id)],
      ["SSRF metadata", (id) => id.startsWith("T1552.005") || id === "T1552.A901"],
      ["snapshot shared with another account", (id) => id.startsWith("T1537")],
      ["guardduty disabled", (id) => id === "T1562.A001"],
    ];
    const failures: string[] = [];
    for (const [q, ok] of cases) {
      const top = searchCatalog(c, q, { limit: 3 }).map((h) => h.id);
      if (!top.some(ok)) failures.push(`"${q}" → ${top.join(", ")}`);
    }
    assert.deepEqual(failures, []);
  });
});

describe("catalog CLI", () => {
  it("stats --json prints the required counts", () => {
    const s = runCliJson<{ version: string; tactics: number; techniques: number; techniquesWithEvents: number }>([
      "catalog",
      "stats",
      "--json",
    ]);
    assert.match(s.version, /^\d{4}\.\d{2}/);
    assert.ok(s.tactics >= 12 && s.techniques >= 80 && s.techniquesWithEvents >= 60);
  });

  it("list --json --tactic and event and search --json", () => {
    const list = runCliJson<Array<{ id: string; name: string; tactics: string[]; events: string[] }>>([
      "catalog",
      "list",
      "--tactic",
      "TA0010",
      "--json",
    ]);
    assert.ok(list.length > 0 && list.every((t) => t.tactics.includes("TA0010") && Array.isArray(t.events)));
    const ev = runCliJson<Array<{ id: string }>>(["catalog", "event", "iam:CreateAccessKey", "--json"]);
    assert.ok(
      ev.some((t) => t.id === "T1098.001"),
      JSON.stringify(ev),
    );
    const hits = runCliJson<Array<{ id: string; score: number }>>(["catalog", "search", "crypto", "mining", "--json"]);
    assert.ok(hits.length > 0 && typeof hits[0]?.score === "number");
  });

  it("show of an unknown ID fails clearly with a non-zero exit", () => {
    const r = runCli(["catalog", "show", "T9999.A999"]);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /unknown technique ID T9999\.A999/);
    assert.doesNotMatch(r.stderr, /at .*\.ts:\d+/);
  });

  it("diffs the shipped releases and reports no change between current and its own release", () => {
    const rel = runCliJson<Array<{ version: string }>>(["catalog", "releases", "--json"]);
    assert.ok(rel.length >= 2, "at least two releases ship");
    const [a, b] = [rel[rel.length - 2]?.version ?? "", rel[rel.length - 1]?.version ?? ""];
    const d = runCliJson<{
      added: unknown[];
      removed: unknown[];
      changed: unknown[];
      deprecated: unknown[];
      revoked: unknown[];
    }>(["catalog", "diff", a, b, "--json"]);
    assert.ok(d.added.length + d.changed.length + d.removed.length + d.revoked.length + d.deprecated.length > 0);
    const md = runCli(["catalog", "diff", a, b, "--format", "markdown"]);
    assert.equal(md.status, 0);
    assert.match(md.stdout, /^# Catalog changes/);
  });

  it("release: the version must match catalog.yaml, and --catalog DIR releases into DIR/releases", () => {
    const dir = mkdtempSync(join(tmpdir(), "techtrail-release-"));
    try {
      const cat = join(dir, "cat");
      cpSync(join(REPO_ROOT, "catalog"), cat, { recursive: true });
      rmSync(join(cat, "releases"), { recursive: true });
      const builtin = readdirSync(join(REPO_ROOT, "catalog", "releases")).sort();
      const version = loadBuiltinCatalog().meta.version;
      const bad = runCli(["catalog", "--catalog", cat, "release", "1999.01"]);
      assert.equal(bad.status, 2, bad.stderr);
      assert.match(
        bad.stderr,
        new RegExp(`1999\\.01 does not match the catalog's version ${version.replace(".", "\\.")}`),
      );
      assert.match(bad.stderr, /catalog\.yaml/);
      const ok = runCliJson<{ file: string }>(["catalog", "--catalog", cat, "release", version, "--json"]);
      assert.equal(ok.file, join(cat, "releases", `${version}.json`));
      assert.ok(existsSync(ok.file));
      assert.deepEqual(
        readdirSync(join(REPO_ROOT, "catalog", "releases")).sort(),
        builtin,
        "built-in releases untouched",
      );
      // Change one technique's prose and events, then diff the folder against its own release.
      const file = join(cat, "techniques", "T1098.yaml");
      const yaml = readFileSync(file, "utf8").replace(/^description: >-\n {2}/m, "description: >-\n  Newly worded. ");
      writeFileSync(file, yaml);
      const d = runCliJson<{ changed: Array<{ id: string; changes: Record<string, { kind: string }> }> }>([
        "catalog",
        "--catalog",
        cat,
        "diff",
        version,
        "current",
        "--json",
      ]);
      assert.deepEqual(
        d.changed.map((c) => [c.id, c.changes.description?.kind]),
        [["T1098", "text"]],
      );
      const text = runCli(["catalog", "--catalog", cat, "diff", version, "current"]);
      assert.match(text.stdout, /description: \{\+Newly worded\. ?\+\}The adversary/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("writes Navigator layers", () => {
    const layer = runCliJson<{
      versions: { layer: string };
      domain: string;
      techniques: Array<{ techniqueID: string }>;
    }>(["catalog", "layer"]);
    assert.equal(layer.versions.layer, "4.5");
    assert.ok(
      layer.techniques.every((t) => /^T\d{4}(\.\d{3})?$/.test(t.techniqueID)),
      "ATT&CK IDs only",
    );
    const full = runCliJson<{ techniques: Array<{ techniqueID: string }>; customDataURL: string }>([
      "catalog",
      "layer",
      "--variant",
      "full",
    ]);
    assert.ok(full.techniques.some((t) => t.techniqueID.includes(".A")));
    assert.ok(full.customDataURL);
  });
});
