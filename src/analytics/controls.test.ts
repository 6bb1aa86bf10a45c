// Control counterfactuals on hand-made incidents with known answers, and the errors of bad effect rules and
// controls files (file:line:column).
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { loadBuiltinCatalog } from "../catalog/load.js";
import { loadMitigationEffects, parseControlsInventory, parseMitigationEffects } from "../controls/load.js";
import { TechtrailError } from "../core/errors.js";
import { NewIncident, type NewIncidentInput } from "../incidents/model.js";
import { openSqliteStore } from "../store/sqlite.js";
import type { Store } from "../store/store.js";
import { type ControlImpact, controlsImpact } from "./controls.js";

const catalog = loadBuiltinCatalog();
const V = catalog.meta.version;
const H = 3_600_000;
const plus = (iso: string, hours: number) => new Date(Date.parse(iso) + hours * H).toISOString();
const t = (id: string, firstSeen?: string) => ({ id, catalogVersion: V, ...(firstSeen ? { firstSeen } : {}) });

function inc(over: NewIncidentInput): NewIncidentInput {
  return { severity: "P2", status: "contained", ...over };
}

const T0 = "2026-05-01T00:00:00Z";
const INCIDENTS: NewIncidentInput[] = [
  // Root password phished: root protection prevents it.
  inc({
    key: "IR-2026-0001",
    title: "Root password reset through hijacked mailbox",
    timeline: { firstActivity: T0, detected: plus(T0, 30), contained: plus(T0, 40) },
    techniques: [t("T1078.A002", T0), t("T1666.A002", plus(T0, 2))],
    initialAccessTechnique: "T1078.A002",
    credentialType: "root-password",
  }),
  // Root access key: also prevented (no root keys), by a different rule.
  inc({
    key: "IR-2026-0002",
    title: "Root access key found in an old backup",
    timeline: { firstActivity: T0, detected: plus(T0, 0.5), contained: plus(T0, 2) },
    techniques: [t("T1078.A002", T0)],
    initialAccessTechnique: "T1078.A002",
    credentialType: "root-access-key",
  }),
  // Root used, but no credential type recorded: cannot tell.
  inc({
    key: "IR-2026-0003",
    title: "Root activity of unclear origin",
    timeline: { firstActivity: T0, detected: plus(T0, 5), contained: plus(T0, 6) },
    techniques: [t("T1078.A002", T0)],
    initialAccessTechnique: "T1078.A002",
  }),
  // IAM user key leaked, detected after 3 days by the bill: GuardDuty (6h) would have shortened it.
  inc({
    key: "IR-2026-0004",
    title: "Leaked key used for mining",
    timeline: { firstActivity: T0, detected: plus(T0, 72), contained: plus(T0, 80) },
    techniques: [t("T1078.A001", T0), t("T1496.A008", plus(T0, 1))],
    initialAccessTechnique: "T1078.A001",
    credentialType: "iam-user-access-key",
  }),
  // SSRF then instance credentials: IMDSv2 blocks the theft step but the application was still compromised.
  inc({
    key: "IR-2026-0005",
    title: "SSRF to instance metadata",
    status: "open",
    timeline: { firstActivity: T0, detected: plus(T0, 2) },
    techniques: [t("T1190.A016", T0), t("T1552.005", plus(T0, 1))],
    initialAccessTechnique: "T1190.A016",
    credentialType: "none",
  }),
  // A root incident after root protection was deployed: a finding.
  inc({
    key: "IR-2026-0006",
    title: "Root sign-in despite protection",
    timeline: {
      firstActivity: "2026-09-01T00:00:00Z",
      detected: "2026-09-01T03:00:00Z",
      contained: "2026-09-01T04:00:00Z",
    },
    techniques: [t("T1078.A002", "2026-09-01T00:00:00Z")],
    initialAccessTechnique: "T1078.A002",
    credentialType: "root-password",
  }),
];

