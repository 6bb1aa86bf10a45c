// Threat-actor infrastructure indicators (IP, CIDR, ASN, user-agent pattern, access key ID, account ID) with
// their validity periods, and IndicatorMatcher: a lookup built once from many actors' indicators that tells
// which of them an event's source IP, user agent, access key or account matches. Pure (no store, no I/O), so
// the scan engine takes indicators as an option and the store validates them with the same schema.
import { isIPv4, isIPv6 } from "node:net";
import { RE2JS } from "re2js";
import { z } from "zod";

export const INDICATOR_TYPES = ["ip", "cidr", "asn", "user-agent", "access-key", "account"] as const;
export const IndicatorType = z.enum(INDICATOR_TYPES);
export type IndicatorType = z.infer<typeof IndicatorType>;

/** An IP address as a number (IPv4) or bigint (IPv6); IPv4-mapped IPv6 (::ffff:a.b.c.d) counts as IPv4. */
export type IpValue = { v: 4; n: number } | { v: 6; n: bigint };

export function parseIp(text: string): IpValue | undefined {
  const s = text.trim();
  if (isIPv4(s)) return { v: 4, n: ipv4Number(s) };
  if (!isIPv6(s)) return undefined;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(s);
  if (mapped?.[1] && isIPv4(mapped[1])) return { v: 4, n: ipv4Number(mapped[1]) };
  return { v: 6, n: ipv6Number(s) };
}

function ipv4Number(s: string): number {
  let n = 0;
  for (const part of s.split(".")) n = n * 256 + Number(part);
  return n;
}

