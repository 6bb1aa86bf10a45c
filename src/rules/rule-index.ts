// Pre-filter for the scanner: maps an event's eventName to the rules that could match it, so most rules are
// never evaluated. Rules without an eventName constraint are candidates for every event.
import type { CompiledRule } from "./model.js";

/** Bound on the memo of raw (not lower-cased) eventNames, so hostile input cannot grow it without limit. */
const MEMO_LIMIT = 10_000;

export class RuleIndex {
  readonly rules: readonly CompiledRule[];
  /** All exact eventNames any rule can match; null if some rule matches any eventName. */
  readonly eventNames: ReadonlySet<string> | null;
  private readonly byName = new Map<string, readonly CompiledRule[]>();
  private readonly unindexed: readonly CompiledRule[];
  private readonly memo = new Map<string, readonly CompiledRule[]>();

  constructor(rules: readonly CompiledRule[]) {
    this.rules = [...rules];
    const unindexed = this.rules.filter((r) => r.eventNames === null);
    this.unindexed = unindexed;
    const lists = new Map<string, CompiledRule[]>();
    // Keep the input order of rules within each candidate list (stable output order for the scanner).
    for (const r of this.rules) {
      if (r.eventNames === null) continue;
      for (const n of r.eventNames) {
        let list = lists.get(n);
        if (!list) {
          list = [];
          lists.set(n, list);
        }
        list.push(r);
      }
    }
    const order = new Map(this.rules.map((r, i) => [r, i]));
    for (const [n, list] of lists) {
      const merged = unindexed.length === 0 ? list : [...list, ...unindexed];
      merged.sort((a, b) => (order.get(a) as number) - (order.get(b) as number));
      this.byName.set(n, merged);
    }
    this.eventNames = unindexed.length > 0 ? null : new Set(lists.keys());
  }

  /** Rules that could match an event with this eventName (case-insensitive), including unconstrained rules. */
  candidates(eventName: string | undefined): readonly CompiledRule[] {
    if (typeof eventName !== "string") return this.unindexed;
    const hit = this.memo.get(eventName);
    if (hit !== undefined) return hit;
    const list = this.byName.get(eventName.toLowerCase()) ?? this.unindexed;
    if (this.memo.size < MEMO_LIMIT) this.memo.set(eventName, list);
    return list;
  }
}
