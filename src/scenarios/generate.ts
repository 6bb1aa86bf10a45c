// The scenario generator's public surface: options, the sink that receives the CloudTrail records, and the
// functions that play scenario packs inside seeded background activity. Output is a pure function of the
// options: the same options give byte-identical records, file names and answer key.
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { type Catalog, loadBuiltinCatalog } from "../catalog/index.js";
import { TechtrailError, zodProblems } from "../core/errors.js";
import { writeFileAtomic } from "../core/fs.js";
import { ANSWER_KEY_FILE, type AnswerKey, OutputFormat } from "./answer-key.js";
import { type AccountModel, type Actor, hourFactor, makeAccounts, makeActors, type Op, REGIONS } from "./background.js";
import { loadScenarioPacks, selectScenarioPacks } from "./pack.js";
import { playScenario, type ScenarioEvent } from "./play.js";
import { Rng, Weighted } from "./random.js";
import { JsonLinesSink, S3TreeSink, TeeSink } from "./sinks.js";

/** Default first moment of a corpus (fixed, so that output does not depend on the clock). */
export const DEFAULT_START = "2026-11-02T00:00:00Z";

export const GenerateOptions = z.strictObject({
  /** Scenario names (scenarios/<name>.yaml); may be empty for background only. */
  scenarios: z.array(z.string()).default([]),
  seed: z.number().int().nonnegative().default(1),
  accounts: z.number().int().positive().max(1000).default(1),
  days: z.number().int().positive().max(3660).default(1),
  /** Background (benign) events per day over all accounts. */
  background: z.number().int().nonnegative().default(10_000),
  format: OutputFormat.default("s3"),
  start: z.iso.datetime({ offset: false }).default(DEFAULT_START),
  /** Folder of scenario packs; default: the shipped scenarios/. */
  scenarioDir: z.string().optional(),
});
export type GenerateOptions = z.input<typeof GenerateOptions>;
export type ResolvedGenerateOptions = z.output<typeof GenerateOptions>;

/**
 * Records (ASCII JSON: other characters are \u-escaped) of one 5-minute delivery period, in time order over all accounts and regions (a busy period comes in
 * several consecutive batches with the same `start`):
 * `records[i]` is one serialized CloudTrail record of account `accounts[accountIndex[i]]` in region
 * `regions[regionIndex[i]]`.
 */
export interface PeriodBatch {
  /** Epoch milliseconds of the period's start (a multiple of 5 minutes). */
  start: number;
  records: string[];
  accountIndex: number[];
  regionIndex: number[];
}

/** Receives the corpus period by period (S3 delivery tree, JSON Lines file, a scanner, a counter...). */
export interface CorpusSink {
  /** Called once before the first batch with the account IDs and regions the indexes refer to. */
  open?(accounts: readonly string[], regions: readonly string[]): void | Promise<void>;
  /** A batch; the generator reuses nothing of it after the call returns (or its promise settles). */
  write(batch: PeriodBatch): void | Promise<void>;
  close?(): void | Promise<void>;
}

export function resolveGenerateOptions(input: GenerateOptions): ResolvedGenerateOptions {
  const r = GenerateOptions.safeParse(input);
  if (!r.success)
    throw new TechtrailError("VALIDATION", "invalid scenario generator options", {
      problems: zodProblems(r.error.issues, "options"),
    });
  return r.data;
}

/** What a generation produced. */
export interface GenerateResult {
  answerKey: AnswerKey;
  /** CloudTrail records written (background and scenarios). */
  events: number;
  /** Of which, records of scenario steps. */
  scenarioEvents: number;
}

const PERIOD = 300_000;
const BATCH = 1024;
const READ_TRUE = '"readOnly":true,';
const READ_FALSE = '"readOnly":false,';

/** From eventType to the end of a record: the same for every call of an operation in an account and region. */
function recordTail(
  host: string,
  region: string,
  account: string,
  data: boolean,
  tls: boolean,
  console: boolean,
): string {
  return `"eventType":"AwsApiCall","managementEvent":${!data},"recipientAccountId":"${account}","eventCategory":"${data ? "Data" : "Management"}"${tls ? `${TLS_PREFIX}${host.replace(".amazonaws.com", "")}.${region}.amazonaws.com"}` : ""}${console ? ',"sessionCredentialFromConsole":"true"}' : "}"}`;
}
const DAY = 86_400_000;
const TLS_PREFIX =
  ',"tlsDetails":{"tlsVersion":"TLSv1.3","cipherSuite":"TLS_AES_128_GCM_SHA256","clientProvidedHostHeader":"';

