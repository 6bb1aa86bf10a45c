// Quarterly incident-response reports (GET /api/reports): a self-contained HTML page to read or print, Markdown or
// JSON to download, for a quarter and real, demo or all incidents.
import { useState } from "react";
import { withQuery } from "../api";
import { PageTitle } from "../components/common";
import { recentQuarters } from "../quarters";

export function ReportsPage() {
  const quarters = recentQuarters(new Date(), 12);
  const [quarter, setQuarter] = useState(quarters[1] ?? quarters[0] ?? "");
  const [demo, setDemo] = useState<"include" | "exclude" | "only">("include");
  const url = (format: "html" | "md" | "json", download: boolean) =>
    withQuery("/api/reports", { quarter, demo, format, download: download ? 1 : undefined });

  return (
    <section>
      <PageTitle>Quarterly reports</PageTitle>
      <p className="muted">
        Frequency, trend, co-occurrence, tactic paths, actors, response times, mitigations, playbook gaps and coverage
        for one quarter. The HTML report is one self-contained, printable file.
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
        <label>
          Incidents
          <select value={demo} onChange={(e) => setDemo(e.target.value as typeof demo)} name="demo">
            <option value="include">real and demo</option>
            <option value="exclude">real only</option>
            <option value="only">demo only</option>
          </select>
        </label>
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
