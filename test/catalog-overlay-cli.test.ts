// End-to-end: a team overlay (examples/overlay-acme) through the built CLI: catalog show/list/search, the
// additions to a catalog technique, `catalog overlay check` after an upgrade, located errors for bad overlays,
// incidents tagged with overlay techniques, and every command that loads the catalog going through the one loader.
import assert from "node:assert/strict";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { REPO_ROOT, runCli, runCliJson } from "./cli-helper.js";

const EXAMPLE = join(REPO_ROOT, "examples", "overlay-acme");
const tmp = mkdtempSync(join(tmpdir(), "techtrail-overlay-cli-"));
after(() => rmSync(tmp, { recursive: true, force: true }));
/** No TECHTRAIL_* catalog settings leak in from the caller's environment. */
const clean = { TECHTRAIL_CATALOG: "", TECHTRAIL_OVERLAY: "", TECHTRAIL_DATABASE_URL: "" };

/** A copy of the example overlay with extra files, in a new folder. */
function overlayCopy(name: string, files: Record<string, string>): string {
  const dir = join(tmp, name);
  cpSync(EXAMPLE, dir, { recursive: true });
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(join(dir, rel, ".."), { recursive: true });
    writeFileSync(join(dir, rel), text);
  }
  return dir;
}

type Summary = { id: string; source: string; parent: string | null };

