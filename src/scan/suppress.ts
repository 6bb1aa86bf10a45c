// Suppression of known-benign findings (`scan --suppress FILE`): a reviewed YAML list of entries, each with a
// reason and an optional expiry date, matching findings on rule IDs, principal ARN globs, user-agent globs,
// accounts, source addresses (CIDRs, or the service name CloudTrail records for calls AWS services make) and
// event names. Every field given must match (AND); the values of one field are alternatives (OR). Expired
// entries stop suppressing and are reported. Suppressed findings are counted per entry, never dropped unseen.
import { existsSync, readFileSync } from "node:fs";
import { z } from "zod";
import { type Problem, TechtrailError } from "../core/errors.js";
import { locatedProblems, parseYaml } from "../core/yaml.js";
import { type Cidr, cidrTest, parseCidr, patternTest, tokenizePattern } from "../rules/matchers.js";
import type { Finding } from "./model.js";

const oneOrMany = <T extends z.ZodType>(item: T) =>
  z.union([item, z.array(item).min(1, "give at least one value")]).transform((v) => (Array.isArray(v) ? v : [v]));

const isDate = (s: string) => /^\d{4}-\d{2}-\d{2}$/.test(s) && !Number.isNaN(Date.parse(`${s}T00:00:00Z`));
const isSource = (s: string) => parseCidr(s) !== undefined || /^[a-z0-9.*-]+\.amazonaws\.com$/i.test(s);

const MATCH_FIELDS = ["rules", "principals", "userAgents", "accounts", "sourceIPs", "eventNames"] as const;

export const SuppressionEntry = z
  .strictObject({
    /** Why these findings are expected; shown with every count. */
    reason: z.string().trim().min(1, "say why these findings are expected"),
    /** Last day (UTC) the entry suppresses; afterwards it is reported as expired and suppresses nothing. */
    expires: z
      .union([z.string(), z.date()])
      .transform((v) => (v instanceof Date ? v.toISOString().slice(0, 10) : v))
      .refine(isDate, "expected a date YYYY-MM-DD")
      .optional(),
    /** Rule IDs (exact, case-insensitive). */
    rules: oneOrMany(z.string().min(1)).optional(),
    /** Principal ARN globs (`*` any run, `?` one character; case-insensitive), e.g. arn:aws:sts::*:assumed-role/ci-deploy/*. */
    principals: oneOrMany(z.string().min(1)).optional(),
    /** User-agent globs, e.g. `*Terraform*`. */
    userAgents: oneOrMany(z.string().min(1)).optional(),
    /** 12-digit account IDs (the finding's recipient account). */
    accounts: oneOrMany(
      z.custom<string>(
        (v) => typeof v === "string" && /^\d{12}$/.test(v),
        "expected a 12-digit account ID as a quoted string ('012345678901'; a number loses leading zeros)",
      ),
    ).optional(),
    /** sourceIPAddress: CIDRs or addresses, or AWS service names (`cloudformation.amazonaws.com`). */
    sourceIPs: oneOrMany(
      z.string().refine(isSource, "expected a CIDR (10.0.0.0/8), an address, or an AWS service name (x.amazonaws.com)"),
    ).optional(),
    /** Event names (globs allowed, case-insensitive). */
    eventNames: oneOrMany(z.string().min(1)).optional(),
  })
  .refine(
    (e) => MATCH_FIELDS.some((f) => e[f] !== undefined),
    "an entry needs at least one of rules, principals, userAgents, accounts, sourceIPs, eventNames",
  );
export type SuppressionEntry = z.infer<typeof SuppressionEntry>;

export const SuppressionFile = z.strictObject({ suppressions: z.array(SuppressionEntry) });

/** What a scan reports per entry. */
export interface SuppressionHit {
  /** 0-based position of the entry in the file. */
  index: number;
  reason: string;
}

type Test = (f: Finding) => boolean;

function globs(values: readonly string[], get: (f: Finding) => string | undefined): Test {
  const tests = values.map((v) => patternTest(tokenizePattern(v), false));
  return (f) => {
    const v = get(f);
    return v !== undefined && tests.some((t) => t(v));
  };
}

