// Static analysis of which eventName/eventSource values a rule can match. A filter is a superset of the
// values a rule accepts: exact lower-cased values plus lower-cased prefixes; null means "any value".
// Soundness matters more than tightness: a filter may admit values the rule rejects, never the reverse.
import { patternLiteral, tokenizePattern } from "./matchers.js";
import type { SigmaFieldMap, ValueFilter } from "./model.js";

export type { ValueFilter };
export type Filter = ValueFilter | null;

export function admits(f: Filter, value: string): boolean {
  if (f === null) return true;
  if (f.values.has(value)) return true;
  for (const p of f.prefixes) if (value.startsWith(p)) return true;
  return false;
}

/** What a field map (AND of its entries) requires of `field`. */
export function mapFilter(map: SigmaFieldMap, field: string): Filter {
  const parts: Filter[] = [];
  for (const [key, raw] of Object.entries(map)) {
    const [name, ...mods] = key.split("|");
    if (name !== field || mods.some((m) => m !== "cased" && m !== "all" && m !== "startswith")) continue;
    const perValue: Filter[] = (Array.isArray(raw) ? raw : [raw]).map((v) =>
      v === null ? null : valueFilter(String(v), mods.includes("startswith")),
    );
    // `all`: every value must hold at once; otherwise any one of them.
    parts.push(mods.includes("all") ? intersect(perValue) : union(perValue));
  }
  return intersect(parts);
}

/** Filter for one Sigma value: exact literal, a prefix (`Delete*` or startswith), or unbounded. */
function valueFilter(value: string, startswith: boolean): Filter {
  const tokens = tokenizePattern(value);
  const lit = patternLiteral(tokens);
  if (lit !== undefined)
    return startswith
      ? { values: new Set(), prefixes: [lit.toLowerCase()] }
      : { values: new Set([lit.toLowerCase()]), prefixes: [] };
  const last = tokens[tokens.length - 1];
  const head = patternLiteral(tokens.slice(0, -1));
  if (last !== undefined && "wild" in last && last.wild === "*" && head !== undefined)
    return { values: new Set(), prefixes: [head.toLowerCase()] };
  return null;
}

export function union(fs: readonly Filter[]): Filter {
  if (fs.length === 0 || fs.some((f) => f === null)) return null;
  const values = new Set<string>();
  const prefixes = new Set<string>();
  for (const f of fs as ValueFilter[]) {
    for (const v of f.values) values.add(v);
    for (const p of f.prefixes) prefixes.add(p);
  }
  // Drop prefixes covered by shorter ones and values covered by prefixes.
  const pre = [...prefixes].filter((p) => ![...prefixes].some((q) => q !== p && p.startsWith(q)));
  const vals = [...values].filter((v) => !pre.some((p) => v.startsWith(p)));
  return { values: new Set(vals), prefixes: pre };
}

export function intersect(fs: readonly Filter[]): Filter {
  const known = fs.filter((f): f is ValueFilter => f !== null);
  if (known.length === 0) return null;
  let acc = known[0] as ValueFilter;
  for (const b of known.slice(1)) {
    const a = acc;
    const values = new Set<string>();
    for (const v of a.values) if (admits(b, v)) values.add(v);
    for (const v of b.values) if (admits(a, v)) values.add(v);
    const prefixes = new Set<string>();
    for (const p of a.prefixes)
      for (const q of b.prefixes) prefixes.add(p.startsWith(q) ? p : q.startsWith(p) ? q : "");
    prefixes.delete("");
    acc = union([{ values, prefixes: [...prefixes] }]) as ValueFilter;
  }
  return acc;
}
