// Compact storage of matches, so memory stays small however many findings a scan produces (a noisy rule can
// match a third of all events). Each thread encodes repeated strings (sources, names, regions, principals,
// keys, user agents, IPs) once in a dictionary and sends only new dictionary entries plus a Uint32Array per
// unit; the main thread keeps those columns and builds Finding objects only when they are read.
import type { Finding, FindingRule, Origin } from "./model.js";

/** Dictionary-encoded fields, in this order after [rule, ordinal] in each row. */
const FIELDS = [
  "eventSource",
  "eventName",
  "awsRegion",
  "sourceIPAddress",
  "userAgent",
  "errorCode",
  "principalArn",
  "accessKeyId",
  "accountId",
] as const;
const STRIDE = 2 + FIELDS.length;

/** Matches of one unit: rows of [rule, ordinal, ...dictionary ids (0 = absent)], eventIDs, eventTimes. */
export interface HitBatch {
  rows: Uint32Array;
  ids: Array<string | undefined>;
  times: Array<string | undefined>;
  /** Dictionary entries added since the thread's previous batch (ids continue from there). */
  dict: string[];
}

const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);

/** Per-thread encoder; batches must be read in the order they were taken. */
export class HitEncoder {
  private readonly dict = new Map<string, number>();
  private added: string[] = [];
  private rows: number[] = [];
  private ids: Array<string | undefined> = [];
  private times: Array<string | undefined> = [];

  get count(): number {
    return this.ids.length;
  }

  /** Last value and id per field: consecutive matches often share region, account, principal, agent. */
  private readonly lastValue: Array<string | undefined> = new Array(FIELDS.length).fill(undefined);
  private readonly lastId = new Uint32Array(FIELDS.length);

  private code(k: number, v: unknown): number {
    if (typeof v !== "string") return 0;
    if (v === this.lastValue[k]) return this.lastId[k] as number;
    let id = this.dict.get(v);
    if (id === undefined) {
      id = this.dict.size + 1;
      this.dict.set(v, id);
      this.added.push(v);
    }
    this.lastValue[k] = v;
    this.lastId[k] = id;
    return id;
  }

  add(rule: number, ordinal: number, ev: Record<string, unknown>): void {
    const ui = ev.userIdentity as Record<string, unknown> | undefined;
    let arn: string | undefined;
    let keyId: string | undefined;
    let uiAccount: string | undefined;
    if (ui !== null && typeof ui === "object") {
      arn = str(ui.arn);
      if (arn === undefined) {
        const ctx = ui.sessionContext as Record<string, unknown> | undefined;
        const issuer =
          ctx !== null && typeof ctx === "object"
            ? (ctx.sessionIssuer as Record<string, unknown> | undefined)
            : undefined;
        if (issuer !== null && typeof issuer === "object") arn = str(issuer.arn);
      }
      keyId = str(ui.accessKeyId);
      uiAccount = str(ui.accountId);
    }
    this.rows.push(
      rule,
      ordinal,
      this.code(0, ev.eventSource),
      this.code(1, ev.eventName),
      this.code(2, ev.awsRegion),
      this.code(3, ev.sourceIPAddress),
      this.code(4, ev.userAgent),
      this.code(5, ev.errorCode),
      this.code(6, arn),
      this.code(7, keyId),
      this.code(8, str(ev.recipientAccountId) ?? uiAccount),
    );
    this.ids.push(str(ev.eventID));
    this.times.push(str(ev.eventTime));
  }

  /** Drops rows of an unfinished unit (dictionary additions stay pending: they are already in the map). */
  dropRows(): void {
    this.rows = [];
    this.ids = [];
    this.times = [];
  }

  take(): HitBatch {
    const batch: HitBatch = { rows: Uint32Array.from(this.rows), ids: this.ids, times: this.times, dict: this.added };
    this.rows = [];
    this.ids = [];
    this.times = [];
    this.added = [];
    return batch;
  }
}

/** How the store turns a unit number into an origin. */
export interface UnitInfo {
  file: string;
  originKind: "line" | "index";
  /** Added to line numbers (ranges of a chunked file continue the previous range's numbering). */
  lineBase: number;
}

/** Rule data shared by all findings of a rule. */
export interface RuleMeta {
  rule: FindingRule;
  techniques: string[];
  tactics: string[];
}