/** "HH:MM:SSZ" for every second of a day, built once. */
let secondsOfDay: string[] | undefined;
function timeOfDay(): string[] {
  if (!secondsOfDay) {
    secondsOfDay = new Array<string>(86_400);
    for (let s = 0; s < 86_400; s++) {
      const h = Math.floor(s / 3600);
      const m = Math.floor((s % 3600) / 60);
      secondsOfDay[s] = `${h < 10 ? "0" : ""}${h}:${m < 10 ? "0" : ""}${m}:${s % 60 < 10 ? "0" : ""}${s % 60}Z"`;
    }
  }
  return secondsOfDay;
}

/**
 * Plays the named scenario packs inside seeded background activity and streams every record to `sink`, period by
 * period (each period's records in time order); returns the answer key. Unknown scenario names are refused with
 * the list of known ones.
 */
export async function generateScenarios(
  options: GenerateOptions,
  sink: CorpusSink,
  catalog: Catalog = loadBuiltinCatalog(),
): Promise<GenerateResult> {
  const o = resolveGenerateOptions(options);
  const start = Date.parse(o.start);
  if (start % PERIOD !== 0)
    throw new TechtrailError("VALIDATION", `--start must fall on a 5-minute boundary, got ${o.start}`);
  const end = start + o.days * DAY;
  const packs = o.scenarios.length > 0 ? loadScenarioPacks(catalog, o.scenarioDir) : new Map();
  const selected = selectScenarioPacks(packs, o.scenarios);
  const accounts = makeAccounts(o.seed, o.accounts);
  const played = selected.map((pack, index) =>
    playScenario(pack, { seed: o.seed, index, accounts, start, end, catalog }),
  );
  const actors = makeActors(
    o.seed,
    accounts,
    played.flatMap((p) => p.shared),
  );

  const regions: string[] = [...REGIONS];
  const regionIndex = new Map(regions.map((r, i) => [r, i]));
  const attack = played.flatMap((p) => p.events).sort((a, b) => a.t - b.t || a.json.localeCompare(b.json));
  for (const e of attack)
    if (!regionIndex.has(e.region)) {
      regionIndex.set(e.region, regions.length);
      regions.push(e.region);
    }
  for (const a of actors) {
    a.homeRegionIndex = regionIndex.get(a.account.homeRegion) as number;
    a.secondRegionIndex = regionIndex.get(a.account.secondRegion) as number;
    a.uaJson = a.uas.map((u) => JSON.stringify(u));
  }
  await sink.open?.(
    accounts.map((a) => a.id),
    regions,
  );

  // Expected events per period: the day's budget spread by who is active at that hour.
  const tables = new Map<number, { pick: Weighted<Actor>; share: number }>();
  const tableFor = (hour: number, weekend: boolean) => {
    const key = hour + (weekend ? 24 : 0);
    let t = tables.get(key);
    if (!t) {
      const weightAt = (h: number) => actors.reduce((s, a) => s + a.weight * hourFactor(a.hours, h, weekend), 0);
      let day = 0;
      for (let h = 0; h < 24; h++) day += weightAt(h);
      const here = weightAt(hour);
      t = {
        pick: new Weighted(actors.map((a) => [a, a.weight * hourFactor(a.hours, hour, weekend)] as const)),
        share: (here / day) * 24,
      };
      tables.set(key, t);
    }
    return t;
  };

  const rng = new Rng(o.seed, "background");
  const sod = timeOfDay();
  /** `"eventTime":"...Z"` for each second of the current period. */
  const times: string[] = new Array<string>(300);
  const ctx = { rng, acct: accounts[0] as AccountModel, region: "" };
  const perPeriod = o.background / 288;
  let keys = new Float64Array(4096);
  let picked: Actor[] = [];
  let ai = 0;
  let events = 0;
  const SLOT = 1_048_576; // 2^20: period offset (ms) × SLOT + index sorts by time, then by draw order

  for (let p0 = start; p0 < end; p0 += PERIOD) {
    const d = new Date(p0);
    const hour = d.getUTCHours();
    const weekend = d.getUTCDay() === 0 || d.getUTCDay() === 6;
    const datePrefix = `"eventTime":"${d.toISOString().slice(0, 11)}`;
    const daySec = Math.floor((p0 % DAY) / 1000);
    for (let sec = 0; sec < 300; sec++) times[sec] = `${datePrefix}${sod[daySec + sec]}`;
    const table = tableFor(hour, weekend);
    const expected = perPeriod * table.share;
    const n = Math.min(SLOT - 1, Math.floor(expected * (0.9 + 0.2 * rng.next()) + rng.next()));
    if (keys.length < n) keys = new Float64Array(n * 2);
    picked.length = n;
    for (let i = 0; i < n; i++) {
      picked[i] = table.pick.pick(rng);
      keys[i] = rng.int(PERIOD) * SLOT + i;
    }
    const order = keys.subarray(0, n).sort();
    let records: string[] = [];
    let accountIdx: number[] = [];
    let regionIdx: number[] = [];
    const periodEnd = p0 + PERIOD;
    for (let k = 0; k < n; k++) {
      const key = order[k] as number;
      const offset = Math.floor(key / SLOT);
      const t = p0 + offset;
      while (ai < attack.length && (attack[ai] as ScenarioEvent).t <= t) {
        const e = attack[ai++] as ScenarioEvent;
        if (e.t < start || e.t >= end) continue;
        records.push(e.json);
        accountIdx.push(e.accountIndex);
        regionIdx.push(regionIndex.get(e.region) as number);
      }
      const actor = picked[key - offset * SLOT] as Actor;
      const acct = actor.account;
      ctx.acct = acct;
      const op: Op = actor.ops.pick(rng);
      const ri = op.global ? 0 : rng.next() < actor.secondRegion ? actor.secondRegionIndex : actor.homeRegionIndex;
      const region = regions[ri] as string;
      ctx.region = region;
      let ip = actor.ips.length === 1 ? (actor.ips[0] as string) : (actor.ips[rng.int(actor.ips.length)] as string);
      let uaj =
        actor.uaJson.length === 1
          ? (actor.uaJson[0] as string)
          : (actor.uaJson[rng.int(actor.uaJson.length)] as string);
      let identity = actor.identityJson;
      let params: string;
      let response: string;
      let resources = "";
      let error = "";
      let host = op.host;
      let name = op.name;
      let read = op.read;
      let data = op.data;
      if (actor.sessionMs > 0 ? Math.floor((t + actor.phase) / actor.sessionMs) !== actor.session : actor.session < 0) {
        actor.session = actor.sessionMs > 0 ? Math.floor((t + actor.phase) / actor.sessionMs) : 0;
        const opener = actor.opener?.(actor.session, ctx, new Date(t).toISOString());
        actor.identityJson = actor.identity(actor.session);
        if (opener) {
          // the first call of a session is the STS call that created it, by whoever assumed the role
          host = opener.host;
          name = opener.name;
          read = false;
          data = false;
          identity = opener.identity;
          params = opener.params;
          response = opener.response;
          resources = opener.resources;
          if (opener.ip) ip = opener.ip;
          else ip = actor.ips[0] as string;
          uaj = opener.ua ? JSON.stringify(opener.ua) : (actor.uaJson[0] as string);
        } else {
          identity = actor.identityJson;
          params = op.params(ctx);
          response = op.response(ctx);
          if (op.resources) resources = op.resources(ctx);
        }
      } else {
        params = op.params(ctx);
        response = op.response(ctx);
        if (op.resources) resources = op.resources(ctx);
        if (op.fail && rng.next() < op.fail[0]) {
          error = `"errorCode":"${op.fail[1]}","errorMessage":${JSON.stringify(op.fail[2])},`;
          response = "null";
        }
      }
      const viaTls = ip.charCodeAt(0) <= 57;
      const rid = data ? rng.hex16Upper() : rng.uuid();
      const eid = rng.uuid();
      if (host === op.host) {
        // the constant parts of a call's record, per region and per account, are built once
        let mid = op.mid[ri];
        if (mid === undefined) {
          mid = `,"eventSource":"${host}","eventName":"${name}","awsRegion":"${region}","sourceIPAddress":"`;
          op.mid[ri] = mid;
        }
        const slot = ((acct.index * regions.length + ri) << 2) | (actor.console ? 2 : 0) | (viaTls ? 1 : 0);
        let tail = op.tail[slot];
        if (tail === undefined) {
          tail = recordTail(host, region, acct.id, data, viaTls, actor.console);
          op.tail[slot] = tail;
        }
        records.push(
          `{"eventVersion":"1.10",${identity}${times[(offset / 1000) | 0]}${mid}${ip}","userAgent":${uaj},${error}"requestParameters":${params},"responseElements":${response},"requestID":"${rid}","eventID":"${eid}",${read ? READ_TRUE : READ_FALSE}${resources}${tail}`,
        );
      } else
        records.push(
          `{"eventVersion":"1.10",${identity}${times[(offset / 1000) | 0]},"eventSource":"${host}","eventName":"${name}","awsRegion":"${region}","sourceIPAddress":"${ip}","userAgent":${uaj},${error}"requestParameters":${params},"responseElements":${response},"requestID":"${rid}","eventID":"${eid}",${read ? READ_TRUE : READ_FALSE}${resources}${recordTail(host, region, acct.id, data, viaTls, actor.console)}`,
        );
      accountIdx.push(acct.index);
      regionIdx.push(ri);
      if (records.length >= BATCH) {
        // hand over in slices: a whole busy period held at once outlives the young generation and costs GC time
        events += records.length;
        await sink.write({ start: p0, records, accountIndex: accountIdx, regionIndex: regionIdx });
        records = [];
        accountIdx = [];
        regionIdx = [];
      }
    }
    while (ai < attack.length && (attack[ai] as ScenarioEvent).t < periodEnd) {
      const e = attack[ai++] as ScenarioEvent;
      if (e.t < start) continue;
      records.push(e.json);
      accountIdx.push(e.accountIndex);
      regionIdx.push(regionIndex.get(e.region) as number);
    }
    events += records.length;
    if (records.length > 0) await sink.write({ start: p0, records, accountIndex: accountIdx, regionIndex: regionIdx });
    picked = picked.length > 1 << 16 ? [] : picked;
  }
  await sink.close?.();

  const answerKey: AnswerKey = {
    version: 1,
    generator: {
      scenarios: o.scenarios,
      seed: o.seed,
      accounts: o.accounts,
      days: o.days,
      background: o.background,
      format: o.format,
      start: new Date(start).toISOString().replace(/\.\d{3}Z$/, "Z"),
      end: new Date(end).toISOString().replace(/\.\d{3}Z$/, "Z"),
    },
    scenarios: played.map((p) => p.answer),
  };
  return { answerKey, events, scenarioEvents: attack.length };
}

