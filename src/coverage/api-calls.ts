// Rule coverage against what published detections watch: every API call (eventSource + eventName) named by
// the public facts (../shared/data/public-aws-detections) is covered by a rule, or decided not covered in the
// reviewed rules/coverage-decisions.yaml, or undecided; and every active catalog technique has a rule or not.
//
// Facts name event sources per detection, not per event name, so a call's source is resolved as follows:
// a detection with one eventSource pairs it with all its names; otherwise a name takes the sources it is
// known under (single-source detections, catalog events `svc:Name`, rules that pin eventSource and eventName,
// decision entries; a plain name also those of its versioned form, as Lambda's `Name20150331`), narrowed to the detection's own sources when they overlap. A name known nowhere stays
// undecided with eventSource null until a rule or a decision entry names its source. Names ending in `*`
// are call patterns (covered when a rule admits some call they match); values that are not API names
// (prose, bare verb wildcards with no source) are listed as ignored with the reason.
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { z } from "zod";
import type { Catalog } from "../catalog/catalog.js";
import { type Problem, TechtrailError } from "../core/errors.js";
import { PACKAGE_ROOT, packagePath } from "../core/paths.js";
import { locatedProblems, parseYaml } from "../core/yaml.js";
import type { CompiledCorrelation } from "../rules/correlation.js";
import { type CompiledRule, resolveRuleTechniques, type ValueFilter } from "../rules/index.js";

export const DEFAULT_FACTS_FILE = resolve(
  PACKAGE_ROOT,
  "../shared/data/public-aws-detections/public-aws-detections.jsonl",
);
export const DEFAULT_DECISIONS_FILE = packagePath("rules", "coverage-decisions.yaml");

// ---- inputs ----

/** One published detection, as the facts file lists it (only the fields coverage reads are checked). */
export const PublicDetection = z.looseObject({
  id: z.string().min(1),
  name: z.string().min(1),
  source: z.string().min(1),
  eventSources: z.array(z.string()),
  eventNames: z.array(z.string()),
  attack: z.array(z.string()).default([]),
});
export type PublicDetection = z.infer<typeof PublicDetection>;

export const DECISION_REASONS = ["noise", "needs-data", "detector", "out-of-scope"] as const;

export const CoverageDecision = z.strictObject({
  eventSource: z.string().regex(/^[a-z0-9.-]+\.amazonaws\.com$/, "expected an eventSource like iam.amazonaws.com"),
  eventName: z.string().regex(/^[A-Za-z][A-Za-z0-9]*\*?$/, "expected an eventName like CreateUser"),
  reason: z.enum(DECISION_REASONS),
  note: z.string().trim().min(1, "say in one sentence why the call is not covered"),
});
export type CoverageDecision = z.infer<typeof CoverageDecision>;

export const CoverageDecisionsFile = z.strictObject({
  decisions: z.array(CoverageDecision).nullable().default([]),
});

export interface LoadedDecision extends CoverageDecision {
  line?: number;
}

/** Reads the facts (JSON Lines); a bad line is an error naming file:line and the field. */
export function loadPublicFacts(file = DEFAULT_FACTS_FILE): PublicDetection[] {
  if (!existsSync(file))
    throw new TechtrailError("NOT_FOUND", `public detection facts ${file} not found`, {
      problems: [
        {
          source: file,
          message:
            "give --facts FILE (JSON Lines with eventSources and eventNames per detection, as in ../shared/data/public-aws-detections)",
        },
      ],
    });
  const out: PublicDetection[] = [];
  const problems: Problem[] = [];
  readFileSync(file, "utf8")
    .split("\n")
    .forEach((line, i) => {
      if (line.trim() === "") return;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch (e) {
        problems.push({ source: file, line: i + 1, message: `not JSON: ${(e as Error).message}` });
        return;
      }
      const res = PublicDetection.safeParse(value);
      if (res.success) out.push(res.data);
      else
        for (const issue of res.error.issues)
          problems.push({ source: file, line: i + 1, field: issue.path.join("."), message: issue.message });
    });
  if (problems.length > 0)
    throw new TechtrailError("VALIDATION", `${file}: ${problems.length} bad detection line(s)`, { problems });
  return out;
}

/** Reads coverage-decisions.yaml; schema errors are thrown with file:line:column and field. */
export function parseCoverageDecisions(text: string, source: string): LoadedDecision[] {
  const parsed = parseYaml(text, source);
  const res = CoverageDecisionsFile.safeParse(parsed.value ?? {});
  if (!res.success)
    throw new TechtrailError("VALIDATION", `${source}: invalid coverage decisions`, {
      problems: locatedProblems(parsed, res.error.issues, source),
    });
  return (res.data.decisions ?? []).map((d, i) => {
    const line = parsed.locate(["decisions", i])?.line;
    return line !== undefined ? { ...d, line } : { ...d };
  });
}

