// Detection coverage as the server reports it (GET /api/coverage?profile=NAME): per technique whether a data
// source the monitoring profile turns on reveals it (visible), a deployed rule or a mapped detector finding type
// detects it (detected) and a rule fired on scanned logs (validated), plus frequency-weighted scores per level.

import type { CoverageReport } from "./api-types";

export type { CoverageReport };
export type CoverageLevel = "validated" | "detected" | "visible" | "none";
export type CoverageRow = CoverageReport["techniques"][number];
export type CoverageScores = CoverageReport["scores"];

export function levelOf(r: Pick<CoverageRow, "visible" | "detected" | "validated">): CoverageLevel {
  if (r.validated) return "validated";
  if (r.detected) return "detected";
  if (r.visible) return "visible";
  return "none";
}

export function coverageByTechnique(rep: CoverageReport): Map<string, CoverageLevel> {
  const m = new Map<string, CoverageLevel>();
  for (const r of rep.techniques) m.set(r.id, levelOf(r));
  return m;
}
