// Detection regression from the scenario packs: every scenario is played inside seeded background activity, the
// corpus is scanned with the built-in rules, and the answer key is the judge. Every CloudTrail-visible step must
// be found (a finding on one of its events with its technique, parent or sub-technique), the first detections
// must come in the steps' order, and findings on background events must stay under BACKGROUND_LIMIT_PER_10K.
// The per-scenario table is printed; docs/scenarios.md keeps a copy (update it when the table changes).
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { loadBuiltinCatalog } from "../src/catalog/index.js";
import { scanPaths } from "../src/scan/index.js";
import { AnswerKey } from "../src/scenarios/answer-key.js";
import { detectionTable, evaluateDetection } from "../src/scenarios/evaluate.js";
import { writeScenarioCorpus } from "../src/scenarios/generate.js";
import { loadScenarioPacks } from "../src/scenarios/pack.js";

/** The documented ceiling (docs/scenarios.md): findings per 10,000 background events. */
const BACKGROUND_LIMIT_PER_10K = 25;

describe("detection regression from the scenario packs", () => {
  it("finds every CloudTrail-visible step, in order, with few findings on background", async () => {
    const catalog = loadBuiltinCatalog();
    const names = [...loadScenarioPacks(catalog).keys()];
    const dir = mkdtempSync(join(tmpdir(), "techtrail-scenario-regression-"));
    const generated = await writeScenarioCorpus(
      { scenarios: names, accounts: 3, days: 2, background: 15_000, seed: 2026, format: "s3" },
      dir,
      catalog,
    );
    const key = AnswerKey.parse(JSON.parse(readFileSync(join(dir, "answer-key.json"), "utf8")));
    const { findings, summary } = await scanPaths([join(dir, "AWSLogs")], { workers: 0 }, { catalog });
    assert.equal(summary.events.read, generated.events, "the scan read every generated event");
    const report = evaluateDetection(key, findings, summary.events.read);
    process.stdout.write(`\n${detectionTable(report)}\n`);
    for (const s of report.scenarios) {
      const missed = s.steps.filter((x) => x.visible && !x.found);
      assert.deepEqual(
        missed.map((x) => `${x.id} (${x.technique}; scan saw ${x.seen.join(", ") || "nothing"})`),
        [],
        `${s.name}: steps not found`,
      );
      assert.ok(s.inOrder, `${s.name}: first detections out of step order`);
    }
    assert.ok(
      report.backgroundRatePer10k <= BACKGROUND_LIMIT_PER_10K,
      `${report.backgroundFindings} findings on background (${report.backgroundRatePer10k.toFixed(1)} per 10,000): ${JSON.stringify(report.backgroundRules)}`,
    );
  });
});