describe("controls impact", () => {
  let dir: string;
  let store: Store;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "tt-controls-"));
    store = await openSqliteStore(join(dir, "t.db"));
    await store.importMany(
      INCIDENTS.map((i) => NewIncident.parse(i)),
      { actor: "test" },
    );
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const find = (list: ControlImpact[], id: string) => {
    const c = list.find((x) => x.id === id);
    assert.ok(c, `${id} is listed`);
    return c;
  };

  test("root protection prevents root-password and root-key incidents, each with the rule that decided", async () => {
    const r = await controlsImpact(store, catalog);
    const root = find(r.controls, "AM0009");
    assert.equal(root.deployed, false);
    const prevented = root.incidents.filter((d) => d.outcome === "prevented");
    assert.deepEqual(prevented.map((d) => d.key).sort(), ["IR-2026-0001", "IR-2026-0002", "IR-2026-0006"]);
    assert.equal(root.counts.prevented, 3);
    const byKey = new Map(root.incidents.map((d) => [d.key, d]));
    assert.deepEqual(byKey.get("IR-2026-0001")?.rule?.when, { credential: ["root-password"] });
    assert.deepEqual(byKey.get("IR-2026-0002")?.rule?.when, { credential: ["root-access-key"] });
    assert.match(byKey.get("IR-2026-0001")?.reason ?? "", /initial access T1078\.A002 with a root-password credential/);
    assert.equal(byKey.get("IR-2026-0003")?.outcome, "undetermined");
    assert.match(byKey.get("IR-2026-0003")?.reason ?? "", /credential type not recorded/);
    assert.equal(root.counts.untouched, 2);
    assert.deepEqual(root.untouched.flatMap((u) => u.keys).sort(), ["IR-2026-0004", "IR-2026-0005"]);
    assert.equal(r.missing.credentialType, 1);
  });

  test("earlier detection shortens by the measured difference; a blocked later step only limits", async () => {
    const r = await controlsImpact(store, catalog);
    const gd = find(r.controls, "AM0008");
    const d4 = gd.incidents.find((d) => d.key === "IR-2026-0004");
    assert.equal(d4?.outcome, "shortened");
    // Detected at +72h. The key rule (first seen T0, within 6h) would save 66h; the mining rule (first seen
    // +1h, within 4h) saves 67h: the larger saving decides.
    assert.equal(d4?.rule?.technique, "T1496.A008");
    assert.equal(d4?.savedSeconds, 67 * 3600);
    assert.deepEqual(d4?.timeToDetect, { actual: 72 * 3600, counterfactual: 5 * 3600 });
    assert.deepEqual(d4?.exposure, { actual: 80 * 3600, counterfactual: 13 * 3600 });
    // Root sign-ins detected after 30h, 5h and 3h would have been seen within the hour: 29h + 4h + 2h more.
    assert.equal(gd.counts.shortened, 4);
    assert.equal(gd.counts.savedSeconds.total, (67 + 29 + 4 + 2) * 3600);
    // Root incident 0002 was detected after 30 minutes: GuardDuty's hour would not have been faster.
    assert.ok(gd.untouched.some((u) => u.keys.includes("IR-2026-0002") && /detected that soon anyway/.test(u.reason)));
    const imds = find(r.controls, "AM0002");
    const d5 = imds.incidents.find((d) => d.key === "IR-2026-0005");
    assert.equal(d5?.outcome, "limited");
    assert.match(d5?.reason ?? "", /blocks the later step T1552\.005; the way in \(T1190\.A016\) stays open/);
    assert.equal(imds.counts.prevented, 0);
  });

  test("a deployed control counts incidents before its date and reports those after it as findings", async () => {
    const inventory = parseControlsInventory(
      "team: platform\ncontrols:\n  - control: AM0009\n    since: 2026-08-01\n",
      "controls.yaml",
      catalog,
    );
    const r = await controlsImpact(store, catalog, {}, { inventory, inventorySource: "controls.yaml" });
    assert.equal(r.team, "platform");
    assert.ok(!r.controls.some((c) => c.id === "AM0009"));
    const root = find(r.deployed, "AM0009");
    assert.equal(root.since, "2026-08-01");
    assert.equal(root.counts.prevented, 2);
    assert.deepEqual(
      root.happenedAnyway?.map((d) => [d.key, d.outcome]),
      [["IR-2026-0006", "prevented"]],
    );
  });

  test("quarter filter, only, team rules and a partial deployment", async () => {
    const inventory = parseControlsInventory(
      [
        "team: platform",
        "controls:",
        "  - control: AM0001",
        "    since: 2026-01-01",
        "    techniques: [T1562.008]",
        "  - control: AM0017",
        "    since: 2026-01-01",
        "    effects:",
        "      - technique: T1496.A001",
        "        effect: detects",
        "        within: 2h",
        "        why: Our SES bounce alarm pages the on-call.",
      ].join("\n"),
      "team.yaml",
      catalog,
    );
    const r = await controlsImpact(
      store,
      catalog,
      { from: "2026-08-01T00:00:00Z" },
      { inventory, inventorySource: "team.yaml", only: ["AM0001", "AM0017", "AM0009"] },
    );
    assert.equal(r.scope.incidents, 1);
    const scp = find(r.deployed, "AM0001");
    assert.deepEqual(scp.scope, ["T1562.008"]);
    assert.deepEqual(
      scp.rules.map((x) => x.technique),
      ["T1562.008"],
      "the root rule of AM0001 is out of the deployed scope",
    );
    const ses = find(r.deployed, "AM0017");
    assert.ok(ses.rules.some((x) => x.origin === "team.yaml" && x.effect === "detects"));
    assert.deepEqual(
      r.controls.map((c) => c.id),
      ["AM0009"],
    );
  });
});

