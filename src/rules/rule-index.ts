// Pre-filter for the scanner: maps an event's eventName to the rules that could match it, so most rules are
// never evaluated. Rules without an eventName constraint are candidates for every event; rules with prefix
// constraints (`Delete*`) are resolved once per distinct eventName and memoised.
import type { CompiledRule } from "./model.js";

/** Bound on the memo, so hostile input with endless distinct eventNames cannot grow it without limit. */
const MEMO_LIMIT = 20_000;

export class RuleIndex {
  readonly rules: readonly CompiledRule[];
  /** All exact eventNames (lower-cased) any rule can match; null if some rule matches any eventName or a prefix. */
  readonly eventNames: ReadonlySet<string> | null;
  private readonly unindexed: readonly CompiledRule[];
  private readonly exact = new Map<string, CompiledRule[]>();
  private readonly prefixed: ReadonlyArray<{ prefix: string; rule: CompiledRule }>;
  private readonly order: ReadonlyMap<CompiledRule, number>;
  private readonly memo = new Map<string, readonly CompiledRule[]>();

  constructor(rules: readonly CompiledRule[]) {
    this.rules = [...rules];
    this.order = new Map(this.rules.map((r, i) => [r, i]));
    this.unindexed = this.rules.filter((r) => r.eventNameFilter === null);
    const prefixed: Array<{ prefix: string; rule: CompiledRule }> = [];
    for (const r of this.rules) {
      const f = r.eventNameFilter;
      if (f === null) continue;
      for (const n of f.values) {
        const list = this.exact.get(n);
        if (list) list.push(r);
        else this.exact.set(n, [r]);
      }
      for (const prefix of f.prefixes) prefixed.push({ prefix, rule: r });
    }
    this.prefixed = prefixed;
    this.eventNames = this.unindexed.length > 0 || prefixed.length > 0 ? null : new Set(this.exact.keys());
  }

  /** Rules that could match an event with this eventName (case-insensitive), including unconstrained rules. */
  candidates(eventName: string | undefined): readonly CompiledRule[] {
    if (typeof eventName !== "string") return this.unindexed;
    const hit = this.memo.get(eventName);
    if (hit !== undefined) return hit;
    const list = this.resolve(eventName.toLowerCase());
    if (this.memo.size >= MEMO_LIMIT) this.memo.clear();
    this.memo.set(eventName, list);
    return list;
  }

  private resolve(name: string): readonly CompiledRule[] {
    const found = new Set<CompiledRule>(this.exact.get(name));
    for (const p of this.prefixed) if (name.startsWith(p.prefix)) found.add(p.rule);
    if (found.size === 0) return this.unindexed;
    for (const r of this.unindexed) found.add(r);
    // Input order of rules, so the scanner reports matches in a stable order.
    return [...found].sort((a, b) => (this.order.get(a) as number) - (this.order.get(b) as number));
  }
}
