// End-to-end STIX checks: the built-in catalog's export against the ATT&CK data model, export →
// import round trips, the three MITRE bundles, and the `catalog export` / `catalog import` CLI.
// Uses ../shared/data/attack-stix/ (MITRE ATT&CK STIX bundles, ATT&CK Terms of Use: ICS 18.1,
// Mobile 17.1, Enterprise cloud subset in STIX 2.0), read unchanged.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { Catalog } from "../src/catalog/catalog.js";
import { diffCatalogs } from "../src/catalog/diff.js";
import { catalogFolderFiles } from "../src/catalog/folder.js";
import {
  BUILTIN_RELEASES_DIR,
  listReleases,
  loadBuiltinCatalog,
  loadCatalogDir,
  loadReleaseFile,
} from "../src/catalog/load.js";
import { exportStix, type ImportReport, importStix, serializeStix, stixToCatalog } from "../src/catalog/stix.js";
import { miniCatalogData, tech } from "../src/catalog/test-helpers.js";
import { writeFileAtomic } from "../src/core/fs.js";
import { admValidate } from "./adm-validate.js";
import { runCli, runCliJson } from "./cli-helper.js";
import { sharedPath, skipUnlessShared } from "./shared.js";

const BUNDLES = `${sharedPath("data/attack-stix")}/`;
const needsBundles = { skip: skipUnlessShared("data/attack-stix") };
const readBundle = (name: string): unknown => JSON.parse(readFileSync(`${BUNDLES}${name}`, "utf8"));
const tmp = () => mkdtempSync(join(tmpdir(), "techtrail-stix-"));

/** A fixed small catalog, so bundle counts do not move with the shipped content. */
const small = () =>
  new Catalog(
    miniCatalogData([
      tech("T1078", { tactics: ["TA0005"] }),
      tech("T1078.004", { tactics: ["TA0005"] }),
      tech("T1485", { tactics: ["TA0040"] }),
    ]),
  );

describe("built-in catalog as STIX", () => {
  const c = loadBuiltinCatalog();
  const bundle = exportStix(c);

  it("every exported object passes the ATT&CK data model schemas", () => {
    let awsIds = 0;
    for (const o of bundle.objects) if (admValidate(o).patchedId) awsIds++;
    assert.equal(bundle.objects.filter((o) => o.type === "attack-pattern").length, c.techniques.length);
    // Only AWS-format IDs needed the placeholder (see test/adm-validate.ts).
    const awsFormat = c.techniques.filter((t) => !/^T\d{4}(\.\d{3})?$/.test(t.id)).length;
    const awsMitigations = c.mitigations.filter((m) => m.id.startsWith("AM")).length;
    assert.equal(awsIds, awsFormat + awsMitigations);
  });

  it("exports the same bytes twice", () => {
    assert.equal(serializeStix(exportStix(loadBuiltinCatalog())), serializeStix(bundle));
  });

  it("export → import reproduces the catalog, and diff shows no change", () => {
    const back = stixToCatalog(JSON.parse(serializeStix(bundle)), { file: "export.json" });
    assert.deepEqual(back.techniques, c.techniques);
    assert.deepEqual(back.tactics, c.tactics);
    assert.deepEqual(back.mitigations, c.mitigations);
    assert.deepEqual(back.dataSources, c.dataSources);
    const d = diffCatalogs(c, back);
    assert.deepEqual([d.added, d.removed, d.changed, d.deprecated, d.revoked], [[], [], [], [], []]);
    const merged = importStix(c, bundle, { source: "self" });
    assert.deepEqual(merged.report.conflicts, []);
    assert.equal(merged.report.added.techniques.length, 0);
    assert.deepEqual(merged.catalog.techniques, c.techniques);
  });
});

interface Expect {
  file: string;
  specVersion: "2.0" | "2.1";
  techniques: number;
  revoked: number;
  deprecated: number;
  tactics: string[];
  renamed: number;
  mitigations: number;
  conflicts: Array<[string, string]>;
  skippedTechniques: string[];
  ignored: Record<string, number>;
}

