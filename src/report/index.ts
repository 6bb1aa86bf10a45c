// `techtrail/report`: the quarterly incident-response report (data, Markdown and HTML with server-rendered
// ECharts SVG charts).
export { type ReportFormat, renderHtml, renderMarkdown, renderReport } from "./render.js";
export { buildReport, ReportData, type ReportOptions, ReportPeriod, reportPeriod } from "./report.js";
