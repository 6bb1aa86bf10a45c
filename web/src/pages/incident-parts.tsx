// Parts of the incident page (incident-page.tsx): the facts and timeline, the technique tags with their evidence
// and scan findings, the responder's actions, similar threat actors and the audit history.
import type { AuditEntry, Incident } from "../api-types";
import { RequireRole } from "../auth";
import { client } from "../client";
import { Badge, ErrorBox, fmtDate, Loading } from "../components/common";
import { href, Link } from "../router";
import { useCall } from "../use-api";

const TIMELINE: Array<[keyof Incident["timeline"], string]> = [
  ["firstActivity", "First activity"],
  ["detected", "Detected"],
  ["reported", "Reported"],
  ["contained", "Contained"],
  ["recovered", "Recovered"],
  ["closed", "Closed"],
];

export function IncidentActions(props: { incident: Incident; onClose: () => void; onDelete: () => void }) {
  const i = props.incident;
  const { onClose, onDelete } = props;
  return (
    <RequireRole need="responder">
      <div className="toolbar" data-testid="incident-actions">
        <a className="button" href={href("incidents", i.key, "edit")}>
          Edit
        </a>
        {i.status !== "closed" ? (
          <button type="button" onClick={onClose}>
            Close incident
          </button>
        ) : null}
        <button
          type="button"
          className="danger"
          onClick={() => {
            if (window.confirm(`Delete ${i.key}? The audit history is kept.`)) void onDelete();
          }}
        >
          Delete
        </button>
      </div>
    </RequireRole>
  );
}

export function TechniqueTagTable(props: {
  incident: Incident;
  names: Map<string, string>;
  onUntag: (id: string) => void;
}) {
  const { incident: i, names, onUntag } = props;
  return (
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
                <button type="button" className="link danger" onClick={() => onUntag(t.id)}>
                  untag
                </button>
              </td>
            </RequireRole>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Known threat actors this incident looks like: the score and the components it rests on. */
export function ActorMatches({ incidentKey }: { incidentKey: string }) {
  const m = useCall(client.stats.actors.match[":key"].$get, { param: { key: incidentKey }, query: { limit: 5 } });
  if (m.error) return <ErrorBox error={m.error} feature="actor matching" />;
  if (!m.data) return <Loading />;
  const top = m.data.matches.filter((x) => x.score > 0);
  return (
    <div data-testid="actor-matches">
      {m.data.attributedTo ? <p>Attributed to {m.data.attributedTo}.</p> : null}
      {m.data.note ? <p className="muted">{m.data.note}</p> : null}
      {top.length ? (
        <table className="table compact">
          <thead>
            <tr>
              <th>Actor</th>
              <th className="num">Score</th>
              <th>Why</th>
              <th>Shared techniques</th>
              <th className="num">Their incidents</th>
            </tr>
          </thead>
          <tbody>
            {top.map((x) => (
              <tr key={x.actor}>
                <td>{x.id ? <Link to={href("actors", x.id)}>{x.name}</Link> : x.name}</td>
                <td className="num">{x.score.toFixed(2)}</td>
                <td>
                  {x.components.map((c) => (
                    <div key={c.name} title={c.detail}>
                      {c.name} {c.score.toFixed(2)} × {c.weight}: {c.detail}
                    </div>
                  ))}
                </td>
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

/** Who, where and what (left) and the timeline (right). */
export function IncidentFacts({ incident: i }: { incident: Incident }) {
  return (
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
        <dt>Initial-access technique</dt>
        <dd data-testid="incident-entry-technique">{i.initialAccessTechnique ?? "—"}</dd>
        <dt>Credential type</dt>
        <dd data-testid="incident-credential-type">{i.credentialType ?? "—"}</dd>
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
  );
}

export function HistoryTable({ items }: { items: AuditEntry[] }) {
  return (
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
        {items.map((h) => (
          <tr key={h.id}>
            <td>{fmtDate(h.at)}</td>
            <td>{h.actor}</td>
            <td>{h.action}</td>
            <td>{h.note ?? ""}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