const EXPECT: Expect[] = [
  {
    file: "ics-attack-18.1.json",
    specVersion: "2.1",
    techniques: 95,
    revoked: 0,
    deprecated: 12,
    tactics: [
      "TA0108",
      "TA0104",
      "TA0110",
      "TA0111",
      "TA0103",
      "TA0102",
      "TA0109",
      "TA0100",
      "TA0101",
      "TA0107",
      "TA0106",
      "TA0105",
    ],
    renamed: 1, // impact → ics-impact
    mitigations: 52,
    conflicts: [],
    skippedTechniques: [],
    ignored: {
      campaign: 8,
      "intrusion-set": 16,
      malware: 30,
      "x-mitre-analytic": 82,
      "x-mitre-asset": 18,
      "x-mitre-data-component": 36,
      "x-mitre-data-source": 17,
      "x-mitre-detection-strategy": 83,
    },
  },
  {
    file: "mobile-attack-17.1.json",
    specVersion: "2.1",
    techniques: 185,
    revoked: 50,
    deprecated: 14,
    tactics: [
      "TA0038",
      "TA0039",
      "TA0027",
      "TA0041",
      "TA0028",
      "TA0029",
      "TA0030",
      "TA0031",
      "TA0032",
      "TA0033",
      "TA0035",
      "TA0037",
      "TA0036",
      "TA0034",
    ],
    renamed: 3, // defense-evasion, credential-access, impact
    mitigations: 13, // 15 minus the deprecated M1005 and M1007
    conflicts: [],
    // revoked in 17.1 without a revoked-by relationship in the bundle
    skippedTechniques: ["T1415", "T1419", "T1454"],
    ignored: {
      campaign: 3,
      "intrusion-set": 15,
      malware: 117,
      tool: 2,
      "x-mitre-data-component": 17,
      "x-mitre-data-source": 6,
    },
  },
  {
    file: "enterprise-cloud-subset-stix20.json",
    specVersion: "2.0",
    techniques: 157,
    revoked: 6,
    deprecated: 1,
    tactics: [
      "TA0007",
      "TA0010",
      "TA0042",
      "TA0002",
      "TA0009",
      "TA0043",
      "TA0008",
      "TA0011",
      "TA0004",
      "TA0003",
      "TA0001",
    ],
    renamed: 0,
    mitigations: 36,
    conflicts: [
      ["mitigation", "M1018"],
      ["tactic", "TA0005"],
      ["tactic", "TA0006"],
      ["tactic", "TA0040"],
      ["technique", "T1078"],
      ["technique", "T1078.004"],
      ["technique", "T1485"],
    ],
    skippedTechniques: [],
    ignored: {
      "intrusion-set": 134,
      "x-mitre-analytic": 582,
      "x-mitre-data-component": 109,
      "x-mitre-data-source": 38,
      "x-mitre-detection-strategy": 151,
    },
  },
];

