import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { miniCatalog, tech } from "../catalog/test-helpers.js";
import { FindingAggregator } from "./aggregate.js";
import { HitEncoder, type RuleMeta } from "./hits.js";
import type { Finding } from "./model.js";
import { EvidenceSampler, SummaryBuilder } from "./summary.js";

const catalog = miniCatalog([tech("T1562", { tactics: ["TA0005"] }), tech("T1562.008", { tactics: ["TA0005"] })]);
const rules: RuleMeta[] = [{ rule: { id: "r1", title: "R", level: "high" }, techniques: ["T1562.008"], tactics: [] }];

describe("FindingAggregator", () => {
  it("passes worker hits and findings emitted on the main thread (correlations) to the sink and the summary", async () => {
    const out: Finding[] = [];
    const summary = new SummaryBuilder(catalog, 10);
    const agg = new FindingAggregator({
      rules,
      units: [{ id: 0, kind: "file", file: "a.json" }],
      summary,
      evidence: new EvidenceSampler(5),
      sink: (b) => void out.push(...b),
    });
    const enc = new HitEncoder();
    enc.add(0, 3, { eventName: "StopLogging", eventTime: "2024-01-01T00:00:00Z" });
    let acked = 0;
    agg.hits(0, { ...enc.take(), originKind: "index" }, 0, () => acked++);
    const correlation: Finding = {
      rule: { id: "corr", title: "Burst", level: "medium" },
      techniques: ["T1562.008"],
      tactics: [],
      eventTime: "2024-01-01T00:05:00Z",
      attempt: false,
      origin: { file: "a.json", index: 3 },
    };
    await agg.emit(correlation);
    await agg.idle();
    assert.equal(acked, 1);
    assert.deepEqual(
      out.map((f) => [f.rule.id, f.origin.index]),
      [
        ["r1", 3],
        ["corr", 3],
      ],
    );
    const s = summary.build({
      inputs: [],
      filesScanned: 1,
      filesSkipped: 0,
      bytes: 0,
      read: 1,
      evaluated: 1,
      matched: 1,
      skipCounts: {},
      examples: [],
      rules: { loaded: 1, failed: 0, errors: [], unknownTechniques: {} },
      workers: 0,
      durationMs: 1,
      scanMs: 1,
    });
    assert.deepEqual(s.findings.byRule, { corr: 1, r1: 1 });
    assert.equal(s.techniques[0]?.findings, 2);
  });

  it("holds the findings of a range until the ranges before it have given their line counts", async () => {
    const out: Finding[] = [];
    const agg = new FindingAggregator({
      rules,
      units: [
        { id: 0, kind: "range", file: "big.jsonl", start: 0, end: 100 },
        { id: 1, kind: "range", file: "big.jsonl", start: 100, end: 200 },
      ],
      summary: new SummaryBuilder(catalog, 10),
      evidence: new EvidenceSampler(5),
      sink: (b) => void out.push(...b),
    });
    const enc = new HitEncoder();
    enc.add(0, 2, { eventName: "StopLogging" });
    agg.hits(1, { ...enc.take(), originKind: "line" }, 1);
    await new Promise((r) => setImmediate(r));
    assert.equal(out.length, 0, "range 1 waits for range 0");
    agg.unitDone(0, { ...new HitEncoder().take(), originKind: "line" }, 7, 0);
    agg.unitDone(1, { ...enc.take(), originKind: "line" }, 3, 1);
    await agg.idle();
    assert.deepEqual(out[0]?.origin, { file: "big.jsonl", line: 9 });
  });
});
