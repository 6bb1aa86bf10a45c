// Detection coverage as the server reports it (GET /api/coverage): per technique whether a monitored data
// source reveals it (visible), a deployed rule is tagged with it (detected) and that rule fired on logs of
// the technique (validated), plus frequency-weighted scores.

export type CoverageLevel = "validated" | "detected" | "visible" | "none";

export interface CoverageRow {
  id: string;
  name?: string | null;
  visible: boolean;
  detected: boolean;
  validated?: boolean | null;
  incidents?: number;
  frequency?: number;
  rules?: string[];
  sources?: string[];
}

export interface CoverageReport {
  profile?: { id?: string; name?: string } | null;
  techniques: CoverageRow[];
  scores?: Record<string, number | null> | null;
  unseen?: Array<{ id: string; name?: string | null; incidents?: number; frequency?: number }>;
  profiles?: Array<{ id: string; name?: string }>;
}

export function levelOf(r: CoverageRow): CoverageLevel {
  if (r.validated) return "validated";
  if (r.detected) return "detected";
  if (r.visible) return "visible";
  return "none";
}

export function coverageByTechnique(rep: CoverageReport): Map<string, CoverageLevel> {
  const m = new Map<string, CoverageLevel>();
  for (const r of rep.techniques ?? []) m.set(r.id, levelOf(r));
  return m;
}
