// Dashboard: top techniques, quarterly trend, co-occurrence heatmap, threat actors, time to detect and contain,
// mitigations. The page holds the filter (period and which incidents); each panel (dashboard-panels.tsx) reads
// its own analytics endpoint with it.
import { useMemo, useState } from "react";
import type { AnalyticsQuery, DemoParam } from "../api-types";
import { PageTitle } from "../components/common";
import { DemoSelect } from "../components/demo-select";
import { recentQuarters } from "../quarters";
import {
  ActorsPanel,
  CooccurrencePanel,
  FrequencyPanel,
  MitigationsPanel,
  TimingPanel,
  TrendPanel,
} from "./dashboard-panels";

export function DashboardPage() {
  const [demo, setDemo] = useState<DemoParam>("include");
  const [quarter, setQuarter] = useState("");
  const query: AnalyticsQuery = { demo, quarter: quarter || undefined };
  return (
    <section>
      <PageTitle actions={<DashboardFilter quarter={quarter} setQuarter={setQuarter} demo={demo} setDemo={setDemo} />}>
        Dashboard
      </PageTitle>
      <div className="panels">
        <FrequencyPanel query={query} />
        <TrendPanel query={query} />
        <CooccurrencePanel query={query} />
        <ActorsPanel query={query} />
        <TimingPanel query={query} />
        <MitigationsPanel query={query} />
      </div>
    </section>
  );
}

/** The period (all time or one of the last twelve quarters) and which incidents count. */
function DashboardFilter(props: {
  quarter: string;
  setQuarter: (q: string) => void;
  demo: DemoParam;
  setDemo: (d: DemoParam) => void;
}) {
  const quarters = useMemo(() => recentQuarters(new Date(), 12), []);
  return (
    <div className="toolbar">
      <label className="inline">
        Period
        <select value={props.quarter} onChange={(e) => props.setQuarter(e.target.value)} name="quarter">
          <option value="">all time</option>
          {quarters.map((x) => (
            <option key={x}>{x}</option>
          ))}
        </select>
      </label>
      <DemoSelect value={props.demo} onChange={props.setDemo} inline />
    </div>
  );
}