/**
 * Writes a corpus into `outDir`: the S3 delivery tree (`AWSLogs/<account>/CloudTrail/<region>/yyyy/mm/dd/*.json.gz`,
 * one file per account, region and 5-minute period) or `events.jsonl`, and `answer-key.json`.
 */
export async function writeScenarioCorpus(
  options: GenerateOptions,
  outDir: string,
  catalog?: Catalog,
): Promise<GenerateResult> {
  const o = resolveGenerateOptions(options);
  const sink = o.format === "s3" ? new S3TreeSink(outDir, o.seed) : new JsonLinesSink(join(outDir, "events.jsonl"));
  await mkdir(outDir, { recursive: true });
  const result = await generateScenarios(o, sink, catalog);
  // one line: a scan of the whole folder then skips it as one non-CloudTrail record, not line by line
  await writeFileAtomic(join(outDir, ANSWER_KEY_FILE), `${JSON.stringify(result.answerKey)}\n`);
  return result;
}

/** Options of a benchmark corpus: about `events` records, over one day unless told otherwise. */
export interface BenchCorpusOptions {
  events: number;
  seed?: number;
  accounts?: number;
  days?: number;
  /** Scenarios played inside the background (default: all shipped packs, a sprinkling of attack events). */
  scenarios?: string[];
  /** Write the S3 delivery tree under `<dir>/s3/` (default true) and `<dir>/events.jsonl` (default true). */
  s3?: boolean;
  jsonl?: boolean;
}

