// The dashboard's panels (dashboard-page.tsx lays them out): each loads one analytics endpoint
// (GET /api/stats/...) with the page's filter, shows a loading state until its data arrives, says so when the
// server lacks the endpoint, and draws its chart from dashboard-charts.ts.
import { type ReactNode, useMemo } from "react";
import type { AnalyticsQuery } from "../api-types";
import { client } from "../client";
import { Chart } from "../components/chart";
import { ErrorBox, fmtDuration, Loading, pct, plural } from "../components/common";
import { actorChart, cooccurrenceChart, frequencyChart, timingChart, trendChart } from "../dashboard-charts";
import { href, Link, navigate } from "../router";
import { type Loaded, useCall } from "../use-api";

function Panel(props: { title: string; loaded: Loaded<unknown>; children: ReactNode; wide?: boolean }) {
  const { error, loading, data } = props.loaded;
  return (
    <div className={`card panel${props.wide ? " wide" : ""}`}>
      <h2>{props.title}</h2>
      {error ? <ErrorBox error={error} feature={props.title.toLowerCase()} /> : null}
      {loading && data === undefined ? <Loading /> : null}
      {!error && !(loading && data === undefined) ? props.children : null}
    </div>
  );
}

const Empty = ({ note }: { note?: string | undefined }) => (
  <p className="muted">{note ?? "No data for this selection."}</p>
);

