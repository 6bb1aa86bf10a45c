// New-incident and edit form. Create: POST /api/incidents with the whole record. Edit: PATCH the changed
// fields by column name, then add/remove technique tags through POST /api/incidents/:key/techniques.
import { type Dispatch, type FormEvent, type SetStateAction, useEffect, useState } from "react";
import { ApiError } from "../api";
import {
  CONFIDENCES,
  type Confidence,
  CREDENTIAL_TYPES,
  DETECTION_SOURCES,
  IMPACTS,
  INITIAL_ACCESS,
  SEVERITIES,
} from "../api-types";
import { useAuth } from "../auth";
import { client, ok } from "../client";
import { ErrorBox, Loading, NeedsRole, PageTitle } from "../components/common";
import { TechniquePicker } from "../components/technique-picker";
import {
  changedColumns,
  type Draft,
  draftOf,
  draftProblems,
  EMPTY,
  newIncidentBody,
  type TagDraft,
} from "../incident-draft";
import { href, navigate } from "../router";
import { useCall } from "../use-api";

export function IncidentFormPage({ incidentKey }: { incidentKey?: string }) {
  const auth = useAuth();
  if (!auth.can("responder"))
    return (
      <section>
        <PageTitle>{incidentKey ? `Edit ${incidentKey}` : "New incident"}</PageTitle>
        <NeedsRole need="responder" what="Creating and editing incidents" />
      </section>
    );
  return <IncidentForm {...(incidentKey ? { incidentKey } : {})} />;
}

function IncidentForm({ incidentKey }: { incidentKey?: string }) {
  const existing = useCall(incidentKey ? client.incidents[":key"].$get : null, { param: { key: incidentKey ?? "" } });
  const [original, setOriginal] = useState<Draft | null>(null);
  const [d, setD] = useState<Draft>(EMPTY);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    const inc = existing.data;
    if (!inc) return;
    // Names of the tagged techniques for the chips (one catalog lookup each, cached by the server).
    const ids = inc.techniques.map((t) => t.id);
    Promise.all(
      ids.map((id) =>
        ok(client.catalog.techniques[":id"].$get({ param: { id } }))
          .then((t) => [id, t.name] as const)
          .catch(() => [id, ""] as const),
      ),
    ).then((pairs) => {
      const draft = draftOf(inc, new Map(pairs));
      setOriginal(draft);
      setD(draft);
    });
  }, [existing.data]);

  const set: SetField = (k) => (e) => setD({ ...d, [k]: e.target.value });

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const problems = draftProblems(d);
      if (problems.length) throw new ApiError(400, "VALIDATION", "invalid incident", { problems });
      if (!incidentKey) {
        const created = await ok(client.incidents.$post({ json: newIncidentBody(d) }));
        navigate(href("incidents", created.key));
        return;
      }
      if (!original) return;
      const param = { key: incidentKey };
      const incident = client.incidents[":key"];
      const changes = changedColumns(original, d);
      const before = new Map(original.techniques.map((t) => [t.id, t]));
      const removed = original.techniques.filter((t) => !d.techniques.some((n) => n.id === t.id));
      const upserts = d.techniques.filter((t) => {
        const o = before.get(t.id);
        return !o || o.confidence !== t.confidence || o.evidence !== t.evidence;
      });
      // Tags first, then fields, then removals: the initial-access technique must be tagged whenever it is set.
      if (upserts.length)
        await incident.techniques.$post({
          param,
          json: { techniques: upserts.map((t) => ({ id: t.id, confidence: t.confidence, evidence: t.evidence })) },
        });
      if (Object.keys(changes).length) await incident.$patch({ param, json: { set: changes } });
      if (removed.length)
        await incident.techniques.$post({
          param,
          json: { techniques: removed.map((t) => ({ id: t.id })), remove: true },
        });
      navigate(href("incidents", incidentKey));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  if (incidentKey && existing.error) return <ErrorBox error={existing.error} />;
  if (incidentKey && !original) return <Loading />;

  return (
    <section>
      <PageTitle>{incidentKey ? `Edit ${incidentKey}` : "New incident"}</PageTitle>
      <form className="form" onSubmit={submit} aria-label="Incident">
        <label className="wide">
          Title
          <input name="title" value={d.title} onChange={set("title")} required maxLength={200} />
        </label>
        <label className="wide">
          Summary
          <textarea name="summary" value={d.summary} onChange={set("summary")} rows={3} />
        </label>
        <label>
          Severity
          <select name="severity" value={d.severity} onChange={set("severity")}>
            {SEVERITIES.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
        <TimelineFields d={d} set={set} />
        <ContextFields d={d} set={set} />
        <ImpactChecks d={d} setD={setD} />
        <TechniqueTags d={d} setD={setD} />
        <EntryFields d={d} set={set} />
        <label className="wide">
          Notes
          <textarea name="notes" value={d.notes} onChange={set("notes")} rows={4} />
        </label>
        <label className="wide">
          Lessons learned
          <textarea name="lessonsLearned" value={d.lessonsLearned} onChange={set("lessonsLearned")} rows={3} />
        </label>
        {error ? (
          <div className="wide">
            <ErrorBox error={error} />
          </div>
        ) : null}
        <div className="wide form-buttons">
          <button type="submit" className="primary" disabled={busy}>
            {incidentKey ? "Save changes" : "Create incident"}
          </button>
          <a className="button" href={incidentKey ? href("incidents", incidentKey) : href("incidents")}>
            Cancel
          </a>
        </div>
      </form>
    </section>
  );
}

