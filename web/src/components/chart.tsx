// ECharts on a canvas, tree-shaken through echarts/core (only the charts and components registered here are
// bundled). Tooltips use ECharts' rich-text mode so no HTML (and no inline style attribute) is ever built from
// data: the CSP forbids inline styles and incident text must stay text.
import { BarChart, HeatmapChart, LineChart } from "echarts/charts";
import {
  GridComponent,
  LegendComponent,
  TitleComponent,
  TooltipComponent,
  VisualMapComponent,
} from "echarts/components";
import type { EChartsCoreOption } from "echarts/core";
import * as echarts from "echarts/core";
import { CanvasRenderer } from "echarts/renderers";
import { useEffect, useRef } from "react";

echarts.use([
  BarChart,
  LineChart,
  HeatmapChart,
  GridComponent,
  LegendComponent,
  TitleComponent,
  TooltipComponent,
  VisualMapComponent,
  CanvasRenderer,
]);

export type ChartOption = EChartsCoreOption;

export const PALETTE = ["#1f4e79", "#f2a541", "#3d9970", "#c0392b", "#7f5a83", "#2e86ab", "#8a6d3b", "#5d6d7e"];

export function Chart(props: {
  option: ChartOption;
  height?: "s" | "m" | "l";
  label: string;
  testId?: string;
  /** Called with the category name (for example a technique ID) of a clicked bar or point. */
  onClick?: (name: string) => void;
}) {
  const ref = useRef<HTMLDivElement>(null);
  const chart = useRef<echarts.ECharts | null>(null);
  const onClick = useRef(props.onClick);
  onClick.current = props.onClick;

  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const c = echarts.init(el, null, { renderer: "canvas" });
    chart.current = c;
    c.on("click", (p: { name?: string }) => {
      if (p.name && onClick.current) onClick.current(p.name);
    });
    const ro = new ResizeObserver(() => c.resize());
    ro.observe(el);
    return () => {
      ro.disconnect();
      c.dispose();
      chart.current = null;
    };
  }, []);

  useEffect(() => {
    chart.current?.setOption(
      {
        color: PALETTE,
        animation: false,
        textStyle: { fontFamily: "system-ui, sans-serif" },
        ...props.option,
        tooltip: { ...(props.option.tooltip as object | undefined), renderMode: "richText", confine: true },
      },
      { notMerge: true },
    );
  }, [props.option]);

  return (
    <div
      ref={ref}
      className={`chart chart-${props.height ?? "m"}`}
      role="img"
      aria-label={props.label}
      data-testid={props.testId}
    />
  );
}
