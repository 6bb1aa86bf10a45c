// Field access and value matchers for compiled Sigma rules. Everything here runs once per rule at compile
// time and returns closures; the closures do no parsing and allocate nothing on the common paths.

import { RE2JS } from "re2js";

export type EventTest = (event: Record<string, unknown>) => boolean;
export type Getter = (event: Record<string, unknown>) => unknown;
/** Tests one resolved field value (the caller handles arrays). */
export type ScalarTest = (value: unknown) => boolean;
type TextTest = (text: string) => boolean;

/**
 * Getter for a Sigma field name. Dots walk nested objects (`userIdentity.arn`); when that path does not
 * resolve, a literal key containing the dots is used (`{"userIdentity.arn": ...}`, flattened logs), at any
 * level. Arrays met on the way are searched element-wise and the results collected into an array.
 * The nested walk runs first because a missed property lookup costs more than the walk on real records.
 */
export function fieldGetter(path: string): Getter {
  if (!path.includes(".")) return (e) => e[path];
  const parts = path.split(".");
  const rest = parts.map((_, i) => parts.slice(i).join("."));
  if (parts.length === 2) {
    const [a, b] = parts as [string, string];
    return (e) => {
      const o = e[a];
      if (o !== null && typeof o === "object") {
        const v = Array.isArray(o) ? walk(o, parts, rest, 1) : (o as Record<string, unknown>)[b];
        if (v !== undefined) return v;
      }
      return e[path];
    };
  }
  return (e) => walk(e, parts, rest, 0);
}

function walk(cur: unknown, parts: string[], rest: string[], i: number): unknown {
  if (i === parts.length) return cur;
  if (cur === null || typeof cur !== "object") return undefined;
  if (Array.isArray(cur)) {
    const out: unknown[] = [];
    for (const el of cur) {
      const r = walk(el, parts, rest, i);
      if (Array.isArray(r)) out.push(...r);
      else if (r !== undefined) out.push(r);
    }
    return out.length > 0 ? out : undefined;
  }
  const obj = cur as Record<string, unknown>;
  const r = walk(obj[parts[i] as string], parts, rest, i + 1);
  if (r !== undefined || i === parts.length - 1) return r;
  return obj[rest[i] as string];
}

/** Text form of a scalar for string comparison: numbers/booleans as written, objects as JSON, null → none. */
export function toText(v: unknown): string | undefined {
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean" || typeof v === "bigint") return String(v);
  if (v !== null && typeof v === "object") return JSON.stringify(v);
  return undefined;
}

/** True when the test holds for the value or, for arrays, for any element (nested arrays included). */
export function anyValue(v: unknown, test: ScalarTest): boolean {
  if (!Array.isArray(v)) return test(v);
  for (const el of v) if (anyValue(el, test)) return true;
  return false;
}

function textTest(t: TextTest): ScalarTest {
  return (v) => {
    if (typeof v === "string") return t(v);
    const s = toText(v);
    return s !== undefined && t(s);
  };
}

// ---- wildcard patterns ----

export type PatternToken = { lit: string } | { wild: "*" | "?" };

/** Splits a Sigma string into literals and wildcards. `\*`, `\?` and `\\` escape; other backslashes are literal. */
export function tokenizePattern(value: string): PatternToken[] {
  const out: PatternToken[] = [];
  let lit = "";
  for (let i = 0; i < value.length; i++) {
    const c = value[i] as string;
    if (c === "\\") {
      const n = value[i + 1];
      if (n === "*" || n === "?" || n === "\\") {
        lit += n;
        i++;
      } else lit += c;
    } else if (c === "*" || c === "?") {
      if (lit) out.push({ lit });
      lit = "";
      out.push({ wild: c });
    } else lit += c;
  }
  if (lit) out.push({ lit });
  return out;
}

/** The literal a pattern stands for, or undefined when it has wildcards. */
export function patternLiteral(tokens: PatternToken[]): string | undefined {
  let s = "";
  for (const t of tokens) {
    if ("wild" in t) return undefined;
    s += t.lit;
  }
  return s;
}

