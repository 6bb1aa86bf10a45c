// Sigma rule compiler for AWS CloudTrail: YAML text → CompiledRule with a closure per search identifier and
// condition. Also derives the eventName/eventSource values a rule can match, so the scanner can skip rules
// per event. Pure: callers read files and pass text.
import { isDocument, LineCounter, parseAllDocuments } from "yaml";
import { type Problem, TechtrailError } from "../core/errors.js";
import { locatedProblems, type ParsedYaml, parsedDocument, parseYaml, yamlErrorProblems } from "../core/yaml.js";
import {
  ConditionAggregationError,
  type ConditionNode,
  ConditionSyntaxError,
  expandOfPattern,
  parseCondition,
} from "./condition.js";
import {
  boundsOf,
  type CompiledCorrelation,
  CorrelationDoc,
  checkSection,
  parseLegacyAggregation,
  parseTimespan,
  resolveReferences,
} from "./correlation.js";
import { type Filter, intersect, mapFilter, union } from "./filters.js";
import {
  anyLeaf,
  anyValue,
  type Cidr,
  cidrTest,
  type EventTest,
  fieldGetter,
  type Getter,
  numericTest,
  parseCidr,
  patternTest,
  regexTest,
  type ScalarTest,
  tokenizePattern,
  toText,
} from "./matchers.js";
import { type CompiledRule, SigmaFieldMap, SigmaRuleDoc, type SigmaScalar, SigmaSearchIdentifier } from "./model.js";
import { parseTags } from "./tags.js";

/** Modifiers that exist in Sigma but make no sense for (or are not implemented on) CloudTrail JSON. */
const UNSUPPORTED_MODIFIERS = new Set([
  "windash",
  "base64",
  "base64offset",
  "utf16le",
  "utf16be",
  "utf16",
  "wide",
  "expand",
]);
const KNOWN_MODIFIERS = new Set([
  "contains",
  "startswith",
  "endswith",
  "all",
  "cased",
  "re",
  "i",
  "m",
  "s",
  "cidr",
  "exists",
  "fieldref",
  "lt",
  "lte",
  "gt",
  "gte",
]);

/** Field names whose exact values are indexed for pre-filtering. */
const INDEXED_FIELDS = ["eventName", "eventSource"] as const;
type IndexedField = (typeof INDEXED_FIELDS)[number];

interface CompiledIdentifier {
  test: EventTest;
  constraints: Record<IndexedField, Filter>;
}

export const correlationMessage = (source: string) =>
  `${source}: correlation rules (count/near) are not supported; rule skipped`;

interface DocContext {
  source: string;
  parsed: ParsedYaml;
  text: string;
  /** 0-based index of this document in its file and the number of documents. */
  index: number;
  count: number;
}

function located(ctx: DocContext, path: ReadonlyArray<PropertyKey>, message: string, field?: string): Problem {
  const p: Problem = { source: ctx.source, message };
  const pos = ctx.parsed.locate(path);
  if (pos) {
    p.line = pos.line;
    p.column = pos.column;
  }
  const f = field ?? path.map(String).join(".");
  if (f) p.field = f;
  return p;
}

function fail(
  code: "VALIDATION" | "UNSUPPORTED",
  ctx: DocContext,
  path: ReadonlyArray<PropertyKey>,
  message: string,
): never {
  const problem = located(ctx, path, message);
  throw new TechtrailError(code, `${ctx.source}: ${message}`, { problems: [problem] });
}

function unsupportedCorrelation(ctx: DocContext, path: ReadonlyArray<PropertyKey>, why: string): never {
  throw new TechtrailError("UNSUPPORTED", correlationMessage(ctx.source), {
    problems: [located(ctx, path, why)],
  });
}

// ---- YAML documents ----

/** A document marker (`---` or `...`) at the start of a line after the first: the file may hold several. */
const LATER_DOCUMENT_MARKER = /\n(?:---|\.\.\.)(?:[ \t\r\n]|$)/;