describe("catalog commands with an overlay", () => {
  it("show, list and search include the overlay's techniques, marked", () => {
    const show = runCli(["catalog", "--overlay", EXAMPLE, "show", "ACME-0001"], { env: clean });
    assert.equal(show.status, 0, show.stderr);
    assert.match(show.stdout, /^ACME-0001 {2}Deployment pipeline role assumed outside the pipeline/);
    assert.match(show.stdout, /source: overlay ACME \(ACME cloud security team\), not part of catalog/);
    // The environment works like the option.
    const list = runCliJson<Summary[]>(["catalog", "list", "--json"], {
      env: { ...clean, TECHTRAIL_OVERLAY: EXAMPLE },
    });
    const own = list.filter((t) => t.source === "overlay").map((t) => t.id);
    assert.deepEqual(own, ["T1078.ACME-1", "ACME-0001", "SEC-1042"]);
    assert.equal(list.find((t) => t.id === "T1078.ACME-1")?.parent, "T1078");
    assert.ok(list.filter((t) => t.source === "catalog").length > 100);
    const table = runCli(["catalog", "--overlay", EXAMPLE, "list", "--tactic", "exfiltration"], { env: clean });
    assert.match(table.stdout, /SEC-1042 +Backup snapshot shared with an unknown account .* overlay ACME/);
    const hits = runCliJson<Array<{ id: string; source: string }>>(
      ["catalog", "--overlay", EXAMPLE, "search", "someone", "used", "the", "break-glass", "role", "--json"],
      { env: clean },
    );
    assert.deepEqual(hits[0], { ...hits[0], id: "T1078.ACME-1", source: "overlay" });
    const event = runCli(["catalog", "--overlay", EXAMPLE, "event", "AssumeRoleWithWebIdentity"], { env: clean });
    assert.match(event.stdout, /ACME-0001/);
    const stats = runCli(["catalog", "--overlay", EXAMPLE, "stats"], { env: clean });
    assert.match(
      stats.stdout,
      /overlay ACME \(ACME cloud security team\): 3 technique\(s\), 5 addition\(s\) to 1 catalog/,
    );
    // Without the overlay, the catalog knows nothing of it.
    assert.equal(runCli(["catalog", "show", "ACME-0001"], { env: clean }).status, 3);
  });

  it("shows what the overlay adds to a catalog technique", () => {
    const t = runCliJson<{ events: string[]; source: string; overlayAdditions: { events: string[] } | null }>(
      ["catalog", "--overlay", EXAMPLE, "show", "T1078.A001", "--json"],
      { env: clean },
    );
    assert.equal(t.source, "catalog");
    assert.deepEqual(t.overlayAdditions?.events, ["iam:ListAccessKeys", "sts:GetSessionToken"]);
    assert.ok(t.events.includes("sts:GetSessionToken"));
    const text = runCli(["catalog", "--overlay", EXAMPLE, "show", "T1078.A001"], { env: clean }).stdout;
    assert.match(
      text,
      /overlay ACME adds: events iam:ListAccessKeys, sts:GetSessionToken; aliases key from the build log/,
    );
    assert.match(text, /ACME note: ACME's leaked keys/);
    assert.match(text, /M1026 [^:\n]+: ACME's remaining IAM users/);
  });

  it("never freezes an overlay into a release", () => {
    const r = runCli(["catalog", "--overlay", EXAMPLE, "release", "2026.12", "--dir", join(tmp, "rel")], {
      env: clean,
    });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /a release freezes the catalog alone/);
  });
});

describe("catalog overlay check", () => {
  it("passes the example overlay", () => {
    const r = runCli(["catalog", "overlay", "check", EXAMPLE], { env: clean });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /catalog \S+ \+ overlay ACME \(3 techniques, 5 additions\)\nno conflicts/);
  });

  it("after an upgrade lists what the catalog now has, loads with a warning, and --strict fails", () => {
    const dir = overlayCopy("upgraded", {
      "overlay.yaml": 'namespace: ACME\nprefixes: [SEC]\nname: ACME\nbase: "2026.11"\n',
      "patches/T1078.yaml": "technique: T1078\nevents:\n  - sts:AssumeRole\n  - sts:GetSessionToken\n",
      "patches/T1999.yaml": "technique: T1999\naliases: [gone]\n",
    });
    const r = runCli(["catalog", "overlay", "check", dir], { env: clean });
    assert.equal(r.status, 0, r.stderr);
    assert.match(
      r.stdout,
      /warning already-in-catalog: .*patches\/T1078\.yaml:3:5 \[events\.0\]: catalog \S+ already lists sts:AssumeRole for T1078/,
    );
    assert.match(
      r.stdout,
      /warning patch-target-missing: .*patches\/T1999\.yaml:1:12 \[technique\]: catalog \S+ has no technique T1999/,
    );
    assert.match(
      r.stdout,
      /warning base-version: .*overlay\.yaml:4:7 \[base\]: overlay was written against catalog 2026\.11/,
    );
    assert.match(r.stdout, /0 error\(s\), 3 warning\(s\)/);
    const strict = runCli(["catalog", "overlay", "check", dir, "--strict", "--json"], { env: clean });
    assert.equal(strict.status, 1);
    assert.equal((JSON.parse(strict.stdout) as { warnings: number }).warnings, 3);
    const show = runCli(["catalog", "--overlay", dir, "show", "T1078", "--json"], { env: clean });
    assert.equal(show.status, 0);
    assert.match(show.stderr, /warning: overlay ACME has 3 warning\(s\) against catalog/);
    const events = (JSON.parse(show.stdout) as { events: string[] }).events;
    assert.equal(events.filter((e) => e === "sts:AssumeRole").length, 1);
    assert.ok(events.includes("sts:GetSessionToken"));
  });

  it("refuses a colliding ID, a foreign namespace, an unknown parent and a malformed file, at file:line:column", () => {
    const dir = overlayCopy("bad", {
      "techniques/T1190.yaml":
        "id: T1190\nname: x\ntactics: [TA0001]\ndescription: x\ncreated: '2026-01-01'\nmodified: '2026-01-01'\n",
      "techniques/OTHER-1.yaml":
        "id: OTHER-1\nname: x\ntactics: [TA0001]\ndescription: x\ncreated: '2026-01-01'\nmodified: '2026-01-01'\n",
      "techniques/T9999.ACME-2.yaml":
        "id: T9999.ACME-2\nparent: T9999\nname: x\ntactics: [TA0001]\ndescription: x\ncreated: '2026-01-01'\nmodified: '2026-01-01'\n",
    });
    const r = runCli(["catalog", "overlay", "check", dir], { env: clean });
    assert.equal(r.status, 2);
    assert.match(r.stdout, /error foreign-namespace: .*techniques\/T1190\.yaml:1:5 \[id\]: T1190 is a catalog ID/);
    assert.match(
      r.stdout,
      /error foreign-namespace: .*OTHER-1\.yaml:1:5 \[id\]: OTHER-1 is outside this overlay's namespace/,
    );
    assert.match(
      r.stdout,
      /error unknown-parent: .*T9999\.ACME-2\.yaml:2:9 \[parent\]: unknown parent technique T9999/,
    );
    const load = runCli(["catalog", "--overlay", dir, "list"], { env: clean });
    assert.equal(load.status, 2);
    assert.match(load.stderr, /overlay ACME in .* has 3 conflict\(s\) with catalog/);
    assert.match(load.stderr, /T9999\.ACME-2\.yaml:2:9 \[parent\]/);
    writeFileSync(join(dir, "techniques", "ACME-0001.yaml"), "id: ACME-0001\nname: [oops\n");
    const broken = runCli(["catalog", "--overlay", dir, "list"], { env: clean });
    assert.equal(broken.status, 2);
    assert.match(broken.stderr, /ACME-0001\.yaml:\d+:\d+: /);
  });
});