/** Incidents per technique (a bar opens its technique), and the ten most frequent as a table. */
export function FrequencyPanel({ query }: { query: AnalyticsQuery }) {
  const freq = useCall(client.stats.frequency.$get, { query: { ...query, limit: 15 } });
  const d = freq.data;
  const chart = useMemo(() => (d ? frequencyChart(d) : null), [d]);
  return (
    <Panel title="Top techniques" loaded={freq}>
      {d ? (
        <>
          <p className="muted" data-testid="dashboard-scope">
            <span data-testid="dashboard-incidents">{d.scope.incidents}</span>{" "}
            {d.scope.incidents === 1 ? "incident" : "incidents"}, {d.tagged} with techniques
          </p>
          {chart ? (
            <Chart
              option={chart}
              label="Incidents per technique (click a bar for the technique)"
              height="l"
              testId="chart-frequency"
              onClick={(id) => navigate(href("techniques", id))}
            />
          ) : (
            <Empty note={d.scope.note} />
          )}
          <table className="table compact" data-testid="top-techniques">
            <tbody>
              {d.techniques.slice(0, 10).map((t) => (
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
  );
}

/** Incidents per quarter with the leading techniques, and the biggest movers between the last two quarters. */
export function TrendPanel({ query }: { query: AnalyticsQuery }) {
  const trend = useCall(client.stats.trend.$get, { query: { ...query, quarters: 6, limit: 6 } });
  const d = trend.data;
  const chart = useMemo(() => (d ? trendChart(d) : null), [d]);
  return (
    <Panel title="Quarterly trend" loaded={trend}>
      {d ? (
        <>
          {chart ? (
            <Chart option={chart} label="Incidents per quarter" testId="chart-trend" />
          ) : (
            <Empty note={d.scope.note} />
          )}
          {d.techniques.length ? (
            <table className="table compact" data-testid="trend-movers">
              <thead>
                <tr>
                  <th>Technique</th>
                  <th className="num">{d.previous ?? "previous"}</th>
                  <th className="num">{d.current ?? "current"}</th>
                  <th className="num">Change</th>
                </tr>
              </thead>
              <tbody>
                {[...d.techniques]
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
          {d.newTechniques.length ? (
            <p>
              New in {d.current}:{" "}
              {d.newTechniques.map((id) => (
                <Link key={id} to={href("techniques", id)} className="tid">
                  {id}
                </Link>
              ))}
            </p>
          ) : null}
        </>
      ) : null}
    </Panel>
  );
}

/** Technique pairs seen in the same incidents, as a heatmap. */
export function CooccurrencePanel({ query }: { query: AnalyticsQuery }) {
  const co = useCall(client.stats.cooccurrence.$get, { query: { ...query, limit: 40 } });
  const d = co.data;
  const chart = useMemo(() => (d ? cooccurrenceChart(d) : null), [d]);
  return (
    <Panel title="Techniques seen together" loaded={co} wide>
      {d ? (
        <>
          <p className="muted">{plural(d.multiTechnique, "incident")} with two or more techniques</p>
          {chart ? (
            <Chart option={chart} label="Co-occurrence heatmap" height="l" testId="chart-cooccurrence" />
          ) : (
            <Empty note={d.scope.note ?? "No pair of techniques seen often enough yet."} />
          )}
        </>
      ) : null}
    </Panel>
  );
}

/** Incidents per threat actor and each actor's technique signature. */
export function ActorsPanel({ query }: { query: AnalyticsQuery }) {
  const actors = useCall(client.stats.actors.$get, { query: query });
  const d = actors.data;
  const chart = useMemo(() => (d ? actorChart(d) : null), [d]);
  return (
    <Panel title="Threat actors" loaded={actors}>
      {d ? (
        chart ? (
          <>
            <Chart option={chart} label="Incidents per threat actor" testId="chart-actors" />
            <ul className="compact">
              {d.actors.slice(0, 8).map((a) => (
                <li key={a.key}>
                  <strong>{a.name}</strong>: {a.signature.join(", ") || "—"}
                </li>
              ))}
            </ul>
          </>
        ) : (
          <Empty note={d.scope.note ?? "No incident names a threat actor."} />
        )
      ) : null}
    </Panel>
  );
}

/** Time to detect and contain: overall, per technique and per detection source. */
export function TimingPanel({ query }: { query: AnalyticsQuery }) {
  const timing = useCall(client.stats.timing.$get, { query: query });
  const d = timing.data;
  const chart = useMemo(() => (d ? timingChart(d) : null), [d]);
  return (
    <Panel title="Time to detect and contain" loaded={timing}>
      {d ? (
        <>
          <dl className="facts inline-facts">
            <dt>Time to detect</dt>
            <dd>
              median {fmtDuration(d.overall.timeToDetect.median)}, p90 {fmtDuration(d.overall.timeToDetect.p90)} (
              {plural(d.overall.timeToDetect.samples, "incident")})
            </dd>
            <dt>Time to contain</dt>
            <dd>
              median {fmtDuration(d.overall.timeToContain.median)}, p90 {fmtDuration(d.overall.timeToContain.p90)} (
              {plural(d.overall.timeToContain.samples, "incident")})
            </dd>
          </dl>
          {chart ? (
            <Chart option={chart} label="Median hours to detect and contain per technique" testId="chart-timing" />
          ) : (
            <Empty note={d.scope.note} />
          )}
          {d.bySource.length ? (
            <table className="table compact">
              <thead>
                <tr>
                  <th>Detection source</th>
                  <th className="num">Incidents</th>
                  <th className="num">Median to detect</th>
                </tr>
              </thead>
              <tbody>
                {d.bySource.map((s) => (
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
  );
}

/** Mitigations ranked by the severity-weighted incidents they would have addressed. */
export function MitigationsPanel({ query }: { query: AnalyticsQuery }) {
  const mitigations = useCall(client.stats.mitigations.$get, { query: { ...query, limit: 8 } });
  const d = mitigations.data;
  return (
    <Panel title="Mitigations that would have mattered most" loaded={mitigations} wide>
      {d ? (
        d.mitigations.length ? (
          <>
            <p className="muted">
              Score = incidents involving a technique the mitigation addresses, weighted by severity (
              {Object.entries(d.weights)
                .map(([k, v]) => `${k} ×${v}`)
                .join(", ")}
              ). {plural(d.unmitigated, "incident")} had no technique with a catalog mitigation.
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
                {d.mitigations.map((m) => (
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
          <Empty note={d.scope.note} />
        )
      ) : null}
    </Panel>
  );
}
