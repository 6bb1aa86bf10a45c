// Scores scan findings against an answer key: which CloudTrail-visible steps were found (a finding on one of the
// step's events carrying the step's technique, its parent or a sub-technique), whether the first detections
// come in the steps' order, and how many findings fell on background events. Used by the detection regression
// test and for the table in docs/scenarios.md.
import type { Finding } from "../scan/index.js";
import type { AnswerKey } from "./answer-key.js";

export interface StepResult {
  id: string;
  technique: string;
  visible: boolean;
  found: boolean;
  /** eventTime of the earliest matching finding. */
  firstFound?: string;
  /** Techniques of findings on the step's events (what the scan called it). */
  seen: string[];
}

export interface ScenarioResult {
  name: string;
  steps: StepResult[];
  visible: number;
  found: number;
  /** The first detections of found steps come in the answer key's order. */
  inOrder: boolean;
}

export interface DetectionReport {
  scenarios: ScenarioResult[];
  backgroundEvents: number;
  /** Findings whose event belongs to no scenario step. */
  backgroundFindings: number;
  /** Background findings per 10,000 background events. */
  backgroundRatePer10k: number;
  /** Rule ID → background findings, most first. */
  backgroundRules: Array<[string, number]>;
}

/** Same technique, or one is the other's parent (T1486 ~ T1486.A001). */
export function sameTechniqueFamily(a: string, b: string): boolean {
  if (a === b) return true;
  const pa = a.split(".")[0];
  const pb = b.split(".")[0];
  return (a === pb && b.includes(".")) || (b === pa && a.includes("."));
}

export function evaluateDetection(key: AnswerKey, findings: Iterable<Finding>, totalEvents: number): DetectionReport {
  const stepOf = new Map<string, { scenario: number; step: number }>();
  key.scenarios.forEach((s, si) => {
    s.steps.forEach((st, ti) => {
      for (const id of st.eventIds) stepOf.set(id, { scenario: si, step: ti });
    });
  });
  const hits = key.scenarios.map((s) => s.steps.map(() => ({ first: "", seen: new Set<string>() })));
  let background = 0;
  const rules = new Map<string, number>();
  for (const f of findings) {
    if (f.detector) continue;
    const at = f.eventID !== undefined ? stepOf.get(f.eventID) : undefined;
    if (!at) {
      background++;
      rules.set(f.rule.id, (rules.get(f.rule.id) ?? 0) + 1);
      continue;
    }
    const step = key.scenarios[at.scenario]?.steps[at.step];
    const hit = hits[at.scenario]?.[at.step];
    if (!step || !hit) continue;
    for (const t of f.techniques) hit.seen.add(t);
    if (f.techniques.some((t) => sameTechniqueFamily(t, step.technique))) {
      const time = f.eventTime ?? "";
      if (hit.first === "" || time < hit.first) hit.first = time;
    }
  }
  const scenarios: ScenarioResult[] = key.scenarios.map((s, si) => {
    const steps: StepResult[] = s.steps.map((st, ti) => {
      const h = hits[si]?.[ti] as { first: string; seen: Set<string> };
      return {
        id: st.id,
        technique: st.technique,
        visible: st.cloudtrailVisible,
        found: h.first !== "",
        ...(h.first !== "" ? { firstFound: h.first } : {}),
        seen: [...h.seen].sort(),
      };
    });
    const times = steps.filter((x) => x.firstFound !== undefined).map((x) => x.firstFound as string);
    return {
      name: s.name,
      steps,
      visible: steps.filter((x) => x.visible).length,
      found: steps.filter((x) => x.visible && x.found).length,
      inOrder: times.every((t, i) => i === 0 || (times[i - 1] as string) <= t),
    };
  });
  const scenarioEvents = key.scenarios.reduce((n, s) => n + s.steps.reduce((m, st) => m + st.eventIds.length, 0), 0);
  const backgroundEvents = Math.max(0, totalEvents - scenarioEvents);
  return {
    scenarios,
    backgroundEvents,
    backgroundFindings: background,
    backgroundRatePer10k: backgroundEvents > 0 ? (background / backgroundEvents) * 10_000 : 0,
    backgroundRules: [...rules.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])),
  };
}

/** The per-scenario table (Markdown), as printed by the regression test and kept in docs/scenarios.md. */
export function detectionTable(report: DetectionReport): string {
  const lines = ["| scenario | steps | CloudTrail-visible | found | order | missed |", "|---|---|---|---|---|---|"];
  for (const s of report.scenarios)
    lines.push(
      `| ${s.name} | ${s.steps.length} | ${s.visible} | ${s.found} | ${s.inOrder ? "right" : "WRONG"} | ${
        s.steps
          .filter((x) => x.visible && !x.found)
          .map((x) => `${x.id} (${x.technique})`)
          .join(", ") || "-"
      } |`,
    );
  lines.push(
    "",
    `Background: ${report.backgroundFindings} finding(s) on ${report.backgroundEvents} background events (${report.backgroundRatePer10k.toFixed(2)} per 10,000).`,
  );
  return lines.join("\n");
}
