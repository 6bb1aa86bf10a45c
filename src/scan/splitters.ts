// Streaming record splitters: cut raw bytes into one byte range per CloudTrail record without parsing JSON.
// JSON Lines split on newlines; `{"Records":[...]}` documents, JSON arrays and concatenated JSON values are cut
// by a small structural scanner (string/escape/depth tracking over latin1 windows, strings skipped with
// String#indexOf).
// Memory is bounded: a record longer than maxRecordBytes is reported and its bytes are dropped as they arrive.

import { latin1Slice } from "./slices.js";

/** Receives each record as a byte range of a buffer; ranges of one buffer arrive in increasing order. */
export interface RecordSink {
  record(buf: Buffer, start: number, end: number, ordinal: number): void;
  tooLarge(ordinal: number, bytes: number): void;
}

export interface Splitter {
  /** Feeds the next chunk of the stream. */
  push(chunk: Buffer): void;
  /** End of input; returns a message when the input ended inside a record or document. */
  end(): string | undefined;
  /** True once no more records can come (array closed, range finished): the reader may stop. */
  readonly done: boolean;
  /** Number of records (lines or elements) started so far. */
  readonly count: number;
}

/** Bytes decoded per step of the value scanner (latin1 strings this size live in the young generation). */
const SCAN_WINDOW = 64 * 1024;

const NL = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * JSON Lines. Ordinals are 1-based line numbers (relative to the first line of the range for chunked files).
 * `rest()` / `pushAssembled()` let a file reader read straight after the pending partial line (no big copy).
 */
export class JsonlSplitter implements Splitter {
  private pending: Buffer | null = null;
  /** Length of the pending bytes handed out by rest(), which start the next assembled buffer. */
  private restLen = 0;
  private discarding = false;
  private skipping: boolean;
  /** Absolute offset of the next byte not yet seen. */
  private nextAbs: number;
  private readonly stopAt: number;
  count = 0;
  done = false;

  /**
   * @param startOffset absolute offset of the first byte pushed
   * @param skipFirst drop everything up to the first newline (a ranged read starting mid-file reads from start-1)
   * @param stopAt lines starting at or after this absolute offset belong to the next range
   */
  constructor(
    private readonly sink: RecordSink,
    private readonly maxRecordBytes: number,
    opts: { startOffset?: number; skipFirst?: boolean; stopAt?: number } = {},
  ) {
    this.nextAbs = opts.startOffset ?? 0;
    this.skipping = opts.skipFirst ?? false;
    this.stopAt = opts.stopAt ?? Number.POSITIVE_INFINITY;
  }

  /** Takes the pending partial line; the next pushAssembled() buffer must start with it. */
  rest(): Buffer {
    const p = this.pending ?? EMPTY;
    this.pending = null;
    this.restLen = p.length;
    return p;
  }

  /**
   * Feeds a chunk without copying it: only a line cut by the chunk boundary is joined in a small buffer.
   * The chunk may be reused by the caller afterwards (the pending partial line is copied).
   */
  push(chunk: Buffer): void {
    const pend = this.pending;
    this.pending = null;
    if (pend === null || pend.length === 0 || this.done) {
      this.restLen = 0;
      this.pushAssembled(chunk);
    } else {
      const nl = chunk.indexOf(NL);
      this.restLen = pend.length;
      if (nl < 0) this.pushAssembled(Buffer.concat([pend, chunk]));
      else {
        // the cut line ends in this chunk: finish it, then read the rest of the chunk in place
        this.pushAssembled(Buffer.concat([pend, chunk.subarray(0, nl + 1)]));
        this.restLen = 0;
        if (nl + 1 < chunk.length) this.pushAssembled(chunk.subarray(nl + 1));
      }
    }
    if (this.pending !== null) this.pending = Buffer.from(this.pending);
  }

  /** `buf` starts with the bytes returned by rest(). */
  pushAssembled(buf: Buffer): void {
    const base = this.nextAbs - this.restLen;
    this.restLen = 0;
    this.nextAbs = base + buf.length;
    if (this.done) return;
    const len = buf.length;
    let p = 0;
    if (this.skipping || this.discarding) {
      const nl = buf.indexOf(NL);
      if (nl < 0) return;
      this.skipping = false;
      this.discarding = false;
      p = nl + 1;
    }
    for (;;) {
      if (base + p >= this.stopAt) {
        this.done = true;
        return;
      }
      const nl = buf.indexOf(NL, p);
      if (nl < 0) break;
      this.count++;
      let e = nl;
      if (e > p && buf[e - 1] === CR) e--;
      if (e > p) {
        if (e - p > this.maxRecordBytes) this.sink.tooLarge(this.count, e - p);
        else this.sink.record(buf, p, e, this.count);
      }
      p = nl + 1;
    }
    const remaining = len - p;
    if (remaining > this.maxRecordBytes) {
      // A line longer than the limit: report it now and drop its bytes up to the next newline.
      this.count++;
      this.sink.tooLarge(this.count, remaining);
      this.discarding = true;
    } else if (remaining > 0) {
      this.pending = buf.subarray(p);
    }
  }

