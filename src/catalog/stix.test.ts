// Unit tests of STIX export/import on small catalogs built here (independent of the shipped content).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { admValidate } from "../../test/adm-validate.js";
import { TechtrailError } from "../core/errors.js";
import { Catalog } from "./catalog.js";
import type { CatalogData } from "./model.js";
import {
  exportStix,
  importStix,
  parseStixJson,
  type StixBundle,
  type StixObject,
  serializeStix,
  stixToCatalog,
  TECHTRAIL_EXTENSION_ID,
  TECHTRAIL_IDENTITY_ID,
  uuidv5,
} from "./stix.js";
import { miniCatalogData, tech } from "./test-helpers.js";

function sampleData(): CatalogData {
  const d = miniCatalogData([
    tech("T1078", { name: "Valid Accounts", tactics: ["TA0005", "TA0006"], references: [] }),
    tech("T1078.004", { name: "Valid Accounts: Cloud Accounts", created: "2025-03-01", modified: "2026-02-01" }),
    tech("T1078.A001", {
      name: "Valid Accounts: IAM Users",
      events: ["sts:GetCallerIdentity", "iam:GetUser"],
      services: ["iam", "sts"],
      idNote: "AWS catalog ID.",
      references: [{ source: "mitre-attack", externalId: "T1078", url: "https://attack.mitre.org/techniques/T1078/" }],
      mitigations: [
        { id: "AM0003", how: "Use roles instead of access keys." },
        { id: "M1018", how: "Least privilege." },
      ],
    }),
    tech("AT1023", { name: "AWS-only thing", tactics: ["TA0040"], detection: "", dataSources: [] }),
    tech("AT1023.001", { name: "AWS-only sub", tactics: ["TA0040"], status: "deprecated" }),
    tech("T1485", { name: "Data Destruction", tactics: ["TA0040"], provenance: "someone else" }),
    tech("T1485.A001", { name: "Old destruction", tactics: ["TA0040"], status: "revoked", revokedBy: "T1485" }),
  ]);
  d.mitigations.push({ id: "AM0003", name: "Temporary credentials", description: "Prefer roles." });
  d.dataSources.push({
    id: "guardduty-s3-protection",
    name: "GuardDuty S3 Protection",
    description: "S3 findings",
    requires: "cloudtrail-management",
  });
  const t = d.techniques.find((x) => x.id === "T1078.A001");
  if (t) t.dataSources = ["cloudtrail-management", "guardduty-s3-protection"];
  return d;
}

const sample = () => new Catalog(sampleData());
const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;
const byType = (b: StixBundle, type: string) => b.objects.filter((o) => o.type === type);
const apOf = (b: StixBundle, id: string) =>
  b.objects.find(
    (o) =>
      o.type === "attack-pattern" && (o.external_references as Array<{ external_id?: string }>)[0]?.external_id === id,
  ) as StixObject & Record<string, unknown>;

describe("uuidv5", () => {
  it("matches the RFC 9562 example (DNS namespace, www.example.com)", () => {
    assert.equal(
      uuidv5("www.example.com", "6ba7b810-9dad-11d1-80b4-00c04fd430c8"),
      "2ed6657d-e927-568b-95e1-2665a8aea6a2",
    );
  });
});

