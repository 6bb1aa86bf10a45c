// Workshops: the list (responders start new ones from a scenario pack and a seed), and one workshop for a
// participant (download the logs, answer each question once, take hints that cost points, see the score) and for
// its facilitator (everyone's results, the debrief, closing it). The answer key never reaches the browser while
// the workshop is open: the debrief comes from the server only for the facilitator, or for all once closed.
import { type FormEvent, type ReactNode, useState } from "react";
import type { WorkshopAnswer, WorkshopDetail, WorkshopList, WorkshopProgress, WorkshopQuestion } from "../api-types";
import { useAuth } from "../auth";
import { href as apiHref, client, ok } from "../client";
import { Badge, ErrorBox, fmtDate, Loading, PageTitle } from "../components/common";
import { href, Link, navigate } from "../router";
import { useCall } from "../use-api";

export function WorkshopsPage() {
  const auth = useAuth();
  const list = useCall(client.workshops.$get, {});
  return (
    <section>
      <PageTitle>Workshops</PageTitle>
      <p className="muted">
        Hands-on incident-response exercises: investigate generated CloudTrail logs of a realistic attack and answer
        four questions. Each answer counts once; hints cost points.
      </p>
      {auth.can("responder") && list.data ? <StartForm scenarios={list.data.scenarios} /> : null}
      {list.error ? <ErrorBox error={list.error} feature="workshops" /> : null}
      {!list.data ? (
        <Loading />
      ) : list.data.items.length === 0 ? (
        <p className="muted empty">No workshops yet.</p>
      ) : (
        <table className="table" data-testid="workshop-list">
          <thead>
            <tr>
              <th>Workshop</th>
              <th>Scenario</th>
              <th>Status</th>
              <th className="num">Participants</th>
              <th>Facilitator</th>
              <th>Started</th>
            </tr>
          </thead>
          <tbody>
            {list.data.items.map((w) => (
              <tr key={w.id}>
                <td>
                  <Link to={href("workshops", w.id)}>{w.title}</Link> <code>{w.id}</code>
                </td>
                <td>{w.scenarioTitle}</td>
                <td>
                  <Badge kind={w.status}>{w.status}</Badge>
                </td>
                <td className="num">{w.participants}</td>
                <td>{w.createdBy}</td>
                <td>{fmtDate(w.createdAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function StartForm({ scenarios }: { scenarios: WorkshopList["scenarios"] }) {
  const [scenario, setScenario] = useState(scenarios[0]?.name ?? "");
  const [seed, setSeed] = useState("1");
  const [title, setTitle] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  async function start(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const w = await ok(
        client.workshops.$post({
          json: { scenario: scenario.trim(), seed: Number(seed), ...(title.trim() ? { title: title.trim() } : {}) },
        }),
      );
      navigate(href("workshops", w.id));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="card form" onSubmit={start} aria-label="Start a workshop">
      <h2>Start a workshop</h2>
      <label>
        Scenario pack
        <select name="scenario" value={scenario} onChange={(e) => setScenario(e.target.value)} required>
          {scenarios.map((p) => (
            <option key={p.name} value={p.name}>
              {p.title} ({p.name})
            </option>
          ))}
        </select>
      </label>
      <p className="muted small">{scenarios.find((p) => p.name === scenario)?.summary}</p>
      <label>
        Seed (keep it to yourself: it reproduces the answer key)
        <input name="seed" type="number" min={0} value={seed} onChange={(e) => setSeed(e.target.value)} required />
      </label>
      <label>
        Title (optional)
        <input name="title" value={title} onChange={(e) => setTitle(e.target.value)} maxLength={200} />
      </label>
      <button type="submit" className="primary" disabled={busy}>
        {busy ? "Generating the logs…" : "Start"}
      </button>
      {error ? <ErrorBox error={error} /> : null}
    </form>
  );
}

export function WorkshopPage({ id }: { id: string }) {
  const w = useCall(client.workshops[":id"].$get, { param: { id } });
  const progress = useCall(client.workshops[":id"].score.$get, { param: { id } });
  if (w.error) return <ErrorBox error={w.error} feature="workshops" />;
  if (!w.data) return <Loading />;
  const data = w.data;
  const reload = () => {
    w.reload();
    progress.reload();
  };
  return (
    <section>
      <PageTitle
        actions={
          <a className="button" href={apiHref(client.workshops[":id"].logs.$path({ param: { id } }))} download>
            Download the logs
          </a>
        }
      >
        {data.title} <Badge kind={data.status}>{data.status}</Badge>
      </PageTitle>
      <p className="muted">
        Scenario: {data.scenarioTitle}. Facilitator: {data.createdBy}. The logs are CloudTrail records as gzip JSON
        Lines: scan them on the <Link to={href("scan")}>Scan</Link> page or with <code>techtrail scan</code>, and read
        them. Each hint costs {data.settings.hintCost} point(s) on its question.
      </p>
      {progress.error ? <ErrorBox error={progress.error} /> : null}
      {progress.data ? <ScoreLine progress={progress.data} /> : null}
      {data.questions.map((q) => (
        <QuestionCard key={q.id} workshop={data} question={q} progress={progress.data} onChange={reload} />
      ))}
      {data.facilitator ? <FacilitatorPanel workshop={data} onChange={reload} /> : null}
      {!data.facilitator && data.status === "closed" ? <DebriefSection id={data.id} /> : null}
    </section>
  );
}

function ScoreLine({ progress }: { progress: WorkshopProgress }) {
  return (
    <p className="notice" data-testid="workshop-score">
      Your score: <strong>{progress.points}</strong> of {progress.max} point(s)
      {progress.open.length ? ` · ${progress.open.length} question(s) still open` : " · all questions answered"}
    </p>
  );
}

function QuestionCard(props: {
  workshop: WorkshopDetail;
  question: WorkshopQuestion;
  progress: WorkshopProgress | undefined;
  onChange: () => void;
}) {
  const { workshop, question: q, progress } = props;
  const answered = progress?.answers.find((a) => a.question === q.id);
  const hints = progress?.hints.filter((h) => h.question === q.id) ?? [];
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const open = workshop.status === "open" && !answered;

  async function run(fn: () => Promise<unknown>) {
    setBusy(true);
    setError(null);
    try {
      await fn();
      props.onChange();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  const hint = () =>
    run(() => ok(client.workshops[":id"].hints.$post({ param: { id: workshop.id }, json: { question: q.id } })));

  return (
    <div className="card" data-testid={`question-${q.id}`}>
      <h2>
        {q.title} <span className="muted small">({q.points} points)</span>
      </h2>
      <p>{q.prompt}</p>
      {hints.map((h) => (
        <p key={h.n} className="muted" data-testid="hint">
          Hint {h.n} (−{h.cost}): {h.text}
        </p>
      ))}
      {answered ? <AnswerResult answer={answered} /> : null}
      {open ? (
        <>
          <AnswerForm
            question={q}
            busy={busy}
            onSubmit={(json) =>
              run(() => ok(client.workshops[":id"].answers.$post({ param: { id: workshop.id }, json })))
            }
          />
          {hints.length < q.hints ? (
            <button type="button" className="link" disabled={busy} onClick={() => void hint()}>
              Take a hint (−{workshop.settings.hintCost} points)
            </button>
          ) : null}
        </>
      ) : null}
      {error ? <ErrorBox error={error} /> : null}
    </div>
  );
}

type AnswerBody = Parameters<(typeof client.workshops)[":id"]["answers"]["$post"]>[0]["json"];

const list = (v: string) =>
  v
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter(Boolean);

function AnswerForm(props: { question: WorkshopQuestion; busy: boolean; onSubmit: (a: AnswerBody) => void }) {
  const [a, setA] = useState("");
  const [b, setB] = useState("");
  const q = props.question;

  function submit(e: FormEvent) {
    e.preventDefault();
    switch (q.id) {
      case "initial-access":
        return props.onSubmit({ question: q.id, credential: a.trim(), sourceIp: b.trim() });
      case "techniques":
        return props.onSubmit({ question: q.id, techniques: list(a) });
      case "impact":
        return props.onSubmit({ question: q.id, resources: list(a).filter((r) => r.toLowerCase() !== "none") });
      case "containment":
        return props.onSubmit({ question: q.id, time: a.trim() });
    }
  }

  const field = (label: string, value: string, set: (v: string) => void, name: string, required = true): ReactNode => (
    <label>
      {label}
      <input name={name} value={value} onChange={(e) => set(e.target.value)} required={required} />
    </label>
  );

  return (
    <form className="form" onSubmit={submit} aria-label={`Answer: ${q.title}`}>
      {q.id === "initial-access" ? (
        <>
          {field("Access key ID (or principal)", a, setA, "credential")}
          {field("Source IP address", b, setB, "sourceIp")}
        </>
      ) : q.id === "techniques" ? (
        field("Technique IDs, earliest first (e.g. T1078.A001 T1580)", a, setA, "techniques")
      ) : q.id === "impact" ? (
        field("Deleted or encrypted resources (ARNs or names; none if nothing)", a, setA, "resources", false)
      ) : (
        field("Time (UTC, e.g. 2026-11-02T14:05Z)", a, setA, "time")
      )}
      <p className="muted small">{q.format}</p>
      <button type="submit" className="primary" disabled={props.busy}>
        Answer
      </button>
    </form>
  );
}

function AnswerResult({ answer }: { answer: WorkshopAnswer }) {
  return (
    <div data-testid="answer-result">
      <p>
        <strong>
          {answer.score.points} of {answer.score.max} point(s)
        </strong>
        {answer.score.penalty ? <span className="muted"> (−{answer.score.penalty} for hints)</span> : null}
      </p>
      <ul>
        {answer.score.explanation.map((line) => (
          <li key={line}>{line}</li>
        ))}
      </ul>
    </div>
  );
}

function FacilitatorPanel({ workshop, onChange }: { workshop: WorkshopDetail; onChange: () => void }) {
  const results = useCall(client.workshops[":id"].results.$get, { param: { id: workshop.id } });
  const [error, setError] = useState<unknown>(null);
  const [showDebrief, setShowDebrief] = useState(false);

  async function close() {
    setError(null);
    try {
      await ok(client.workshops[":id"].close.$post({ param: { id: workshop.id } }));
      onChange();
      results.reload();
    } catch (err) {
      setError(err);
    }
  }

  return (
    <>
      <h2>Results (facilitator)</h2>
      <div className="toolbar">
        <button type="button" onClick={() => results.reload()}>
          Refresh
        </button>
        {workshop.status === "open" ? (
          <button type="button" className="danger" onClick={() => void close()}>
            Close the workshop
          </button>
        ) : null}
        <button type="button" onClick={() => setShowDebrief((v) => !v)}>
          {showDebrief ? "Hide the debrief" : "Show the debrief"}
        </button>
      </div>
      {error ? <ErrorBox error={error} /> : null}
      {results.error ? <ErrorBox error={results.error} /> : null}
      {results.data ? (
        results.data.participants.length === 0 ? (
          <p className="muted">Nobody has answered yet.</p>
        ) : (
          <table className="table" data-testid="workshop-results">
            <thead>
              <tr>
                <th className="num">#</th>
                <th>Participant</th>
                <th className="num">Points</th>
                {workshop.questions.map((q) => (
                  <th key={q.id} className="num">
                    {q.title}
                  </th>
                ))}
                <th className="num">Hints</th>
              </tr>
            </thead>
            <tbody>
              {results.data.participants.map((p) => (
                <tr key={p.participant}>
                  <td className="num">{p.rank}</td>
                  <td>{p.participant}</td>
                  <td className="num">
                    {p.points}/{results.data?.max}
                  </td>
                  {workshop.questions.map((q) => (
                    <td key={q.id} className="num">
                      {p.answers.find((a) => a.question === q.id)?.score.points ?? "–"}
                    </td>
                  ))}
                  <td className="num">{p.hints.length}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )
      ) : (
        <Loading />
      )}
      {showDebrief ? <DebriefSection id={workshop.id} /> : null}
    </>
  );
}

function DebriefSection({ id }: { id: string }) {
  const d = useCall(client.workshops[":id"].debrief.$get, { param: { id } });
  if (d.error) return <ErrorBox error={d.error} />;
  if (!d.data) return <Loading what="Loading the debrief" />;
  return (
    <div data-testid="debrief">
      <h2>Debrief</h2>
      <p>
        {d.data.title} in account {d.data.account}, {d.data.region}.
      </p>
      <ul>
        {d.data.answers.map((a) => (
          <li key={a.question}>
            <strong>{a.question}</strong>: {a.expected.join("; ")}
          </li>
        ))}
      </ul>
      <table className="table">
        <thead>
          <tr>
            <th>Step</th>
            <th>Technique</th>
            <th>When</th>
            <th>Rules</th>
            <th>Playbooks</th>
          </tr>
        </thead>
        <tbody>
          {d.data.steps.map((s) => (
            <tr key={s.id}>
              <td>
                {s.title}
                {s.cloudtrailVisible ? null : <span className="muted"> (not in CloudTrail)</span>}
              </td>
              <td>
                <Link to={href("techniques", s.technique.id)}>{s.technique.id}</Link> {s.technique.name ?? ""}
              </td>
              <td className="nowrap">{fmtDate(s.start)}</td>
              <td>
                {s.rules.length
                  ? s.rules.map((r) => (
                      <div key={r.id}>
                        <Link to={href("rules", r.id)}>{r.title}</Link>
                      </div>
                    ))
                  : "none"}
              </td>
              <td>
                {s.playbooks.length
                  ? s.playbooks.map((p) => (
                      <div key={p.id}>
                        <Link to={href("playbooks", p.id)}>{p.title}</Link>
                      </div>
                    ))
                  : "none"}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