/** Parses every YAML document of a file; each keeps file-absolute line/column positions. */
function parseDocuments(text: string, source: string): Array<{ parsed: ParsedYaml; empty: boolean }> {
  // One document (the common case): parsed once, by the shared parser (same positions and error format).
  if (!LATER_DOCUMENT_MARKER.test(text)) {
    const parsed = parseYaml(text, source);
    return [{ parsed, empty: parsed.value === null || parsed.value === undefined }];
  }
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const list = isDocument(docs) ? [docs] : Array.isArray(docs) ? docs : [];
  // One document (the common case): the shared parser gives the same positions and error format.
  if (list.length <= 1) {
    const parsed = parseYaml(text, source);
    return [{ parsed, empty: parsed.value === null || parsed.value === undefined }];
  }
  const errors = list.flatMap((d) => yamlErrorProblems(d.errors, source));
  if (errors.length > 0) throw new TechtrailError("PARSE", `invalid YAML in ${source}`, { problems: errors });
  return list.map((doc) => {
    const parsed = parsedDocument(doc, lineCounter);
    return { empty: parsed.value === null || parsed.value === undefined, parsed };
  });
}

// ---- field values ----

interface FieldSpec {
  field: string;
  modifiers: string[];
}

function parseFieldKey(ctx: DocContext, path: PropertyKey[], key: string): FieldSpec {
  const [field = "", ...modifiers] = key.split("|");
  if (field === "")
    fail("VALIDATION", ctx, path, `field name missing in '${key}' (keywords with modifiers are not supported)`);
  for (const m of modifiers) {
    if (UNSUPPORTED_MODIFIERS.has(m))
      fail("UNSUPPORTED", ctx, path, `modifier '${m}' in '${key}' is not supported for CloudTrail rules; rule skipped`);
    if (!KNOWN_MODIFIERS.has(m)) fail("UNSUPPORTED", ctx, path, `unknown modifier '${m}' in '${key}'; rule skipped`);
  }
  return { field, modifiers };
}

/** Compiles one `field|mods: value(s)` entry to an event test. */
function compileField(ctx: DocContext, path: PropertyKey[], key: string, raw: SigmaScalar | SigmaScalar[]): EventTest {
  const { field, modifiers } = parseFieldKey(ctx, path, key);
  const has = (m: string) => modifiers.includes(m);
  const values: SigmaScalar[] = Array.isArray(raw) ? raw : [raw];
  if (values.length === 0) fail("VALIDATION", ctx, path, `empty value list for '${key}'`);
  const get = fieldGetter(field);
  const bad = (msg: string): never => fail("VALIDATION", ctx, path, `${msg} in '${key}'`);

  if (has("exists")) {
    if (modifiers.length > 1) bad("'exists' cannot be combined with other modifiers");
    if (values.length !== 1 || typeof values[0] !== "boolean") bad("'exists' needs the value true or false");
    const want = values[0] === true;
    return (e) => {
      const v = get(e);
      return (v !== undefined && v !== null) === want;
    };
  }

  const cased = has("cased");
  const all = has("all");
  const transform = modifiers.filter((m) => m === "contains" || m === "startswith" || m === "endswith");
  if (transform.length > 1) bad("only one of contains/startswith/endswith may be used");
  const reFlags = modifiers.filter((m) => m === "i" || m === "m" || m === "s");
  if (reFlags.length > 0 && !has("re")) bad(`modifier '${reFlags[0]}' is only valid after 're'`);
  const numeric = modifiers.filter((m) => m === "lt" || m === "lte" || m === "gt" || m === "gte");
  const kinds = [has("re"), has("cidr"), has("fieldref"), numeric.length > 0].filter(Boolean).length;
  if (kinds > 1 || numeric.length > 1) bad("conflicting modifiers");
  if ((has("re") || has("cidr") || numeric.length > 0) && transform.length > 0)
    bad(`'${transform[0]}' cannot be combined with re/cidr/lt/gt`);

  // Per-value scalar tests; null is handled on the whole field value (absent or null).
  const tests: Array<ScalarTest | null> = [];
  for (const v of values) {
    if (v === null) {
      if (modifiers.some((m) => m !== "all" && m !== "cased")) bad("null cannot be used with modifiers");
      tests.push(null);
      continue;
    }
    if (has("re")) {
      if (typeof v !== "string") bad("'re' needs string values");
      try {
        tests.push(regexTest(v as string, { i: has("i"), m: has("m"), s: has("s") }));
      } catch (e) {
        // RE2 (linear time) refuses lookaround and backreferences; say so rather than only "syntax error"
        bad(
          `invalid or unsupported regular expression /${String(v)}/ (${(e as Error).message}; rule regexes use RE2 syntax: no lookaround or backreferences)`,
        );
      }
    } else if (has("cidr")) {
      const cidrs: Cidr[] = [];
      const c = typeof v === "string" ? parseCidr(v) : undefined;
      if (!c) bad(`invalid CIDR '${String(v)}'`);
      cidrs.push(c as Cidr);
      tests.push(cidrTest(cidrs));
    } else if (numeric.length > 0) {
      const n = typeof v === "number" ? v : Number(v);
      if (typeof v === "boolean" || Number.isNaN(n)) bad(`'${numeric[0]}' needs a number, got '${String(v)}'`);
      tests.push(numericTest(numeric[0] as "lt" | "lte" | "gt" | "gte", n));
    } else if (has("fieldref")) {
      if (typeof v !== "string" || values.length !== 1) bad("'fieldref' takes exactly one field name");
      // Compares two fields of the same event, so it is an event test rather than a value test.
      return fieldRefTest(get, fieldGetter(v as string), transform[0], cased);
    } else {
      const tokens = tokenizePattern(String(v));
      if (transform[0] === "contains" || transform[0] === "endswith") tokens.unshift({ wild: "*" });
      if (transform[0] === "contains" || transform[0] === "startswith") tokens.push({ wild: "*" });
      tests.push(patternTest(tokens, cased));
    }
  }

  const one = (t: ScalarTest | null): EventTest =>
    t === null
      ? (e) => {
          const v = get(e);
          return v === undefined || v === null;
        }
      : (e) => {
          const v = get(e);
          return Array.isArray(v) ? anyValue(v, t) : t(v);
        };
  if (tests.length === 1) return one(tests[0] as ScalarTest | null);
  const preds = tests.map(one);
  if (all) return (e) => preds.every((p) => p(e));
  // OR of values: resolve the field once when no value is null.
  if (tests.every((t) => t !== null)) {
    const ts = tests as ScalarTest[];
    return (e) => {
      const v = get(e);
      for (const t of ts) if (anyValue(v, t)) return true;
      return false;
    };
  }
  return (e) => preds.some((p) => p(e));
}