const isAscii = (s: string) => {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
};

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * Compiles wildcard tokens to the cheapest text test: equality, startsWith, endsWith, includes, or an
 * anchored RegExp. Case-insensitive unless `cased` (comparison values are lower-cased once, here).
 */
export function compilePattern(tokens: PatternToken[], cased: boolean): TextTest {
  // Collapse runs of `*` and classify the shape.
  const norm: PatternToken[] = [];
  for (const t of tokens) {
    const prev = norm[norm.length - 1];
    if ("wild" in t && t.wild === "*" && prev && "wild" in prev && prev.wild === "*") continue;
    norm.push(t);
  }
  const fold = (s: string) => (cased ? s : s.toLowerCase());
  const hasQ = norm.some((t) => "wild" in t && t.wild === "?");
  const lits = norm.filter((t): t is { lit: string } => "lit" in t);
  if (!hasQ && lits.length <= 1) {
    const lit = fold(lits[0]?.lit ?? "");
    const first = norm[0];
    const last = norm[norm.length - 1];
    const lead = first !== undefined && "wild" in first;
    const trail = last !== undefined && "wild" in last && norm.length > (lead ? 1 : 0);
    if (norm.length === 0) return (s) => s.length === 0;
    if (lits.length === 0) return () => true; // `*`
    if (!lead && !trail) {
      if (cased) return (s) => s === lit;
      if (isAscii(lit)) {
        const n = lit.length;
        return (s) => s.length === n && (s === lit || s.toLowerCase() === lit);
      }
      return (s) => s.toLowerCase() === lit;
    }
    if (lead && trail) return cased ? (s) => s.includes(lit) : (s) => s.toLowerCase().includes(lit);
    if (trail) return cased ? (s) => s.startsWith(lit) : (s) => s.toLowerCase().startsWith(lit);
    return cased ? (s) => s.endsWith(lit) : (s) => s.toLowerCase().endsWith(lit);
  }
  if (!hasQ) return starPattern(norm, cased);
  // `?` needs an automaton; RE2 runs it in linear time whatever the pattern (a backtracking RegExp would
  // not: `*a*a*a*a*b` is polynomial in the value's length).
  const src = norm.map((t) => ("lit" in t ? escapeRe(t.lit) : t.wild === "*" ? "(?s:.*)" : "(?s:.)")).join("");
  const re = RE2JS.compile(src, cased ? 0 : RE2JS.CASE_INSENSITIVE);
  return (s) => re.matches(s);
}

/**
 * `*`-only patterns with two or more literals: greedy leftmost search of each literal in turn is exact (a later
 * literal found after an earlier match position is also found after the leftmost one), so no backtracking.
 */
function starPattern(norm: PatternToken[], cased: boolean): TextTest {
  const fold = (s: string) => (cased ? s : s.toLowerCase());
  const first = norm[0];
  const last = norm[norm.length - 1];
  const head = first !== undefined && "lit" in first ? fold(first.lit) : undefined;
  const tail = last !== undefined && "lit" in last && norm.length > 1 ? fold(last.lit) : undefined;
  const middle = norm.slice(head === undefined ? 0 : 1, tail === undefined ? norm.length : -1);
  const lits = middle.flatMap((t) => ("lit" in t ? [fold(t.lit)] : []));
  return (value) => {
    const s = cased ? value : value.toLowerCase();
    let from = 0;
    let to = s.length;
    if (head !== undefined) {
      if (!s.startsWith(head)) return false;
      from = head.length;
    }
    if (tail !== undefined) {
      if (s.length - tail.length < from || !s.endsWith(tail)) return false;
      to = s.length - tail.length;
    }
    for (const lit of lits) {
      const at = s.indexOf(lit, from);
      if (at < 0 || at + lit.length > to) return false;
      from = at + lit.length;
    }
    return true;
  };
}

export function patternTest(tokens: PatternToken[], cased: boolean): ScalarTest {
  return textTest(compilePattern(tokens, cased));
}

