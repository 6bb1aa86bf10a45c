// In-memory catalog with indexes (by ID, tactic, event, parent) and whole-catalog consistency checks.
// Pure: building a Catalog does no I/O; src/catalog/load.ts reads the YAML files.
import { type Problem, TechtrailError } from "../core/errors.js";
import {
  CatalogData,
  type CatalogMeta,
  type DataSource,
  type Mitigation,
  type OverlayInfo,
  type Tactic,
  type Technique,
} from "./model.js";

/** Normalises an event reference: `iam:CreateAccessKey`, `iam.amazonaws.com:CreateAccessKey` or `CreateAccessKey`. */
export function normaliseEventQuery(q: string): { service?: string; action: string } {
  const trimmed = q.trim();
  const i = trimmed.lastIndexOf(":");
  if (i < 0) return { action: trimmed };
  const service = trimmed
    .slice(0, i)
    .replace(/\.amazonaws\.com$/i, "")
    .toLowerCase();
  return { service, action: trimmed.slice(i + 1) };
}

export class Catalog {
  readonly data: CatalogData;
  readonly meta: CatalogMeta;
  readonly tactics: readonly Tactic[];
  readonly techniques: readonly Technique[];
  readonly mitigations: readonly Mitigation[];
  readonly dataSources: readonly DataSource[];
  /** The overlay applied on top of the catalog's own data, if any (src/catalog/overlay.ts). */
  readonly overlay: OverlayInfo | undefined;
  private readonly byId = new Map<string, Technique>();
  private readonly byIdUpper = new Map<string, Technique>();
  private readonly tacticById = new Map<string, Tactic>();
  private readonly byEventAction = new Map<string, Technique[]>();
  private readonly children = new Map<string, Technique[]>();
  private readonly mitigationById = new Map<string, Mitigation>();

  /** Validates cross-references; throws one VALIDATION error listing every problem. */
  constructor(
    data: CatalogData,
    sourceOf: (id: string) => string | undefined = () => undefined,
    overlay?: OverlayInfo,
  ) {
    const parsed = CatalogData.parse(data);
    this.data = parsed;
    this.overlay = overlay;
    this.meta = parsed.meta;
    this.tactics = parsed.tactics;
    this.techniques = [...parsed.techniques].sort((a, b) => compareIds(a.id, b.id));
    this.mitigations = parsed.mitigations;
    this.dataSources = parsed.dataSources;
    const problems: Problem[] = [];
    const at = (id: string, field: string, message: string) => {
      const p: Problem = { field, message };
      const s = sourceOf(id);
      if (s) p.source = s;
      problems.push(p);
    };
    for (const t of parsed.tactics) {
      if (this.tacticById.has(t.id)) problems.push({ field: "tactics", message: `duplicate tactic ${t.id}` });
      this.tacticById.set(t.id, t);
    }
    for (const m of parsed.mitigations) {
      if (this.mitigationById.has(m.id))
        problems.push({ field: "mitigations", message: `duplicate mitigation ${m.id}` });
      this.mitigationById.set(m.id, m);
    }
    const dsIds = new Set(parsed.dataSources.map((d) => d.id));
    for (const t of this.techniques) {
      if (this.byId.has(t.id)) at(t.id, "id", `duplicate technique ID ${t.id}`);
      this.byId.set(t.id, t);
      this.byIdUpper.set(t.id.toUpperCase(), t);
    }
    for (const t of this.techniques) {
      t.tactics.forEach((ta, i) => {
        if (!this.tacticById.has(ta))
          at(t.id, `tactics.${i}`, `unknown tactic ${ta} (known: ${[...this.tacticById.keys()].join(", ")})`);
      });
      if (t.parent !== undefined) {
        if (!this.byId.has(t.parent)) at(t.id, "parent", `unknown parent technique ${t.parent}`);
        else {
          const list = this.children.get(t.parent) ?? [];
          list.push(t);
          this.children.set(t.parent, list);
        }
      }
      if (t.revokedBy !== undefined && !this.byId.has(t.revokedBy))
        at(t.id, "revokedBy", `unknown replacement technique ${t.revokedBy}`);
      t.dataSources.forEach((d, i) => {
        if (!dsIds.has(d)) at(t.id, `dataSources.${i}`, `unknown data source ${d} (see catalog/data-sources.yaml)`);
      });
      t.mitigations.forEach((m, i) => {
        if (!this.mitigationById.has(m.id))
          at(t.id, `mitigations.${i}.id`, `unknown mitigation ${m.id} (see catalog/mitigations.yaml)`);
      });
      for (const e of t.events) {
        const { action } = normaliseEventQuery(e);
        const key = action.toLowerCase();
        const list = this.byEventAction.get(key) ?? [];
        list.push(t);
        this.byEventAction.set(key, list);
      }
    }
    if (problems.length > 0)
      throw new TechtrailError("VALIDATION", `catalog has ${problems.length} problem(s)`, { problems });
  }

