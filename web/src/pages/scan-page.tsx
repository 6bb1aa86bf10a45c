// Scan upload: CloudTrail files (JSON, JSON Lines, S3-delivery {"Records": [...]}, gzip) posted as multipart to
// POST /api/scan; the findings table and technique summary come back, and "Create incident" posts the same
// files again with ?createIncident=1 so the server files an incident tagged with the techniques found (the
// findings kept as evidence).
import { type FormEvent, useMemo, useState } from "react";
import { api, withQuery } from "../api";
import { useAuth } from "../auth";
import { Badge, ErrorBox, fmtDate, NeedsRole, PageTitle } from "../components/common";
import { href, Link, navigate } from "../router";

interface Finding {
  rule: { id: string; title: string; level: string };
  techniques: string[];
  eventID?: string;
  eventTime?: string;
  eventName?: string;
  eventSource?: string;
  awsRegion?: string;
  sourceIPAddress?: string;
  errorCode?: string;
  attempt: boolean;
  principalArn?: string;
  origin: { file: string; line?: number; index?: number };
}
interface TechniqueSeen {
  id: string;
  name?: string;
  findings: number;
  attempts: number;
  firstSeen?: string;
  lastSeen?: string;
  principals: string[];
  rules: string[];
}
interface ScanResponse {
  summary: {
    files: { scanned: number; skipped: number; bytes: number };
    events: { read: number; evaluated: number; matched: number };
    skipped: { total: number; examples: Array<{ reason: string; file: string; message: string }> };
    findings: { total: number; attempts: number };
    techniques: TechniqueSeen[];
    durationMs: number;
  };
  findings: Finding[];
  /** True when the response lists only the first findings (summary.findings.total counts all). */
  truncated?: boolean;
  incident?: { key: string; title?: string } | null;
}

const SHOWN = 500;

export function ScanPage() {
  const auth = useAuth();
  const [files, setFiles] = useState<File[]>([]);
  const [result, setResult] = useState<ScanResponse | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState<"scan" | "create" | null>(null);
  const [title, setTitle] = useState("");
  const [techFilter, setTechFilter] = useState("");

  function form(): FormData {
    const f = new FormData();
    for (const file of files) f.append("files", file, file.name);
    return f;
  }

  async function scan(e: FormEvent) {
    e.preventDefault();
    if (!files.length) return;
    setBusy("scan");
    setError(null);
    setResult(null);
    try {
      setResult(await api.upload<ScanResponse>("/api/scan", form()));
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
      const res = await api.upload<ScanResponse>(withQuery("/api/scan", { createIncident: 1, title }), form());
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
      {s && result ? (
        <>
          <p data-testid="scan-summary">
            {s.files.scanned} file(s), {s.events.read} events read, {s.events.matched} matched,{" "}
            <strong data-testid="scan-finding-count">{s.findings.total}</strong> findings ({s.findings.attempts} failed
            attempts), {s.techniques.length} techniques, {Math.round(s.durationMs)} ms
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
          <h2>Techniques</h2>
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
                    <button
                      type="button"
                      className="link"
                      onClick={() => setTechFilter(techFilter === t.id ? "" : t.id)}
                    >
                      {techFilter === t.id ? "all findings" : "only these"}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
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
              {findings.slice(0, SHOWN).map((f) => (
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