/** The findings of a scan, sorted; Finding objects are built when read. Iterable, with length and at(). */
export interface FindingList extends Iterable<Finding> {
  readonly length: number;
  at(index: number): Finding | undefined;
  toArray(): Finding[];
}

export class FindingStore implements FindingList {
  private cols = new Uint32Array(STRIDE * 1024);
  private units = new Uint32Array(1024);
  private dictOf = new Uint8Array(1024);
  private readonly ids = new PackedStrings(packUuid, unpackUuid, 16);
  private readonly times = new PackedStrings(packTime, unpackTime, 8);
  private readonly dicts = new Map<number, string[]>();
  private n = 0;
  private order: Uint32Array | undefined;
  private unitInfo: ReadonlyMap<number, UnitInfo> = new Map();

  constructor(private readonly rules: readonly RuleMeta[]) {}

  get length(): number {
    return this.n;
  }

  /** Adds one batch taken from the encoder of thread `thread` (dictionary entries accumulate per thread). */
  append(batch: HitBatch, unit: number, thread: number): void {
    let dict = this.dicts.get(thread);
    if (!dict) {
      dict = [""];
      this.dicts.set(thread, dict);
    }
    for (const s of batch.dict) dict.push(s);
    const count = batch.ids.length;
    if (count === 0) return;
    this.ensure(this.n + count);
    this.cols.set(batch.rows, this.n * STRIDE);
    this.units.fill(unit, this.n, this.n + count);
    this.dictOf.fill(thread, this.n, this.n + count);
    for (let i = 0; i < count; i++) {
      this.ids.push(batch.ids[i]);
      this.times.push(batch.times[i]);
    }
    this.n += count;
    this.order = undefined;
  }

  private ensure(size: number): void {
    if (size <= this.units.length) return;
    let cap = this.units.length;
    while (cap < size) cap *= 2;
    const cols = new Uint32Array(cap * STRIDE);
    cols.set(this.cols);
    this.cols = cols;
    const units = new Uint32Array(cap);
    units.set(this.units);
    this.units = units;
    const dictOf = new Uint8Array(cap);
    dictOf.set(this.dictOf);
    this.dictOf = dictOf;
  }

  /**
   * Fixes origins and sorts: by eventTime, then file, then line/index, then rule ID — the same order whatever
   * the number of workers.
   */
  finish(units: ReadonlyMap<number, UnitInfo>): void {
    this.unitInfo = units;
    const fileRank = new Map<number, number>();
    const files = [...new Set([...units.values()].map((u) => u.file))].sort();
    const rankOfFile = new Map(files.map((f, i) => [f, i]));
    for (const [id, u] of units) fileRank.set(id, rankOfFile.get(u.file) ?? 0);
    const ruleRank = this.rules
      .map((r, i) => [r.rule.id, i] as const)
      .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
      .reduce((acc, [, i], rank) => {
        acc[i] = rank;
        return acc;
      }, new Uint32Array(this.rules.length));
    const cols = this.cols;
    const unitsCol = this.units;
    // times as sortable keys: ISO-8601 UTC strings in the usual shape compare like their text
    const times: string[] = new Array(this.n);
    for (let i = 0; i < this.n; i++) times[i] = this.times.get(i) ?? "";
    const lineBase = (i: number) => units.get(unitsCol[i] as number)?.lineBase ?? 0;
    const order = new Uint32Array(this.n);
    for (let i = 0; i < this.n; i++) order[i] = i;
    order.sort((a, b) => {
      const ta = times[a] as string;
      const tb = times[b] as string;
      if (ta !== tb) return ta < tb ? -1 : 1;
      const fa = fileRank.get(unitsCol[a] as number) ?? 0;
      const fb = fileRank.get(unitsCol[b] as number) ?? 0;
      if (fa !== fb) return fa - fb;
      const oa = (cols[a * STRIDE + 1] as number) + lineBase(a);
      const ob = (cols[b * STRIDE + 1] as number) + lineBase(b);
      if (oa !== ob) return oa - ob;
      return (ruleRank[cols[a * STRIDE] as number] as number) - (ruleRank[cols[b * STRIDE] as number] as number);
    });
    this.order = order;
  }

