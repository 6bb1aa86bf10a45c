// SQL back ends of the rule IR: DuckDB (records as a JSON column), Trino/Athena (the CloudTrail table AWS
// documents for Athena) and CloudTrail Lake (an event data store). Each maps Sigma field paths to its columns
// and turns predicates into boolean SQL that is never NULL (so `not` keeps Sigma's two-valued logic). A
// construct a dialect cannot express throws Unsupported naming it; the caller runs that rule in JS instead.
import { RE2JS } from "re2js";
import type { PatternToken } from "../rules/matchers.js";
import type { Expr, Pred } from "./ir.js";

export const DIALECTS = ["duckdb", "athena", "cloudtrail-lake"] as const;
export type DialectName = (typeof DIALECTS)[number];

/** A construct the dialect cannot express (the rule runs in the JS engine). */
export class Unsupported extends Error {
  constructor(readonly construct: string) {
    super(construct);
  }
}

/** How a field's values are reached: a JSON value, a plain string column, or a list of strings. */
export type Access = { kind: "json"; expr: string } | { kind: "text"; expr: string } | { kind: "list"; expr: string };

export const sqlString = (s: string) => `'${s.replace(/'/g, "''")}'`;

interface Backend {
  name: DialectName;
  access(field: string): Access;
  /** A pattern over a field with precomputed text lists (DuckDB scan engine), or undefined to use anyText. */
  listPattern?(a: Access, tokens: PatternToken[], cased: boolean): string | undefined;
  /** Boolean SQL: any value of the field satisfies `p` (given a text expression). */
  anyText(a: Access, p: (text: string) => string): string;
  /** All text values of a field as a list expression (for fieldref). */
  texts(a: Access): string;
  /** Any pair (x from list a, y from list b) satisfies p. */
  anyPair(a: string, b: string, p: (x: string, y: string) => string): string;
  isNull(a: Access): string;
  regex(text: string, source: string, flags: string): string;
  cidr(text: string, pred: Extract<Pred, { kind: "cidr" }>): string;
  toDouble(text: string): string;
}

let lambdaSeq = 0;
const lambdaVar = () => `v${++lambdaSeq}`;

// ---- patterns (shared) ----

function likePattern(tokens: PatternToken[], fold: (s: string) => string): string {
  return tokens
    .map((t) => ("wild" in t ? (t.wild === "*" ? "%" : "_") : fold(t.lit).replace(/[\\%_]/g, (c) => `\\${c}`)))
    .join("");
}

function patternSql(text: string, tokens: PatternToken[], cased: boolean): string {
  const fold = (s: string) => (cased ? s : s.toLowerCase());
  const subject = cased ? text : `lower(${text})`;
  const hasWild = tokens.some((t) => "wild" in t);
  if (!hasWild) return `${subject} = ${sqlString(fold(tokens.map((t) => ("lit" in t ? t.lit : "")).join("")))}`;
  if (tokens.every((t) => "wild" in t && t.wild === "*")) return `${text} IS NOT NULL`;
  return `${subject} LIKE ${sqlString(likePattern(tokens, fold))} ESCAPE '\\'`;
}

/** Inline flags in the pattern: understood alike by RE2 (DuckDB) and Java/Joni regexes (Trino). */
function regexSource(source: string, p: { i: boolean; m: boolean; s: boolean }): string {
  let src: string;
  try {
    src = RE2JS.translateRegExp(source);
  } catch {
    src = source;
  }
  const flags = `${p.i ? "i" : ""}${p.m ? "m" : ""}${p.s ? "s" : ""}`;
  return flags ? `(?${flags})${src}` : src;
}

// ---- DuckDB ----