describe("exportStix", () => {
  const b = exportStix(sample());

  it("builds an ATT&CK-shaped bundle", () => {
    assert.equal(b.type, "bundle");
    assert.equal(b.objects[0]?.type, "x-mitre-collection");
    assert.equal(byType(b, "x-mitre-collection").length, 1);
    assert.equal(byType(b, "identity").length, 1);
    assert.equal(byType(b, "marking-definition").length, 1);
    assert.equal(byType(b, "attack-pattern").length, 7);
    assert.equal(byType(b, "course-of-action").length, 2);
    for (const o of b.objects) assert.equal(o.created_by_ref, TECHTRAIL_IDENTITY_ID, `${o.id} created_by_ref`);
    const coll = b.objects[0] as Record<string, unknown>;
    assert.equal(coll.x_mitre_version, "26.1");
    const contents = coll.x_mitre_contents as Array<{ object_ref: string; object_modified: string }>;
    assert.equal(contents.length, b.objects.length - 1);
    for (const c of contents) {
      const o = b.objects.find((x) => x.id === c.object_ref);
      assert.ok(o, c.object_ref);
      assert.equal(c.object_modified, o.modified ?? o.created);
    }
  });

  it("orders matrix tactics as the catalog and gives tactics their short names and TA IDs", () => {
    const matrix = byType(b, "x-mitre-matrix")[0] as Record<string, unknown>;
    const tactics = byType(b, "x-mitre-tactic") as Array<Record<string, unknown>>;
    assert.deepEqual(
      matrix.tactic_refs,
      tactics.map((t) => t.id),
    );
    assert.deepEqual(
      tactics.map((t) => [
        (t.external_references as Array<{ external_id: string }>)[0]?.external_id,
        t.x_mitre_shortname,
      ]),
      [
        ["TA0005", "defense-evasion"],
        ["TA0040", "impact"],
        ["TA0006", "credential-access"],
      ],
    );
  });

  it("maps techniques to attack-patterns with kill chain, references, status and techtrail properties", () => {
    const t = apOf(b, "T1078");
    assert.deepEqual(t.kill_chain_phases, [
      { kill_chain_name: "mitre-attack", phase_name: "defense-evasion" },
      { kill_chain_name: "mitre-attack", phase_name: "credential-access" },
    ]);
    assert.deepEqual((t.external_references as unknown[])[0], {
      source_name: "mitre-attack",
      external_id: "T1078",
      url: "https://attack.mitre.org/techniques/T1078/",
    });
    assert.equal(t.x_mitre_is_subtechnique, false);
    assert.equal(
      ((apOf(b, "T1078.004").external_references as unknown[])[0] as { url: string }).url,
      "https://attack.mitre.org/techniques/T1078/004/",
    );
    const a = apOf(b, "T1078.A001");
    // AWS IDs keep source_name mitre-attack (ATT&CK tools read the ID there) but get no attack.mitre.org URL.
    assert.deepEqual((a.external_references as unknown[])[0], {
      source_name: "mitre-attack",
      external_id: "T1078.A001",
    });
    assert.equal((a.external_references as unknown[]).length, 2);
    assert.equal(a.x_mitre_is_subtechnique, true);
    assert.deepEqual(a.x_mitre_platforms, ["IaaS"]);
    assert.deepEqual(a.x_mitre_domains, ["enterprise-attack"]);
    assert.deepEqual(a.x_mitre_data_sources, ["AWS: CloudTrail", "CloudTrail: GuardDuty S3 Protection"]);
    assert.equal(a.x_mitre_detection, "Look at CloudTrail.");
    const ext = (a.extensions as Record<string, Record<string, unknown>>)[TECHTRAIL_EXTENSION_ID];
    assert.deepEqual(ext, {
      extension_type: "property-extension",
      x_techtrail_aliases: ["alias of T1078.A001", "second alias", "third alias"],
      x_techtrail_services: ["iam", "sts"],
      x_techtrail_events: ["sts:GetCallerIdentity", "iam:GetUser"],
      x_techtrail_data_sources: ["cloudtrail-management", "guardduty-s3-protection"],
      x_techtrail_id_note: "AWS catalog ID.",
    });
    assert.equal(apOf(b, "AT1023").x_mitre_detection, undefined, "empty detection is omitted");
    assert.equal(apOf(b, "AT1023.001").x_mitre_deprecated, true);
    assert.equal(apOf(b, "T1485.A001").revoked, true);
    assert.equal(apOf(b, "T1078").revoked, undefined);
  });

  it("emits subtechnique-of, mitigates (with the technique-specific how) and revoked-by relationships", () => {
    const rels = byType(b, "relationship") as Array<Record<string, string>>;
    const sub = rels.filter((r) => r.relationship_type === "subtechnique-of");
    assert.equal(sub.length, 4);
    assert.ok(sub.some((r) => r.source_ref === apOf(b, "T1078.A001").id && r.target_ref === apOf(b, "T1078").id));
    const mit = rels.filter((r) => r.relationship_type === "mitigates" && r.target_ref === apOf(b, "T1078.A001").id);
    assert.deepEqual(
      mit.map((r) => r.description),
      ["Use roles instead of access keys.", "Least privilege."],
    );
    const rev = rels.filter((r) => r.relationship_type === "revoked-by");
    assert.deepEqual(
      rev.map((r) => [r.source_ref, r.target_ref]),
      [[apOf(b, "T1485.A001").id, apOf(b, "T1485").id]],
    );
  });

  it("is deterministic: same data, same ids and bytes, whatever the input order", () => {
    const again = serializeStix(exportStix(sample()));
    assert.equal(again, serializeStix(b));
    const shuffled = sampleData();
    shuffled.techniques.reverse();
    assert.equal(serializeStix(exportStix(new Catalog(shuffled))), serializeStix(b));
    assert.equal(apOf(b, "T1078.A001").id, `attack-pattern--${uuidv5("technique:T1078.A001")}`);
    // Editing one technique changes that object's bytes and the bundle id, not the other ids.
    const edited = sampleData();
    const t = edited.techniques.find((x) => x.id === "T1078");
    if (t) t.description = "Changed.";
    const b2 = exportStix(new Catalog(edited));
    assert.notEqual(b2.id, b.id);
    assert.deepEqual(
      b2.objects.map((o) => o.id),
      b.objects.map((o) => o.id),
    );
  });

  it("uses dates from the data: technique dates, release date for catalog-level objects", () => {
    assert.equal(apOf(b, "T1078.004").created, "2025-03-01T00:00:00.000Z");
    assert.equal(apOf(b, "T1078.004").modified, "2026-02-01T00:00:00.000Z");
    assert.equal(b.objects[0]?.modified, "2026-02-01T00:00:00.000Z", "latest technique date without a release");
    const released = { ...sampleData(), released: "2026-03-15" };
    assert.equal(exportStix(new Catalog(released)).objects[0]?.modified, "2026-03-15T00:00:00.000Z");
  });

  it("refuses tactics that share a short name (kill chain phases would be ambiguous)", () => {
    const d = sampleData();
    d.tactics.push({ id: "TA0027", shortname: "impact", name: "Impact (other)", description: "x" });
    assert.throws(
      () => exportStix(new Catalog(d)),
      (e: unknown) => e instanceof TechtrailError && /share the short name impact/.test(e.message),
    );
  });
});

