// One incident: fields, timeline, technique tags with evidence and linked scan findings, the audit history,
// and (responder and up) edit, close, delete and quick tagging through the technique picker.

import { useState } from "react";
import { api } from "../api";
import type { AuditEntry, Incident } from "../api-types";
import { RequireRole } from "../auth";
import type { client, Ok } from "../client";
import { Badge, DemoBadge, ErrorBox, fmtDate, Loading, PageTitle } from "../components/common";
import { TechniquePicker } from "../components/technique-picker";
import { href, Link, navigate } from "../router";
import { useTechniqueNames } from "../technique-names";
import { useApi } from "../use-api";

const TIMELINE: Array<[keyof Incident["timeline"], string]> = [
  ["firstActivity", "First activity"],
  ["detected", "Detected"],
  ["reported", "Reported"],
  ["contained", "Contained"],
  ["recovered", "Recovered"],
  ["closed", "Closed"],
];

type ActorMatch = Ok<(typeof client)["stats"]["actors"]["match"][":key"]["$get"]>;

/** Known threat actors whose technique signature resembles this incident's (Jaccard similarity). */
function ActorMatches({ incidentKey }: { incidentKey: string }) {
  const m = useApi<ActorMatch>(`/api/stats/actors/match/${encodeURIComponent(incidentKey)}`, { limit: 5 });
  if (m.error) return <ErrorBox error={m.error} feature="actor matching" />;
  if (!m.data) return <Loading />;
  const top = m.data.matches.filter((x) => x.jaccard > 0);
  return (
    <div data-testid="actor-matches">
      {m.data.attributedTo ? <p>Attributed to {m.data.attributedTo}.</p> : null}
      {m.data.note ? <p className="muted">{m.data.note}</p> : null}
      {top.length ? (
        <table className="table compact">
          <thead>
            <tr>
              <th>Actor</th>
              <th className="num">Similarity</th>
              <th>Shared techniques</th>
              <th className="num">Their incidents</th>
            </tr>
          </thead>
          <tbody>
            {top.map((x) => (
              <tr key={x.actor}>
                <td>{x.name}</td>
                <td className="num">{x.jaccard.toFixed(2)}</td>
                <td className="ids">
                  {x.shared.map((t) => (
                    <Link key={t} to={href("techniques", t)} className="tid">
                      {t}
                    </Link>
                  ))}
                </td>
                <td className="num">{x.incidents}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : m.data.note ? null : (
        <p className="muted">No known actor uses a similar set of techniques.</p>
      )}
    </div>
  );
}

export function IncidentPage({ incidentKey }: { incidentKey: string }) {
  const base = `/api/incidents/${encodeURIComponent(incidentKey)}`;
  const inc = useApi<Incident>(base);
  const history = useApi<{ items: AuditEntry[] }>(`${base}/history`);
  const [actionError, setActionError] = useState<unknown>(null);
  const names = useTechniqueNames();

  async function act(fn: () => Promise<unknown>) {
    setActionError(null);
    try {
      await fn();
      inc.reload();
      history.reload();
    } catch (e) {
      setActionError(e);
    }
  }

  if (inc.error) return <ErrorBox error={inc.error} />;
  if (!inc.data) return <Loading />;
  const i = inc.data;

  return (
    <section className="incident">
      <PageTitle
        actions={
          <RequireRole need="responder">
            <div className="toolbar" data-testid="incident-actions">
              <a className="button" href={href("incidents", i.key, "edit")}>
                Edit
              </a>
              {i.status !== "closed" ? (
                <button type="button" onClick={() => act(() => api.post(`${base}/close`, {}))}>
                  Close incident
                </button>
              ) : null}
              <button
                type="button"
                className="danger"
                onClick={() => {
                  if (window.confirm(`Delete ${i.key}? The audit history is kept.`))
                    void act(async () => {
                      await api.del(base);
                      navigate(href("incidents"));
                    });
                }}
              >
                Delete
              </button>
            </div>
          </RequireRole>
        }
      >
        <span className="muted">{i.key}</span> <span data-testid="incident-title">{i.title}</span>{" "}
        <DemoBadge demo={i.isDemo} />
      </PageTitle>
      {actionError ? <ErrorBox error={actionError} /> : null}
      <div className="badges">
        <Badge kind={i.status}>{i.status}</Badge> <Badge kind={i.severity}>{i.severity}</Badge>
        {i.tags.map((t) => (
          <Badge key={t} kind="tag">
            {t}
          </Badge>
        ))}
      </div>
      {i.summary ? <p className="prewrap">{i.summary}</p> : null}
      <div className="grid-2">
        <dl className="facts">
          <dt>Threat actor</dt>
          <dd>{i.threatActor ?? "—"}</dd>
          <dt>Campaign</dt>
          <dd>{i.campaign ?? "—"}</dd>
          <dt>Detection source</dt>
          <dd>{i.detectionSource ?? "—"}</dd>
          <dt>Initial access</dt>
          <dd>{i.initialAccess ?? "—"}</dd>
          <dt>Impact</dt>
          <dd>{i.impact.join(", ") || "—"}</dd>
          <dt>Accounts</dt>
          <dd>{i.accounts.join(", ") || "—"}</dd>
          <dt>Regions</dt>
          <dd>{i.regions.join(", ") || "—"}</dd>
          <dt>Services</dt>
          <dd>{i.services.join(", ") || "—"}</dd>
          <dt>Resources</dt>
          <dd>{i.resources.join(", ") || "—"}</dd>
          <dt>Playbooks</dt>
          <dd>{i.playbooks.join(", ") || "—"}</dd>
        </dl>
        <dl className="facts">
          {TIMELINE.map(([k, label]) => (
            <div key={k} className="fact-row">
              <dt>{label}</dt>
              <dd>{fmtDate(i.timeline[k])}</dd>
            </div>
          ))}
          <dt>Created</dt>
          <dd>{fmtDate(i.createdAt)}</dd>
          <dt>Updated</dt>
          <dd>{fmtDate(i.updatedAt)}</dd>
        </dl>
      </div>

      <h2>Techniques ({i.techniques.length})</h2>
      <table className="table" data-testid="incident-techniques">
        <thead>
          <tr>
            <th>Technique</th>
            <th>Confidence</th>
            <th>First seen</th>
            <th>Evidence</th>
            <th>Findings</th>
            <RequireRole need="responder">
              <th>
                <span className="sr-only">Actions</span>
              </th>
            </RequireRole>
          </tr>
        </thead>
        <tbody>
          {i.techniques.map((t) => (
            <tr key={t.id}>
              <td>
                <Link to={href("techniques", t.id)} className="tid">
                  {t.id}
                </Link>{" "}
                {names.get(t.id) ?? ""}
              </td>
              <td>
                <Badge kind={t.confidence}>{t.confidence}</Badge>
              </td>
              <td>{fmtDate(t.firstSeen)}</td>
              <td className="prewrap">{t.evidence || "—"}</td>
              <td>
                {t.findings.length === 0 ? (
                  "—"
                ) : (
                  <details>
                    <summary>{t.findings.length} finding(s)</summary>
                    <ul className="findings">
                      {t.findings.map((f) => (
                        <li key={`${f.ruleId}:${f.eventID}`}>
                          {fmtDate(f.eventTime)} <code>{f.eventName}</code> — {f.ruleTitle || f.ruleId}
                          {f.principalArn ? <span className="muted"> by {f.principalArn}</span> : null}
                        </li>
                      ))}
                    </ul>
                  </details>
                )}
              </td>
              <RequireRole need="responder">
                <td>
                  <button
                    type="button"
                    className="link danger"
                    onClick={() =>
                      act(() => api.post(`${base}/techniques`, { techniques: [{ id: t.id }], remove: true }))
                    }
                  >
                    untag
                  </button>
                </td>
              </RequireRole>
            </tr>
          ))}
        </tbody>
      </table>
      <RequireRole need="responder">
        <div className="no-print">
          <TechniquePicker
            label="Tag another technique"
            exclude={i.techniques.map((t) => t.id)}
            onPick={(p) => act(() => api.post(`${base}/techniques`, { techniques: [{ id: p.id }] }))}
          />
        </div>
      </RequireRole>

      {i.notes ? (
        <>
          <h2>Notes</h2>
          <p className="prewrap">{i.notes}</p>
        </>
      ) : null}
      {i.lessonsLearned ? (
        <>
          <h2>Lessons learned</h2>
          <p className="prewrap">{i.lessonsLearned}</p>
        </>
      ) : null}

      <h2>Similar threat actors</h2>
      {/* Remounted after each change so the match follows the tags. */}
      <ActorMatches key={i.updatedAt} incidentKey={i.key} />

      <h2>History</h2>
      {history.error ? <ErrorBox error={history.error} /> : null}
      {history.data ? (
        <table className="table" data-testid="incident-history">
          <thead>
            <tr>
              <th>When</th>
              <th>Who</th>
              <th>What</th>
              <th>Note</th>
            </tr>
          </thead>
          <tbody>
            {history.data.items.map((h) => (
              <tr key={h.id}>
                <td>{fmtDate(h.at)}</td>
                <td>{h.actor}</td>
                <td>{h.action}</td>
                <td>{h.note ?? ""}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}
