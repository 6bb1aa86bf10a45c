// Workshop questions, hints and scoring against a scenario's answer key. Pure. Scoring is tolerant where a
// responder's answer can be right in more than one form: an IP inside a named network earns part of the points,
// a parent technique half a technique, the order of techniques earns partial credit (longest run in the right
// order), a bucket covers the objects in it, and a containment time within the tolerance counts as exact.
// Explanations say what was right or wrong about the participant's own answer without naming the expected values,
// so an answer scored while the workshop is open does not give the key away (the debrief names them).
import { TechtrailError } from "../core/errors.js";
import type { AnswerScenario } from "../scenarios/answer-key.js";
import type { Answer, Question, QuestionId, QuestionScore, WorkshopSettings } from "./model.js";

interface QuestionSpec {
  title: string;
  prompt: string;
  format: string;
  points: number;
}

export const QUESTIONS: Record<QuestionId, QuestionSpec> = {
  "initial-access": {
    title: "Initial access",
    prompt: "Which access key did the attacker use first, and from which IP address?",
    format:
      "credential: the access key ID (or the principal ARN or user name if no key was used); sourceIp: the IP address",
    points: 25,
  },
  techniques: {
    title: "Techniques",
    prompt: "Which techniques did the attacker use, in which order?",
    format: "techniques: catalog technique IDs (e.g. T1078.A001), earliest first",
    points: 30,
  },
  impact: {
    title: "Impact",
    prompt: "What did the attacker delete or encrypt?",
    format: "resources: ARNs or names (a bucket stands for the objects in it); none if nothing was",
    points: 25,
  },
  containment: {
    title: "Containment",
    prompt: "By when, at the latest, must the attack have been contained to prevent its impact?",
    format: "time: ISO 8601, UTC (e.g. 2026-11-02T14:05:00Z)",
    points: 20,
  },
};

export const MAX_POINTS = Object.values(QUESTIONS).reduce((n, q) => n + q.points, 0);

/** The questions of a workshop, in order, with the number of hints each offers for this scenario. */
export function questionsFor(scenario: AnswerScenario): Question[] {
  return (Object.keys(QUESTIONS) as QuestionId[]).map((id) => ({
    id,
    ...QUESTIONS[id],
    hints: hintsFor(id, scenario).length,
  }));
}

const day = (iso: string) => iso.slice(0, 10);
const hhmm = (ms: number) => new Date(ms).toISOString().slice(11, 16);

/** Hour-aligned window of `hours` around a time, as text: `2026-11-02 14:00–16:00 UTC`. */
function windowAround(iso: string, hours: number): string {
  const t = Date.parse(iso);
  const from = Math.floor(t / 3_600_000) * 3_600_000 - Math.floor((hours - 1) / 2) * 3_600_000;
  return `${day(new Date(from).toISOString())} ${hhmm(from)}–${hhmm(from + hours * 3_600_000)} UTC`;
}

/** Technique steps in the order they started. */
function orderedSteps(s: AnswerScenario) {
  return [...s.steps].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
}

/** Distinct techniques in order of first use. */
export function expectedTechniques(s: AnswerScenario): string[] {
  return [...new Set(orderedSteps(s).map((st) => st.technique.toUpperCase()))];
}

/** What the impact question expects: everything deleted or encrypted. */
export function expectedImpact(s: AnswerScenario): string[] {
  return [...new Set([...s.impact.deleted, ...s.impact.encrypted])];
}

/** The service an ARN belongs to (`s3`, `ec2`, ...), or undefined for a plain name. */
function arnService(v: string): string | undefined {
  return /^arn:[^:]+:([^:]+):/.exec(v)?.[1];
}

/**
 * Hints, mildest first. Each narrows the search without giving the answer away; together they leave the
 * participant to read the logs.
 */
