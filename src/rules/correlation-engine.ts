// Stateful evaluation of correlation rules over matched events in event-time order. Events may arrive out of
// order (CloudTrail delivery files are not globally ordered, and workers finish files in any order): they wait
// in a reorder buffer until the newest time seen is `reorderWindowMs` past them. An event older than one already
// released to the correlations (so at least that far behind the newest) is counted as late and left out. State is per (correlation, group) and is evicted once its
// timespan has passed, with a hard cap on live groups per correlation. Pure: no I/O.
import { type CompiledCorrelation, fieldFor, isMonotone, satisfies } from "./correlation.js";

/** What a correlation reports about one contributing event (fields copied from the CloudTrail record). */
export interface EventRef {
  time: number;
  /** Opaque location of the event for the caller (e.g. unit and ordinal). */
  at: number[];
  /** Finding-like fields of the event (eventName, principalArn, ...). */
  fields: Record<string, string>;
}

/** One matched event as correlations see it: which rule matched and the field values they need. */
export interface CorrelationInput {
  rule: string;
  time: number;
  /** Field path → value (group-by fields, aliases' fields, value_count fields). */
  values: Record<string, string>;
  event: EventRef;
}

export interface CorrelationResult {
  correlation: CompiledCorrelation;
  /** Event time at which the condition held (or the window closed, for upper-bounded conditions). */
  time: number;
  group: Record<string, string>;
  /** Events in the window (event_count / value_count), or rules seen (temporal). */
  count: number;
  /** Distinct values of the counted field (value_count). */
  distinct?: number;
  firstTime: number;
  lastTime: number;
  rules: string[];
  /** The event that completed the condition (the last one, for windows evaluated when they close). */
  trigger: EventRef;
  /** Up to SAMPLE_EVENTS contributing events. */
  evidence: EventRef[];
}

export interface CorrelatorOptions {
  /** How far behind the newest event time an event may arrive and still count (default 1 h). */
  reorderWindowMs?: number;
  /** Live groups kept per correlation; the least recently updated is evicted beyond it (default 100,000). */
  maxGroups?: number;
  /**
   * The buffer also keeps at least this many of the latest events whatever their times (default 50,000), so
   * small inputs are correlated in exact time order even when files arrive far out of order.
   */
  minBuffered?: number;
}

export interface CorrelatorStats {
  /** Events fed to correlations (after the reorder buffer). */
  events: number;
  /** Events that arrived later than the reorder window allowed; not correlated. */
  late: number;
  /** Events without a usable eventTime; not correlated. */
  untimed: number;
  /** Events left out because a group-by field was missing. */
  ungrouped: number;
  /** Groups evicted by the cap before their timespan passed. */
  evictedByCap: number;
  /** Most groups alive at once (all correlations). */
  peakGroups: number;
}

const SAMPLE_EVENTS = 5;
export const DEFAULT_REORDER_WINDOW_MS = 3_600_000;
export const DEFAULT_MAX_GROUPS = 100_000;
export const DEFAULT_MIN_BUFFERED = 50_000;

interface Group {
  key: string;
  values: Record<string, string>;
  first: number;
  last: number;
  /** Window start for upper-bounded (tumbling) windows. */
  start: number;
  times: number[];
  head: number;
  /** value_count: values in window order, with counts. */
  vals: string[];
  counts: Map<string, number> | undefined;
  /** temporal: last time each target was seen; temporal_ordered: chain start per completed step. */
  seen: number[];
  /** Rules seen in the window; allocated once a second rule shows up (most groups see one). */
  rulesSeen: Set<string> | undefined;
  firstRule: string;
  evidence: EventRef[];
  lastEvent: EventRef;
}