// The facts beyond credential and entry technique that rules narrow on: the coarse vector, a technique the
// incident must have (where the key was found), and one it must lack (persistence that outlives a session).
const KEY_ENTRY = { initialAccessTechnique: "T1078.A001", credentialType: "iam-user-access-key" } as const;
const NARROWED: NewIncidentInput[] = [
  inc({
    key: "IR-2026-0101",
    title: "Leaked key used for mining, no persistence",
    timeline: { firstActivity: T0, detected: plus(T0, 60), contained: plus(T0, 72) },
    techniques: [t("T1078.A001", T0), t("T1496.A008", plus(T0, 1))],
    initialAccess: "leaked-access-key",
    ...KEY_ENTRY,
  }),
  inc({
    key: "IR-2026-0102",
    title: "Leaked key, the intruder made their own key",
    timeline: { firstActivity: T0, detected: plus(T0, 60), contained: plus(T0, 72) },
    techniques: [t("T1078.A001", T0), t("T1098.001", plus(T0, 1))],
    initialAccess: "leaked-access-key",
    ...KEY_ENTRY,
  }),
  inc({
    key: "IR-2026-0103",
    title: "Key committed to a public repository",
    timeline: { firstActivity: T0, detected: plus(T0, 30), contained: plus(T0, 32) },
    techniques: [t("T1552.001", T0), t("T1078.A001", T0)],
    initialAccess: "leaked-access-key",
    ...KEY_ENTRY,
  }),
  inc({
    key: "IR-2026-0104",
    title: "Former contractor signs in with their own password",
    timeline: { firstActivity: T0, detected: plus(T0, 10), contained: plus(T0, 12) },
    techniques: [t("T1078.A001", T0), t("T1485.A001", plus(T0, 1))],
    initialAccess: "insider",
    initialAccessTechnique: "T1078.A001",
    credentialType: "iam-user-password",
  }),
  inc({
    key: "IR-2026-0105",
    title: "Key of unknown origin",
    timeline: { firstActivity: T0, detected: plus(T0, 30), contained: plus(T0, 40) },
    techniques: [t("T1078.A001", T0)],
    ...KEY_ENTRY,
  }),
];

