// Compact transfer of matches from the scanning threads: each thread encodes repeated strings (sources, names,
// regions, principals, keys, user agents, IPs) once in a dictionary and sends only new dictionary entries plus a
// Uint32Array of rows per batch; the main thread's HitDecoder turns rows into Finding objects as they arrive
// (nothing is kept after a batch is passed on).
import type { Finding, FindingRule } from "./model.js";

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
  /** The thread's dictionary was cleared before this batch: `dict` starts a new one (codes from 1). */
  reset?: boolean;
  /** How the ordinals of the rows read (set by the engine: line numbers or element indexes). */
  originKind?: "line" | "index";
}

/**
 * Distinct strings a thread's dictionary holds before it starts over (at a batch boundary), so a scan of
 * millions of distinct IPs or user agents keeps a bounded dictionary on both sides.
 */
export const DICT_LIMIT = 50_000;

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

  private resetNext = false;

  take(): HitBatch {
    const batch: HitBatch = {
      rows: this.rows.slice(0, this.n * STRIDE),
      count: this.n,
      idOther: this.idOther,
      timeOther: this.timeOther,
      dict: this.added,
    };
    if (this.resetNext) batch.reset = true;
    this.resetNext = false;
    this.dropRows();
    this.added = [];
    if (this.dict.size >= DICT_LIMIT) {
      this.dict.clear();
      this.lastValue.fill(undefined);
      this.resetNext = true;
    }
    return batch;
  }
}

export const UNKNOWN_PRINCIPAL = "(unknown principal)";

/** Where the rows of a unit come from. */
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

/** A batch whose dictionary is resolved: its rows can be decoded at any later time. */
export interface ReceivedBatch {
  batch: HitBatch;
  dict: readonly string[];
}

/**
 * The receiving side of the HitEncoders: one dictionary per thread, extended (or restarted) by each batch in
 * the order the thread sent them, and decoding of rows into Finding objects.
 */
export class HitDecoder {
  private readonly dicts = new Map<number, string[]>();

  constructor(private readonly rules: readonly RuleMeta[]) {}

  /**
   * Applies a batch's dictionary entries; must be called for every batch of a thread, in the order sent. The
   * returned dictionary stays valid for this batch even after later batches restart the thread's dictionary.
   */
  receive(batch: HitBatch, thread: number): ReceivedBatch {
    let dict = this.dicts.get(thread);
    if (!dict || batch.reset) {
      dict = [""];
      this.dicts.set(thread, dict);
    }
    for (const s of batch.dict) dict.push(s);
    return { batch, dict };
  }

  /** Decodes rows [from, to) of a received batch into findings. */
  decode(received: ReceivedBatch, unit: UnitInfo, from: number, to: number, out: Finding[]): void {
    const { batch, dict } = received;
    const cols = batch.rows;
    const idOther = batch.idOther.length > 0 ? new Map(batch.idOther) : undefined;
    const timeOther = batch.timeOther.length > 0 ? new Map(batch.timeOther) : undefined;
    const file = unit.file;
    const lines = unit.originKind === "line";
    for (let i = from; i < to; i++) {
      const base = i * STRIDE;
      const meta = this.rules[cols[base] as number] as RuleMeta;
      const ordinal = cols[base + 1] as number;
      // built field by field so JSON output keeps a readable key order
      const f = { rule: meta.rule, techniques: meta.techniques, tactics: meta.tactics } as Finding;
      const flags = cols[base + FLAGS_AT] as number;
      const id = (flags & ID_PACKED) !== 0 ? unpackUuid(cols, base + ID_AT) : idOther?.get(i);
      if (id !== undefined) f.eventID = id;
      let time: string | undefined;
      if ((flags & TIME_PACKED) !== 0) {
        f64Words[0] = cols[base + TIME_AT] as number;
        f64Words[1] = cols[base + TIME_AT + 1] as number;
        time = formatTime(f64[0] as number);
      } else time = timeOther?.get(i);
      if (time !== undefined) f.eventTime = time;
      for (let k = 0; k < FIELDS.length; k++) {
        const code = cols[base + 2 + k] as number;
        if (code !== 0) f[FIELDS[k] as (typeof FIELDS)[number]] = dict[code] as string;
        if (k === ERROR_CODE) f.attempt = code !== 0;
      }
      f.origin = lines ? { file, line: ordinal + unit.lineBase } : { file, index: ordinal };
      out.push(f);
    }
  }
}

const ERROR_CODE = FIELDS.indexOf("errorCode");
