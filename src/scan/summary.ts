// The scan summary, built incrementally as findings arrive (in any order) with bounded memory: counts per
// level, rule, technique and tactic; per technique the first and last time seen and up to 50 principals; per
// principal (up to 1,000 of them) a timeline of its earliest findings; and a bounded evidence sample per
// technique for draft incidents.
import type { Catalog } from "../catalog/catalog.js";
import { compareIds } from "../catalog/catalog.js";
import { UNKNOWN_PRINCIPAL } from "./hits.js";
import type { Finding, PrincipalTimeline, ScanSummary, SkipExample, TechniqueSeen, TimelineEntry } from "./model.js";
import type { SuppressionHit } from "./suppress.js";

/** Principals listed per technique (those seen earliest). */
export const PRINCIPALS_PER_TECHNIQUE = 50;
/** Principals with a timeline in the summary (the first ones met); findings of others are counted only. */
export const PRINCIPAL_LIMIT = 1_000;
/** Access keys remembered with their principal, to place detector findings that name only the key. */
const KEY_OWNER_LIMIT = 100_000;

export const principalOf = (f: Finding): string => f.principalArn ?? f.accessKeyId ?? UNKNOWN_PRINCIPAL;

/** Orders findings by eventTime, then file, then line/index, then rule ID (same result for any worker count). */
export function compareFindings(a: Finding, b: Finding): number {
  const ta = a.eventTime ?? "";
  const tb = b.eventTime ?? "";
  if (ta !== tb) return ta < tb ? -1 : 1;
  if (a.origin.file !== b.origin.file) return a.origin.file < b.origin.file ? -1 : 1;
  const oa = a.origin.line ?? a.origin.index ?? 0;
  const ob = b.origin.line ?? b.origin.index ?? 0;
  if (oa !== ob) return oa - ob;
  return a.rule.id < b.rule.id ? -1 : a.rule.id > b.rule.id ? 1 : 0;
}

/**
 * Keeps the `limit` smallest items seen (by `cmp`) in order. Findings mostly arrive in time order, so an item
 * is usually rejected by one comparison with the last kept one.
 */
export class SmallestN<T> {
  readonly items: T[] = [];
  constructor(
    private readonly limit: number,
    private readonly cmp: (a: T, b: T) => number,
  ) {}

  /** False when the item was not kept. */
  add(item: T): boolean {
    const items = this.items;
    if (this.limit === 0) return false;
    const n = items.length;
    if (n >= this.limit && this.cmp(item, items[n - 1] as T) >= 0) return false;
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.cmp(items[mid] as T, item) <= 0) lo = mid + 1;
      else hi = mid;
    }
    items.splice(lo, 0, item);
    if (items.length > this.limit) items.pop();
    return true;
  }
}

/** First and last eventTime of a group of findings (ISO-8601 UTC texts compare in time order). */
class TimeSpan {
  first: string | undefined;
  last: string | undefined;
  add(t: string | undefined): void {
    if (t === undefined) return;
    if (this.first === undefined || t < this.first) this.first = t;
    if (this.last === undefined || t > this.last) this.last = t;
  }
}

export interface Counters {
  inputs: string[];
  filesScanned: number;
  filesSkipped: number;
  bytes: number;
  read: number;
  evaluated: number;
  matched: number;
  skipCounts: Record<string, number>;
  examples: SkipExample[];
  rules: ScanSummary["rules"];
  workers: number;
  /** Correlation and first_seen rules' figures (when the rule set has any). */
  correlations?: ScanSummary["correlations"];
  /** Detector findings' figures (when detector files were read). */
  detectors?: ScanSummary["detectors"];
  /** Which engine produced the findings (set when another engine than JS was asked for). */
  engine?: ScanSummary["engine"];
  durationMs: number;
  scanMs: number;
}

interface TechAcc {
  id: string;
  findings: number;
  attempts: number;
  span: TimeSpan;
  /** principal → earliest eventTime ("" when none), at most PRINCIPALS_PER_TECHNIQUE. */
  principals: Map<string, string>;
  rules: Set<string>;
}

interface PrincipalAcc {
  principal: string;
  findings: number;
  span: TimeSpan;
  techniques: Set<string>;
  timeline: SmallestN<Kept>;
}

type Kept = { f: Finding; entry: TimelineEntry };
const byFinding = (a: Kept, b: Kept) => compareFindings(a.f, b.f);

/** Accumulates the summary of findings given one at a time, in any order. */
export class SummaryBuilder {
  private total = 0;
  private attempts = 0;
  private readonly byLevel = new Map<string, number>();
  private readonly byRule = new Map<string, number>();
  private readonly tactics = new Map<string, number>();
  private readonly techniques = new Map<string, TechAcc>();
  private readonly principals = new Map<string, PrincipalAcc>();
  private unlistedPrincipalFindings = 0;
  private belowMinLevel = 0;
  /** Access key → the principal CloudTrail findings showed using it (bounded), for detector findings. */
  private readonly keyOwner = new Map<string, string>();

  constructor(
    private readonly catalog: Catalog,
    private readonly timelineLimit: number,
    private readonly minLevel: string | undefined = undefined,
  ) {}