class CorrelationState {
  readonly groups = new Map<string, Group>();
  readonly monotone: boolean;
  /** Target ID → its positions in the rule list (a rule may be listed once). */
  readonly position = new Map<string, number>();
  /** Event time of the last expiry sweep (sweeps are spaced: a Map walk skips deleted entries, which costs). */
  lastSweep = Number.NEGATIVE_INFINITY;
  readonly sweepEvery: number;
  constructor(readonly c: CompiledCorrelation) {
    this.monotone = c.type === "temporal" || c.type === "temporal_ordered" || isMonotone(c.bounds);
    for (const [i, t] of (c.targets ?? []).entries()) this.position.set(t, i);
    this.sweepEvery = Math.max(1000, c.timespanMs / 16);
  }
}

/** A min-heap of inputs by time (ties keep arrival order). */
class TimeHeap {
  private items: Array<{ t: number; n: number; v: CorrelationInput }> = [];
  private seq = 0;
  get size(): number {
    return this.items.length;
  }
  peek(): number {
    return this.items[0]?.t ?? Number.POSITIVE_INFINITY;
  }
  push(v: CorrelationInput): void {
    const a = this.items;
    a.push({ t: v.time, n: this.seq++, v });
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!less(a[i] as Item, a[p] as Item)) break;
      [a[i], a[p]] = [a[p] as Item, a[i] as Item];
      i = p;
    }
  }
  pop(): CorrelationInput | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && less(a[l] as Item, a[m] as Item)) m = l;
        if (r < a.length && less(a[r] as Item, a[m] as Item)) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m] as Item, a[i] as Item];
        i = m;
      }
    }
    return top?.v;
  }
}
type Item = { t: number; n: number; v: CorrelationInput };
/** Ties in time are broken by the events' locations, so results do not depend on which thread finished first. */
export function compareAt(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const d = (a[i] as number) - (b[i] as number);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}
const less = (a: Item, b: Item) => {
  if (a.t !== b.t) return a.t < b.t;
  const c = compareAt(a.v.event.at, b.v.event.at);
  return c !== 0 ? c < 0 : a.n < b.n;
};

/**
 * Runs correlation rules (event_count, value_count, temporal, temporal_ordered, chained) over matched events.
 * Feed with push(); call finish() at the end; results arrive through the callback as they fire.
 */
export class Correlator {
  private readonly states: CorrelationState[];
  /** Rule or correlation ID → correlations that reference it. */
  private readonly consumers = new Map<string, CorrelationState[]>();
  private readonly heap = new TimeHeap();
  private readonly reorder: number;
  private readonly maxGroups: number;
  private readonly minBuffered: number;
  private newest = Number.NEGATIVE_INFINITY;
  private released = Number.NEGATIVE_INFINITY;
  private liveGroups = 0;
  readonly stats: CorrelatorStats = { events: 0, late: 0, untimed: 0, ungrouped: 0, evictedByCap: 0, peakGroups: 0 };

  constructor(
    correlations: readonly CompiledCorrelation[],
    private readonly onResult: (r: CorrelationResult) => void,
    opts: CorrelatorOptions = {},
  ) {
    this.reorder = opts.reorderWindowMs ?? DEFAULT_REORDER_WINDOW_MS;
    this.maxGroups = opts.maxGroups ?? DEFAULT_MAX_GROUPS;
    this.minBuffered = opts.minBuffered ?? DEFAULT_MIN_BUFFERED;
    this.states = correlations.filter((c) => c.type !== "first_seen").map((c) => new CorrelationState(c));
    for (const s of this.states)
      for (const t of s.c.targets ?? []) {
        const list = this.consumers.get(t) ?? [];
        list.push(s);
        this.consumers.set(t, list);
      }
  }

  /** IDs whose matches this correlator needs. */
  wants(id: string): boolean {
    return this.consumers.has(id);
  }

  push(input: CorrelationInput): void {
    if (!Number.isFinite(input.time)) {
      this.stats.untimed++;
      return;
    }
    if (input.time < this.released) {
      this.stats.late++;
      return;
    }
    this.heap.push(input);
    if (input.time > this.newest) this.newest = input.time;
    const until = this.newest - this.reorder;
    while (this.heap.size > this.minBuffered && this.heap.peek() <= until)
      this.release(this.heap.pop() as CorrelationInput);
  }

