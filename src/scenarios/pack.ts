// Scenario packs: one reviewed YAML file per attack scenario under scenarios/ (repository root). A pack names
// the attacker's identities, source networks and user agents, optional branches (e.g. another region), and the
// ordered steps, each with its catalog technique and the API calls it makes. This module defines the one schema,
// and loads packs with file:line:column problems for anything wrong, including techniques the catalog does not
// know and steps ordered after a step that comes later.
import { readdirSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { z } from "zod";
import type { Catalog } from "../catalog/index.js";
import { type Problem, TechtrailError } from "../core/errors.js";
import { packagePath } from "../core/paths.js";
import { locatedProblems, type ParsedYaml, parseYaml } from "../core/yaml.js";

export const BUILTIN_SCENARIO_DIR = packagePath("scenarios");

const DURATION_RE = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** `30s`, `2m..15m`: a fixed duration or a range drawn from uniformly. */
export const DurationRange = z.string().refine((s) => parseDurationRange(s) !== undefined, {
  message: "expected a duration like 30s, 5m or 1h, or a range like 2m..15m",
});

export function parseDurationRange(s: string): [number, number] | undefined {
  const [a, b = a] = s.split("..");
  const pa = a === undefined ? undefined : DURATION_RE.exec(a.trim());
  const pb = b === undefined ? undefined : DURATION_RE.exec(b.trim());
  if (!pa || !pb) return undefined;
  const lo = Number(pa[1]) * (UNIT_MS[pa[2] as string] as number);
  const hi = Number(pb[1]) * (UNIT_MS[pb[2] as string] as number);
  return hi >= lo ? [lo, hi] : undefined;
}

/** `3` or `3..8`. */
const CountRange = z.union([
  z.number().int().positive(),
  z.string().regex(/^\d+\.\.\d+$/, "expected a count like 5 or a range like 3..8"),
]);

export function parseCount(c: number | string | undefined): [number, number] {
  if (c === undefined) return [1, 1];
  if (typeof c === "number") return [c, c];
  const [a, b] = c.split("..").map(Number);
  return [a as number, Math.max(a as number, b as number)];
}

const Name = z.string().regex(/^[a-z][a-z0-9-]*$/, "expected a lower-case name like ransomware-s3");
const Api = z
  .string()
  .regex(/^[a-z0-9-]+:[A-Za-z0-9]+$/, "expected service:EventName as in CloudTrail, e.g. iam:CreateUser");

/** A value of `vars`: a template string, a list, one pick of a list, or a generated list. */
const VarValue = z.union([
  z.string(),
  z.array(z.string()).min(1),
  z.strictObject({ pick: z.array(z.string()).min(1) }),
  z.strictObject({ generate: z.string(), count: CountRange }),
]);

export const ScenarioIdentity = z.strictObject({
  /** How the identity appears in userIdentity. */
  type: z.enum(["IAMUser", "AssumedRole", "Root", "Anonymous"]),
  /** IAM user name, or role name for AssumedRole (may hold ${vars}). */
  name: z.string().optional(),
  /** Role session name (AssumedRole). */
  session: z.string().optional(),
  /** Path of the user or role (e.g. /aws-reserved/sso.amazonaws.com/). */
  path: z.string().default("/"),
  /** Credentials come from a console sign-in (ASIA key, sessionCredentialFromConsole). */
  console: z.boolean().default(false),
  mfa: z.boolean().default(false),
  /** AssumedRole credentials an EC2 instance got from its metadata service: "1.0" (IMDSv1) or "2.0" (IMDSv2). */
  ec2RoleDelivery: z.enum(["1.0", "2.0"]).optional(),
  /** AssumedRole through web identity federation (e.g. cognito-identity.amazonaws.com). */
  webIdentity: z.string().optional(),
  /** The identity also does ordinary work in the background (same key, its usual network and tools). */
  background: z.boolean().default(false),
  /** Identity lives in another account: `attacker` (the attacker's account) instead of the victim account. */
  account: z.enum(["victim", "attacker"]).default("victim"),
});
export type ScenarioIdentity = z.infer<typeof ScenarioIdentity>;

export const ScenarioNetwork = z.strictObject({
  description: z.string(),
  /** IPv4 networks; each scenario run picks a few host addresses inside them. */
  cidrs: z.array(z.string().regex(/^\d+\.\d+\.\d+\.\d+\/\d+$/, "expected an IPv4 CIDR like 203.0.113.0/24")).min(1),
});

const ErrorSpec = z.union([
  z.string().regex(/^[A-Za-z.]+$/, "expected an error code such as AccessDenied"),
  /** An empty code leaves errorCode out (failed console sign-ins carry only errorMessage). */
  z.strictObject({ code: z.string(), message: z.string() }),
]);

const ImpactKind = z.enum(["deleted", "encrypted", "exfiltrated", "created"]);
export type ImpactKind = z.infer<typeof ImpactKind>;

export const ScenarioCall = z.strictObject({
  api: Api,
  params: z.record(z.string(), z.unknown()).nullable().optional(),
  response: z.record(z.string(), z.unknown()).nullable().optional(),
  additionalEventData: z.record(z.string(), z.unknown()).optional(),
  error: ErrorSpec.optional(),
  /** Repeat the call once per element of this list variable (`${item}`, `${i}` inside). */
  each: z.string().optional(),
  /** Repeat the call N times (`${i}` inside). */
  repeat: CountRange.optional(),
  /** Data event (S3 object level, Lambda Invoke...): managementEvent false, eventCategory Data. */
  data: z.boolean().default(false),
  readOnly: z.boolean().optional(),
  eventType: z.enum(["AwsApiCall", "AwsConsoleSignIn", "AwsServiceEvent"]).optional(),
  /** resources[] of the record: ARNs, with their type. */
  resources: z.array(z.strictObject({ type: z.string(), arn: z.string() })).optional(),
  /** What the call does to the victim, for the answer key (an ARN or name template). */
  impact: z.partialRecord(ImpactKind, z.string()).optional(),
  /** Overrides the step's region (global services log in us-east-1). */
  region: z.string().optional(),
});
export type ScenarioCall = z.infer<typeof ScenarioCall>;

export const ScenarioStep = z.strictObject({
  id: Name,
  title: z.string().min(1),
  technique: z.string(),
  /** Tactic the step serves; default the technique's first tactic. */
  tactic: z.string().optional(),
  identity: z.string(),
  network: z.string(),
  userAgent: z.string(),
  /** The step starts after this (earlier) step ends; default the previous step. */
  after: z.string().optional(),
  delay: DurationRange.default("1m..5m"),
  /** Time between two calls of the step. */
  gap: DurationRange.default("1s..6s"),
  region: z.string().optional(),
  /** Only played in this branch option: `branch=option`. */
  when: z.string().optional(),
  /** False for steps AWS does not log in CloudTrail (e.g. reading instance metadata). */
  visible: z.boolean().default(true),
  /** What happened, for steps without calls. */
  note: z.string().optional(),
  calls: z.array(ScenarioCall).default([]),
});
export type ScenarioStep = z.infer<typeof ScenarioStep>;

export const ScenarioBranch = z.strictObject({
  name: Name,
  options: z
    .array(
      z.strictObject({
        name: Name,
        weight: z.number().positive().default(1),
        description: z.string().optional(),
        vars: z.record(z.string(), VarValue).default({}),
      }),
    )
    .min(2),
});

export const ScenarioPack = z.strictObject({
  name: Name,
  title: z.string().min(1),
  summary: z.string().min(1),
  vars: z.record(z.string(), VarValue).default({}),
  identities: z.record(z.string(), ScenarioIdentity),
  networks: z.record(z.string(), ScenarioNetwork),
  userAgents: z.record(z.string(), z.array(z.string().min(1)).min(1)),
  branches: z.array(ScenarioBranch).default([]),
  steps: z.array(ScenarioStep).min(1),
});
export type ScenarioPack = z.infer<typeof ScenarioPack>;

/** Names every scenario may use in templates besides its vars and identities. */
export const BUILTIN_VARS = [
  "account",
  "accountName",
  "attackerAccount",
  "region",
  "homeRegion",
  "item",
  "i",
  "sourceIp",
  "userAgent",
] as const;
const FUNCTIONS = new Set(["hex", "upper", "alnum", "digits", "uuid"]);
const IDENTITY_FIELDS = new Set(["arn", "accessKeyId", "name", "principalId", "session", "roleArn"]);
const TEMPLATE_RE = /\$\{([^}]*)\}/g;

