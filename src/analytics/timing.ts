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
 * Groups durations by an integer group per incident in two passes (count, then fill typed arrays),
 * so 100,000 incidents × several techniques need no per-value allocation; returns sorted arrays.
 */
class Grouped {
  private readonly countsD: Uint32Array;
  private readonly countsC: Uint32Array;
  readonly incidents: Uint32Array;
  private d: Float64Array[] = [];
  private c: Float64Array[] = [];
  private fillD: Uint32Array;
  private fillC: Uint32Array;
  constructor(readonly size: number) {
    this.countsD = new Uint32Array(size);
    this.countsC = new Uint32Array(size);
    this.incidents = new Uint32Array(size);
    this.fillD = new Uint32Array(size);
    this.fillC = new Uint32Array(size);
  }
  count(g: number, d: number, c: number): void {
    this.incidents[g] = (this.incidents[g] ?? 0) + 1;
    if (d >= 0) this.countsD[g] = (this.countsD[g] ?? 0) + 1;
    if (c >= 0) this.countsC[g] = (this.countsC[g] ?? 0) + 1;
  }
  allocate(): void {
    this.d = Array.from(this.countsD, (n) => new Float64Array(n));
    this.c = Array.from(this.countsC, (n) => new Float64Array(n));
  }
  add(g: number, d: number, c: number): void {
    if (d >= 0) {
      const k = this.fillD[g] ?? 0;
      (this.d[g] as Float64Array)[k] = d;
      this.fillD[g] = k + 1;
    }
    if (c >= 0) {
      const k = this.fillC[g] ?? 0;
      (this.c[g] as Float64Array)[k] = c;
      this.fillC[g] = k + 1;
    }
  }
  stats(g: number): { timeToDetect: DurationStats; timeToContain: DurationStats } {
    return {
      timeToDetect: selectStats(this.d[g] ?? new Float64Array(0)),
      timeToContain: selectStats(this.c[g] ?? new Float64Array(0)),
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
