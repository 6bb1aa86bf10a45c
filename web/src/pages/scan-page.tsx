// Scan upload: CloudTrail files (JSON, JSON Lines, S3-delivery {"Records": [...]}, gzip) posted as multipart to
// POST /api/scan; the findings table and technique summary come back, and "Create incident" posts the same
// files again with ?createIncident=1 so the server files an incident tagged with the techniques found (the
// findings kept as evidence).
import { type FormEvent, useMemo, useState } from "react";
import type { ScanResult } from "../api-types";
import { useAuth } from "../auth";
import { client, ok } from "../client";
import { Badge, ErrorBox, fmtDate, NeedsRole, PageTitle, plural } from "../components/common";
import { href, Link, navigate } from "../router";
import type { Args } from "../use-api";

const SHOWN = 500;

export function ScanPage() {
  const auth = useAuth();
  const [files, setFiles] = useState<File[]>([]);
  const [result, setResult] = useState<ScanResult | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState<"scan" | "create" | null>(null);
  const [title, setTitle] = useState("");
  const [techFilter, setTechFilter] = useState("");

  function form(): FormData {
    const f = new FormData();
    for (const file of files) f.append("files", file, file.name);
    return f;
  }

  // The files go as multipart form data, which the route reads itself (its body is not a declared JSON schema).
  const upload = (query: Args<typeof client.scan.$post>["query"]) =>
    ok(client.scan.$post({ query }, { init: { body: form() } }));

  async function scan(e: FormEvent) {
    e.preventDefault();
    if (!files.length) return;
    setBusy("scan");
    setError(null);
    setResult(null);
    try {
      setResult(await upload({}));
      if (!title) setTitle(`Findings from ${files.map((f) => f.name).join(", ")}`.slice(0, 200));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(null);
    }
  }

  async function createIncident() {
    setBusy("create");
    setError(null);
    try {
      const res = await upload({ createIncident: "1", title });
      if (res.incident?.key) navigate(href("incidents", res.incident.key));
      else setError(new Error("the server scanned the files but did not report a created incident"));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(null);
    }
  }

  const findings = useMemo(
    () => (result?.findings ?? []).filter((f) => !techFilter || f.techniques.includes(techFilter)),
    [result, techFilter],
  );

  if (!auth.can("responder"))
    return (
      <section>
        <PageTitle>Scan logs</PageTitle>
        <NeedsRole need="responder" what="Scanning logs" />
      </section>
    );

  const s = result?.summary;
  return (
    <section>
      <PageTitle>Scan logs</PageTitle>
      <form className="card upload" onSubmit={scan} aria-label="Scan CloudTrail files">
        <label>
          CloudTrail files (JSON, JSON Lines, S3 delivery files, .gz)
          <input
            type="file"
            name="files"
            multiple
            accept=".json,.jsonl,.gz,.log,.txt,application/json"
            data-testid="scan-files"
            onChange={(e) => {
              setFiles(Array.from(e.target.files ?? []));
              setResult(null);
            }}
          />
        </label>
        <button type="submit" className="primary" disabled={!files.length || busy !== null}>
          {busy === "scan" ? "Scanning…" : "Scan"}
        </button>
      </form>
      {error ? <ErrorBox error={error} feature="log scanning" /> : null}
      {!result && !busy && !error ? (
        <div className="muted empty" data-testid="scan-empty">
          <p>
            Choose one or more CloudTrail log files and press <strong>Scan</strong>: the built-in detection rules run
            over every event and the techniques they reveal are listed here, with each finding. Files from an S3 trail
            bucket (<code>.json.gz</code>), CloudTrail Lake or <code>aws cloudtrail lookup-events</code> exports and
            JSON Lines all work. Nothing is stored unless you then create an incident from the findings.
          </p>
        </div>
      ) : null}
      {s && result ? (
        <>
          <ScanSummary summary={s} />
          <h2>Techniques</h2>
          <ScanTechniques summary={s} filter={techFilter} onFilter={setTechFilter} />
          {s.findings.total > 0 ? (
            <div className="card create-incident no-print">
              <label>
                Incident title
                <input value={title} onChange={(e) => setTitle(e.target.value)} maxLength={200} name="incident-title" />
              </label>
              <button
                type="button"
                className="primary"
                disabled={busy !== null || !title.trim()}
                onClick={() => void createIncident()}
                data-testid="create-incident"
              >
                {busy === "create" ? "Creating…" : "Create incident from these findings"}
              </button>
            </div>
          ) : null}
          <h2>Findings{techFilter ? ` for ${techFilter}` : ""}</h2>
          {result.truncated ? (
            <p className="muted">
              The server listed the first {result.findings.length} of {s.findings.total} findings.
            </p>
          ) : null}
          <FindingsTable findings={findings.slice(0, SHOWN)} />
          {findings.length > SHOWN ? (
            <p className="muted">
              Showing the first {SHOWN} of {findings.length}.
            </p>
          ) : null}
        </>
      ) : null}
    </section>
  );
}

