// S3 input: lists a CloudTrail bucket by the delivery layout (pruned by the scan window before any object is
// read) and streams objects to the scan engine. Uses @aws-sdk/client-s3 with the standard credential chain and
// the SDK's retry strategy (back-off on throttling and 5xx). Loaded only when an s3:// input is scanned.
import type { Readable } from "node:stream";
import { isMainThread } from "node:worker_threads";
import {
  GetObjectCommand,
  type GetObjectCommandOutput,
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
  S3Client,
  type S3ClientConfig,
} from "@aws-sdk/client-s3";
import { TechtrailError } from "../core/errors.js";
import type { LayoutPruner } from "./prune.js";
import type { S3Location, S3Settings } from "./s3-settings.js";

// The SDK warns on every start under Node 20 that future releases will need Node 22; the pinned release
// supports Node 20, and the warning would only clutter stderr.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

/** One S3 client per thread and settings (clients keep connections and resolved credentials). */
const clients = new Map<string, S3Client>();

/** The client config for the settings; the endpoint may come from AWS_ENDPOINT_URL_S3 (or AWS_ENDPOINT_URL). */
export function s3ClientConfig(s: Partial<S3Settings> = {}): S3ClientConfig {
  const endpoint = s.endpoint ?? process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL;
  return {
    region: s.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? "us-east-1",
    ...(endpoint ? { endpoint } : {}),
    // S3-compatible servers on a host name or IP address need path-style URLs
    forcePathStyle: s.forcePathStyle ?? endpoint !== undefined,
    maxAttempts: s.maxAttempts ?? 5,
    retryMode: s.retryMode ?? "standard",
  };
}

export function s3Client(s: Partial<S3Settings> = {}): S3Client {
  const key = JSON.stringify(s);
  let c = clients.get(key);
  if (!c) {
    c = new S3Client(s3ClientConfig(s));
    clients.set(key, c);
  }
  return c;
}

interface SdkError {
  name?: string;
  message?: string;
  Code?: string;
  code?: string;
  $metadata?: { httpStatusCode?: number; attempts?: number };
  $response?: { headers?: Record<string, string> };
}

/**
 * A message for people naming the bucket or object and what to do: missing or denied credentials, a bucket in
 * another region, a missing bucket or key, throttling that outlasted the retries, an unreachable endpoint.
 */
export function s3ErrorText(e: unknown, where: string, region?: string): string {
  const err = (e ?? {}) as SdkError;
  const name = err.name ?? err.Code ?? err.code ?? "Error";
  const status = err.$metadata?.httpStatusCode;
  const attempts = err.$metadata?.attempts;
  const msg = (err.message ?? String(e)).replace(/\s+/g, " ").trim();
  if (name === "CredentialsProviderError" || /Could not load credentials/i.test(msg))
    return `${where}: no AWS credentials found (the standard chain: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE and ~/.aws, SSO, web identity, container or instance role): ${msg}`;
  if (
    name === "PermanentRedirect" ||
    name === "AuthorizationHeaderMalformed" ||
    name === "IllegalLocationConstraintException" ||
    status === 301
  ) {
    const other = err.$response?.headers?.["x-amz-bucket-region"] ?? /expecting '([a-z0-9-]+)'/.exec(msg)?.[1];
    return `${where}: the bucket is in another region${other ? ` (${other})` : ""} than the client's${region ? ` (${region})` : ""}: pass --s3-region ${other ?? "REGION"} or set AWS_REGION`;
  }
  if (
    name === "AccessDenied" ||
    name === "InvalidAccessKeyId" ||
    name === "SignatureDoesNotMatch" ||
    name === "ExpiredToken" ||
    name === "InvalidToken" ||
    status === 403
  )
    return `${where}: access denied (${name}: ${msg}); the credentials need s3:ListBucket on the bucket and s3:GetObject on its keys`;
  if (name === "NoSuchBucket") return `${where}: no such bucket`;
  if (name === "NoSuchKey" || (status === 404 && where.includes("/")))
    return `${where}: no such object (deleted since it was listed?)`;
  if (name === "SlowDown" || name === "Throttling" || name === "ThrottlingException" || status === 503)
    return `${where}: throttled by S3 after ${attempts ?? "several"} attempt(s) (${name}); retry later or raise --s3-max-attempts`;
  const code = (e as NodeJS.ErrnoException)?.code;
  if (code === "ECONNREFUSED" || code === "ENOTFOUND" || code === "ETIMEDOUT" || code === "ECONNRESET")
    return `${where}: cannot reach the S3 endpoint (${code}: ${msg})`;
  return `${where}: ${name}${status ? ` (HTTP ${status})` : ""}: ${msg}`;
}

type ObjectRef = { bucket: string; key: string; file: string };

/** Requests started ahead of the scan (by file): their bodies wait, paused, until the engine reads them. */
const prefetched = new Map<string, Promise<Readable>>();
/** Objects opened before their prefetch was asked for (the prefetch then does nothing). */
const openedFirst = new Set<string>();