describe("exported objects against @mitre-attack/attack-data-model", () => {
  it("every object passes its ATT&CK schema (AWS IDs and MITRE-only modified_by_ref aside)", () => {
    const b = exportStix(sample());
    const patched = new Map<string, { patchedId: boolean; patchedModifiedBy: boolean }>();
    for (const o of b.objects) patched.set(o.id, admValidate(o));
    // ATT&CK-ID techniques pass as they are; only AWS IDs need the placeholder.
    assert.deepEqual(patched.get(apOf(b, "T1078").id), { patchedId: false, patchedModifiedBy: false });
    assert.deepEqual(patched.get(apOf(b, "T1078.004").id), { patchedId: false, patchedModifiedBy: false });
    assert.equal(patched.get(apOf(b, "T1078.A001").id)?.patchedId, true);
    assert.equal(patched.get(apOf(b, "AT1023").id)?.patchedId, true);
    for (const type of ["x-mitre-collection", "identity", "marking-definition", "extension-definition"])
      for (const o of byType(b, type))
        assert.deepEqual(patched.get(o.id), { patchedId: false, patchedModifiedBy: false });
  });

  it("the validation helper does catch a real defect", () => {
    const b = exportStix(sample());
    const bad = clone(apOf(b, "T1078"));
    bad.kill_chain_phases = [{ kill_chain_name: "lockheed", phase_name: "Defense Evasion" }];
    assert.throws(() => admValidate(bad), /ADM issue at kill_chain_phases/);
  });
});