export function hintsFor(question: QuestionId, s: AnswerScenario): string[] {
  const first = orderedSteps(s)[0];
  switch (question) {
    case "initial-access":
      return [
        `The attacker's first call was made in account ${s.account}, ${windowAround(s.initialAccess.time, 2)}.`,
        `That first call was ${first?.eventNames[0] ?? "an API call"}; look at the principals that made it and where from.`,
      ];
    case "techniques": {
      const tactics = [...new Set(orderedSteps(s).map((st) => st.tactic))];
      const events = [...new Set(s.steps.flatMap((st) => st.eventNames))].sort();
      return [
        `The attack has ${s.steps.length} step(s) using ${expectedTechniques(s).length} distinct technique(s), across the tactics ${tactics.join(", ")}.`,
        `Between them the steps call (alphabetically): ${events.join(", ") || "nothing CloudTrail records"}.`,
      ];
    }
    case "impact": {
      const expected = expectedImpact(s);
      if (expected.length === 0)
        return ["Count what was destroyed or made unreadable, not what was read, copied or started."];
      const services = [...new Set(expected.map((r) => arnService(r) ?? "named"))].sort();
      return [
        `${s.impact.deleted.length} resource(s) were deleted and ${s.impact.encrypted.length} encrypted.`,
        `The affected resources belong to: ${services.join(", ")}.`,
      ];
    }
    case "containment":
      return [
        "Containment had to come before the first call that destroyed, encrypted or cost something: find that call.",
        `That call was made ${windowAround(s.containBy, 2)}.`,
      ];
  }
}

// ---------------------------------------------------------------------------------------------------------
// Initial access

/** IPv4 as a 32-bit number, or undefined. */
function ipv4(v: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(v);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  return parts.reduce((n, p) => n * 256 + p, 0);
}

/** Whether `ip` lies in `cidr` (IPv4 `a.b.c.d/n`), and the prefix length. */
function inCidr(ip: string, cidr: string): number | undefined {
  const [net = "", bits = ""] = cidr.split("/");
  const n = Number(bits);
  const a = ipv4(ip);
  const b = ipv4(net);
  if (a === undefined || b === undefined || !/^\d{1,2}$/.test(bits) || n > 32) return undefined;
  const size = 2 ** (32 - n);
  return Math.floor(a / size) === Math.floor(b / size) ? n : undefined;
}

const lastSegment = (arn: string) => arn.split(/[/:]/).pop() ?? arn;

function scoreInitialAccess(a: Extract<Answer, { question: "initial-access" }>, s: AnswerScenario) {
  const explanation: string[] = [];
  const ia = s.initialAccess;
  const given = a.credential.trim();
  const principalHit =
    given.toLowerCase() === ia.principalArn.toLowerCase() ||
    given.toLowerCase() === lastSegment(ia.principalArn).toLowerCase();
  let cred = 0;
  if (ia.accessKeyId && given.toUpperCase() === ia.accessKeyId.toUpperCase()) {
    cred = 15;
    explanation.push("Access key: right.");
  } else if (principalHit) {
    cred = ia.accessKeyId ? 7 : 15;
    explanation.push(
      ia.accessKeyId
        ? "Credential: that is the right identity, but the question asks for the access key it used (half marks)."
        : "Credential: right (no access key was involved: the principal counts).",
    );
  } else if (/^(AKIA|ASIA)[A-Z0-9]{12,}$/i.test(given)) {
    explanation.push("Access key: not the one the attacker used first.");
  } else explanation.push("Credential: not the attacker's first credential.");

  let ip = 0;
  const want = ia.sourceIp;
  const cidr = a.sourceIp.includes("/") ? inCidr(want, a.sourceIp) : undefined;
  if (a.sourceIp === want) {
    ip = 10;
    explanation.push("Source IP: right.");
  } else if (cidr !== undefined && cidr >= 16) {
    ip = 5;
    explanation.push(`Source IP: the network ${a.sourceIp} contains it; name the address itself for full marks.`);
  } else explanation.push("Source IP: not where the first call came from.");
  return { raw: cred + ip, explanation };
}

// ---------------------------------------------------------------------------------------------------------
// Techniques

const family = (id: string) => id.split(".")[0] ?? id;

/** Length of the longest strictly increasing subsequence. */
function longestIncreasing(xs: readonly number[]): number {
  const tails: number[] = [];
  for (const x of xs) {
    let lo = 0;
    let hi = tails.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((tails[mid] ?? 0) < x) lo = mid + 1;
      else hi = mid;
    }
    tails[lo] = x;
  }
  return tails.length;
}