describe("rules narrowed by vector, has and lacks", () => {
  let dir: string;
  let store: Store;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "tt-controls-narrow-"));
    store = await openSqliteStore(join(dir, "t.db"));
    await store.importMany(
      NARROWED.map((i) => NewIncident.parse(i)),
      { actor: "test" },
    );
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const outcomes = (c: ControlImpact | undefined) => {
    assert.ok(c);
    const m = new Map<string, string>(c.incidents.map((d) => [d.key, d.outcome]));
    for (const u of c.untouched) for (const k of u.keys) m.set(k, "untouched");
    return m;
  };
  const reasonOf = (c: ControlImpact | undefined, key: string) =>
    c?.incidents.find((d) => d.key === key)?.reason ?? c?.untouched.find((u) => u.keys.includes(key))?.reason ?? "";

  test("short-lived credentials cut a leaked key's use off at 12h unless the intruder made their own access", async () => {
    const r = await controlsImpact(store, catalog, {}, { only: ["AM0003"] });
    const c = r.controls[0];
    const o = outcomes(c);
    assert.equal(o.get("IR-2026-0101"), "shortened");
    const d = c?.incidents.find((x) => x.key === "IR-2026-0101");
    assert.equal(d?.savedSeconds, 60 * 3600, "contained at 72h instead of 12h after the key's first use");
    assert.equal(o.get("IR-2026-0102"), "untouched");
    assert.match(reasonOf(c, "IR-2026-0102"), /the incident has T1098\.001, which the rule excludes/);
    assert.equal(o.get("IR-2026-0104"), "untouched", "an insider's password is no leaked key");
    assert.equal(o.get("IR-2026-0105"), "undetermined");
    assert.match(reasonOf(c, "IR-2026-0105"), /initial-access vector not recorded/);
    assert.equal(c?.counts.prevented, 0, "a session still leaks: the control limits, it does not prevent");
  });

  test("secret scanning is credited only where the key was found in a file; MFA not against an insider", async () => {
    const r = await controlsImpact(store, catalog, {}, { only: ["AM0011", "M1032"] });
    const scan = r.controls.find((x) => x.id === "AM0011");
    const o = outcomes(scan);
    assert.equal(o.get("IR-2026-0103"), "shortened");
    for (const k of ["IR-2026-0101", "IR-2026-0102", "IR-2026-0105"]) assert.equal(o.get(k), "untouched", k);
    assert.match(reasonOf(scan, "IR-2026-0101"), /the incident has none of T1552\.001/);
    const mfa = r.controls.find((x) => x.id === "M1032");
    assert.equal(outcomes(mfa).get("IR-2026-0104"), "untouched");
    assert.match(
      reasonOf(mfa, "IR-2026-0104"),
      /the way in was insider, the rule needs compromised-console-credentials/,
    );
  });
});

