import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, describe, it } from "node:test";
import { TechtrailError } from "../core/errors.js";
import { packagePath } from "../core/paths.js";
import { compareIds } from "./catalog.js";
import { loadBuiltinCatalog } from "./load.js";
import {
  attackParentId,
  CATALOG_TECHNIQUE_ID_RE,
  isOverlayId,
  OVERLAY_TECHNIQUE_ID_RE,
  overlayNamespaceOf,
  TECHNIQUE_ID_RE,
} from "./model.js";
import {
  applyOverlay,
  describeLoadedCatalog,
  loadCatalog,
  loadedCatalogInfo,
  loadOverlayDir,
  mergeOverlay,
} from "./overlay.js";
import { searchCatalog } from "./search.js";
import { miniCatalog, tech } from "./test-helpers.js";

const EXAMPLE = packagePath("examples", "overlay-acme");
const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** An overlay folder holding the given files (paths relative to it). */
function overlayWith(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "techtrail-overlay-"));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

const MANIFEST = 'namespace: ACME\nprefixes: [SEC]\nname: ACME\nbase: "2026.01"\n';
const technique = (id: string, extra = "") => `id: ${id}
name: Team technique ${id}
tactics: [TA0005]
description: Something the team saw.
created: "2026-01-01"
modified: "2026-01-01"
${extra}`;

function problemsOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof TechtrailError, `expected TechtrailError, got ${e}`);
    return e.describe();
  }
  assert.fail("expected an error");
}

describe("overlay IDs", () => {
  it("can never match a catalog ID, and every technique ID check accepts both", () => {
    const overlay = ["ACME-0001", "ACME-1.001", "T1078.ACME-1", "AT1023.SEC-1234", "SEC-1234", "IR2-7"];
    const catalog = ["T1078", "T1078.004", "T1078.A001", "AT1023", "AT1023.001"];
    for (const id of overlay) {
      assert.ok(OVERLAY_TECHNIQUE_ID_RE.test(id), id);
      assert.ok(!CATALOG_TECHNIQUE_ID_RE.test(id), id);
      assert.ok(TECHNIQUE_ID_RE.test(id) && isOverlayId(id), id);
    }
    for (const id of catalog)
      assert.ok(!OVERLAY_TECHNIQUE_ID_RE.test(id) && TECHNIQUE_ID_RE.test(id) && !isOverlayId(id));
    for (const bad of ["acme-1", "A-1", "ACME-", "ACME-1.A001", "T1078.ACME", "ACME-0001.ACME-2", "T1078-1"])
      assert.ok(!TECHNIQUE_ID_RE.test(bad), bad);
    assert.equal(overlayNamespaceOf("T1078.ACME-1"), "ACME");
    assert.equal(overlayNamespaceOf("SEC-1234.001"), "SEC");
    assert.equal(overlayNamespaceOf("T1078.A001"), undefined);
  });

  it("sort after the catalog's, numbers as numbers, and roll up to ATT&CK only through a catalog parent", () => {
    const ids = ["ACME-10", "T1190", "ACME-2", "T1078.ACME-1", "AT1023", "T1078.A001", "T1078", "ACME-2.001"];
    assert.deepEqual([...ids].sort(compareIds), [
      "T1078",
      "T1078.A001",
      "T1078.ACME-1",
      "T1190",
      "AT1023",
      "ACME-2",
      "ACME-2.001",
      "ACME-10",
    ]);
    assert.equal(attackParentId("T1078.ACME-1"), "T1078");
    assert.equal(attackParentId("ACME-2"), undefined);
    assert.equal(attackParentId("ACME-2.001"), undefined);
  });
});

