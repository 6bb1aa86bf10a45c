// Renders a ReportData as Markdown, self-contained HTML (inline SVG charts from charts.ts, print CSS,
// no scripts, no external requests) or JSON. Both text formats come from the same section list, so
// they always carry the same tables and notes.
import { formatPValue } from "../analytics/significance.js";
import { formatDuration } from "../analytics/timing.js";
import type { Catalog } from "../catalog/catalog.js";
import { cooccurrenceChart, frequencyChart, matrixChart, sourceChart, trendChart } from "./charts.js";
import { MIN_TEST_EVENTS } from "./management.js";
import type { ReportData } from "./report.js";

export type ReportFormat = "md" | "html" | "json";

interface Table {
  caption?: string;
  headers: string[];
  rows: Array<Array<string | number>>;
  /** Right-align these column indexes. */
  numeric?: number[];
}

/** A titled block inside a section (the management summary's parts). */
interface Part {
  title: string;
  text: string[];
  bullets?: string[];
  tables?: Table[];
  /** Fine print: method notes. */
  notes?: string[];
}

interface Section {
  id: string;
  title: string;
  text: string[];
  tables: Table[];
  parts?: Part[];
  chart?: () => string | null;
  chartAlt?: string;
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const signed = (n: number) => (n > 0 ? `+${n}` : String(n));

const d = formatDuration;

const DETECTION_TEXT = {
  detected: "detected",
  visible: "logged, not detected",
  "not-visible": "not logged",
  unknown: "not assessed",
} as const;

/** The one-page summary for management; on an empty period it says so and compares with the period before. */
function managementSection(r: ReportData): Section {
  const m = r.management;
  const title = `Management summary: ${r.period.label}`;
  if (r.empty)
    return {
      id: "management",
      title,
      text: [
        r.note ?? `No incidents in ${r.period.label}.`,
        `${m.previousPeriod.label} had ${m.previousPeriod.incidents} incident(s). With no incidents in the period there are no techniques to rank, no controls to weigh and no charts.`,
      ],
      tables: [],
    };
  const parts: Part[] = [];
  parts.push({ title: `What changed since ${m.previousPeriod.label}`, text: [], bullets: m.changed });
  parts.push({
    title: "The three techniques that matter most",
    text: m.topTechniques.length
      ? []
      : ["No incident in the period has technique tags, so no technique can be ranked."],
    tables: [
      {
        headers: ["#", "Technique", "Incidents", "P1/P2", "Trend", "Detection", "Score"],
        numeric: [0, 2, 3, 6],
        rows: m.topTechniques.map((t) => [
          t.rank,
          `${t.id} ${t.name ?? ""}`.trim(),
          t.incidents,
          t.highSeverity,
          t.trend?.significant ? (t.trend.direction === "up" ? "rising" : "falling") : `${t.previous} → ${t.incidents}`,
          DETECTION_TEXT[t.detection],
          t.score,
        ]),
      },
    ],
    bullets: m.topTechniques.map((t) => `${t.id}: ${t.reasons.join(" ")}`),
    notes: [`Ranking: ${m.ranking}`],
  });
  const ctl = m.controls;
  parts.push({
    title: "Controls that would have prevented the most incidents",
    // Without the analysis the note is the whole message; with it, the note is the method's fine print.
    text: ctl.available ? [] : [ctl.note],
    notes: ctl.available ? [ctl.note] : [],
    tables: [
      {
        headers: [
          "Control",
          "Prevented",
          "Shortened (median saved)",
          "Limited",
          "Unknown",
          "Not touched",
          "Prevented incidents",
        ],
        numeric: [1, 2, 3, 4, 5],
        rows: ctl.controls
          .slice(0, 3)
          .map((c) => [
            `${c.id} ${c.name}`,
            c.prevented,
            `${c.shortened}${c.savedMedian !== null && c.shortened ? ` (${d(c.savedMedian)})` : ""}`,
            c.limited,
            c.undetermined,
            c.untouched,
            c.prevented
              ? `${c.examples.slice(0, 3).join(", ")}${c.prevented > 3 ? ` +${c.prevented - 3} more` : ""}`
              : "–",
          ]),
      },
    ],
    bullets: ctl.deployed
      .slice(0, 2)
      .map(
        (c) =>
          `Deployed since ${c.since}, yet ${c.happenedAnyway} incident(s) it should have stopped or caught: ${c.id} ${c.name} (${c.examples.join(", ")}).`,
      ),
  });
  const g = m.gaps;
  const gapText = (x: (typeof g.playbooks)[number]) =>
    `${x.id}${x.name ? ` ${x.name}` : ""} (${x.incidents}): ${x.detail}`;
  parts.push({
    title: "Playbook and detection gaps",
    text: [],
    bullets: [
      `Playbooks: ${g.playbooks.length ? g.playbooks.map(gapText).join("; ") : r.gaps ? "every technique seen has a current playbook" : "not assessed"}.`,
      `Detection: ${g.detection.length ? g.detection.map(gapText).join("; ") : r.coverage ? "every technique seen is detected" : "not assessed (--no-coverage)"}.`,
      `Response: ${g.response.length ? g.response.map(gapText).join("; ") : "no technique is slow to detect or contain beyond the limits"}.`,
    ],
  });
  parts.push({
    title: "Is the change more than noise?",
    text: [],
    tables: [
      {
        headers: ["Measure", m.previousPeriod.label, r.period.label, "Rate ratio", "p", "p (Holm)", "Verdict"],
        numeric: [1, 2, 3, 4, 5],
        rows: m.significance.tests.map((t) => [
          t.label,
          t.previous,
          t.current,
          t.rateRatio === null ? "–" : t.rateRatio.toFixed(2),
          formatPValue(t.pValue),
          t.technique ? formatPValue(t.adjustedP) : "–",
          t.significant
            ? `real ${t.direction === "up" ? "increase" : "decrease"}`
            : t.current + t.previous < MIN_TEST_EVENTS
              ? "too few to tell"
              : t.direction === "same"
                ? "no change"
                : "within noise",
        ]),
      },
    ],
    notes: [m.significance.method],
  });
  return { id: "management", title, text: [], tables: [], parts };
}

/** Counts, severity mix, demo share and filter; says so when the period is empty. */
function summarySection(r: ReportData): Section {
  const s = r.summary;
  const change =
    s.previousPeriodIncidents > 0
      ? ` (${signed(s.incidents - s.previousPeriodIncidents)} against the previous period's ${s.previousPeriodIncidents})`
      : "";
  const summaryText = [
    `${s.incidents} incident(s) in ${r.period.label}${change}; ${s.tagged} with technique tags.`,
    `Severity: ${Object.entries(s.bySeverity)
      .map(([k, v]) => `${k} ${v}`)
      .join(", ")}.`,
  ];
  if (s.demo > 0) summaryText.push(`${s.demo} of them are demo incidents (techtrail demo seed).`);
  if (Object.keys(r.filter).length) summaryText.push(`Filter: ${JSON.stringify(r.filter)}.`);
  if (r.empty) summaryText.push(r.note ?? "No incidents in this period.");
  return { id: "summary", title: "Incidents in the period", text: summaryText, tables: [] };
}

/** Techniques and tactics by share of incidents. */
function frequencySection(r: ReportData): Section {
  const top = r.frequency.techniques[0];
  return {
    id: "frequency",
    title: "Most frequent techniques",
    text: top ? [`${top.id} ${top.name ?? ""} appeared in ${pct(top.share)} of incidents.`] : [],
    chart: () => frequencyChart(r),
    chartAlt: "Bar chart of incidents per technique",
    tables: [
      {
        headers: ["Technique", "Name", "Incidents", "Share"],
        numeric: [2, 3],
        rows: r.frequency.techniques
          .slice(0, 20)
          .map((t) => [t.id, t.name ?? "(not in catalog)", t.incidents, pct(t.share)]),
      },
      {
        caption: "Tactics (incidents with at least one technique of the tactic)",
        headers: ["Tactic", "Name", "Incidents", "Share"],
        numeric: [2, 3],
        rows: r.frequency.tactics.map((t) => [t.id, t.name, t.incidents, pct(t.share)]),
      },
    ],
  };
}

/** The tactic × technique heatmap. */
function matrixSection(r: ReportData, catalog: Catalog): Section {
  return {
    id: "matrix",
    title: "Tactic × technique matrix",
    text: ["Incidents per technique, placed under each tactic the technique belongs to (top 20 techniques)."],
    chart: () => matrixChart(r, catalog),
    chartAlt: "Heatmap of techniques by tactic",
    tables: [],
  };
}

/** Incidents per technique per quarter, with new techniques. */
function trendSection(r: ReportData, catalog: Catalog): Section {
  const t = r.trend;
  return {
    id: "trend",
    title: `Trend to ${t.current ?? r.period.label}`,
    text: [
      `Incidents per quarter: ${t.quarters.map((q) => `${q.quarter} ${q.incidents}`).join(", ")}.`,
      t.newTechniques.length
        ? `New in ${t.current}: ${t.newTechniques.map((id) => `${id} ${catalog.technique(id)?.name ?? ""}`.trim()).join("; ")}.`
        : `No technique is new in ${t.current}.`,
    ],
    chart: () => trendChart(r),
    chartAlt: "Line chart of incidents per technique per quarter",
    tables: [
      {
        headers: ["Technique", "Name", ...t.quarters.map((q) => q.quarter), "Change", ""],
        numeric: t.quarters.map((_, i) => i + 2).concat([t.quarters.length + 2]),
        rows: t.techniques
          .slice(0, 15)
          .map((x) => [
            x.id,
            x.name ?? "",
            ...x.counts,
            `${signed(x.change)}${x.changePct === null ? "" : ` (${signed(Math.round(x.changePct * 100))}%)`}`,
            x.isNew ? "new" : "",
          ]),
      },
    ],
  };
}

/** Technique pairs seen together. */
function cooccurrenceSection(r: ReportData): Section {
  const c = r.cooccurrence;
  return {
    id: "cooccurrence",
    title: "Techniques that occur together",
    text: [
      `${c.multiTechnique} incident(s) with two or more techniques; ${c.distinctPairs} distinct pair(s). Lift above 1 means the pair occurs together more often than chance.`,
    ],
    chart: () => cooccurrenceChart(r),
    chartAlt: "Heatmap of technique pair counts",
    tables: [
      {
        headers: ["Technique A", "Technique B", "Incidents", "Support", "Conf. A→B", "Conf. B→A", "Lift"],
        numeric: [2, 3, 4, 5, 6],
        rows: c.pairs
          .slice(0, 15)
          .map((p) => [p.a, p.b, p.count, pct(p.support), pct(p.confidenceAB), pct(p.confidenceBA), p.lift.toFixed(2)]),
      },
    ],
  };
}

/** Tactic progressions inside incidents. */
function pathsSection(r: ReportData): Section {
  return {
    id: "paths",
    title: "Tactic progressions",
    text: ["Tactics in the order their techniques were first seen inside each incident."],
    tables: [
      {
        headers: ["Incidents", "Share", "Path"],
        numeric: [0, 1],
        rows: r.paths.paths.map((p) => [p.incidents, pct(p.share), p.names.join(" → ")]),
      },
    ],
  };
}

/** Threat-actor signatures and similar actor pairs. */
function actorsSection(r: ReportData): Section {
  const a = r.actors;
  return {
    id: "actors",
    title: "Threat actors",
    text: a.actors.length
      ? [`Signature: techniques in at least ${pct(a.minShare)} of an actor's incidents.`]
      : ["No incident in the period is attributed to a threat actor."],
    tables: a.actors.length
      ? [
          {
            headers: ["Actor", "Incidents", "Signature techniques"],
            numeric: [1],
            rows: a.actors.map((x) => [x.name, x.incidents, x.signature.join(", ")]),
          },
          {
            caption: "Most similar actor pairs (Jaccard similarity of signatures)",
            headers: ["Actor A", "Actor B", "Jaccard", "Shared"],
            numeric: [2],
            rows: a.similarity.slice(0, 8).map((x) => [x.a, x.b, x.jaccard.toFixed(2), x.shared.join(", ")]),
          },
        ]
      : [],
  };
}

/** Time to detect and contain, per detection source and per technique. */
function timingSection(r: ReportData): Section {
  const tm = r.timing;
  return {
    id: "timing",
    title: "Detection and response times",
    text: [
      `Time to detect: median ${d(tm.overall.timeToDetect.median)}, p90 ${d(tm.overall.timeToDetect.p90)} (${tm.overall.timeToDetect.samples} incidents). Time to contain: median ${d(tm.overall.timeToContain.median)}, p90 ${d(tm.overall.timeToContain.p90)} (${tm.overall.timeToContain.samples} incidents).`,
    ],
    chart: () => sourceChart(r),
    chartAlt: "Detection-source mix",
    tables: [
      {
        caption: "Detection sources",
        headers: ["Source", "Incidents", "Share", "Detect median", "Detect p90", "Contain median", "Contain p90"],
        numeric: [1, 2, 3, 4, 5, 6],
        rows: tm.bySource.map((x) => [
          x.name ?? x.key,
          x.incidents,
          pct(x.share),
          d(x.timeToDetect.median),
          d(x.timeToDetect.p90),
          d(x.timeToContain.median),
          d(x.timeToContain.p90),
        ]),
      },
      {
        caption: "Per technique",
        headers: ["Technique", "Incidents", "Detect median", "Detect p90", "Contain median", "Contain p90"],
        numeric: [1, 2, 3, 4, 5],
        rows: tm.byTechnique
          .slice(0, 15)
          .map((x) => [
            x.key,
            x.incidents,
            d(x.timeToDetect.median),
            d(x.timeToDetect.p90),
            d(x.timeToContain.median),
            d(x.timeToContain.p90),
          ]),
      },
    ],
  };
}

/** Mitigations by the severity-weighted incidents they address. */
function mitigationsSection(r: ReportData): Section {
  const m = r.mitigations;
  return {
    id: "mitigations",
    title: "Mitigation impact",
    text: [
      `Catalog mitigations ranked by the severity-weighted number of incidents (P1=${m.weights.P1}, P2=${m.weights.P2}, P3=${m.weights.P3}, P4=${m.weights.P4}) that involved a technique the mitigation addresses.`,
    ],
    tables: [
      {
        headers: ["Mitigation", "Name", "Score", "Incidents", "Main techniques", "Example incidents"],
        numeric: [2, 3],
        rows: m.mitigations.slice(0, 12).map((x) => [
          x.id,
          x.name,
          x.score,
          x.incidents,
          x.techniques
            .slice(0, 3)
            .map((y) => y.id)
            .join(", "),
          x.examples.map((e) => e.key).join(", "),
        ]),
      },
    ],
  };
}

/** Every control that would have acted on the period's incidents, and deployed controls' misses. */
function controlsSection(r: ReportData): Section | null {
  const c = r.management.controls;
  if (!c.available) return null;
  return {
    id: "controls",
    title: "Controls: what each would have done",
    text: [
      "For each control not yet deployed, the incidents of the period it would have prevented outright, shortened (earlier detection), limited (a later step blocked), could not be judged for a missing fact, or not touched. `techtrail stats controls --control ID` lists every incident with the rule that decided.",
    ],
    tables: [
      {
        headers: ["Control", "Name", "Prevented", "Shortened", "Median saved", "Limited", "Unknown", "Not touched"],
        numeric: [2, 3, 4, 5, 6, 7],
        rows: c.controls
          .slice(0, 15)
          .map((x) => [
            x.id,
            x.name,
            x.prevented,
            x.shortened,
            d(x.savedMedian),
            x.limited,
            x.undetermined,
            x.untouched,
          ]),
      },
      {
        caption: "Deployed controls with incidents that happened anyway",
        headers: ["Control", "Name", "Since", "Incidents", "Examples"],
        numeric: [3],
        rows: c.deployed.map((x) => [x.id, x.name, x.since, x.happenedAnyway, x.examples.join(", ")]),
      },
    ],
  };
}

/** Which playbooks to write or review next, and response-capability gaps. */
function playbooksSection(g: NonNullable<ReportData["gaps"]>): Section {
  return {
    id: "playbooks",
    title: "Playbook priorities",
    text: [
      `Priority = severity-weighted incidents × trend factor. Write or review next: ${g.next.slice(0, 5).join(", ") || "nothing"}.`,
      g.responseGaps.length
        ? `Response-capability gaps: ${g.responseGaps
            .slice(0, 5)
            .map((x) => `${x.id} slow to ${x.kind} (median ${d(x.median)})`)
            .join("; ")}.`
        : "No response-capability gap above the thresholds.",
    ],
    tables: [
      {
        headers: ["#", "Technique", "Name", "Priority", "Status", "Playbooks"],
        numeric: [0, 3],
        rows: g.techniques
          .slice(0, 15)
          .map((x) => [x.rank, x.id, x.name ?? "", x.priority, x.status, x.playbooks.map((p) => p.id).join(", ")]),
      },
    ],
  };
}

/** How much of what the period saw the monitoring profile sees and detects. */
function coverageSection(cv: NonNullable<ReportData["coverage"]>): Section {
  return {
    id: "coverage",
    title: `Detection coverage: ${cv.profile.name}`,
    text: [
      `Frequency-weighted: visible ${pct(cv.scores.visible)}, detected ${pct(cv.scores.detected)} (by rules ${pct(cv.scores.detectedByRules)}, by detector findings ${pct(cv.scores.detectedByDetectors)}).`,
      cv.unseen.length
        ? `Frequent techniques this monitoring would not see: ${cv.unseen.map((x) => `${x.id} (${x.incidents})`).join(", ")}.`
        : "Every technique seen in the period is visible to this monitoring.",
      cv.undetected.length
        ? `Visible but not detected by a deployed rule or a detector finding: ${cv.undetected.map((x) => `${x.id} (${x.incidents})`).join(", ")}.`
        : "",
    ].filter(Boolean),
    tables: [
      {
        headers: ["Technique", "Incidents", "Visible", "Detected", "Sources"],
        numeric: [1],
        rows: [...cv.techniques]
          .sort((x, y) => y.incidents - x.incidents)
          .slice(0, 15)
          .map((x) => [
            x.id,
            x.incidents,
            x.visible ? "yes" : "no",
            // say what detects it: rules, detector findings or both
            x.detected
              ? [x.detectedByRules ? "rules" : "", x.detectedByDetectors ? "detector findings" : ""]
                  .filter(Boolean)
                  .join(" + ")
              : "no",
            x.visibleVia.join(", "),
          ]),
      },
    ],
  };
}

function sections(r: ReportData, catalog: Catalog): Section[] {
  if (r.empty) return [managementSection(r), ...(r.community ? [communitySection(r.community)] : [])];
  const controls = controlsSection(r);
  return [
    managementSection(r),
    summarySection(r),
    frequencySection(r),
    matrixSection(r, catalog),
    trendSection(r, catalog),
    cooccurrenceSection(r),
    pathsSection(r),
    actorsSection(r),
    timingSection(r),
    mitigationsSection(r),
    ...(controls ? [controls] : []),
    ...(r.gaps ? [playbooksSection(r.gaps)] : []),
    ...(r.coverage ? [coverageSection(r.coverage)] : []),
    ...(r.community ? [communitySection(r.community)] : []),
  ];
}

const hours = (h: number) => (h < 48 ? `${h.toFixed(1)} h` : `${(h / 24).toFixed(1)} d`);

/** This team against the merged community datasets: over/under-represented techniques, slower containment. */
function communitySection(c: NonNullable<ReportData["community"]>): Section {
  const technique = (id: string, name: string | null) => `${id} ${name ?? "(not in catalog)"}`;
  const shareTable = (verdict: "over" | "under", caption: string): Table => ({
    caption,
    headers: ["Technique", "Here", "Share here", "Community", "Community share", "Ratio"],
    numeric: [1, 2, 3, 4, 5],
    rows: c.techniques
      .filter((t) => t.verdict === verdict)
      .map((t) => [
        technique(t.id, t.name),
        t.local,
        pct(t.localShare),
        t.community,
        pct(t.communityShare),
        t.ratio === null ? "none shared" : `×${t.ratio.toFixed(2)}`,
      ]),
  });
  const over = c.techniques.filter((t) => t.verdict === "over").length;
  const under = c.techniques.filter((t) => t.verdict === "under").length;
  return {
    id: "community",
    title: "This team and the community",
    text: [
      `Compared with ${c.files} shared dataset${c.files === 1 ? "" : "s"} (${c.datasets.map((x) => x.file).join(", ")}) covering ${c.quarters.join(", ")}: ${c.community.incidents} community incidents against this team's ${c.local.incidents} in the same quarters.`,
      `${over} technique${over === 1 ? " is" : "s are"} over-represented here and ${under} under-represented (a share at least 1.5 times the community's, or at most two thirds of it; techniques with at least ${c.minCount} incidents on one side). ${c.slowerToContain.length} technique${c.slowerToContain.length === 1 ? " is" : "s are"} slower to contain here than in the community.`,
      "Community figures are k-anonymous aggregates (cells under k incidents were suppressed before sharing); community medians are sample-weighted means of the datasets' medians.",
    ],
    tables: [
      shareTable("over", "Over-represented here"),
      shareTable("under", "Under-represented here"),
      {
        caption: "Slower to contain here",
        headers: ["Technique", "Median here", "Community median", "Incidents here"],
        numeric: [1, 2, 3],
        rows: c.slowerToContain.map((t) => [
          technique(t.id, t.name),
          hours(t.localMedianHours),
          hours(t.communityMedianHours),
          t.localSamples,
        ]),
      },
    ].filter((t) => t.rows.length > 0),
  };
}

const mdCell = (v: string | number) => String(v).replace(/\|/g, "\\|").replace(/\n/g, " ");

function mdTable(t: Table): string[] {
  if (t.rows.length === 0) return [];
  const lines: string[] = [];
  if (t.caption) lines.push(`*${t.caption}*`, "");
  lines.push(`| ${t.headers.map(mdCell).join(" | ")} |`);
  lines.push(`| ${t.headers.map((_, i) => (t.numeric?.includes(i) ? "---:" : "---")).join(" | ")} |`);
  for (const row of t.rows) lines.push(`| ${row.map(mdCell).join(" | ")} |`);
  lines.push("");
  return lines;
}

export function renderMarkdown(r: ReportData, catalog: Catalog): string {
  const lines = [
    `# ${r.title}`,
    "",
    `Period ${r.period.from} – ${r.period.to} · catalog ${r.catalog.name} ${r.catalog.version} · generated ${r.generatedAt}`,
    "",
  ];
  for (const s of sections(r, catalog)) {
    lines.push(`## ${s.title}`, "");
    for (const p of s.text) lines.push(p, "");
    for (const t of s.tables) lines.push(...mdTable(t));
    for (const part of s.parts ?? []) {
      lines.push(`### ${part.title}`, "");
      for (const p of part.text) lines.push(p, "");
      for (const t of part.tables ?? []) lines.push(...mdTable(t));
      if (part.bullets?.length) lines.push(...part.bullets.map((b) => `- ${b}`), "");
      for (const n of part.notes ?? []) lines.push(`*${n}*`, "");
    }
  }
  if (!r.empty) lines.push("Charts are in the HTML version of this report (`techtrail report --format html`).", "");
  return lines.join("\n");
}

export function escapeHtml(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] as string,
  );
}