describe("MITRE ATT&CK bundles from ../shared import unchanged", needsBundles, () => {
  for (const x of EXPECT) {
    describe(x.file, () => {
      const json = readBundle(x.file);
      const base = small();
      const { catalog, report } = importStix(base, json, { source: x.file, file: x.file });

      it("imports techniques, tactics and mitigations with the expected counts", () => {
        assert.equal(report.specVersion, x.specVersion);
        assert.equal(report.added.techniques.length, x.techniques);
        assert.equal(report.revoked.length, x.revoked);
        assert.equal(report.deprecated.length, x.deprecated);
        assert.equal(catalog.techniques.length, base.techniques.length + x.techniques);
        assert.deepEqual([...report.added.tactics].sort(), [...x.tactics].sort());
        assert.equal(report.renamed.length, x.renamed);
        assert.equal(report.added.mitigations.length, x.mitigations);
        assert.deepEqual(report.ignoredTypes, x.ignored);
        const skipped = report.skipped.filter((s) => s.type === "attack-pattern").map((s) => s.externalId);
        assert.deepEqual(skipped.sort(), x.skippedTechniques);
      });

      it("reports every ID clash as a conflict and keeps the catalog's values", () => {
        assert.deepEqual(report.conflicts.map((c) => [c.kind, c.id]).sort(), x.conflicts);
        for (const t of base.techniques) assert.deepEqual(catalog.technique(t.id), t);
        for (const c of report.conflicts) assert.ok(c.fields.length > 0, `${c.kind} ${c.id} without fields`);
      });

      it("keeps provenance, revocations and kill-chain tactics", () => {
        for (const id of report.added.techniques) assert.equal(catalog.require(id).provenance, x.file);
        for (const id of report.revoked) {
          const t = catalog.require(id);
          assert.equal(t.status, "revoked");
          assert.ok(t.revokedBy && catalog.has(t.revokedBy), `${id} → ${t.revokedBy}`);
        }
        // Tactics come from the bundle's own tactics (mobile "impact" is TA0034, not our TA0040).
        const bundleTactics = new Set(
          (json as { objects: Array<Record<string, unknown>> }).objects
            .filter((o) => o.type === "x-mitre-tactic")
            .map((o) => (o.external_references as Array<{ external_id: string }>)[0]?.external_id),
        );
        for (const id of report.added.techniques)
          for (const ta of catalog.require(id).tactics) assert.ok(bundleTactics.has(ta), `${id} landed in ${ta}`);
      });

      it("the merged catalog exports and reads back without loss", () => {
        const merged = exportStix(catalog);
        const back = stixToCatalog(JSON.parse(serializeStix(merged)), { file: "merged.json" });
        assert.deepEqual(back.techniques, catalog.techniques);
        assert.deepEqual(back.tactics, catalog.tactics);
      });
    });
  }

  it("the enterprise subset maps known revocations (T1527 → T1550.001)", () => {
    const { catalog } = importStix(small(), readBundle("enterprise-cloud-subset-stix20.json"), { source: "e" });
    const t = catalog.require("T1527");
    assert.equal(t.status, "revoked");
    assert.equal(t.revokedBy, "T1550.001");
    assert.equal(catalog.require("T1550.001").parent, "T1550");
  });

  it("merges into the built-in catalog, reporting each shared ID as a conflict", () => {
    const c = loadBuiltinCatalog();
    const json = readBundle("enterprise-cloud-subset-stix20.json") as { objects: Array<Record<string, unknown>> };
    const bundleIds = new Set(
      json.objects
        .filter((o) => o.type === "attack-pattern")
        .map((o) => (o.external_references as Array<{ external_id: string }>)[0]?.external_id),
    );
    const { catalog, report } = importStix(c, json, { source: "ent" });
    const shared = c.techniques.filter((t) => bundleIds.has(t.id)).map((t) => t.id);
    assert.deepEqual(
      report.conflicts
        .filter((x) => x.kind === "technique")
        .map((x) => x.id)
        .sort(),
      [...shared].sort(),
    );
    assert.equal(catalog.techniques.length, c.techniques.length + bundleIds.size - shared.length);
  });
});

