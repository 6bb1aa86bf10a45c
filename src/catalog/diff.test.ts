import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  CatalogDiffJson,
  diffCatalogs,
  diffToJson,
  isEmptyDiff,
  renderDiffMarkdown,
  renderDiffText,
  revocationMap,
} from "./diff.js";
import { miniCatalog, tech } from "./test-helpers.js";

// Models the ATT&CK 18 → 19 change in which T1562.008 (Disable or Modify Cloud Logs) moved to T1685.002.
const v18 = () =>
  miniCatalog(
    [
      tech("T1562"),
      tech("T1562.008", { name: "Disable or Modify Cloud Logs", events: ["cloudtrail:StopLogging"] }),
      tech("T1485", { tactics: ["TA0040"] }),
      tech("T1490", { tactics: ["TA0040"] }),
    ],
    "2026.01",
  );
const v19 = () =>
  miniCatalog(
    [
      tech("T1562"),
      tech("T1562.008", {
        name: "Disable or Modify Cloud Logs",
        events: ["cloudtrail:StopLogging"],
        status: "revoked",
        revokedBy: "T1685.002",
      }),
      tech("T1685"),
      tech("T1685.002", {
        name: "Disable or Modify Cloud Logs",
        events: ["cloudtrail:StopLogging", "cloudtrail:DeleteTrail"],
      }),
      tech("T1485", { tactics: ["TA0040"], description: "A better description.", modified: "2026-02-01" }),
      tech("T1490", { tactics: ["TA0040"], status: "deprecated" }),
    ],
    "2026.02",
  );

