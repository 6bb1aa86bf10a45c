// Dashboard: top techniques, quarterly trend, co-occurrence heatmap, threat actors, time to detect and
// contain. Each panel reads one analytics endpoint (/api/stats/...) and says so when the server lacks it.
import { useMemo, useState } from "react";
import type { Query } from "../api";
import type { client, Ok } from "../client";
import { Chart, type ChartOption } from "../components/chart";
import { ErrorBox, fmtDuration, Loading, PageTitle, pct, plural } from "../components/common";
import { recentQuarters } from "../quarters";
import { href, Link, navigate } from "../router";
import { useApi } from "../use-api";

type Stats = (typeof client)["stats"];
type Frequency = Ok<Stats["frequency"]["$get"]>;
type Trend = Ok<Stats["trend"]["$get"]>;
type Cooccurrence = Ok<Stats["cooccurrence"]["$get"]>;
type Actors = Ok<Stats["actors"]["$get"]>;
type Timing = Ok<Stats["timing"]["$get"]>;
type Mitigations = Ok<Stats["mitigations"]["$get"]>;

function Panel(props: { title: string; error: unknown; loading: boolean; children: React.ReactNode; wide?: boolean }) {
  return (
    <div className={`card panel${props.wide ? " wide" : ""}`}>
      <h2>{props.title}</h2>
      {props.error ? <ErrorBox error={props.error} feature={props.title.toLowerCase()} /> : null}
      {props.loading ? <Loading /> : null}
      {!props.error && !props.loading ? props.children : null}
    </div>
  );
}

const hours = (s: number | null) => (s === null ? null : Math.round((s / 3600) * 10) / 10);