describe("round trip", () => {
  it("stixToCatalog(exportStix(c)) gives back the same catalog", () => {
    const c = sample();
    const back = stixToCatalog(JSON.parse(serializeStix(exportStix(c))), { file: "x.json" });
    assert.deepEqual(back.techniques, c.techniques);
    assert.deepEqual(back.tactics, c.tactics);
    assert.deepEqual(back.mitigations, c.mitigations);
    assert.deepEqual(back.dataSources, c.dataSources);
    assert.deepEqual(back.meta, c.meta);
    // and exporting it again gives the same bytes
    assert.equal(serializeStix(exportStix(back)), serializeStix(exportStix(c)));
  });

  it("importing the export into the same catalog changes nothing and reports no conflict", () => {
    const c = sample();
    const { catalog, report } = importStix(c, exportStix(c), { source: "self" });
    assert.deepEqual(catalog.data, c.data);
    assert.deepEqual(report.conflicts, []);
    assert.deepEqual(report.added, { tactics: [], techniques: [], mitigations: [], dataSources: [] });
    assert.equal(report.unchanged, 3 + 2 + 2 + 7);
    assert.deepEqual(report.skipped, []);
  });

  it("importing into an empty catalog reproduces every technique, stamping provenance where none was set", () => {
    const c = sample();
    const empty = new Catalog({ ...sampleData(), tactics: [], mitigations: [], dataSources: [], techniques: [] });
    const { catalog, report } = importStix(empty, exportStix(c), { source: "techtrail 2026.01" });
    assert.equal(report.added.techniques.length, 7);
    assert.deepEqual(report.revoked, ["T1485.A001"]);
    assert.deepEqual(report.deprecated, ["AT1023.001"]);
    assert.deepEqual(
      catalog.techniques,
      c.techniques.map((t) => ({ ...t, provenance: t.provenance ?? "techtrail 2026.01" })),
    );
    assert.equal(catalog.technique("T1485")?.provenance, "someone else", "recorded provenance is kept");
  });

  it("reads the same bundle written as STIX 2.0", () => {
    const c = sample();
    const b = clone(exportStix(c)) as StixBundle & Record<string, unknown>;
    b.spec_version = "2.0";
    for (const o of b.objects) delete o.spec_version;
    const { catalog, report } = importStix(new Catalog({ ...c.data, techniques: [] }), b, { source: "v20" });
    assert.equal(report.specVersion, "2.0");
    assert.deepEqual(
      catalog.techniques.map((t) => t.id),
      c.techniques.map((t) => t.id),
    );
  });
});

describe("importStix: merging and conflicts", () => {
  it("keeps the catalog's values on ID clashes and reports each differing field", () => {
    const c = sample();
    const b = clone(exportStix(c));
    const t = apOf(b, "T1078");
    t.name = "Their name";
    t.x_mitre_platforms = ["IaaS", "SaaS"];
    const ta = byType(b, "x-mitre-tactic")[0] as Record<string, unknown>;
    ta.description = "Their words.";
    const { catalog, report } = importStix(c, b, { source: "theirs", file: "theirs.json" });
    assert.equal(report.file, "theirs.json");
    assert.deepEqual(report.conflicts, [
      { kind: "tactic", id: "TA0005", fields: ["description"] },
      { kind: "technique", id: "T1078", fields: ["name", "platforms"] },
    ]);
    assert.equal(catalog.technique("T1078")?.name, "Valid Accounts");
    assert.equal(catalog.tactic("TA0005")?.description, "evade");
  });
});