const CSS = `
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; color: #1f2328; margin: 0; background: #f6f8fa; }
main { max-width: 860px; margin: 0 auto; padding: 32px 24px 64px; background: #fff; }
h1 { font-size: 1.7rem; margin: 0 0 4px; }
h2 { font-size: 1.25rem; margin: 36px 0 8px; padding-bottom: 4px; border-bottom: 2px solid #2f5d8a; }
h3 { font-size: 1rem; margin: 14px 0 4px; color: #2f5d8a; }
.meta { color: #57606a; font-size: 0.85rem; margin: 0 0 12px; }
nav { font-size: 0.85rem; margin: 12px 0 0; }
nav a { color: #2f5d8a; margin-right: 12px; text-decoration: none; }
p { line-height: 1.5; margin: 6px 0; }
ul { margin: 4px 0; padding-left: 20px; }
li { line-height: 1.4; margin: 2px 0; }
.note { color: #57606a; font-size: 0.75rem; line-height: 1.35; }
#management { font-size: 0.9rem; }
#management h2 { margin-top: 16px; }
#management table { margin: 4px 0 6px; }
figure { margin: 12px 0; }
figure svg { max-width: 100%; height: auto; display: block; }
figcaption { font-size: 0.8rem; color: #57606a; }
table { border-collapse: collapse; width: 100%; margin: 10px 0 16px; font-size: 0.82rem; }
caption { text-align: left; font-weight: 600; padding: 4px 0; }
th, td { border-bottom: 1px solid #d0d7de; padding: 4px 6px; text-align: left; vertical-align: top; }
th { background: #f0f3f6; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
.empty { padding: 16px; background: #fff8c5; border: 1px solid #d4a72c; border-radius: 6px; }
@page { size: A4; margin: 14mm; }
@media print {
  body { background: #fff; }
  main { max-width: none; padding: 0; }
  nav { display: none; }
  h1 { font-size: 1.2rem; }
  .meta { font-size: 7.5pt; margin-bottom: 4px; }
  h2 { break-after: avoid; }
  h3 { break-after: avoid; margin-top: 8px; }
  figure, table { break-inside: avoid; }
  /* The management summary is page 1 on its own; the analyst sections start on page 2. */
  #management { font-size: 8.5pt; break-after: page; }
  #management h2 { margin-top: 4px; font-size: 12pt; }
  #management h3 { font-size: 9.5pt; margin: 6px 0 2px; }
  #management .note { font-size: 7pt; }
  #management p, #management li { line-height: 1.3; margin: 1px 0; }
  #management table { font-size: 7.5pt; margin: 2px 0 3px; }
  #management th, #management td { padding: 2px 4px; }
}
`;