function scoreTechniques(a: Extract<Answer, { question: "techniques" }>, s: AnswerScenario) {
  const expected = expectedTechniques(s);
  const given = [...new Set(a.techniques.map((t) => t.trim().toUpperCase()))];
  const used = new Set<number>();
  /** Answer index → [expected index, weight]. */
  const match = new Map<number, [number, number]>();
  given.forEach((g, i) => {
    const exact = expected.findIndex((e, j) => !used.has(j) && e === g);
    if (exact >= 0) {
      used.add(exact);
      match.set(i, [exact, 1]);
    }
  });
  given.forEach((g, i) => {
    if (match.has(i)) return;
    const near = expected.findIndex((e, j) => !used.has(j) && family(e) === family(g));
    if (near >= 0) {
      used.add(near);
      match.set(i, [near, 0.5]);
    }
  });
  const hit = [...match.values()].reduce((n, [, w]) => n + w, 0);
  const precision = given.length ? hit / given.length : 0;
  const recall = expected.length ? hit / expected.length : 0;
  const f1 = precision + recall ? (2 * precision * recall) / (precision + recall) : 0;
  const inOrder = longestIncreasing(given.flatMap((_, i) => (match.has(i) ? [match.get(i)?.[0] ?? 0] : [])));
  const setPoints = 20 * f1;
  const orderPoints = expected.length ? (10 * inOrder) / expected.length : 0;
  const exact = [...match.values()].filter(([, w]) => w === 1).length;
  const near = match.size - exact;
  const extra = given.filter((_, i) => !match.has(i));
  const explanation = [
    `You named ${exact} of the attack's ${expected.length} technique(s) exactly${near ? ` and ${near} by a related technique of the same family (half marks)` : ""}.`,
  ];
  if (extra.length) explanation.push(`Not part of this attack: ${extra.join(", ")}.`);
  if (hit < expected.length)
    explanation.push(`${expected.length - match.size} technique(s) of the attack are missing.`);
  explanation.push(`${inOrder} of ${expected.length} technique(s) are in the right order relative to each other.`);
  return { raw: setPoints + orderPoints, explanation };
}

// ---------------------------------------------------------------------------------------------------------
// Impact

/** The resource part of an ARN (`arn:aws:s3:::bucket/key` → `bucket/key`), lower-cased; names as they are. */
export function resourceName(v: string): string {
  const t = v.trim().toLowerCase();
  const m = /^arn:[^:]+:[^:]*:[^:]*:[^:]*:(.*)$/.exec(t);
  if (!m) return t;
  const rest = m[1] ?? "";
  // `instance/i-123`, `key/abc`, `function:name`: keep what names the resource.
  const typed = /^[a-z0-9-]+[/:](.+)$/.exec(rest);
  return arnService(t) === "s3" || !typed ? rest : (typed[1] ?? rest);
}

/** Whether a named resource covers an expected one: the same, or a container of it (a bucket of its objects). */
function covers(given: string, expected: string): boolean {
  const g = resourceName(given);
  const e = resourceName(expected);
  return g === e || given.trim().toLowerCase() === expected.toLowerCase() || e.startsWith(`${g.replace(/\/+$/, "")}/`);
}

const NOTHING = new Set(["none", "nothing", "-", "n/a"]);

function scoreImpact(a: Extract<Answer, { question: "impact" }>, s: AnswerScenario, max: number) {
  const expected = expectedImpact(s);
  const given = a.resources.filter((r) => !NOTHING.has(r.trim().toLowerCase()));
  if (expected.length === 0) {
    if (given.length === 0) return { raw: max, explanation: ["Right: nothing was deleted or encrypted."] };
    return {
      raw: 0,
      explanation: [`Nothing was deleted or encrypted in this attack; ${given.length} resource(s) named.`],
    };
  }
  if (given.length === 0)
    return { raw: 0, explanation: ["The attacker did delete or encrypt resources; none were named."] };
  const useful = given.filter((g) => expected.some((e) => covers(g, e)));
  const covered = expected.filter((e) => given.some((g) => covers(g, e)));
  const precision = useful.length / given.length;
  const recall = covered.length / expected.length;
  const f1 = precision + recall ? (2 * precision * recall) / (precision + recall) : 0;
  const explanation = [
    `${useful.length} of the ${given.length} resource(s) you named were deleted or encrypted by the attacker.`,
    `Your answer covers ${Math.round(recall * 100)} % of what was deleted or encrypted.`,
  ];
  const wrong = given.filter((g) => !useful.includes(g));
  if (wrong.length) explanation.push(`Not deleted or encrypted: ${wrong.join(", ")}.`);
  return { raw: max * f1, explanation };
}

// ---------------------------------------------------------------------------------------------------------
// Containment