/**
 * A literal every match of the regex must contain, or undefined. Conservative: gives up on alternation and
 * only collects characters at group depth 0 that are not optional. Used as an `includes` pre-check so
 * patterns like `.+:assumed-role/aws:.+` do not backtrack over every non-matching value.
 */
export function requiredLiteral(src: string): string | undefined {
  if (src.includes("|")) return undefined;
  let best = "";
  let cur = "";
  const flush = () => {
    if (cur.length > best.length) best = cur;
    cur = "";
  };
  let i = 0;
  while (i < src.length) {
    const c = src[i] as string;
    let lit: string | undefined;
    if (c === "\\") {
      const n = src[i + 1];
      // Escaped punctuation is literal; \d, \w, \b, \u.... are classes or assertions.
      if (n !== undefined && /[^A-Za-z0-9]/.test(n)) lit = n;
      i += 2;
      // the hex digits of \u0041 / \x41 are not literal text (\u{...} and \p{...} braces are skipped below)
      if (n === "u" && /^[0-9A-Fa-f]{4}/.test(src.slice(i, i + 4))) i += 4;
      else if (n === "x" && /^[0-9A-Fa-f]{2}/.test(src.slice(i, i + 2))) i += 2;
    } else if (c === "[") {
      i++;
      if (src[i] === "]") i++;
      while (i < src.length && src[i] !== "]") i += src[i] === "\\" ? 2 : 1;
      i++;
    } else if (c === "(") {
      let depth = 0;
      while (i < src.length) {
        const d = src[i];
        if (d === "\\") i++;
        else if (d === "[") {
          while (i < src.length && src[i] !== "]") i += src[i] === "\\" ? 2 : 1;
        } else if (d === "(") depth++;
        else if (d === ")" && --depth === 0) break;
        i++;
      }
      i++;
    } else if (c === "{") {
      while (i < src.length && src[i] !== "}") i++;
      i++;
    } else if (/[A-Za-z0-9 _:/@=,'"<>!%&#~`;-]/.test(c)) {
      lit = c;
      i++;
    } else i++;
    const q = src[i];
    if (lit === undefined) {
      flush();
      // A quantifier after a non-literal atom changes nothing for the collected run.
      continue;
    }
    if (q === "?" || q === "*" || q === "{") {
      flush();
      continue;
    }
    cur += lit;
    if (q === "+") flush();
  }
  flush();
  return best.length >= 3 ? best : undefined;
}

export interface RegexFlags {
  i?: boolean;
  m?: boolean;
  s?: boolean;
}

/**
 * Compiles a rule regex (Sigma `re`: unanchored, flags i/m/s) for RE2, whose automata match in time linear in
 * the value's length whatever the pattern, so no rule can stall a scan by catastrophic backtracking.
 * JavaScript spellings RE2 lacks (`\u0041`, `(?<name>`) are translated; lookaround and backreferences cannot
 * run in linear time, so they throw (a SyntaxError-like RE2JS exception with the offending construct).
 */
export function compileRegex(source: string, flags: RegexFlags = {}): RE2JS {
  const bits = (flags.i ? RE2JS.CASE_INSENSITIVE : 0) | (flags.m ? RE2JS.MULTILINE : 0) | (flags.s ? RE2JS.DOTALL : 0);
  return RE2JS.compile(RE2JS.translateRegExp(source), bits);
}

export function regexTest(source: string, flags: RegexFlags = {}): ScalarTest {
  const re = compileRegex(source, flags);
  // Case-insensitive patterns are run as is; the literal pre-check needs exact case.
  const lit = flags.i ? undefined : requiredLiteral(source);
  if (lit === undefined) return textTest((s) => re.test(s));
  return textTest((s) => s.includes(lit) && re.test(s));
}

export function numericTest(op: "lt" | "lte" | "gt" | "gte", bound: number): ScalarTest {
  return (v) => {
    const n = typeof v === "number" ? v : typeof v === "string" && v.trim() !== "" ? Number(v) : Number.NaN;
    if (Number.isNaN(n)) return false;
    return op === "lt" ? n < bound : op === "lte" ? n <= bound : op === "gt" ? n > bound : n >= bound;
  };
}

// ---- CIDR ----

export interface Cidr {
  v6: boolean;
  base: bigint;
  mask: bigint;
}

function parseIPv4(s: string): bigint | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return undefined;
  let n = 0n;
  for (let i = 1; i <= 4; i++) {
    const b = Number(m[i]);
    if (b > 255) return undefined;
    n = (n << 8n) | BigInt(b);
  }
  return n;
}

