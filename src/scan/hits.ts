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
/** Row: rule, ordinal, 9 dictionary codes, eventID as 4 words, eventTime as a float64 (2 words), flags. */
const ID_AT = 2 + FIELDS.length;
const TIME_AT = ID_AT + 4;
const FLAGS_AT = TIME_AT + 2;
const STRIDE = FLAGS_AT + 1;
const ID_PACKED = 1;
const TIME_PACKED = 2;

/**
 * Matches of one unit, in rows of STRIDE words. eventIDs shaped as lower-case UUIDs and eventTimes shaped as
 * `YYYY-MM-DDTHH:MM:SSZ` live in the row; other values travel in `idOther` / `timeOther` (row index, text).
 */
export interface HitBatch {
  rows: Uint32Array;
  count: number;
  idOther: Array<[number, string]>;
  timeOther: Array<[number, string]>;
  /** Dictionary entries added since the thread's previous batch (codes continue from there). */
  dict: string[];
}

const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);

const f64 = new Float64Array(1);
const f64Words = new Uint32Array(f64.buffer);

function hexNibble(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

/** Packs a lower-case UUID into 4 words at out[at..]; false when the text has another shape. */
function packUuid(s: string, out: Uint32Array, at: number): boolean {
  if (s.length !== 36) return false;
  let word = 0;
  let digits = 0;
  let w = 0;
  for (let i = 0; i < 36; i++) {
    const c = s.charCodeAt(i);
    if (i === 8 || i === 13 || i === 18 || i === 23) {
      if (c !== 45) return false;
      continue;
    }
    const n = hexNibble(c);
    if (n < 0) return false;
    word = (word << 4) | n;
    if (++digits === 8) {
      out[at + w++] = word >>> 0;
      word = 0;
      digits = 0;
    }
  }
  return true;
}

const HEX2 = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

function unpackUuid(cols: Uint32Array, at: number): string {
  let h = "";
  for (let k = 0; k < 4; k++) {
    const v = cols[at + k] as number;
    h +=
      (HEX2[v >>> 24] as string) +
      (HEX2[(v >>> 16) & 255] as string) +
      (HEX2[(v >>> 8) & 255] as string) +
      (HEX2[v & 255] as string);
  }
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

const digits = (s: string, a: number, n: number): number => {
  let v = 0;
  for (let i = a; i < a + n; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v;
};

/** Epoch ms of `YYYY-MM-DDTHH:MM:SSZ` when it is a real date and time, else NaN. */
function parseTime(s: string): number {
  if (
    s.length !== 20 ||
    s[4] !== "-" ||
    s[7] !== "-" ||
    s[10] !== "T" ||
    s[13] !== ":" ||
    s[16] !== ":" ||
    s[19] !== "Z"
  )
    return Number.NaN;
  const y = digits(s, 0, 4);
  const mo = digits(s, 5, 2);
  const d = digits(s, 8, 2);
  const h = digits(s, 11, 2);
  const mi = digits(s, 14, 2);
  const se = digits(s, 17, 2);
  if (y < 1000 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59 || se < 0 || se > 59)
    return Number.NaN;
  const ms = Date.UTC(y, mo - 1, d, h, mi, se);
  // rejects 2024-02-30 and the like, which Date.UTC would roll over
  return new Date(ms).getUTCDate() === d ? ms : Number.NaN;
}

let lastMs = Number.NaN;
let lastText = "";
let lastDay = Number.NaN;
let lastDayText = "";
const TWO_DIGITS = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, "0"));
/**
 * `YYYY-MM-DDTHH:MM:SSZ` of epoch ms (whole seconds, as packed). Consecutive findings often share the second
 * and nearly always the day, so the last text and the last day's date part are kept.
 */
function formatTime(ms: number): string {
  if (ms !== lastMs) {
    lastMs = ms;
    const day = Math.floor(ms / 86_400_000);
    if (day !== lastDay) {
      lastDay = day;
      lastDayText = new Date(day * 86_400_000).toISOString().slice(0, 11);
    }
    const secs = Math.floor((ms - day * 86_400_000) / 1000);
    lastText = `${lastDayText}${TWO_DIGITS[Math.floor(secs / 3600)]}:${TWO_DIGITS[Math.floor(secs / 60) % 60]}:${TWO_DIGITS[secs % 60]}Z`;
  }
  return lastText;
}

/** Per-thread encoder; batches must be read in the order they were taken. */
export class HitEncoder {
  private readonly dict = new Map<string, number>();
  private added: string[] = [];
  /** Rows of the current batch (grown by doubling; a batch holds at most a few HIT_BATCH rows). */
  private rows = new Uint32Array(STRIDE * 1024);
  private n = 0;
  private idOther: Array<[number, string]> = [];
  private timeOther: Array<[number, string]> = [];
  /** The last eventTime text parsed and its value: matches come in time order, many in the same second. */
  private lastTimeText = "";
  private lastTimeMs = Number.NaN;

  get count(): number {
    return this.n;
  }

  /** Last value and code per field: consecutive matches often share region, account, principal, agent. */
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
    const at = this.n * STRIDE;
    if (at + STRIDE > this.rows.length) {
      const grown = new Uint32Array(this.rows.length * 2);
      grown.set(this.rows);
      this.rows = grown;
    }
    const rows = this.rows;
    rows[at] = rule;
    rows[at + 1] = ordinal;
    rows[at + 2] = this.code(0, ev.eventSource);
    rows[at + 3] = this.code(1, ev.eventName);
    rows[at + 4] = this.code(2, ev.awsRegion);
    rows[at + 5] = this.code(3, ev.sourceIPAddress);
    rows[at + 6] = this.code(4, ev.userAgent);
    rows[at + 7] = this.code(5, ev.errorCode);
    rows[at + 8] = this.code(6, arn);
    rows[at + 9] = this.code(7, keyId);
    rows[at + 10] = this.code(8, str(ev.recipientAccountId) ?? uiAccount);
    let flags = 0;
    const id = str(ev.eventID);
    if (id !== undefined && packUuid(id, rows, at + ID_AT)) flags |= ID_PACKED;
    else {
      rows.fill(0, at + ID_AT, at + ID_AT + 4);
      if (id !== undefined) this.idOther.push([this.n, id]);
    }
    const time = str(ev.eventTime);
    let ms = Number.NaN;
    if (time !== undefined) {
      if (time === this.lastTimeText) ms = this.lastTimeMs;
      else {
        ms = parseTime(time);
        this.lastTimeText = time;
        this.lastTimeMs = ms;
      }
      if (Number.isNaN(ms)) this.timeOther.push([this.n, time]);
    }
    if (!Number.isNaN(ms)) {
      f64[0] = ms;
      rows[at + TIME_AT] = f64Words[0] as number;
      rows[at + TIME_AT + 1] = f64Words[1] as number;
      flags |= TIME_PACKED;
    } else {
      rows[at + TIME_AT] = 0;
      rows[at + TIME_AT + 1] = 0;
    }
    rows[at + FLAGS_AT] = flags;
    this.n++;
  }

  /** Drops rows of an unfinished unit (dictionary additions stay pending: they are already in the map). */
  dropRows(): void {
    this.n = 0;
    this.idOther = [];
    this.timeOther = [];
  }

  take(): HitBatch {
    const batch: HitBatch = {
      rows: this.rows.slice(0, this.n * STRIDE),
      count: this.n,
      idOther: this.idOther,
      timeOther: this.timeOther,
      dict: this.added,
    };
    this.dropRows();
    this.added = [];
    return batch;
  }
}

