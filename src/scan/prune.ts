// Pruning by the CloudTrail delivery layout and filtering by event time, account and region.
//
// CloudTrail delivers to `AWSLogs/<account>/CloudTrail/<region>/<yyyy>/<mm>/<dd>/<file>` (organisation trails:
// `AWSLogs/<org-id>/<account>/CloudTrail/...`), the file name ending `_<yyyymmdd>T<hhmm>Z_<unique>.json.gz` with
// the time the file was written. A scan window (--from/--to/--accounts/--regions) decides from those names alone
// which folders and files can hold events of interest, so the rest is never listed or opened, on a local tree and
// in S3 alike. Files outside the layout are read, and every event is checked against the window before rules run.
import { z } from "zod";
import { TechtrailError } from "../core/errors.js";

const DAY_MS = 86_400_000;
/**
 * How long after an event CloudTrail may write the file holding it (typically ~5 minutes; an hour of margin).
 * Day folders and file names carry the delivery time, so a window ending at T keeps files written up to T + lag.
 */
export const DEFAULT_DELIVERY_LAG_MS = 3_600_000;

export const ACCOUNT_RE = /^\d{12}$/;
const ORG_RE = /^o-[a-z0-9]{10,32}$/;
const REGION_RE = /^[a-z]{2}(-[a-z]+)+-\d+$/;

/** The scan window as plain data (sent to worker threads): times in ms since the epoch, half-open [fromMs, toMs). */
export const ScanWindow = z.strictObject({
  fromMs: z.number().optional(),
  toMs: z.number().optional(),
  accounts: z.array(z.string().regex(ACCOUNT_RE, "expected a 12-digit account ID")).optional(),
  regions: z.array(z.string().regex(REGION_RE, "expected an AWS region such as us-east-1")).optional(),
  /** Delivery lag allowed past `toMs` when pruning by folder and file names (events are still cut at `toMs`). */
  lagMs: z.number().int().min(0).default(DEFAULT_DELIVERY_LAG_MS),
});
export type ScanWindow = z.output<typeof ScanWindow>;
export type ScanWindowInput = z.input<typeof ScanWindow>;

/** True when the window restricts anything. */
export function windowActive(w: ScanWindow | undefined): w is ScanWindow {
  return (
    w !== undefined &&
    (w.fromMs !== undefined || w.toMs !== undefined || w.accounts !== undefined || w.regions !== undefined)
  );
}

const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;

/**
 * `--from`/`--to` text to ms. A date alone means the start of that UTC day for `from`, and the end of it for
 * `to` (so `--from 2026-03-01 --to 2026-03-01` is that whole day); otherwise an ISO 8601 time with a zone.
 */
export function parseWindowTime(flag: "--from" | "--to", text: string): number {
  const t = text.trim();
  if (DATE_RE.test(t)) {
    const ms = Date.parse(`${t}T00:00:00Z`);
    if (Number.isFinite(ms) && new Date(ms).toISOString().startsWith(t)) return flag === "--to" ? ms + DAY_MS : ms;
  } else if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(t)) {
    const ms = Date.parse(t);
    if (Number.isFinite(ms)) return ms;
  }
  throw new TechtrailError(
    "VALIDATION",
    `${flag}: '${text}' is not a date or time (expected YYYY-MM-DD or an ISO 8601 time with a zone, e.g. 2026-03-01T12:00:00Z)`,
  );
}

/** `--accounts 111122223333,444455556666` (repeatable) → validated list. */
export function parseListOption(flag: "--accounts" | "--regions", values: readonly string[]): string[] {
  const items = values.flatMap((v) => v.split(",")).map((s) => s.trim());
  const re = flag === "--accounts" ? ACCOUNT_RE : REGION_RE;
  const bad = items.filter((s) => !re.test(s));
  if (items.length === 0 || bad.length > 0)
    throw new TechtrailError(
      "VALIDATION",
      `${flag}: '${bad[0] ?? ""}' is not ${flag === "--accounts" ? "a 12-digit account ID" : "an AWS region such as us-east-1"}`,
    );
  return [...new Set(items)];
}