export function loadCoverageDecisions(file = DEFAULT_DECISIONS_FILE): LoadedDecision[] {
  if (!existsSync(file))
    throw new TechtrailError("NOT_FOUND", `coverage decisions file ${file} not found`, {
      problems: [{ source: file, message: "give --decisions FILE" }],
    });
  return parseCoverageDecisions(readFileSync(file, "utf8"), file);
}

// ---- result ----

const Call = { eventSource: z.string(), eventName: z.string() };

export const DecisionProblem = z.strictObject({
  source: z.string(),
  line: z.number().int().optional(),
  severity: z.enum(["error", "warning"]),
  message: z.string(),
});
export type DecisionProblem = z.infer<typeof DecisionProblem>;

export const RuleCoverage = z.strictObject({
  facts: z.strictObject({ file: z.string(), detections: z.number().int() }),
  apiCalls: z.strictObject({
    count: z.number().int(),
    calls: z.array(z.strictObject({ ...Call, eventSource: z.string().nullable(), detections: z.number().int() })),
  }),
  covered: z.strictObject({
    count: z.number().int(),
    calls: z.array(z.strictObject({ ...Call, eventSource: z.string().nullable(), rules: z.array(z.string()) })),
  }),
  decidedNotCovered: z.strictObject({
    count: z.number().int(),
    calls: z.array(z.strictObject({ ...Call, reason: z.enum(DECISION_REASONS) })),
  }),
  /** Neither covered nor decided; eventSource null: no source is known for the name. */
  undecided: z.strictObject({
    count: z.number().int(),
    calls: z.array(
      z.strictObject({
        ...Call,
        eventSource: z.string().nullable(),
        /** For an unknown source: the sources the detections name. */
        candidateSources: z.array(z.string()).optional(),
        detections: z.array(z.string()),
      }),
    ),
  }),
  /** Values of the facts' eventNames that are not API calls, with why. */
  ignored: z.array(z.strictObject({ eventName: z.string(), detection: z.string(), why: z.string() })),
  techniquesWithRules: z.strictObject({
    count: z.number().int(),
    techniques: z.array(z.strictObject({ id: z.string(), rules: z.number().int() })),
  }),
  techniquesWithoutRules: z.strictObject({
    count: z.number().int(),
    techniques: z.array(z.strictObject({ id: z.string(), name: z.string(), events: z.number().int() })),
  }),
  decisions: z.strictObject({
    file: z.string(),
    entries: z.number().int(),
    problems: z.array(DecisionProblem),
  }),
});
export type RuleCoverage = z.infer<typeof RuleCoverage>;

// ---- computation ----

const API_NAME = /^[A-Za-z][A-Za-z0-9]*$/;
const API_PATTERN = /^[A-Za-z][A-Za-z0-9]*\*$/;
/** A pattern this short names a verb of every service (`Describe*`, `Get*`, `List*`), not a family of calls. */
const MIN_PATTERN_LITERAL = 12;

const lc = (s: string) => s.toLowerCase();

/** Does a rule filter admit a name, or for a pattern `Name*` some name it matches? */
function filterAdmits(f: ValueFilter | null, name: string): boolean {
  if (f === null) return true;
  const v = lc(name);
  if (v.endsWith("*")) {
    const w = v.slice(0, -1);
    for (const x of f.values) if (x.startsWith(w)) return true;
    return f.prefixes.some((p) => p.startsWith(w) || w.startsWith(p));
  }
  if (f.values.has(v)) return true;
  return f.prefixes.some((p) => v.startsWith(p));
}

export interface ApiCoverageInput {
  facts: readonly PublicDetection[];
  factsFile: string;
  decisions: readonly LoadedDecision[];
  decisionsFile: string;
  rules: readonly CompiledRule[];
  correlations?: readonly CompiledCorrelation[];
  catalog: Catalog;
}

interface CallAcc {
  eventSource: string | null;
  eventName: string;
  detections: Set<string>;
  /** For a name of unknown source: the sources its detections name (any of them may be its own). */
  candidates: Set<string>;
}

