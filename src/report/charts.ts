// Report charts rendered server-side to SVG strings with ECharts (no browser, no scripts in the output):
// technique frequency bars, quarterly trend lines, co-occurrence heatmap, tactic × technique matrix
// heatmap and the detection-source mix.
import * as echarts from "echarts";
import type { Catalog } from "../catalog/catalog.js";
import type { ReportData } from "./report.js";

const FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif";
const PALETTE = ["#2f5d8a", "#d9822b", "#3a9a5b", "#b8433f", "#7b5ea7", "#8a6d3b", "#4a9fb5", "#c2577f"];

function render(width: number, height: number, option: Record<string, unknown>): string {
  const chart = echarts.init(null, null, { renderer: "svg", ssr: true, width, height });
  try {
    chart.setOption({ animation: false, color: PALETTE, textStyle: { fontFamily: FONT }, ...option });
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}

const short = (s: string, n: number) => (s.length <= n ? s : `${s.slice(0, n - 1)}…`);

export function frequencyChart(r: ReportData, limit = 15): string | null {
  const top = r.frequency.techniques.slice(0, limit).reverse();
  if (top.length === 0) return null;
  return render(760, 40 + top.length * 26, {
    grid: { left: 290, right: 60, top: 10, bottom: 30 },
    xAxis: { type: "value", name: "incidents", nameLocation: "middle", nameGap: 22, minInterval: 1 },
    yAxis: {
      type: "category",
      data: top.map((t) => `${t.id} ${short(t.name ?? "", 30)}`),
      axisLabel: { fontSize: 11 },
    },
    series: [
      {
        type: "bar",
        data: top.map((t) => t.incidents),
        label: { show: true, position: "right", fontSize: 10 },
        barMaxWidth: 18,
      },
    ],
  });
}

export function trendChart(r: ReportData, lines = 6): string | null {
  const t = r.trend;
  if (t.quarters.length === 0 || t.techniques.length === 0) return null;
  const top = [...t.techniques]
    .sort((a, b) => b.counts.reduce((s, n) => s + n, 0) - a.counts.reduce((s, n) => s + n, 0))
    .slice(0, lines);
  return render(760, 320, {
    grid: { left: 50, right: 20, top: 20, bottom: 90 },
    legend: { bottom: 0, type: "plain", textStyle: { fontSize: 11 } },
    xAxis: { type: "category", data: t.quarters.map((q) => q.quarter), boundaryGap: false },
    yAxis: { type: "value", name: "incidents", minInterval: 1 },
    series: [
      {
        name: "all incidents",
        type: "line",
        data: t.quarters.map((q) => q.incidents),
        lineStyle: { type: "dashed", color: "#999" },
        itemStyle: { color: "#999" },
      },
      ...top.map((x) => ({ name: `${x.id} ${short(x.name ?? "", 24)}`, type: "line", data: x.counts, symbolSize: 6 })),
    ],
  });
}

export function cooccurrenceChart(r: ReportData, size = 10): string | null {
  const ids = Object.entries(r.cooccurrence.singles)
    .sort((a, b) => b[1] - a[1])
    .slice(0, size)
    .map(([id]) => id);
  if (ids.length < 2) return null;
  const count = new Map(r.cooccurrence.pairs.map((p) => [`${p.a}|${p.b}`, p.count]));
  const data: Array<[number, number, number | string]> = [];
  let max = 1;
  ids.forEach((a, x) => {
    ids.forEach((b, y) => {
      if (a === b) {
        data.push([x, y, "-"]);
        return;
      }
      const n = count.get(`${a}|${b}`) ?? count.get(`${b}|${a}`) ?? 0;
      max = Math.max(max, n);
      data.push([x, y, n]);
    });
  });
  return render(760, 560, {
    grid: { left: 110, right: 30, top: 10, bottom: 150 },
    xAxis: { type: "category", data: ids, axisLabel: { rotate: 45, fontSize: 11 }, splitArea: { show: true } },
    yAxis: { type: "category", data: ids, axisLabel: { fontSize: 11 }, splitArea: { show: true } },
    visualMap: {
      min: 0,
      max,
      calculable: false,
      orient: "horizontal",
      left: "center",
      bottom: 10,
      inRange: { color: ["#f7fbff", "#6baed6", "#08306b"] },
    },
    series: [{ type: "heatmap", data, label: { show: true, fontSize: 10 } }],
  });
}

export function matrixChart(r: ReportData, catalog: Catalog, limit = 20): string | null {
  const techs = r.frequency.techniques.filter((t) => t.tactics.length > 0).slice(0, limit);
  if (techs.length === 0) return null;
  const tactics = catalog.tactics.filter((ta) => techs.some((t) => t.tactics.includes(ta.id)));
  const data: Array<[number, number, number]> = [];
  const rows = [...techs].reverse();
  rows.forEach((t, y) => {
    tactics.forEach((ta, x) => {
      if (t.tactics.includes(ta.id)) data.push([x, y, t.incidents]);
    });
  });
  const max = Math.max(1, ...techs.map((t) => t.incidents));
  return render(760, 80 + rows.length * 24 + 90, {
    grid: { left: 250, right: 20, top: 10, bottom: 120 },
    xAxis: {
      type: "category",
      data: tactics.map((t) => t.name),
      axisLabel: { rotate: 35, fontSize: 11, interval: 0 },
      splitArea: { show: true },
    },
    yAxis: {
      type: "category",
      data: rows.map((t) => `${t.id} ${short(t.name ?? "", 26)}`),
      axisLabel: { fontSize: 11 },
      splitArea: { show: true },
    },
    visualMap: {
      min: 0,
      max,
      calculable: false,
      orient: "horizontal",
      left: "center",
      bottom: 5,
      inRange: { color: ["#fff5eb", "#fd8d3c", "#7f2704"] },
    },
    series: [{ type: "heatmap", data, label: { show: true, fontSize: 10 } }],
  });
}

export function sourceChart(r: ReportData): string | null {
  const rows = r.timing.bySource;
  if (rows.length === 0) return null;
  return render(760, 300, {
    legend: { orient: "vertical", right: 10, top: "middle", textStyle: { fontSize: 11 } },
    series: [
      {
        type: "pie",
        radius: ["35%", "70%"],
        center: ["35%", "50%"],
        data: rows.map((s) => ({ name: `${s.name ?? s.key} (${s.incidents})`, value: s.incidents })),
        label: { formatter: "{d}%", fontSize: 11 },
      },
    ],
  });
}
