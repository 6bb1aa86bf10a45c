import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { BUILTIN_CATALOG_DIR } from "../catalog/load.js";
import { miniCatalog, tech } from "../catalog/test-helpers.js";
import { TechtrailError } from "../core/errors.js";
import { DetectorMappings } from "../detectors/mapping.js";
import { publishSite, signCommand } from "./publish.js";
import { buildReleaseSite, checksumsText, renderDownloadsPage, sha256 } from "./site.js";

const HOSTILE = `Keys <script>alert(1)</script> & "quotes"`;
const v1 = () =>
  miniCatalog([tech("T1562"), tech("T1562.008", { events: ["cloudtrail:StopLogging"] }), tech("T1490")], "2026.01");
const v2 = () =>
  miniCatalog(
    [
      tech("T1562", { description: "Adversaries weaken defences in new ways." }),
      tech("T1562.008", { status: "revoked", revokedBy: "T1685.002" }),
      tech("T1685"),
      tech("T1685.002", { name: HOSTILE, events: ["cloudtrail:StopLogging", "cloudtrail:DeleteTrail"] }),
    ],
    "2026.02",
  );
const mappings = new DetectorMappings([
  {
    detector: "guardduty",
    description: "",
    sources: ["https://example.org"],
    reviewed: "2026-01-01",
    file: "guardduty.yaml",
    unmapped: [],
    mappings: [
      {
        type: "Stealth:IAMUser/CloudTrailLoggingDisabled",
        dataSource: "cloudtrail-management",
        techniques: [{ id: "T1685.002", relation: "detects", confidence: "high" }],
        note: "",
        references: [],
      },
    ],
  },
]);
const rule = {
  id: "r-1",
  kind: "event" as const,
  title: "CloudTrail trail stopped",
  level: "high" as const,
  techniques: ["T1685.002"],
  attack: [],
  unknownTechniques: [],
  tactics: [],
  tags: [],
  origin: "builtin" as const,
  source: "rules/builtin/trail-stopped.yml",
  eventNames: ["stoplogging"],
  eventSources: null,
};

const build = () =>
  buildReleaseSite({
    catalog: v2(),
    previous: v1(),
    rules: [rule],
    ruleFiles: [{ name: "builtin/trail-stopped.yml", text: "title: CloudTrail trail stopped\n" }],
    mappings,
    date: "2026-02-01",
  });
const text = (site: ReturnType<typeof build>, path: string) => {
  const f = site.files.get(path);
  assert.ok(f !== undefined, `${path} is generated`);
  return String(f);
};

describe("published site pages", () => {
  it("has a matrix, a page per tactic, technique and mitigation, search, changelog and downloads", () => {
    const site = build();
    for (const p of [
      "index.html",
      "tactics/TA0005.html",
      "tactics/TA0040.html",
      "techniques/T1685.002.html",
      "mitigations/M1018.html",
      "mitigations/index.html",
      "search.html",
      "changelog.html",
    ])
      assert.match(text(site, p), /^<!doctype html>\n<html lang="en">/, p);
    const matrix = text(site, "index.html");
    assert.match(matrix, /href="techniques\/T1685\.html"/);
    assert.doesNotMatch(matrix, /T1562\.008/, "revoked techniques are not in the matrix");
    const t = text(site, "techniques/T1685.002.html");
    for (const h of [
      "Description",
      "CloudTrail events",
      "Detection",
      "Mitigations",
      "Detector findings",
      "Rules",
      "References",
    ])
      assert.match(t, new RegExp(`<h2>${h}</h2>`));
    assert.match(t, /<code>cloudtrail:DeleteTrail<\/code>/);
    assert.match(t, /Stealth:IAMUser\/CloudTrailLoggingDisabled<\/code><\/td><td>detects<\/td><td>high/);
    assert.match(t, /CloudTrail trail stopped<br><span class="id">r-1<\/span><\/td><td>high/);
    assert.match(t, /href="\.\.\/mitigations\/M1018\.html"/);
    assert.match(t, /data-pagefind-body/);
  });

  it("escapes catalog text", () => {
    const t = text(build(), "techniques/T1685.002.html");
    assert.doesNotMatch(t, /<script>alert/);
    assert.match(t, /Keys &lt;script&gt;alert\(1\)&lt;\/script&gt; &amp; &quot;quotes&quot;/);
  });

  it("keeps a page for revoked and removed techniques that points to the replacement or the changelog", () => {
    const site = build();
    const revoked = text(site, "techniques/T1562.008.html");
    assert.match(revoked, /Revoked: use <a href="\.\.\/techniques\/T1685\.002\.html">/);
    assert.doesNotMatch(revoked, /data-pagefind-body/, "revoked pages are left out of search");
    assert.match(text(site, "techniques/T1490.html"), /Removed in 2026\.02.*href="\.\.\/changelog\.html"/s);
  });

  it("renders the changelog with word diffs and tactic groups", () => {
    const c = text(build(), "changelog.html");
    assert.match(c, /<h1>Changelog 2026\.01 → 2026\.02<\/h1>/);
    assert.match(c, /<h2 id="new">New techniques \(2\)<\/h2><h3 id="new-TA0005">Defense Evasion<\/h3>/);
    assert.match(
      c,
      /description: <del>Description of T1562<\/del><ins>Adversaries weaken defences in new ways<\/ins>\./,
    );
    assert.match(c, /replaced by <a href="techniques\/T1685\.002\.html">/);
    assert.match(c, /events: removed <code>cloudtrail:StopLogging<\/code>/);
  });

  it("writes downloads whose SHA256SUMS verify, and lists them", () => {
    const site = build();
    const names = site.downloads.map((d) => d.name);
    assert.deepEqual(names, [
      "techtrail-catalog-2026.02.stix.json",
      "techtrail-catalog-2026.02.json",
      "techtrail-catalog-2026.02.csv",
      "techtrail-catalog-2026.02.attack-layer.json",
      "techtrail-catalog-2026.02.full-layer.json",
      "techtrail-sigma-rules-2026.02.tar.gz",
      "changelog-2026.02.md",
      "changelog-2026.02.json",
    ]);
    const sums = text(site, "downloads/SHA256SUMS");
    const lines = sums.trim().split("\n");
    assert.equal(lines.length, names.length);
    for (const l of lines) {
      const [hex, name] = l.split("  ");
      const data = site.files.get(`downloads/${name}`);
      assert.ok(data !== undefined, `${name} is in the downloads`);
      assert.equal(sha256(data), hex, name);
    }
    const bundle = JSON.parse(text(site, "downloads/techtrail-catalog-2026.02.stix.json")) as { type: string };
    assert.equal(bundle.type, "bundle");
    assert.match(text(site, "downloads/techtrail-catalog-2026.02.csv"), /^id,name,tactics,/);
    const page = renderDownloadsPage(site, v2(), { signature: "SHA256SUMS.sig" });
    assert.match(page, /href="downloads\/SHA256SUMS\.sig"/);
    for (const d of site.downloads) assert.ok(page.includes(d.sha256), d.name);
    assert.equal(checksumsText([{ name: "a", data: "x" }]), `${sha256("x")}  a\n`);
  });
});