  /** Exact lookup; IDs are matched case-insensitively (`t1078.a001` finds `T1078.A001`). */
  technique(id: string): Technique | undefined {
    return this.byId.get(id) ?? this.byIdUpper.get(id.trim().toUpperCase());
  }

  has(id: string): boolean {
    return this.technique(id) !== undefined;
  }

  /** Like technique() but throws NOT_FOUND. */
  require(id: string): Technique {
    const t = this.technique(id);
    if (!t) throw new TechtrailError("NOT_FOUND", `unknown technique ID ${id}`, { details: { id } });
    return t;
  }

  tactic(id: string): Tactic | undefined {
    return (
      this.tacticById.get(id) ??
      this.tactics.find((t) => t.shortname === id || t.name.toLowerCase() === id.toLowerCase())
    );
  }

  mitigation(id: string): Mitigation | undefined {
    return this.mitigationById.get(id);
  }

  subtechniques(id: string): Technique[] {
    return this.children.get(id) ?? [];
  }

  /** Techniques listed under a tactic (by ID, short name or name), in ID order. */
  byTactic(tactic: string): Technique[] {
    const ta = this.tactic(tactic);
    if (!ta) throw new TechtrailError("NOT_FOUND", `unknown tactic ${tactic}`);
    return this.techniques.filter((t) => t.tactics.includes(ta.id));
  }

  /** Techniques whose events include the API call (`CreateAccessKey` or `iam:CreateAccessKey`). */
  byEvent(query: string): Technique[] {
    const { service, action } = normaliseEventQuery(query);
    const list = this.byEventAction.get(action.toLowerCase()) ?? [];
    if (service === undefined) return list;
    return list.filter((t) => t.events.some((e) => e.toLowerCase() === `${service}:${action}`.toLowerCase()));
  }

  stats(): CatalogStats {
    const active = this.techniques.filter((t) => t.status === "active");
    return {
      version: this.meta.version,
      name: this.meta.name,
      tactics: this.tactics.length,
      techniques: this.techniques.length,
      activeTechniques: active.length,
      subtechniques: this.techniques.filter((t) => t.parent !== undefined).length,
      techniquesWithEvents: this.techniques.filter((t) => t.events.length > 0).length,
      events: new Set(this.techniques.flatMap((t) => t.events)).size,
      mitigations: this.mitigations.length,
      dataSources: this.dataSources.length,
      deprecated: this.techniques.filter((t) => t.status === "deprecated").length,
      revoked: this.techniques.filter((t) => t.status === "revoked").length,
      perTactic: Object.fromEntries(
        this.tactics.map((ta) => [ta.id, this.techniques.filter((t) => t.tactics.includes(ta.id)).length]),
      ),
    };
  }
}

export interface CatalogStats {
  version: string;
  name: string;
  tactics: number;
  techniques: number;
  activeTechniques: number;
  subtechniques: number;
  techniquesWithEvents: number;
  events: number;
  mitigations: number;
  dataSources: number;
  deprecated: number;
  revoked: number;
  perTactic: Record<string, number>;
}

/**
 * Orders IDs as a person reads them: T1078 < T1078.004 < T1078.A001 < T1078.ACME-2 < T1190 < AT1023 < ACME-2 <
 * ACME-10 (overlay techniques after the catalog's, numbers compared as numbers).
 */
export function compareIds(a: string, b: string): number {
  const num = (s: string) => s.replace(/\d+/g, (d) => d.padStart(6, "0"));
  const key = (id: string) => {
    const [top = "", sub = ""] = id.split(".");
    const group = top.includes("-") ? 2 : top.startsWith("AT") ? 1 : 0;
    const base = group === 2 ? num(top) : top.replace(/^A/, "");
    const subKey = sub === "" ? "" : sub.includes("-") ? `2${num(sub)}` : sub.startsWith("A") ? `1${sub}` : `0${sub}`;
    return `${group}${base}.${subKey}`;
  };
  const ka = key(a);
  const kb = key(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}
