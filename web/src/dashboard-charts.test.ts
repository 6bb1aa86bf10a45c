import assert from "node:assert/strict";
import { test } from "node:test";
import {
  type Cooccurrence,
  cooccurrenceCells,
  cooccurrenceChart,
  type Frequency,
  frequencyChart,
} from "./dashboard-charts";

const scope = { incidents: 3 } as Frequency["scope"];

test("the co-occurrence heatmap is symmetric over the most frequent techniques", () => {
  const d = {
    scope,
    multiTechnique: 3,
    singles: { T1: 5, T2: 9, T3: 1 },
    pairs: [
      { a: "T1", b: "T2", count: 2 },
      { a: "T2", b: "T3", count: 4 },
    ],
  } as unknown as Cooccurrence;
  const { ids, cells, max } = cooccurrenceCells(d);
  assert.deepEqual(ids, ["T2", "T1", "T3"], "most frequent first");
  assert.equal(max, 4);
  assert.deepEqual(cells, [
    [1, 0, 2],
    [0, 1, 2],
    [0, 2, 4],
    [2, 0, 4],
  ]);
  assert.equal(cooccurrenceChart({ ...d, pairs: [] }), null, "no pair: no chart (the panel says so)");
});

test("frequency bars put the most frequent technique on top", () => {
  const d = {
    scope,
    tagged: 3,
    techniques: [
      { id: "T2", incidents: 3 },
      { id: "T1", incidents: 1 },
    ],
  } as unknown as Frequency;
  const opt = frequencyChart(d) as { yAxis: { data: string[] }; series: Array<{ data: number[] }> };
  assert.deepEqual(opt.yAxis.data, ["T1", "T2"], "ECharts draws categories bottom-up");
  assert.deepEqual(opt.series[0]?.data, [1, 3]);
  assert.equal(frequencyChart({ ...d, techniques: [] }), null);
});
