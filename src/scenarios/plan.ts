// The first half of generation (see render.ts for the second): one sequential random stream decides, in time
// order, who calls when, with which operation, from which region, address and user agent, and when each
// actor's session opens. That is all the state carried from call to call, so the rest can be rendered anywhere.

import { type Actor, hourFactor, type Op } from "./background.js";
import type { ResolvedGenerateOptions } from "./generate.js";
import type { ScenarioEvent } from "./play.js";
import { Rng, Weighted } from "./random.js";
import type { World } from "./render.js";

/**
 * The planned calls of one part of a 5-minute period (a busy period is cut into parts of at most PART_SIZE
 * calls), in time order. Entry i is a background call of `actors[actor[i]]`, or, when actor[i] < 0, the
 * scenario record `attack[-1 - actor[i]]`.
 */
export interface PartPlan {
  /** Epoch milliseconds of the period's start. */
  start: number;
  /** Position of the part in its period (0, 1, ...): with `start`, the key of its random stream. */
  part: number;
  n: number;
  /** Milliseconds after `start`. */
  offset: Int32Array;
  actor: Int32Array;
  /** Index into the actor's operations, regions, addresses and user agents. */
  op: Uint8Array;
  region: Uint8Array;
  ip: Uint8Array;
  ua: Uint8Array;
  /** 1: the call is the STS call that opened the actor's session. */
  opener: Uint8Array;
  session: Int32Array;
  /** When the session was opened (epoch ms): its creationDate. */
  sessionStart: Float64Array;
  attack: string[];
  attackAccount: number[];
  attackRegion: number[];
}

export const PART_SIZE = 16_384;

export function newPartPlan(start: number, part: number, capacity: number): PartPlan {
  return {
    start,
    part,
    n: 0,
    offset: new Int32Array(capacity),
    actor: new Int32Array(capacity),
    op: new Uint8Array(capacity),
    region: new Uint8Array(capacity),
    ip: new Uint8Array(capacity),
    ua: new Uint8Array(capacity),
    opener: new Uint8Array(capacity),
    session: new Int32Array(capacity),
    sessionStart: new Float64Array(capacity),
    attack: [],
    attackAccount: [],
    attackRegion: [],
  };
}

/** The typed arrays of a plan, to transfer to a worker rather than copy. */
export function planBuffers(p: PartPlan): ArrayBuffer[] {
  return [p.offset, p.actor, p.op, p.region, p.ip, p.ua, p.opener, p.session, p.sessionStart].map(
    (a) => a.buffer as ArrayBuffer,
  );
}

const PERIOD = 300_000;
/** 2^20: a call's key is its offset in the period (ms) × SLOT + its draw index, so sorting keys sorts by time. */
const SLOT = 1_048_576;

/** Per hour of the week: who is active (a weighted pick of actor indexes) and the hour's share of the day. */
function activityTables(
  actors: Actor[],
): (hour: number, weekend: boolean) => { pick: Weighted<number>; share: number } {
  const tables = new Map<number, { pick: Weighted<number>; share: number }>();
  return (hour, weekend) => {
    const key = hour + (weekend ? 24 : 0);
    let t = tables.get(key);
    if (!t) {
      const weightAt = (h: number) => actors.reduce((s, a) => s + a.weight * hourFactor(a.hours, h, weekend), 0);
      let day = 0;
      for (let h = 0; h < 24; h++) day += weightAt(h);
      t = {
        pick: new Weighted(actors.map((a, i) => [i, a.weight * hourFactor(a.hours, hour, weekend)] as const)),
        share: (weightAt(hour) / day) * 24,
      };
      tables.set(key, t);
    }
    return t;
  };
}

/** The plan of the background with the scenarios' records merged in, part by part. */
export class Planner {
  private readonly rng: Rng;
  private readonly tableFor: ReturnType<typeof activityTables>;
  private readonly session: Int32Array;
  private readonly sessionStart: Float64Array;
  private keys = new Float64Array(4096);
  private picked = new Int32Array(4096);
  /** Next scenario record to merge. */
  private ai = 0;

  constructor(
    private readonly o: ResolvedGenerateOptions,
    private readonly world: World,
    private readonly start: number,
    private readonly end: number,
    private readonly attack: ScenarioEvent[],
    private readonly regionIndex: Map<string, number>,
  ) {
    this.rng = new Rng(o.seed, "background");
    this.tableFor = activityTables(world.actors);
    this.session = new Int32Array(world.actors.length).fill(-1);
    this.sessionStart = new Float64Array(world.actors.length);
  }

