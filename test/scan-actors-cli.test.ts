// End to end: `techtrail scan` over the shipped example trail with actors in the register. The table shows an
// actors column only when a finding carries a mark, CSV always has one; `--create-incident` attributes the draft
// to the one matched actor (as `actor link` does, audited) and links none when several match.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { parseCsv } from "../src/incidents/csv.js";
import { runCli, runCliJson } from "./cli-helper.js";

const TRAIL = "examples/cloudtrail"; // calls from 203.0.113.7 with key AKIAEXAMPLEKEY000001
const WIDE = { COLUMNS: "240", TECHTRAIL_ACTOR: "e2e" };

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), "techtrail-scan-actors-"));
});
after(() => rmSync(dir, { recursive: true, force: true }));

function register(name: string, actors: Array<[string, string]>): string {
  const db = join(dir, `${name}.db`);
  for (const [actor, indicator] of actors) {
    const r = runCli(["actor", "add", actor, "--indicator", indicator, "--db", db], { env: WIDE });
    assert.equal(r.status, 0, r.stderr);
  }
  return db;
}

interface Incident {
  key: string;
  actorId?: string;
  threatActor?: string;
  actorConfidence?: string;
}

test("scan table and CSV show the actors whose indicators the findings matched", () => {
  const db = register("one", [["Ember Wasp", "cidr:203.0.113.0/24"]]);
  const table = runCli(["scan", TRAIL, "--db", db], { env: WIDE });
  assert.equal(table.status, 1, table.stderr);
  const head = table.stdout.split("\n")[0] ?? "";
  assert.match(head, /\bprincipal\s+actors\s+event\b/);
  const rows = table.stdout.split("\n").filter((l) => /^2026-/.test(l));
  assert.ok(rows.length >= 2);
  for (const r of rows) assert.match(r, /Ember Wasp/);

  const plain = runCli(["scan", TRAIL, "--db", db, "--no-actors"], { env: WIDE });
  assert.equal(plain.status, 1, plain.stderr);
  assert.doesNotMatch(plain.stdout.split("\n")[0] ?? "", /actors/, "no column when no finding carries a mark");

  const csv = runCli(["scan", TRAIL, "--db", db, "--format", "csv"], { env: WIDE });
  assert.equal(csv.status, 1, csv.stderr);
  const [header, ...data] = parseCsv(csv.stdout).map((r) => r.cells);
  const col = header?.indexOf("actors") ?? -1;
  assert.ok(col >= 0, `actors column in ${header?.join(",")}`);
  assert.ok(data.length >= 2);
  for (const r of data) assert.match(r[col] ?? "", /^Ember Wasp \(ACT-\d{4}\) cidr:203\.0\.113\.0\/24$/);
  const bare = runCli(["scan", TRAIL, "--db", db, "--format", "csv", "--no-actors"], { env: WIDE });
  const [h2, ...d2] = parseCsv(bare.stdout).map((r) => r.cells);
  assert.ok(
    d2.every((r) => r[h2?.indexOf("actors") ?? -1] === ""),
    "the column stays, empty",
  );
});

test("scan --create-incident attributes the draft to the one matched actor, audited like actor link", () => {
  const db = register("link", [["Ember Wasp", "cidr:203.0.113.0/24"]]);
  const r = runCli(["scan", TRAIL, "--db", db, "--create-incident", "--title", "Trail stopped"], { env: WIDE });
  assert.equal(r.status, 1, r.stderr);
  const key = /draft incident (IR-\d{4}-\d{4}) created/.exec(r.stderr)?.[1];
  assert.ok(key, r.stderr);
  assert.match(r.stderr, new RegExp(`${key} attributed to ACT-0001 Ember Wasp \\(possible: \\d+ finding\\(s\\)`));
  const inc = runCliJson<Incident>(["incident", "show", key, "--db", db, "--json"]);
  assert.equal(inc.actorId, "ACT-0001");
  assert.equal(inc.threatActor, "Ember Wasp");
  assert.equal(inc.actorConfidence, "possible");
  const history = runCliJson<Array<{ action: string; note?: string }>>([
    "incident",
    "history",
    key,
    "--db",
    db,
    "--json",
  ]);
  assert.deepEqual(
    history.map((h) => h.action),
    ["create", "attribute"],
  );
  assert.match(history[1]?.note ?? "", /cidr:203\.0\.113\.0\/24/);
  const actorTrail = runCliJson<Array<{ action: string }>>(["actor", "history", "ACT-0001", "--db", db, "--json"]);
  assert.ok(
    actorTrail.some((h) => h.action === "link"),
    "the actor's own trail records the link",
  );
});

test("scan --create-incident with several matched actors lists them and links none", () => {
  const db = register("two", [
    ["Ember Wasp", "cidr:203.0.113.0/24"],
    ["Copper Lynx", "access-key:AKIAEXAMPLEKEY000001"],
  ]);
  const r = runCli(["scan", TRAIL, "--db", db, "--create-incident"], { env: WIDE });
  assert.equal(r.status, 1, r.stderr);
  const key = /draft incident (IR-\d{4}-\d{4}) created/.exec(r.stderr)?.[1];
  assert.ok(key, r.stderr);
  assert.match(
    r.stderr,
    /findings match 2 actors \(ACT-000\d [A-Z][a-z]+ [A-Z][a-z]+, ACT-000\d [A-Z][a-z]+ [A-Z][a-z]+\)/,
  );
  assert.match(r.stderr, /Ember Wasp/);
  assert.match(r.stderr, /Copper Lynx/);
  assert.match(r.stderr, new RegExp(`${key} is not attributed; link one with \`techtrail actor link ${key} ACTOR\``));
  const inc = runCliJson<Incident>(["incident", "show", key, "--db", db, "--json"]);
  assert.equal(inc.actorId, undefined);
  assert.equal(inc.threatActor, undefined);
  const history = runCliJson<Array<{ action: string }>>(["incident", "history", key, "--db", db, "--json"]);
  assert.deepEqual(
    history.map((h) => h.action),
    ["create"],
  );
});
