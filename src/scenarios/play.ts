// Plays one scenario pack: picks the victim account, the branch options, the attacker's addresses and tools,
// lays the steps out in time, renders every API call as a CloudTrail record, and writes the answer-key entry.
// Everything is drawn from the scenario's own random stream, so the same seed plays the same attack.
import type { Catalog } from "../catalog/index.js";
import { TechtrailError } from "../core/errors.js";
import type { AnswerScenario, AnswerStep } from "./answer-key.js";
import type { AccountModel, SharedIdentity } from "./background.js";
import { parseCount, parseDurationRange, type ScenarioCall, type ScenarioIdentity, type ScenarioPack } from "./pack.js";
import { Rng } from "./random.js";

/** One record of a scenario, placed in the corpus. */
export interface ScenarioEvent {
  t: number;
  accountIndex: number;
  region: string;
  json: string;
}

export interface PlayedScenario {
  answer: AnswerScenario;
  events: ScenarioEvent[];
  shared: SharedIdentity[];
}

export interface PlayContext {
  seed: number;
  /** Position of the scenario in the run (the same pack may be played twice). */
  index: number;
  accounts: AccountModel[];
  start: number;
  end: number;
  catalog: Catalog;
}

type Value = string | string[];

interface ResolvedIdentity {
  spec: ScenarioIdentity;
  type: ScenarioIdentity["type"];
  accountId: string;
  arn: string;
  principalId: string;
  accessKeyId: string;
  name: string;
  session: string;
  roleArn: string;
  /** userIdentity object as records carry it (for API calls). */
  block: Record<string, unknown>;
}