/** One finding as the summary reads it (a view that moves from row to row: do not keep it). */
export interface SummaryRow {
  readonly meta: RuleMeta;
  readonly attempt: boolean;
  /** principalArn, else accessKeyId, else "(unknown principal)". */
  readonly principal: string;
  /** eventTime as epoch ms when it has the usual `YYYY-MM-DDTHH:MM:SSZ` shape, else NaN. */
  readonly timeMs: number;
  /** eventTime text when timeMs is NaN (undefined when the event had none). */
  readonly timeOther: string | undefined;
  eventTime(): string | undefined;
  eventName(): string | undefined;
  origin(): Origin;
}

const ERROR_CODE = FIELDS.indexOf("errorCode");
const PRINCIPAL_ARN = FIELDS.indexOf("principalArn");
const ACCESS_KEY_ID = FIELDS.indexOf("accessKeyId");
const EVENT_NAME = FIELDS.indexOf("eventName");

class RowView implements SummaryRow {
  private i = 0;
  meta!: RuleMeta;
  attempt = false;
  principal = "";
  timeMs = Number.NaN;
  timeOther: string | undefined;

  constructor(private readonly store: FindingStore) {}

  /** Moves to row i; `cols` and `dict` are the store's columns and that row's thread dictionary. */
  at(i: number, cols: Uint32Array, dict: readonly string[]): void {
    const base = i * STRIDE;
    this.i = i;
    this.meta = this.store.rowMeta(i);
    this.attempt = cols[base + 2 + ERROR_CODE] !== 0;
    const arn = cols[base + 2 + PRINCIPAL_ARN] as number;
    const key = cols[base + 2 + ACCESS_KEY_ID] as number;
    this.principal = (arn !== 0 ? dict[arn] : key !== 0 ? dict[key] : undefined) ?? UNKNOWN_PRINCIPAL;
    this.timeMs = this.store.rowTimeMs(i);
    this.timeOther = Number.isNaN(this.timeMs) ? this.store.rowTimeOther(i) : undefined;
  }

  eventTime(): string | undefined {
    return Number.isNaN(this.timeMs) ? this.timeOther : formatTime(this.timeMs);
  }

  eventName(): string | undefined {
    return this.store.rowField(this.i, EVENT_NAME);
  }

  origin(): Origin {
    return this.store.rowOrigin(this.i);
  }
}

