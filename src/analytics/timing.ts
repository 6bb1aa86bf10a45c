// Response timing: time to detect (detected − first activity) and time to contain (contained − detected),
// median and 90th percentile, overall, per technique and per detection source; the per-source rows are
// also the detection-source mix (incidents and share per source). Durations are aggregated in SQL as
// comma lists per group and summarised in JS.
import type { Catalog } from "../catalog/catalog.js";
import { compareIds } from "../catalog/catalog.js";
import {
  type AnalyticsFilterInput,
  type DurationStats,
  parseAnalyticsFilter,
  type TimingResult,
  type TimingRow,
} from "./model.js";
import {
  type AnalyticsSource,
  joinTechniques,
  num,
  numberList,
  quantile,
  ratio,
  scopeOf,
  secondsBetween,
  str,
  stringAgg,
  whereFor,
} from "./query.js";

export function durationStats(values: number[]): DurationStats {
  const v = values.filter((x) => Number.isFinite(x) && x >= 0).sort((a, b) => a - b);
  return { samples: v.length, median: quantile(v, 0.5, true), p90: quantile(v, 0.9, true) };
}

const SOURCE_NAMES: Record<string, string> = {
  guardduty: "GuardDuty",
  "security-hub": "Security Hub",
  "cloudwatch-alarm": "CloudWatch alarm",
  "billing-anomaly": "Billing anomaly",
  "customer-report": "Customer report",
  "aws-notification": "AWS notification",
  "third-party": "Third party",
  other: "Other",
  unknown: "Not recorded",
};

export async function responseTiming(
  src: AnalyticsSource,
  catalog: Catalog,
  filter: AnalyticsFilterInput = {},
): Promise<TimingResult> {
  const f = parseAnalyticsFilter(filter);
  const scope = await scopeOf(src, f);
  const none = durationStats([]);
  if (scope.empty)
    return { scope, overall: { timeToDetect: none, timeToContain: none }, byTechnique: [], bySource: [] };
  const d = src.db.dialect;
  const w = whereFor(f, d);
  const ttd = secondsBetween(d, "i.first_activity_at", "i.detected_at");
  const ttc = secondsBetween(d, "i.detected_at", "i.contained_at");
  const src1 = await src.db.query(
    `SELECT COALESCE(i.detection_source, 'unknown') AS k, COUNT(*) AS n, ${stringAgg(d, ttd)} AS ttd, ${stringAgg(d, ttc)} AS ttc
     FROM incidents i ${w.sql} GROUP BY COALESCE(i.detection_source, 'unknown')`,
    w.params,
  );
  const tech = await src.db.query(
    `SELECT t.technique_id AS k, COUNT(*) AS n, ${stringAgg(d, ttd)} AS ttd, ${stringAgg(d, ttc)} AS ttc
     FROM ${joinTechniques(d)} ${w.sql} GROUP BY t.technique_id`,
    w.params,
  );
  const allTtd: number[] = [];
  const allTtc: number[] = [];
  const bySource: TimingRow[] = src1
    .map((r) => {
      const a = numberList(r.ttd);
      const c = numberList(r.ttc);
      allTtd.push(...a);
      allTtc.push(...c);
      const k = str(r.k);
      const n = num(r.n);
      return {
        key: k,
        name: SOURCE_NAMES[k] ?? k,
        incidents: n,
        share: ratio(n, scope.incidents),
        timeToDetect: durationStats(a),
        timeToContain: durationStats(c),
      };
    })
    .sort((a, b) => b.incidents - a.incidents || (a.key < b.key ? -1 : 1));
  const byTechnique: TimingRow[] = tech
    .map((r) => {
      const k = str(r.k);
      const n = num(r.n);
      return {
        key: k,
        name: catalog.technique(k)?.name ?? null,
        incidents: n,
        share: ratio(n, scope.incidents),
        timeToDetect: durationStats(numberList(r.ttd)),
        timeToContain: durationStats(numberList(r.ttc)),
      };
    })
    .sort((a, b) => b.incidents - a.incidents || compareIds(a.key, b.key));
  return {
    scope,
    overall: { timeToDetect: durationStats(allTtd), timeToContain: durationStats(allTtc) },
    byTechnique,
    bySource,
  };
}

/** Human duration: `45 min`, `5.2 h`, `3.1 d`; `—` for null. */
export function formatDuration(seconds: number | null): string {
  if (seconds === null) return "—";
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  if (seconds < 86400 * 2) return `${(seconds / 3600).toFixed(1)} h`;
  return `${(seconds / 86400).toFixed(1)} d`;
}
