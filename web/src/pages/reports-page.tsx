// Quarterly incident-response reports (GET /api/reports): a self-contained HTML page to read or print, Markdown or
// JSON to download, for a quarter and real, demo or all incidents.
import { useState } from "react";
import type { DemoParam } from "../api-types";
import { client, href } from "../client";
import { PageTitle } from "../components/common";
import { DemoSelect } from "../components/demo-select";
import { recentQuarters } from "../quarters";

export function ReportsPage() {
  const quarters = recentQuarters(new Date(), 12);
  const [quarter, setQuarter] = useState(quarters[1] ?? quarters[0] ?? "");
  const [demo, setDemo] = useState<DemoParam>("include");
  const url = (format: "html" | "md" | "json", download: boolean) =>
    href(client.reports.$path({ query: { quarter, demo, format, download: download ? "1" : undefined } }));

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
    </section>
  );
}