  *parts(): Generator<PartPlan> {
    for (let p0 = this.start; p0 < this.end; p0 += PERIOD) yield* this.period(p0);
  }

  /** The period's calls in time order (keys sorted), cut into parts of at most PART_SIZE. */
  private *period(p0: number): Generator<PartPlan> {
    const n = this.draw(p0);
    const order = this.keys.subarray(0, n).sort();
    let part = 0;
    let plan = newPartPlan(p0, part, Math.min(PART_SIZE, n + 16));
    for (let k = 0; k <= n; k++) {
      // the scenario records due before this call (after the last call: the rest of the period)
      const key = k < n ? (order[k] as number) : 0;
      const offset = k < n ? Math.floor(key / SLOT) : PERIOD;
      while (this.ai < this.attack.length && this.due(this.attack[this.ai] as ScenarioEvent, p0, offset, k < n)) {
        const e = this.attack[this.ai++] as ScenarioEvent;
        if (e.t < this.start || e.t >= this.end) continue;
        if (plan.n === plan.offset.length) {
          yield plan;
          plan = newPartPlan(p0, ++part, PART_SIZE);
        }
        this.addAttack(plan, e, p0);
      }
      if (k === n) break;
      if (plan.n === plan.offset.length) {
        yield plan;
        plan = newPartPlan(p0, ++part, PART_SIZE);
      }
      this.addCall(plan, this.picked[key - offset * SLOT] as number, offset, p0 + offset);
    }
    if (plan.n > 0) yield plan;
  }

  /** Scenario record `e` comes before a call at `offset` (at or before it), or before the period's end. */
  private due(e: ScenarioEvent, p0: number, offset: number, call: boolean): boolean {
    return call ? e.t <= p0 + offset : e.t < p0 + offset;
  }

  /** How many calls the period has, who makes each, and when (unsorted keys); returns the count. */
  private draw(p0: number): number {
    const { rng } = this;
    const d = new Date(p0);
    const table = this.tableFor(d.getUTCHours(), d.getUTCDay() === 0 || d.getUTCDay() === 6);
    const expected = (this.o.background / 288) * table.share;
    const n = Math.min(SLOT - 1, Math.floor(expected * (0.9 + 0.2 * rng.next()) + rng.next()));
    if (this.keys.length < n) {
      this.keys = new Float64Array(n * 2);
      this.picked = new Int32Array(n * 2);
    }
    for (let i = 0; i < n; i++) {
      this.picked[i] = table.pick.pick(rng);
      this.keys[i] = rng.int(PERIOD) * SLOT + i;
    }
    return n;
  }

  private addAttack(plan: PartPlan, e: ScenarioEvent, p0: number): void {
    const k = plan.n++;
    plan.offset[k] = e.t - p0;
    plan.actor[k] = -1 - plan.attack.length;
    plan.attack.push(e.json);
    plan.attackAccount.push(e.accountIndex);
    plan.attackRegion.push(this.regionIndex.get(e.region) as number);
  }

  /** One call of actor `a` at time `t`: operation, region, address, user agent, and its session. */
  private addCall(plan: PartPlan, a: number, offset: number, t: number): void {
    const { rng } = this;
    const actor = this.world.actors[a] as Actor;
    const i = plan.n++;
    plan.offset[i] = offset;
    plan.actor[i] = a;
    const op = actor.ops.pickIndex(rng);
    plan.op[i] = op;
    plan.region[i] = (actor.ops.items[op] as Op).global
      ? 0
      : rng.next() < actor.secondRegion
        ? actor.secondRegionIndex
        : actor.homeRegionIndex;
    plan.ip[i] = actor.ips.length === 1 ? 0 : rng.int(actor.ips.length);
    plan.ua[i] = actor.uaJson.length === 1 ? 0 : rng.int(actor.uaJson.length);
    // a new session starts with the STS call that opened it (rendered in place of this call)
    const s = actor.sessionMs > 0 ? Math.floor((t + actor.phase) / actor.sessionMs) : 0;
    if (s !== this.session[a]) {
      this.session[a] = s;
      this.sessionStart[a] = t;
      plan.opener[i] = actor.opener ? 1 : 0;
    }
    plan.session[i] = s;
    plan.sessionStart[i] = this.sessionStart[a] as number;
  }
}
