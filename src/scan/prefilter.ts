// Pre-filter: decides from a record's raw bytes whether any rule could match it, so most records are never
// JSON-parsed. Sound (it never drops a record a rule could match):
//  - every `"eventName": "<value>"` in the record is read (all occurrences, so a nested key cannot hide the
//    top-level one) and gives the rules that could match: those indexed under that name plus the unindexed ones;
//  - each rule contributes literals of which at least one must occur in any record it matches (derived from
//    its Sigma detection, ignoring eventName/eventSource); the record is parsed only if one of the candidate
//    rules' literals occurs in it (case-insensitive), or a candidate rule has no such literal (regex with
//    alternation, cidr, exists, numbers, negations only);
//  - a literal from a field's value is looked for in the value of a key of that name only (`"type": "...IAMUser`,
//    also under a flattened dotted key), or after such a key holding an array or object: a literal such as
//    `ec2.amazonaws.com` wanted in sourceIPAddress no longer lets through every EC2 record for its eventSource.
import { parseAllDocuments } from "yaml";
import { expandOfPattern, parseCondition } from "../rules/condition.js";
import type { CompiledRule } from "../rules/index.js";
import { tokenizePattern } from "../rules/matchers.js";
import { latin1Slice } from "./slices.js";

/** What to do with a record: parse it always (true), never (null), or when the pattern occurs in it. */
export type RecordTest = RegExp | true | null;

export interface PrefilterPlan {
  /** False: no pre-filter, every record is parsed. */
  enabled: boolean;
  /** Test per lower-cased eventName of the rules indexed under it (a record of that name also gets `other`). */
  byName: ReadonlyMap<string, RecordTest>;
  /** Test of the rules without an eventName constraint, for every record. */
  other: RecordTest;
  /**
   * The own test of a lower-cased eventName: the rules indexed under it and those whose eventName filter has a
   * matching prefix (`eventName|startswith: UpdateFunctionCode` for Lambda's versioned names). Memoised.
   */
  lookup?(name: string): RecordTest;
}

/** The own test of a lower-cased eventName under a plan (exact names, then prefixes). */
export const nameTestOf = (plan: PrefilterPlan, name: string): RecordTest =>
  plan.lookup ? plan.lookup(name) : (plan.byName.get(name) ?? null);

const escapeRe = (l: string) => l.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * A key's value that holds one of the literals: a string containing one (escapes skipped whole), a bare scalar
 * (`true`, a number) containing one, or an array or object (its elements or JSON text may hold it: parse).
 * The key may be flattened under a dotted name (`"userIdentity.type"`), as the field getter accepts.
 */
const keyedPattern = (key: string, alt: string) =>
  `"(?:[^"\\\\]*\\.)?${escapeRe(key)}"\\s*:\\s*(?:"(?:[^"\\\\]|\\\\.)*?(?:${alt})|[[{]|(?=[^"[{\\s])[^,}\\]]*?(?:${alt}))`;

function testOf(needs: readonly Need[]): RecordTest {
  const free = new Set<string>();
  const byKey = new Map<string, Set<string>>();
  for (const n of needs) {
    if (n === null) return true;
    // (an empty need is a rule that cannot match these records: it adds nothing)
    for (const l of n) {
      const text = l.text.toLowerCase();
      if (l.key === undefined) free.add(text);
      else {
        const set = byKey.get(l.key) ?? new Set<string>();
        byKey.set(l.key, set);
        set.add(text);
      }
    }
  }
  const parts = [...free].sort().map(escapeRe);
  for (const key of [...byKey.keys()].sort()) {
    // a literal looked for anywhere already covers the same literal under a key
    const lits = [...(byKey.get(key) as Set<string>)].filter((l) => !free.has(l)).sort();
    if (lits.length > 0) parts.push(keyedPattern(key, lits.map(escapeRe).join("|")));
  }
  if (parts.length === 0) return null;
  return new RegExp(parts.join("|"), "i");
}

