// Builds the scan summary from the sorted findings and the per-unit counters: techniques seen (count,
// first/last seen, principals), tactics, a per-principal timeline, skipped records with reasons.
import type { Catalog } from "../catalog/catalog.js";
import { compareIds } from "../catalog/catalog.js";
import { packedTimeText, type RuleMeta, type SummaryRow, UNKNOWN_PRINCIPAL } from "./hits.js";
import type { Finding, PrincipalTimeline, ScanSummary, SkipExample, TechniqueSeen } from "./model.js";

const PRINCIPALS_PER_TECHNIQUE = 50;

export const principalOf = (f: Finding): string => f.principalArn ?? f.accessKeyId ?? UNKNOWN_PRINCIPAL;

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
  correlations?: ScanSummary["correlations"];
  durationMs: number;
  scanMs: number;
}

/**
 * First and last eventTime of a group of findings. Packed times (the usual `YYYY-MM-DDTHH:MM:SSZ` shape) are
 * compared as numbers and formatted once at the end; other texts are compared as text, as before packing:
 * for packed values the two orders agree.
 */
class TimeSpan {
  private minMs = Number.POSITIVE_INFINITY;
  private maxMs = Number.NEGATIVE_INFINITY;
  private minText: string | undefined;
  private maxText: string | undefined;

  add(row: SummaryRow): void {
    const ms = row.timeMs;
    if (!Number.isNaN(ms)) {
      if (ms < this.minMs) this.minMs = ms;
      if (ms > this.maxMs) this.maxMs = ms;
      return;
    }
    const t = row.timeOther;
    if (t === undefined) return;
    if (this.minText === undefined || t < this.minText) this.minText = t;
    if (this.maxText === undefined || t > this.maxText) this.maxText = t;
  }

  get first(): string | undefined {
    const packed = this.minMs === Number.POSITIVE_INFINITY ? undefined : packedTimeText(this.minMs);
    if (packed === undefined) return this.minText;
    return this.minText !== undefined && this.minText < packed ? this.minText : packed;
  }

  get last(): string | undefined {
    const packed = this.maxMs === Number.NEGATIVE_INFINITY ? undefined : packedTimeText(this.maxMs);
    if (packed === undefined) return this.maxText;
    return this.maxText !== undefined && this.maxText > packed ? this.maxText : packed;
  }
}

/** The findings as the summary reads them (FindingStore), in sorted order. */
export interface SummarySource {
  forEachRow(visit: (row: SummaryRow) => void): void;
}