/**
 * Starts fetching an object the thread will scan soon, so several requests are in flight while one object is
 * scanned. Memory stays bounded: an unread body is a paused socket, and the pool bounds the units per thread.
 */
export function prefetchS3Object(unit: ObjectRef, settings: Partial<S3Settings> | undefined): void {
  if (openedFirst.delete(unit.file) || prefetched.has(unit.file)) return;
  const p = fetchBody(unit, settings);
  p.catch(() => undefined); // reported when the unit is scanned
  prefetched.set(unit.file, p);
}

/** Opens an object as a byte stream (gzip is recognised by the engine from its first bytes). */
export function openS3Object(unit: ObjectRef, settings: Partial<S3Settings> | undefined): Promise<Readable> {
  const p = prefetched.get(unit.file);
  if (p) {
    prefetched.delete(unit.file);
    return p;
  }
  if (!isMainThread) openedFirst.add(unit.file); // only worker threads prefetch
  return fetchBody(unit, settings);
}

async function fetchBody(unit: ObjectRef, settings: Partial<S3Settings> | undefined): Promise<Readable> {
  const client = s3Client(settings);
  let out: GetObjectCommandOutput;
  try {
    out = await client.send(new GetObjectCommand({ Bucket: unit.bucket, Key: unit.key }));
  } catch (e) {
    throw new Error(s3ErrorText(e, unit.file, await regionOf(client)));
  }
  if (!out.Body) throw new Error(`${unit.file}: the object has no body`);
  return out.Body as Readable;
}

async function regionOf(client: S3Client): Promise<string | undefined> {
  try {
    return await client.config.region();
  } catch {
    return undefined;
  }
}

export interface S3Object {
  bucket: string;
  key: string;
  size: number;
}

export interface S3Listing {
  objects: S3Object[];
  /** Prefixes (folders) left out by the window, never listed. */
  prunedFolders: number;
  /** Objects listed and left out by the window (file name time, or a folder level listed with its files). */
  prunedFiles: number;
}

/**
 * Lists `s3://bucket/prefix` folder by folder (delimiter `/`), dropping prefixes the pruner rules out before
 * listing them, so a one-day question lists only that day's folders. Up to `concurrency` listings run at once.
 * Errors (credentials, access, region, missing bucket) stop the scan with a message naming the bucket.
 */
export async function listS3(
  loc: S3Location,
  pruner: LayoutPruner | undefined,
  settings: Partial<S3Settings> | undefined,
  concurrency = 8,
): Promise<S3Listing> {
  const client = s3Client(settings);
  const result: S3Listing = { objects: [], prunedFolders: 0, prunedFiles: 0 };
  // a prefix that names a folder is listed as one; a partial name ("AWSLogs/1234") lists what starts with it
  const start = loc.prefix;
  const queue: string[] = [start];
  let active = 0;
  let failed: unknown;
  await new Promise<void>((resolve, reject) => {
    const next = () => {
      if (failed !== undefined) return;
      while (active < concurrency && queue.length > 0) {
        const prefix = queue.shift() as string;
        active++;
        listLevel(prefix).then(
          () => {
            active--;
            if (queue.length === 0 && active === 0) resolve();
            else next();
          },
          (e) => {
            failed = e;
            reject(e);
          },
        );
      }
      if (queue.length === 0 && active === 0) resolve();
    };
    const listLevel = async (prefix: string) => {
      let token: string | undefined;
      do {
        let page: ListObjectsV2CommandOutput;
        try {
          page = await client.send(
            new ListObjectsV2Command({
              Bucket: loc.bucket,
              Prefix: prefix,
              Delimiter: "/",
              ...(token ? { ContinuationToken: token } : {}),
            }),
          );
        } catch (e) {
          const where = `s3://${loc.bucket}/${prefix}`;
          const text = s3ErrorText(e, where, await regionOf(client));
          const name = (e as SdkError).name ?? "";
          const code = /credentials|denied/.test(text) ? "AUTH" : name === "NoSuchBucket" ? "NOT_FOUND" : "IO";
          throw new TechtrailError(code, `cannot list ${where}`, {
            problems: [{ source: where, message: text }],
            cause: e,
          });
        }
        for (const cp of page.CommonPrefixes ?? []) {
          const p = cp.Prefix;
          if (!p) continue;
          if (pruner && !pruner.keep(p.split("/").filter(Boolean), false)) result.prunedFolders++;
          else queue.push(p);
        }
        for (const o of page.Contents ?? []) {
          const key = o.Key;
          if (!key || key.endsWith("/")) continue;
          if (pruner && !pruner.keep(key.split("/"), true)) result.prunedFiles++;
          else result.objects.push({ bucket: loc.bucket, key, size: o.Size ?? 0 });
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
    };
    next();
  });
  // listing order depends on timing; scans want a stable order
  result.objects.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return result;
}