  get findings(): number {
    return this.total;
  }

  /** Counts a finding left out by the minimum level. */
  below(): void {
    this.belowMinLevel++;
  }

  private readonly suppressedBy = new Map<number, { index: number; reason: string; count: number }>();

  /** Counts a finding hidden by a suppression entry. */
  suppressed(hit: SuppressionHit): void {
    const e = this.suppressedBy.get(hit.index) ?? { ...hit, count: 0 };
    e.count++;
    this.suppressedBy.set(hit.index, e);
  }

  add(f: Finding): void {
    this.total++;
    const attempt = f.attempt;
    if (attempt) this.attempts++;
    const level = f.rule.level;
    this.byLevel.set(level, (this.byLevel.get(level) ?? 0) + 1);
    this.byRule.set(f.rule.id, (this.byRule.get(f.rule.id) ?? 0) + 1);
    for (const ta of f.tactics) this.tactics.set(ta, (this.tactics.get(ta) ?? 0) + 1);
    const who = this.principal(f);
    const time = f.eventTime;
    for (const id of f.techniques) {
      let t = this.techniques.get(id);
      if (!t) {
        t = { id, findings: 0, attempts: 0, span: new TimeSpan(), principals: new Map(), rules: new Set() };
        this.techniques.set(id, t);
      }
      t.findings++;
      if (attempt) t.attempts++;
      t.span.add(time);
      t.rules.add(f.rule.id);
      notePrincipal(t.principals, who, time ?? "");
    }
    let p = this.principals.get(who);
    if (!p) {
      if (this.principals.size >= PRINCIPAL_LIMIT) {
        this.unlistedPrincipalFindings++;
        return;
      }
      p = {
        principal: who,
        findings: 0,
        span: new TimeSpan(),
        techniques: new Set(),
        timeline: new SmallestN<Kept>(this.timelineLimit, byFinding),
      };
      this.principals.set(who, p);
    }
    p.findings++;
    p.span.add(time);
    for (const id of f.techniques) p.techniques.add(id);
    const n = p.timeline.items.length;
    // build the entry only when it is kept (cheap rejection first)
    const last = p.timeline.items[n - 1];
    if (n < this.timelineLimit || (last && compareFindings(f, last.f) < 0)) {
      const entry: TimelineEntry = {
        ruleId: f.rule.id,
        level: f.rule.level,
        techniques: f.techniques,
        attempt,
        origin: f.origin,
      };
      if (time !== undefined) entry.eventTime = time;
      if (f.eventName !== undefined) entry.eventName = f.eventName;
      if (f.detector !== undefined) entry.detector = f.detector.detector;
      // key order of the schema: eventTime, eventName first
      const ordered: TimelineEntry = {
        ...(entry.eventTime !== undefined ? { eventTime: entry.eventTime } : {}),
        ...(entry.eventName !== undefined ? { eventName: entry.eventName } : {}),
        ruleId: entry.ruleId,
        level: entry.level,
        techniques: entry.techniques,
        attempt: entry.attempt,
        origin: entry.origin,
        ...(entry.detector !== undefined ? { detector: entry.detector } : {}),
      };
      p.timeline.add({ f, entry: ordered });
    }
  }

  /**
   * The timeline a finding goes on. A detector finding joins the principal whose CloudTrail findings used the
   * same access key (detector findings are passed on after CloudTrail's), else its own principal or key, else
   * its first resource.
   */
  private principal(f: Finding): string {
    const key = f.accessKeyId;
    if (f.detector === undefined) {
      if (key !== undefined && f.principalArn !== undefined && this.keyOwner.size < KEY_OWNER_LIMIT)
        if (!this.keyOwner.has(key)) this.keyOwner.set(key, f.principalArn);
      return principalOf(f);
    }
    const owner = key === undefined ? undefined : this.keyOwner.get(key);
    return owner ?? f.principalArn ?? key ?? f.detector.resources[0]?.id ?? UNKNOWN_PRINCIPAL;
  }