/** A small third-party bundle in ATT&CK's shape (mobile domain), written as ATT&CK publishes it. */
function thirdPartyBundle(): Record<string, unknown> {
  const id = (t: string, k: string) => `${t}--${uuidv5(`third-party:${k}`)}`;
  const ts = "2024-05-06T07:08:09.123Z";
  const base = (type: string, key: string, extra: Record<string, unknown>) => ({
    type,
    spec_version: "2.1",
    id: id(type, key),
    created: "2020-01-02T03:04:05.678Z",
    modified: ts,
    created_by_ref: "identity--c78cb6e5-0c4b-4611-8297-d1b8b55e40b5",
    ...extra,
  });
  const tactic = (key: string, ext: string, shortname: string, name: string) =>
    base("x-mitre-tactic", key, {
      name,
      description: `${name} (mobile).`,
      x_mitre_shortname: shortname,
      x_mitre_domains: ["mobile-attack"],
      external_references: [
        { source_name: "mitre-attack", external_id: ext, url: `https://attack.mitre.org/tactics/${ext}` },
      ],
    });
  const ap = (key: string, ext: string, extra: Record<string, unknown> = {}) =>
    base("attack-pattern", key, {
      name: `Technique ${ext}`,
      description: `About ${ext}. (Citation: Paper)`,
      x_mitre_platforms: ["Android"],
      x_mitre_domains: ["mobile-attack"],
      x_mitre_version: "2.1",
      external_references: [
        { source_name: "mitre-attack", external_id: ext, url: `https://attack.mitre.org/techniques/${ext}` },
        { source_name: "Paper", description: "A paper.", url: "https://example.org/paper" },
      ],
      kill_chain_phases: [{ kill_chain_name: "mitre-mobile-attack", phase_name: "impact" }],
      ...extra,
    });
  const rel = (type: string, src: string, tgt: string, description?: string) =>
    base("relationship", `${src}|${type}|${tgt}`, {
      relationship_type: type,
      source_ref: src,
      target_ref: tgt,
      ...(description ? { description } : {}),
    });
  const tImpact = tactic("t1", "TA0034", "impact", "Impact");
  const tNet = tactic("t2", "TA0038", "network-effects", "Network Effects");
  const parent = ap("p", "T1400");
  const sub = ap("s", "T1400.001", { kill_chain_phases: undefined, x_mitre_is_subtechnique: true });
  const revoked = ap("r", "T1401", { revoked: true, kill_chain_phases: undefined, description: undefined });
  const orphanRevoked = ap("o", "T1402", { revoked: true });
  const deprecated = ap("d", "T1403", {
    x_mitre_deprecated: true,
    kill_chain_phases: [{ kill_chain_name: "mitre-mobile-attack", phase_name: "network-effects" }],
  });
  const capec = base("attack-pattern", "capec", {
    name: "CAPEC thing",
    external_references: [{ source_name: "capec", external_id: "CAPEC-1" }],
  });
  const coa = base("course-of-action", "m", {
    name: "Mobile mitigation",
    description: "Do things.",
    external_references: [{ source_name: "mitre-attack", external_id: "M1011" }],
  });
  const legacyCoa = base("course-of-action", "legacy", {
    name: "Old 1:1 mitigation",
    description: "Legacy.",
    external_references: [{ source_name: "mitre-attack", external_id: "T1400" }],
  });
  const group = base("intrusion-set", "g", { name: "Some group" });
  const matrix = base("x-mitre-matrix", "mx", { name: "Mobile", tactic_refs: [tImpact.id, tNet.id] });
  return {
    type: "bundle",
    id: id("bundle", "b"),
    objects: [
      matrix,
      tImpact,
      tNet,
      parent,
      sub,
      revoked,
      orphanRevoked,
      deprecated,
      capec,
      coa,
      legacyCoa,
      group,
      rel("subtechnique-of", sub.id, parent.id),
      rel("revoked-by", revoked.id, parent.id),
      rel("mitigates", coa.id, parent.id, "Specific to T1400."),
      rel("mitigates", legacyCoa.id, parent.id, "legacy"),
      rel("uses", group.id, parent.id),
    ],
  };
}

