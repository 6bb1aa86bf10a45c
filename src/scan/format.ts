// Serialisations of findings shared by the CLI and the server: JSON Lines, CSV (RFC 4180) and a flat row.
import { csvCell } from "../core/csv-cell.js";
import type { Finding } from "./model.js";

export const CSV_COLUMNS = [
  "eventTime",
  "ruleId",
  "ruleTitle",
  "level",
  "techniques",
  "tactics",
  "eventSource",
  "eventName",
  "errorCode",
  "attempt",
  "principalArn",
  "accessKeyId",
  "accountId",
  "awsRegion",
  "sourceIPAddress",
  "userAgent",
  "eventID",
  "file",
  "line",
  "index",
  "actors",
] as const;

/** A finding's actor marks for people: `Ember Wasp (ACT-0001) cidr:203.0.113.0/24`, one per matched indicator. */
export function actorMarks(f: Pick<Finding, "actors">): string[] {
  return (f.actors ?? []).map((a) => `${a.name} (${a.id}) ${a.indicator.type}:${a.indicator.value}`);
}

/** One flat row per finding (lists joined with ";"). */
export function findingRow(f: Finding): string[] {
  return [
    f.eventTime ?? "",
    f.rule.id,
    f.rule.title,
    f.rule.level,
    f.techniques.join(";"),
    f.tactics.join(";"),
    f.eventSource ?? "",
    f.eventName ?? "",
    f.errorCode ?? "",
    String(f.attempt),
    f.principalArn ?? "",
    f.accessKeyId ?? "",
    f.accountId ?? "",
    f.awsRegion ?? "",
    f.sourceIPAddress ?? "",
    f.userAgent ?? "",
    f.eventID ?? "",
    f.origin.file,
    f.origin.line !== undefined ? String(f.origin.line) : "",
    f.origin.index !== undefined ? String(f.origin.index) : "",
    actorMarks(f).join(";"),
  ];
}

export const csvHeader = (): string => CSV_COLUMNS.join(",");
export const findingCsv = (f: Finding): string => findingRow(f).map(csvCell).join(",");
export const findingJsonl = (f: Finding): string => JSON.stringify(f);

/** Groups shown by the collapsed table at most; findings of further groups are counted only. */
export const GROUP_LIMIT = 10_000;

/** One row of the collapsed table: findings of one rule, principal and event name. */
export interface FindingGroup {
  rule: Finding["rule"];
  techniques: string[];
  principal: string;
  eventSource: string | undefined;
  eventName: string | undefined;
  /** The detector, for findings read from one (eventName is then the finding type). */
  detector?: string | undefined;
  count: number;
  /** Findings of failed calls (attempts). */
  failed: number;
  first: string | undefined;
  last: string | undefined;
  /** Names of the known actors whose indicators any of the group's findings matched, in order of first match. */
  actors: string[];
}

/**
 * Collapses repeats for people: findings with the same rule, principal and event name become one group with a
 * count and the first and last time. Bounded: after GROUP_LIMIT groups, findings of new groups are counted in
 * `ungrouped` only.
 */
export class FindingGroups {
  private readonly groups = new Map<string, FindingGroup>();
  ungrouped = 0;

  constructor(private readonly limit = GROUP_LIMIT) {}

  add(f: Finding): void {
    const principal = f.principalArn ?? f.accessKeyId ?? f.detector?.resources[0]?.id ?? "(unknown principal)";
    const key = `${f.rule.id}\u0000${principal}\u0000${f.eventName ?? ""}`;
    let g = this.groups.get(key);
    if (!g) {
      if (this.groups.size >= this.limit) {
        this.ungrouped++;
        return;
      }
      g = {
        rule: f.rule,
        techniques: f.techniques,
        principal,
        eventSource: f.eventSource,
        eventName: f.eventName,
        detector: f.detector?.detector,
        count: 0,
        failed: 0,
        first: f.eventTime,
        last: f.eventTime,
        actors: [],
      };
      this.groups.set(key, g);
    }
    g.count++;
    if (f.attempt) g.failed++;
    for (const a of f.actors ?? []) if (!g.actors.includes(a.name)) g.actors.push(a.name);
    const t = f.eventTime;
    if (t !== undefined) {
      if (g.first === undefined || t < g.first) g.first = t;
      if (g.last === undefined || t > g.last) g.last = t;
    }
  }

  get size(): number {
    return this.groups.size;
  }

  /** Groups by first time, then rule title, then principal. */
  sorted(): FindingGroup[] {
    return [...this.groups.values()].sort(
      (a, b) =>
        (a.first ?? "").localeCompare(b.first ?? "") ||
        a.rule.title.localeCompare(b.rule.title) ||
        a.principal.localeCompare(b.principal),
    );
  }
}
