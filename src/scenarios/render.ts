// The second half of generation: turning planned calls into CloudTrail records. Generation is split in two so it
// can use every core and still give byte-identical output for a seed:
// - the plan (generate.ts, one thread, in time order) draws everything that carries state from call to call:
//   who calls, when, which operation, region, address, user agent, and when a session opens;
// - rendering (here, in worker threads or inline) draws everything local to one record (parameters, request and
//   event IDs, errors) from a stream keyed by the part's position in the corpus, so any thread may render any
//   part and the bytes do not depend on how many threads there are.
import {
  type AccountModel,
  type Actor,
  makeAccounts,
  makeActors,
  type Op,
  type OpCtx,
  type SharedIdentity,
} from "./background.js";
import type { PartPlan } from "./plan.js";
import { Rng } from "./random.js";

/** What a thread needs to rebuild the same accounts and actors as the planner (plain data, cloneable). */
export interface WorldSpec {
  seed: number;
  accounts: number;
  shared: SharedIdentity[];
  regions: string[];
}

export interface World {
  seed: number;
  accounts: AccountModel[];
  actors: Actor[];
  regions: string[];
}

export function makeWorld(spec: WorldSpec, accounts = makeAccounts(spec.seed, spec.accounts)): World {
  const actors = makeActors(spec.seed, accounts, spec.shared);
  const regionIndex = new Map(spec.regions.map((r, i) => [r, i]));
  for (const a of actors) {
    a.homeRegionIndex = regionIndex.get(a.account.homeRegion) as number;
    a.secondRegionIndex = regionIndex.get(a.account.secondRegion) as number;
    a.uaJson = a.uas.map((u) => JSON.stringify(u));
  }
  return { seed: spec.seed, accounts, actors, regions: spec.regions };
}

/**
 * Records of one part, in time order, as the ASCII bytes of JSON Lines (every record followed by "\n"; other
 * characters are \u-escaped): record i is `bytes[(i ? ends[i-1] + 1 : 0) .. ends[i]]`, of account
 * `accounts[accountIndex[i]]` in region `regions[regionIndex[i]]`.
 */
export interface PeriodBatch {
  /** Epoch milliseconds of the period's start (a multiple of 5 minutes). */
  start: number;
  count: number;
  bytes: Uint8Array;
  ends: Uint32Array;
  accountIndex: Uint16Array;
  regionIndex: Uint8Array;
}

/** The records of a batch as strings (for consumers that want them; the sinks work on the bytes). */
export function batchRecords(b: PeriodBatch): string[] {
  const out = new Array<string>(b.count);
  const buf = Buffer.from(b.bytes.buffer, b.bytes.byteOffset, b.bytes.byteLength);
  let from = 0;
  for (let i = 0; i < b.count; i++) {
    const end = b.ends[i] as number;
    out[i] = buf.toString("latin1", from, end);
    from = end + 1;
  }
  return out;
}

/** A batch of ASCII records (tests, and producers other than the generator). */
export function batchOf(records: string[], start = 0, accountIndex?: number[], regionIndex?: number[]): PeriodBatch {
  const bytes = Buffer.from(records.map((r) => `${r}\n`).join(""), "latin1");
  const ends = new Uint32Array(records.length);
  let at = 0;
  records.forEach((r, i) => {
    at += r.length;
    ends[i] = at++;
  });
  return {
    start,
    count: records.length,
    bytes,
    ends,
    accountIndex: Uint16Array.from(accountIndex ?? records.map(() => 0)),
    regionIndex: Uint8Array.from(regionIndex ?? records.map(() => 0)),
  };
}

/** Bytes of `"eventTime":"2026-11-02T00:00:00Z",`. */
const TIME = 35;

/** ASCII text as bytes (fragments built once). */
function ascii(s: string): Uint8Array {
  return Buffer.from(s, "latin1");
}

/** Placeholders of the request and event IDs: `<request ID>","eventID":"<event ID>",`. */
const EID_GAP = '","eventID":"'.length;
const RID16 = `${"0".repeat(16)}","eventID":"${"0".repeat(36)}",`;
const RID36 = `${"0".repeat(36)}","eventID":"${"0".repeat(36)}",`;
const READ_TRUE = '"readOnly":true,';
const READ_FALSE = '"readOnly":false,';
const DAY = 86_400_000;
const TLS_PREFIX =
  ',"tlsDetails":{"tlsVersion":"TLSv1.3","cipherSuite":"TLS_AES_128_GCM_SHA256","clientProvidedHostHeader":"';

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

/** "HH:MM:SSZ\"" for every second of a day, built once. */
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

/** Node's Buffer has latin1Write (the encoding-specific form of write()), which its types do not declare. */
interface Latin1Writer {
  latin1Write(s: string, at: number): number;
}

