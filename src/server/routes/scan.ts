// POST /api/scan (responder): multipart upload of CloudTrail files, scanned with the built-in Sigma rules by
// scanPaths(); returns the summary and the earliest findings (up to `limit`), and with ?createIncident=1 stores
// a draft incident whose technique tags carry the scan's evidence sample. Uploaded names must be plain file
// names (no folders, no `..`, no control characters): anything else is refused with 400. Files are written
// under a fresh private temporary folder, one sub-folder per file, removed after the scan.
// Bounded: findings stream through the scan and only `limit` of them are kept; at most `scanConcurrency` scans
// run at once (429 with Retry-After beyond) and each is stopped after `scanSeconds` (413).
// Fast for small uploads: the rules are compiled once and kept (recompiled when the rule files change), and an
// upload whose content is under SMALL_UPLOAD_BYTES is scanned on this thread, without starting workers.
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRoute } from "@hono/zod-openapi";
import { z } from "zod";
import { TechtrailError } from "../../core/errors.js";
import { Incident } from "../../incidents/model.js";
import { IncidentRegister } from "../../register/register.js";
import { Finding, ScanSummary } from "../../scan/model.js";
import { scanPaths } from "../../scan/scan.js";
import { compareFindings, SmallestN } from "../../scan/summary.js";
import { changeContext, type ServerDeps } from "../context.js";
import { TOO_LARGE } from "../errors.js";
import { Flag as flag, json, limitBody } from "../http.js";
import { access, errorResponses, jsonContent, rawBody, routeApp } from "../openapi.js";

export const ScanQuery = z.strictObject({
  createIncident: flag.optional(),
  title: z.string().trim().min(1).max(200).optional(),
  /** Findings returned in the response (the summary always covers all of them). */
  limit: z.coerce.number().int().min(0).max(20_000).default(2_000),
});

/** Uploads whose content (gzip files as inflated) is below this size are scanned without worker threads. */
export const SMALL_UPLOAD_BYTES = 4 * 1024 * 1024;

/**
 * The content size of an uploaded file: a gzip file's inflated size from its trailer (which only covers the
 * last member and wraps at 4 GiB, so a crafted file can understate it: the time limit still holds), else its
 * size.
 */
export function contentBytes(data: Uint8Array): number {
  const n = data.length;
  if (n < 18 || data[0] !== 0x1f || data[1] !== 0x8b) return n;
  return Math.max(n, Buffer.from(data.buffer, data.byteOffset, n).readUInt32LE(n - 4));
}

export const ScanResult = z.object({
  summary: ScanSummary,
  /** The `limit` earliest findings, in time order. */
  findings: z.array(Finding),
  truncated: z.boolean(),
  /** With createIncident: the draft incident and the technique IDs the catalog does not know. */
  incident: Incident.optional(),
  unknownTechniques: z.array(z.string()).optional(),
});
export type ScanResult = z.infer<typeof ScanResult>;

const scanRoute = createRoute({
  method: "post",
  path: "/",
  summary: "Scan uploaded CloudTrail files (multipart field `file`); ?createIncident=1 stores a draft incident",
  tags: ["scan"],
  ...access("responder"),
  request: {
    query: ScanQuery,
    body: rawBody({ "multipart/form-data": "one or more files in the field `file` (plain names only)" }),
  },
  responses: {
    200: jsonContent(ScanResult, "Findings and summary"),
    201: jsonContent(ScanResult, "Findings, summary and the draft incident"),
    ...errorResponses({ role: "responder", body: true }),
  },
});

/** Accepts a plain file name or explains why not. */
export function checkUploadName(name: string): string | undefined {
  if (name.length === 0) return "empty file name";
  if (name.length > 255) return "file name longer than 255 characters";
  if (/[/\\]/.test(name)) return "file name contains a path separator";
  if (name === "." || name === ".." || name.startsWith(".")) return "file name starts with a dot";
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
  if (/[\u0000-\u001f\u007f]/.test(name)) return "file name contains control characters";
  return undefined;
}

