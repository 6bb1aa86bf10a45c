// Response timing: time to detect (detected − first activity) and time to contain (contained − detected),
// median and 90th percentile, overall, per technique and per detection source; the per-source rows are
// also the detection-source mix (incidents and share per source). Durations come from the incident facts
// snapshot (whole seconds) and are summarised per group.
import type { Catalog } from "../catalog/catalog.js";
import { compareIds } from "../catalog/catalog.js";
import { factsFor, techniquesOf } from "./facts.js";
import {
  type AnalyticsFilterInput,
  type DurationStats,
  parseAnalyticsFilter,
  type TimingResult,
  type TimingRow,
} from "./model.js";
import { type AnalyticsSource, quantile, ratio } from "./query.js";

export function durationStats(values: number[]): DurationStats {
  // A typed-array sort is numeric and several times faster than Array#sort with a comparator.
  const v = Float64Array.from(values.filter((x) => Number.isFinite(x) && x >= 0)).sort();
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
  const { facts, sel, scope } = await factsFor(src, f);
  const none = durationStats([]);
  if (scope.empty)
    return { scope, overall: { timeToDetect: none, timeToContain: none }, byTechnique: [], bySource: [] };
  interface Acc {
    n: number;
    ttd: number[];
    ttc: number[];
  }
  const acc = (): Acc => ({ n: 0, ttd: [], ttc: [] });
  const bySrc = new Map<number, Acc>();
  const byTech: Array<Acc | undefined> = [];
  const all = acc();
  for (const i of sel) {
    const d = facts.ttd[i] as number;
    const c = facts.ttc[i] as number;
    const s = facts.source[i] as number;
    let a = bySrc.get(s);
    if (!a) {
      a = acc();
      bySrc.set(s, a);
    }
    a.n++;
    all.n++;
    if (!Number.isNaN(d)) {
      a.ttd.push(d);
      all.ttd.push(d);
    }
    if (!Number.isNaN(c)) {
      a.ttc.push(c);
      all.ttc.push(c);
    }
    for (const code of techniquesOf(facts, i)) {
      let t = byTech[code];
      if (!t) {
        t = acc();
        byTech[code] = t;
      }
      t.n++;
      if (!Number.isNaN(d)) t.ttd.push(d);
      if (!Number.isNaN(c)) t.ttc.push(c);
    }
  }
  const bySource: TimingRow[] = [...bySrc.entries()]
    .map(([code, a]) => {
      const k = code < 0 ? "unknown" : (facts.sources[code] ?? "unknown");
      return {
        key: k,
        name: SOURCE_NAMES[k] ?? k,
        incidents: a.n,
        share: ratio(a.n, scope.incidents),
        timeToDetect: durationStats(a.ttd),
        timeToContain: durationStats(a.ttc),
      };
    })
    .sort((a, b) => b.incidents - a.incidents || (a.key < b.key ? -1 : 1));
  const byTechnique: TimingRow[] = [];
  byTech.forEach((a, code) => {
    if (!a) return;
    const k = facts.techIds[code] as string;
    byTechnique.push({
      key: k,
      name: catalog.technique(k)?.name ?? null,
      incidents: a.n,
      share: ratio(a.n, scope.incidents),
      timeToDetect: durationStats(a.ttd),
      timeToContain: durationStats(a.ttc),
    });
  });
  byTechnique.sort((a, b) => b.incidents - a.incidents || compareIds(a.key, b.key));
  return {
    scope,
    overall: { timeToDetect: durationStats(all.ttd), timeToContain: durationStats(all.ttc) },
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