/** Builds the plan for a rule set; `texts` maps a rule's source to its file text. */
export function planPrefilter(rules: readonly CompiledRule[], texts: ReadonlyMap<string, string>): PrefilterPlan {
  const perName = new Map<string, Need[]>();
  const unindexed: Need[] = [];
  const byPrefix: Array<{ prefix: string; rule: CompiledRule }> = [];
  for (const r of rules) {
    const f = r.eventNameFilter;
    if (r.eventNames === null && (f === null || f.prefixes.length === 0)) {
      unindexed.push(requiredNeed(r, texts.get(r.source)));
      continue;
    }
    // prefixes are looked up per name when it is first met (the names are not known in advance)
    for (const prefix of f?.prefixes ?? []) byPrefix.push({ prefix, rule: r });
    // per eventName: selections that require another eventName drop out of the rule's need for this one
    for (const n of r.eventNames ?? f?.values ?? []) {
      let list = perName.get(n);
      if (!list) {
        list = [];
        perName.set(n, list);
      }
      list.push(requiredNeed(r, texts.get(r.source), n));
    }
  }
  const byName = new Map<string, RecordTest>();
  for (const [n, list] of perName) byName.set(n, testOf(list));
  const other = testOf(unindexed);
  if (byPrefix.length === 0) return { enabled: other !== true, byName, other };
  const memo = new Map<string, RecordTest>();
  const lookup = (name: string): RecordTest => {
    let t = memo.get(name);
    if (t !== undefined) return t;
    const hits = byPrefix.filter((p) => name.startsWith(p.prefix));
    if (hits.length === 0) t = byName.get(name) ?? null;
    else {
      const needs = [...(perName.get(name) ?? [])];
      for (const rule of new Set(hits.map((h) => h.rule))) needs.push(requiredNeed(rule, texts.get(rule.source), name));
      t = testOf(needs);
    }
    if (memo.size >= 4096) memo.clear();
    memo.set(name, t);
    return t;
  };
  return { enabled: other !== true, byName, other, lookup };
}

/**
 * Literals of which at least one occurs in any record the rule matches, or null when none can be derived.
 * With `eventName` (lower-cased; for rules indexed by name), for records of that name only: an empty list then
 * means the rule cannot match them at all.
 */
export function requiredLiterals(rule: CompiledRule, text: string | undefined, eventName?: string): string[] | null {
  return requiredNeed(rule, text, eventName)?.map((l) => l.text) ?? null;
}

/** requiredLiterals() with the key each literal must be found under, when it comes from a field's value. */
export function requiredNeed(rule: CompiledRule, text: string | undefined, eventName?: string): Need {
  let detection: Record<string, unknown> | undefined = rule.detection;
  if (detection === undefined) {
    // a rule compiled elsewhere: read the detection from its file
    if (text === undefined) return null;
    try {
      const docs = parseAllDocuments(text);
      const list = Array.isArray(docs) ? docs : [docs];
      const values = list.map((d) => d.toJS() as Record<string, unknown> | null).filter((d) => d?.detection);
      const doc = values.length === 1 ? values[0] : values.find((d) => d?.id === rule.id || d?.title === rule.title);
      detection = doc?.detection as Record<string, unknown> | undefined;
    } catch {
      return null;
    }
  }
  if (!detection || typeof detection.condition !== "string") return null;
  const idents = Object.keys(detection).filter((k) => k !== "condition" && k !== "timeframe");
  let tree: ReturnType<typeof parseCondition>;
  try {
    tree = parseCondition(detection.condition);
  } catch {
    return null;
  }
  const skipIndexed = rule.eventNames !== null;
  const ofIdent = (name: string): Need => needOfIdentifier(detection[name], skipIndexed, eventName);
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
  return walk(tree);
}

/**
 * A disjunction of literals (one of them must occur), null for "no constraint", or the empty list for "cannot
 * match" (a selection that requires another eventName than the one the need is computed for).
 */
export type Need = Lit[] | null;

/** A literal that must occur in the record; with `key`, inside the value of a key of that name. */
export interface Lit {
  text: string;
  key?: string;
}

