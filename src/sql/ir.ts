// The rule IR: a compiled Sigma rule's detection as plain data (field predicates under and/or/not/at-least),
// the one form every SQL back end reads. Built from the detection section the rule compiler already
// validated (CompiledRule.detection), so the IR accepts exactly what the JS engine accepts. Pure.
import { expandOfPattern, parseCondition } from "../rules/condition.js";
import { type Cidr, type PatternToken, parseCidr, tokenizePattern } from "../rules/matchers.js";
import type { CompiledRule, SigmaScalar } from "../rules/model.js";

/** One field test, evaluated on each value of the field (a list value matches when any element does). */
export type Pred =
  /** Sigma equality with wildcards `*` `?`; contains/startswith/endswith add `*`; case-insensitive unless cased. */
  | { kind: "pattern"; field: string; tokens: PatternToken[]; cased: boolean }
  /** `|re` (unanchored, RE2 syntax) with flags i/m/s. */
  | { kind: "regex"; field: string; source: string; i: boolean; m: boolean; s: boolean }
  | { kind: "cidr"; field: string; text: string; cidr: Cidr }
  | { kind: "numeric"; field: string; op: "lt" | "lte" | "gt" | "gte"; bound: number }
  /** `field: null`: absent or JSON null. */
  | { kind: "null"; field: string }
  /** `|exists: true|false` (a JSON null does not exist). */
  | { kind: "exists"; field: string; want: boolean }
  /** `a|fieldref: b` (with contains/startswith/endswith): compares two fields of the same event. */
  | {
      kind: "fieldref";
      field: string;
      other: string;
      mode: "eq" | "contains" | "startswith" | "endswith";
      cased: boolean;
    }
  /** Keyword search: any string/number/boolean anywhere in the record contains the pattern. */
  | { kind: "keyword"; tokens: PatternToken[] };

export type Expr =
  | { kind: "pred"; pred: Pred }
  | { kind: "and" | "or"; items: Expr[] }
  | { kind: "not"; expr: Expr }
  /** `N of x*` with N > 1: at least N of the items hold. */
  | { kind: "atleast"; n: number; items: Expr[] };

export interface RuleIR {
  id: string;
  title: string;
  level: string;
  source: string;
  techniques: string[];
  expr: Expr;
}

const and = (items: Expr[]): Expr => (items.length === 1 ? (items[0] as Expr) : { kind: "and", items });
const or = (items: Expr[]): Expr => (items.length === 1 ? (items[0] as Expr) : { kind: "or", items });

/** `field|mods: values` → an expression over the field's predicates (list = OR, `|all` = AND). */
function fieldExpr(key: string, raw: SigmaScalar | SigmaScalar[]): Expr {
  const [field = "", ...mods] = key.split("|");
  const has = (m: string) => mods.includes(m);
  const values = Array.isArray(raw) ? raw : [raw];
  if (has("exists")) return { kind: "pred", pred: { kind: "exists", field, want: values[0] === true } };
  const cased = has("cased");
  const transform = mods.find((m) => m === "contains" || m === "startswith" || m === "endswith");
  const numeric = mods.find((m) => m === "lt" || m === "lte" || m === "gt" || m === "gte") as
    | "lt"
    | "lte"
    | "gt"
    | "gte"
    | undefined;
  const preds: Expr[] = values.map((v): Expr => {
    if (v === null) return { kind: "pred", pred: { kind: "null", field } };
    if (has("re"))
      return {
        kind: "pred",
        pred: { kind: "regex", field, source: String(v), i: has("i"), m: has("m"), s: has("s") },
      };
    if (has("cidr"))
      return { kind: "pred", pred: { kind: "cidr", field, text: String(v), cidr: parseCidr(String(v)) as Cidr } };
    if (numeric) return { kind: "pred", pred: { kind: "numeric", field, op: numeric, bound: Number(v) } };
    if (has("fieldref"))
      return {
        kind: "pred",
        pred: { kind: "fieldref", field, other: String(v), mode: (transform ?? "eq") as "eq", cased },
      };
    const tokens = tokenizePattern(String(v));
    if (transform === "contains" || transform === "endswith") tokens.unshift({ wild: "*" });
    if (transform === "contains" || transform === "startswith") tokens.push({ wild: "*" });
    return { kind: "pred", pred: { kind: "pattern", field, tokens, cased } };
  });
  return has("all") ? and(preds) : or(preds);
}

function identifierExpr(value: unknown): Expr {
  if (typeof value === "string" || typeof value === "number")
    return {
      kind: "pred",
      pred: { kind: "keyword", tokens: [{ wild: "*" }, ...tokenizePattern(String(value)), { wild: "*" }] },
    };
  if (Array.isArray(value)) {
    if (value.every((x) => typeof x !== "object" || x === null)) return or(value.map((w) => identifierExpr(String(w))));
    return or(value.map(identifierExpr));
  }
  const map = value as Record<string, SigmaScalar | SigmaScalar[]>;
  return and(Object.entries(map).map(([k, v]) => fieldExpr(k, v)));
}

/** The IR of a compiled single-event rule (its detection section, as the JS compiler accepted it). */
export function ruleIR(rule: CompiledRule, techniques: string[] = rule.techniqueRefs): RuleIR {
  const detection = rule.detection;
  if (!detection) throw new Error(`rule ${rule.id} has no detection section`);
  const idents = new Map<string, Expr>();
  for (const [name, v] of Object.entries(detection)) {
    if (name === "condition" || name === "timeframe") continue;
    idents.set(name, identifierExpr(v));
  }
  const names = [...idents.keys()];
  const build = (n: ReturnType<typeof parseCondition>): Expr => {
    switch (n.kind) {
      case "id":
        return idents.get(n.name) as Expr;
      case "not":
        return { kind: "not", expr: build(n.expr) };
      case "and":
        return and(n.items.map(build));
      case "or":
        return or(n.items.map(build));
      case "of": {
        const parts = expandOfPattern(n.pattern, names).map((s) => idents.get(s) as Expr);
        if (n.quantifier === "all") return and(parts);
        if (n.quantifier === 1) return or(parts);
        return { kind: "atleast", n: n.quantifier, items: parts };
      }
    }
  };
  const conditions = Array.isArray(detection.condition) ? detection.condition : [detection.condition];
  return {
    id: rule.id,
    title: rule.title,
    level: rule.level,
    source: rule.source,
    techniques,
    expr: or(conditions.map((c) => build(parseCondition(c)))),
  };
}

/** Field names an expression reads (for column pruning and for saying which field a dialect lacks). */
export function fieldsOf(e: Expr, out = new Set<string>()): Set<string> {
  if (e.kind === "pred") {
    if ("field" in e.pred) out.add(e.pred.field);
    if (e.pred.kind === "fieldref") out.add(e.pred.other);
  } else if (e.kind === "not") fieldsOf(e.expr, out);
  else for (const i of e.items) fieldsOf(i, out);
  return out;
}