/** Builds and checks a window (from the CLI or the library): from must come before to. */
export function makeWindow(input: ScanWindowInput): ScanWindow {
  const parsed = ScanWindow.safeParse(input);
  if (!parsed.success)
    throw new TechtrailError("VALIDATION", "invalid scan window", {
      problems: parsed.error.issues.map((i) => ({ field: i.path.join("."), message: i.message })),
    });
  const w = parsed.data;
  if (w.fromMs !== undefined && w.toMs !== undefined && w.fromMs >= w.toMs)
    throw new TechtrailError(
      "VALIDATION",
      `--from (${new Date(w.fromMs).toISOString()}) must be before --to (${new Date(w.toMs).toISOString()})`,
    );
  return w;
}

/** Where a path sits in the delivery layout: the parts found so far (a folder may stop early). */
export interface LayoutPosition {
  account?: string;
  region?: string;
  year?: number;
  month?: number;
  day?: number;
  /** The time in the file name (`_20260102T0305Z_`), ms. */
  fileTime?: number;
  /** True when the path is below `AWSLogs/…/CloudTrail*` (else nothing can be pruned by name). */
  inLayout: boolean;
  /** True once the path has reached the day folder (what lies below is files). */
  atDay: boolean;
}

const FILE_TIME_RE = /_(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})Z[_.]/;

/** The time in a CloudTrail delivery file name, else undefined. */
export function fileNameTime(name: string): number | undefined {
  const m = FILE_TIME_RE.exec(name);
  if (!m) return undefined;
  return Date.UTC(+(m[1] as string), +(m[2] as string) - 1, +(m[3] as string), +(m[4] as string), +(m[5] as string));
}

/**
 * Reads the layout from path segments (a local path split on `/` or `\`, or an S3 key split on `/`); `isFile`
 * says whether the last segment is a file name. The last `AWSLogs` segment anchors the layout.
 */
export function layoutOf(segments: readonly string[], isFile: boolean): LayoutPosition {
  const pos: LayoutPosition = { inLayout: false, atDay: false };
  const anchor = segments.lastIndexOf("AWSLogs");
  if (anchor < 0) return pos;
  const dirs = isFile ? segments.slice(anchor + 1, -1) : segments.slice(anchor + 1);
  let i = 0;
  if (dirs[i] !== undefined && ORG_RE.test(dirs[i] as string)) i++;
  const account = dirs[i];
  if (account === undefined) return { ...pos, inLayout: true };
  if (!ACCOUNT_RE.test(account)) return pos;
  pos.account = account;
  pos.inLayout = true;
  const service = dirs[i + 1];
  if (service === undefined) return pos;
  if (!/^CloudTrail(-[A-Za-z]+)?$/.test(service)) {
    pos.inLayout = false;
    return pos;
  }
  const parts = dirs.slice(i + 2);
  const [region, yyyy, mm, dd] = parts;
  const num = (s: string | undefined, len: number, max: number) =>
    s !== undefined && s.length === len && /^\d+$/.test(s) && +s >= 1 && +s <= max ? +s : undefined;
  if (region !== undefined) pos.region = region;
  const year = num(yyyy, 4, 9999);
  const month = num(mm, 2, 12);
  const day = num(dd, 2, 31);
  if (yyyy !== undefined && year === undefined) return { ...pos, inLayout: false };
  if (year !== undefined) pos.year = year;
  if (mm !== undefined && month === undefined) return { ...pos, inLayout: false };
  if (month !== undefined) pos.month = month;
  if (dd !== undefined && day === undefined) return { ...pos, inLayout: false };
  if (day !== undefined) {
    pos.day = day;
    pos.atDay = true;
  }
  if (parts.length > 4) return { ...pos, inLayout: false }; // deeper than the layout: not pruned by name
  if (isFile) {
    const t = fileNameTime(segments[segments.length - 1] as string);
    if (t !== undefined) pos.fileTime = t;
  }
  return pos;
}