/** `a|fieldref: b`: the value of field a equals (or contains/starts/ends with) the value of field b. */
function fieldRefTest(get: Getter, other: Getter, mode: string | undefined, cased: boolean): EventTest {
  const fold = (s: string) => (cased ? s : s.toLowerCase());
  const cmp =
    mode === "contains"
      ? (a: string, b: string) => a.includes(b)
      : mode === "startswith"
        ? (a: string, b: string) => a.startsWith(b)
        : mode === "endswith"
          ? (a: string, b: string) => a.endsWith(b)
          : (a: string, b: string) => a === b;
  return (e) => {
    const ref = other(e);
    const refs: string[] = [];
    for (const r of Array.isArray(ref) ? ref : [ref]) {
      const t = toText(r);
      if (t !== undefined) refs.push(fold(t));
    }
    if (refs.length === 0) return false;
    return anyValue(get(e), (x) => {
      const t = toText(x);
      if (t === undefined) return false;
      const a = fold(t);
      return refs.some((r) => cmp(a, r));
    });
  };
}

function compileIdentifier(ctx: DocContext, name: string, value: unknown): CompiledIdentifier {
  const path = ["detection", name];
  const res = SigmaSearchIdentifier.safeParse(value);
  if (!res.success) {
    // Point at the offending field when the shape is right but one value is not (e.g. a nested map).
    const maps = Array.isArray(value) ? value : [value];
    for (const [i, m] of maps.entries()) {
      if (m === null || typeof m !== "object" || Array.isArray(m)) continue;
      for (const [k, v] of Object.entries(m)) {
        if (!SigmaFieldMap.safeParse({ [k]: v }).success)
          fail(
            "VALIDATION",
            ctx,
            Array.isArray(value) ? [...path, i, k] : [...path, k],
            `field '${k}' must be a string, number, boolean, null or a list of those`,
          );
      }
    }
    fail(
      "VALIDATION",
      ctx,
      path,
      `search identifier '${name}' must be a map of fields, a list of maps, or a list of keywords`,
    );
  }
  const ident = res.data;
  const constraintsOf = (maps: SigmaFieldMap[]) =>
    Object.fromEntries(INDEXED_FIELDS.map((f) => [f, union(maps.map((m) => mapFilter(m, f)))])) as Record<
      IndexedField,
      Filter
    >;
  const compileMap = (map: SigmaFieldMap, mapPath: PropertyKey[]): EventTest => {
    const entries = Object.entries(map);
    if (entries.length === 0) fail("VALIDATION", ctx, mapPath, `search identifier '${name}' has an empty map`);
    const tests = entries.map(([k, v]) => compileField(ctx, [...mapPath, k], k, v));
    if (tests.length === 1) return tests[0] as EventTest;
    if (tests.length === 2) {
      const [a, b] = tests as [EventTest, EventTest];
      return (e) => a(e) && b(e);
    }
    return (e) => {
      for (const t of tests) if (!t(e)) return false;
      return true;
    };
  };
  if (typeof ident === "string" || (Array.isArray(ident) && ident.every((x) => typeof x !== "object"))) {
    // Keywords: a record matches when any string/number/boolean anywhere in it matches (contains, wildcards).
    const words = (Array.isArray(ident) ? ident : [ident]) as Array<string | number>;
    const tests = words.map((w) => {
      const tokens = tokenizePattern(String(w));
      return patternTest([{ wild: "*" }, ...tokens, { wild: "*" }], false);
    });
    return {
      test: (e) => tests.some((t) => anyLeaf(e, t)),
      constraints: { eventName: null, eventSource: null },
    };
  }
  if (Array.isArray(ident)) {
    const maps = ident as SigmaFieldMap[];
    const tests = maps.map((m, i) => compileMap(m, [...path, i]));
    return {
      test: (e) => {
        for (const t of tests) if (t(e)) return true;
        return false;
      },
      constraints: constraintsOf(maps),
    };
  }
  return { test: compileMap(ident, path), constraints: constraintsOf([ident]) };
}

