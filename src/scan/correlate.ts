// Correlation plumbing of the scan engine. In each thread, a Tap copies from every event matched by a rule that
// correlations or first_seen rules read just the values they need (compact tuples). On the main thread, a
// CorrelationRun feeds the tuples to the Correlator (in event-time order, through its reorder buffer) and the
// FirstSeenTracker, and turns their results into findings once the scan ends.
import type { CompiledCorrelation } from "../rules/correlation.js";
import {
  type CorrelationResult,
  Correlator,
  type CorrelatorOptions,
  type CorrelatorStats,
  type EventRef,
} from "../rules/correlation-engine.js";
import {
  getterFor,
  neededFields,
  principalOf,
  sourceNetwork,
  str,
  textOf,
  VIRTUAL,
} from "../rules/correlation-fields.js";

import { type Baseline, comboKey, FirstSeenTracker } from "../rules/first-seen.js";
import type { Getter } from "../rules/matchers.js";
import type { CompiledRule } from "../rules/model.js";
import type { Finding } from "./model.js";

/** How first_seen rules and correlations compare source addresses (IPv4 /24, IPv6 /48). */
export const sourceNetworkOf = sourceNetwork;

/** Event fields copied into each tuple, in this order. */
const EVENT_FIELDS = [
  "eventID",
  "eventTime",
  "eventSource",
  "eventName",
  "awsRegion",
  "sourceIPAddress",
  "userAgent",
  "errorCode",
  "principalArn",
  "accessKeyId",
  "accountId",
] as const;

/** One matched event for correlations: rule position, time (ms), needed values, event fields, ordinal. */
export interface CorrTuple {
  r: number;
  t: number;
  v: string[];
  f: Array<string | undefined>;
  o: number;
}

interface TapEntry {
  fields: Getter[];
  /** Only first_seen rules read this rule: a thread sends a combination again only when it is earlier. */
  firstSeenOnly: boolean;
}

/** Per-thread capture of correlation tuples. */
export class Tap {
  private readonly entries: Array<TapEntry | undefined>;
  private buffer: CorrTuple[] = [];
  /** first_seen-only rules: earliest time this thread has sent per (rule, combination). */
  private readonly earliest = new Map<string, number>();
  private static readonly MAX_EARLIEST = 500_000;

  constructor(rules: readonly CompiledRule[], correlations: readonly CompiledCorrelation[]) {
    const need = neededFields(correlations);
    const users = new Map<string, CompiledCorrelation[]>();
    for (const c of correlations) for (const t of c.targets ?? []) users.set(t, [...(users.get(t) ?? []), c]);
    this.entries = rules.map((r) => {
      const fields = need.get(r.id);
      const by = users.get(r.id);
      if (!by) return undefined;
      return {
        fields: (fields ?? []).map(getterFor),
        firstSeenOnly: by.every((c) => c.type === "first_seen"),
      };
    });
    this.fieldNames = rules.map((r) => need.get(r.id) ?? []);
  }

  /** Field paths of each rule's tuples (index = rule position), for the main thread. */
  readonly fieldNames: string[][];

  get active(): boolean {
    return this.entries.some((e) => e !== undefined);
  }

  wants(pos: number): boolean {
    return this.entries[pos] !== undefined;
  }

  capture(pos: number, event: Record<string, unknown>, ordinal: number): void {
    const entry = this.entries[pos];
    if (!entry) return;
    const t = Date.parse(str(event.eventTime) ?? "");
    const v = entry.fields.map((g) => textOf(g(event)) ?? "");
    if (entry.firstSeenOnly && Number.isFinite(t)) {
      const key = `${pos}\u0001${comboKey(v)}`;
      const prev = this.earliest.get(key);
      if (prev !== undefined && prev < t) return;
      if (prev !== undefined || this.earliest.size < Tap.MAX_EARLIEST) this.earliest.set(key, t);
    }
    const f = EVENT_FIELDS.map((k) =>
      k === "principalArn"
        ? principalOf(event)
        : k === "accountId"
          ? (VIRTUAL["techtrail.accountId"] as Getter)(event)
          : k === "accessKeyId"
            ? str((event.userIdentity as Record<string, unknown> | undefined)?.accessKeyId)
            : str(event[k]),
    ) as Array<string | undefined>;
    this.buffer.push({ r: pos, t, v, f, o: ordinal });
  }

  get pending(): number {
    return this.buffer.length;
  }

  take(): CorrTuple[] {
    const out = this.buffer;
    this.buffer = [];
    return out;
  }
}

export interface CorrelationSummary {
  /** Correlation and first_seen rules loaded. */
  rules: number;
  /** Matched events fed to correlations. */
  events: number;
  /** Events later than the reorder window (not correlated). */
  late: number;
  untimed: number;
  ungrouped: number;
  evictedByCap: number;
  peakGroups: number;
  reorderWindowMs: number;
  /** first_seen combinations not tracked because of the per-rule cap. */
  firstSeenOverflow: Record<string, number>;
  findings: number;
  warnings: string[];
}

export interface CorrelationRunOptions {
  reorderWindowMs: number;
  maxGroups?: number;
  minBuffered?: number;
  baseline?: Baseline;
  /** Correlation findings kept (the rest are counted); default 100,000. */
  maxFindings?: number;
}

const EVENT_ID = EVENT_FIELDS.indexOf("eventID");

/**
 * One shared copy per distinct string. Each message from a thread brings its own copy of every string, so the
 * events held by the reorder buffer (at least the last 50,000) would otherwise hold tens of MB of copies of
 * the same principals, sources and user agents. Cleared when full, so it stays bounded whatever the input.
 */
