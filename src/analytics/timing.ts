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

export function durationStats(values: ArrayLike<number>): DurationStats {
  const v = Float64Array.from(values).filter((x) => Number.isFinite(x) && x >= 0);
  v.sort();
  return sortedStats(v);
}

/** Stats of values already sorted ascending and all valid. */
function sortedStats(v: Float64Array): DurationStats {
  return { samples: v.length, median: quantile(v, 0.5, true), p90: quantile(v, 0.9, true) };
}

/** Rearranges a so that a[k] is the k-th smallest, smaller ones before it, larger after (quickselect). */
function select(a: Float64Array, k: number): void {
  let lo = 0;
  let hi = a.length - 1;
  while (hi > lo) {
    const pivot = a[(lo + hi) >>> 1] as number;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while ((a[i] as number) < pivot) i++;
      while ((a[j] as number) > pivot) j--;
      if (i <= j) {
        const t = a[i] as number;
        a[i] = a[j] as number;
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return;
  }
}

/** The same interpolated quantile as `quantile` (R type 7) in linear time, reordering a. */
export function quantileInPlace(a: Float64Array, q: number): number | null {
  if (a.length === 0) return null;
  const pos = (a.length - 1) * q;
  const lo = Math.floor(pos);
  select(a, lo);
  const x = a[lo] as number;
  if (pos === lo) return x;
  let y = Number.POSITIVE_INFINITY;
  for (let i = lo + 1; i < a.length; i++) if ((a[i] as number) < y) y = a[i] as number;
  return x + (y - x) * (pos - lo);
}

/** Median and p90 of valid durations without sorting them all. */
function selectStats(v: Float64Array): DurationStats {
  return { samples: v.length, median: quantileInPlace(v, 0.5), p90: quantileInPlace(v, 0.9) };
}

/**
 * Groups durations by an integer group per incident in two passes (count, then fill one shared buffer per
 * measure, each group a contiguous slice), so 100,000 incidents × several techniques allocate two arrays.
 */
class Grouped {
  readonly incidents: Uint32Array;
  private readonly startD: Uint32Array;
  private readonly startC: Uint32Array;
  private d = new Float64Array(0);
  private c = new Float64Array(0);
  constructor(readonly size: number) {
    this.incidents = new Uint32Array(size);
    this.startD = new Uint32Array(size + 1);
    this.startC = new Uint32Array(size + 1);
  }
  count(g: number, d: number, c: number): void {
    this.incidents[g] = (this.incidents[g] ?? 0) + 1;
    if (d >= 0) this.startD[g + 1] = (this.startD[g + 1] ?? 0) + 1;
    if (c >= 0) this.startC[g + 1] = (this.startC[g + 1] ?? 0) + 1;
  }
  /** Turns counts into offsets; `add` then fills from each group's start. */
  allocate(): void {
    for (let g = 0; g < this.size; g++) {
      this.startD[g + 1] = (this.startD[g + 1] ?? 0) + (this.startD[g] ?? 0);
      this.startC[g + 1] = (this.startC[g + 1] ?? 0) + (this.startC[g] ?? 0);
    }
    this.d = new Float64Array(this.startD[this.size] ?? 0);
    this.c = new Float64Array(this.startC[this.size] ?? 0);
    this.fillD = this.startD.slice(0, this.size);
    this.fillC = this.startC.slice(0, this.size);
  }
  private fillD = new Uint32Array(0);
  private fillC = new Uint32Array(0);
  add(g: number, d: number, c: number): void {
    if (d >= 0) {
      const k = this.fillD[g] ?? 0;
      this.d[k] = d;
      this.fillD[g] = k + 1;
    }
    if (c >= 0) {
      const k = this.fillC[g] ?? 0;
      this.c[k] = c;
      this.fillC[g] = k + 1;
    }
  }
  stats(g: number): { timeToDetect: DurationStats; timeToContain: DurationStats } {
    return {
      timeToDetect: selectStats(this.d.subarray(this.startD[g] ?? 0, this.startD[g + 1] ?? 0)),
      timeToContain: selectStats(this.c.subarray(this.startC[g] ?? 0, this.startC[g + 1] ?? 0)),
    };
  }
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
  const k = facts.techIds.length;
  const nSources = facts.sources.length + 1; // group 0 = not recorded
  const tech = new Grouped(k);
  const srcs = new Grouped(nSources);
  const all = new Grouped(1);
  // NaN (missing) and negative durations are left out: `x >= 0` is false for both.
  for (const i of sel) {
    const d = facts.ttd[i] as number;
    const c = facts.ttc[i] as number;
    srcs.count((facts.source[i] as number) + 1, d, c);
    all.count(0, d, c);
    for (const code of techniquesOf(facts, i)) tech.count(code, d, c);
  }
  tech.allocate();
  srcs.allocate();
  all.allocate();
  for (const i of sel) {
    const d = facts.ttd[i] as number;
    const c = facts.ttc[i] as number;
    srcs.add((facts.source[i] as number) + 1, d, c);
    all.add(0, d, c);
    for (const code of techniquesOf(facts, i)) tech.add(code, d, c);
  }
  const bySource: TimingRow[] = [];
  for (let g = 0; g < nSources; g++) {
    const n = srcs.incidents[g] ?? 0;
    if (n === 0) continue;
    const key = g === 0 ? "unknown" : (facts.sources[g - 1] ?? "unknown");
    bySource.push({
      key,
      name: SOURCE_NAMES[key] ?? key,
      incidents: n,
      share: ratio(n, scope.incidents),
      ...srcs.stats(g),
    });
  }
  bySource.sort((a, b) => b.incidents - a.incidents || (a.key < b.key ? -1 : 1));
  const byTechnique: TimingRow[] = [];
  for (let code = 0; code < k; code++) {
    const n = tech.incidents[code] ?? 0;
    if (n === 0) continue;
    const key = facts.techIds[code] as string;
    byTechnique.push({
      key,
      name: catalog.technique(key)?.name ?? null,
      incidents: n,
      share: ratio(n, scope.incidents),
      ...tech.stats(code),
    });
  }
  byTechnique.sort((a, b) => b.incidents - a.incidents || compareIds(a.key, b.key));
  return {
    scope,
    overall: all.stats(0),
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