// ---- condition ----

/** Column of a condition's first character, skipping an opening quote. */
function conditionOrigin(ctx: DocContext, path: PropertyKey[]): { line: number; column: number } | undefined {
  const pos = ctx.parsed.locate(path);
  if (!pos) return undefined;
  const lineText = ctx.text.split(/\r?\n/)[pos.line - 1] ?? "";
  const c = lineText[pos.column - 1];
  return c === "'" || c === '"' ? { line: pos.line, column: pos.column + 1 } : pos;
}

interface CompiledCondition {
  test: EventTest;
  constraints: Record<IndexedField, Filter>;
}

function compileCondition(
  ctx: DocContext,
  path: PropertyKey[],
  text: string,
  idents: ReadonlyMap<string, CompiledIdentifier>,
): CompiledCondition {
  const at = (pos: number, message: string): never => {
    const origin = conditionOrigin(ctx, path);
    const p: Problem = { source: ctx.source, field: path.map(String).join("."), message };
    if (origin) {
      p.line = origin.line;
      p.column = origin.column + pos;
    }
    const where = p.line !== undefined ? `:${p.line}:${p.column}` : "";
    throw new TechtrailError("VALIDATION", `${ctx.source}${where}: ${message} in condition '${text}'`, {
      problems: [p],
    });
  };
  let ast: ConditionNode;
  try {
    ast = parseCondition(text);
  } catch (e) {
    if (e instanceof ConditionAggregationError) unsupportedCorrelation(ctx, path, `aggregation in condition '${text}'`);
    if (e instanceof ConditionSyntaxError) at(e.pos, e.message);
    throw e;
  }
  const names = [...idents.keys()];
  const build = (n: ConditionNode): CompiledCondition => {
    switch (n.kind) {
      case "id": {
        const id = idents.get(n.name);
        if (!id) return at(n.pos, `unknown search identifier '${n.name}' (defined: ${names.join(", ") || "none"})`);
        return id;
      }
      case "not": {
        const inner = build(n.expr).test;
        return { test: (e) => !inner(e), constraints: { eventName: null, eventSource: null } };
      }
      case "and":
      case "or":
        return combine(n.kind, n.items.map(build));
      case "of": {
        const selected = expandOfPattern(n.pattern, names);
        if (selected.length === 0)
          return at(
            n.pos,
            `'${n.pattern ?? "them"}' matches no search identifier (defined: ${names.join(", ") || "none"})`,
          );
        const parts = selected.map((s) => idents.get(s) as CompiledIdentifier);
        if (n.quantifier === "all") return combine("and", parts);
        if (n.quantifier === 1) return combine("or", parts);
        const q = n.quantifier;
        const tests = parts.map((p) => p.test);
        return {
          test: (e) => {
            let k = 0;
            for (const t of tests) if (t(e) && ++k >= q) return true;
            return false;
          },
          // At least one part must hold, so the union of their filters is still a sound superset.
          constraints: combine("or", parts).constraints,
        };
      }
    }
  };
  return build(ast);
}