function sources(values: readonly string[]): Test {
  const cidrs: Cidr[] = [];
  const names: string[] = [];
  for (const v of values) {
    const c = parseCidr(v);
    if (c) cidrs.push(c);
    else names.push(v);
  }
  const inCidr = cidrs.length > 0 ? cidrTest(cidrs) : () => false;
  const byName = names.length > 0 ? globs(names, (f) => f.sourceIPAddress) : () => false;
  return (f) => (f.sourceIPAddress !== undefined && inCidr(f.sourceIPAddress)) || byName(f);
}

function compileEntry(e: SuppressionEntry): Test {
  const tests: Test[] = [];
  if (e.rules) {
    const ids = new Set(e.rules.map((r) => r.toLowerCase()));
    tests.push((f) => ids.has(f.rule.id.toLowerCase()));
  }
  if (e.principals) tests.push(globs(e.principals, (f) => f.principalArn));
  if (e.userAgents) tests.push(globs(e.userAgents, (f) => f.userAgent));
  if (e.accounts) {
    const ids = new Set(e.accounts);
    tests.push((f) => f.accountId !== undefined && ids.has(f.accountId));
  }
  if (e.sourceIPs) tests.push(sources(e.sourceIPs));
  if (e.eventNames) tests.push(globs(e.eventNames, (f) => f.eventName));
  return (f) => tests.every((t) => t(f));
}

export interface LoadedSuppression {
  index: number;
  entry: SuppressionEntry;
  line?: number;
  expired: boolean;
}

/** Matches findings against the entries in file order; the first live entry that matches is the one counted. */
export class Suppressor {
  readonly entries: readonly LoadedSuppression[];
  /** Expired entries, as located warnings. */
  readonly warnings: Problem[];
  readonly source: string;
  private readonly live: Array<{ hit: SuppressionHit; test: Test }>;

  constructor(entries: readonly LoadedSuppression[], source: string) {
    this.entries = entries;
    this.source = source;
    this.live = entries
      .filter((e) => !e.expired)
      .map((e) => ({ hit: { index: e.index, reason: e.entry.reason }, test: compileEntry(e.entry) }));
    this.warnings = entries
      .filter((e) => e.expired)
      .map((e) => ({
        source,
        ...(e.line !== undefined ? { line: e.line } : {}),
        field: `suppressions.${e.index}.expires`,
        message: `entry ${e.index + 1} ("${e.entry.reason}") expired on ${e.entry.expires} and no longer suppresses; renew or remove it`,
      }));
  }

  match(f: Finding): SuppressionHit | undefined {
    for (const { hit, test } of this.live) if (test(f)) return hit;
    return undefined;
  }
}

/** The UTC date of a moment as YYYY-MM-DD. */
const dayOf = (now: Date) => now.toISOString().slice(0, 10);

/** Parses a suppression file; malformed files throw VALIDATION / PARSE with file:line:column and field. */
export function parseSuppressions(text: string, source: string, now: Date = new Date()): Suppressor {
  const parsed = parseYaml(text, source);
  const res = SuppressionFile.safeParse(parsed.value ?? {});
  if (!res.success) {
    const issues = res.error.issues.flatMap((i) =>
      i.code === "unrecognized_keys"
        ? i.keys.map((k) => ({
            path: [...i.path, k],
            message: `unknown field '${k}' (an entry has reason, expires, ${MATCH_FIELDS.join(", ")})`,
          }))
        : [i],
    );
    const problems = locatedProblems(parsed, issues, source);
    throw new TechtrailError("VALIDATION", `${source}: invalid suppression file (${problems.length} problem(s))`, {
      problems,
    });
  }
  const today = dayOf(now);
  const entries = res.data.suppressions.map((entry, index) => {
    const line = parsed.locate(["suppressions", index])?.line;
    const e: LoadedSuppression = { index, entry, expired: entry.expires !== undefined && entry.expires < today };
    if (line !== undefined) e.line = line;
    return e;
  });
  return new Suppressor(entries, source);
}

export function loadSuppressions(file: string, now: Date = new Date()): Suppressor {
  if (!existsSync(file))
    throw new TechtrailError("NOT_FOUND", `suppression file ${file} not found`, {
      problems: [{ source: file, message: "no such file" }],
    });
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new TechtrailError("IO", `cannot read ${file}: ${(e as Error).message}`, { cause: e });
  }
  return parseSuppressions(text, file, now);
}
