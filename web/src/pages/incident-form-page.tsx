// New-incident and edit form. Create: POST /api/incidents with the whole record. Edit: PATCH the changed
// fields by column name, then add/remove technique tags through POST /api/incidents/:key/techniques.
import { type FormEvent, useEffect, useState } from "react";
import { api } from "../api";
import {
  CONFIDENCES,
  type Confidence,
  DETECTION_SOURCES,
  IMPACTS,
  INITIAL_ACCESS,
  type Incident,
  SEVERITIES,
} from "../api-types";
import { useAuth } from "../auth";
import { ErrorBox, Loading, NeedsRole, PageTitle } from "../components/common";
import { TechniquePicker } from "../components/technique-picker";
import { changedColumns, type Draft, draftOf, EMPTY, newIncidentBody, type TagDraft } from "../incident-draft";
import { href, navigate } from "../router";
import { useApi } from "../use-api";

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
  const existing = useApi<Incident>(incidentKey ? `/api/incidents/${encodeURIComponent(incidentKey)}` : null);
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
        api
          .get<{ name: string }>(`/api/catalog/techniques/${encodeURIComponent(id)}`)
          .then((t) => [id, t.name] as const)
          .catch(() => [id, ""] as const),
      ),
    ).then((pairs) => {
      const draft = draftOf(inc, new Map(pairs));
      setOriginal(draft);
      setD(draft);
    });
  }, [existing.data]);

  const set =
    <K extends keyof Draft>(k: K) =>
    (e: { target: { value: string } }) =>
      setD({ ...d, [k]: e.target.value });

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      if (!incidentKey) {
        const created = await api.post<Incident>("/api/incidents", newIncidentBody(d));
        navigate(href("incidents", created.key));
        return;
      }
      if (!original) return;
      const base = `/api/incidents/${encodeURIComponent(incidentKey)}`;
      const changes = changedColumns(original, d);
      if (Object.keys(changes).length) await api.patch(base, { set: changes });
      const before = new Map(original.techniques.map((t) => [t.id, t]));
      const removed = original.techniques.filter((t) => !d.techniques.some((n) => n.id === t.id));
      const upserts = d.techniques.filter((t) => {
        const o = before.get(t.id);
        return !o || o.confidence !== t.confidence || o.evidence !== t.evidence;
      });
      if (removed.length)
        await api.post(`${base}/techniques`, { techniques: removed.map((t) => ({ id: t.id })), remove: true });
      if (upserts.length)
        await api.post(`${base}/techniques`, {
          techniques: upserts.map((t) => ({ id: t.id, confidence: t.confidence, evidence: t.evidence })),
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

  const updateTag = (id: string, patch: Partial<TagDraft>) =>
    setD({ ...d, techniques: d.techniques.map((t) => (t.id === id ? { ...t, ...patch } : t)) });

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
