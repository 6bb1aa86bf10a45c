// Marks findings whose source IP, user agent, access key or account matches a known actor's indicators
// (`actors` scan option; the CLI and server load them from the register, this module never reads the store).
// The lookup is built once per scan (src/core/indicators.ts) and runs per finding, not per event.
import { type ActorIndicators, type IndicatorHit, IndicatorMatcher } from "../core/indicators.js";
import type { Finding, ScanSummary } from "./model.js";

type ActorsSummary = NonNullable<ScanSummary["actors"]>;

export class ActorMarker {
  private readonly matcher: IndicatorMatcher;
  private readonly counts = new Map<
    string,
    {
      id: string;
      name: string;
      findings: number;
      indicators: Map<string, { type: string; value: string; findings: number }>;
    }
  >();
  private marked = 0;

  constructor(actors: readonly ActorIndicators[]) {
    this.matcher = new IndicatorMatcher(actors);
  }

  get empty(): boolean {
    return this.matcher.size === 0;
  }

  /** The finding with `actors` set when it matches an indicator (a new object), else the same finding. */
  mark(f: Finding): Finding {
    const hits = this.matcher.match(f);
    if (hits.length === 0) return f;
    this.count(hits);
    return { ...f, actors: hits.map((h) => ({ id: h.id, name: h.name, indicator: { ...h.indicator } })) };
  }

  private count(hits: readonly IndicatorHit[]): void {
    this.marked++;
    const seenActors = new Set<string>();
    for (const h of hits) {
      let a = this.counts.get(h.id);
      if (!a) {
        a = { id: h.id, name: h.name, findings: 0, indicators: new Map() };
        this.counts.set(h.id, a);
      }
      if (!seenActors.has(h.id)) {
        seenActors.add(h.id);
        a.findings++;
      }
      const k = `${h.indicator.type}|${h.indicator.value}`;
      const ind = a.indicators.get(k) ?? { ...h.indicator, findings: 0 };
      ind.findings++;
      a.indicators.set(k, ind);
    }
  }

  /** Findings marked, per actor and indicator (most findings first). */
  summary(): ActorsSummary {
    return {
      findings: this.marked,
      indicators: this.matcher.size,
      actors: [...this.counts.values()]
        .map((a) => ({
          id: a.id,
          name: a.name,
          findings: a.findings,
          indicators: [...a.indicators.values()].sort(
            (x, y) => y.findings - x.findings || (x.value < y.value ? -1 : 1),
          ),
        }))
        .sort((x, y) => y.findings - x.findings || (x.id < y.id ? -1 : 1)),
    };
  }
}
