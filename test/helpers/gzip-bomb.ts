// A gzip "bomb" of CloudTrail records that all match a built-in rule (StopLogging → T1562.008): a few MB on disk,
// hundreds of MB inflated. Used by the memory and server-health tests of the scan output path.
import { writeFileSync } from "node:fs";
import { gzipSync } from "node:zlib";

/** One matching CloudTrail record (about 600 bytes as JSON). */
export function stopLoggingRecord(i = 0): Record<string, unknown> {
  return {
    eventVersion: "1.08",
    userIdentity: {
      type: "AssumedRole",
      principalId: "AROAEXAMPLEROLEID:attacker",
      arn: "arn:aws:sts::111122223333:assumed-role/ops/attacker",
      accountId: "111122223333",
      accessKeyId: "ASIAEXAMPLEKEY000001",
    },
    eventTime: `2024-03-0${1 + (i % 9)}T12:00:00Z`,
    eventSource: "cloudtrail.amazonaws.com",
    eventName: "StopLogging",
    awsRegion: "us-east-1",
    sourceIPAddress: "203.0.113.7",
    userAgent: "aws-cli/2.15.0 Python/3.11.6 Linux/6.1 exe/x86_64",
    requestParameters: { name: "arn:aws:cloudtrail:us-east-1:111122223333:trail/main" },
    responseElements: null,
    requestID: "7c5c3a5e-0000-4000-8000-000000000000",
    // 100 distinct IDs, so evidence (deduplicated by rule and event) has distinct events to keep
    eventID: `0b6b8b4e-0000-4000-8000-0000000000${String(i % 100).padStart(2, "0")}`,
    readOnly: false,
    eventType: "AwsApiCall",
    managementEvent: true,
    recipientAccountId: "111122223333",
  };
}

/**
 * A gzip file of `records` matching records, `{"Records": [...]}` (as S3 delivers CloudTrail) or JSON Lines.
 * Made of gzip members (a valid multi-member gzip file, as `cat a.gz b.gz` makes): one block of records is
 * compressed once and repeated, so a bomb of hundreds of MB inflated takes well under a second to write.
 */
export function gzipBomb(records: number, format: "records" | "jsonl" = "records"): Buffer {
  const sep = format === "records" ? "," : "\n";
  const perBlock = 9_000;
  const texts = Array.from({ length: perBlock }, (_, i) => JSON.stringify(stopLoggingRecord(i)));
  const blockText = `${texts.join(sep)}${sep}`;
  const block = gzipSync(blockText, { level: 9 });
  const blocks = Math.floor(records / perBlock);
  const rest = records - blocks * perBlock;
  const restRecords = texts.slice(0, rest);
  const parts: Buffer[] = [];
  if (format === "records") parts.push(gzipSync('{"Records":['));
  for (let i = 0; i < blocks; i++) parts.push(block);
  // the last record closes the array (no trailing comma)
  if (format === "records")
    parts.push(gzipSync(`${[...restRecords, JSON.stringify(stopLoggingRecord(0))].join(",")}]}`));
  else if (rest > 0) parts.push(gzipSync(`${restRecords.join("\n")}\n`));
  return Buffer.concat(parts);
}

/** Records in a bomb of `records` (the `{"Records"}` form has one more, closing the array). */
export const bombRecords = (records: number, format: "records" | "jsonl" = "records") =>
  format === "records" ? records + 1 : records;

export function writeGzipBomb(file: string, records: number, format: "records" | "jsonl" = "records"): void {
  writeFileSync(file, gzipBomb(records, format));
}