/** Renders plans of one world; keeps per-actor identity blocks between parts (a cache, not state of the output). */
export class Renderer {
  private readonly sod = timeOfDay();
  /** `"eventTime":"...Z",` of every second of the current period, TIME bytes each. */
  private readonly times = new Uint8Array(300 * TIME);
  private readonly timeOf = Array.from({ length: 300 }, (_, sec) => this.times.subarray(sec * TIME, (sec + 1) * TIME));
  private readonly idSession: Int32Array;
  private readonly idStart: Float64Array;
  /** `{"eventVersion":"1.10","userIdentity":{...},` of each actor's current session. */
  private readonly idBytes: Uint8Array[];
  /** Per actor, its operations' numbers (an operation may serve several actors). */
  private readonly opIds: Int32Array[];
  /** Fragments built once per operation and region (mid) or operation, account, region and flags (tail). */
  private readonly mid: Array<Uint8Array | undefined> = [];
  private readonly tail: Array<Uint8Array | undefined> = [];
  private buf = Buffer.allocUnsafeSlow(1 << 20);
  /** Output buffers handed back after their batch was written: reused rather than freshly mapped pages. */
  private readonly spare: ArrayBuffer[] = [];
  private size = 1 << 20;

  constructor(readonly world: World) {
    const n = world.actors.length;
    this.idSession = new Int32Array(n).fill(-2);
    this.idStart = new Float64Array(n);
    this.idBytes = new Array<Uint8Array>(n).fill(new Uint8Array(0));
    const ids = new Map<Op, number>();
    this.opIds = world.actors.map((a) =>
      Int32Array.from(a.ops.items, (op) => {
        let id = ids.get(op);
        if (id === undefined) {
          id = ids.size;
          ids.set(op, id);
        }
        return id;
      }),
    );
  }

  private identityOf(a: number, actor: Actor, session: number, start: number): Uint8Array {
    if (this.idSession[a] !== session || this.idStart[a] !== start) {
      this.idSession[a] = session;
      this.idStart[a] = start;
      this.idBytes[a] = ascii(`{"eventVersion":"1.10",${actor.identity(session, start)}`);
    }
    return this.idBytes[a] as Uint8Array;
  }

  /** Room for `n` more bytes after `used`: a bigger buffer (what is written copied over) when full. */
  private room(used: number, n: number): Buffer {
    if (used + n > this.buf.length) {
      const bigger = Buffer.allocUnsafeSlow(Math.max(this.buf.length * 2, used + n));
      this.buf.copy(bigger, 0, 0, used);
      this.buf = bigger;
    }
    return this.buf;
  }

  /** Appends `s` and a newline. */
  private put(s: string, used: number): number {
    const buf = this.room(used, s.length + 1);
    used += (buf as unknown as Latin1Writer).latin1Write(s, used);
    buf[used] = 10;
    return used;
  }

  /** Gives back the buffer of a rendered batch once nobody reads it any more. */
  recycle(buffer: ArrayBuffer): void {
    if (buffer.byteLength >= this.size && this.spare.length < 4) this.spare.push(buffer);
  }

  /**
   * The records of a plan. The returned bytes are in a buffer of their own (it may be transferred to another
   * thread), which the caller may hand back through recycle() once written.
   */
  render(p: PartPlan): PeriodBatch {
    const reuse = this.spare.pop();
    this.buf = reuse ? Buffer.from(reuse) : Buffer.allocUnsafeSlow(this.size);
    const { actors, regions, accounts } = this.world;
    const rng = new Rng(this.world.seed, `render:${p.start}:${p.part}`);
    const ctx: OpCtx = { rng, acct: accounts[0] as AccountModel, region: "" };
    const datePrefix = `"eventTime":"${new Date(p.start).toISOString().slice(0, 11)}`;
    const daySec = Math.floor((p.start % DAY) / 1000);
    const times = this.times;
    const timeText = Buffer.from(times.buffer);
    for (let sec = 0; sec < 300; sec++) timeText.write(`${datePrefix}${this.sod[daySec + sec]},`, sec * TIME, "latin1");
    const ends = new Uint32Array(p.n);
    const accountIndex = new Uint16Array(p.n);
    const regionIndex = new Uint8Array(p.n);
    let used = 0;
    for (let k = 0; k < p.n; k++) {
      const a = p.actor[k] as number;
      if (a < 0) {
        const i = -1 - a;
        used = this.put(p.attack[i] as string, used);
        ends[k] = used++;
        accountIndex[k] = p.attackAccount[i] as number;
        regionIndex[k] = p.attackRegion[i] as number;
        continue;
      }
      const actor = actors[a] as Actor;
      const ri = p.region[k] as number;
      ctx.acct = actor.account;
      ctx.region = regions[ri] as string;
      used =
        p.opener[k] === 1 && actor.opener ? this.opener(actor, p, k, ctx, used) : this.call(a, actor, p, k, ctx, used);
      ends[k] = used++;
      accountIndex[k] = actor.account.index;
      regionIndex[k] = ri;
    }
    const bytes = this.buf.subarray(0, used);
    this.size = Math.max(this.size, used + (used >> 3));
    return { start: p.start, count: p.n, bytes, ends, accountIndex, regionIndex };
  }

