// Detection coverage as the server reports it (GET /api/coverage?profile=NAME): per technique whether a data
// source the monitoring profile turns on reveals it (visible), a deployed rule is tagged with it (detected) and
// that rule fired on scanned logs (validated), plus frequency-weighted scores per level.

export type CoverageLevel = "validated" | "detected" | "visible" | "none";

export interface CoverageRow {
  id: string;
  name: string;
  tactics: string[];
  incidents: number;
  weight: number;
  visible: boolean;
  visibleVia: string[];
  detected: boolean;
  rules: string[];
  validated: boolean | null;
  firedRules: string[];
}

export interface CoverageScores {
  visible: number;
  detected: number;
  validated: number | null;
}

export interface CoverageReport {
  profile: { name: string; file: string; effective: string[]; ineffective: Array<{ id: string; requires: string }> };
  weighting: "incidents" | "uniform";
  note?: string;
  scope?: { incidents: number; note?: string };
  rules: { deployed: number; failed: number; withTechniques: number };
  scores: CoverageScores;
  unweighted: CoverageScores;
  techniques: CoverageRow[];
  unseen: Array<{ id: string; name: string; incidents: number }>;
  undetected: Array<{ id: string; name: string; incidents: number }>;
}

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
