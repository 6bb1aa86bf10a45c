// Seeded randomness for the generator. sfc32 (a small, fast, well-tested 32-bit generator) seeded through
// splitmix32, so any (seed, stream name) pair gives an independent, reproducible stream: the background, each
// scenario and each delivery file name draw from their own stream, and adding one never shifts another.

/** 32-bit FNV-1a of a string: turns stream names into seeds. */
export function hash32(text: string, h = 0x811c9dc5): number {
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function splitmix32(state: number): () => number {
  let s = state >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
    z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
    return (z ^ (z >>> 15)) >>> 0;
  };
}

const HEX = "0123456789abcdef";
const UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
/** Two hex digits of each byte value; four of each 16-bit value (upper case too, for S3 request IDs). */
const BYTE_HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));
const WORD_HEX: string[] = Array.from({ length: 65536 }, (_, i) => i.toString(16).padStart(4, "0"));
const WORD_HEX_UPPER: string[] = WORD_HEX.map((h) => h.toUpperCase());
const HEX_CODES = Uint8Array.from("0123456789abcdef", (c) => c.charCodeAt(0));
const HEX_CODES_UPPER = Uint8Array.from("0123456789ABCDEF", (c) => c.charCodeAt(0));

/** Four hex digits of the 16-bit `v` into `out` at `at`. */
function putWord(out: Uint8Array, at: number, v: number, digits: Uint8Array): void {
  out[at] = digits[(v >>> 12) & 15] as number;
  out[at + 1] = digits[(v >>> 8) & 15] as number;
  out[at + 2] = digits[(v >>> 4) & 15] as number;
  out[at + 3] = digits[v & 15] as number;
}

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number, stream = "") {
    const mix = splitmix32(hash32(stream, seed >>> 0 || 0x811c9dc5) ^ Math.imul(seed >>> 0, 0x9e3779b1));
    this.a = mix();
    this.b = mix();
    this.c = mix();
    this.d = mix();
    for (let i = 0; i < 12; i++) this.u32();
  }

  /** An independent stream derived from this generator's seed material and a name. */
  fork(name: string): Rng {
    return new Rng(this.u32(), name);
  }

  u32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.u32() / 4294967296;
  }

  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Uniform integer in [lo, hi]. */
  between(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)] as T;
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  hex(n: number): string {
    let s = "";
    while (s.length < n) {
      const x = this.u32();
      s += BYTE_HEX[x & 255]! + BYTE_HEX[(x >>> 8) & 255]! + BYTE_HEX[(x >>> 16) & 255]! + BYTE_HEX[x >>> 24]!;
    }
    return s.length === n ? s : s.slice(0, n);
  }

  /** Base32-looking upper-case characters, as in access key IDs. */
  upper(n: number): string {
    let s = "";
    for (let i = 0; i < n; i++) s += UPPER[this.u32() & 31];
    return s;
  }

  alnum(n: number): string {
    let s = "";
    for (let i = 0; i < n; i++) s += ALNUM[this.u32() % 36];
    return s;
  }

  digits(n: number): string {
    let s = "";
    for (let i = 0; i < n; i++) s += HEX[this.u32() % 10];
    return s;
  }

  /** A version-4 UUID. */
  uuid(): string {
    const a = this.u32();
    const b = this.u32();
    const c = this.u32();
    const d = this.u32();
    return `${WORD_HEX[a >>> 16]}${WORD_HEX[a & 0xffff]}-${WORD_HEX[b >>> 16]}-${WORD_HEX[0x4000 | (b & 0xfff)]}-${WORD_HEX[0x8000 | (c & 0x3fff)]}-${WORD_HEX[c >>> 16]}${WORD_HEX[d >>> 16]}${WORD_HEX[d & 0xffff]}`;
  }

  /** The same characters as uuid(), written as ASCII bytes into `out` at `at` (no string is made). */
  uuidInto(out: Uint8Array, at: number): void {
    const a = this.u32();
    const b = this.u32();
    const c = this.u32();
    const d = this.u32();
    putWord(out, at, a >>> 16, HEX_CODES);
    putWord(out, at + 4, a & 0xffff, HEX_CODES);
    out[at + 8] = 45;
    putWord(out, at + 9, b >>> 16, HEX_CODES);
    out[at + 13] = 45;
    putWord(out, at + 14, 0x4000 | (b & 0xfff), HEX_CODES);
    out[at + 18] = 45;
    putWord(out, at + 19, 0x8000 | (c & 0x3fff), HEX_CODES);
    out[at + 23] = 45;
    putWord(out, at + 24, c >>> 16, HEX_CODES);
    putWord(out, at + 28, d >>> 16, HEX_CODES);
    putWord(out, at + 32, d & 0xffff, HEX_CODES);
  }

  /** The same characters as hex16Upper(), written as ASCII bytes into `out` at `at`. */
  hex16UpperInto(out: Uint8Array, at: number): void {
    const a = this.u32();
    const b = this.u32();
    putWord(out, at, a >>> 16, HEX_CODES_UPPER);
    putWord(out, at + 4, a & 0xffff, HEX_CODES_UPPER);
    putWord(out, at + 8, b >>> 16, HEX_CODES_UPPER);
    putWord(out, at + 12, b & 0xffff, HEX_CODES_UPPER);
  }

  /** 16 upper-case hex digits (S3 request IDs). */
  hex16Upper(): string {
    const a = this.u32();
    const b = this.u32();
    return `${WORD_HEX_UPPER[a >>> 16]}${WORD_HEX_UPPER[a & 0xffff]}${WORD_HEX_UPPER[b >>> 16]}${WORD_HEX_UPPER[b & 0xffff]}`;
  }

  /** An exponentially distributed gap with the given mean. */
  exp(mean: number): number {
    return -Math.log(1 - this.next()) * mean;
  }
}

/** A picker over weighted items (cumulative table, binary search). */
export class Weighted<T> {
  readonly items: T[];
  private readonly cum: Float64Array;
  readonly total: number;

  constructor(entries: ReadonlyArray<readonly [T, number]>) {
    this.items = entries.map((e) => e[0]);
    this.cum = new Float64Array(entries.length);
    let t = 0;
    entries.forEach((e, i) => {
      t += e[1];
      this.cum[i] = t;
    });
    this.total = t;
  }

  pick(rng: Rng): T {
    return this.items[this.pickIndex(rng)] as T;
  }

  /** The index (in `items`) of a weighted draw. */
  pickIndex(rng: Rng): number {
    const x = rng.next() * this.total;
    let lo = 0;
    let hi = this.cum.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.cum[mid] as number) > x) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}