  /** Releases everything buffered and closes every open window. */
  finish(): void {
    while (this.heap.size > 0) this.release(this.heap.pop() as CorrelationInput);
    for (const s of this.states) {
      for (const g of s.groups.values()) this.close(s, g);
      s.groups.clear();
    }
    this.liveGroups = 0;
  }

  private release(input: CorrelationInput): void {
    this.released = input.time;
    this.stats.events++;
    this.feed(input);
  }

  private feed(input: CorrelationInput): void {
    for (const s of this.consumers.get(input.rule) ?? []) {
      this.expire(s, input.time);
      const values: Record<string, string> = {};
      let parts = "";
      let missing = false;
      for (const f of s.c.groupBy) {
        const v = input.values[fieldFor(s.c, f, refOf(s, input.rule))];
        if (v === undefined || v === "") {
          missing = true;
          break;
        }
        values[f] = v;
        parts += `${v}\u0000`;
      }
      if (missing) {
        this.stats.ungrouped++;
        continue;
      }
      let g = s.groups.get(parts);
      if (g)
        s.groups.delete(parts); // re-inserted last: Map order is least recently updated first
      else {
        g = newGroup(parts, values, input);
        this.liveGroups++;
        if (this.liveGroups > this.stats.peakGroups) this.stats.peakGroups = this.liveGroups;
      }
      s.groups.set(parts, g);
      this.update(s, g, input);
      if (s.groups.size > this.maxGroups) {
        const [oldKey, old] = s.groups.entries().next().value as [string, Group];
        s.groups.delete(oldKey);
        this.liveGroups--;
        this.stats.evictedByCap++;
        this.close(s, old);
      }
    }
  }

  /** Evicts groups whose last event is more than a timespan before `now` (closing their windows). */
  private expire(s: CorrelationState, now: number): void {
    if (now - s.lastSweep < s.sweepEvery) return;
    s.lastSweep = now;
    for (const [k, g] of s.groups) {
      if (now - g.last <= s.c.timespanMs) break;
      s.groups.delete(k);
      this.liveGroups--;
      this.close(s, g);
    }
  }

  private update(s: CorrelationState, g: Group, input: CorrelationInput): void {
    const c = s.c;
    const t = input.time;
    if (Number.isNaN(g.first)) {
      g.first = t;
      g.start = t;
    }
    if (!s.monotone && t - g.start > c.timespanMs) {
      // upper-bounded conditions are judged on whole (tumbling) windows when they close
      this.close(s, g);
      resetGroup(g, input);
    }
    g.last = t;
    g.lastEvent = input.event;
    if (g.evidence.length < SAMPLE_EVENTS) g.evidence.push(input.event);
    if (g.firstRule === "") g.firstRule = input.rule;
    else if (input.rule !== g.firstRule) {
      g.rulesSeen ??= new Set([g.firstRule]);
      g.rulesSeen.add(input.rule);
    }
    if (c.type === "event_count" || c.type === "value_count") {
      g.times.push(t);
      if (c.type === "value_count") {
        const v = input.values[fieldFor(c, c.field as string, refOf(s, input.rule))] ?? "";
        g.vals.push(v);
        if (v !== "") {
          g.counts ??= new Map();
          g.counts.set(v, (g.counts.get(v) ?? 0) + 1);
        }
      }
      if (s.monotone) this.slide(s, g, t);
      if (s.monotone && satisfies(c.bounds, measure(c, g))) this.fire(s, g, input.event);
      return;
    }
    const pos = s.position.get(input.rule);
    if (pos === undefined) return;
    if (c.type === "temporal") {
      g.seen[pos] = t;
      const n = g.seen.filter((x) => x !== undefined && t - x <= c.timespanMs).length;
      const need = c.bounds.length > 0 ? satisfies(c.bounds, n) : n === s.position.size;
      if (need) this.fire(s, g, input.event);
      return;
    }
    // temporal_ordered: seen[i] = start time of the latest chain that has completed steps 0..i
    if (pos === 0) g.seen[0] = t;
    else {
      const prev = g.seen[pos - 1];
      if (prev !== undefined && t - prev <= c.timespanMs) g.seen[pos] = prev;
    }
    let done = 0;
    while (done < s.position.size && g.seen[done] !== undefined && t - (g.seen[done] as number) <= c.timespanMs) done++;
    const fire = c.bounds.length > 0 ? satisfies(c.bounds, done) && pos === done - 1 : done === s.position.size;
    if (fire) this.fire(s, g, input.event);
  }

