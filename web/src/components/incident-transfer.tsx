// Export the listed incidents (JSON or CSV download through GET /api/incidents/export with the same filters)
// and, for responders, import a JSON or CSV file: a dry run first (POST /api/incidents/import?dryRun=1 validates
// every record), then the import itself, all records or none. "Update existing" sends upsert=1: records whose
// keys exist update those incidents (only the fields the file gives, each change audited).
import { useState } from "react";
import type { IncidentQuery } from "../api-types";
import { RequireRole } from "../auth";
import { client, href, type Ok, ok } from "../client";
import { ErrorBox } from "./common";

type ImportResult = Ok<(typeof client)["incidents"]["import"]["$post"]>;

export function IncidentTransfer(props: { query: Omit<IncidentQuery, "limit" | "offset">; onImported: () => void }) {
  const { onImported } = props;
  const [file, setFile] = useState<File | null>(null);
  const [checked, setChecked] = useState<ImportResult | null>(null);
  const [done, setDone] = useState<ImportResult | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [upsert, setUpsert] = useState(false);
  const exportHref = (format: "json" | "csv") =>
    href(client.incidents.export.$path({ query: { ...props.query, format } }));

  async function send(dryRun: boolean) {
    if (!file) return;
    setBusy(true);
    setError(null);
    try {
      const csv = /\.csv$/i.test(file.name) || file.type.includes("csv");
      // The body is the file's own text (JSON or CSV), which the route reads itself rather than as declared JSON.
      const res = await ok(
        client.incidents.import.$post(
          { query: { dryRun: dryRun ? "1" : undefined, upsert: upsert ? "1" : undefined } },
          { headers: { "Content-Type": csv ? "text/csv" : "application/json" }, init: { body: await file.text() } },
        ),
      );
      if (dryRun) setChecked(res);
      else {
        setDone(res);
        setChecked(null);
        setFile(null);
        onImported();
      }
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }

  return (
    <details className="transfer no-print">
      <summary>Export / import</summary>
      <div className="transfer-body">
        <p>
          Export the incidents matching the filters:{" "}
          <a href={exportHref("json")} download>
            JSON
          </a>{" "}
          ·{" "}
          <a href={exportHref("csv")} download>
            CSV
          </a>
        </p>
        <RequireRole need="responder">
          <div className="upload">
            <label>
              Import a JSON or CSV file (checked first; all records or none)
              <input
                type="file"
                accept=".json,.csv,application/json,text/csv"
                data-testid="import-file"
                onChange={(e) => {
                  setFile(e.target.files?.[0] ?? null);
                  setChecked(null);
                  setDone(null);
                }}
              />
            </label>
            <label className="inline">
              <input
                type="checkbox"
                checked={upsert}
                data-testid="import-upsert"
                onChange={(e) => {
                  setUpsert(e.target.checked);
                  setChecked(null);
                }}
              />{" "}
              Update incidents whose keys exist
            </label>
            <button type="button" disabled={!file || busy} onClick={() => void send(true)}>
              Check
            </button>
            <button type="button" className="primary" disabled={!checked || busy} onClick={() => void send(false)}>
              Import{" "}
              {checked
                ? `${checked.created + checked.updated} incident${checked.created + checked.updated === 1 ? "" : "s"}`
                : ""}
            </button>
          </div>
          {checked ? (
            <p className="notice" role="status">
              {checked.created} incident{checked.created === 1 ? "" : "s"} would be created
              {upsert ? `, ${checked.updated} updated, ${checked.unchanged} unchanged` : ""}; nothing stored yet.
            </p>
          ) : null}
          {done ? (
            <p className="notice" role="status" data-testid="import-done">
              Imported {done.created} incident{done.created === 1 ? "" : "s"}: {done.keys.slice(0, 10).join(", ")}
              {done.keys.length > 10 ? " …" : ""}
              {done.updated ? ` Updated ${done.updated}: ${done.updatedKeys.slice(0, 10).join(", ")}` : ""}
            </p>
          ) : null}
          {error ? <ErrorBox error={error} /> : null}
        </RequireRole>
      </div>
    </details>
  );
}