/** Checks a pack beyond its schema; returns problems with their YAML paths. */
function semanticIssues(pack: ScenarioPack, catalog: Catalog): Array<{ path: PropertyKey[]; message: string }> {
  const issues: Array<{ path: PropertyKey[]; message: string }> = [];
  const branchVars = new Set<string>();
  const branchOptions = new Set<string>();
  for (const b of pack.branches)
    for (const o of b.options) {
      branchOptions.add(`${b.name}=${o.name}`);
      for (const v of Object.keys(o.vars)) branchVars.add(v);
    }
  const known = new Set<string>([...BUILTIN_VARS, ...Object.keys(pack.vars), ...branchVars]);
  const checkTemplates = (value: unknown, path: PropertyKey[]): void => {
    if (typeof value === "string") {
      for (const m of value.matchAll(TEMPLATE_RE)) {
        const ref = (m[1] ?? "").trim();
        const [fn] = ref.split(":");
        if (ref.includes(":") && FUNCTIONS.has(fn as string)) continue;
        if (ref === "uuid") continue;
        const [head, field] = ref.split(".");
        if (field !== undefined && head !== undefined && pack.identities[head] !== undefined) {
          if (!IDENTITY_FIELDS.has(field))
            issues.push({
              path,
              message: `unknown identity field ${field} (expected ${[...IDENTITY_FIELDS].join(", ")})`,
            });
          continue;
        }
        if (!known.has(ref)) issues.push({ path, message: `unknown variable \${${ref}}` });
      }
    } else if (Array.isArray(value)) {
      for (const [i, v] of value.entries()) checkTemplates(v, [...path, i]);
    } else if (value && typeof value === "object")
      for (const [k, v] of Object.entries(value)) checkTemplates(v, [...path, k]);
  };
  checkTemplates(pack.vars, ["vars"]);
  checkTemplates(pack.identities, ["identities"]);
  const seen = new Map<string, number>();
  pack.steps.forEach((step, si) => {
    const at = (...p: PropertyKey[]) => ["steps", si, ...p];
    const tech = catalog.technique(step.technique);
    if (!tech)
      issues.push({ path: at("technique"), message: `unknown technique ${step.technique} (not in the catalog)` });
    else if (step.tactic !== undefined && !tech.tactics.includes(step.tactic))
      issues.push({
        path: at("tactic"),
        message: `${step.technique} does not belong to tactic ${step.tactic} (its tactics: ${tech.tactics.join(", ")})`,
      });
    if (seen.has(step.id)) issues.push({ path: at("id"), message: `duplicate step id ${step.id}` });
    if (step.after !== undefined && !seen.has(step.after)) {
      const later = pack.steps.findIndex((s) => s.id === step.after);
      issues.push({
        path: at("after"),
        message:
          later < 0
            ? `step ${step.id} comes after unknown step ${step.after}`
            : `impossible step order: ${step.id} comes after ${step.after}, which is played later (step ${later + 1})`,
      });
    }
    seen.set(step.id, si);
    if (pack.identities[step.identity] === undefined)
      issues.push({ path: at("identity"), message: `unknown identity ${step.identity}` });
    if (pack.networks[step.network] === undefined)
      issues.push({ path: at("network"), message: `unknown network ${step.network}` });
    if (pack.userAgents[step.userAgent] === undefined)
      issues.push({ path: at("userAgent"), message: `unknown user agent list ${step.userAgent}` });
    if (step.when !== undefined && !branchOptions.has(step.when))
      issues.push({ path: at("when"), message: `unknown branch option ${step.when} (expected branch=option)` });
    if (step.visible && step.calls.length === 0)
      issues.push({ path: at("calls"), message: "a CloudTrail-visible step needs at least one call" });
    if (!step.visible && step.calls.length > 0)
      issues.push({ path: at("visible"), message: "a step AWS does not log cannot make API calls" });
    if (step.region !== undefined) checkTemplates(step.region, at("region"));
    step.calls.forEach((call, ci) => {
      checkTemplates(call, at("calls", ci));
      if (call.each !== undefined) {
        const v = pack.vars[call.each];
        if (v === undefined || typeof v === "string" || "pick" in v)
          issues.push({ path: at("calls", ci, "each"), message: `each needs a list variable, got ${call.each}` });
      }
    });
  });
  return issues;
}