  build(c: Counters): ScanSummary {
    const catalog = this.catalog;
    const byTime = (a: { firstSeen?: string | undefined }, b: { firstSeen?: string | undefined }) =>
      (a.firstSeen ?? "").localeCompare(b.firstSeen ?? "");
    const techniques: TechniqueSeen[] = [...this.techniques.values()]
      .map((t) => {
        const tech = catalog.technique(t.id);
        const out: TechniqueSeen = {
          id: t.id,
          ...(tech ? { name: tech.name } : {}),
          tactics: tech ? [...tech.tactics] : [],
          findings: t.findings,
          attempts: t.attempts,
          ...(t.span.first !== undefined ? { firstSeen: t.span.first } : {}),
          ...(t.span.last !== undefined ? { lastSeen: t.span.last } : {}),
          principals: [...t.principals.entries()]
            .sort((a, b) => (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : a[0] < b[0] ? -1 : 1))
            .map(([p]) => p),
          rules: [],
        };
        out.rules = [...t.rules].sort();
        return out;
      })
      .sort((a, b) => byTime(a, b) || compareIds(a.id, b.id));
    const principals: PrincipalTimeline[] = [...this.principals.values()]
      .map((p) => {
        const timeline = p.timeline.items.map((x) => x.entry);
        const out: PrincipalTimeline = {
          principal: p.principal,
          findings: p.findings,
          ...(p.span.first !== undefined ? { firstSeen: p.span.first } : {}),
          ...(p.span.last !== undefined ? { lastSeen: p.span.last } : {}),
          techniques: [...p.techniques].sort(compareIds),
          timeline,
          omitted: p.findings - timeline.length,
        };
        return out;
      })
      .sort((a, b) => byTime(a, b) || a.principal.localeCompare(b.principal));
    const skippedTotal = Object.values(c.skipCounts).reduce((a, b) => a + b, 0);
    const secs = c.durationMs / 1000;
    const sortedRecord = (m: Map<string, number>) => Object.fromEntries([...m].sort((a, b) => (a[0] < b[0] ? -1 : 1)));
    const findings: ScanSummary["findings"] = {
      total: this.total,
      attempts: this.attempts,
      byLevel: sortedRecord(this.byLevel),
      byRule: sortedRecord(this.byRule),
    };
    if (this.minLevel !== undefined) {
      findings.minLevel = this.minLevel as NonNullable<ScanSummary["findings"]["minLevel"]>;
      findings.belowMinLevel = this.belowMinLevel;
    }
    const summary: ScanSummary = {
      inputs: c.inputs,
      events: { read: c.read, evaluated: c.evaluated, matched: c.matched },
      skipped: { total: skippedTotal, byReason: c.skipCounts, examples: c.examples },
      files: { scanned: c.filesScanned, skipped: c.filesSkipped, bytes: c.bytes },
      rules: c.rules,
      findings,
      suppressed: {
        total: [...this.suppressedBy.values()].reduce((n, e) => n + e.count, 0),
        byEntry: [...this.suppressedBy.values()].sort((a, b) => a.index - b.index),
      },
      techniques,
      tactics: [...this.tactics.entries()]
        .map(([id, n]) => {
          const ta = catalog.tactic(id);
          return ta ? { id, name: ta.name, findings: n } : { id, findings: n };
        })
        .sort((a, b) => b.findings - a.findings || a.id.localeCompare(b.id)),
      principals,
      ...(c.correlations ? { correlations: c.correlations } : {}),
      ...(c.detectors ? { detectors: c.detectors } : {}),
      ...(c.engine ? { engine: c.engine } : {}),
      workers: c.workers,
      durationMs: Math.round(c.durationMs),
      scanMs: Math.round(c.scanMs),
      eventsPerSecond: secs > 0 ? Math.round(c.read / secs) : 0,
      scanEventsPerSecond: c.scanMs > 0 ? Math.round((c.read * 1000) / c.scanMs) : 0,
    };
    if (this.unlistedPrincipalFindings > 0) summary.unlistedPrincipalFindings = this.unlistedPrincipalFindings;
    return summary;
  }
}

/** Keeps the principals seen earliest (ties by name), at most PRINCIPALS_PER_TECHNIQUE. */
function notePrincipal(m: Map<string, string>, who: string, time: string): void {
  const had = m.get(who);
  if (had !== undefined) {
    if (time < had) m.set(who, time);
    return;
  }
  if (m.size < PRINCIPALS_PER_TECHNIQUE) {
    m.set(who, time);
    return;
  }
  let worst: string | undefined;
  let worstTime = "";
  for (const [p, t] of m)
    if (worst === undefined || t > worstTime || (t === worstTime && p > worst)) {
      worst = p;
      worstTime = t;
    }
  if (worst !== undefined && (time < worstTime || (time === worstTime && who < worst))) {
    m.delete(worst);
    m.set(who, time);
  }
}

/** Detector findings kept as evidence, the earliest ones. */
const DETECTIONS_KEPT = 1_000;

/**
 * Evidence for draft incidents: per technique the `perTechnique` earliest findings (by eventTime, file,
 * line/index, rule), whatever the number of findings; the summary holds the counts.
 */
export class EvidenceSampler {
  private readonly byTechnique = new Map<string, SmallestN<Finding>>();
  /** Detector findings are all kept (bounded): they say what raised the alert, mapped or not. */
  private readonly detections = new SmallestN<Finding>(DETECTIONS_KEPT, compareFindings);

  constructor(private readonly perTechnique: number) {}

  add(f: Finding): void {
    if (f.detector !== undefined) this.detections.add(f);
    for (const id of f.techniques) {
      let s = this.byTechnique.get(id);
      if (!s) {
        s = new SmallestN(this.perTechnique, compareFindings);
        this.byTechnique.set(id, s);
      }
      s.add(f);
    }
  }

  /** The sampled findings, each once, in time order. */
  findings(): Finding[] {
    const all = new Set<Finding>();
    for (const s of this.byTechnique.values()) for (const f of s.items) all.add(f);
    for (const f of this.detections.items) all.add(f);
    return [...all].sort(compareFindings);
  }
}
