// Builds the scan summary from the sorted findings and the per-unit counters: techniques seen (count,
// first/last seen, principals), tactics, a per-principal timeline, skipped records with reasons.
import type { Catalog } from "../catalog/catalog.js";
import { compareIds } from "../catalog/catalog.js";
import type { Finding, PrincipalTimeline, ScanSummary, SkipExample, TechniqueSeen } from "./model.js";

const PRINCIPALS_PER_TECHNIQUE = 50;

export const principalOf = (f: Finding): string => f.principalArn ?? f.accessKeyId ?? "(unknown principal)";

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
  durationMs: number;
  scanMs: number;
}

export function buildSummary(
  findings: Iterable<Finding>,
  c: Counters,
  catalog: Catalog,
  timelineLimit: number,
): ScanSummary {
  const techniques = new Map<string, TechniqueSeen & { principalSet: Set<string>; ruleSet: Set<string> }>();
  const tactics = new Map<string, number>();
  const principals = new Map<string, PrincipalTimeline & { techSet: Set<string> }>();
  const byLevel: Record<string, number> = {};
  const byRule: Record<string, number> = {};
  let attempts = 0;
  let total = 0;
  for (const f of findings) {
    total++;
    byLevel[f.rule.level] = (byLevel[f.rule.level] ?? 0) + 1;
    byRule[f.rule.id] = (byRule[f.rule.id] ?? 0) + 1;
    if (f.attempt) attempts++;
    const who = principalOf(f);
    for (const id of f.techniques) {
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
          principalSet: new Set(),
          ruleSet: new Set(),
        };
        if (tech) t.name = tech.name;
        techniques.set(id, t);
      }
      t.findings++;
      if (f.attempt) t.attempts++;
      if (f.eventTime !== undefined) {
        if (t.firstSeen === undefined || f.eventTime < t.firstSeen) t.firstSeen = f.eventTime;
        if (t.lastSeen === undefined || f.eventTime > t.lastSeen) t.lastSeen = f.eventTime;
      }
      if (t.principalSet.size < PRINCIPALS_PER_TECHNIQUE) t.principalSet.add(who);
      t.ruleSet.add(f.rule.id);
    }
    for (const ta of f.tactics) tactics.set(ta, (tactics.get(ta) ?? 0) + 1);
    let p = principals.get(who);
    if (!p) {
      p = { principal: who, findings: 0, techniques: [], timeline: [], omitted: 0, techSet: new Set() };
      principals.set(who, p);
    }
    p.findings++;
    if (f.eventTime !== undefined) {
      if (p.firstSeen === undefined || f.eventTime < p.firstSeen) p.firstSeen = f.eventTime;
      if (p.lastSeen === undefined || f.eventTime > p.lastSeen) p.lastSeen = f.eventTime;
    }
    for (const id of f.techniques) p.techSet.add(id);
    if (p.timeline.length < timelineLimit) {
      const entry: PrincipalTimeline["timeline"][number] = {
        ruleId: f.rule.id,
        level: f.rule.level,
        techniques: f.techniques,
        attempt: f.attempt,
        origin: f.origin,
      };
      if (f.eventTime !== undefined) entry.eventTime = f.eventTime;
      if (f.eventName !== undefined) entry.eventName = f.eventName;
      p.timeline.push(entry);
    } else p.omitted++;
  }
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
      .sort((a, b) => byTime(a, b) || compareIds(a.id, b.id))
      .map(({ principalSet, ruleSet, ...t }) => ({ ...t, principals: [...principalSet], rules: [...ruleSet] })),
    tactics: [...tactics.entries()]
      .map(([id, n]) => {
        const ta = catalog.tactic(id);
        return ta ? { id, name: ta.name, findings: n } : { id, findings: n };
      })
      .sort((a, b) => b.findings - a.findings || a.id.localeCompare(b.id)),
    principals: [...principals.values()]
      .sort((a, b) => byTime(a, b) || a.principal.localeCompare(b.principal))
      .map(({ techSet, ...p }) => ({ ...p, techniques: [...techSet].sort(compareIds) })),
    workers: c.workers,
    durationMs: Math.round(c.durationMs),
    scanMs: Math.round(c.scanMs),
    eventsPerSecond: secs > 0 ? Math.round(c.read / secs) : 0,
    scanEventsPerSecond: c.scanMs > 0 ? Math.round((c.read * 1000) / c.scanMs) : 0,
  };
}
