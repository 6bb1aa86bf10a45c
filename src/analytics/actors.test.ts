import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { loadBuiltinCatalog } from "../catalog/load.js";
import { NewIncident } from "../incidents/model.js";
import { openSqliteStore } from "../store/sqlite.js";
import { MATCH_WEIGHTS, matchIncidentToActors } from "./actors.js";
import { analyticsFixture } from "./test-helpers.js";

const catalog = loadBuiltinCatalog();
const V = catalog.meta.version;

test("looks like actor X: technique overlap, tactic ordering and indicator matches, each explained", async () => {
  const dir = mkdtempSync(join(tmpdir(), "techtrail-actor-match-"));
  const store = await openSqliteStore(join(dir, "a.db"));
  try {
    store.setTaxonomy((id) => catalog.technique(id)?.tactics ?? []);
    await store.importMany(analyticsFixture(V), { actor: "t" });
    // an actor known only from its infrastructure, and an unattributed incident whose key it used
    await store.createActor(
      { name: "Copper Lynx", indicators: [{ type: "ip", value: "198.51.100.23" }], techniques: [{ id: "T1486" }] },
      { actor: "t" },
    );
    await store.create(
      NewIncident.parse({
        key: "IR-2026-0100",
        title: "Unattributed ransom",
        timeline: { detected: "2026-09-01T00:00:00Z" },
        techniques: [
          { id: "T1078.A001", catalogVersion: V, firstSeen: "2026-09-01T00:00:00Z" },
          {
            id: "T1486.A001",
            catalogVersion: V,
            firstSeen: "2026-09-01T01:00:00Z",
            findings: [
              {
                ruleId: "r",
                eventID: "e1",
                eventTime: "2026-09-01T01:00:00Z",
                eventName: "PutObject",
                sourceIPAddress: "198.51.100.23",
              },
            ],
          },
        ],
      }),
      { actor: "t" },
    );
    const m = await matchIncidentToActors(store, catalog, "IR-2026-0100");
    const glass = m.matches.find((x) => x.name === "Glass Heron");
    const lynx = m.matches.find((x) => x.name === "Copper Lynx");
    assert.ok(glass && lynx, m.matches.map((x) => x.name).join(", "));
    // Glass Heron: both techniques in its signature, and its incidents went the same tactic way
    assert.deepEqual(
      glass.components.map((c) => [c.name, c.score]),
      [
        ["techniques", 2 / 3],
        ["ordering", 1],
      ],
    );
    assert.equal(glass.id, "ACT-0001", "the actor entity made from the imported name is named");
    assert.equal(glass.score, (2 / 3) * MATCH_WEIGHTS.techniques + 1 * MATCH_WEIGHTS.ordering);
    assert.match(glass.explanation, /techniques 0\.67 × 0\.55 .*ordering 1\.00 × 0\.15/);
    // Copper Lynx: the finding came from its address; T1486 declared covers T1486.A001 by family
    assert.deepEqual(
      lynx.components.map((c) => [c.name, c.score]),
      [
        ["techniques", 0.5],
        ["indicators", 1],
      ],
    );
    assert.deepEqual(lynx.indicators, ["ip 198.51.100.23"]);
    assert.match(lynx.components[1]?.detail ?? "", /from the actor's ip 198\.51\.100\.23/);
    assert.equal(lynx.score, 0.5 * MATCH_WEIGHTS.techniques + 1 * MATCH_WEIGHTS.indicators);
    assert.equal(m.matches[0]?.name, "Copper Lynx", "its infrastructure outweighs a similar technique path");
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
