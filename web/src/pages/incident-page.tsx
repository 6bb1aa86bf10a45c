// One incident: fields, timeline, technique tags with evidence and linked scan findings, the audit history,
// and (responder and up) edit, close, delete and quick tagging through the technique picker.

import { useState } from "react";
import { RequireRole } from "../auth";
import { client } from "../client";
import { Badge, DemoBadge, ErrorBox, Loading, PageTitle } from "../components/common";
import { TechniquePicker } from "../components/technique-picker";
import { href, navigate } from "../router";
import { useTechniqueNames } from "../technique-names";
import { useCall } from "../use-api";
import { ActorMatches, HistoryTable, IncidentActions, IncidentFacts, TechniqueTagTable } from "./incident-parts";

export function IncidentPage({ incidentKey }: { incidentKey: string }) {
  const param = { key: incidentKey };
  const incident = client.incidents[":key"];
  const inc = useCall(incident.$get, { param });
  const history = useCall(incident.history.$get, { param });
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
          <IncidentActions
            incident={i}
            onClose={() => act(() => incident.close.$post({ param, json: {} }))}
            onDelete={() =>
              act(async () => {
                await incident.$delete({ param });
                navigate(href("incidents"));
              })
            }
          />
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
      <IncidentFacts incident={i} />

      <h2>Techniques ({i.techniques.length})</h2>
      <TechniqueTagTable
        incident={i}
        names={names}
        onUntag={(id) => act(() => incident.techniques.$post({ param, json: { techniques: [{ id }], remove: true } }))}
      />
      <RequireRole need="responder">
        <div className="no-print">
          <TechniquePicker
            label="Tag another technique"
            exclude={i.techniques.map((t) => t.id)}
            onPick={(p) => act(() => incident.techniques.$post({ param, json: { techniques: [{ id: p.id }] } }))}
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
      {history.data ? <HistoryTable items={history.data.items} /> : null}
    </section>
  );
}
