// Settings of S3 input (`scan s3://bucket/prefix`), plain data so they travel to worker threads. Kept apart from
// s3.ts so that loading the scan engine does not load the AWS SDK.
import { z } from "zod";
import { TechtrailError } from "../core/errors.js";

export const S3Settings = z.strictObject({
  /** Endpoint URL (an S3-compatible server, a VPC endpoint); default: AWS_ENDPOINT_URL_S3, else AWS's. */
  endpoint: z.url().optional(),
  /** Region of the client (default: the SDK's chain: AWS_REGION, the profile, else us-east-1). */
  region: z.string().optional(),
  /** Path-style addressing (`endpoint/bucket/key`); default: on when an endpoint is set. */
  forcePathStyle: z.boolean().optional(),
  /** Attempts per request, with the SDK's back-off on throttling and 5xx (standard retry mode). */
  maxAttempts: z.number().int().min(1).max(20).default(5),
  /** `standard` or `adaptive` (client-side rate limiting on throttling). */
  retryMode: z.enum(["standard", "adaptive"]).default("standard"),
  /** Objects fetched at once, over all worker threads (bounds connections and memory). */
  concurrency: z.number().int().min(1).max(256).default(16),
});
export type S3Settings = z.output<typeof S3Settings>;

export interface S3Location {
  bucket: string;
  /** Key prefix ("" for the whole bucket). */
  prefix: string;
}

export const isS3Url = (p: string): boolean => /^s3:\/\//i.test(p);

/** `s3://bucket/prefix` → bucket and prefix; a clear error for anything else. */
export function parseS3Url(url: string): S3Location {
  const m = /^s3:\/\/([^/]+)(?:\/(.*))?$/i.exec(url);
  const bucket = m?.[1];
  if (!bucket || !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket))
    throw new TechtrailError("VALIDATION", `${url}: not an S3 location (expected s3://bucket or s3://bucket/prefix)`);
  return { bucket, prefix: m?.[2] ?? "" };
}