function andNeeds(items: Need[]): Need {
  // any one conjunct's need is necessary; keep the most selective (fewest alternatives, longest literals)
  let best: Need = null;
  for (const n of items) {
    if (n === null) continue;
    if (n.length === 0) return n;
    if (best === null || score(n) > score(best)) best = n;
  }
  return best;
}

function orNeeds(items: Need[]): Need {
  const out: Lit[] = [];
  for (const n of items) {
    if (n === null) return null;
    out.push(...n);
  }
  return out;
}

// a literal under a key is rarer than its length says (it must be in that key's value)
const score = (n: Lit[]): number => Math.min(...n.map((l) => l.text.length + (l.key === undefined ? 0 : 4))) - n.length;

function needOfIdentifier(sel: unknown, skipIndexed: boolean, eventName: string | undefined): Need {
  if (typeof sel === "string") return literalOf(sel);
  if (Array.isArray(sel)) {
    if (sel.every((x) => typeof x === "string")) return orNeeds(sel.map((x) => literalOf(x as string)));
    if (sel.every((x) => x && typeof x === "object" && !Array.isArray(x)))
      return orNeeds(sel.map((m) => needOfMap(m as Record<string, unknown>, skipIndexed, eventName)));
    return null;
  }
  if (sel && typeof sel === "object") return needOfMap(sel as Record<string, unknown>, skipIndexed, eventName);
  return null;
}

/**
 * True when an `eventName` selection cannot match `name` (lower-cased): plain values, `*` and `?` wildcards,
 * startswith, endswith or contains (escapes give up). Compared lower-cased, which only widens a `cased` test.
 */
function excludesName(modifiers: string[], value: unknown, name: string): boolean {
  const place = modifiers.filter((m) => m !== "cased");
  if (place.length > 1 || (place.length === 1 && !["startswith", "endswith", "contains"].includes(place[0] ?? "")))
    return false;
  const values = Array.isArray(value) ? value : [value];
  if (values.length === 0 || !values.every((v) => typeof v === "string" && !v.includes("\\"))) return false;
  const glob = (v: string) =>
    v
      .toLowerCase()
      .split(/([*?])/)
      .map((p) => (p === "*" ? ".*" : p === "?" ? "." : escapeRe(p)))
      .join("");
  const [pre, post] = { startswith: ["^", ".*$"], endswith: ["^.*", "$"], contains: ["^.*", ".*$"] }[
    place[0] as "contains"
  ] ?? ["^", "$"];
  return !values.some((v) => new RegExp(`${pre}${glob(v as string)}${post}`, "s").test(name));
}

const LITERAL_MODIFIERS = new Set(["contains", "startswith", "endswith", "all", "cased"]);

function needOfMap(map: Record<string, unknown>, skipIndexed: boolean, eventName: string | undefined): Need {
  const fields: Need[] = [];
  for (const [key, value] of Object.entries(map)) {
    const [field = "", ...modifiers] = key.split("|");
    if (eventName !== undefined && field === "eventName" && excludesName(modifiers, value, eventName)) return [];
    // for rules indexed by name, the index already covers these (and their values occur in every candidate);
    // for the need of one eventName, its records nearly all come from one service: eventSource tells nothing
    if ((skipIndexed || eventName !== undefined) && (field === "eventName" || field === "eventSource")) continue;
    // `exists: true`: the key itself is written in the record (as a key, or inside a flattened dotted key)
    if (modifiers.length === 1 && modifiers[0] === "exists") {
      fields.push(value === true ? literalOf(field.slice(field.lastIndexOf(".") + 1)) : null);
      continue;
    }
    const leaf = field.slice(field.lastIndexOf(".") + 1);
    if (modifiers.includes("re") && modifiers.every((m) => REGEX_MODIFIERS.has(m))) {
      const values = Array.isArray(value) ? value : [value];
      const ok = values.length > 0 && values.every((v) => typeof v === "string");
      fields.push(ok ? under(leaf, orNeeds((values as string[]).map(regexLiteral))) : null);
      continue;
    }
    if (!modifiers.every((m) => LITERAL_MODIFIERS.has(m))) {
      fields.push(null);
      continue;
    }
    // booleans match their text, which the record holds as `true` or as a string ("True", ...)
    const values = (Array.isArray(value) ? value : [value]).map((v) => (typeof v === "boolean" ? String(v) : v));
    if (values.length === 0 || !values.every((v) => typeof v === "string")) {
      fields.push(null);
      continue;
    }
    const needs = (values as string[]).map(literalOf);
    fields.push(under(leaf, modifiers.includes("all") ? andNeeds(needs) : orNeeds(needs)));
  }
  return andNeeds(fields);
}