export function scanRoutes(deps: ServerDeps) {
  const reg = new IncidentRegister(deps.store, deps.catalog);
  const route = { ...scanRoute, middleware: [...scanRoute.middleware, limitBody(deps.limits.uploadBytes)] };

  let running = 0;

  return routeApp().openapi(route, async (c) => {
    const q = c.req.valid("query");
    if (running >= deps.limits.scanConcurrency)
      throw new TechtrailError(
        "RATE_LIMIT",
        `${running} scan(s) already running (the limit); try again in a few seconds`,
        { details: { retryAfterSeconds: 5, limit: deps.limits.scanConcurrency } },
      );
    running++;
    try {
      const type = c.req.header("content-type") ?? "";
      if (!/^multipart\/form-data/i.test(type))
        throw new TechtrailError("VALIDATION", "upload CloudTrail files as multipart/form-data in the field `file`", {
          details: { contentType: type || null },
        });
      let form: FormData;
      try {
        form = await c.req.raw.formData();
      } catch (e) {
        throw new TechtrailError("VALIDATION", `malformed multipart body: ${(e as Error).message}`);
      }
      const files = [...form.getAll("file"), ...form.getAll("files")].filter((v): v is File => typeof v !== "string");
      if (files.length === 0)
        throw new TechtrailError("VALIDATION", "no files uploaded; send them in the multipart field `file`", {
          problems: [{ field: "file", message: "at least one file is required" }],
        });
      if (files.length > deps.limits.uploadFiles)
        throw new TechtrailError("VALIDATION", `too many files (${files.length}); at most ${deps.limits.uploadFiles}`, {
          problems: [{ field: "file", message: `at most ${deps.limits.uploadFiles} files per upload` }],
        });
      const problems = files.flatMap((f, i) => {
        const why = checkUploadName(f.name);
        return why ? [{ field: `file.${i}`, message: `${JSON.stringify(f.name)}: ${why}` }] : [];
      });
      if (problems.length)
        throw new TechtrailError("VALIDATION", "refused file name(s): upload plain file names only", { problems });

      const dir = await mkdtemp(join(tmpdir(), "techtrail-upload-"));
      const limitSeconds = deps.limits.scanSeconds;
      const timeout = new AbortController();
      const timer = setTimeout(
        () =>
          timeout.abort(
            new TechtrailError(
              "VALIDATION",
              `scan stopped after ${limitSeconds} s, the server's limit per scan: upload fewer or smaller files, or scan them with the techtrail CLI`,
              { details: { reason: TOO_LARGE, limit: "scanSeconds", limitSeconds } },
            ),
          ),
        limitSeconds * 1000,
      );
      try {
        const paths: string[] = [];
        let bytes = 0;
        for (const [i, f] of files.entries()) {
          const sub = join(dir, String(i));
          await mkdir(sub, { mode: 0o700 });
          const p = join(sub, f.name);
          const data = new Uint8Array(await f.arrayBuffer());
          bytes += contentBytes(data);
          await writeFile(p, data, { mode: 0o600 });
          paths.push(p);
        }
        // Report the uploaded names, never the temporary paths.
        const prefix = new RegExp(`${dir.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}/\\d+/`, "g");
        const rename = (f: Finding): Finding => ({
          ...f,
          origin: { ...f.origin, file: f.origin.file.replace(prefix, "") },
        });
        // findings stream by; only the `limit` earliest are kept
        const shown = new SmallestN<Finding>(q.limit, compareFindings);
        // Small uploads scan on this thread: starting worker threads (each compiling every rule) costs far more
        // than scanning a few thousand events. The in-thread scan lets other requests run every few
        // milliseconds, and the time limit holds.
        const result = await scanPaths(paths, bytes < SMALL_UPLOAD_BYTES ? { workers: 0 } : {}, {
          catalog: deps.catalog,
          ruleCache: deps.ruleCache,
          signal: timeout.signal,
          onFindings: (batch) => {
            for (const f of batch) shown.add(f);
          },
        });
        const summary = JSON.parse(JSON.stringify(result.summary).replace(prefix, "")) as ScanSummary;
        const body: ScanResult = {
          summary,
          findings: shown.items.map(rename),
          truncated: result.summary.findings.total > shown.items.length,
        };
        if (q.createIncident) {
          const opts: Parameters<IncidentRegister["createFromFindings"]>[1] = {
            source: files.map((f) => f.name).join(", "),
            totals: {
              findings: result.summary.findings.total,
              byTechnique: Object.fromEntries(result.summary.techniques.map((t) => [t.id, t.findings])),
            },
          };
          if (q.title !== undefined) opts.title = q.title;
          const made = await reg.createFromFindings(
            result.evidence.map(rename),
            opts,
            changeContext(c, "created from a scan upload"),
          );
          body.incident = made.incident;
          body.unknownTechniques = made.unknown;
        }
        return q.createIncident ? json(c, body, 201) : json(c, body, 200);
      } finally {
        clearTimeout(timer);
        await rm(dir, { recursive: true, force: true });
      }
    } finally {
      running--;
    }
  });
}