/** JSON with every non-ASCII character \u-escaped: records stay ASCII, which the JSON Lines sink relies on. */
export function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[\u007f-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

const iso = (t: number): string => new Date(t).toISOString().replace(/\.\d{3}Z$/, "Z");

function ipIn(cidr: string, rng: Rng): string {
  const [addr, bitsText] = cidr.split("/") as [string, string];
  const bits = Number(bitsText);
  const base = addr.split(".").reduce((n, o) => n * 256 + Number(o), 0);
  const size = 2 ** (32 - bits);
  const host = size <= 2 ? 0 : 1 + rng.int(size - 2);
  const n = (base - (base % size) + host) >>> 0;
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
}

/** The IAM action of a CloudTrail event name (Lambda's dated names lose their date). */
function iamAction(service: string, name: string): string {
  return `${service}:${name.replace(/\d{8}(v\d+)?$/, "")}`;
}

function deniedError(service: string, name: string, arn: string, resource: string): { code: string; message: string } {
  const action = iamAction(service, name);
  const why = `because no identity-based policy allows the ${action} action`;
  if (service === "ec2")
    return {
      code: "Client.UnauthorizedOperation",
      message: `You are not authorized to perform this operation. User: ${arn} is not authorized to perform: ${action} ${why}`,
    };
  const code = ["iam", "s3", "sts", "signin", "organizations", "cloudtrail"].includes(service)
    ? "AccessDenied"
    : "AccessDeniedException";
  return { code, message: `User: ${arn} is not authorized to perform: ${action} on resource: ${resource} ${why}` };
}

const GLOBAL_SERVICES = new Set(["iam", "organizations", "route53", "cloudfront", "signin", "route53domains", "ce"]);

export function playScenario(pack: ScenarioPack, ctx: PlayContext): PlayedScenario {
  const rng = new Rng(ctx.seed, `scenario:${pack.name}:${ctx.index}`);
  const account = ctx.accounts[rng.int(ctx.accounts.length)] as AccountModel;
  const scope = new Map<string, Value>();
  const put = (k: string, v: Value) => scope.set(k, v);
  put("account", account.id);
  put("accountName", account.alias);
  put("attackerAccount", `${1 + rng.int(9)}${rng.digits(11)}`);
  put("homeRegion", account.homeRegion);
  put("region", account.homeRegion);

  const identities = new Map<string, ResolvedIdentity>();
  const evalText = (text: string, local?: Map<string, Value>): string =>
    text.replace(/\$\{([^}]*)\}/g, (_m, raw: string) => {
      const ref = raw.trim();
      const [fn, arg] = ref.split(":");
      if (arg !== undefined) {
        const n = Number(arg);
        if (fn === "hex") return rng.hex(n);
        if (fn === "upper") return rng.upper(n);
        if (fn === "alnum") return rng.alnum(n);
        if (fn === "digits") return rng.digits(n);
      }
      if (ref === "uuid") return rng.uuid();
      const dot = ref.indexOf(".");
      if (dot > 0) {
        const id = identities.get(ref.slice(0, dot));
        if (id) return String(id[ref.slice(dot + 1) as keyof ResolvedIdentity] ?? "");
      }
      const v = local?.get(ref) ?? scope.get(ref);
      if (v === undefined) throw new TechtrailError("VALIDATION", `scenario ${pack.name}: unknown variable \${${ref}}`);
      return Array.isArray(v) ? v.join(",") : v;
    });
  /** A whole-string `${list}` becomes the list itself. */
  const evalDeep = (value: unknown, local?: Map<string, Value>): unknown => {
    if (typeof value === "string") {
      const m = /^\$\{([A-Za-z][\w]*)\}$/.exec(value);
      if (m) {
        const v = local?.get(m[1] as string) ?? scope.get(m[1] as string);
        if (Array.isArray(v)) return v;
      }
      return evalText(value, local);
    }
    if (Array.isArray(value)) return value.map((v) => evalDeep(v, local));
    if (value && typeof value === "object")
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, evalDeep(v, local)]));
    return value;
  };

  // branches, then variables (a branch option's vars override the pack's)
  const chosen = new Map<string, string>();
  const branchVars = new Map<string, string>();
  const vars: Record<string, unknown> = { ...pack.vars };
  for (const b of pack.branches) {
    const total = b.options.reduce((s, o) => s + o.weight, 0);
    let x = rng.next() * total;
    let option = b.options[b.options.length - 1] as (typeof b.options)[number];
    for (const o of b.options) {
      x -= o.weight;
      if (x < 0) {
        option = o;
        break;
      }
    }
    chosen.set(b.name, option.name);
    for (const [k, v] of Object.entries(option.vars)) {
      vars[k] = v;
      branchVars.set(k, `${b.name}=${option.name}`);
    }
  }
  for (const [k, v] of Object.entries(vars)) {
    if (typeof v === "string") put(k, evalText(v));
    else if (Array.isArray(v))
      put(
        k,
        v.map((x) => evalText(x)),
      );
    else if (v && typeof v === "object" && "pick" in v) put(k, evalText(rng.pick(v.pick as string[])));
    else if (v && typeof v === "object" && "generate" in v) {
      const [lo, hi] = parseCount((v as unknown as { count: number | string }).count);
      const n = rng.between(lo, hi);
      const items = new Set<string>();
      for (let i = 0; i < n * 4 && items.size < n; i++) items.add(evalText(v.generate as string));
      put(k, [...items]);
    }
  }

  // identities
  for (const [key, spec] of Object.entries(pack.identities)) {
    const accountId = spec.account === "attacker" ? (scope.get("attackerAccount") as string) : account.id;
    const name = spec.name ? evalText(spec.name) : "";
    const session = spec.session ? evalText(spec.session) : "";
    const path = spec.path;
    const temporary = spec.console || spec.type === "AssumedRole" || spec.type === "Root";
    const accessKeyId = spec.type === "Anonymous" ? "" : `${temporary ? "ASIA" : "AKIA"}${rng.upper(16)}`;
    const created = iso(ctx.start);
    const attrs = { creationDate: created, mfaAuthenticated: spec.mfa ? "true" : "false" };
    let block: Record<string, unknown>;
    let arn = "";
    let principalId = "";
    let roleArn = "";
    if (spec.type === "IAMUser") {
      principalId = `AIDA${rng.upper(17)}`;
      arn = `arn:aws:iam::${accountId}:user${path}${name}`;
      block = { type: "IAMUser", principalId, arn, accountId, accessKeyId, userName: name };
      if (spec.console) block.sessionContext = { sessionIssuer: {}, webIdFederationData: {}, attributes: attrs };
    } else if (spec.type === "AssumedRole") {
      const roleId = `AROA${rng.upper(17)}`;
      principalId = `${roleId}:${session}`;
      roleArn = `arn:aws:iam::${accountId}:role${path}${name}`;
      arn = `arn:aws:sts::${accountId}:assumed-role/${name}/${session}`;
      block = {
        type: "AssumedRole",
        principalId,
        arn,
        accountId,
        accessKeyId,
        sessionContext: {
          sessionIssuer: { type: "Role", principalId: roleId, arn: roleArn, accountId, userName: name },
          webIdFederationData: spec.webIdentity ? { federatedProvider: spec.webIdentity, attributes: {} } : {},
          attributes: attrs,
          ...(spec.ec2RoleDelivery ? { ec2RoleDelivery: spec.ec2RoleDelivery } : {}),
        },
      };
    } else if (spec.type === "Root") {
      principalId = accountId;
      arn = `arn:aws:iam::${accountId}:root`;
      block = { type: "Root", principalId, arn, accountId, accessKeyId };
      if (spec.console) block.sessionContext = { sessionIssuer: {}, webIdFederationData: {}, attributes: attrs };
    } else {
      principalId = "Anonymous";
      block = { type: "Unknown", principalId: "Anonymous", accountId: "anonymous" };
    }
    identities.set(key, {
      spec,
      type: spec.type,
      accountId,
      arn,
      principalId,
      accessKeyId,
      name,
      session,
      roleArn,
      block,
    });
  }

  // networks and tools: a few addresses per network, one tool per user-agent list, for the whole run
  const addresses = new Map<string, string[]>();
  for (const [k, n] of Object.entries(pack.networks))
    addresses.set(
      k,
      Array.from({ length: 2 }, () => ipIn(rng.pick(n.cidrs), rng)),
    );
  const agents = new Map<string, string>();
  for (const [k, list] of Object.entries(pack.userAgents)) agents.set(k, rng.pick(list));

  // lay out and render the steps on a relative clock, then shift into the corpus
  interface Rendered {
    t: number;
    region: string;
    record: Record<string, unknown>;
    impact: Partial<Record<"deleted" | "encrypted" | "exfiltrated" | "created", string>>;
  }
  const stepEnds = new Map<string, number>();
  const stepOut: Array<{
    step: (typeof pack.steps)[number];
    start: number;
    end: number;
    events: Rendered[];
    branch?: string;
  }> = [];
  let previousEnd = 0;
  for (const step of pack.steps) {
    if (step.when !== undefined) {
      const [b, o] = step.when.split("=");
      if (chosen.get(b as string) !== o) continue;
    }
    const base = step.after !== undefined ? (stepEnds.get(step.after) ?? previousEnd) : previousEnd;
    const [dlo, dhi] = parseDurationRange(step.delay) as [number, number];
    const [glo, ghi] = parseDurationRange(step.gap) as [number, number];
    const start = stepOut.length === 0 ? 0 : base + dlo + Math.floor(rng.next() * (dhi - dlo + 1));
    let t = start;
    const identity = identities.get(step.identity) as ResolvedIdentity;
    const addrs = addresses.get(step.network) as string[];
    const sourceIp = (rng.chance(0.8) ? addrs[0] : addrs[1]) as string;
    const userAgent = agents.get(step.userAgent) as string;
    const stepRegion = step.region !== undefined ? evalText(step.region) : account.homeRegion;
    const events: Rendered[] = [];
    const render = (call: ScenarioCall, local: Map<string, Value>): void => {
      const [service, name] = call.api.split(":") as [string, string];
      local.set("sourceIp", sourceIp);
      local.set("userAgent", userAgent);
      const region =
        call.region !== undefined
          ? evalText(call.region, local)
          : GLOBAL_SERVICES.has(service)
            ? "us-east-1"
            : stepRegion;
      local.set("region", region);
      const params =
        call.params === undefined ? null : (evalDeep(call.params, local) as Record<string, unknown> | null);
      const signin = service === "signin";
      const record: Record<string, unknown> = { eventVersion: signin ? "1.09" : "1.10" };
      let ui: Record<string, unknown> = identity.block;
      if (signin && identity.type !== "Anonymous") {
        // sign-in events carry no access key: the session is created by the sign-in itself
        const { sessionContext: _s, ...rest } = ui as { sessionContext?: unknown };
        ui = { ...rest, accessKeyId: "" };
      }
      record.userIdentity = ui;
      record.eventTime = iso(t);
      record.eventSource = `${service}.amazonaws.com`;
      record.eventName = name;
      record.awsRegion = region;
      record.sourceIPAddress = sourceIp;
      record.userAgent = userAgent;
      let failed = false;
      if (call.error !== undefined) {
        failed = true;
        const resource =
          call.resources?.[0] !== undefined
            ? evalText(call.resources[0].arn, local)
            : `arn:aws:${service}:${region}:${account.id}:*`;
        const e =
          typeof call.error === "string"
            ? call.error === "AccessDenied"
              ? deniedError(service, name, identity.arn, resource)
              : { code: call.error, message: `${call.error}` }
            : { code: call.error.code, message: evalText(call.error.message, local) };
        if (e.code !== "") record.errorCode = e.code;
        record.errorMessage = e.message;
      }
      record.requestParameters = params;
      // a failed call has no response, except where AWS logs one (ConsoleLogin: {"ConsoleLogin":"Failure"})
      record.responseElements =
        call.response === undefined ? null : (evalDeep(call.response, local) as Record<string, unknown> | null);
      if (call.additionalEventData !== undefined)
        record.additionalEventData = evalDeep(call.additionalEventData, local);
      record.requestID = service === "s3" ? rng.upper(16).replace(/[^A-F0-9]/g, "A") : rng.uuid();
      record.eventID = rng.uuid();
      record.readOnly =
        call.readOnly ?? /^(Get|List|Describe|Head|Lookup|Search|BatchGet|Check|Decrypt|Select)/.test(name);
      if (call.resources !== undefined)
        record.resources = call.resources.map((r) => {
          const arn = evalText(r.arn, local);
          const acct = /^arn:aws:[^:]*:[^:]*:(\d{12}):/.exec(arn)?.[1];
          return acct ? { accountId: acct, type: r.type, ARN: arn } : { type: r.type, ARN: arn };
        });
      record.eventType = call.eventType ?? (signin ? "AwsConsoleSignIn" : "AwsApiCall");
      record.managementEvent = !call.data;
      record.recipientAccountId = account.id;
      record.eventCategory = call.data ? "Data" : "Management";
      if (!signin)
        record.tlsDetails = {
          tlsVersion: "TLSv1.3",
          cipherSuite: "TLS_AES_128_GCM_SHA256",
          clientProvidedHostHeader: `${service}.${region}.amazonaws.com`,
        };
      if (identity.spec.console && !signin) record.sessionCredentialFromConsole = "true";
      const impact: Rendered["impact"] = {};
      if (call.impact && !failed)
        for (const [k, v] of Object.entries(call.impact))
          if (v !== undefined) impact[k as keyof Rendered["impact"]] = evalText(v, local);
      events.push({ t, region, record, impact });
    };
    for (const call of step.calls) {
      const iterations: Array<Map<string, Value>> = [];
      if (call.each !== undefined) {
        const list = scope.get(call.each);
        const items = Array.isArray(list) ? list : [String(list)];
        for (const [i, item] of items.entries())
          iterations.push(
            new Map<string, Value>([
              ["item", item],
              ["i", String(i + 1)],
            ]),
          );
      } else {
        const [lo, hi] = parseCount(call.repeat);
        const n = rng.between(lo, hi);
        for (let i = 0; i < n; i++) iterations.push(new Map<string, Value>([["i", String(i + 1)]]));
      }
      for (const local of iterations) {
        if (events.length > 0) t += glo + Math.floor(rng.next() * (ghi - glo + 1));
        render(call, local);
      }
    }
    const end = events.length > 0 ? t : start;
    stepEnds.set(step.id, end);
    previousEnd = end;
    const used = JSON.stringify(step);
    const branch = step.when ?? [...branchVars.entries()].find(([v]) => used.includes(`\${${v}}`))?.[1];
    stepOut.push({ step, start, end, events, ...(branch !== undefined ? { branch } : {}) });
  }

  // place the attack in the corpus: anywhere that leaves an hour on both sides when it can
  const duration = previousEnd;
  const room = ctx.end - ctx.start - duration - 2 * 3_600_000;
  if (duration >= ctx.end - ctx.start)
    throw new TechtrailError(
      "VALIDATION",
      `scenario ${pack.name} lasts ${Math.ceil(duration / 60_000)} minutes, longer than the corpus; give more --days`,
    );
  const offset =
    ctx.start +
    (room > 0 ? 3_600_000 + Math.floor(rng.next() * room) : Math.floor((ctx.end - ctx.start - duration) / 2));
  const shift = Math.floor(offset / 1000) * 1000;

  const events: ScenarioEvent[] = [];
  const impact = {
    deleted: [] as string[],
    encrypted: [] as string[],
    exfiltrated: [] as string[],
    created: [] as string[],
  };
  let firstImpact = Number.POSITIVE_INFINITY;
  const steps: AnswerStep[] = [];
  const regionCount = new Map<string, number>();
  for (const s of stepOut) {
    const ids: string[] = [];
    const names: string[] = [];
    const principals = new Set<string>();
    const keys = new Set<string>();
    const ips = new Set<string>();
    for (const e of s.events) {
      const t = e.t + shift;
      e.record.eventTime = iso(t);
      events.push({ t, accountIndex: account.index, region: e.region, json: asciiJson(e.record) });
      ids.push(e.record.eventID as string);
      const n = `${String(e.record.eventSource).replace(".amazonaws.com", "")}:${e.record.eventName}`;
      if (!names.includes(n)) names.push(n);
      const ui = e.record.userIdentity as { arn?: string; accessKeyId?: string };
      if (ui.arn) principals.add(ui.arn);
      if (ui.accessKeyId) keys.add(ui.accessKeyId);
      ips.add(e.record.sourceIPAddress as string);
      if (!GLOBAL_SERVICES.has(String(e.record.eventSource).split(".")[0] as string))
        regionCount.set(e.region, (regionCount.get(e.region) ?? 0) + 1);
      for (const [k, v] of Object.entries(e.impact) as Array<[keyof typeof impact, string]>) {
        if (!impact[k].includes(v)) impact[k].push(v);
        firstImpact = Math.min(firstImpact, t);
      }
    }
    const tech = ctx.catalog.technique(s.step.technique);
    steps.push({
      id: s.step.id,
      title: s.step.title,
      technique: s.step.technique,
      tactic: s.step.tactic ?? tech?.tactics[0] ?? "",
      cloudtrailVisible: s.step.visible,
      start: iso(s.start + shift),
      end: iso(s.end + shift),
      eventIds: ids,
      eventNames: names,
      principals: [...principals],
      accessKeyIds: [...keys],
      sourceIps: [...ips],
      ...(s.branch !== undefined ? { branch: s.branch } : {}),
    });
  }
  events.sort((a, b) => a.t - b.t);
  const first = events[0];
  if (!first) throw new TechtrailError("VALIDATION", `scenario ${pack.name} made no API call`);
  const firstRecord = JSON.parse(first.json) as {
    userIdentity: { arn?: string; accessKeyId?: string };
    sourceIPAddress: string;
    eventID: string;
  };
  const region = [...regionCount.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0]?.[0];
  const last = events[events.length - 1] as ScenarioEvent;
  const answer: AnswerScenario = {
    name: pack.name,
    title: pack.title,
    account: account.id,
    region: region ?? account.homeRegion,
    window: { start: iso(first.t), end: iso(last.t) },
    initialAccess: {
      principalArn: firstRecord.userIdentity.arn ?? "",
      ...(firstRecord.userIdentity.accessKeyId ? { accessKeyId: firstRecord.userIdentity.accessKeyId } : {}),
      sourceIp: firstRecord.sourceIPAddress,
      eventId: firstRecord.eventID,
      time: iso(first.t),
    },
    impact,
    containBy: iso((Number.isFinite(firstImpact) ? firstImpact : last.t) - 1000),
    steps,
  };
  const shared: SharedIdentity[] = [];
  for (const id of identities.values())
    if (id.spec.background)
      shared.push({
        accountIndex: account.index,
        identityJson: `"userIdentity":${JSON.stringify({ ...id.block, ...(id.spec.console ? {} : {}) })},`,
        kind: id.type === "AssumedRole" ? "instance" : "user",
      });
  return { answer, events, shared };
}