/** Parses and checks one pack; throws a TechtrailError with located problems. */
export function parseScenarioPack(text: string, source: string, catalog: Catalog): ScenarioPack {
  const parsed: ParsedYaml = parseYaml(text, source);
  const res = ScenarioPack.safeParse(parsed.value);
  if (!res.success)
    throw new TechtrailError("VALIDATION", `invalid scenario pack ${source}`, {
      problems: locatedProblems(parsed, res.error.issues, source),
    });
  const problems: Problem[] = locatedProblems(parsed, semanticIssues(res.data, catalog), source);
  const stem = basename(source).replace(/\.ya?ml$/, "");
  if (stem !== res.data.name && !source.startsWith("<"))
    problems.push({
      source,
      ...(parsed.locate(["name"]) ?? {}),
      field: "name",
      message: `name ${res.data.name} must match the file name ${stem}`,
    });
  if (problems.length > 0) throw new TechtrailError("VALIDATION", `invalid scenario pack ${source}`, { problems });
  return res.data;
}

/** Scenario pack files of a folder, sorted by name. */
export function scenarioFiles(dir: string = BUILTIN_SCENARIO_DIR): string[] {
  return readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => join(dir, f));
}

/** Loads every pack of a folder; all problems of all files are reported together. */
export function loadScenarioPacks(catalog: Catalog, dir: string = BUILTIN_SCENARIO_DIR): Map<string, ScenarioPack> {
  const packs = new Map<string, ScenarioPack>();
  const problems: Problem[] = [];
  for (const file of scenarioFiles(dir)) {
    try {
      const pack = parseScenarioPack(readFileSync(file, "utf8"), file, catalog);
      packs.set(pack.name, pack);
    } catch (e) {
      if (e instanceof TechtrailError) problems.push(...e.problems);
      else throw e;
    }
  }
  if (problems.length > 0) throw new TechtrailError("VALIDATION", `invalid scenario packs in ${dir}`, { problems });
  return packs;
}

/** The named packs, in the order given; an unknown name is refused with the list of known ones. */
export function selectScenarioPacks(packs: Map<string, ScenarioPack>, names: readonly string[]): ScenarioPack[] {
  const unknown = names.filter((n) => !packs.has(n));
  if (unknown.length > 0)
    throw new TechtrailError(
      "NOT_FOUND",
      `unknown scenario ${unknown.join(", ")}; known scenarios: ${[...packs.keys()].sort().join(", ")}`,
    );
  return names.map((n) => packs.get(n) as ScenarioPack);
}