describe("example overlay on the shipped catalog", () => {
  const c = loadCatalog({ overlayDir: EXAMPLE });

  it("adds the team's techniques, marked, under their parents, and findable", () => {
    assert.deepEqual(c.overlay?.techniques.sort(), ["ACME-0001", "SEC-1042", "T1078.ACME-1"]);
    assert.equal(c.technique("acme-0001")?.name, "Deployment pipeline role assumed outside the pipeline");
    assert.ok(c.subtechniques("T1078").some((t) => t.id === "T1078.ACME-1"));
    assert.ok(c.byEvent("sts:AssumeRoleWithWebIdentity").some((t) => t.id === "ACME-0001"));
    assert.equal(searchCatalog(c, "break-glass misuse")[0]?.technique.id, "T1078.ACME-1");
    assert.equal(c.techniques.length, loadBuiltinCatalog().techniques.length + 3);
  });

  it("adds events, aliases, a detection and a mitigation note to a catalog technique without copying it", () => {
    const shipped = loadBuiltinCatalog().require("T1078.A001");
    const t = c.require("T1078.A001");
    assert.deepEqual(t.events, [...shipped.events, "iam:ListAccessKeys", "sts:GetSessionToken"]);
    assert.ok(t.aliases.includes("key from the build log"));
    assert.ok(t.detection.startsWith(shipped.detection) && /ACME note: ACME's leaked keys/.test(t.detection));
    assert.deepEqual(t.mitigations.at(-1)?.id, "M1026");
    assert.deepEqual(c.overlay?.patched["T1078.A001"]?.events, ["iam:ListAccessKeys", "sts:GetSessionToken"]);
    assert.ok(c.byEvent("iam:ListAccessKeys").some((x) => x.id === "T1078.A001"));
    // The shipped catalog object is untouched.
    assert.ok(!loadBuiltinCatalog().require("T1078.A001").events.includes("iam:ListAccessKeys"));
  });

  it("describes itself", () => {
    const info = loadedCatalogInfo(c);
    assert.equal(info.catalog.builtin, true);
    assert.equal(info.overlay?.namespace, "ACME");
    assert.equal(info.overlay?.additions, 5);
    assert.deepEqual(info.overlay?.warnings, []);
    assert.equal(describeLoadedCatalog(info), `catalog ${c.meta.version} + overlay ACME (3 techniques, 5 additions)`);
    assert.equal(describeLoadedCatalog(loadedCatalogInfo(loadBuiltinCatalog())), `catalog ${c.meta.version}`);
  });
});

describe("overlay bad input", () => {
  const base = () =>
    miniCatalog([
      tech("T1078", { events: ["sts:AssumeRole"] }),
      tech("T1078.A001"),
      tech("T1562", { status: "revoked", revokedBy: "T1078" }),
    ]);

  it("locates malformed files at file:line:column", () => {
    const dir = overlayWith({
      "overlay.yaml": "namespace: acme\nname: ACME\n",
      "techniques/ACME-1.yaml": "id: ACME-1\nname: [unclosed\n",
      "techniques/ACME-2.yaml": technique("ACME-2").replace("tactics: [TA0005]", "tactics: defense"),
      "patches/T1078.yaml": "technique: T1078\nevents: [CreateUser]\n",
    });
    const text = problemsOf(() => loadOverlayDir(dir));
    assert.match(text, /overlay\.yaml:1:12 \[namespace\]: expected an upper-case namespace/);
    assert.match(text, /ACME-1\.yaml:\d+:\d+: Flow sequence/);
    assert.match(text, /ACME-2\.yaml:3:10 \[tactics\]: /);
    assert.match(text, /T1078\.yaml:2:10 \[events\.0\]: expected a CloudTrail event/);
    assert.match(
      problemsOf(() => loadOverlayDir(join(dir, "nope"))),
      /overlay folder .* does not exist/,
    );
  });

  it("refuses a catalog ID, a foreign namespace, a collision and an unknown parent, located", () => {
    const dir = overlayWith({
      "overlay.yaml": MANIFEST,
      "techniques/T1190.yaml": technique("T1190"),
      "techniques/OTHER-1.yaml": technique("OTHER-1"),
      "techniques/ACME-7.yaml": technique("ACME-7"),
      "techniques/T9999.ACME-1.yaml": technique("T9999.ACME-1", "parent: T9999"),
      "techniques/SEC-1.yaml": technique("SEC-1", "mitigations: [{id: M1999, how: x}]"),
    });
    // A catalog built in memory (not from a folder) can hold an overlay-form ID: the collision is still caught.
    const withClash = miniCatalog([tech("T1078"), tech("ACME-7")]);
    const text = problemsOf(() => applyOverlay(withClash, loadOverlayDir(dir)));
    assert.match(text, /T1190\.yaml:1:5 \[id\]: T1190 is a catalog ID; overlay techniques use ACME-0001/);
    assert.match(
      text,
      /OTHER-1\.yaml:1:5 \[id\]: OTHER-1 is outside this overlay's namespace: expected the prefix ACME or SEC/,
    );
    assert.match(text, /ACME-7\.yaml:1:5 \[id\]: ACME-7 collides with catalog technique ACME-7/);
    assert.match(text, /T9999\.ACME-1\.yaml:7:9 \[parent\]: unknown parent technique T9999/);
    assert.match(text, /SEC-1\.yaml:7:\d+ \[mitigations\.0\.id\]: unknown mitigation M1999/);
  });

  it("after a catalog upgrade lists what changed as warnings, keeps loading, and never overwrites", () => {
    const dir = overlayWith({
      "overlay.yaml": MANIFEST.replace("2026.01", "2025.12"),
      "techniques/T1562.ACME-1.yaml": technique("T1562.ACME-1", "parent: T1562"),
      "patches/T1078.yaml":
        "technique: T1078\nevents: [sts:AssumeRole, sts:GetSessionToken]\naliases: [second alias, team alias]\nmitigations: [{id: M1018, how: team note}]\n",
      "patches/T1562.yaml": "technique: T1562\nevents: [cloudtrail:StopLogging]\n",
      "patches/T1098.yaml": "technique: T1098\nevents: [iam:CreateUser]\n",
    });
    const { catalog, conflicts } = mergeOverlay(base(), loadOverlayDir(dir));
    const kinds = conflicts.map((c) => `${c.kind} ${c.id ?? ""} ${c.line}:${c.column}`);
    assert.deepEqual(kinds.sort(), [
      "already-in-catalog T1078 2:10",
      "already-in-catalog T1078 3:11",
      "already-in-catalog T1078 4:20",
      "base-version  4:7",
      "parent-revoked T1562.ACME-1 7:9",
      "patch-target-missing T1098 1:12",
      "patch-target-revoked T1562 1:12",
    ]);
    assert.ok(conflicts.every((c) => c.severity === "warning" && c.source));
    assert.ok(catalog);
    const t = catalog.require("T1078");
    assert.deepEqual(t.events, ["sts:AssumeRole", "sts:GetSessionToken"]);
    assert.deepEqual(t.aliases, ["alias of T1078", "second alias", "third alias", "team alias"]);
    assert.deepEqual(t.mitigations, [{ id: "M1018", how: "Least privilege." }]);
    assert.deepEqual(catalog.require("T1562").events, ["cloudtrail:StopLogging"]);
    assert.equal(catalog.technique("T1098"), undefined);
    assert.equal(catalog.overlay?.conflicts.length, 7);
  });

  it("refuses a patch of the overlay's own technique and a second overlay", () => {
    const dir = overlayWith({
      "overlay.yaml": MANIFEST,
      "techniques/ACME-1.yaml": technique("ACME-1"),
      "patches/ACME-1.yaml": "technique: ACME-1\n",
    });
    assert.match(
      problemsOf(() => loadOverlayDir(dir)),
      /patches\/ACME-1\.yaml:1:12 \[technique\]: expected the catalog technique to extend/,
    );
    rmSync(join(dir, "patches"), { recursive: true });
    const once = applyOverlay(base(), loadOverlayDir(dir));
    assert.throws(() => applyOverlay(once, loadOverlayDir(dir)), /already has overlay ACME/);
  });
});