type Summary = ScanResult["summary"];
type Finding = ScanResult["findings"][number];

/** The scan's totals (events read, files, matches, findings, techniques, time) and the input it skipped. */
function ScanSummary({ summary: s }: { summary: Summary }) {
  return (
    <>
      <p data-testid="scan-summary">
        {plural(s.events.read, "event")} read from {plural(s.files.scanned, "file")}, {s.events.matched} matched,{" "}
        <strong data-testid="scan-finding-count">{s.findings.total}</strong>{" "}
        {s.findings.total === 1 ? "finding" : "findings"} ({plural(s.findings.attempts, "failed attempt")}),{" "}
        {plural(s.techniques.length, "technique")}, {Math.round(s.durationMs)} ms
        {s.skipped.total ? ` · ${s.skipped.total} skipped` : ""}
      </p>
      {s.skipped.examples.length ? (
        <details>
          <summary>Skipped input</summary>
          <ul>
            {s.skipped.examples.map((x) => (
              <li key={`${x.file}:${x.message}`}>
                {x.file}: {x.reason} — {x.message}
              </li>
            ))}
          </ul>
        </details>
      ) : null}
    </>
  );
}

/** The techniques found, each able to narrow the findings list to itself. */
function ScanTechniques(props: { summary: Summary; filter: string; onFilter: (id: string) => void }) {
  const { summary: s, filter, onFilter } = props;
  return (
    <table className="table" data-testid="scan-techniques">
      <thead>
        <tr>
          <th>Technique</th>
          <th className="num">Findings</th>
          <th className="num">Attempts</th>
          <th>First seen</th>
          <th>Principals</th>
          <th>
            <span className="sr-only">Filter</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {s.techniques.map((t) => (
          <tr key={t.id} data-technique={t.id}>
            <td>
              <Link to={href("techniques", t.id)} className="tid">
                {t.id}
              </Link>{" "}
              {t.name ?? ""}
            </td>
            <td className="num">{t.findings}</td>
            <td className="num">{t.attempts}</td>
            <td>{fmtDate(t.firstSeen)}</td>
            <td className="small">{t.principals.slice(0, 3).join(", ")}</td>
            <td>
              <button type="button" className="link" onClick={() => onFilter(filter === t.id ? "" : t.id)}>
                {filter === t.id ? "all findings" : "only these"}
              </button>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function FindingsTable({ findings }: { findings: Finding[] }) {
  return (
    <table className="table compact" data-testid="scan-findings">
      <thead>
        <tr>
          <th>Time</th>
          <th>Event</th>
          <th>Rule</th>
          <th>Level</th>
          <th>Techniques</th>
          <th>Principal</th>
          <th>Source IP</th>
          <th>File</th>
        </tr>
      </thead>
      <tbody>
        {findings.map((f) => (
          <tr
            key={`${f.rule.id}:${f.eventID ?? ""}:${f.origin.file}:${f.origin.line ?? f.origin.index ?? ""}`}
            className={f.attempt ? "attempt" : ""}
          >
            <td>{fmtDate(f.eventTime)}</td>
            <td>
              <code>{f.eventName ?? "?"}</code>
              {f.errorCode ? <small className="muted"> {f.errorCode}</small> : null}
            </td>
            <td>{f.rule.title}</td>
            <td>
              <Badge kind="level">{f.rule.level}</Badge>
            </td>
            <td className="ids">
              {f.techniques.map((t) => (
                <span key={t} className="tid">
                  {t}
                </span>
              ))}
            </td>
            <td className="small">{f.principalArn ?? "—"}</td>
            <td>{f.sourceIPAddress ?? "—"}</td>
            <td className="small">
              {f.origin.file}
              {f.origin.line ? `:${f.origin.line}` : f.origin.index !== undefined ? `[${f.origin.index}]` : ""}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
