// Pre-filter: decides from a record's raw bytes whether any rule could match it, so most records are never
// JSON-parsed. Two sound (never drop a possible match) tests:
//  - eventName: every `"eventName": "<value>"` in the record is looked up in the set of names the indexed rules
//    need (all occurrences are checked, so a nested key cannot hide the top-level one);
//  - rules without an eventName constraint: a literal each of them requires somewhere in the record
//    (derived from its Sigma detection), searched case-insensitively; a rule with no such literal (regex,
//    cidr, exists, numbers, negations only) makes every record a candidate.
import { parseAllDocuments } from "yaml";
import { expandOfPattern, parseCondition } from "../rules/condition.js";
import type { CompiledRule } from "../rules/index.js";
import { tokenizePattern } from "../rules/matchers.js";

export interface PrefilterPlan {
  /** Lower-cased eventNames some indexed rule needs; null = no name test (every record is parsed). */
  names: ReadonlySet<string> | null;
  /** Case-insensitive test for the literals of the unindexed rules; null when there are none. */
  generic: RegExp | null;
  /** Some unindexed rule has no required literal: every record is a candidate. */
  all: boolean;
}

/** Builds the plan for a rule set; `texts` maps a rule's source to its file text. */
export function planPrefilter(rules: readonly CompiledRule[], texts: ReadonlyMap<string, string>): PrefilterPlan {
  const names = new Set<string>();
  const literals = new Set<string>();
  let all = false;
  for (const r of rules) {
    if (r.eventNames !== null) {
      for (const n of r.eventNames) names.add(n);
      continue;
    }
    const tokens = requiredLiterals(r, texts.get(r.source));
    if (tokens === null) all = true;
    else for (const t of tokens) literals.add(t.toLowerCase());
  }
  const generic =
    !all && literals.size > 0
      ? new RegExp([...literals].map((l) => l.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|"), "i")
      : null;
  return { names: all ? null : names, generic, all };
}

/** Literals of which at least one occurs in any record the rule matches, or null when none can be derived. */
export function requiredLiterals(rule: CompiledRule, text: string | undefined): string[] | null {
  if (text === undefined) return null;
  let detection: Record<string, unknown> | undefined;
  try {
    const docs = parseAllDocuments(text);
    const list = Array.isArray(docs) ? docs : [docs];
    const values = list.map((d) => d.toJS() as Record<string, unknown> | null).filter((d) => d?.detection);
    const doc = values.length === 1 ? values[0] : values.find((d) => d?.id === rule.id || d?.title === rule.title);
    detection = doc?.detection as Record<string, unknown> | undefined;
  } catch {
    return null;
  }
  if (!detection || typeof detection.condition !== "string") return null;
  const idents = Object.keys(detection).filter((k) => k !== "condition" && k !== "timeframe");
  let tree: ReturnType<typeof parseCondition>;
  try {
    tree = parseCondition(detection.condition);
  } catch {
    return null;
  }
  const ofIdent = (name: string): Need => needOfIdentifier(detection[name]);
  const walk = (n: typeof tree): Need => {
    switch (n.kind) {
      case "id":
        return ofIdent(n.name);
      case "not":
        return null;
      case "and":
        return andNeeds(n.items.map(walk));
      case "or":
        return orNeeds(n.items.map(walk));
      case "of": {
        const ids = expandOfPattern(n.pattern, idents).map(ofIdent);
        if (ids.length === 0) return null;
        return n.quantifier === "all" ? andNeeds(ids) : orNeeds(ids);
      }
    }
  };
  const need = walk(tree);
  return need && need.length > 0 ? need : null;
}

/** A disjunction of literals (one of them must occur), or null for "no constraint". */
type Need = string[] | null;

function andNeeds(items: Need[]): Need {
  // any one conjunct's need is necessary; keep the most selective (fewest alternatives, longest literals)
  let best: Need = null;
  for (const n of items) {
    if (n === null) continue;
    if (best === null || score(n) > score(best)) best = n;
  }
  return best;
}

function orNeeds(items: Need[]): Need {
  const out: string[] = [];
  for (const n of items) {
    if (n === null) return null;
    out.push(...n);
  }
  return out;
}

const score = (n: string[]): number => Math.min(...n.map((s) => s.length)) - n.length;

function needOfIdentifier(sel: unknown): Need {
  if (typeof sel === "string") return literalOf(sel);
  if (Array.isArray(sel)) {
    if (sel.every((x) => typeof x === "string")) return orNeeds(sel.map((x) => literalOf(x as string)));
    if (sel.every((x) => x && typeof x === "object" && !Array.isArray(x))) return orNeeds(sel.map(needOfMap));
    return null;
  }
  if (sel && typeof sel === "object") return needOfMap(sel as Record<string, unknown>);
  return null;
}

const LITERAL_MODIFIERS = new Set(["contains", "startswith", "endswith", "all", "cased"]);

function needOfMap(map: Record<string, unknown>): Need {
  const fields: Need[] = [];
  for (const [key, value] of Object.entries(map)) {
    const modifiers = key.split("|").slice(1);
    if (modifiers.includes("re") && modifiers.every((m) => REGEX_MODIFIERS.has(m))) {
      const values = Array.isArray(value) ? value : [value];
      const ok = values.length > 0 && values.every((v) => typeof v === "string");
      fields.push(ok ? orNeeds((values as string[]).map(regexLiteral)) : null);
      continue;
    }
    if (!modifiers.every((m) => LITERAL_MODIFIERS.has(m))) {
      fields.push(null);
      continue;
    }
    const values = Array.isArray(value) ? value : [value];
    if (values.length === 0 || !values.every((v) => typeof v === "string")) {
      fields.push(null);
      continue;
    }
    const needs = (values as string[]).map(literalOf);
    fields.push(modifiers.includes("all") ? andNeeds(needs) : orNeeds(needs));
  }
  return andNeeds(fields);
}

const REGEX_MODIFIERS = new Set(["re", "i", "m", "s"]);

/**
 * The longest literal every match of a simple regex contains. Gives up (null) on alternation, groups, classes,
 * braces and escapes; a character followed by `*` or `?` is optional and dropped.
 */
function regexLiteral(re: string): Need {
  if (/[|()[\]{}\\]/.test(re)) return null;
  const runs: string[] = [];
  let run = "";
  for (const c of re) {
    if (c === "*" || c === "?") {
      run = run.slice(0, -1);
      runs.push(run);
      run = "";
    } else if (c === "+") {
      runs.push(run);
      run = "";
    } else if (c === "." || c === "^" || c === "$") {
      runs.push(run);
      run = "";
    } else run += c;
  }
  runs.push(run);
  let best: Need = null;
  for (const r of runs) {
    const lit = literalOf(r.replace(/[*?]/g, ""));
    if (lit && (best === null || (lit[0] as string).length > (best[0] as string).length)) best = lit;
  }
  return best;
}

/**
 * The longest piece of a Sigma value that must appear verbatim in the record's JSON text: wildcards split it,
 * and so do characters a JSON encoder may escape (quote, backslash, slash, <, >, &, ', control, non-ASCII).
 */
function literalOf(value: string): Need {
  let best = "";
  for (const t of tokenizePattern(value)) {
    if (!("lit" in t)) continue;
    for (const piece of t.lit.split(/[^A-Za-z0-9 _.:@=+,;#%!~$()[\]{}|^`?*-]+/)) {
      if (piece.length > best.length) best = piece;
    }
  }
  return best.length >= 3 ? [best] : null;
}

const EVENT_NAME_KEY = Buffer.from('"eventName"', "latin1");
const KEY_LEN = EVENT_NAME_KEY.length;

/**
 * Applies a plan to the records of one buffer. Keeps a forward-only cursor on the next `"eventName"` key,
 * so the whole buffer is searched once however many records it holds.
 */
export class RecordPrefilter {
  private cur: Buffer | null = null;
  private next = -1;

  constructor(private readonly plan: PrefilterPlan) {}

  /** True when the record must be parsed and evaluated. */
  candidate(buf: Buffer, s: number, e: number): boolean {
    const plan = this.plan;
    if (plan.names === null) return true;
    if (buf !== this.cur) {
      this.cur = buf;
      this.next = buf.indexOf(EVENT_NAME_KEY, s);
    } else if (this.next >= 0 && this.next < s) {
      this.next = buf.indexOf(EVENT_NAME_KEY, s);
    }
    let found = false;
    let hit = false;
    while (this.next >= 0 && this.next < e) {
      found = true;
      if (!hit && this.nameMatches(buf, this.next + KEY_LEN, e)) hit = true;
      this.next = buf.indexOf(EVENT_NAME_KEY, this.next + KEY_LEN);
    }
    // no eventName at all: parse, so the record is reported as not CloudTrail
    if (hit || !found) return true;
    if (plan.generic !== null) return plan.generic.test(buf.toString("latin1", s, e));
    return false;
  }

  /** Reads the string value after a key; true if it is in the set or cannot be read safely. */
  private nameMatches(buf: Buffer, p: number, e: number): boolean {
    while (p < e && (buf[p] === 0x20 || buf[p] === 0x0a || buf[p] === 0x0d || buf[p] === 0x09)) p++;
    if (buf[p] !== 0x3a) return false; // `"eventName"` used as a value, not a key
    p++;
    while (p < e && (buf[p] === 0x20 || buf[p] === 0x0a || buf[p] === 0x0d || buf[p] === 0x09)) p++;
    if (buf[p] !== 0x22) return true; // not a string: let the parser and rules decide
    const start = p + 1;
    let q = start;
    while (q < e) {
      const c = buf[q] as number;
      if (c === 0x22) break;
      if (c === 0x5c || c >= 0x80) return true; // escapes or non-ASCII: compare after real parsing
      q++;
    }
    if (q >= e) return true;
    return (this.plan.names as ReadonlySet<string>).has(buf.toString("latin1", start, q).toLowerCase());
  }
}