  /** A background call of actor `a` (entry `k` of the plan): its record after `used`; returns the new end. */
  private call(a: number, actor: Actor, p: PartPlan, k: number, ctx: OpCtx, used: number): number {
    const { rng, acct, region } = ctx;
    const nr = this.world.regions.length;
    const ri = p.region[k] as number;
    const oi = p.op[k] as number;
    const op = actor.ops.items[oi] as Op;
    const ip = actor.ips[p.ip[k] as number] as string;
    const params = op.params(ctx);
    let response = op.response(ctx);
    const resources = op.resources ? op.resources(ctx) : "";
    let error = "";
    if (op.fail && rng.next() < op.fail[0]) {
      error = `"errorCode":"${op.fail[1]}","errorMessage":${JSON.stringify(op.fail[2])},`;
      response = "null";
    }
    const viaTls = ip.charCodeAt(0) <= 57;
    const oid = (this.opIds[a] as Int32Array)[oi] as number;
    const mi = oid * nr + ri;
    let mid = this.mid[mi];
    if (mid === undefined) {
      mid = ascii(`"eventSource":"${op.host}","eventName":"${op.name}","awsRegion":"${region}","sourceIPAddress":"`);
      this.mid[mi] = mid;
    }
    const ti =
      (((oid * this.world.accounts.length + acct.index) * nr + ri) << 2) | (actor.console ? 2 : 0) | (viaTls ? 1 : 0);
    let tail = this.tail[ti];
    if (tail === undefined) {
      tail = ascii(recordTail(op.host, region, acct.id, op.data, viaTls, actor.console));
      this.tail[ti] = tail;
    }
    const id = this.identityOf(a, actor, p.session[k] as number, p.sessionStart[k] as number);
    // the variable middle of the record is one string; the request and event IDs are written as bytes over
    // placeholders of their length, so no string is made for them
    const ids = op.data ? RID16 : RID36;
    const after = `${op.read ? READ_TRUE : READ_FALSE}${resources}`;
    const call = `${ip}","userAgent":${actor.uaJson[p.ua[k] as number]},${error}"requestParameters":${params},"responseElements":${response},"requestID":"${ids}${after}`;
    const buf = this.room(used, id.length + TIME + mid.length + call.length + tail.length + 1);
    buf.set(id, used);
    used += id.length;
    buf.set(this.timeOf[((p.offset[k] as number) / 1000) | 0] as Uint8Array, used);
    used += TIME;
    buf.set(mid, used);
    used += mid.length;
    used += (buf as unknown as Latin1Writer).latin1Write(call, used);
    const idsAt = used - after.length - ids.length;
    if (op.data) rng.hex16UpperInto(buf, idsAt);
    else rng.uuidInto(buf, idsAt);
    rng.uuidInto(buf, idsAt + ids.length - 38);
    buf.set(tail, used);
    used += tail.length;
    buf[used] = 10;
    return used;
  }

  /** The STS call that opened the actor's session, by whoever assumed the role (a few per actor and hour). */
  private opener(actor: Actor, p: PartPlan, k: number, ctx: OpCtx, used: number): number {
    const t = p.start + (p.offset[k] as number);
    const o = (actor.opener as NonNullable<Actor["opener"]>)(p.session[k] as number, ctx, new Date(t).toISOString());
    const from = o.ip || (actor.ips[0] as string);
    const ua = o.ua ? JSON.stringify(o.ua) : (actor.uaJson[0] as string);
    const time = `"eventTime":"${new Date(t - (t % 1000)).toISOString().slice(0, 19)}Z",`;
    const before = `{"eventVersion":"1.10",${o.identity}${time}"eventSource":"${o.host}","eventName":"${o.name}","awsRegion":"${ctx.region}","sourceIPAddress":"${from}","userAgent":${ua},"requestParameters":${o.params},"responseElements":${o.response},"requestID":"`;
    const record = `${before}${RID36}${READ_FALSE}${o.resources}${recordTail(o.host, ctx.region, ctx.acct.id, false, from.charCodeAt(0) <= 57, actor.console)}`;
    const at = used;
    used = this.put(record, used);
    ctx.rng.uuidInto(this.buf, at + before.length);
    ctx.rng.uuidInto(this.buf, at + before.length + 36 + EID_GAP);
    return used;
  }
}