describe("importStix: third-party ATT&CK bundles", () => {
  const c = sample();
  const { catalog, report } = importStix(c, thirdPartyBundle(), { source: "mobile-test", file: "m.json" });

  it("adds the bundle's tactics, renaming a short name another tactic already uses", () => {
    assert.deepEqual(report.added.tactics, ["TA0034", "TA0038"]);
    assert.deepEqual(report.renamed, [{ id: "TA0034", from: "impact", to: "mobile-impact" }]);
    assert.equal(catalog.tactic("TA0034")?.name, "Impact (Mobile)");
    assert.equal(catalog.tactic("TA0038")?.shortname, "network-effects");
    assert.equal(catalog.tactic("impact")?.id, "TA0040", "our tactic keeps its short name");
  });

  it("maps attack-patterns to techniques with provenance, references, dates and mitigations", () => {
    assert.deepEqual(report.added.techniques, ["T1400", "T1400.001", "T1401", "T1403"]);
    const t = catalog.require("T1400");
    assert.equal(t.provenance, "mobile-test");
    assert.deepEqual(t.tactics, ["TA0034"], "mobile 'impact' maps to the mobile tactic, not ours");
    assert.deepEqual(t.platforms, ["Android"]);
    assert.equal(t.version, "2.1");
    assert.equal(t.created, "2020-01-02");
    assert.equal(t.modified, "2024-05-06");
    assert.deepEqual(t.references, [{ source: "Paper", description: "A paper.", url: "https://example.org/paper" }]);
    assert.deepEqual(t.mitigations, [{ id: "M1011", how: "Specific to T1400." }]);
    assert.deepEqual(t.aliases, []);
    assert.deepEqual(t.events, []);
    assert.equal(t.detection, "");
    assert.equal(catalog.mitigation("M1011")?.name, "Mobile mitigation");
  });

  it("handles sub-techniques, revoked and deprecated techniques", () => {
    const sub = catalog.require("T1400.001");
    assert.equal(sub.parent, "T1400");
    assert.deepEqual(sub.tactics, ["TA0034"], "no kill chain: inherits the parent's tactics");
    const rev = catalog.require("T1401");
    assert.equal(rev.status, "revoked");
    assert.equal(rev.revokedBy, "T1400");
    assert.deepEqual(rev.tactics, ["TA0034"], "revoked without kill chain: the replacement's tactics");
    assert.match(rev.description, /no description in mobile-test/);
    assert.deepEqual(report.revoked, ["T1401"]);
    assert.equal(catalog.require("T1403").status, "deprecated");
    assert.deepEqual(report.deprecated, ["T1403"]);
  });

  it("reports what it skipped and which object types it ignores", () => {
    assert.deepEqual(
      report.skipped.map((s) => [s.type, s.externalId, s.reason.split(" ")[0]]),
      [
        ["course-of-action", "T1400", "not"],
        ["attack-pattern", "T1402", "revoked,"],
        ["attack-pattern", undefined, "no"],
      ],
    );
    assert.deepEqual(report.ignoredTypes, { "intrusion-set": 1 });
    assert.equal(report.specVersion, "2.1");
  });

  it("leaves the input catalog untouched", () => {
    assert.equal(c.techniques.length, 7);
    assert.equal(c.tactics.length, 3);
  });
});

describe("importStix: several versions of one object", () => {
  it("keeps the newest version and reports the older one", () => {
    const b = thirdPartyBundle() as { objects: Array<Record<string, unknown>> };
    const ap = b.objects.find((o) => o.type === "attack-pattern") as Record<string, unknown>;
    const newer = { ...clone(ap), name: "Renamed later", modified: "2025-01-01T00:00:00.000Z" };
    b.objects.unshift(newer);
    const { catalog, report } = importStix(sample(), b, { source: "v" });
    assert.equal(catalog.require("T1400").name, "Renamed later");
    assert.ok(report.skipped.some((s) => s.stixId === ap.id && /older version \(objects\.4\)/.test(s.reason)));
    const same = thirdPartyBundle() as { objects: Array<Record<string, unknown>> };
    same.objects.push(clone(same.objects[3] ?? {}));
    assert.throws(
      () => importStix(sample(), same, { source: "v" }),
      (e: unknown) => e instanceof TechtrailError && /duplicate id with the same modified time/.test(e.describe()),
    );
  });
});