/** JSON paths a Sigma field resolves to, in the JS getter's order: nested first, then literal dotted keys. */
function jsonPathCandidates(field: string): string[] {
  const parts = field.split(".");
  const q = (s: string) => `"${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
  const out: string[] = [];
  // split point k: parts[0..k) walked as objects, the rest one literal key (k = parts.length - 1 first)
  for (let k = parts.length - 1; k >= 0; k--) {
    const head = parts.slice(0, k).map(q);
    out.push(`$.${[...head, q(parts.slice(k).join("."))].join(".")}`);
  }
  return out;
}

/** Variants of a field column `f` the scan engine computes (see FieldLists): which ones rules used. */
export type ListVariant = "t" | "l" | "j" | "jt";

/**
 * Field columns with precomputed text lists (the scan engine's one-pass query): for a field column `f`,
 * `f_t` its texts (a list: the elements of an array, else the one value), `f_l` them lower-cased, `f_j` and
 * `f_jt` those joined with U+0001. Patterns then need no lambda per predicate (hundreds of rules in one
 * query would otherwise hold a lambda's state each). `used` collects the variants the rules read.
 */
export interface FieldLists {
  used: Map<string, Set<ListVariant>>;
}

function duckdb(record: string, columns?: ReadonlyMap<string, string>, lists?: FieldLists): Backend {
  const col = new Set(columns?.values() ?? []);
  const use = (base: string, v: ListVariant) => {
    const set = lists?.used.get(base) ?? new Set<ListVariant>();
    set.add(v);
    lists?.used.set(base, set);
    return `${base}_${v}`;
  };
  return {
    name: "duckdb",
    listPattern(a, tokens, cased) {
      if (!lists || !col.has(a.expr)) return undefined;
      const fold = (s: string) => (cased ? s : s.toLowerCase());
      if (!tokens.some((t) => "wild" in t))
        return `coalesce(list_contains(${use(a.expr, cased ? "t" : "l")}, ${sqlString(fold(tokens.map((t) => ("lit" in t ? t.lit : "")).join("")))}), false)`;
      if (tokens.every((t) => "wild" in t && t.wild === "*")) return undefined;
      // one element of the joined list: wildcards do not cross U+0001
      const re = tokens
        .map((t) =>
          "wild" in t
            ? t.wild === "*"
              ? "[^\\x01]*"
              : "[^\\x01]"
            : fold(t.lit).replace(/[\\^$.|?*+()[\]{}]/g, (c) => `\\${c}`),
        )
        .join("");
      use(a.expr, cased ? "t" : "l");
      return `coalesce(regexp_matches(${use(a.expr, cased ? "jt" : "j")}, ${sqlString(`(?s)(?:^|\\x01)${re}(?:\\x01|$)`)}), false)`;
    },
    access(field) {
      const col = columns?.get(field);
      if (col !== undefined) return { kind: "json", expr: col };
      const paths = jsonPathCandidates(field).map((p) => `json_extract(${record}, ${sqlString(p)})`);
      return { kind: "json", expr: paths.length === 1 ? (paths[0] as string) : `coalesce(${paths.join(", ")})` };
    },
    anyText(a, p) {
      if (a.kind !== "json") throw new Error("duckdb fields are JSON");
      const v = lambdaVar();
      return `coalesce(CASE WHEN json_type(${a.expr}) = 'ARRAY' THEN list_bool_or(list_transform(json_extract_string(${a.expr}, '$[*]'), lambda ${v}: ${p(v)})) ELSE ${p(`json_extract_string(${a.expr}, '$')`)} END, false)`;
    },
    texts(a) {
      return `CASE WHEN json_type(${a.expr}) = 'ARRAY' THEN json_extract_string(${a.expr}, '$[*]') ELSE [json_extract_string(${a.expr}, '$')] END`;
    },
    anyPair(a, b, p) {
      const x = lambdaVar();
      const y = lambdaVar();
      return `coalesce(list_bool_or(list_transform(${a}, lambda ${x}: list_bool_or(list_transform(${b}, lambda ${y}: ${p(x, y)})))), false)`;
    },
    isNull: (a) => `coalesce(json_type(${a.expr}) = 'NULL', true)`,
    regex: (text, source, _flags) => `regexp_matches(${text}, ${sqlString(source)})`,
    cidr(text, pred) {
      if (pred.cidr.v6) throw new Unsupported(`cidr '${pred.text}' (IPv6 networks)`);
      const bits = 32 - Number(popcount(pred.cidr.mask));
      const ip = `regexp_replace(${text}, '^::[fF]{4}:', '')`;
      const octets = `list_transform(string_split(${ip}, '.'), lambda o: try_cast(o AS BIGINT))`;
      const value = `list_reduce(${octets}, lambda x, y: x * 256 + y)`;
      return `(regexp_full_match(${ip}, '[0-9]{1,3}(\\.[0-9]{1,3}){3}') AND list_bool_and(list_transform(${octets}, lambda o: o <= 255)) AND (${value} >> ${bits}) = ${String(pred.cidr.base >> BigInt(bits))})`;
    },
    toDouble: (text) => `try_cast(${text} AS DOUBLE)`,
  };
}

function popcount(n: bigint): bigint {
  let c = 0n;
  for (let x = n; x > 0n; x >>= 1n) c += x & 1n;
  return c;
}

// ---- Trino: Athena and CloudTrail Lake ----

/** userIdentity sub-fields, as lower-case Sigma paths → column path (both tables share these names). */
const USER_IDENTITY = [
  "type",
  "principalid",
  "arn",
  "accountid",
  "invokedby",
  "accesskeyid",
  "username",
  "onbehalfof.userid",
  "onbehalfof.identitystorearn",
  "sessioncontext.attributes.mfaauthenticated",
  "sessioncontext.attributes.creationdate",
  "sessioncontext.sessionissuer.type",
  "sessioncontext.sessionissuer.principalid",
  "sessioncontext.sessionissuer.arn",
  "sessioncontext.sessionissuer.accountid",
  "sessioncontext.sessionissuer.username",
  "sessioncontext.ec2roledelivery",
  "sessioncontext.webidfederationdata.federatedprovider",
];
const LAKE_USER_IDENTITY = [
  ...USER_IDENTITY.filter((f) => f !== "sessioncontext.attributes.creationdate"), // a timestamp in Lake
  "sessioncontext.sourceidentity",
  "sessioncontext.ec2issuedinvpc",
  "identityprovider",
];
const ATHENA_TEXT = [
  "eventversion",
  "eventtime",
  "eventsource",
  "eventname",
  "awsregion",
  "sourceipaddress",
  "useragent",
  "errorcode",
  "errormessage",
  "requestid",
  "eventid",
  "eventtype",
  "apiversion",
  "readonly",
  "recipientaccountid",
  "sharedeventid",
  "vpcendpointid",
  "tlsdetails.tlsversion",
  "tlsdetails.ciphersuite",
  "tlsdetails.clientprovidedhostheader",
];
/** Lake: eventtime is a timestamp (its text differs from the record's), readonly a boolean. */
const LAKE_TEXT = [
  ...ATHENA_TEXT.filter((f) => f !== "eventtime" && f !== "readonly" && f !== "tlsdetails.clientprovidedhostheader"),
  "eventcategory",
  "tlsdetails.clienthostheader",
  "sessioncredentialfromconsole",
];
const JSON_COLUMNS = ["requestparameters", "responseelements", "additionaleventdata", "serviceeventdetails"];

/** A Trino JSON path for keys (bracket form when a key is not a plain identifier). */
function trinoJsonPath(keys: string[]): string {
  return `$${keys.map((k) => (/^[A-Za-z_][A-Za-z0-9_]*$/.test(k) ? `.${k}` : `["${k.replace(/"/g, '\\"')}"]`)).join("")}`;
}

function trino(name: "athena" | "cloudtrail-lake"): Backend {
  const lake = name === "cloudtrail-lake";
  const table = lake ? "the CloudTrail Lake event data store" : "the Athena CloudTrail table";
  const jtext = (e: string) =>
    `CASE WHEN json_format(${e}) = 'null' THEN NULL ELSE coalesce(json_extract_scalar(${e}, '$'), json_format(${e})) END`;
  return {
    name,
    access(field) {
      const parts = field.split(".");
      const lower = field.toLowerCase();
      const [head = "", ...rest] = parts;
      const h = head.toLowerCase();
      if ((lake ? LAKE_TEXT : ATHENA_TEXT).includes(lower)) return { kind: "text", expr: lower };
      if (lake && lower === "readonly") return { kind: "text", expr: "CAST(readonly AS varchar)" };
      if (h === "useridentity" && rest.length > 0) {
        const sub = rest.join(".").toLowerCase();
        if ((lake ? LAKE_USER_IDENTITY : USER_IDENTITY).includes(sub))
          return { kind: "text", expr: `useridentity.${sub}` };
      }
      if (JSON_COLUMNS.includes(h)) {
        if (lake) {
          // Lake keeps these as map<string,string>: a top-level key's value is text (JSON text for nested values)
          if (rest.length === 0) throw new Unsupported(`field '${field}' (a whole map column in ${table})`);
          const el = `element_at(${h}, ${sqlString(rest[0] as string)})`;
          if (rest.length === 1) return { kind: "text", expr: el };
          return { kind: "text", expr: `json_extract_scalar(${el}, ${sqlString(trinoJsonPath(rest.slice(1)))})` };
        }
        if (rest.length === 0) return { kind: "json", expr: `json_parse(${h})` };
        // SQL/JSON lax mode searches arrays met on the way element-wise and `[*]` spreads a list value, as the JS
        // getter does: every value the path reaches, as a list of texts (empty when the path reaches nothing)
        const path = `lax $${rest.map((k) => `."${k.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`).join("")}[*]`;
        const e = lambdaVar();
        return {
          kind: "list",
          expr: `transform(coalesce(TRY_CAST(json_parse(json_query(${h}, ${sqlString(path)} WITH ARRAY WRAPPER)) AS array(json)), ARRAY[]), ${e} -> ${jtext(e)})`,
        };
      }
      if (h === "resources" && rest.length === 1 && !lake) {
        const sub = (rest[0] as string).toLowerCase();
        if (["arn", "accountid", "type"].includes(sub))
          return { kind: "list", expr: `transform(resources, r -> r.${sub})` };
      }
      throw new Unsupported(`field '${field}' (not a column of ${table})`);
    },
    anyText(a, p) {
      if (a.kind === "text") return `coalesce(${p(a.expr)}, false)`;
      if (lake) throw new Unsupported("list values (lambda expressions)");
      const v = lambdaVar();
      return `coalesce(any_match(${this.texts(a)}, ${v} -> ${p(v)}), false)`;
    },
    texts(a) {
      if (a.kind === "text") return `ARRAY[${a.expr}]`;
      if (a.kind === "list") return a.expr;
      const e = lambdaVar();
      return `transform(coalesce(TRY_CAST(${a.expr} AS array(json)), ARRAY[${a.expr}]), ${e} -> ${jtext(e)})`;
    },
    anyPair(a, b, p) {
      if (lake) throw new Unsupported("fieldref over list values (lambda expressions)");
      const x = lambdaVar();
      const y = lambdaVar();
      return `coalesce(any_match(${a}, ${x} -> any_match(${b}, ${y} -> ${p(x, y)})), false)`;
    },
    isNull(a) {
      if (a.kind === "text") return `(${a.expr} IS NULL)`;
      if (a.kind === "list") return `coalesce(cardinality(filter(${a.expr}, x -> x IS NOT NULL)) = 0, true)`;
      return `(${a.expr} IS NULL OR json_format(${a.expr}) = 'null')`;
    },
    regex: (text, source) => `regexp_like(${text}, ${sqlString(source)})`,
    cidr(text, pred) {
      if (lake) throw new Unsupported(`cidr '${pred.text}' (no IP address type in ${table})`);
      return `contains(${sqlString(pred.text)}, TRY_CAST(${text} AS ipaddress))`;
    },
    toDouble: (text) => `TRY_CAST(${text} AS double)`,
  };
}

/** A dialect's back end; DuckDB reads fields from `record` or from pre-extracted columns (field → column). */
export function backend(
  dialect: DialectName,
  record = "record",
  columns?: ReadonlyMap<string, string>,
  lists?: FieldLists,
): Backend {
  return dialect === "duckdb" ? duckdb(record, columns, lists) : trino(dialect);
}

/**
 * DuckDB: extracts every field the expressions read with one JSON parse per record (`json_extract` with a
 * list of paths), for a query that then reads `columns` instead of re-parsing the record per predicate.
 */
export function duckdbFieldColumns(
  fields: Iterable<string>,
  record = "record",
): { extract: string; columns: Map<string, string>; project: string } {
  const paths: string[] = [];
  const at = (p: string) => {
    let i = paths.indexOf(p);
    if (i < 0) i = paths.push(p) - 1;
    return `__f[${i + 1}]`;
  };
  const columns = new Map<string, string>();
  const project: string[] = [];
  let n = 0;
  for (const f of fields) {
    if (columns.has(f)) continue;
    const [nested, ...dotted] = jsonPathCandidates(f).map(at);
    const col = `f_${n++}`;
    columns.set(f, col);
    const parts = f.split(".");
    const fallback = dotted.length > 0 ? `coalesce(${dotted.join(", ")})` : "NULL";
    const arrays = arrayWalkPaths(parts);
    if (arrays.length === 0) {
      project.push(`${dotted.length > 0 ? `coalesce(${nested}, ${fallback})` : nested} AS ${col}`);
      continue;
    }
    // Arrays met on the way are searched element-wise (as the JS getter does): one wildcard path per place an
    // array may stand, run on the first segment's value (DuckDB takes wildcards one path at a time).
    const head = at(jsonPathCandidates(parts[0] as string)[0] as string);
    const walked = `list_concat(${arrays.map((p) => `coalesce(json_extract(${head}, ${sqlString(p)}), []::JSON[])`).join(", ")})`;
    project.push(
      `CASE WHEN ${nested} IS NOT NULL THEN ${nested} WHEN len(${walked}) > 0 THEN to_json(${walked}) ELSE ${fallback} END AS ${col}`,
    );
  }
  return {
    extract: paths.length > 0 ? `json_extract(${record}, [${paths.map(sqlString).join(", ")}]) AS __f` : "NULL AS __f",
    columns,
    project: project.join(", ") || "NULL AS f_none",
  };
}

/** Longest field path (segments) whose array positions are all tried; longer ones are read as plain objects. */
const MAX_ARRAY_WALK = 6;

/** Paths relative to a field's first segment with `[*]` after every non-empty set of its non-leaf segments. */
function arrayWalkPaths(parts: string[]): string[] {
  const k = parts.length;
  if (k < 2 || k > MAX_ARRAY_WALK) return [];
  const q = (s: string) => `"${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
  const out: string[] = [];
  for (let mask = 1; mask < 1 << (k - 1); mask++) {
    let p = "$";
    for (let i = 0; i < k - 1; i++) {
      if (i > 0) p += `.${q(parts[i] as string)}`;
      if (mask & (1 << i)) p += "[*]";
    }
    out.push(`${p}.${q(parts[k - 1] as string)}`);
  }
  return out;
}