describe("catalog export / import CLI", () => {
  it("export writes the STIX bundle to stdout or atomically to --out, identical bytes", () => {
    // A fixed folder: the shipped catalog may be edited while the test runs.
    const dir = tmp();
    const folder = join(dir, "cat");
    for (const [rel, text] of catalogFolderFiles(small(), "test catalog")) writeFileAtomic(join(folder, rel), text);
    const r = runCli(["catalog", "--catalog", folder, "export", "--format", "stix", "--out", join(dir, "b.json")]);
    assert.equal(r.status, 0, r.stderr);
    const stdout = runCli(["catalog", "--catalog", folder, "export"]);
    assert.equal(stdout.status, 0, stdout.stderr);
    assert.equal(readFileSync(join(dir, "b.json"), "utf8"), stdout.stdout);
    const b = JSON.parse(stdout.stdout) as { type: string; objects: Array<{ type: string }> };
    assert.equal(b.type, "bundle");
    assert.equal(b.objects[0]?.type, "x-mitre-collection");
    assert.equal(stdout.stdout, serializeStix(exportStix(small())));
    // --release exports a shipped release, dated by its release date
    const version = listReleases()[0];
    if (version) {
      const rel = runCliJson<{ objects: Array<Record<string, unknown>> }>(["catalog", "export", "--release", version]);
      const released = loadReleaseFile(`${BUILTIN_RELEASES_DIR}/${version}.json`).data.released;
      assert.equal(rel.objects[0]?.modified, `${released}T00:00:00.000Z`);
    }
  });

  it("import --dry-run --json prints the report and writes nothing", needsBundles, () => {
    const r = runCliJson<{ report: ImportReport; written: string | null }>([
      "catalog",
      "import",
      `${BUNDLES}ics-attack-18.1.json`,
      "--source",
      "ATT&CK ICS 18.1",
      "--dry-run",
      "--json",
    ]);
    assert.equal(r.written, null);
    assert.equal(r.report.added.techniques.length, 95);
  });

  it("import --out DIR writes a catalog folder that loads; --out FILE.json a release file", needsBundles, () => {
    const dir = tmp();
    const out = join(dir, "merged");
    const r = runCli(["catalog", "import", `${BUNDLES}mobile-attack-17.1.json`, "--source", "mobile", "--out", out]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /added: 185 techniques \(50 revoked, 14 deprecated\)/);
    assert.match(r.stdout, /skipped attack-pattern T1454: revoked/);
    const merged = loadCatalogDir(out);
    assert.equal(merged.technique("T1398")?.provenance, "mobile");
    // (the shipped catalog may grow while the test runs: count what came from the bundle)
    assert.equal(merged.techniques.filter((t) => t.provenance === "mobile").length, 185);
    const again = runCli(["catalog", "import", `${BUNDLES}mobile-attack-17.1.json`, "--source", "m", "--out", out]);
    assert.equal(again.status, 4, "refuses to overwrite a non-empty folder");
    const file = join(dir, "merged.json");
    assert.equal(
      runCli(["catalog", "import", `${BUNDLES}ics-attack-18.1.json`, "--source", "ics", "--out", file]).status,
      0,
    );
    const rel = loadReleaseFile(file);
    assert.equal(rel.techniques.filter((t) => t.provenance === "ics").length, 95);
    assert.equal(rel.technique("T0803")?.provenance, "ics");
  });

  it("import with --catalog DIR merges into that folder in place, keeping its files", needsBundles, () => {
    const dir = tmp();
    const folder = join(dir, "cat");
    for (const [rel, text] of catalogFolderFiles(small(), "test catalog")) writeFileAtomic(join(folder, rel), text);
    const tacticsBefore = readFileSync(join(folder, "tactics.yaml"), "utf8");
    const r = runCli([
      "catalog",
      "--catalog",
      folder,
      "import",
      `${BUNDLES}mobile-attack-17.1.json`,
      "--source",
      "mobile",
    ]);
    assert.equal(r.status, 0, r.stderr);
    const after = loadCatalogDir(folder);
    assert.equal(after.technique("T1398")?.provenance, "mobile");
    assert.equal(after.techniques.length, 3 + 185);
    assert.deepEqual(after.technique("T1078"), small().technique("T1078"));
    assert.ok(readFileSync(join(folder, "tactics.yaml"), "utf8").startsWith(tacticsBefore.trimEnd()));
  });

  it("a broken bundle fails with file, object and field, exit 2, and nothing written", needsBundles, () => {
    const dir = tmp();
    const bad = join(dir, "bad.json");
    const json = readBundle("ics-attack-18.1.json") as { objects: Array<Record<string, unknown>> };
    const o = json.objects[5] as Record<string, unknown>;
    o.created = "not a date";
    writeFileSync(bad, JSON.stringify(json));
    const out = join(dir, "out");
    const r = runCli(["catalog", "import", bad, "--source", "x", "--out", out]);
    assert.equal(r.status, 2);
    assert.match(
      r.stderr,
      new RegExp(`bad\\.json \\[objects\\.5\\.created\\]: ${String(o.id)}: expected a STIX timestamp`),
    );
    assert.doesNotMatch(r.stderr, /at .*\.ts:\d+/, "no stack trace");
    assert.equal(existsSync(out), false);
    writeFileSync(bad, "{ not json");
    const r2 = runCli(["catalog", "import", bad, "--source", "x", "--dry-run"]);
    assert.equal(r2.status, 2);
    assert.match(r2.stderr, /bad\.json is not valid JSON/);
  });
});