export const UNKNOWN_PRINCIPAL = "(unknown principal)";

/** Text form of a packed eventTime (for the summary's first/last seen). */
export const packedTimeText = (ms: number): string => formatTime(ms);

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
  private readonly idOther = new Map<number, string>();
  private readonly timeOther = new Map<number, string>();
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
    const count = batch.count;
    if (count === 0) return;
    this.ensure(this.n + count);
    this.cols.set(batch.rows.subarray(0, count * STRIDE), this.n * STRIDE);
    this.units.fill(unit, this.n, this.n + count);
    this.dictOf.fill(thread, this.n, this.n + count);
    for (const [i, s] of batch.idOther) this.idOther.set(this.n + i, s);
    for (const [i, s] of batch.timeOther) this.timeOther.set(this.n + i, s);
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

  private timeMs(i: number): number {
    const base = i * STRIDE;
    if (((this.cols[base + FLAGS_AT] as number) & TIME_PACKED) === 0) return Number.NaN;
    f64Words[0] = this.cols[base + TIME_AT] as number;
    f64Words[1] = this.cols[base + TIME_AT + 1] as number;
    return f64[0] as number;
  }

  private timeText(i: number): string | undefined {
    const ms = this.timeMs(i);
    return Number.isNaN(ms) ? this.timeOther.get(i) : formatTime(ms);
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
    // Packed times compare as numbers; the rare others (and absent ones, as "") as text, which for the
    // usual ISO-8601 UTC shape is the same order.
    const ms = new Float64Array(this.n);
    const text: Array<string | undefined> = new Array(this.n);
    for (let i = 0; i < this.n; i++) {
      ms[i] = this.timeMs(i);
      if (Number.isNaN(ms[i])) text[i] = this.timeOther.get(i) ?? "";
    }
    const textOf = (i: number): string => text[i] ?? formatTime(ms[i] as number);
    const lineBase = (i: number) => units.get(unitsCol[i] as number)?.lineBase ?? 0;
    const order = new Uint32Array(this.n);
    for (let i = 0; i < this.n; i++) order[i] = i;
    order.sort((a, b) => {
      const ma = ms[a] as number;
      const mb = ms[b] as number;
      if (!Number.isNaN(ma) && !Number.isNaN(mb)) {
        if (ma !== mb) return ma - mb;
      } else {
        const ta = textOf(a);
        const tb = textOf(b);
        if (ta !== tb) return ta < tb ? -1 : 1;
      }
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
    const id =
      ((cols[base + FLAGS_AT] as number) & ID_PACKED) !== 0 ? unpackUuid(cols, base + ID_AT) : this.idOther.get(i);
    const time = this.timeText(i);
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

  /**
   * Visits the sorted findings as one reused row view, without building Finding objects (the summary reads
   * a few fields of every finding; eventIDs, times and origins are only decoded when asked for).
   */
  /** eventTime (epoch ms, NaN when not packed) of the finding at sorted position `index`. */
  timeMsAt(index: number): number {
    return this.rowTimeMs((this.order ? this.order[index] : index) as number);
  }

  forEachRow(visit: (row: SummaryRow) => void): void {
    const row = new RowView(this);
    const empty = [""];
    let thread = -1;
    let dict: readonly string[] = empty;
    for (let index = 0; index < this.n; index++) {
      const i = (this.order ? this.order[index] : index) as number;
      const t = this.dictOf[i] as number;
      if (t !== thread) {
        thread = t;
        dict = this.dicts.get(t) ?? empty;
      }
      row.at(i, this.cols, dict);
      visit(row);
    }
  }

  /** @internal for RowView */
  rowMeta(i: number): RuleMeta {
    return this.rules[this.cols[i * STRIDE] as number] as RuleMeta;
  }

  /** @internal for RowView: a dictionary field (FIELDS index k) of row i. */
  rowField(i: number, k: number): string | undefined {
    const code = this.cols[i * STRIDE + 2 + k] as number;
    if (code === 0) return undefined;
    return this.dicts.get(this.dictOf[i] as number)?.[code];
  }

  /** @internal for RowView: epoch ms of a packed eventTime, NaN otherwise. */
  rowTimeMs(i: number): number {
    return this.timeMs(i);
  }

  /** @internal for RowView: an eventTime that is not packed (any shape), else undefined. */
  rowTimeOther(i: number): string | undefined {
    return this.timeOther.get(i);
  }

  /** @internal for RowView */
  rowOrigin(i: number): Origin {
    const info = this.unitInfo.get(this.units[i] as number);
    const ordinal = this.cols[i * STRIDE + 1] as number;
    const file = info?.file ?? "";
    return info?.originKind === "line" ? { file, line: ordinal + info.lineBase } : { file, index: ordinal };
  }

  *[Symbol.iterator](): Iterator<Finding> {
    for (let i = 0; i < this.n; i++) yield this.at(i) as Finding;
  }

  toArray(): Finding[] {
    return [...this];
  }
}
