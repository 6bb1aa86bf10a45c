// Detection coverage against a built-in monitoring profile: per technique visible / detected / validated, the
// frequency-weighted score of each level, and the most frequent techniques that would go unseen or undetected.
// Detection by rules and by detector finding types (GuardDuty, Security Hub, Access Analyzer, Macie) is shown
// apart, with the finding types behind each verdict and the controls that would prevent the technique.
import { useState } from "react";
import { client } from "../client";
import { Badge, ErrorBox, Loading, PageTitle, pct, plural } from "../components/common";
import { ProfileSelect } from "../components/profile-select";
import { type CoverageRow, levelOf } from "../coverage";
import { href, Link } from "../router";
import { useCall } from "../use-api";

export function CoveragePage() {
  const profiles = useCall(client.coverage.profiles.$get, {});
  const [profile, setProfile] = useState("");
  const [all, setAll] = useState(false);
  const cov = useCall(client.coverage.$get, { query: { profile: profile || undefined, limit: 10 } });
  const rows = (cov.data?.techniques ?? [])
    .filter((r) => all || r.incidents > 0)
    .sort((a, b) => b.incidents - a.incidents || a.id.localeCompare(b.id));
  return (
    <section>
      <PageTitle
        actions={
          <div className="toolbar">
            <ProfileSelect profiles={profiles.data} value={profile} onChange={setProfile} />
            <label className="inline">
              <input type="checkbox" checked={all} onChange={(e) => setAll(e.target.checked)} />
              every technique
            </label>
          </div>
        }
      >
        Detection coverage
      </PageTitle>
      <p className="muted">Would our monitoring catch what we see most?</p>
      {cov.error ? <ErrorBox error={cov.error} feature="detection coverage" /> : null}
      {cov.loading && !cov.data ? <Loading /> : null}
      {cov.data ? (
        <>
          {cov.data.note ? <p className="notice">{cov.data.note}</p> : null}
          <div className="score-cards" data-testid="coverage-scores">
            {(["visible", "detected", "validated"] as const).map((k) => (
              <div key={k} className={`card score cov-${k}`}>
                <div className="score-value">{cov.data?.scores[k] === null ? "—" : pct(cov.data?.scores[k] ?? 0)}</div>
                <div>{k}</div>
                {k === "detected" && cov.data ? (
                  <div>
                    <small className="muted" data-testid="detected-split">
                      rules {pct(cov.data.scores.detectedByRules)}, detector findings{" "}
                      {pct(cov.data.scores.detectedByDetectors)}
                    </small>
                  </div>
                ) : null}
                <small className="muted">
                  {k === "validated" && cov.data?.scores.validated === null
                    ? "no logs scanned (techtrail coverage --validate)"
                    : `${cov.data?.weighting === "incidents" ? "weighted by incidents" : "every technique equal"}; ${pct(cov.data?.unweighted[k] ?? 0)} of techniques`}
                </small>
              </div>
            ))}
          </div>
          <p className="muted">
            Profile <strong>{cov.data.profile.name}</strong>: {cov.data.profile.effective.length} data sources on,{" "}
            {cov.data.rules.deployed} rules deployed ({cov.data.rules.withTechniques} tagged with techniques).
          </p>
          <div className="grid-2">
            <div>
              <h2>Frequent techniques it would not see</h2>
              <TopList rows={cov.data.unseen} empty="None: every technique seen in incidents is visible." />
            </div>
            <div>
              <h2>Seen but not detected</h2>
              <TopList rows={cov.data.undetected} empty="None." />
            </div>
          </div>
          <h2>Techniques {all ? "" : "seen in incidents"}</h2>
          <table className="table compact" data-testid="coverage-table">
            <thead>
              <tr>
                <th>Technique</th>
                <th className="num">Incidents</th>
                <th>Level</th>
                <th>Visible through</th>
                <th>Rules</th>
                <th>Detector findings</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.id}>
                  <td>
                    <Link to={href("techniques", r.id)} className="tid">
                      {r.id}
                    </Link>{" "}
                    {r.name}
                  </td>
                  <td className="num">{r.incidents}</td>
                  <td>
                    <Badge kind={`cov-${levelOf(r)}`}>{levelOf(r)}</Badge>
                  </td>
                  <td className="small">{r.visibleVia.join(", ") || "—"}</td>
                  <td className="small nowrap">
                    {r.rules.length ? (
                      <details>
                        <summary>
                          {r.rules.length} rule{r.rules.length === 1 ? "" : "s"}
                        </summary>
                        {r.rules.join(", ")}
                      </details>
                    ) : (
                      "—"
                    )}
                  </td>
                  <td className="small" data-testid="detector-findings">
                    <DetectorFindings row={r} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {rows.length === 0 ? <p className="muted">No technique in scope; tick "every technique".</p> : null}
        </>
      ) : null}
    </section>
  );
}

/** Finding types that detect the technique, then (folded) the controls and findings that flag what enables it. */
function DetectorFindings({ row }: { row: CoverageRow }) {
  if (!row.detectorFindings.length && !row.posture.length) return <>—</>;
  const item = (f: CoverageRow["detectorFindings"][number]) => (
    <div key={`${f.detector} ${f.type}`}>
      <code>{f.type}</code> <small className="muted">({`${f.detector}, ${f.confidence}`})</small>
    </div>
  );
  // Some techniques are detected by dozens of types: show a few, fold the rest.
  const shown = row.detectorFindings.length > 4 ? 3 : row.detectorFindings.length;
  return (
    <>
      {row.detectorFindings.slice(0, shown).map(item)}
      {shown < row.detectorFindings.length ? (
        <details>
          <summary>{row.detectorFindings.length - shown} more finding types</summary>
          {row.detectorFindings.slice(shown).map(item)}
        </details>
      ) : null}
      {row.posture.length ? (
        <details>
          <summary>
            {row.posture.length} preventive control{row.posture.length === 1 ? "" : "s"} / weakness finding
            {row.posture.length === 1 ? "" : "s"}
          </summary>
          {row.posture.map((f) => `${f.type} (${f.detector})`).join(", ")}
        </details>
      ) : null}
    </>
  );
}

function TopList({ rows, empty }: { rows: Array<{ id: string; name: string; incidents: number }>; empty: string }) {
  if (!rows.length) return <p className="muted">{empty}</p>;
  return (
    <ol>
      {rows.map((u) => (
        <li key={u.id}>
          <Link to={href("techniques", u.id)} className="tid">
            {u.id}
          </Link>{" "}
          {u.name} <small className="muted">({plural(u.incidents, "incident")})</small>
        </li>
      ))}
    </ol>
  );
}
