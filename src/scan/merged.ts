// The scan's findings as one sorted list: the compact per-event findings of the FindingStore, and the few
// findings of correlation and first_seen rules built on the main thread, merged in event-time order for
// readers (FindingList) and for the summary (SummarySource).
import { type FindingList, type FindingStore, type RuleMeta, type SummaryRow, UNKNOWN_PRINCIPAL } from "./hits.js";
import type { Finding, Origin } from "./model.js";
import type { SummarySource } from "./summary.js";

interface Extra {
  finding: Finding;
  meta: RuleMeta;
  timeMs: number;
}

class ExtraRow implements SummaryRow {
  constructor(private readonly x: Extra) {}
  get meta(): RuleMeta {
    return this.x.meta;
  }
  get attempt(): boolean {
    return this.x.finding.attempt;
  }
  get principal(): string {
    return this.x.finding.principalArn ?? this.x.finding.accessKeyId ?? UNKNOWN_PRINCIPAL;
  }
  get timeMs(): number {
    return this.x.timeMs;
  }
  get timeOther(): string | undefined {
    return Number.isNaN(this.x.timeMs) ? this.x.finding.eventTime : undefined;
  }
  eventTime(): string | undefined {
    return this.x.finding.eventTime;
  }
  eventName(): string | undefined {
    return this.x.finding.eventName;
  }
  origin(): Origin {
    return this.x.finding.origin;
  }
}

/** Parses the usual `YYYY-MM-DDTHH:MM:SSZ` (and other ISO forms); NaN when absent or unparsable. */
const timeOf = (t: string | undefined): number => (t === undefined ? Number.NaN : Date.parse(t));
/** Sort key: unparsable or missing times first, as empty eventTime texts sort first in the store. */
const key = (ms: number): number => (Number.isNaN(ms) ? Number.NEGATIVE_INFINITY : ms);

export class MergedFindings implements FindingList, SummarySource {
  private readonly extras: Extra[];
  /** Merged order: store row i as i, extra j as -(j + 1). Built on first indexed read. */
  private order: Int32Array | undefined;

  constructor(
    private readonly store: FindingStore,
    extras: ReadonlyArray<{ finding: Finding; meta: RuleMeta }>,
  ) {
    this.extras = extras
      .map((e) => ({ ...e, timeMs: timeOf(e.finding.eventTime) }))
      .sort((a, b) => key(a.timeMs) - key(b.timeMs) || (a.finding.rule.id < b.finding.rule.id ? -1 : 1));
  }

  get length(): number {
    return this.store.length + this.extras.length;
  }

  private merged(): Int32Array {
    if (this.order) return this.order;
    const out = new Int32Array(this.length);
    let j = 0;
    let k = 0;
    for (let i = 0; i < this.store.length; i++) {
      const t = key(this.store.timeMsAt(i));
      while (j < this.extras.length && key((this.extras[j] as Extra).timeMs) < t) out[k++] = -(j++ + 1);
      out[k++] = i;
    }
    while (j < this.extras.length) out[k++] = -(j++ + 1);
    this.order = out;
    return out;
  }

  at(index: number): Finding | undefined {
    if (this.extras.length === 0) return this.store.at(index);
    const o = this.merged()[index];
    if (o === undefined) return undefined;
    return o >= 0 ? this.store.at(o) : this.extras[-o - 1]?.finding;
  }

  *[Symbol.iterator](): Iterator<Finding> {
    for (let i = 0; i < this.length; i++) yield this.at(i) as Finding;
  }

  toArray(): Finding[] {
    if (this.extras.length === 0) return this.store.toArray();
    return Array.from(this);
  }

  forEachRow(visit: (row: SummaryRow) => void): void {
    let j = 0;
    this.store.forEachRow((row) => {
      const t = key(row.timeMs);
      while (j < this.extras.length && key((this.extras[j] as Extra).timeMs) < t)
        visit(new ExtraRow(this.extras[j++] as Extra));
      visit(row);
    });
    while (j < this.extras.length) visit(new ExtraRow(this.extras[j++] as Extra));
  }
}