function htmlTable(t: Table): string[] {
  if (t.rows.length === 0) return [];
  const n = (i: number) => (t.numeric?.includes(i) ? ' class="n"' : "");
  const out = ["<table>"];
  if (t.caption) out.push(`<caption>${escapeHtml(t.caption)}</caption>`);
  out.push(`<thead><tr>${t.headers.map((h, i) => `<th${n(i)}>${escapeHtml(h)}</th>`).join("")}</tr></thead><tbody>`);
  for (const row of t.rows)
    out.push(`<tr>${row.map((c, i) => `<td${n(i)}>${escapeHtml(String(c))}</td>`).join("")}</tr>`);
  out.push("</tbody></table>");
  return out;
}

export function renderHtml(r: ReportData, catalog: Catalog): string {
  const secs = sections(r, catalog);
  const body: string[] = [];
  body.push(`<h1>${escapeHtml(r.title)}</h1>`);
  body.push(
    `<p class="meta">Period ${escapeHtml(r.period.from)} – ${escapeHtml(r.period.to)} · catalog ${escapeHtml(`${r.catalog.name} ${r.catalog.version}`)} · generated ${escapeHtml(r.generatedAt)}</p>`,
  );
  secs.forEach((s, index) => {
    // The navigation of the analyst sections follows the management summary, so the summary opens the page.
    if (index === 1)
      body.push(`<nav>${secs.map((x) => `<a href="#${x.id}">${escapeHtml(x.title)}</a>`).join("")}</nav>`);
    body.push(`<section id="${s.id}">`, `<h2>${escapeHtml(s.title)}</h2>`);
    const cls = r.empty && s.id === "management" ? ' class="empty"' : "";
    for (const p of s.text) body.push(`<p${cls}>${escapeHtml(p)}</p>`);
    const svg = s.chart?.();
    if (svg)
      body.push(
        `<figure role="img" aria-label="${escapeHtml(s.chartAlt ?? s.title)}">${svg}<figcaption>${escapeHtml(s.chartAlt ?? "")}</figcaption></figure>`,
      );
    for (const t of s.tables) body.push(...htmlTable(t));
    for (const part of s.parts ?? []) {
      body.push(`<h3>${escapeHtml(part.title)}</h3>`);
      for (const p of part.text) body.push(`<p>${escapeHtml(p)}</p>`);
      for (const t of part.tables ?? []) body.push(...htmlTable(t));
      if (part.bullets?.length) body.push(`<ul>${part.bullets.map((b) => `<li>${escapeHtml(b)}</li>`).join("")}</ul>`);
      for (const n of part.notes ?? []) body.push(`<p class="note">${escapeHtml(n)}</p>`);
    }
    body.push("</section>");
  });
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="generator" content="techtrail">
<title>${escapeHtml(r.title)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
${body.join("\n")}
</main>
</body>
</html>
`;
}

export function renderReport(r: ReportData, catalog: Catalog, format: ReportFormat): string {
  if (format === "json") return `${JSON.stringify(r, null, 2)}\n`;
  if (format === "md") return renderMarkdown(r, catalog);
  return renderHtml(r, catalog);
}