describe("effect rules and controls files", () => {
  test("the shipped effect rules load and annotate mitigations the techniques list", () => {
    const rules = loadMitigationEffects(catalog);
    assert.ok((rules.get("AM0009") ?? []).some((r) => r.technique === "T1078.A002" && r.effect === "prevents"));
    for (const [m, list] of rules)
      for (const r of list)
        assert.ok(
          catalog.technique(r.technique)?.mitigations.some((x) => x.id === m),
          `${r.technique} lists ${m}`,
        );
  });

  const problems = (fn: () => unknown): string[] => {
    try {
      fn();
    } catch (e) {
      assert.ok(e instanceof TechtrailError, String(e));
      return e.problems.map((p) => `${p.source}:${p.line}:${p.column} ${p.field ?? ""}: ${p.message}`);
    }
    assert.fail("expected an error");
  };

  test("an unknown control, effect or technique is reported with file:line:column", () => {
    const text = [
      "team: platform",
      "controls:",
      "  - control: AM9999",
      "    since: 2026-01-01",
      "  - control: AM0001",
      "    since: 2026-01-01",
      "    techniques: [T1562.008, T1999.A999]",
      "    effects:",
      "      - technique: T1998",
      "        effect: prevents",
      "        why: Made up.",
    ].join("\n");
    const ps = problems(() => parseControlsInventory(text, "controls.yaml", catalog));
    assert.deepEqual(ps, [
      "controls.yaml:3:14 controls.0.control: unknown control AM9999 (controls are catalog mitigation IDs; see `techtrail catalog` or catalog/mitigations.yaml)",
      `controls.yaml:7:29 controls.1.techniques.1: unknown technique T1999.A999 (not in catalog ${V})`,
      `controls.yaml:9:20 controls.1.effects.0.technique: unknown technique T1998 (not in catalog ${V})`,
    ]);
    const bad = [
      "team: x",
      "controls:",
      "  - control: AM0001",
      "    since: 2026-01-01",
      "    effects:",
      "      - technique: T1535",
      "        effect: blocks",
      "        why: x",
    ].join("\n");
    const ep = problems(() => parseControlsInventory(bad, "c.yaml", catalog));
    assert.equal(ep.length, 1);
    assert.match(ep[0] ?? "", /^c\.yaml:7:17 controls\.0\.effects\.0\.effect: .*prevents.*detects.*limits/);
    const noWithin = [
      "team: x",
      "controls:",
      "  - control: AM0001",
      "    since: 2026-01-01",
      "    effects:",
      "      - technique: T1535",
      "        effect: detects",
      "        why: x",
    ].join("\n");
    assert.match(problems(() => parseControlsInventory(noWithin, "c.yaml", catalog))[0] ?? "", /needs within/);
  });

  test("has, lacks and vector conditions are checked: unknown techniques located, unknown vectors refused", () => {
    const text = [
      "- mitigation: AM0003",
      "  effects:",
      "    - technique: T1078.A001",
      "      effect: limits",
      "      within: 12h",
      "      when: { has: [T1552.001], lacks: [T1098.999] }",
      "      why: x",
    ].join("\n");
    assert.deepEqual(
      problems(() => parseMitigationEffects(text, "effects.yaml", catalog)),
      ["effects.yaml:6:41 0.effects.0.when.lacks.0: unknown technique T1098.999"],
    );
    const badVector = text.replace("has: [T1552.001], lacks: [T1098.999]", "vector: [stolen-laptop]");
    assert.match(
      problems(() => parseMitigationEffects(badVector, "effects.yaml", catalog))[0] ?? "",
      /^effects\.yaml:6:\d+ 0\.effects\.0\.when\.vector\.0: .*leaked-access-key/,
    );
    const empty = text.replace("has: [T1552.001], lacks: [T1098.999]", "");
    assert.match(problems(() => parseMitigationEffects(empty, "effects.yaml", catalog))[0] ?? "", /names credential/);
  });

  test("catalog effect rules must name a listed mitigation and known techniques", () => {
    const text = [
      "- mitigation: AM0009",
      "  effects:",
      "    - technique: T1496.A008",
      "      effect: prevents",
      "      why: Not how it works.",
      "- mitigation: AM0042",
      "  effects:",
      "    - technique: T1535",
      "      effect: prevents",
      "      why: x",
    ].join("\n");
    const ps = problems(() => parseMitigationEffects(text, "effects.yaml", catalog));
    assert.deepEqual(ps, [
      "effects.yaml:3:18 0.effects.0.technique: T1496.A008 does not list AM0009 among its mitigations (add it there with how it applies)",
      "effects.yaml:6:15 1.mitigation: unknown control AM0042 (see catalog/mitigations.yaml)",
    ]);
  });
});
