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
] as const;

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
  ];
}

export const csvHeader = (): string => CSV_COLUMNS.join(",");
export const findingCsv = (f: Finding): string => findingRow(f).map(csvCell).join(",");
export const findingJsonl = (f: Finding): string => JSON.stringify(f);