  end(): string | undefined {
    if (this.done || this.discarding) return undefined;
    const p = this.pending;
    this.pending = null;
    if (p && p.length > 0) {
      this.count++;
      let e = p.length;
      if (p[e - 1] === CR) e--;
      if (e > 0) this.sink.record(p, 0, e, this.count);
    }
    return undefined;
  }
}

const EMPTY = Buffer.alloc(0);

export type ValueMode = "records" | "array" | "values";

/**
 * Cuts JSON values out of a stream. `records`: the elements of the array after the first `"Records"` key;
 * `array`: the elements of a top-level array; `values`: each top-level value of a stream of JSON values.
 * Ordinals are 0-based element indexes. Non-object elements are passed on too (the engine reports them).
 */
export class ValueSplitter implements Splitter {
  private buf: Buffer = EMPTY;
  /** Where scanning resumes in buf. */
  private pos = 0;
  /** Start of the current element in buf (-1 when between elements). */
  private start = -1;
  private depth = 0;
  private inString = false;
  /** Byte-wise escape state, only used while discarding an oversized element. */
  private escaped = false;
  private discarding = false;
  private discardedBytes = 0;
  /** Before the array opens (records/array modes). */
  private preamble: boolean;
  count = 0;
  done = false;

  constructor(
    private readonly sink: RecordSink,
    private readonly maxRecordBytes: number,
    private readonly mode: ValueMode,
  ) {
    this.preamble = mode !== "values";
  }

  push(chunk: Buffer): void {
    if (this.done) return;
    if (this.discarding) {
      this.scanDiscarding(chunk, 0);
      return;
    }
    const keepFrom = this.start >= 0 ? this.start : this.pos;
    const kept = this.buf.length - keepFrom;
    if (kept > 0) {
      this.buf = Buffer.concat([this.buf.subarray(keepFrom), chunk]);
    } else {
      this.buf = chunk;
    }
    this.pos -= keepFrom;
    if (this.start >= 0) this.start -= keepFrom;
    this.scan();
    // keep a copy of the unfinished element: the caller may reuse the chunk's memory
    if (!this.done && !this.discarding) {
      const from = this.start >= 0 ? this.start : this.pos;
      this.buf = Buffer.from(this.buf.subarray(from));
      this.pos -= from;
      if (this.start >= 0) this.start -= from;
    }
  }

  private openArray(): boolean {
    const b = this.buf;
    let i = this.pos;
    if (this.mode === "records") {
      const k = b.indexOf('"Records"', i, "latin1");
      if (k < 0) {
        // keep the last bytes in case the key is cut by the chunk boundary
        this.pos = Math.max(i, b.length - 16);
        return false;
      }
      i = k + 9;
    }
    const open = b.indexOf(0x5b, i);
    if (open < 0) {
      this.pos = this.mode === "records" ? i - 9 : b.length;
      return false;
    }
    this.pos = open + 1;
    this.preamble = false;
    return true;
  }