/** The need's literals, to be found in the value of `key` (a plain key name; anything else stays free). */
const under = (key: string, n: Need): Need =>
  n === null || !/^[A-Za-z0-9_-]+$/.test(key) ? n : n.map((l) => ({ text: l.text, key }));

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
    if (lit && (best === null || (lit[0] as Lit).text.length > (best[0] as Lit).text.length)) best = lit;
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
    for (const raw of t.lit.split(/[^A-Za-z0-9 _.:@=+,;#%!~$()[\]{}|^`?*-]+/)) {
      // JSON's own punctuation at the ends of a piece costs the search dearly (a regex tries a match at every
      // `:` or `,` of the record) and says little: a piece without them is still in every match
      const piece = raw.replace(EDGE_PUNCTUATION, "");
      if (selectivity(piece) > selectivity(best)) best = piece;
    }
  }
  return best.length >= 3 ? [{ text: best }] : null;
}

const EDGE_PUNCTUATION = /^[\s:,{}[\]]+|[\s:,{}[\]]+$/g;

/** Longer is rarer; digits and punctuation make a piece rarer than a plain word of the same length. */
const selectivity = (piece: string): number => piece.length + (/[^A-Za-z]/.test(piece) ? 0.5 : 0);

const EVENT_NAME_KEY = Buffer.from('"eventName"', "latin1");
const EVENT_NAME_TEXT = '"eventName"';
/** Bytes decoded at once for text-mode records (strings this size stay in V8's young generation). */
const TEXT_WINDOW = 64 * 1024;
/** Bound on memoised names, so endless distinct eventNames cannot grow it without limit. */
const NAME_MEMO_LIMIT = 20_000;
const KEY_LEN = EVENT_NAME_KEY.length;

/**
 * Applies a plan to the records of one buffer. Keeps a forward-only cursor on the next `"eventName"` key,
 * so the whole buffer is searched once however many records it holds.
 */
export class RecordPrefilter {
  private cur: Buffer | null = null;
  private next = -1;
  private readonly tests: RecordTest[] = [];
  /**
   * When some rule without an eventName constraint has a literal test, every record is decoded to text for
   * it anyway; then the eventName keys are searched in that text too (String#indexOf is cheaper than
   * Buffer#indexOf for a multi-byte needle) and names are looked up as written.
   */
  private readonly textMode: boolean;
  private readonly names = new Map<string, RecordTest>();
  private winBuf: Buffer | null = null;
  private win = "";
  private winStart = 0;
  private winEnd = 0;

  constructor(private readonly plan: PrefilterPlan) {
    this.textMode = plan.enabled && plan.other instanceof RegExp;
  }

  /** True when the record must be parsed and evaluated. */
  candidate(buf: Buffer, s: number, e: number): boolean {
    const plan = this.plan;
    if (!plan.enabled) return true;
    if (this.textMode) return this.candidateText(this.recordText(buf, s, e));
    if (buf !== this.cur) {
      this.cur = buf;
      this.next = buf.indexOf(EVENT_NAME_KEY, s);
    } else if (this.next >= 0 && this.next < s) {
      this.next = buf.indexOf(EVENT_NAME_KEY, s);
    }
    const tests = this.tests;
    let count = 0;
    let found = false;
    let always = false;
    while (this.next >= 0 && this.next < e) {
      found = true;
      if (!always) {
        const t = this.nameTest(buf, this.next + KEY_LEN, e);
        if (t === true) always = true;
        else if (t !== null) {
          let seen = false;
          for (let i = 0; i < count; i++) if (tests[i] === t) seen = true;
          if (!seen) tests[count++] = t;
        }
      }
      this.next = buf.indexOf(EVENT_NAME_KEY, this.next + KEY_LEN);
    }
    // no eventName at all: parse, so the record is reported as not CloudTrail
    if (always || !found) return true;
    // (byte mode runs when `other` has no literals; were it a test, it would apply to this record too)
    if (plan.other instanceof RegExp) tests[count++] = plan.other;
    if (count === 0) return false;
    const text = latin1Slice(buf, s, e);
    for (let i = 0; i < count; i++) if ((tests[i] as RegExp).test(text)) return true;
    return false;
  }