/** Decides from names alone whether a folder or file can hold events inside the window. */
export class LayoutPruner {
  private readonly accounts: Set<string> | undefined;
  private readonly regions: Set<string> | undefined;
  private readonly from: number;
  private readonly to: number;

  constructor(readonly window: ScanWindow) {
    this.accounts = window.accounts ? new Set(window.accounts) : undefined;
    this.regions = window.regions ? new Set(window.regions) : undefined;
    this.from = window.fromMs ?? Number.NEGATIVE_INFINITY;
    // files written up to `lag` after the window's end can hold events inside it
    this.to = (window.toMs ?? Number.POSITIVE_INFINITY) + window.lagMs;
  }

  /** False when nothing below this folder (or in this file) can be inside the window. */
  keep(segments: readonly string[], isFile: boolean): boolean {
    const p = layoutOf(segments, isFile);
    if (!p.inLayout) return true;
    if (p.account !== undefined && this.accounts && !this.accounts.has(p.account)) return false;
    if (p.region !== undefined && this.regions && !this.regions.has(p.region)) return false;
    if (p.year !== undefined) {
      // the span of the year, month or day folder (delivery times)
      const start = Date.UTC(p.year, (p.month ?? 1) - 1, p.day ?? 1);
      const end =
        p.day !== undefined
          ? start + DAY_MS
          : p.month !== undefined
            ? Date.UTC(p.year, p.month, 1)
            : Date.UTC(p.year + 1, 0, 1);
      if (end <= this.from || start >= this.to) return false;
    }
    // a file written before the window starts holds only earlier events (names keep the minute, not seconds)
    if (p.fileTime !== undefined && (p.fileTime + 60_000 <= this.from || p.fileTime >= this.to)) return false;
    return true;
  }
}

/** Checks parsed events against the window (on the worker threads, before any rule runs). */
export class EventWindow {
  private readonly accounts: Set<string> | undefined;
  private readonly regions: Set<string> | undefined;
  private readonly from: number;
  private readonly to: number;
  private readonly timed: boolean;

  constructor(window: ScanWindow) {
    this.accounts = window.accounts ? new Set(window.accounts) : undefined;
    this.regions = window.regions ? new Set(window.regions) : undefined;
    this.from = window.fromMs ?? Number.NEGATIVE_INFINITY;
    this.to = window.toMs ?? Number.POSITIVE_INFINITY;
    this.timed = window.fromMs !== undefined || window.toMs !== undefined;
  }

  /** True when the event is inside the window (an event without a readable eventTime is outside a time window). */
  has(event: Record<string, unknown>): boolean {
    if (this.timed) {
      const t = event.eventTime;
      const ms = typeof t === "string" ? Date.parse(t) : Number.NaN;
      if (!(ms >= this.from && ms < this.to)) return false;
    }
    if (this.accounts) {
      const id = event.recipientAccountId ?? (event.userIdentity as { accountId?: unknown } | undefined)?.accountId;
      if (typeof id !== "string" || !this.accounts.has(id)) return false;
    }
    if (this.regions) {
      const r = event.awsRegion;
      if (typeof r !== "string" || !this.regions.has(r)) return false;
    }
    return true;
  }
}

/** The window as the summary shows it. */
export function describeWindow(w: ScanWindow): {
  from?: string;
  to?: string;
  accounts?: string[];
  regions?: string[];
} {
  return {
    ...(w.fromMs !== undefined ? { from: new Date(w.fromMs).toISOString() } : {}),
    ...(w.toMs !== undefined ? { to: new Date(w.toMs).toISOString() } : {}),
    ...(w.accounts ? { accounts: [...w.accounts] } : {}),
    ...(w.regions ? { regions: [...w.regions] } : {}),
  };
}