/**
 * A synthetic corpus for scan benchmarks, in one generation pass: the S3 delivery tree in `<dir>/s3/AWSLogs/...`
 * and the same records as `<dir>/events.jsonl`, plus `<dir>/answer-key.json`. `events` is the background budget;
 * the scenarios add a few hundred records each.
 */
export async function writeBenchCorpus(
  options: BenchCorpusOptions,
  dir: string,
  catalog?: Catalog,
): Promise<GenerateResult> {
  const days = options.days ?? 1;
  const seed = options.seed ?? 1;
  const sinks: CorpusSink[] = [];
  if (options.s3 !== false) sinks.push(new S3TreeSink(join(dir, "s3"), seed));
  if (options.jsonl !== false) sinks.push(new JsonLinesSink(join(dir, "events.jsonl")));
  await mkdir(dir, { recursive: true });
  const cat = catalog ?? loadBuiltinCatalog();
  const scenarios = options.scenarios ?? [...loadScenarioPacks(cat).keys()];
  const result = await generateScenarios(
    {
      scenarios,
      seed,
      accounts: options.accounts ?? 3,
      days,
      background: Math.max(0, Math.round(options.events / days)),
      format: options.s3 === false ? "jsonl" : "s3",
    },
    new TeeSink(sinks),
    cat,
  );
  writeFileAtomic(join(dir, ANSWER_KEY_FILE), `${JSON.stringify(result.answerKey)}\n`);
  return result;
}