describe("publish --overlay", () => {
  it("publishes the overlay's techniques and additions, marked, and indexed for search", () => {
    const out = join(tmp, "site");
    const r = runCliJson<{ version: string; dir: string }>(["publish", "--out", out, "--overlay", EXAMPLE, "--json"], {
      env: clean,
    });
    const page = (id: string) => readFileSync(join(r.dir, "techniques", `${id}.html`), "utf8");
    const own = page("ACME-0001");
    assert.match(
      own,
      /<h1><span class="id">ACME-0001<\/span> Deployment pipeline role assumed outside the pipeline <span class="overlay"/,
    );
    assert.match(own, /A team technique from overlay ACME \(ACME cloud security team\), not part of catalog release/);
    assert.match(own, /data-pagefind-body/);
    assert.match(page("SEC-1042"), /ec2:ModifySnapshotAttribute/);
    assert.match(page("T1078"), /href="T1078\.ACME-1\.html"|href="\.\.\/techniques\/T1078\.ACME-1\.html"/);
    const patched = page("T1078.A001");
    assert.match(patched, /Overlay ACME adds to this technique: events iam:ListAccessKeys, sts:GetSessionToken/);
    assert.match(patched, /<code>sts:GetSessionToken<\/code> <span class="overlay"/);
    const index = readFileSync(join(r.dir, "index.html"), "utf8");
    assert.match(index, /This site shows catalog \S+ \+ overlay ACME \(3 techniques, 5 additions\)/);
    assert.match(
      index,
      /ACME-0001<\/span> Deployment pipeline role assumed outside the pipeline<\/a> <span class="overlay"/,
    );
    const release = JSON.parse(
      readFileSync(join(r.dir, "downloads", `techtrail-catalog-${r.version}.json`), "utf8"),
    ) as {
      catalog: { techniques: Array<{ id: string }> };
    };
    assert.ok(release.catalog.techniques.some((t) => t.id === "SEC-1042"));
  });
});

describe("every command loads the catalog through the one loader", () => {
  it("incidents can be tagged with overlay techniques", () => {
    const env = { ...clean, TECHTRAIL_DB: join(tmp, "inc.db"), TECHTRAIL_ACTOR: "e2e", TECHTRAIL_OVERLAY: EXAMPLE };
    const add = runCli(
      ["incident", "add", "--title", "Deploy role used from a fork", "--technique", "ACME-0001", "--json"],
      {
        env,
      },
    );
    assert.equal(add.status, 0, add.stderr);
    const key = (JSON.parse(add.stdout) as { key: string }).key;
    const shown = runCliJson<{ techniques: Array<{ id: string }> }>(["incident", "show", key, "--json"], { env });
    assert.deepEqual(
      shown.techniques.map((t) => t.id),
      ["ACME-0001"],
    );
    const freq = runCli(["stats", "frequency", "--demo", "exclude"], { env });
    assert.match(freq.stdout, /ACME-0001 +Deployment pipeline role/);
  });

  it("each command names a missing overlay folder instead of ignoring it", () => {
    const env = { ...clean, TECHTRAIL_OVERLAY: join(tmp, "no-such-overlay"), TECHTRAIL_DB: join(tmp, "none.db") };
    const commands = [
      ["catalog", "list"],
      ["catalog", "export", "--out", join(tmp, "x.json")],
      ["rules", "list"],
      ["playbooks", "list"],
      ["coverage", "--profile", "cloudtrail-only"],
      ["stats", "frequency"],
      ["stats", "share", "--quarter", "2026Q3", "--out", join(tmp, "share.json")],
      ["report", "--quarter", "2026Q3"],
      ["incident", "list"],
      ["demo", "seed"],
      ["scan", join(REPO_ROOT, "examples", "cloudtrail")],
      ["baseline", "build", join(REPO_ROOT, "examples", "cloudtrail"), "--out", join(tmp, "b.json")],
      ["publish", "--out", join(tmp, "site")],
    ];
    for (const args of commands) {
      const r = runCli(args, { env, cwd: tmp });
      assert.notEqual(r.status, 0, args.join(" "));
      assert.match(r.stderr, /overlay folder .*no-such-overlay does not exist/, `${args.join(" ")}: ${r.stderr}`);
    }
  });
});