  /**
   * The record's latin1 text, cut from a decoded window of its buffer: one native decode per 64 KiB instead of
   * one per record (records of a buffer arrive in order; each chunk arrives as a new Buffer object).
   */
  private recordText(buf: Buffer, s: number, e: number): string {
    if (buf !== this.winBuf || s < this.winStart || e > this.winEnd) {
      this.winBuf = buf;
      this.winStart = s;
      this.winEnd = Math.min(buf.length, Math.max(e, s + TEXT_WINDOW));
      this.win = latin1Slice(buf, s, this.winEnd);
    }
    return this.win.slice(s - this.winStart, e - this.winStart);
  }

  /**
   * candidate() on the record's latin1 text (one char per byte: the same keys, names and literals). The test
   * of the unindexed rules applies to every record, so it runs first: when it passes (a third of the bench's
   * records), no eventName needs to be looked for. Otherwise each eventName's own test decides.
   */
  private candidateText(text: string): boolean {
    if ((this.plan.other as RegExp).test(text)) return true;
    let found = false;
    let k = text.indexOf(EVENT_NAME_TEXT);
    while (k >= 0) {
      found = true;
      const t = this.nameTestText(text, k + EVENT_NAME_TEXT.length);
      if (t === true || t?.test(text)) return true;
      k = text.indexOf(EVENT_NAME_TEXT, k + EVENT_NAME_TEXT.length);
    }
    // no eventName at all: parse, so the record is reported as not CloudTrail
    return !found;
  }

  /**
   * The own test (rules indexed under the name, without the unindexed ones) of the eventName whose key ends
   * at p; true when the value cannot be read safely. Memoised as written: one lookup, no lower-casing.
   */
  private nameTestText(text: string, p: number): RecordTest {
    const e = text.length;
    let c = text.charCodeAt(p);
    while (p < e && (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09)) c = text.charCodeAt(++p);
    if (c !== 0x3a) return null; // `"eventName"` used as a value, not a key
    c = text.charCodeAt(++p);
    while (p < e && (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09)) c = text.charCodeAt(++p);
    if (c !== 0x22) return true; // not a string: let the parser and rules decide
    const start = p + 1;
    const q = text.indexOf('"', start);
    if (q < 0) return true;
    const raw = text.slice(start, q);
    let t = this.names.get(raw);
    if (t === undefined) {
      // escapes or non-ASCII (latin1 chars above 0x7f): compare after real parsing
      if (/[\\\u0080-\u00ff]/.test(raw)) t = true;
      else t = nameTestOf(this.plan, raw.toLowerCase());
      if (this.names.size >= NAME_MEMO_LIMIT) this.names.clear();
      // a copy as the key: `raw` may be a slice that would keep a whole decoded window alive
      this.names.set(JSON.parse(JSON.stringify(raw)) as string, t);
    }
    return t;
  }

  /** The own test of the eventName value after a key (true when it cannot be read safely). */
  private nameTest(buf: Buffer, p: number, e: number): RecordTest {
    while (p < e && (buf[p] === 0x20 || buf[p] === 0x0a || buf[p] === 0x0d || buf[p] === 0x09)) p++;
    if (buf[p] !== 0x3a) return null; // `"eventName"` used as a value, not a key
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
    return nameTestOf(this.plan, latin1Slice(buf, start, q).toLowerCase());
  }
}