/** Parses an answer time; a time without an offset is UTC. */
export function parseAnswerTime(v: string): number {
  const t = v.trim().replace(" ", "T");
  const withZone = /([zZ]|[+-]\d{2}:?\d{2})$/.test(t) || !/T\d{2}:\d{2}/.test(t) ? t : `${t}Z`;
  const ms = /^\d{4}-\d{2}-\d{2}/.test(withZone) ? Date.parse(withZone) : Number.NaN;
  if (Number.isNaN(ms))
    throw new TechtrailError(
      "VALIDATION",
      `invalid containment time "${v}": expected ISO 8601, e.g. 2026-11-02T14:05Z`,
      {
        problems: [{ field: "time", message: "expected an ISO 8601 time such as 2026-11-02T14:05:00Z" }],
      },
    );
  return ms;
}

function scoreContainment(
  a: Extract<Answer, { question: "containment" }>,
  s: AnswerScenario,
  settings: WorkshopSettings,
  max: number,
) {
  const t = parseAnswerTime(a.time);
  const tol = settings.timeToleranceMinutes * 60_000;
  const delta = t - Date.parse(s.containBy);
  const off = Math.abs(delta);
  if (off <= tol)
    return { raw: max, explanation: [`Right, within the ${settings.timeToleranceMinutes}-minute tolerance.`] };
  // Full marks within the tolerance, then linearly less, nothing beyond four times the tolerance.
  const raw = Math.max(0, max * (1 - (off - tol) / (3 * tol)));
  const how =
    delta > 0
      ? "Too late: by then the attack had already done its damage."
      : "Earlier than needed: containing then would have worked, but the attack could still have been stopped later.";
  const scale = raw > 0 ? "Partly right: outside the tolerance but close." : "Far outside the tolerance.";
  return { raw, explanation: [how, scale] };
}

// ---------------------------------------------------------------------------------------------------------

const round1 = (n: number) => Math.round(n * 10) / 10;

/** Scores one answer: points before and after the hint penalty, and why. */
export function scoreAnswer(
  answer: Answer,
  s: AnswerScenario,
  settings: WorkshopSettings,
  hintsUsed: number,
): QuestionScore {
  const max = QUESTIONS[answer.question].points;
  let r: { raw: number; explanation: string[] };
  switch (answer.question) {
    case "initial-access":
      r = scoreInitialAccess(answer, s);
      break;
    case "techniques":
      r = scoreTechniques(answer, s);
      break;
    case "impact":
      r = scoreImpact(answer, s, max);
      break;
    case "containment":
      r = scoreContainment(answer, s, settings, max);
      break;
  }
  const raw = round1(Math.min(max, r.raw));
  const penalty = Math.min(raw, hintsUsed * settings.hintCost);
  const explanation = [...r.explanation];
  if (hintsUsed) explanation.push(`${hintsUsed} hint(s) taken: −${penalty} point(s).`);
  return { question: answer.question, raw, penalty, points: round1(raw - penalty), max, explanation };
}

/**
 * Resources as a person reads them: up to three of a container (an S3 bucket) by name, more as
 * `arn:aws:s3:::bucket/… (N objects)`, so a ransomware debrief does not list hundreds of objects.
 */
export function summariseResources(resources: readonly string[]): string[] {
  const groups = new Map<string, string[]>();
  for (const r of resources) {
    const m = /^(arn:[^:]+:s3:::[^/]+)\/.+$/.exec(r);
    const key = m?.[1] ?? r;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  return [...groups].flatMap(([key, items]) => (items.length > 3 ? [`${key}/… (${items.length} objects)`] : items));
}

/** The expected answer of every question, as text (debrief only). */
export function expectedAnswers(s: AnswerScenario): Array<{ question: QuestionId; expected: string[] }> {
  const impact = expectedImpact(s);
  return [
    {
      question: "initial-access",
      expected: [
        s.initialAccess.accessKeyId ? `access key ${s.initialAccess.accessKeyId}` : "no access key",
        `principal ${s.initialAccess.principalArn}`,
        `from ${s.initialAccess.sourceIp}`,
        `first call at ${s.initialAccess.time}`,
      ],
    },
    { question: "techniques", expected: expectedTechniques(s) },
    { question: "impact", expected: impact.length ? summariseResources(impact) : ["nothing was deleted or encrypted"] },
    { question: "containment", expected: [`by ${s.containBy}`] },
  ];
}