describe("catalog diff", () => {
  it("lists added, removed, changed (with fields), deprecated and revoked with replacement", () => {
    const d = diffCatalogs(v18(), v19());
    assert.deepEqual(
      d.added.map((e) => e.id),
      ["T1685", "T1685.002"],
    );
    assert.deepEqual(d.removed, []);
    assert.deepEqual(
      d.changed.map((e) => [e.id, e.fields]),
      [["T1485", ["description", "modified"]]],
    );
    assert.deepEqual(
      d.deprecated.map((e) => e.id),
      ["T1490"],
    );
    assert.deepEqual(d.revoked, [
      {
        id: "T1562.008",
        name: "Disable or Modify Cloud Logs",
        tactics: ["TA0005"],
        revokedBy: "T1685.002",
        replacementName: "Disable or Modify Cloud Logs",
      },
    ]);
    const json = diffToJson(d);
    assert.deepEqual(Object.keys(json).sort(), [
      "added",
      "byTactic",
      "changed",
      "deprecated",
      "from",
      "removed",
      "revoked",
      "to",
    ]);
    assert.match(renderDiffText(d), /x T1562\.008 .* → T1685\.002/);
    assert.match(renderDiffMarkdown(d), /- `T1562\.008` Disable or Modify Cloud Logs → replaced by `T1685\.002`/);
  });

  it("shows old → new for every changed field: words for prose, sets for lists, values otherwise", () => {
    const a = miniCatalog([
      tech("T1098", {
        description: "An adversary adds keys to a user.",
        events: ["iam:CreateAccessKey", "iam:UpdateAccessKey"],
        aliases: ["add keys", "persist with keys"],
        mitigations: [{ id: "M1018", how: "Limit who may create keys." }],
        tactics: ["TA0006"],
      }),
    ]);
    const b = miniCatalog(
      [
        tech("T1098", {
          description: "An adversary adds login profiles to a user.",
          events: ["iam:CreateAccessKey", "iam:CreateLoginProfile"],
          aliases: ["add keys", "backdoor a user"],
          mitigations: [{ id: "M1018", how: "Limit who may create keys and profiles." }],
          tactics: ["TA0006", "TA0005"],
          modified: "2026-03-01",
        }),
      ],
      "2026.03",
    );
    const d = diffCatalogs(a, b);
    const [c] = d.changed;
    assert.ok(c);
    assert.deepEqual(c.fields, ["aliases", "description", "events", "mitigations", "modified", "tactics"]);
    const desc = c.changes.description;
    assert.equal(desc?.kind, "text");
    assert.deepEqual(
      desc.kind === "text" ? desc.words.filter((w) => w.op !== "=").map((w) => [w.op, w.text.trim()]) : [],
      [
        ["-", "keys"],
        ["+", "login profiles"],
      ],
    );
    assert.deepEqual(c.changes.events, {
      kind: "set",
      old: ["iam:CreateAccessKey", "iam:UpdateAccessKey"],
      new: ["iam:CreateAccessKey", "iam:CreateLoginProfile"],
      added: ["iam:CreateLoginProfile"],
      removed: ["iam:UpdateAccessKey"],
      modified: [],
    });
    const al = c.changes.aliases;
    assert.ok(al?.kind === "set");
    assert.deepEqual([al.added, al.removed], [["backdoor a user"], ["persist with keys"]]);
    const mit = c.changes.mitigations;
    assert.ok(mit?.kind === "set");
    assert.deepEqual([mit.added, mit.removed, mit.modified.map((m) => m.item)], [[], [], ["M1018"]]);
    assert.deepEqual(c.changes.modified, { kind: "value", old: "2026-01-01", new: "2026-03-01" });

    const text = renderDiffText(d);
    assert.match(text, /description: An adversary adds \[-keys-\]\s?\{\+login profiles\+\}/);
    assert.match(text, /events: added iam:CreateLoginProfile; removed iam:UpdateAccessKey/);
    assert.match(text, /modified: 2026-01-01 → 2026-03-01/);
    const md = renderDiffMarkdown(d);
    assert.match(md, /### Credential Access\n\n- `T1098`/);
    assert.match(md, /description: An adversary adds ~~keys~~ \*\*login profiles\*\*/);
    assert.match(md, /aliases: added `backdoor a user`; removed `persist with keys`/);
    assert.match(md, /mitigations `M1018`: Limit who may create keys\s?\*\*and profiles\*\*/);
    const json = CatalogDiffJson.parse(JSON.parse(JSON.stringify(diffToJson(d))));
    assert.deepEqual(json.byTactic, [
      {
        tactic: "TA0006",
        name: "Credential Access",
        added: [],
        removed: [],
        changed: ["T1098"],
        deprecated: [],
        revoked: [],
      },
    ]);
  });

  it("groups new, deprecated and revoked techniques by their first tactic", () => {
    const d = diffCatalogs(v18(), v19());
    const md = renderDiffMarkdown(d);
    assert.match(md, /## New techniques\n\n### Defense Evasion\n\n- `T1685` /);
    assert.match(md, /## Deprecated\n\n### Impact\n\n- `T1490`/);
    assert.match(md, /## Revoked\n\n### Defense Evasion\n\n- `T1562\.008` .* replaced by `T1685\.002`/);
    const json = diffToJson(d);
    assert.deepEqual(
      json.byTactic.map((g) => [g.tactic, g.added, g.deprecated, g.revoked]),
      [
        ["TA0005", ["T1685", "T1685.002"], [], ["T1562.008"]],
        ["TA0040", [], ["T1490"], []],
      ],
    );
  });

  it("reports removals and an empty diff for identical catalogs", () => {
    assert.ok(isEmptyDiff(diffCatalogs(v18(), v18())));
    const d = diffCatalogs(v19(), v18());
    assert.deepEqual(
      d.removed.map((e) => e.id),
      ["T1685", "T1685.002"],
    );
    assert.match(renderDiffText(diffCatalogs(v18(), v18())), /no changes/);
  });

  it("maps revoked IDs to their replacement, following chains", () => {
    assert.deepEqual([...revocationMap(v18(), v19())], [["T1562.008", "T1685.002"]]);
    const v20 = miniCatalog([
      tech("T1562"),
      tech("T1562.008", { status: "revoked", revokedBy: "T1685.002" }),
      tech("T1685"),
      tech("T1685.002", { status: "revoked", revokedBy: "T1685.003" }),
      tech("T1685.003"),
    ]);
    assert.deepEqual(
      [...revocationMap(v18(), v20)],
      [
        ["T1562.008", "T1685.003"],
        ["T1685.002", "T1685.003"],
      ],
    );
  });
});
