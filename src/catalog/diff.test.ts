import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { diffCatalogs, diffToJson, isEmptyDiff, renderDiffMarkdown, renderDiffText, revocationMap } from "./diff.js";
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
        revokedBy: "T1685.002",
        replacementName: "Disable or Modify Cloud Logs",
      },
    ]);
    const json = diffToJson(d);
    assert.deepEqual(Object.keys(json).sort(), ["added", "changed", "deprecated", "from", "removed", "revoked", "to"]);
    assert.match(renderDiffText(d), /x T1562\.008 .* → T1685\.002/);
    assert.match(renderDiffMarkdown(d), /\| `T1562\.008` \| Disable or Modify Cloud Logs \| `T1685\.002`/);
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
