// The dashboard's chart options, built from the analytics responses (GET /api/stats/...). Pure functions, so
// what a chart shows is tested without a browser; each returns null when there is nothing to draw, and the panel
// then says so in words.
import type { EChartsCoreOption as ChartOption } from "echarts/core";
import type { client, Ok } from "./client";

type Stats = (typeof client)["stats"];
export type Frequency = Ok<Stats["frequency"]["$get"]>;
export type Trend = Ok<Stats["trend"]["$get"]>;
export type Cooccurrence = Ok<Stats["cooccurrence"]["$get"]>;
export type Actors = Ok<Stats["actors"]["$get"]>;
export type Timing = Ok<Stats["timing"]["$get"]>;
export type Mitigations = Ok<Stats["mitigations"]["$get"]>;

const hours = (s: number | null) => (s === null ? null : Math.round((s / 3600) * 10) / 10);

/** Horizontal bars, biggest at the top (ECharts draws categories bottom-up). */
function bars(labels: string[], values: number[], left: number): ChartOption {
  return {
    grid: { left, right: 30, top: 10, bottom: 30 },
    tooltip: { trigger: "axis" },
    xAxis: { type: "value", minInterval: 1 },
    yAxis: { type: "category", data: [...labels].reverse() },
    series: [{ type: "bar", name: "incidents", data: [...values].reverse(), barMaxWidth: 24 }],
  };
}

/** Incidents per technique, the 15 most frequent. */
export function frequencyChart(d: Frequency): ChartOption | null {
  const items = d.techniques.slice(0, 15);
  if (!items.length) return null;
  return bars(
    items.map((t) => t.id),
    items.map((t) => t.incidents),
    90,
  );
}

/** All incidents per quarter as bars, the six leading techniques as lines. */
export function trendChart(d: Trend): ChartOption | null {
  if (!d.quarters.length) return null;
  return {
    grid: { left: 40, right: 20, top: 40, bottom: 30 },
    tooltip: { trigger: "axis" },
    legend: { top: 0, type: "scroll" },
    xAxis: { type: "category", data: d.quarters.map((x) => x.quarter) },
    yAxis: { type: "value", minInterval: 1 },
    series: [
      {
        type: "bar",
        name: "all incidents",
        data: d.quarters.map((x) => x.incidents),
        itemStyle: { opacity: 0.35 },
        barMaxWidth: 48,
      },
      ...d.techniques.slice(0, 6).map((t) => ({ type: "line", name: t.id, data: t.counts })),
    ],
  };
}

/**
 * The co-occurrence heatmap over the 20 most frequent techniques among the pairs (most frequent first): each
 * pair is drawn both ways, so the map is symmetric.
 */
export function cooccurrenceCells(d: Cooccurrence): {
  ids: string[];
  cells: Array<[number, number, number]>;
  max: number;
} {
  const ids = [...new Set(d.pairs.flatMap((p) => [p.a, p.b]))]
    .sort((a, b) => (d.singles[b] ?? 0) - (d.singles[a] ?? 0) || a.localeCompare(b))
    .slice(0, 20);
  const idx = new Map(ids.map((id, n) => [id, n]));
  const cells: Array<[number, number, number]> = [];
  let max = 1;
  for (const p of d.pairs) {
    const a = idx.get(p.a);
    const b = idx.get(p.b);
    if (a === undefined || b === undefined) continue;
    cells.push([a, b, p.count], [b, a, p.count]);
    max = Math.max(max, p.count);
  }
  return { ids, cells, max };
}

export function cooccurrenceChart(d: Cooccurrence): ChartOption | null {
  if (!d.pairs.length) return null;
  const { ids, cells, max } = cooccurrenceCells(d);
  return {
    grid: { left: 90, right: 110, top: 10, bottom: 90 },
    tooltip: { position: "top" },
    xAxis: { type: "category", data: ids, axisLabel: { rotate: 60 }, splitArea: { show: true } },
    yAxis: { type: "category", data: ids, splitArea: { show: true } },
    visualMap: {
      min: 0,
      max,
      calculable: true,
      orient: "vertical",
      right: 10,
      top: "middle",
      text: ["incidents with both", ""],
      inRange: { color: ["#eef3f8", "#1f4e79"] },
    },
    series: [{ type: "heatmap", name: "incidents with both", data: cells, label: { show: ids.length <= 12 } }],
  };
}

/** Incidents per threat actor, the ten busiest. */
export function actorChart(d: Actors): ChartOption | null {
  const a = d.actors.slice(0, 10);
  if (!a.length) return null;
  return bars(
    a.map((x) => x.name),
    a.map((x) => x.incidents),
    120,
  );
}

/** Median hours to detect and to contain per technique, for techniques with a containment time. */
export function timingChart(d: Timing): ChartOption | null {
  const rows = d.byTechnique.filter((r) => r.timeToContain.samples > 0).slice(0, 12);
  if (!rows.length) return null;
  return {
    grid: { left: 90, right: 20, top: 40, bottom: 30 },
    tooltip: { trigger: "axis" },
    legend: { top: 0 },
    xAxis: { type: "value", name: "hours" },
    yAxis: { type: "category", data: rows.map((r) => r.key) },
    series: [
      { type: "bar", name: "median time to detect", data: rows.map((r) => hours(r.timeToDetect.median)) },
      { type: "bar", name: "median time to contain", data: rows.map((r) => hours(r.timeToContain.median)) },
    ],
  };
}