/** The sources each (lower-case) API name is known under: from the facts, the catalog, the rules, the decisions. */
function knownSources(input: ApiCoverageInput): Map<string, Set<string>> {
  const known = new Map<string, Set<string>>();
  const learn = (name: string, source: string) => {
    const k = lc(name);
    const set = known.get(k) ?? new Set<string>();
    known.set(k, set);
    set.add(lc(source));
  };
  for (const d of input.facts)
    if (d.eventSources.length === 1) for (const n of d.eventNames) learn(n, d.eventSources[0] as string);
  for (const t of input.catalog.techniques)
    for (const e of t.events) {
      const [svc, name] = e.split(":") as [string, string];
      learn(name, `${svc}.amazonaws.com`);
    }
  for (const r of input.rules)
    if (r.eventNames && r.eventSources?.size === 1) {
      const [src] = r.eventSources;
      for (const n of r.eventNames) learn(n, src as string);
    }
  for (const d of input.decisions) learn(d.eventName, d.eventSource);
  return known;
}

/**
 * The API calls the published detections name, keyed by `source|name` (each with its source, or null when no
 * source is known), and the names that are not API calls.
 */
function apiCallsOf(
  facts: readonly PublicDetection[],
  known: ReadonlyMap<string, Set<string>>,
): { calls: Map<string, CallAcc>; ignored: RuleCoverage["ignored"] } {
  // Lambda records API versions in names (UpdateFunctionCode20150331v2): a plain name takes their sources.
  const versioned = (name: string): Set<string> | undefined => {
    const re = new RegExp(`^${lc(name)}20\\d{6}`);
    for (const [k, v] of known) if (re.test(k)) return v;
    return undefined;
  };
  const calls = new Map<string, CallAcc>();
  const ignored: RuleCoverage["ignored"] = [];
  const add = (source: string | null, name: string, detection: string, candidates: readonly string[]) => {
    const key = `${source ?? ""}|${lc(name)}`;
    const c: CallAcc = calls.get(key) ?? {
      eventSource: source,
      eventName: name,
      detections: new Set(),
      candidates: new Set(),
    };
    calls.set(key, c);
    c.detections.add(detection);
    for (const s of candidates) c.candidates.add(s);
  };
  for (const d of facts) {
    const own = d.eventSources.map(lc);
    for (const name of d.eventNames) {
      const pattern = API_PATTERN.test(name);
      if (!API_NAME.test(name) && !pattern) {
        ignored.push({ eventName: name, detection: d.name, why: "not an API name" });
        continue;
      }
      let sources: string[];
      if (own.length === 1) sources = own;
      else {
        const k = [...(known.get(lc(name)) ?? versioned(name) ?? [])];
        const narrowed = k.filter((s) => own.includes(s));
        sources = narrowed.length > 0 ? narrowed : k;
      }
      if (pattern && sources.length === 0 && name.length - 1 < MIN_PATTERN_LITERAL) {
        ignored.push({
          eventName: name,
          detection: d.name,
          why: "a wildcard over calls of every service (no eventSource), not an API call",
        });
        continue;
      }
      if (sources.length === 0) add(null, name, d.name, own);
      for (const s of sources.sort()) add(s, name, d.name, []);
    }
  }
  return { calls, ignored };
}

const decisionLine = (d: LoadedDecision) => (d.line !== undefined ? { line: d.line } : {});

/** Decisions by `source|name` (lower case); a second decision for the same call is an error. */
function indexDecisions(
  decisions: readonly LoadedDecision[],
  file: string,
  problems: DecisionProblem[],
): Map<string, LoadedDecision> {
  const decided = new Map<string, LoadedDecision>();
  for (const d of decisions) {
    const key = `${lc(d.eventSource)}|${lc(d.eventName)}`;
    const first = decided.get(key);
    if (first)
      problems.push({
        source: file,
        ...decisionLine(d),
        severity: "error",
        message: `duplicate decision for ${d.eventSource} ${d.eventName} (first at line ${first.line ?? "?"})`,
      });
    else decided.set(key, d);
  }
  return decided;
}

interface CallClasses {
  apiCalls: RuleCoverage["apiCalls"]["calls"];
  covered: RuleCoverage["covered"]["calls"];
  decidedNot: RuleCoverage["decidedNotCovered"]["calls"];
  undecided: RuleCoverage["undecided"]["calls"];
}

/**
 * Each call, by source (unknown sources last) then name: covered by a rule, decided not covered, or
 * undecided. A decision for a covered call is a warning.
 */