  /** Drops events older than the timespan from a sliding window. */
  private slide(s: CorrelationState, g: Group, now: number): void {
    const c = s.c;
    while (g.head < g.times.length && now - (g.times[g.head] as number) > c.timespanMs) {
      if (c.type === "value_count") {
        const v = g.vals[g.head] as string;
        const n = (g.counts?.get(v) ?? 1) - 1;
        if (n <= 0) g.counts?.delete(v);
        else g.counts?.set(v, n);
      }
      g.head++;
    }
    if (g.head > 1024 && g.head * 2 > g.times.length) {
      g.times = g.times.slice(g.head);
      g.vals = g.vals.slice(g.head);
      g.head = 0;
    }
  }

  /** A window ends (eviction, end of input, or a new tumbling window): upper-bounded conditions are judged. */
  private close(s: CorrelationState, g: Group): void {
    if (s.monotone) return;
    if (g.times.length - g.head > 0 && satisfies(s.c.bounds, measure(s.c, g))) this.fire(s, g, g.lastEvent);
  }

  private fire(s: CorrelationState, g: Group, trigger: EventRef): void {
    const c = s.c;
    const r: CorrelationResult = {
      correlation: c,
      time: trigger.time,
      group: { ...g.values },
      count: c.type === "temporal" || c.type === "temporal_ordered" ? rulesOf(g).length : g.times.length - g.head,
      firstTime: g.first,
      lastTime: g.last,
      rules: rulesOf(g),
      trigger,
      evidence: [...g.evidence],
    };
    if (c.type === "value_count") r.distinct = g.counts?.size ?? 0;
    this.onResult(r);
    // the group starts over: one result per burst, not one per event after the threshold
    resetGroup(g, undefined);
    // chained correlations see this result as an event of rule c.id, carrying the group's values
    if (this.consumers.has(c.id))
      this.feed({
        rule: c.id,
        time: trigger.time,
        values: { ...trigger.fields, ...g.values, ...r.group },
        event: trigger,
      });
  }

  /** Live groups across all correlations (for tests and memory checks). */
  get groups(): number {
    return this.liveGroups;
  }
}

const refOf = (s: CorrelationState, id: string): string => {
  const i = s.position.get(id);
  return i === undefined ? id : (s.c.ruleRefs[i] ?? id);
};

function measure(c: CompiledCorrelation, g: Group): number {
  return c.type === "value_count" ? (g.counts?.size ?? 0) : g.times.length - g.head;
}

const rulesOf = (g: Group): string[] =>
  g.rulesSeen ? [...g.rulesSeen].sort() : g.firstRule === "" ? [] : [g.firstRule];

function newGroup(key: string, values: Record<string, string>, input: CorrelationInput): Group {
  return {
    key,
    values,
    first: input.time,
    last: input.time,
    start: input.time,
    times: [],
    head: 0,
    vals: [],
    counts: undefined,
    seen: [],
    rulesSeen: undefined,
    firstRule: "",
    evidence: [],
    lastEvent: input.event,
  };
}

function resetGroup(g: Group, input: CorrelationInput | undefined): void {
  g.times = [];
  g.head = 0;
  g.vals = [];
  g.counts = undefined;
  g.seen = [];
  g.rulesSeen = undefined;
  g.firstRule = "";
  g.evidence = [];
  if (input) {
    g.first = input.time;
    g.start = input.time;
  } else g.first = Number.NaN;
}
