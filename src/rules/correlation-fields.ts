// Field values that correlation and first_seen rules read from a matched event: the record's own paths and
// derived fields (techtrail.principal, techtrail.sourceNetwork, techtrail.userAgentFamily, techtrail.accountId),
// and which fields each rule's matches must carry. Pure; shared by the scan threads and the in-memory sequence evaluator.
import type { CompiledCorrelation } from "./correlation.js";
import { fieldGetter, type Getter, toText } from "./matchers.js";

export const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);

export function principalOf(e: Record<string, unknown>): string | undefined {
  const ui = e.userIdentity as Record<string, unknown> | undefined;
  if (!ui || typeof ui !== "object") return undefined;
  const issuer = (ui.sessionContext as { sessionIssuer?: { arn?: unknown } } | undefined)?.sessionIssuer?.arn;
  return str(ui.arn) ?? str(issuer) ?? (str(ui.type) === "AWSService" ? str(ui.invokedBy) : undefined);
}

/**
 * The network of an address, as first_seen rules and correlations compare it: IPv4 /24, IPv6 /48. Values that
 * are not addresses (an AWS service name such as `ec2.amazonaws.com`) are kept as they are.
 */
export function sourceNetwork(ip: string): string {
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.\d{1,3}$/.exec(ip);
  if (v4) return `${v4[1]}.${v4[2]}.${v4[3]}.0/24`;
  if (ip.includes(":") && /^[0-9a-fA-F:.]+$/.test(ip)) {
    const [head = "", tail] = ip.toLowerCase().split("::");
    const groups = head === "" ? [] : head.split(":");
    if (tail !== undefined) while (groups.length < 3) groups.push("0");
    if (groups.length >= 3)
      return `${groups
        .slice(0, 3)
        .map((g) => g.replace(/^0+(?=.)/, ""))
        .join(":")}::/48`;
  }
  return ip;
}

/** Derived fields (documented in docs/rules.md) besides the record's own paths. */
export const VIRTUAL: Record<string, Getter> = {
  "techtrail.principal": principalOf,
  "techtrail.sourceNetwork": (e) => {
    const ip = str(e.sourceIPAddress);
    return ip === undefined ? undefined : sourceNetwork(ip);
  },
  "techtrail.userAgentFamily": (e) => {
    const ua = str(e.userAgent);
    return ua === undefined ? undefined : userAgentFamily(ua);
  },
  "techtrail.accountId": (e) =>
    str(e.recipientAccountId) ?? str((e.userIdentity as Record<string, unknown> | undefined)?.accountId),
};

export function getterFor(path: string): Getter {
  return VIRTUAL[path] ?? fieldGetter(path);
}

export function textOf(v: unknown): string | undefined {
  if (Array.isArray(v)) return v.length === 0 ? undefined : v.map((x) => toText(x) ?? "").join(",");
  return toText(v);
}

/** Fields each rule's matches must carry: group-by (through aliases) and counted fields, chains included. */
export function neededFields(correlations: readonly CompiledCorrelation[]): Map<string, string[]> {
  const need = new Map<string, Set<string>>();
  const add = (id: string, f: string) => {
    const set = need.get(id) ?? new Set<string>();
    set.add(f);
    need.set(id, set);
  };
  const byId = new Map(correlations.map((c) => [c.id, c]));
  const visit = (c: CompiledCorrelation, fields: readonly string[], depth: number) => {
    if (depth > 16) return;
    (c.targets ?? []).forEach((t, i) => {
      const ref = c.ruleRefs[i] ?? t;
      const mapped = fields.map((f) => c.aliases[f]?.[ref] ?? f);
      const inner = byId.get(t);
      if (inner) visit(inner, [...mapped, ...inner.groupBy], depth + 1);
      else for (const f of mapped) add(t, f);
    });
  };
  for (const c of correlations) visit(c, c.field ? [...c.groupBy, c.field] : c.groupBy, 0);
  return new Map([...need].map(([k, v]) => [k, [...v]]));
}

/**
 * The tool part of a user agent, without versions, so an upgrade is not a new tool: `aws-cli/2.15.30 Python/3.11`
 * → `aws-cli`, `Boto3/1.34.2 md/Botocore#1.34.2` → `boto3`, `[S3Browser]` → `s3browser`, `console.amazonaws.com`
 * stays. Lower-cased; brackets and quotes dropped.
 */
export function userAgentFamily(ua: string): string {
  const t = ua.trim().replace(/^[[("']+/, "");
  const m = /^[^\s/;()[\]]+/.exec(t);
  return (m ? m[0] : t).toLowerCase();
}