function classifyCalls(
  calls: ReadonlyMap<string, CallAcc>,
  rules: readonly CompiledRule[],
  decided: ReadonlyMap<string, LoadedDecision>,
  decisionsFile: string,
  problems: DecisionProblem[],
): CallClasses {
  const out: CallClasses = { apiCalls: [], covered: [], decidedNot: [], undecided: [] };
  const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  const sorted = [...calls.values()].sort(
    (a, b) => cmp(a.eventSource ?? "\uffff", b.eventSource ?? "\uffff") || cmp(lc(a.eventName), lc(b.eventName)),
  );
  for (const c of sorted) {
    out.apiCalls.push({ eventSource: c.eventSource, eventName: c.eventName, detections: c.detections.size });
    // A call of unknown source is covered by a rule that admits its name from any source, or from one of
    // the sources its detections name.
    const sources = c.eventSource !== null ? [c.eventSource] : [...c.candidates];
    const by = rules.filter(
      (r) =>
        r.eventNameFilter !== null &&
        filterAdmits(r.eventNameFilter, c.eventName) &&
        (r.eventSourceFilter === null || sources.some((s) => filterAdmits(r.eventSourceFilter, s))),
    );
    const decision = c.eventSource === null ? undefined : decided.get(`${c.eventSource}|${lc(c.eventName)}`);
    if (by.length > 0) {
      out.covered.push({ eventSource: c.eventSource, eventName: c.eventName, rules: by.map((r) => r.id) });
      if (decision)
        problems.push({
          source: decisionsFile,
          ...decisionLine(decision),
          severity: "warning",
          message: `${decision.eventSource} ${decision.eventName} is covered by ${by
            .slice(0, 3)
            .map((r) => r.source)
            .join(", ")}${by.length > 3 ? ", ..." : ""}; remove the decision`,
        });
    } else if (decision)
      out.decidedNot.push({ eventSource: c.eventSource as string, eventName: c.eventName, reason: decision.reason });
    else
      out.undecided.push({
        eventSource: c.eventSource,
        eventName: c.eventName,
        ...(c.eventSource === null ? { candidateSources: [...c.candidates].sort() } : {}),
        detections: [...c.detections].sort(),
      });
  }
  return out;
}

/** Active catalog techniques with and without a rule (detection or correlation) tagging them. */
function techniquesByRules(
  input: ApiCoverageInput,
): Pick<RuleCoverage, "techniquesWithRules" | "techniquesWithoutRules"> {
  const perTechnique = new Map<string, number>();
  for (const r of [...input.rules, ...(input.correlations ?? [])])
    for (const id of resolveRuleTechniques(r, input.catalog).techniques)
      perTechnique.set(id, (perTechnique.get(id) ?? 0) + 1);
  const active = input.catalog.techniques.filter((t) => t.status === "active");
  const withRules = active.filter((t) => perTechnique.has(t.id));
  const withoutRules = active.filter((t) => !perTechnique.has(t.id));
  return {
    techniquesWithRules: {
      count: withRules.length,
      techniques: withRules.map((t) => ({ id: t.id, rules: perTechnique.get(t.id) ?? 0 })),
    },
    techniquesWithoutRules: {
      count: withoutRules.length,
      techniques: withoutRules.map((t) => ({ id: t.id, name: t.name, events: t.events.length })),
    },
  };
}

/**
 * Which API calls of the public detection facts the rules cover, which were reviewed and decided not covered,
 * and which are undecided; with the decisions file's problems and the techniques with and without rules.
 */
export function computeRuleCoverage(input: ApiCoverageInput): RuleCoverage {
  const { facts, decisions, rules } = input;
  const { calls, ignored } = apiCallsOf(facts, knownSources(input));
  const problems: DecisionProblem[] = [];
  const decided = indexDecisions(decisions, input.decisionsFile, problems);
  const { apiCalls, covered, decidedNot, undecided } = classifyCalls(
    calls,
    rules,
    decided,
    input.decisionsFile,
    problems,
  );
  for (const d of decided.values())
    if (!calls.has(`${lc(d.eventSource)}|${lc(d.eventName)}`))
      problems.push({
        source: input.decisionsFile,
        ...decisionLine(d),
        severity: "warning",
        message: `${d.eventSource} ${d.eventName} is not an API call of the public facts; remove the decision`,
      });
  problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
  return {
    facts: { file: input.factsFile, detections: facts.length },
    apiCalls: { count: apiCalls.length, calls: apiCalls },
    covered: { count: covered.length, calls: covered },
    decidedNotCovered: { count: decidedNot.length, calls: decidedNot },
    undecided: { count: undecided.length, calls: undecided },
    ignored,
    ...techniquesByRules(input),
    decisions: { file: input.decisionsFile, entries: decisions.length, problems },
  };
}