/** An onChange for a text field of the draft. */
type SetField = (k: TextField) => (e: { target: { value: string } }) => void;
type TextField = { [K in keyof Draft]: Draft[K] extends string ? K : never }[keyof Draft];

/** The five timeline moments, as UTC datetime-local inputs. */
function TimelineFields({ d, set }: { d: Draft; set: SetField }) {
  return (
    <>
      <label>
        First activity (UTC)
        <input type="datetime-local" name="firstActivity" value={d.firstActivity} onChange={set("firstActivity")} />
      </label>
      <label>
        Detected (UTC)
        <input type="datetime-local" name="detected" value={d.detected} onChange={set("detected")} />
      </label>
      <label>
        Reported (UTC)
        <input type="datetime-local" name="reported" value={d.reported} onChange={set("reported")} />
      </label>
      <label>
        Contained (UTC)
        <input type="datetime-local" name="contained" value={d.contained} onChange={set("contained")} />
      </label>
      <label>
        Recovered (UTC)
        <input type="datetime-local" name="recovered" value={d.recovered} onChange={set("recovered")} />
      </label>
    </>
  );
}

/** How it was found and got in, who did it, and where (accounts, regions, services, tags). */
function ContextFields({ d, set }: { d: Draft; set: SetField }) {
  return (
    <>
      <label>
        Detection source
        <select name="detectionSource" value={d.detectionSource} onChange={set("detectionSource")}>
          <option value="">—</option>
          {DETECTION_SOURCES.map((s) => (
            <option key={s}>{s}</option>
          ))}
        </select>
      </label>
      <label>
        Initial access
        <select name="initialAccess" value={d.initialAccess} onChange={set("initialAccess")}>
          <option value="">—</option>
          {INITIAL_ACCESS.map((s) => (
            <option key={s}>{s}</option>
          ))}
        </select>
      </label>
      <label>
        Threat actor
        <input name="threatActor" value={d.threatActor} onChange={set("threatActor")} />
      </label>
      <label>
        Campaign
        <input name="campaign" value={d.campaign} onChange={set("campaign")} />
      </label>
      <label>
        AWS accounts
        <input name="accounts" value={d.accounts} onChange={set("accounts")} placeholder="123456789012, …" />
      </label>
      <label>
        Regions
        <input name="regions" value={d.regions} onChange={set("regions")} placeholder="eu-west-1, …" />
      </label>
      <label>
        Services
        <input name="services" value={d.services} onChange={set("services")} placeholder="iam, s3, …" />
      </label>
      <label>
        Tags
        <input name="tags" value={d.tags} onChange={set("tags")} placeholder="prod-account, …" />
      </label>
    </>
  );
}