// ---- expressions ----

function predSql(b: Backend, p: Pred): string {
  switch (p.kind) {
    case "keyword":
      throw new Unsupported("keyword search (values anywhere in the record)");
    case "null":
      return b.isNull(b.access(p.field));
    case "exists": {
      const n = b.isNull(b.access(p.field));
      return p.want ? `NOT ${n}` : n;
    }
    case "pattern": {
      const a = b.access(p.field);
      return b.listPattern?.(a, p.tokens, p.cased) ?? b.anyText(a, (t) => patternSql(t, p.tokens, p.cased));
    }
    case "regex":
      return b.anyText(b.access(p.field), (t) => b.regex(t, regexSource(p.source, p), ""));
    case "cidr":
      return b.anyText(b.access(p.field), (t) => b.cidr(t, p));
    case "numeric": {
      const op = { lt: "<", lte: "<=", gt: ">", gte: ">=" }[p.op];
      return b.anyText(b.access(p.field), (t) => `${b.toDouble(t)} ${op} ${String(p.bound)}`);
    }
    case "fieldref": {
      const fold = (s: string) => (p.cased ? s : `lower(${s})`);
      const cmp = (x: string, y: string) => {
        const [a, r] = [fold(x), fold(y)];
        if (p.mode === "eq") return `${a} = ${r}`;
        if (p.mode === "startswith") return `starts_with(${a}, ${r})`;
        if (p.mode === "endswith")
          return b.name === "duckdb" ? `suffix(${a}, ${r})` : `strpos(reverse(${a}), reverse(${r})) = 1`;
        return `strpos(${a}, ${r}) > 0`;
      };
      const left = b.access(p.field);
      const right = b.access(p.other);
      if (left.kind === "text" && right.kind === "text") return `coalesce(${cmp(left.expr, right.expr)}, false)`;
      return b.anyPair(b.texts(left), b.texts(right), cmp);
    }
  }
}