describe("publishSite", () => {
  const dir = mkdtempSync(join(tmpdir(), "techtrail-publish-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("fails on a catalog with broken references, listing every problem", async () => {
    const cat = join(dir, "broken");
    cpSync(BUILTIN_CATALOG_DIR, cat, { recursive: true });
    const f = join(cat, "techniques", "T1098.yaml");
    writeFileSync(
      f,
      readFileSync(f, "utf8")
        .replace(/^tactics: .*$/m, "tactics: [TA0003, TA0099]")
        .replace(/^parent: .*$/m, ""),
    );
    const g = join(cat, "techniques", "T1098.001.yaml");
    writeFileSync(g, readFileSync(g, "utf8").replace(/- id: M\d{4}/, "- id: M9999"));
    await assert.rejects(publishSite({ out: join(dir, "site-broken"), catalogDir: cat }), (e: unknown) => {
      assert.ok(e instanceof TechtrailError);
      const msgs = e.problems.map((p) => p.message).join("\n");
      assert.match(msgs, /unknown tactic TA0099/);
      assert.match(msgs, /unknown mitigation M9999/);
      return true;
    });
    assert.ok(!existsSync(join(dir, "site-broken", "2026.12")));
  });

  it("builds the shipped catalog, checksums verify with sha256sum, and --sign signs SHA256SUMS", async () => {
    const signer = join(dir, "sign.mjs");
    writeFileSync(
      signer,
      `import { readFileSync, writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
writeFileSync(process.argv[3], "signed " + createHash("sha256").update(readFileSync(process.argv[2])).digest("hex") + "\\n");`,
    );
    const out = join(dir, "site");
    const r = await publishSite({ out, sign: `${process.execPath} ${signer} {file} {sig}` });
    const dl = join(out, r.version, "downloads");
    assert.equal(r.signature, "SHA256SUMS.sig");
    assert.equal(
      readFileSync(join(dl, "SHA256SUMS.sig"), "utf8"),
      `signed ${sha256(readFileSync(join(dl, "SHA256SUMS")))}\n`,
    );
    const check = spawnSync("sha256sum", ["-c", "SHA256SUMS"], { cwd: dl, encoding: "utf8" });
    if (!check.error) {
      assert.equal(check.status, 0, check.stdout + check.stderr);
      assert.equal(check.stdout.trim().split("\n").length, r.downloads.length - 2);
    }
    assert.ok(existsSync(join(out, r.version, "pagefind", "pagefind-ui.js")), "search index written");
    assert.match(readFileSync(join(out, "index.html"), "utf8"), new RegExp(`href="${r.version}/index.html"`));
    await assert.rejects(
      publishSite({ out, sign: `${process.execPath} -e process.exit(3) {file}` }),
      /--sign: .* exited 3/,
    );
    assert.ok(existsSync(join(out, r.version, "index.html")), "a failed run leaves the published release alone");
  });

  it("checks the --sign template", () => {
    assert.deepEqual(signCommand("gpg --detach-sign -o {sig} {file}", "/s/SUMS", "/s/SUMS.sig"), [
      "gpg",
      "--detach-sign",
      "-o",
      "/s/SUMS.sig",
      "/s/SUMS",
    ]);
    assert.throws(() => signCommand("gpg --sign", "f", "s"), /must contain \{file\}/);
  });
});