export function buildSummary(
  findings: SummarySource,
  c: Counters,
  catalog: Catalog,
  timelineLimit: number,
): ScanSummary {
  type TechAcc = Omit<TechniqueSeen, "firstSeen" | "lastSeen"> & {
    span: TimeSpan;
    principalSet: Set<string>;
    ruleSet: Set<string>;
  };
  type PrincipalAcc = Omit<PrincipalTimeline, "firstSeen" | "lastSeen"> & {
    span: TimeSpan;
    techSet: Set<string>;
    /** Rules already counted into techSet (a principal's findings mostly repeat a few rules). */
    ruleSeen: Set<RuleMeta>;
  };
  const techniques = new Map<string, TechAcc>();
  const principals = new Map<string, PrincipalAcc>();
  // per rule: its count, attempts and the accumulators of its techniques (looked up once per rule, not per row)
  const perRule = new Map<RuleMeta, { count: number; techs: TechAcc[] }>();
  let attempts = 0;
  let total = 0;
  const techAcc = (id: string): TechAcc => {
    let t = techniques.get(id);
    if (!t) {
      const tech = catalog.technique(id);
      t = {
        id,
        tactics: tech ? [...tech.tactics] : [],
        findings: 0,
        attempts: 0,
        principals: [],
        rules: [],
        span: new TimeSpan(),
        principalSet: new Set(),
        ruleSet: new Set(),
      };
      if (tech) t.name = tech.name;
      techniques.set(id, t);
    }
    return t;
  };
  findings.forEachRow((f) => {
    total++;
    const meta = f.meta;
    let r = perRule.get(meta);
    if (!r) {
      r = { count: 0, techs: meta.techniques.map(techAcc) };
      for (const t of r.techs) t.ruleSet.add(meta.rule.id);
      perRule.set(meta, r);
    }
    r.count++;
    if (f.attempt) attempts++;
    const who = f.principal;
    for (const t of r.techs) {
      t.findings++;
      if (f.attempt) t.attempts++;
      t.span.add(f);
      if (t.principalSet.size < PRINCIPALS_PER_TECHNIQUE) t.principalSet.add(who);
    }
    let p = principals.get(who);
    if (!p) {
      p = {
        principal: who,
        findings: 0,
        techniques: [],
        timeline: [],
        omitted: 0,
        span: new TimeSpan(),
        techSet: new Set(),
        ruleSeen: new Set(),
      };
      principals.set(who, p);
    }
    p.findings++;
    p.span.add(f);
    if (!p.ruleSeen.has(meta)) {
      p.ruleSeen.add(meta);
      for (const id of meta.techniques) p.techSet.add(id);
    }
    if (p.timeline.length < timelineLimit) {
      const entry: PrincipalTimeline["timeline"][number] = {
        ruleId: meta.rule.id,
        level: meta.rule.level,
        techniques: meta.techniques,
        attempt: f.attempt,
        origin: f.origin(),
      };
      const time = f.eventTime();
      if (time !== undefined) entry.eventTime = time;
      const name = f.eventName();
      if (name !== undefined) entry.eventName = name;
      p.timeline.push(entry);
    } else p.omitted++;
  });
  const byLevel: Record<string, number> = {};
  const byRule: Record<string, number> = {};
  const tactics = new Map<string, number>();
  for (const [meta, r] of perRule) {
    byLevel[meta.rule.level] = (byLevel[meta.rule.level] ?? 0) + r.count;
    byRule[meta.rule.id] = (byRule[meta.rule.id] ?? 0) + r.count;
    for (const ta of meta.tactics) tactics.set(ta, (tactics.get(ta) ?? 0) + r.count);
  }
  // first/last seen, with the keys in the order the schema lists them
  const seen = <T extends { span: TimeSpan }>(x: T) => {
    const { span, ...rest } = x;
    const out: Omit<T, "span"> & { firstSeen?: string; lastSeen?: string } = rest;
    const first = span.first;
    const last = span.last;
    if (first !== undefined) out.firstSeen = first;
    if (last !== undefined) out.lastSeen = last;
    return out;
  };
  const byTime = (a: { firstSeen?: string | undefined }, b: { firstSeen?: string | undefined }) =>
    (a.firstSeen ?? "").localeCompare(b.firstSeen ?? "");
  const skippedTotal = Object.values(c.skipCounts).reduce((a, b) => a + b, 0);
  const secs = c.durationMs / 1000;
  return {
    inputs: c.inputs,
    files: { scanned: c.filesScanned, skipped: c.filesSkipped, bytes: c.bytes },
    events: { read: c.read, evaluated: c.evaluated, matched: c.matched },
    skipped: { total: skippedTotal, byReason: c.skipCounts, examples: c.examples },
    rules: c.rules,
    findings: { total, attempts, byLevel, byRule },
    techniques: [...techniques.values()]
      .map(seen)
      .sort((a, b) => byTime(a, b) || compareIds(a.id, b.id))
      .map(({ principalSet, ruleSet, ...t }) => ({ ...t, principals: [...principalSet], rules: [...ruleSet] })),
    tactics: [...tactics.entries()]
      .map(([id, n]) => {
        const ta = catalog.tactic(id);
        return ta ? { id, name: ta.name, findings: n } : { id, findings: n };
      })
      .sort((a, b) => b.findings - a.findings || a.id.localeCompare(b.id)),
    principals: [...principals.values()]
      .map(seen)
      .sort((a, b) => byTime(a, b) || a.principal.localeCompare(b.principal))
      .map(({ techSet, ruleSeen, ...p }) => ({ ...p, techniques: [...techSet].sort(compareIds) })),
    ...(c.correlations ? { correlations: c.correlations } : {}),
    workers: c.workers,
    durationMs: Math.round(c.durationMs),
    scanMs: Math.round(c.scanMs),
    eventsPerSecond: secs > 0 ? Math.round(c.read / secs) : 0,
    scanEventsPerSecond: c.scanMs > 0 ? Math.round((c.read * 1000) / c.scanMs) : 0,
  };
}