describe("importStix: broken input", () => {
  const c = sample();
  const fails = (json: unknown, re: RegExp, field?: string) =>
    assert.throws(
      () => importStix(c, json, { source: "x", file: "bad.json" }),
      (e: unknown) => {
        assert.ok(e instanceof TechtrailError, String(e));
        assert.equal(e.code, "VALIDATION");
        const text = e.describe();
        assert.match(text, re);
        assert.match(text, /bad\.json/);
        if (field)
          assert.ok(
            e.problems.some((p) => p.field === field),
            `${field} in ${text}`,
          );
        return true;
      },
    );

  it("rejects what is not a bundle", () => {
    fails(null, /not a STIX bundle/);
    fails([1, 2], /not a STIX bundle/);
    fails({ type: "x-mitre-collection", id: "x" }, /not a STIX bundle/, "type");
    fails({ type: "bundle", id: "bundle--6ba7b810-9dad-11d1-80b4-00c04fd430c8", objects: [] }, /without objects/);
  });

  it("names the object index, id and field of a broken object", () => {
    const b = clone(thirdPartyBundle()) as { objects: Array<Record<string, unknown>> };
    delete b.objects[2]?.type;
    fails(b, /type is required|expected string/, "objects.2.type");
    const b2 = clone(thirdPartyBundle()) as { objects: Array<Record<string, unknown>> };
    const o = b2.objects[3] as Record<string, unknown>;
    o.modified = "yesterday";
    fails(b2, new RegExp(`${String(o.id)}: expected a STIX timestamp`), "objects.3.modified");
    const b3 = clone(thirdPartyBundle()) as { objects: Array<Record<string, unknown>> };
    (b3.objects[4] as Record<string, unknown>).id = "attack-pattern--nope";
    fails(b3, /expected a STIX id/, "objects.4.id");
  });

  it("rejects a bundle without attack-patterns", () => {
    const b = clone(thirdPartyBundle()) as { objects: Array<Record<string, unknown>> };
    b.objects = b.objects.filter((o) => o.type !== "attack-pattern" && o.type !== "relationship");
    fails(b, /not an ATT&CK bundle/);
  });

  it("rejects bad techtrail extension values, importing nothing", () => {
    const b = clone(exportStix(sample()));
    const ext = (apOf(b, "T1078").extensions as Record<string, Record<string, unknown>>)[TECHTRAIL_EXTENSION_ID];
    if (ext) ext.x_techtrail_events = ["not an event"];
    fails(b, /expected a CloudTrail event/, `objects.8.extensions.${TECHTRAIL_EXTENSION_ID}.x_techtrail_events.0`);
  });

  it("reports invalid JSON text with the file name", () => {
    assert.throws(
      () => parseStixJson("{ nope", "bad.json"),
      (e: unknown) =>
        e instanceof TechtrailError && e.code === "PARSE" && /bad\.json is not valid JSON/.test(e.message),
    );
  });
});

describe("STIX import limits", () => {
  it("refuses a 100 KB technique name, naming the object and field; nothing is imported", () => {
    const c = sample();
    const bundle = clone(exportStix(c)) as unknown as { objects: Array<Record<string, unknown>> };
    const ap = bundle.objects.find((o) => o.type === "attack-pattern") as Record<string, unknown>;
    ap.name = "x".repeat(100_000);
    assert.throws(
      () => importStix(new Catalog({ ...c.data, techniques: [] }), bundle, { source: "big" }),
      (e: unknown) =>
        e instanceof TechtrailError &&
        e.problems.some(
          (p) =>
            p.message.startsWith(`${String(ap.id)}:`) &&
            /name longer than 200/.test(p.message) &&
            p.field?.endsWith(".name"),
        ),
    );
  });
});
