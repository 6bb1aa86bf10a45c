// Quarterly incident-response reports (GET /api/reports): a self-contained HTML page to read or print, Markdown or
// JSON to download, for a quarter and real, demo or all incidents. The team's deployed controls (GET /api/controls:
// the service's --controls file, else the controls.yaml kept in the register, which admins edit here) shape the
// report's controls section; they can be left out.
import { type FormEvent, useEffect, useState } from "react";
import type { DemoParam } from "../api-types";
import { useAuth } from "../auth";
import { client, href, type Ok, ok } from "../client";
import { ErrorBox, fmtDate, Loading, PageTitle, plural } from "../components/common";
import { DemoSelect } from "../components/demo-select";
import { recentQuarters } from "../quarters";
import { useCall } from "../use-api";

type ControlsSetting = Ok<typeof client.controls.$get>;

const EXAMPLE = `team: cloud-platform
controls:
  - control: AM0007 # Organization trail with integrity
    since: 2024-03-01
  - control: AM0001 # SCP guardrails, only some techniques so far
    since: 2025-09-15
    techniques: [T1562.008, T1666.A002]
`;

export function ReportsPage() {
  const quarters = recentQuarters(new Date(), 12);
  const [quarter, setQuarter] = useState(quarters[1] ?? quarters[0] ?? "");
  const [demo, setDemo] = useState<DemoParam>("include");
  const [useDeployed, setUseDeployed] = useState(true);
  const setting = useCall(client.controls.$get, {});
  const has = Boolean(setting.data?.inventory);
  const url = (format: "html" | "md" | "json", download: boolean) =>
    href(
      client.reports.$path({
        query: {
          quarter,
          demo,
          format,
          download: download ? "1" : undefined,
          controls: has && !useDeployed ? "0" : undefined,
        },
      }),
    );

  return (
    <section>
      <PageTitle>Quarterly reports</PageTitle>
      <p className="muted">
        A one-page management summary (what changed and whether it is more than noise, the three techniques that matter
        most, the controls that would have prevented most, playbook and detection gaps), then frequency, trend,
        co-occurrence, tactic paths, actors, response times, mitigations, controls, playbook gaps and coverage for one
        quarter. The HTML report is one self-contained, printable file (the summary prints as page 1).
      </p>
      <form className="filters" aria-label="Report" onSubmit={(e) => e.preventDefault()}>
        <label>
          Quarter
          <select value={quarter} onChange={(e) => setQuarter(e.target.value)} name="quarter">
            {quarters.map((q) => (
              <option key={q}>{q}</option>
            ))}
          </select>
        </label>
        <DemoSelect value={demo} onChange={setDemo} />
        {has ? (
          <label className="inline">
            <input
              type="checkbox"
              name="controls"
              checked={useDeployed}
              onChange={(e) => setUseDeployed(e.target.checked)}
            />
            Weigh the team's deployed controls
          </label>
        ) : null}
      </form>
      <ul className="report-links" data-testid="report-links">
        <li>
          <a href={url("html", false)} target="_blank" rel="noopener">
            Open the HTML report
          </a>{" "}
          (<a href={url("html", true)}>download</a>)
        </li>
        <li>
          <a href={url("md", true)}>Markdown</a>
        </li>
        <li>
          <a href={url("json", true)}>JSON</a>
        </li>
      </ul>
      <DeployedControls setting={setting.data} error={setting.error} onChange={setting.reload} />
    </section>
  );
}

/** What the team has in place, and for admins the controls.yaml kept in the register. */
function DeployedControls({
  setting,
  error,
  onChange,
}: {
  setting: ControlsSetting | undefined;
  error: unknown;
  onChange: () => void;
}) {
  const auth = useAuth();
  const [text, setText] = useState("");
  const [saveError, setSaveError] = useState<unknown>(undefined);
  const [busy, setBusy] = useState(false);
  const [saved, setSaved] = useState(false);
  useEffect(() => {
    if (setting) setText(setting.text ?? "");
  }, [setting]);

  if (error) return <ErrorBox error={error} feature="a deployed-controls inventory" />;
  if (!setting) return <Loading what="Loading deployed controls" />;
  const inv = setting.inventory;

  async function run(fn: () => Promise<unknown>) {
    setBusy(true);
    setSaveError(undefined);
    setSaved(false);
    try {
      await fn();
      setSaved(true);
      onChange();
    } catch (e) {
      setSaveError(e);
    } finally {
      setBusy(false);
    }
  }
  function save(e: FormEvent) {
    e.preventDefault();
    void run(() => ok(client.controls.$put({ json: { text } })));
  }

  return (
    <section aria-label="Deployed controls" data-testid="deployed-controls">
      <h2>Deployed controls</h2>
      {inv ? (
        <>
          <p className="muted">
            {inv.team}: {plural(inv.controls.length, "control")} in place,{" "}
            {setting.source === "file"
              ? `from the service's file ${setting.name} (change it there)`
              : `kept in the register${setting.updatedBy ? `, saved by ${setting.updatedBy} on ${fmtDate(setting.updatedAt)}` : ""}`}
            . The report weighs them as deployed: the incidents that happened anyway are findings, and they are not
            recommended again.
          </p>
          <ul data-testid="deployed-list">
            {inv.controls.map((c) => (
              <li key={c.control}>
                <code>{c.control}</code> since {c.since}
                {c.techniques ? ` (only ${c.techniques.join(", ")})` : ""}
                {c.note ? ` — ${c.note}` : ""}
              </li>
            ))}
          </ul>
        </>
      ) : (
        <p className="muted">
          None recorded: the report weighs every control as not yet deployed. Record what the team has in place as a
          controls.yaml (see docs/controls.md).
        </p>
      )}
      {auth.can("admin") && setting.editable ? (
        <form onSubmit={save} aria-label="Controls file">
          <label>
            controls.yaml
            <textarea
              name="controls-text"
              value={text}
              placeholder={EXAMPLE}
              onChange={(e) => setText(e.target.value)}
              rows={10}
              spellCheck={false}
            />
          </label>
          {saveError ? <ErrorBox error={saveError} /> : null}
          {saved && !saveError ? (
            <p className="notice" role="status">
              Saved.
            </p>
          ) : null}
          <p>
            <button type="submit" disabled={busy || text.trim() === ""}>
              Save controls
            </button>{" "}
            {setting.source === "register" ? (
              <button
                type="button"
                className="link danger"
                disabled={busy}
                onClick={() => void run(() => ok(client.controls.$delete()))}
              >
                Remove
              </button>
            ) : null}
          </p>
        </form>
      ) : null}
    </section>
  );
}