export class StringInterner {
  private readonly table = new Map<string, string>();
  constructor(readonly limit = 65_536) {}

  get size(): number {
    return this.table.size;
  }

  get(s: string): string {
    const shared = this.table.get(s);
    if (shared !== undefined) return shared;
    if (this.table.size >= this.limit) this.table.clear();
    this.table.set(s, s);
    return s;
  }
}

/** Main-thread side: tuples in, correlation findings out. */
export class CorrelationRun {
  private readonly interned = new StringInterner();
  private readonly correlator: Correlator;
  readonly firstSeen: FirstSeenTracker;
  private readonly results: CorrelationResult[] = [];
  private dropped = 0;
  private readonly maxFindings: number;

  constructor(
    readonly correlations: readonly CompiledCorrelation[],
    private readonly ruleIds: readonly string[],
    private readonly fieldNames: readonly string[][],
    private readonly opts: CorrelationRunOptions,
  ) {
    this.maxFindings = opts.maxFindings ?? 100_000;
    const keep = (r: CorrelationResult) => {
      if (this.results.length < this.maxFindings) this.results.push(r);
      else this.dropped++;
    };
    const corrOpts: CorrelatorOptions = { reorderWindowMs: opts.reorderWindowMs };
    if (opts.maxGroups !== undefined) corrOpts.maxGroups = opts.maxGroups;
    if (opts.minBuffered !== undefined) corrOpts.minBuffered = opts.minBuffered;
    this.correlator = new Correlator(correlations, keep, corrOpts);
    this.firstSeen = new FirstSeenTracker(correlations, opts.baseline ? { baseline: opts.baseline } : {});
  }

  /** True when a windowed correlation runs (first_seen alone does not care about arrival order). */
  get needsOrder(): boolean {
    return this.correlations.some((c) => c.type !== "first_seen");
  }

  accept(unit: number, tuples: readonly CorrTuple[]): void {
    const intern = this.interned;
    for (const tp of tuples) {
      const id = this.ruleIds[tp.r] as string;
      const names = this.fieldNames[tp.r] ?? [];
      const values: Record<string, string> = {};
      names.forEach((n, i) => {
        values[n] = intern.get(tp.v[i] ?? "");
      });
      const fields: Record<string, string> = {};
      EVENT_FIELDS.forEach((k, i) => {
        const v = tp.f[i];
        // eventIDs are unique: interning them would only fill the table
        if (v !== undefined) fields[k] = i === EVENT_ID ? v : intern.get(v);
      });
      const event: EventRef = { time: tp.t, at: [unit, tp.o], fields };
      if (this.correlator.wants(id)) this.correlator.push({ rule: id, time: tp.t, values, event });
      if (this.firstSeen.wants(id)) this.firstSeen.add(id, tp.t, values, event);
    }
  }

  /** Ends the run: every window closes and first_seen rules decide. */
  finish(): { results: CorrelationResult[]; summary: CorrelationSummary } {
    this.correlator.finish();
    const fs = this.firstSeen.results();
    for (const r of fs) {
      if (this.results.length < this.maxFindings) this.results.push(r);
      else this.dropped++;
    }
    const s: CorrelatorStats = this.correlator.stats;
    const warnings = [...this.firstSeen.warnings];
    if (s.late > 0)
      warnings.push(
        `${s.late} matched event(s) arrived after later events had been correlated (more than ${Math.round(this.opts.reorderWindowMs / 60_000)} min behind the newest) and were not correlated; raise --reorder-window`,
      );
    if (this.dropped > 0)
      warnings.push(`${this.dropped} correlation finding(s) beyond the ${this.maxFindings} kept were counted only`);
    return {
      results: this.results,
      summary: {
        rules: this.correlations.length,
        events: s.events,
        late: s.late,
        untimed: s.untimed,
        ungrouped: s.ungrouped,
        evictedByCap: s.evictedByCap,
        peakGroups: s.peakGroups,
        reorderWindowMs: this.opts.reorderWindowMs,
        firstSeenOverflow: this.firstSeen.overflow(),
        findings: this.results.length + this.dropped,
        warnings,
      },
    };
  }
}

/** A correlation result as a Finding: the event that completed it, plus what was correlated. */
export function correlationFinding(
  r: CorrelationResult,
  meta: { techniques: string[]; tactics: string[] },
  originOf: (at: number[]) => Finding["origin"],
): Finding {
  const f = r.trigger.fields;
  const finding: Finding = {
    rule: { id: r.correlation.id, title: r.correlation.title, level: r.correlation.level },
    techniques: meta.techniques,
    tactics: meta.tactics,
    attempt: f.errorCode !== undefined,
    origin: originOf(r.trigger.at),
    correlation: {
      type: r.correlation.type,
      group: r.group,
      count: r.count,
      firstTime: new Date(Number.isFinite(r.firstTime) ? r.firstTime : r.time).toISOString(),
      lastTime: new Date(r.lastTime).toISOString(),
      rules: r.rules,
      evidence: r.evidence.map((e) => {
        const ev: { eventTime?: string; eventName?: string; origin: Finding["origin"] } = { origin: originOf(e.at) };
        if (e.fields.eventTime !== undefined) ev.eventTime = e.fields.eventTime;
        if (e.fields.eventName !== undefined) ev.eventName = e.fields.eventName;
        return ev;
      }),
    },
  };
  if (r.distinct !== undefined && finding.correlation) finding.correlation.distinct = r.distinct;
  for (const k of EVENT_FIELDS) {
    const v = f[k];
    if (v !== undefined) (finding as unknown as Record<string, string>)[k] = v;
  }
  return finding;
}