/**
 * The way in, as `stats controls` reads it: one of the tagged techniques (a value no longer tagged stays
 * selectable, marked, so the form can say what is wrong) and the credential used.
 */
function EntryFields({ d, set }: { d: Draft; set: SetField }) {
  const tagged = d.techniques.some((t) => t.id === d.initialAccessTechnique);
  return (
    <>
      <label>
        Initial-access technique
        <select name="initialAccessTechnique" value={d.initialAccessTechnique} onChange={set("initialAccessTechnique")}>
          <option value="">—</option>
          {d.techniques.map((t) => (
            <option key={t.id} value={t.id}>
              {t.name ? `${t.id} ${t.name}` : t.id}
            </option>
          ))}
          {d.initialAccessTechnique && !tagged ? (
            <option value={d.initialAccessTechnique}>{`${d.initialAccessTechnique} (not tagged)`}</option>
          ) : null}
        </select>
      </label>
      <label>
        Credential type
        <select name="credentialType" value={d.credentialType} onChange={set("credentialType")}>
          <option value="">—</option>
          {CREDENTIAL_TYPES.map((s) => (
            <option key={s}>{s}</option>
          ))}
        </select>
      </label>
    </>
  );
}

/** What the incident did (any number of the impact values). */
function ImpactChecks({ d, setD }: { d: Draft; setD: (d: Draft) => void }) {
  return (
    <fieldset className="wide checks">
      <legend>Impact</legend>
      {IMPACTS.map((i) => (
        <label key={i} className="inline">
          <input
            type="checkbox"
            checked={d.impact.includes(i)}
            onChange={(e) =>
              setD({ ...d, impact: e.target.checked ? [...d.impact, i] : d.impact.filter((x) => x !== i) })
            }
          />
          {i}
        </label>
      ))}
    </fieldset>
  );
}

/** The tagged techniques with confidence and evidence, and the picker to add more. */
function TechniqueTags({ d, setD }: { d: Draft; setD: Dispatch<SetStateAction<Draft>> }) {
  const updateTag = (id: string, patch: Partial<TagDraft>) =>
    setD({ ...d, techniques: d.techniques.map((t) => (t.id === id ? { ...t, ...patch } : t)) });
  return (
    <fieldset className="wide">
      <legend>Techniques</legend>
      {d.techniques.length === 0 ? <p className="muted">No technique tagged yet.</p> : null}
      <ul className="tag-list" data-testid="picked-techniques">
        {d.techniques.map((t) => (
          <li key={t.id} data-technique={t.id}>
            <span className="tid">{t.id}</span> {t.name}
            <select
              aria-label={`confidence for ${t.id}`}
              value={t.confidence}
              onChange={(e) => updateTag(t.id, { confidence: e.target.value as Confidence })}
            >
              {CONFIDENCES.map((c) => (
                <option key={c}>{c}</option>
              ))}
            </select>
            <input
              aria-label={`evidence for ${t.id}`}
              placeholder="evidence"
              value={t.evidence}
              onChange={(e) => updateTag(t.id, { evidence: e.target.value })}
            />
            <button
              type="button"
              className="link danger"
              onClick={() => setD({ ...d, techniques: d.techniques.filter((x) => x.id !== t.id) })}
            >
              remove
            </button>
          </li>
        ))}
      </ul>
      <TechniquePicker
        exclude={d.techniques.map((t) => t.id)}
        onPick={(p) =>
          setD((cur) => ({ ...cur, techniques: [...cur.techniques, { ...p, confidence: "likely", evidence: "" }] }))
        }
      />
    </fieldset>
  );
}