export function DashboardPage() {
  const [demo, setDemo] = useState<"" | "0" | "1">("");
  const [quarter, setQuarter] = useState("");
  const quarters = useMemo(() => recentQuarters(new Date(), 12), []);
  const q: Query = {
    demo: demo === "1" ? "only" : demo === "0" ? "exclude" : undefined,
    quarter: quarter || undefined,
  };
  const freq = useApi<Frequency>("/api/stats/frequency", { ...q, limit: 15 });
  const trend = useApi<Trend>("/api/stats/trend", { ...q, quarters: 6, limit: 6 });
  const co = useApi<Cooccurrence>("/api/stats/cooccurrence", { ...q, limit: 40 });
  const actors = useApi<Actors>("/api/stats/actors", q);
  const timing = useApi<Timing>("/api/stats/timing", q);
  const mitigations = useApi<Mitigations>("/api/stats/mitigations", { ...q, limit: 8 });

  const freqOption = useMemo<ChartOption | null>(() => {
    const items = freq.data?.techniques.slice(0, 15).reverse();
    if (!items?.length) return null;
    return {
      grid: { left: 90, right: 30, top: 10, bottom: 30 },
      tooltip: { trigger: "axis" },
      xAxis: { type: "value", minInterval: 1 },
      yAxis: { type: "category", data: items.map((t) => t.id) },
      series: [{ type: "bar", name: "incidents", data: items.map((t) => t.incidents), barMaxWidth: 24 }],
    };
  }, [freq.data]);

  const trendOption = useMemo<ChartOption | null>(() => {
    const d = trend.data;
    if (!d?.quarters.length) return null;
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
  }, [trend.data]);

  const coOption = useMemo<ChartOption | null>(() => {
    const d = co.data;
    if (!d?.pairs.length) return null;
    // The 20 most frequent techniques among the pairs, most frequent first.
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
  }, [co.data]);

  const actorOption = useMemo<ChartOption | null>(() => {
    const a = actors.data?.actors.slice(0, 10).reverse();
    if (!a?.length) return null;
    return {
      grid: { left: 120, right: 30, top: 10, bottom: 30 },
      tooltip: { trigger: "axis" },
      xAxis: { type: "value", minInterval: 1 },
      yAxis: { type: "category", data: a.map((x) => x.name) },
      series: [{ type: "bar", name: "incidents", data: a.map((x) => x.incidents), barMaxWidth: 24 }],
    };
  }, [actors.data]);

  const timingOption = useMemo<ChartOption | null>(() => {
    const rows = timing.data?.byTechnique.filter((r) => r.timeToContain.samples > 0).slice(0, 12);
    if (!rows?.length) return null;
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
  }, [timing.data]);

  const empty = (note?: string) => <p className="muted">{note ?? "No data for this selection."}</p>;

  return (
    <section>
      <PageTitle
        actions={
          <div className="toolbar">
            <label className="inline">
              Period
              <select value={quarter} onChange={(e) => setQuarter(e.target.value)} name="quarter">
                <option value="">all time</option>
                {quarters.map((x) => (
                  <option key={x}>{x}</option>
                ))}
              </select>
            </label>
            <label className="inline">
              Incidents
              <select value={demo} onChange={(e) => setDemo(e.target.value as "" | "0" | "1")}>
                <option value="">real and demo</option>
                <option value="0">real only</option>
                <option value="1">demo only</option>
              </select>
            </label>
          </div>
        }
      >
        Dashboard
      </PageTitle>
      <div className="panels">
        <Panel title="Top techniques" error={freq.error} loading={freq.loading && !freq.data}>
          {freq.data ? (
            <>
              <p className="muted" data-testid="dashboard-scope">
                <span data-testid="dashboard-incidents">{freq.data.scope.incidents}</span>{" "}
                {freq.data.scope.incidents === 1 ? "incident" : "incidents"}, {freq.data.tagged} with techniques
              </p>
              {freqOption ? (
                <Chart
                  option={freqOption}
                  label="Incidents per technique (click a bar for the technique)"
                  height="l"
                  testId="chart-frequency"
                  onClick={(id) => navigate(href("techniques", id))}
                />
              ) : (
                empty(freq.data.scope.note)
              )}
              <table className="table compact" data-testid="top-techniques">
                <tbody>
                  {freq.data.techniques.slice(0, 10).map((t) => (
                    <tr key={t.id} data-technique={t.id}>
                      <td>
                        <Link to={href("techniques", t.id)} className="tid">
                          {t.id}
                        </Link>
                      </td>
                      <td>{t.name ?? "(not in catalog)"}</td>
                      <td className="num" data-testid={`freq-${t.id}`}>
                        {t.incidents}
                      </td>
                      <td className="num muted">{pct(t.share)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </>
          ) : null}
        </Panel>
        <Panel title="Quarterly trend" error={trend.error} loading={trend.loading && !trend.data}>
          {trend.data ? (
            <>
              {trendOption ? (
                <Chart option={trendOption} label="Incidents per quarter" testId="chart-trend" />
              ) : (
                empty(trend.data.scope.note)
              )}
              {trend.data.techniques.length ? (
                <table className="table compact" data-testid="trend-movers">
                  <thead>
                    <tr>
                      <th>Technique</th>
                      <th className="num">{trend.data.previous ?? "previous"}</th>
                      <th className="num">{trend.data.current ?? "current"}</th>
                      <th className="num">Change</th>
                    </tr>
                  </thead>
                  <tbody>
                    {[...trend.data.techniques]
                      .sort((a, b) => Math.abs(b.change) - Math.abs(a.change) || a.id.localeCompare(b.id))
                      .slice(0, 8)
                      .map((t) => (
                        <tr key={t.id}>
                          <td>
                            <Link to={href("techniques", t.id)} className="tid">
                              {t.id}
                            </Link>{" "}
                            {t.name ?? ""} {t.isNew ? <span className="badge badge-warn">new</span> : null}
                          </td>
                          <td className="num">{t.previous}</td>
                          <td className="num">{t.current}</td>
                          <td className="num">
                            {t.change > 0 ? "+" : ""}
                            {t.change}
                            {t.changePct !== null
                              ? ` (${t.changePct > 0 ? "+" : ""}${Math.round(t.changePct * 100)}%)`
                              : ""}
                          </td>
                        </tr>
                      ))}
                  </tbody>
                </table>
              ) : null}
              {trend.data.newTechniques.length ? (
                <p>
                  New in {trend.data.current}:{" "}
                  {trend.data.newTechniques.map((id) => (
                    <Link key={id} to={href("techniques", id)} className="tid">
                      {id}
                    </Link>
                  ))}
                </p>
              ) : null}
            </>
          ) : null}
        </Panel>
        <Panel title="Techniques seen together" error={co.error} loading={co.loading && !co.data} wide>
          {co.data ? (
            <>
              <p className="muted">{plural(co.data.multiTechnique, "incident")} with two or more techniques</p>
              {coOption ? (
                <Chart option={coOption} label="Co-occurrence heatmap" height="l" testId="chart-cooccurrence" />
              ) : (
                empty(co.data.scope.note ?? "No pair of techniques seen often enough yet.")
              )}
            </>
          ) : null}
        </Panel>
        <Panel title="Threat actors" error={actors.error} loading={actors.loading && !actors.data}>
          {actors.data ? (
            actorOption ? (
              <>
                <Chart option={actorOption} label="Incidents per threat actor" testId="chart-actors" />
                <ul className="compact">
                  {actors.data.actors.slice(0, 8).map((a) => (
                    <li key={a.key}>
                      <strong>{a.name}</strong>: {a.signature.join(", ") || "—"}
                    </li>
                  ))}
                </ul>
              </>
            ) : (
              empty(actors.data.scope.note ?? "No incident names a threat actor.")
            )
          ) : null}
        </Panel>
        <Panel title="Time to detect and contain" error={timing.error} loading={timing.loading && !timing.data}>
          {timing.data ? (
            <>
              <dl className="facts inline-facts">
                <dt>Time to detect</dt>
                <dd>
                  median {fmtDuration(timing.data.overall.timeToDetect.median)}, p90{" "}
                  {fmtDuration(timing.data.overall.timeToDetect.p90)} (
                  {plural(timing.data.overall.timeToDetect.samples, "incident")})
                </dd>
                <dt>Time to contain</dt>
                <dd>
                  median {fmtDuration(timing.data.overall.timeToContain.median)}, p90{" "}
                  {fmtDuration(timing.data.overall.timeToContain.p90)} (
                  {plural(timing.data.overall.timeToContain.samples, "incident")})
                </dd>
              </dl>
              {timingOption ? (
                <Chart
                  option={timingOption}
                  label="Median hours to detect and contain per technique"
                  testId="chart-timing"
                />
              ) : (
                empty(timing.data.scope.note)
              )}
              {timing.data.bySource.length ? (
                <table className="table compact">
                  <thead>
                    <tr>
                      <th>Detection source</th>
                      <th className="num">Incidents</th>
                      <th className="num">Median to detect</th>
                    </tr>
                  </thead>
                  <tbody>
                    {timing.data.bySource.map((s) => (
                      <tr key={s.key}>
                        <td>{s.name ?? s.key}</td>
                        <td className="num">{s.incidents}</td>
                        <td className="num">{fmtDuration(s.timeToDetect.median)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              ) : null}
            </>
          ) : null}
        </Panel>
        <Panel
          title="Mitigations that would have mattered most"
          error={mitigations.error}
          loading={mitigations.loading && !mitigations.data}
          wide
        >
          {mitigations.data ? (
            mitigations.data.mitigations.length ? (
              <>
                <p className="muted">
                  Score = incidents involving a technique the mitigation addresses, weighted by severity (
                  {Object.entries(mitigations.data.weights)
                    .map(([k, v]) => `${k} ×${v}`)
                    .join(", ")}
                  ). {plural(mitigations.data.unmitigated, "incident")} had no technique with a catalog mitigation.
                </p>
                <table className="table compact" data-testid="mitigations">
                  <thead>
                    <tr>
                      <th>Mitigation</th>
                      <th className="num">Score</th>
                      <th className="num">Incidents</th>
                      <th>Techniques</th>
                    </tr>
                  </thead>
                  <tbody>
                    {mitigations.data.mitigations.map((m) => (
                      <tr key={m.id}>
                        <td>
                          <strong>{m.id}</strong> {m.name}
                        </td>
                        <td className="num">{m.score}</td>
                        <td className="num">{m.incidents}</td>
                        <td className="ids">
                          {m.techniques.slice(0, 8).map((t) => (
                            <Link key={t.id} to={href("techniques", t.id)} className="tid">
                              {t.id}
                            </Link>
                          ))}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </>
            ) : (
              empty(mitigations.data.scope.note)
            )
          ) : null}
        </Panel>
      </div>
    </section>
  );
}
