// Request helpers shared by the route modules: JSON bodies and query strings parsed and validated with the
// library's zod schemas, so every bad input becomes a VALIDATION error naming the field.
import type { Context, MiddlewareHandler } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { z } from "zod";
import { TechtrailError, zodProblems } from "../core/errors.js";
import { TOO_LARGE } from "./errors.js";

export const KB = 1024;
export const MB = 1024 * 1024;

/** Rejects bodies over `maxBytes` with 413 before a handler reads them (declared or streamed length). */
export function limitBody(maxBytes: number): MiddlewareHandler {
  return async (c, next) => {
    const raw = c.req.raw;
    if (!raw.body) return next();
    const declared = raw.headers.get("content-length");
    const fail = () => {
      throw new TechtrailError("VALIDATION", `request body too large (limit ${formatBytes(maxBytes)})`, {
        details: { reason: TOO_LARGE, limitBytes: maxBytes },
      });
    };
    if (declared !== null && !raw.headers.has("transfer-encoding")) {
      if (Number(declared) > maxBytes) fail();
      return next();
    }
    // No length declared: read up to the limit and hand the buffered body on.
    const chunks: Uint8Array[] = [];
    let size = 0;
    const reader = raw.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.length;
      if (size > maxBytes) {
        await reader.cancel().catch(() => undefined);
        fail();
      }
      chunks.push(value);
    }
    c.req.raw = new Request(raw, { body: Buffer.concat(chunks), duplex: "half" } as RequestInit);
    return next();
  };
}

export function formatBytes(n: number): string {
  return n >= MB ? `${Math.round((n / MB) * 10) / 10} MB` : n >= KB ? `${Math.round(n / KB)} KB` : `${n} bytes`;
}

/** Summarises zod problems into one readable message: `invalid request body: title: Too big...`. */
export function validationError(what: string, issues: z.core.$ZodIssue[], source?: string): TechtrailError {
  const problems = zodProblems(flattenUnions(issues), source);
  const first = problems
    .slice(0, 3)
    .map((p) => (p.field ? `${p.field}: ${p.message}` : p.message))
    .join("; ");
  const more = problems.length > 3 ? ` (and ${problems.length - 3} more)` : "";
  return new TechtrailError("VALIDATION", `invalid ${what}: ${first}${more}`, { problems });
}

/** Replaces "Invalid input" of a union by the issues of its closest branch, so the message names the real field. */
function flattenUnions(issues: readonly z.core.$ZodIssue[]): z.core.$ZodIssue[] {
  return issues.flatMap((i) => {
    if (i.code !== "invalid_union" || !Array.isArray(i.errors) || i.errors.length === 0) return [i];
    const best = [...i.errors].sort((a, b) => a.length - b.length)[0] ?? [];
    if (best.length === 0) return [i];
    return flattenUnions(best).map((b) => ({ ...b, path: [...i.path, ...b.path] }));
  });
}

/** Reads the raw JSON value of a request body; malformed JSON or a wrong content type is VALIDATION. */
export async function readJsonValue(c: Context): Promise<unknown> {
  const type = c.req.header("content-type") ?? "";
  if (!/^application\/([a-z.+-]*\+)?json\b/i.test(type))
    throw new TechtrailError("VALIDATION", "expected a JSON body with Content-Type: application/json", {
      details: { contentType: type || null },
    });
  const text = await c.req.text();
  if (text.trim() === "") throw new TechtrailError("VALIDATION", "request body is empty; expected JSON");
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new TechtrailError("VALIDATION", `malformed JSON in request body: ${(e as Error).message}`, {
      details: { reason: "malformed-json" },
    });
  }
}

/** Reads and validates a JSON body with a schema. */
export async function readJson<T extends z.ZodType>(c: Context, schema: T): Promise<z.output<T>> {
  const value = await readJsonValue(c);
  const r = schema.safeParse(value);
  if (!r.success) throw validationError("request body", r.error.issues);
  return r.data;
}

/** Validates the query string (single values; repeated keys are joined with commas). */
export function readQuery<T extends z.ZodType>(c: Context, schema: T): z.output<T> {
  const all = c.req.queries();
  const flat: Record<string, string> = {};
  for (const [k, v] of Object.entries(all)) flat[k] = v.join(",");
  const r = schema.safeParse(flat);
  if (!r.success) throw validationError("query", r.error.issues);
  return r.data;
}

/**
 * JSON text safe to embed anywhere: `<`, `>`, `&` and the JS line separators are written as \u escapes, so
 * HTML or script inside incident text can never be interpreted even if a response were sniffed or inlined.
 */
export function safeJsonText(value: unknown): string {
  return JSON.stringify(value).replace(
    /[<>&\u2028\u2029]/g,
    (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/** A JSON response written with safeJsonText. */
export function json(c: Context, value: unknown, status: ContentfulStatusCode = 200): Response {
  return c.body(safeJsonText(value), status, { "Content-Type": "application/json; charset=UTF-8" });
}

/** A JSON response from already serialised (safe) text or its UTF-8 bytes. */
export function jsonText(c: Context, text: string | Uint8Array): Response {
  return c.body(text as string | Uint8Array<ArrayBuffer>, 200, { "Content-Type": "application/json; charset=UTF-8" });
}

/** Comma-separated list in a query parameter. */
export function csv(v: string | undefined): string[] | undefined {
  if (v === undefined) return undefined;
  const parts = v
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  return parts.length ? parts : undefined;
}