  /** The finding at a position of the sorted list. */
  at(index: number): Finding | undefined {
    if (index < 0 || index >= this.n) return undefined;
    const i = this.order ? (this.order[index] as number) : index;
    const base = i * STRIDE;
    const cols = this.cols;
    const meta = this.rules[cols[base] as number] as RuleMeta;
    const dict = this.dicts.get(this.dictOf[i] as number) ?? [""];
    const info = this.unitInfo.get(this.units[i] as number);
    const ordinal = cols[base + 1] as number;
    const file = info?.file ?? "";
    const origin: Origin =
      info?.originKind === "line" ? { file, line: ordinal + info.lineBase } : { file, index: ordinal };
    const dictValue = (k: number): string | undefined => {
      const code = cols[base + 2 + k] as number;
      return code === 0 ? undefined : dict[code];
    };
    // built field by field so JSON output keeps a readable key order
    const f = { rule: meta.rule, techniques: meta.techniques, tactics: meta.tactics } as Finding;
    const id = this.ids.get(i);
    const time = this.times.get(i);
    if (id !== undefined) f.eventID = id;
    if (time !== undefined) f.eventTime = time;
    for (let k = 0; k < FIELDS.length; k++) {
      const v = dictValue(k);
      if (v !== undefined) f[FIELDS[k] as (typeof FIELDS)[number]] = v;
      if (FIELDS[k] === "errorCode") f.attempt = v !== undefined;
    }
    f.origin = origin;
    return f;
  }

  *[Symbol.iterator](): Iterator<Finding> {
    for (let i = 0; i < this.n; i++) yield this.at(i) as Finding;
  }

  toArray(): Finding[] {
    return [...this];
  }
}

/**
 * Strings stored compactly: values in the common shape are packed into fixed-size bytes (a UUID in 16 bytes,
 * a second-precision UTC time in 8), others kept as strings. Both shapes round-trip exactly.
 */
class PackedStrings {
  private bytes: Uint8Array;
  /** 0 = absent, 1 = packed, 2 = kept in `other`. */
  private kind: Uint8Array;
  private readonly other = new Map<number, string>();
  private n = 0;

  constructor(
    private readonly pack: (s: string, out: Uint8Array, at: number) => boolean,
    private readonly unpack: (b: Uint8Array, at: number) => string,
    private readonly width: number,
  ) {
    this.bytes = new Uint8Array(width * 1024);
    this.kind = new Uint8Array(1024);
  }

  push(s: string | undefined): void {
    if (this.n === this.kind.length) {
      const kind = new Uint8Array(this.kind.length * 2);
      kind.set(this.kind);
      this.kind = kind;
      const bytes = new Uint8Array(this.bytes.length * 2);
      bytes.set(this.bytes);
      this.bytes = bytes;
    }
    const i = this.n++;
    if (s === undefined) this.kind[i] = 0;
    else if (this.pack(s, this.bytes, i * this.width)) this.kind[i] = 1;
    else {
      this.kind[i] = 2;
      this.other.set(i, s);
    }
  }

  get(i: number): string | undefined {
    const k = this.kind[i];
    if (k === 1) return this.unpack(this.bytes, i * this.width);
    if (k === 2) return this.other.get(i);
    return undefined;
  }
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const HEX = "0123456789abcdef";

function packUuid(s: string, out: Uint8Array, at: number): boolean {
  if (!UUID_RE.test(s)) return false;
  const hex = s.replace(/-/g, "");
  for (let j = 0; j < 16; j++) out[at + j] = Number.parseInt(hex.slice(2 * j, 2 * j + 2), 16);
  return true;
}

function unpackUuid(b: Uint8Array, at: number): string {
  let s = "";
  for (let j = 0; j < 16; j++) {
    const v = b[at + j] as number;
    s += (HEX[v >> 4] as string) + (HEX[v & 15] as string);
    if (j === 3 || j === 5 || j === 7 || j === 9) s += "-";
  }
  return s;
}

const TIME_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

function packTime(s: string, out: Uint8Array, at: number): boolean {
  if (!TIME_RE.test(s)) return false;
  const ms = Date.parse(s);
  // only values that print back identically (rejects e.g. 2024-02-30)
  if (!Number.isFinite(ms) || unpackMs(ms) !== s) return false;
  new DataView(out.buffer, out.byteOffset).setFloat64(at, ms);
  return true;
}

function unpackMs(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}Z`;
}

function unpackTime(b: Uint8Array, at: number): string {
  return unpackMs(new DataView(b.buffer, b.byteOffset).getFloat64(at));
}