/** `s` is a valid IPv6 address (node:net checked it). */
function ipv6Number(s: string): bigint {
  let text = s.replace(/%.*$/, "");
  // an embedded IPv4 tail becomes two hextets
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4?.[1]) {
    const n = ipv4Number(v4[1]);
    text = `${text.slice(0, -v4[1].length)}${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
  }
  const [head = "", tail] = text.split("::");
  const h = head ? head.split(":") : [];
  const t = tail ? tail.split(":") : [];
  const parts = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill("0"), ...t];
  let n = 0n;
  for (const p of parts) n = (n << 16n) | BigInt(Number.parseInt(p || "0", 16));
  return n;
}

function formatIp(ip: IpValue): string {
  if (ip.v === 4) return [24, 16, 8, 0].map((b) => Math.floor(ip.n / 2 ** b) % 256).join(".");
  const parts: string[] = [];
  for (let i = 7; i >= 0; i--) parts.push(((ip.n >> BigInt(i * 16)) & 0xffffn).toString(16));
  // compress the longest run of zero groups
  const joined = parts.join(":");
  const runs = [...joined.matchAll(/(?:^|:)0(?::0)+(?::|$)/g)].sort((a, b) => b[0].length - a[0].length);
  const best = runs[0];
  if (!best || best.index === undefined) return joined;
  return `${joined.slice(0, best.index)}::${joined.slice(best.index + best[0].length)}`;
}

export interface IpRange {
  v: 4 | 6;
  start: bigint;
  end: bigint;
}

/** Parses `10.0.0.0/8`, `2001:db8::/32` or a single address (a /32 or /128); the network address is kept. */
export function parseCidr(text: string): { range: IpRange; canonical: string } | undefined {
  const [addr = "", bits, extra] = text.trim().split("/");
  if (extra !== undefined) return undefined;
  const ip = parseIp(addr);
  if (!ip) return undefined;
  const width = ip.v === 4 ? 32 : 128;
  if (bits !== undefined && !/^\d{1,3}$/.test(bits)) return undefined;
  const prefix = bits === undefined ? width : Number(bits);
  if (prefix > width) return undefined;
  const n = BigInt(ip.n);
  const hostBits = BigInt(width - prefix);
  const start = (n >> hostBits) << hostBits;
  const end = start + (1n << hostBits) - 1n;
  const base: IpValue = ip.v === 4 ? { v: 4, n: Number(start) } : { v: 6, n: start };
  return { range: { v: ip.v, start, end }, canonical: `${formatIp(base)}/${prefix}` };
}

/** `AS13335`, `as13335` or `13335` → `AS13335` (32-bit AS numbers). */
export function parseAsn(text: string): string | undefined {
  const m = /^(?:AS)?(\d{1,10})$/i.exec(text.trim());
  if (!m?.[1]) return undefined;
  const n = Number(m[1]);
  return n <= 4_294_967_295 ? `AS${n}` : undefined;
}

/** User-agent patterns are RE2 regular expressions, unanchored and case-insensitive (linear-time matching). */
export function compileUserAgentPattern(pattern: string): RE2JS {
  return RE2JS.compile(RE2JS.translateRegExp(pattern), RE2JS.CASE_INSENSITIVE);
}

const ACCESS_KEY_RE = /^(AKIA|ASIA|AROA|AIDA|ABIA|ACCA)[A-Z0-9]{12,124}$/;

/** The canonical value of an indicator, or a message saying what was expected. */
export function checkIndicatorValue(type: IndicatorType, raw: string): { value: string } | { message: string } {
  const v = raw.trim();
  switch (type) {
    case "ip": {
      const ip = parseIp(v);
      return ip ? { value: formatIp(ip) } : { message: `not a valid IP address: "${raw}" (expected IPv4 or IPv6)` };
    }
    case "cidr": {
      const c = parseCidr(v);
      return c
        ? { value: c.canonical }
        : { message: `not a valid CIDR: "${raw}" (expected a network like 203.0.113.0/24 or 2001:db8::/32)` };
    }
    case "asn": {
      const a = parseAsn(v);
      return a
        ? { value: a }
        : { message: `not a valid ASN: "${raw}" (expected AS followed by a number, like AS64500)` };
    }
    case "user-agent": {
      if (v === "") return { message: "empty user-agent pattern" };
      try {
        compileUserAgentPattern(v);
        return { value: v };
      } catch (e) {
        return { message: `not a valid user-agent pattern (RE2 regular expression): ${(e as Error).message}` };
      }
    }
    case "access-key":
      return ACCESS_KEY_RE.test(v)
        ? { value: v }
        : { message: `not a valid access key ID: "${raw}" (expected AKIA/ASIA followed by 16 letters or digits)` };
    case "account":
      return /^\d{12}$/.test(v)
        ? { value: v }
        : { message: `not a valid AWS account ID: "${raw}" (expected 12 digits)` };
  }
}

const IndicatorTime = z.string().refine((s) => !Number.isNaN(Date.parse(s)), "expected a date or time like 2026-03-04");

export const Indicator = z
  .strictObject({
    type: IndicatorType,
    value: z.string(),
    /** Validity period: the indicator belongs to the actor from this time (inclusive)... */
    validFrom: IndicatorTime.optional(),
    /** ...until this time (inclusive). Infrastructure changes hands: outside the period it does not match. */
    validUntil: IndicatorTime.optional(),
    note: z.string().max(500).optional(),
  })
  .transform((ind, ctx) => {
    const r = checkIndicatorValue(ind.type, ind.value);
    if ("message" in r) {
      ctx.addIssue({ code: "custom", path: ["value"], message: r.message });
      return z.NEVER;
    }
    if (ind.validFrom && ind.validUntil && Date.parse(ind.validUntil) < Date.parse(ind.validFrom))
      ctx.addIssue({
        code: "custom",
        path: ["validUntil"],
        message: `validUntil (${ind.validUntil}) is before validFrom (${ind.validFrom})`,
      });
    return { ...ind, value: r.value };
  });
export type Indicator = z.infer<typeof Indicator>;
export type IndicatorInput = z.input<typeof Indicator>;

/**
 * Parses the command-line form `TYPE:VALUE[@FROM..UNTIL]` (`ip:198.51.100.7`, `cidr:203.0.113.0/24@2026-01-01..`,
 * `user-agent:^python-requests/`). The validity suffix is split at the last `@` followed by `..`.
 */
export function parseIndicatorSpec(spec: string): IndicatorInput {
  const colon = spec.indexOf(":");
  const type = colon > 0 ? spec.slice(0, colon).trim().toLowerCase() : "";
  let value = colon > 0 ? spec.slice(colon + 1) : spec;
  const out: IndicatorInput = { type: type as IndicatorType, value };
  const period = /@([^@]*)\.\.([^@]*)$/.exec(value);
  if (period) {
    value = value.slice(0, period.index);
    if (period[1]) out.validFrom = period[1];
    if (period[2]) out.validUntil = period[2];
  }
  out.value = value;
  return out;
}

/** The indicators of one actor, as the scan engine takes them. */
export const ActorIndicators = z.strictObject({
  id: z.string().min(1),
  name: z.string().min(1),
  indicators: z.array(Indicator),
});
export type ActorIndicators = z.infer<typeof ActorIndicators>;

/** One indicator that matched, and whose it is. */
export interface IndicatorHit {
  id: string;
  name: string;
  indicator: { type: IndicatorType; value: string };
}

/** The fields of an event or finding an indicator can match. */
export interface IndicatorSubject {
  sourceIPAddress?: string | undefined;
  userAgent?: string | undefined;
  accessKeyId?: string | undefined;
  accountId?: string | undefined;
  eventTime?: string | undefined;
}

interface Entry {
  hit: IndicatorHit;
  from: number;
  until: number;
}

interface Segment {
  start: bigint;
  end: bigint;
  entries: Entry[];
}

const day = (s: string | undefined, end: boolean): number => {
  if (!s) return end ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
  const t = Date.parse(s);
  // a date alone covers its whole day
  return end && /^\d{4}-\d{2}-\d{2}$/.test(s.trim()) ? t + 86_399_999 : t;
};

/**
 * Answers "which actor indicators does this finding match" in a few map lookups: access keys and account IDs
 * in Maps, IP addresses and CIDRs as sorted disjoint ranges (binary search), user-agent patterns compiled
 * once. ASN indicators are kept with the actor but cannot match here: CloudTrail records carry no AS number.
 */
export class IndicatorMatcher {
  private readonly keys = new Map<string, Entry[]>();
  private readonly accounts = new Map<string, Entry[]>();
  private readonly ranges: Record<4 | 6, Segment[]> = { 4: [], 6: [] };
  private readonly agents: Array<{ re: RE2JS; entry: Entry }> = [];
  readonly size: number;

  constructor(actors: readonly ActorIndicators[]) {
    let size = 0;
    const raw: Record<4 | 6, Array<{ start: bigint; end: bigint; entry: Entry }>> = { 4: [], 6: [] };
    for (const a of actors)
      for (const ind of a.indicators) {
        const entry: Entry = {
          hit: { id: a.id, name: a.name, indicator: { type: ind.type, value: ind.value } },
          from: day(ind.validFrom, false),
          until: day(ind.validUntil, true),
        };
        if (ind.type === "access-key") push(this.keys, ind.value, entry);
        else if (ind.type === "account") push(this.accounts, ind.value, entry);
        else if (ind.type === "user-agent") this.agents.push({ re: compileUserAgentPattern(ind.value), entry });
        else if (ind.type === "ip" || ind.type === "cidr") {
          const c = parseCidr(ind.value);
          if (!c) continue;
          raw[c.range.v].push({ start: c.range.start, end: c.range.end, entry });
        } else continue;
        size++;
      }
    this.ranges[4] = segments(raw[4]);
    this.ranges[6] = segments(raw[6]);
    this.size = size;
  }

  /** Every indicator the subject matches (each actor/indicator once), in actor then indicator order. */
  match(s: IndicatorSubject): IndicatorHit[] {
    if (this.size === 0) return [];
    const t = s.eventTime ? Date.parse(s.eventTime) : Number.NaN;
    const out: IndicatorHit[] = [];
    const take = (entries: readonly Entry[] | undefined) => {
      if (!entries) return;
      // an event without a time matches whatever the validity period
      for (const e of entries) if (Number.isNaN(t) || (t >= e.from && t <= e.until)) out.push(e.hit);
    };
    if (s.accessKeyId) take(this.keys.get(s.accessKeyId));
    if (s.accountId) take(this.accounts.get(s.accountId));
    if (s.sourceIPAddress) {
      const ip = parseIp(s.sourceIPAddress);
      if (ip) take(findSegment(this.ranges[ip.v], BigInt(ip.n))?.entries);
    }
    if (s.userAgent && this.agents.length > 0)
      for (const a of this.agents) if (a.re.matcher(s.userAgent).find()) take([a.entry]);
    return out;
  }
}

function push(map: Map<string, Entry[]>, key: string, e: Entry): void {
  const list = map.get(key);
  if (list) list.push(e);
  else map.set(key, [e]);
}

/** Overlapping ranges cut into disjoint sorted segments, each with every indicator covering it. */
function segments(items: ReadonlyArray<{ start: bigint; end: bigint; entry: Entry }>): Segment[] {
  if (items.length === 0) return [];
  const cuts = new Set<bigint>();
  for (const r of items) {
    cuts.add(r.start);
    cuts.add(r.end + 1n);
  }
  const points = [...cuts].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const out: Segment[] = [];
  for (let i = 0; i + 1 < points.length; i++) {
    const start = points[i] as bigint;
    const end = (points[i + 1] as bigint) - 1n;
    const entries = items.filter((r) => r.start <= start && r.end >= end).map((r) => r.entry);
    if (entries.length > 0) out.push({ start, end, entries });
  }
  return out;
}

function findSegment(segs: readonly Segment[], n: bigint): Segment | undefined {
  let lo = 0;
  let hi = segs.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const s = segs[mid] as Segment;
    if (n < s.start) hi = mid - 1;
    else if (n > s.end) lo = mid + 1;
    else return s;
  }
  return undefined;
}