function parseIPv6(input: string): bigint | undefined {
  const s = input.replace(/%.*$/, "");
  if (!/^[0-9a-fA-F:.]+$/.test(s)) return undefined;
  const halves = s.split("::");
  if (halves.length > 2) return undefined;
  const groups = (part: string): number[] | undefined => {
    if (part === "") return [];
    const out: number[] = [];
    const items = part.split(":");
    for (let i = 0; i < items.length; i++) {
      const g = items[i] as string;
      if (i === items.length - 1 && g.includes(".")) {
        const v4 = parseIPv4(g);
        if (v4 === undefined) return undefined;
        out.push(Number(v4 >> 16n), Number(v4 & 0xffffn));
      } else if (/^[0-9a-fA-F]{1,4}$/.test(g)) out.push(Number.parseInt(g, 16));
      else return undefined;
    }
    return out;
  };
  const head = groups(halves[0] as string);
  const tail = halves.length === 2 ? groups(halves[1] as string) : [];
  if (!head || !tail) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  let n = 0n;
  for (const g of [...head, ...new Array<number>(missing).fill(0), ...tail]) n = (n << 16n) | BigInt(g);
  return n;
}

/** Parses `10.0.0.0/8`, `2001:db8::/32` or a bare address (full-length prefix). */
export function parseCidr(text: string): Cidr | undefined {
  const [addr, bitsText, extra] = text.trim().split("/");
  if (addr === undefined || extra !== undefined) return undefined;
  const v4 = parseIPv4(addr);
  const v6 = v4 === undefined ? parseIPv6(addr) : undefined;
  if (v4 === undefined && v6 === undefined) return undefined;
  const width = v4 !== undefined ? 32 : 128;
  const bits = bitsText === undefined ? width : /^\d{1,3}$/.test(bitsText) ? Number(bitsText) : -1;
  if (bits < 0 || bits > width) return undefined;
  const all = (1n << BigInt(width)) - 1n;
  const mask = bits === 0 ? 0n : (all >> BigInt(width - bits)) << BigInt(width - bits);
  return { v6: v4 === undefined, base: ((v4 ?? v6) as bigint) & mask, mask };
}

/** Parses an IP address; IPv4-mapped IPv6 (`::ffff:1.2.3.4`) is returned as IPv4. */
export function parseIp(text: string): { v6: boolean; n: bigint } | undefined {
  const v4 = parseIPv4(text);
  if (v4 !== undefined) return { v6: false, n: v4 };
  if (!text.includes(":")) return undefined;
  const v6 = parseIPv6(text);
  if (v6 === undefined) return undefined;
  if (v6 >> 32n === 0xffffn) return { v6: false, n: v6 & 0xffffffffn };
  return { v6: true, n: v6 };
}

export function cidrTest(cidrs: Cidr[]): ScalarTest {
  return (v) => {
    if (typeof v !== "string") return false;
    const ip = parseIp(v);
    if (!ip) return false;
    for (const c of cidrs) if (c.v6 === ip.v6 && (ip.n & c.mask) === c.base) return true;
    return false;
  };
}

// ---- keywords ----

/** True when any leaf (string/number/boolean) anywhere in the value passes the test. */
export function anyLeaf(v: unknown, test: ScalarTest, depth = 0): boolean {
  if (v === null || v === undefined || depth > 64) return false;
  if (typeof v !== "object") return test(v);
  if (Array.isArray(v)) {
    for (const el of v) if (anyLeaf(el, test, depth + 1)) return true;
    return false;
  }
  for (const key in v as Record<string, unknown>)
    if (anyLeaf((v as Record<string, unknown>)[key], test, depth + 1)) return true;
  return false;
}