/** Boolean SQL for an IR expression (never NULL). Throws Unsupported. */
export function exprSql(b: Backend, e: Expr): string {
  switch (e.kind) {
    case "pred":
      return predSql(b, e.pred);
    case "not":
      return `NOT (${exprSql(b, e.expr)})`;
    case "and":
    case "or":
      return e.items.map((i) => `(${exprSql(b, i)})`).join(e.kind === "and" ? " AND " : " OR ");
    case "atleast":
      return `(${e.items.map((i) => `CASE WHEN ${exprSql(b, i)} THEN 1 ELSE 0 END`).join(" + ")}) >= ${e.n}`;
  }
}

/**
 * DuckDB over top-level JSON columns (read_json with explicit columns, one per top-level key): each field is read
 * through the column of its first segment. A nested column is parsed once per record with one multi-path
 * json_extract (`extracts`: key → paths, referenced as `xref(key)[i]`); the caller computes it only where a rule
 * that reads it may match. Same resolution as duckdbFieldColumns: nested path first, then literal dotted keys,
 * and arrays met on the way searched element-wise.
 */
export function duckdbColumnFields(
  fields: Iterable<string>,
  col: (key: string) => string,
  xref: (key: string) => string,
): { extracts: Map<string, string[]>; columns: Map<string, string> } {
  const extracts = new Map<string, string[]>();
  const at = (key: string, path: string) => {
    const paths = extracts.get(key) ?? [];
    let i = paths.indexOf(path);
    if (i < 0) i = paths.push(path) - 1;
    extracts.set(key, paths);
    return `${xref(key)}[${i + 1}]`;
  };
  const q = (s: string) => `"${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
  const columns = new Map<string, string>();
  for (const f of fields) {
    if (columns.has(f)) continue;
    const parts = f.split(".");
    const head = parts[0] as string;
    if (parts.length === 1) {
      columns.set(f, col(head));
      continue;
    }
    // split point k: parts[1..k) walked as objects inside the head column, parts[k..] one literal key
    const cands: string[] = [];
    for (let k = parts.length - 1; k >= 1; k--)
      cands.push(at(head, `$.${[...parts.slice(1, k).map(q), q(parts.slice(k).join("."))].join(".")}`));
    cands.push(col(f)); // the whole field as one literal top-level key
    const [nested, ...dotted] = cands;
    const fallback = dotted.length === 1 ? (dotted[0] as string) : `coalesce(${dotted.join(", ")})`;
    const arrays = arrayWalkPaths(parts);
    if (arrays.length === 0) {
      columns.set(f, `coalesce(${nested}, ${fallback})`);
      continue;
    }
    const walked = `list_concat(${arrays.map((p) => `coalesce(json_extract(${col(head)}, ${sqlString(p)}), []::JSON[])`).join(", ")})`;
    // (a head whose JSON text has no `[` holds no array: most records skip the walk)
    columns.set(
      f,
      `(CASE WHEN ${nested} IS NOT NULL THEN ${nested} WHEN NOT contains(${col(head)}::VARCHAR, '[') THEN ${fallback} WHEN len(${walked}) > 0 THEN to_json(${walked}) ELSE ${fallback} END)`,
    );
  }
  return { extracts, columns };
}
