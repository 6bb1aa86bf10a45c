// Parser for Sigma `condition` expressions: and / or / not, parentheses, `1 of x_*`, `all of them`.
// Precedence not > and > or. Produces an AST with character offsets so errors point at a column.
// Aggregations (`| count()`, `| near`) are detected here and reported as correlation rules.

export type ConditionNode =
  | { kind: "id"; name: string; pos: number }
  | { kind: "not"; expr: ConditionNode }
  | { kind: "and" | "or"; items: ConditionNode[] }
  | { kind: "of"; quantifier: "all" | number; pattern: string | null; pos: number };

/** Raised on a syntax error; `pos` is the 0-based character offset inside the condition string. */
export class ConditionSyntaxError extends Error {
  readonly pos: number;
  constructor(message: string, pos: number) {
    super(message);
    this.pos = pos;
  }
}

/** Raised when the condition uses an aggregation pipe (`| count() > 5`, `| near sel2`). */
export class ConditionAggregationError extends Error {}

interface Token {
  kind: "word" | "lparen" | "rparen" | "end";
  text: string;
  pos: number;
}

const WORD_RE = /[A-Za-z0-9_*.\-?]/;

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i] as string;
    if (c === " " || c === "\t" || c === "\n" || c === "\r") {
      i++;
    } else if (c === "(") {
      out.push({ kind: "lparen", text: c, pos: i++ });
    } else if (c === ")") {
      out.push({ kind: "rparen", text: c, pos: i++ });
    } else if (c === "|") {
      // Everything after a pipe is an aggregation (`| count() > 5`, `| near x`): a correlation rule.
      throw new ConditionAggregationError("aggregation in condition");
    } else if (WORD_RE.test(c)) {
      const start = i;
      while (i < src.length && WORD_RE.test(src[i] as string)) i++;
      out.push({ kind: "word", text: src.slice(start, i), pos: start });
    } else {
      throw new ConditionSyntaxError(`unexpected character '${c}'`, i);
    }
  }
  out.push({ kind: "end", text: "end of condition", pos: src.length });
  return out;
}

const KEYWORDS = new Set(["and", "or", "not", "of", "them", "all", "any"]);

export function parseCondition(src: string): ConditionNode {
  const tokens = tokenize(src);
  if (tokens.some((t) => t.kind === "word" && /^(count|near)$/i.test(t.text)))
    throw new ConditionAggregationError("correlation keyword in condition");
  let i = 0;
  const peek = (): Token => tokens[i] as Token;
  const isKw = (t: Token, kw: string) => t.kind === "word" && t.text.toLowerCase() === kw;
  const describe = (t: Token) => (t.kind === "end" ? "end of condition" : `'${t.text}'`);

  function parseOr(): ConditionNode {
    const items = [parseAnd()];
    while (isKw(peek(), "or")) {
      i++;
      items.push(parseAnd());
    }
    return items.length === 1 ? (items[0] as ConditionNode) : { kind: "or", items };
  }
  function parseAnd(): ConditionNode {
    const items = [parseNot()];
    while (isKw(peek(), "and")) {
      i++;
      items.push(parseNot());
    }
    return items.length === 1 ? (items[0] as ConditionNode) : { kind: "and", items };
  }
  function parseNot(): ConditionNode {
    if (isKw(peek(), "not")) {
      i++;
      return { kind: "not", expr: parseNot() };
    }
    return parsePrimary();
  }
  function parsePrimary(): ConditionNode {
    const t = peek();
    if (t.kind === "lparen") {
      i++;
      const inner = parseOr();
      const close = peek();
      if (close.kind !== "rparen")
        throw new ConditionSyntaxError(`expected ')' to close the '(', found ${describe(close)}`, close.pos);
      i++;
      return inner;
    }
    if (t.kind !== "word")
      throw new ConditionSyntaxError(`expected a search identifier, 'not', '(' or 'N of', found ${describe(t)}`, t.pos);
    const lower = t.text.toLowerCase();
    const next = tokens[i + 1] as Token;
    if (isKw(next, "of")) {
      let quantifier: "all" | number;
      if (lower === "all") quantifier = "all";
      else if (lower === "any") quantifier = 1;
      else if (/^[1-9]\d*$/.test(lower)) quantifier = Number(lower);
      else throw new ConditionSyntaxError(`expected '1', 'any' or 'all' before 'of', found '${t.text}'`, t.pos);
      i += 2;
      const target = peek();
      if (target.kind !== "word" || (KEYWORDS.has(target.text.toLowerCase()) && !isKw(target, "them")))
        throw new ConditionSyntaxError(
          `expected 'them' or an identifier pattern after 'of', found ${describe(target)}`,
          target.pos,
        );
      i++;
      return { kind: "of", quantifier, pattern: isKw(target, "them") ? null : target.text, pos: target.pos };
    }
    if (KEYWORDS.has(lower))
      throw new ConditionSyntaxError(`unexpected keyword '${t.text}' where a search identifier was expected`, t.pos);
    if (/[*?]/.test(t.text))
      throw new ConditionSyntaxError(`wildcard identifier '${t.text}' is only allowed after '1 of' / 'all of'`, t.pos);
    i++;
    return { kind: "id", name: t.text, pos: t.pos };
  }

  const root = parseOr();
  const rest = peek();
  if (rest.kind !== "end")
    throw new ConditionSyntaxError(`expected 'and', 'or' or end of condition, found ${describe(rest)}`, rest.pos);
  return root;
}

/** Identifiers an `of` pattern selects; `them` selects all except those starting with `_` (Sigma spec). */
export function expandOfPattern(pattern: string | null, identifiers: readonly string[]): string[] {
  if (pattern === null) return identifiers.filter((n) => !n.startsWith("_"));
  if (!pattern.includes("*")) return identifiers.filter((n) => n === pattern);
  const re = new RegExp(`^${pattern.split("*").map(escapeRegExp).join(".*")}$`);
  return identifiers.filter((n) => re.test(n));
}

export function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