  private scan(): void {
    if (this.preamble && !this.openArray()) return;
    const b = this.buf;
    const len = b.length;
    let i = this.pos;
    let depth = this.depth;
    let start = this.start;
    let inString = this.inString;
    // The scan reads latin1 windows of the bytes (one char per byte, so offsets match; every structural
    // character is ASCII and UTF-8 never uses ASCII bytes inside a multi-byte character) and skips strings
    // with String#indexOf, much cheaper per call than Buffer#indexOf. Windows stay small enough for V8's
    // young generation. State lives in locals; emit() and the checks read it back.
    while (i < len) {
      const w0 = i;
      const w1 = Math.min(len, i + SCAN_WINDOW);
      const t = latin1Slice(b, w0, w1);
      while (i < w1) {
        if (inString) {
          const q = t.indexOf('"', i - w0);
          if (q < 0) {
            i = w1;
            break;
          }
          // a quote after an odd run of backslashes is escaped (the run may reach back into earlier bytes)
          const at = q + w0;
          let k = at - 1;
          while (k >= 0 && b[k] === BACKSLASH) k--;
          i = at + 1;
          if ((at - 1 - k) % 2 === 0) inString = false;
          continue;
        }
        const c = t.charCodeAt(i - w0);
        if (c === QUOTE) {
          inString = true;
          if (depth === 0 && start < 0) start = i;
        } else if (c === 0x7b || c === 0x5b) {
          if (depth === 0 && start < 0) start = i;
          depth++;
        } else if (c === 0x7d || c === 0x5d) {
          if (depth === 0) {
            // closing bracket of the enclosing array
            if (start >= 0) this.emit(start, i);
            start = -1;
            if (this.mode !== "values") {
              this.done = true;
              this.depth = depth;
              this.inString = inString;
              this.start = start;
              this.pos = i + 1;
              return;
            }
          } else if (--depth === 0) {
            this.emit(start, i + 1);
            start = -1;
          }
        } else if (c === 0x2c || c <= 0x20) {
          // separator or whitespace between values; ends a primitive element
          if (depth === 0 && start >= 0) {
            this.emit(start, i);
            start = -1;
          }
        } else if (depth === 0 && start < 0) start = i; // start of a primitive (number, true, false, null)
        i++;
      }
    }
    this.depth = depth;
    this.inString = inString;
    this.start = start;
    this.pos = i;
    // an unfinished element already longer than the limit: drop its bytes from here on
    if (start >= 0 && len - start > this.maxRecordBytes) this.startDiscarding(len);
  }

  private emit(s: number, end: number): void {
    this.start = -1;
    if (s < 0 || end <= s) return;
    const ordinal = this.count++;
    // an element that arrived whole in one push is only measured here (the same limit as the streaming check)
    if (end - s > this.maxRecordBytes) this.sink.tooLarge(ordinal, end - s);
    else this.sink.record(this.buf, s, end, ordinal);
  }

  private startDiscarding(i: number): void {
    const b = this.buf;
    this.discarding = true;
    this.discardedBytes = i - this.start;
    this.start = -1;
    // escape state at the cut: an odd run of backslashes before i inside a string escapes the next byte
    this.escaped = false;
    if (this.inString) {
      let k = i - 1;
      while (k >= 0 && b[k] === BACKSLASH) k--;
      this.escaped = (i - 1 - k) % 2 === 1;
    }
    this.buf = EMPTY;
    this.pos = 0;
    this.scanDiscarding(b.subarray(i), 0);
  }

  /** Byte-wise scan of an oversized element, keeping no data; reports it when it closes. */
  private scanDiscarding(b: Buffer, from: number): void {
    let depth = this.depth;
    const len = b.length;
    let i = from;
    while (i < len) {
      const c = b[i] as number;
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (c === BACKSLASH) this.escaped = true;
        else if (c === QUOTE) this.inString = false;
      } else if (c === QUOTE) this.inString = true;
      else if (c === 0x7b || c === 0x5b) depth++;
      else if (c === 0x7d || c === 0x5d) {
        depth--;
        if (depth === 0) {
          i++;
          this.discardedBytes += i - from;
          this.sink.tooLarge(this.count++, this.discardedBytes);
          this.discarding = false;
          this.depth = 0;
          this.buf = EMPTY;
          this.pos = 0;
          this.start = -1;
          if (i < len) this.push(b.subarray(i));
          return;
        }
      } else if (depth === 0 && (c === 0x2c || c <= 0x20)) {
        // end of an oversized primitive
        this.discardedBytes += i - from;
        this.sink.tooLarge(this.count++, this.discardedBytes);
        this.discarding = false;
        this.buf = EMPTY;
        this.pos = 0;
        this.start = -1;
        this.depth = 0;
        this.push(b.subarray(i));
        return;
      }
      i++;
    }
    this.discardedBytes += len - from;
    this.depth = depth;
  }

  end(): string | undefined {
    if (this.done) return undefined;
    if (this.discarding) {
      this.sink.tooLarge(this.count++, this.discardedBytes);
      return "input ended inside an oversized record";
    }
    if (this.mode === "values") {
      if (this.start >= 0) {
        if (this.depth === 0 && !this.inString) {
          this.emit(this.start, this.buf.length);
          return undefined;
        }
        return `input ended inside record ${this.count}`;
      }
      return undefined;
    }
    if (this.preamble) return this.mode === "records" ? "no Records array found" : "no JSON array found";
    return `input ended before the array was closed (after ${this.count} records)`;
  }
}
