// A generated CloudTrail delivery tree for tests of pruning and S3 input: days × accounts × regions of gzip
// files in the S3 layout (one account under an organisation trail), each holding benign events and one
// StopLogging event, plus one late-delivered event per stream and file outside the layout.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { gzipSync } from "node:zlib";

export const TRAIL_RULE = {
  source: "stop-logging.yml",
  text: `title: Trail stopped
id: r-stop-logging
level: high
tags: [attack.t1562.008]
logsource: {product: aws, service: cloudtrail}
detection:
  selection:
    eventSource: cloudtrail.amazonaws.com
    eventName: StopLogging
  condition: selection
`,
};

export const TRAIL_ACCOUNTS = ["111122223333", "444455556666"] as const;
export const TRAIL_REGIONS = ["us-east-1", "eu-west-1"] as const;
export const TRAIL_ORG = "o-abcdef1234";
/** Delivery times of the files of each day (UTC hour:minute). */
export const TRAIL_FILE_TIMES = ["00:20", "06:20", "12:20", "18:20"] as const;

export interface TrailFile {
  /** Relative path (also the S3 key). */
  path: string;
  body: Buffer;
}

const pad = (n: number, w = 2) => String(n).padStart(w, "0");

function event(id: string, time: Date, account: string, region: string, name: string, source: string) {
  return {
    eventVersion: "1.09",
    userIdentity: {
      type: "IAMUser",
      arn: `arn:aws:iam::${account}:user/ops`,
      accountId: account,
      accessKeyId: "AKIAEXAMPLE",
    },
    eventTime: time.toISOString().replace(/\.\d{3}Z$/, "Z"),
    eventSource: source,
    eventName: name,
    awsRegion: region,
    sourceIPAddress: "198.51.100.7",
    userAgent: "aws-cli/2.15.0",
    eventID: id,
    recipientAccountId: account,
  };
}

/**
 * The files of a tree of `days` days from `start` (a UTC date). Each file holds `benign` DescribeInstances
 * events in the five minutes before its delivery time and one StopLogging; the first file of each day after the
 * first also holds a StopLogging from 23:58 of the day before (delivered late, so found in the next day's folder).
 */
export function trailFiles(start: string, days: number, benign = 20): TrailFile[] {
  const out: TrailFile[] = [];
  const t0 = Date.parse(`${start}T00:00:00Z`);
  for (let d = 0; d < days; d++) {
    const day = new Date(t0 + d * 86_400_000);
    const [y, m, dd] = [day.getUTCFullYear(), pad(day.getUTCMonth() + 1), pad(day.getUTCDate())];
    for (const [ai, account] of TRAIL_ACCOUNTS.entries()) {
      const base = ai === 1 ? `AWSLogs/${TRAIL_ORG}/${account}` : `AWSLogs/${account}`;
      for (const region of TRAIL_REGIONS) {
        for (const [fi, hm] of TRAIL_FILE_TIMES.entries()) {
          const [hh, mm] = hm.split(":").map(Number) as [number, number];
          const delivered = Date.UTC(y, day.getUTCMonth(), day.getUTCDate(), hh, mm);
          const stamp = `${y}${m}${dd}T${pad(hh)}${pad(mm)}Z`;
          const records: unknown[] = [];
          for (let i = 0; i < benign; i++)
            records.push(
              event(
                `b-${account}-${region}-${stamp}-${i}`,
                new Date(delivered - 300_000 + i * 1000),
                account,
                region,
                "DescribeInstances",
                "ec2.amazonaws.com",
              ),
            );
          records.push(
            event(
              `s-${account}-${region}-${stamp}`,
              new Date(delivered - 120_000),
              account,
              region,
              "StopLogging",
              "cloudtrail.amazonaws.com",
            ),
          );
          if (fi === 0 && d > 0)
            records.push(
              event(
                `late-${account}-${region}-${stamp}`,
                new Date(Date.UTC(y, day.getUTCMonth(), day.getUTCDate()) - 120_000),
                account,
                region,
                "StopLogging",
                "cloudtrail.amazonaws.com",
              ),
            );
          out.push({
            path: `${base}/CloudTrail/${region}/${y}/${m}/${dd}/${account}_CloudTrail_${region}_${stamp}_abc${fi}.json.gz`,
            body: gzipSync(JSON.stringify({ Records: records })),
          });
        }
      }
    }
  }
  // outside the layout: read whatever the window, its events filtered by eventTime
  const lines = [0, 10, 45].map((d) =>
    JSON.stringify(
      event(
        `x-${d}`,
        new Date(t0 + d * 86_400_000 + 43_200_000),
        TRAIL_ACCOUNTS[0],
        "us-east-1",
        "StopLogging",
        "cloudtrail.amazonaws.com",
      ),
    ),
  );
  out.push({ path: "exports/extra.jsonl", body: Buffer.from(`${lines.join("\n")}\n`) });
  return out;
}

export function writeTrail(root: string, files: readonly TrailFile[]): void {
  for (const f of files) {
    const p = join(root, f.path);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, f.body);
  }
}