function combine(kind: "and" | "or", parts: CompiledCondition[]): CompiledCondition {
  const tests = parts.map((p) => p.test);
  const constraints = Object.fromEntries(
    INDEXED_FIELDS.map((f) => [f, (kind === "and" ? intersect : union)(parts.map((p) => p.constraints[f]))]),
  ) as Record<IndexedField, Filter>;
  if (tests.length === 1) return parts[0] as CompiledCondition;
  if (tests.length === 2) {
    const [a, b] = tests as [EventTest, EventTest];
    return { test: kind === "and" ? (e) => a(e) && b(e) : (e) => a(e) || b(e), constraints };
  }
  const test: EventTest =
    kind === "and"
      ? (e) => {
          for (const t of tests) if (!t(e)) return false;
          return true;
        }
      : (e) => {
          for (const t of tests) if (t(e)) return true;
          return false;
        };
  return { test, constraints };
}

// ---- documents ----

interface CompiledDocument {
  rules: CompiledRule[];
  correlations: CompiledCorrelation[];
}

/** Legacy aggregations and near without `timeframe` use this window (documented in docs/rules.md). */
const LEGACY_DEFAULT_TIMEFRAME = "1h";

function compileDocument(ctx: DocContext): CompiledDocument {
  const value = ctx.parsed.value;
  if (value === null || typeof value !== "object" || Array.isArray(value))
    fail("VALIDATION", ctx, [], "a Sigma rule must be a YAML map");
  const obj = value as Record<string, unknown>;
  if ("correlation" in obj) return { rules: [], correlations: [compileCorrelationDoc(ctx)] };
  if ("action" in obj)
    fail(
      "UNSUPPORTED",
      ctx,
      ["action"],
      "Sigma rule collections (action: global/reset/repeat) are not supported; rule skipped",
    );
  const res = SigmaRuleDoc.safeParse(value);
  if (!res.success) {
    const problems = locatedProblems(ctx.parsed, res.error.issues, ctx.source);
    throw new TechtrailError("VALIDATION", `${ctx.source}: invalid Sigma rule (${problems.length} problem(s))`, {
      problems,
    });
  }
  const doc = res.data;
  const { product, service, category } = doc.logsource;
  if (product?.toLowerCase() !== "aws" || service?.toLowerCase() !== "cloudtrail") {
    const desc = Object.entries({ product, service, category })
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}: ${v}`)
      .join(", ");
    fail(
      "UNSUPPORTED",
      ctx,
      ["logsource"],
      `logsource {${desc}} is not supported (only product: aws, service: cloudtrail); rule skipped`,
    );
  }
  const legacy = legacyCorrelation(ctx, doc);
  if (legacy) return legacy;
  return { rules: [buildRule(ctx, doc)], correlations: [] };
}

/** The rule's own ID: `id`, else `name`, else its file (with the document number in multi-document files). */
const docId = (ctx: DocContext, doc: { id?: string | undefined; name?: string | undefined }) =>
  doc.id ?? doc.name ?? (ctx.count > 1 ? `${ctx.source}#${ctx.index + 1}` : ctx.source);

interface RuleVariant {
  id: string;
  title: string;
  condition: string;
  correlationOnly: boolean;
}

/** A document's tags and the references they give (rules and correlations alike); malformed tags are located. */
function tagRefs(
  ctx: DocContext,
  tags: string[],
): Pick<CompiledRule, "tags" | "techniqueRefs" | "catalogRefs" | "attackRefs" | "tacticRefs"> {
  const t = parseTags(tags);
  if (t.problems.length > 0) {
    const problems = t.problems.map((p) => located(ctx, ["tags", p.index], p.message));
    throw new TechtrailError("VALIDATION", `${ctx.source}: ${t.problems[0]?.message}`, { problems });
  }
  return {
    tags,
    techniqueRefs: t.techniqueRefs,
    catalogRefs: t.catalogRefs,
    attackRefs: t.attackRefs,
    tacticRefs: t.tacticRefs,
  };
}

/** Compiles a validated detection rule document (or a variant of it with another condition and ID). */
function buildRule(ctx: DocContext, doc: SigmaRuleDoc, variant?: RuleVariant): CompiledRule {
  const idents = new Map<string, CompiledIdentifier>();
  for (const [name, v] of Object.entries(doc.detection)) {
    if (name === "condition" || name === "timeframe") continue;
    idents.set(name, compileIdentifier(ctx, name, v));
  }
  if (idents.size === 0) fail("VALIDATION", ctx, ["detection"], "detection defines no search identifier");

  const conditions = variant
    ? [variant.condition]
    : Array.isArray(doc.detection.condition)
      ? doc.detection.condition
      : [doc.detection.condition];
  const compiled = conditions.map((c, i) =>
    compileCondition(
      ctx,
      Array.isArray(doc.detection.condition) ? ["detection", "condition", i] : ["detection", "condition"],
      c,
      idents,
    ),
  );
  const { test, constraints } = combine("or", compiled);

  const rule: CompiledRule = {
    id: variant?.id ?? docId(ctx, doc),
    title: variant?.title ?? doc.title,
    level: doc.level ?? "medium",
    ...tagRefs(ctx, doc.tags),
    source: ctx.source,
    eventNames: exactOnly(constraints.eventName),
    eventSources: exactOnly(constraints.eventSource),
    eventNameFilter: constraints.eventName,
    eventSourceFilter: constraints.eventSource,
    match: test,
    detection: variant ? { ...doc.detection, condition: variant.condition } : doc.detection,
  };
  if (variant?.correlationOnly) rule.correlationOnly = true;
  if (doc.name !== undefined && !variant) rule.name = doc.name;
  if (doc.status !== undefined) rule.status = doc.status;
  if (doc.description !== undefined) rule.description = doc.description;
  return rule;
}

/**
 * Sigma v1 aggregations become a base rule plus a correlation with the original rule's ID, title, level
 * and tags: `sel | count() by f > N` → event_count, `sel | count(x) by f > N` → value_count,
 * `sel1 | near sel2` and `timeframe` with `sel1 and sel2` (two events) → temporal.
 */
function legacyCorrelation(ctx: DocContext, doc: SigmaRuleDoc): CompiledDocument | undefined {
  const conds = Array.isArray(doc.detection.condition) ? doc.detection.condition : [doc.detection.condition];
  const condPath = ["detection", "condition"];
  const agg = conds.length === 1 ? parseLegacyAggregation(conds[0] as string) : undefined;
  if (!agg && conds.some((c) => c.includes("|"))) {
    const what = /\|\s*(\w+)/.exec(conds.find((c) => c.includes("|")) ?? "")?.[1] ?? "?";
    fail(
      "UNSUPPORTED",
      ctx,
      condPath,
      `aggregation '| ${what}' is not supported (supported: count() [by field] <op> N, count(field) [by field] <op> N, near); rule skipped`,
    );
  }
  const timeframe = doc.detection.timeframe;
  if (timeframe !== undefined && parseTimespan(timeframe) === undefined)
    fail(
      "VALIDATION",
      ctx,
      ["detection", "timeframe"],
      `bad timeframe '${timeframe}' (expected e.g. 30s, 10m, 1h, 1d)`,
    );
  const id = docId(ctx, doc);
  const timespan = timeframe ?? LEGACY_DEFAULT_TIMEFRAME;
  const base = (suffix: string, condition: string) =>
    buildRule(ctx, doc, {
      id: `${id}#${suffix}`,
      title: `${doc.title} [${condition}]`,
      condition,
      correlationOnly: true,
    });
  if (agg?.kind === "count") {
    const rule = base("base", agg.search);
    const corr = legacyCorrelationOf(ctx, doc, id, {
      type: agg.countField ? "value_count" : "event_count",
      rules: [rule.id],
      "group-by": agg.groupBy,
      timespan,
      condition: {
        [(agg.bound as { op: string }).op]: agg.bound?.value,
        ...(agg.countField ? { field: agg.countField } : {}),
      },
    });
    return { rules: [rule], correlations: [corr] };
  }
  let parts: string[] | undefined;
  if (agg?.kind === "near") parts = [agg.search, ...(agg.near ?? [])];
  else if (timeframe !== undefined) {
    // `sel1 and sel2` under a timeframe: events matching each identifier, near each other in time.
    const words = (conds[0] as string).trim().split(/\s+and\s+/i);
    if (conds.length === 1 && words.length >= 2 && words.every((w) => /^[\w.-]+$/.test(w))) parts = words;
  }
  if (!parts) return undefined; // a timeframe over a single-event condition changes nothing
  const rules = parts.map((p, i) => base(`${i + 1}`, p));
  const corr = legacyCorrelationOf(ctx, doc, id, {
    type: "temporal",
    rules: rules.map((r) => r.id),
    "group-by": [],
    timespan,
  });
  return { rules, correlations: [corr] };
}

function legacyCorrelationOf(
  ctx: DocContext,
  doc: SigmaRuleDoc,
  id: string,
  section: Record<string, unknown>,
): CompiledCorrelation {
  const res = CorrelationDoc.safeParse({
    title: doc.title,
    id,
    level: doc.level,
    tags: doc.tags,
    status: doc.status,
    description: doc.description,
    correlation: section,
  });
  if (!res.success)
    fail("VALIDATION", ctx, ["detection", "condition"], `cannot read the aggregation: ${res.error.issues[0]?.message}`);
  return correlationFrom(ctx, res.data, id);
}

function compileCorrelationDoc(ctx: DocContext): CompiledCorrelation {
  const res = CorrelationDoc.safeParse(ctx.parsed.value);
  if (!res.success) {
    const problems = locatedProblems(ctx.parsed, res.error.issues, ctx.source);
    throw new TechtrailError(
      "VALIDATION",
      `${ctx.source}: invalid correlation rule (${problems.map((p) => `${p.field ?? ""}: ${p.message}`).join("; ")})`,
      { problems },
    );
  }
  const issues = checkSection(res.data.correlation);
  if (issues.length > 0) {
    const problems = issues.map((i) => located(ctx, i.path, i.message));
    throw new TechtrailError("VALIDATION", `${ctx.source}: ${issues[0]?.message}`, { problems });
  }
  return correlationFrom(ctx, res.data, docId(ctx, res.data));
}

function correlationFrom(ctx: DocContext, doc: CorrelationDoc, id: string): CompiledCorrelation {
  const sec = doc.correlation;
  const c: CompiledCorrelation = {
    id,
    title: doc.title,
    level: doc.level ?? "medium",
    ...tagRefs(ctx, doc.tags),
    source: ctx.source,
    type: sec.type === "temporal" && sec.ordered === true ? "temporal_ordered" : sec.type,
    ruleRefs: [sec.rules].flat(),
    groupBy: sec["group-by"] === undefined ? [] : [sec["group-by"]].flat(),
    aliases: sec.aliases ?? {},
    timespanMs: sec.timespan ? (parseTimespan(sec.timespan) ?? 0) : 0,
    learningMs: sec["learning-period"] ? (parseTimespan(sec["learning-period"]) ?? 0) : 0,
    bounds: boundsOf(sec.condition),
    generate: sec.generate ?? doc.generate ?? false,
  };
  if (sec.condition?.field !== undefined) c.field = sec.condition.field;
  if (doc.name !== undefined) c.name = doc.name;
  if (doc.status !== undefined) c.status = doc.status;
  if (doc.description !== undefined) c.description = doc.description;
  return c;
}

const exactOnly = (f: Filter): ReadonlySet<string> | null => (f === null || f.prefixes.length > 0 ? null : f.values);

/** Compiles every document of one file; returns rules and per-document errors. */
function compileFile(
  text: string,
  source: string,
): { rules: CompiledRule[]; correlations: CompiledCorrelation[]; errors: TechtrailError[] } {
  const rules: CompiledRule[] = [];
  const correlations: CompiledCorrelation[] = [];
  const errors: TechtrailError[] = [];
  let docs: Array<{ parsed: ParsedYaml; empty: boolean }>;
  try {
    docs = parseDocuments(text, source);
  } catch (e) {
    errors.push(asTechtrailError(e, source));
    return { rules, correlations, errors };
  }
  const real = docs.filter((d) => !d.empty);
  if (real.length === 0) {
    errors.push(
      new TechtrailError("VALIDATION", `${source}: file holds no Sigma rule`, {
        problems: [{ source, message: "empty file" }],
      }),
    );
  }
  real.forEach((d, index) => {
    try {
      const out = compileDocument({ source, parsed: d.parsed, text, index, count: real.length });
      rules.push(...out.rules);
      correlations.push(...out.correlations);
    } catch (e) {
      errors.push(asTechtrailError(e, source));
    }
  });
  return { rules, correlations, errors };
}

function asTechtrailError(e: unknown, source: string): TechtrailError {
  if (e instanceof TechtrailError) return e;
  return new TechtrailError("INTERNAL", `${source}: rule compiler failed: ${(e as Error)?.message ?? String(e)}`, {
    cause: e,
  });
}

/**
 * Compiles a file holding one Sigma rule. Throws TechtrailError: PARSE (YAML), VALIDATION (schema,
 * condition; located), UNSUPPORTED (correlations, other logsources, unsupported modifiers).
 */
export function compileSigmaRule(text: string, source: string): CompiledRule {
  const { rules, errors } = compileFile(text, source);
  if (errors.length > 0) throw errors[0];
  if (rules.length !== 1)
    throw new TechtrailError("VALIDATION", `${source}: expected one rule document, found ${rules.length}`, {
      problems: [{ source, message: "use compileSigmaRules for multi-document files" }],
    });
  return rules[0] as CompiledRule;
}

/**
 * Compiles many files, collecting errors per file/document; duplicate rule IDs are reported, the first kept.
 * Correlations are resolved across all files (names or IDs); one with an unknown reference or in a cycle is
 * reported and left out. Rules referenced only by correlations with `generate: false` report no findings of
 * their own (`correlationOnly`).
 */
export function compileSigmaRules(files: ReadonlyArray<{ text: string; source: string }>): {
  rules: CompiledRule[];
  correlations: CompiledCorrelation[];
  errors: TechtrailError[];
} {
  const rules: CompiledRule[] = [];
  const correlations: CompiledCorrelation[] = [];
  const errors: TechtrailError[] = [];
  const seen = new Map<string, string>();
  const keep = (item: { id: string; source: string }): boolean => {
    const prev = seen.get(item.id);
    if (prev !== undefined) {
      errors.push(
        new TechtrailError("CONFLICT", `${item.source}: duplicate rule id ${item.id} (first defined in ${prev})`, {
          problems: [{ source: item.source, field: "id", message: `duplicate rule id ${item.id}` }],
        }),
      );
      return false;
    }
    seen.set(item.id, item.source);
    return true;
  };
  for (const f of files) {
    const r = compileFile(f.text, f.source);
    errors.push(...r.errors);
    for (const rule of r.rules) if (keep(rule)) rules.push(rule);
    for (const c of r.correlations) if (keep(c)) correlations.push(c);
  }
  if (correlations.length === 0) return { rules, correlations, errors };
  const { ok, problems } = resolveReferences(rules, correlations);
  for (const { correlation, problem } of problems)
    errors.push(new TechtrailError("VALIDATION", `${correlation.source}: ${problem.message}`, { problems: [problem] }));
  const loaded = correlations.filter((c) => ok.has(c.id));
  for (const c of loaded) c.targets = ok.get(c.id) as string[];
  // A rule stays visible when any correlation over it generates, or when no loaded correlation uses it.
  const hidden = new Map<string, boolean>();
  for (const c of loaded) for (const t of c.targets ?? []) hidden.set(t, (hidden.get(t) ?? true) && !c.generate);
  for (const r of rules) {
    const h = hidden.get(r.id);
    if (h === false) delete r.correlationOnly;
    else if (h === true) r.correlationOnly = true;
  }
  return { rules, correlations: loaded, errors };
}
