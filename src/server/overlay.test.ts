// The API with a team overlay loaded (examples/overlay-acme): /api/catalog/info says which catalog and overlay
// are served, overlay techniques are marked `source: "overlay"` in lists, details, search and the matrix, and a
// catalog technique's detail lists what the overlay added to it. Also `startService` with overlayDir.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { loadCatalog } from "../catalog/overlay.js";
import { packagePath } from "../core/paths.js";
import { startService } from "./serve.js";
import { bearer, type Fixture, makeFixture } from "./test-helpers.js";

const EXAMPLE = packagePath("examples", "overlay-acme");
let f: Fixture;
before(async () => {
  f = await makeFixture({ catalog: loadCatalog({ overlayDir: EXAMPLE }) });
});
after(() => f.close());
const get = async <T>(path: string): Promise<T> => {
  const res = await f.app.request(path, bearer(f.tokens.viewer));
  assert.equal(res.status, 200, `${path}: ${await res.clone().text()}`);
  return (await res.json()) as T;
};

describe("API with an overlay", () => {
  test("/api/catalog/info names the catalog and the overlay", async () => {
    const info = await get<{
      catalog: { version: string; builtin: boolean; path: string | null };
      overlay: { namespace: string; techniques: number; additions: number; patchedTechniques: number; path: string };
    }>("/api/catalog/info");
    assert.equal(info.catalog.builtin, true);
    assert.equal(info.catalog.path, null);
    assert.deepEqual(
      { ...info.overlay, path: undefined, warnings: undefined, prefixes: undefined, name: undefined, base: undefined },
      {
        namespace: "ACME",
        techniques: 3,
        additions: 5,
        patchedTechniques: 1,
        path: undefined,
        warnings: undefined,
        prefixes: undefined,
        name: undefined,
        base: undefined,
      },
    );
    assert.equal(info.overlay.path, EXAMPLE);
    assert.equal((await f.app.request("/api/catalog/info")).status, 401);
  });

  test("overlay techniques are listed, shown and found, marked as overlay", async () => {
    type Item = { id: string; source: string };
    const list = await get<{ items: Item[] }>("/api/catalog/techniques");
    assert.deepEqual(
      list.items.filter((t) => t.source === "overlay").map((t) => t.id),
      ["T1078.ACME-1", "ACME-0001", "SEC-1042"],
    );
    const t = await get<{ id: string; source: string; subtechniques: Item[]; tacticNames: Array<{ name: string }> }>(
      "/api/catalog/techniques/acme-0001",
    );
    assert.equal(t.source, "overlay");
    assert.deepEqual(
      t.tacticNames.map((x) => x.name),
      ["Initial Access", "Privilege Escalation"],
    );
    const parent = await get<{ subtechniques: Item[]; source: string; overlayAdditions: null }>(
      "/api/catalog/techniques/T1078",
    );
    assert.equal(parent.source, "catalog");
    assert.equal(parent.overlayAdditions, null);
    assert.ok(parent.subtechniques.some((s) => s.id === "T1078.ACME-1" && s.source === "overlay"));
    const hits = await get<{ items: Item[] }>("/api/catalog/search?q=backup%20snapshot%20shared%20outside");
    assert.deepEqual(hits.items[0], { ...hits.items[0], id: "SEC-1042", source: "overlay" });
    const matrix = await get<{
      tactics: Array<{ id: string; techniques: Array<Item & { subtechniques: Item[] }> }>;
    }>("/api/catalog/matrix");
    const exfil = matrix.tactics.find((ta) => ta.id === "TA0010");
    assert.equal(exfil?.techniques.find((c) => c.id === "SEC-1042")?.source, "overlay");
    const cells = matrix.tactics.flatMap((ta) => ta.techniques);
    assert.equal(cells.flatMap((c) => c.subtechniques).find((s) => s.id === "T1078.ACME-1")?.source, "overlay");
  });

  test("a catalog technique's detail lists what the overlay added", async () => {
    const t = await get<{ events: string[]; overlayAdditions: { events: string[]; detection: string | null } }>(
      "/api/catalog/techniques/T1078.A001",
    );
    assert.deepEqual(t.overlayAdditions.events, ["iam:ListAccessKeys", "sts:GetSessionToken"]);
    assert.match(t.overlayAdditions.detection ?? "", /GetSessionToken from a VPN exit node/);
    assert.ok(t.events.includes("iam:ListAccessKeys"));
  });
});

describe("startService with an overlay folder", () => {
  test("serves the overlay and reports it", async () => {
    const svc = await startService({ port: 0, db: ":memory:", webDir: null, demo: false, overlayDir: EXAMPLE });
    try {
      assert.equal(svc.catalog.overlay?.namespace, "ACME");
      assert.ok(svc.catalog.technique("SEC-1042"));
    } finally {
      await svc.close();
    }
  });
});
