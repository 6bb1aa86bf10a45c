// The one place where TechtrailError codes become HTTP statuses, and the JSON error body
// `{"error":{"code","message","details"}}` every failing request returns.
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { z } from "zod";
import { type ErrorCode, isTechtrailError, TechtrailError } from "../core/errors.js";
import { json } from "./http.js";

const STATUS: Record<ErrorCode, ContentfulStatusCode> = {
  VALIDATION: 400,
  PARSE: 400,
  NOT_FOUND: 404,
  CONFLICT: 409,
  UNSUPPORTED: 422,
  IO: 500,
  AUTH: 401,
  FORBIDDEN: 403,
  RATE_LIMIT: 429,
  INTERNAL: 500,
};

/** Marker in `details.reason` for bodies over the size limit: still a VALIDATION error, answered with 413. */
export const TOO_LARGE = "body-too-large";

export function statusFor(e: TechtrailError): ContentfulStatusCode {
  const d = e.details as { reason?: unknown } | undefined;
  if (e.code === "VALIDATION" && d && typeof d === "object" && d.reason === TOO_LARGE) return 413;
  return STATUS[e.code] ?? 500;
}

export const ErrorBody = z.object({
  error: z.object({
    code: z.enum([
      "VALIDATION",
      "PARSE",
      "NOT_FOUND",
      "CONFLICT",
      "UNSUPPORTED",
      "IO",
      "AUTH",
      "FORBIDDEN",
      "RATE_LIMIT",
      "INTERNAL",
    ]),
    message: z.string(),
    /** `problems` (located problems: field, message, ...) and code-specific facts. */
    details: z.record(z.string(), z.unknown()),
  }),
});
export type ErrorBody = z.infer<typeof ErrorBody>;

export function errorBody(e: TechtrailError): ErrorBody {
  const details: Record<string, unknown> =
    e.details && typeof e.details === "object" && !Array.isArray(e.details)
      ? { ...(e.details as Record<string, unknown>) }
      : e.details !== undefined
        ? { value: e.details }
        : {};
  if (e.problems.length > 0) details.problems = e.problems;
  return { error: { code: e.code, message: e.message, details } };
}

/** Turns anything thrown by a handler into a TechtrailError (unknown errors become INTERNAL without internals). */
export function toTechtrailError(err: unknown): TechtrailError {
  if (isTechtrailError(err)) return err;
  if (err instanceof HTTPException) {
    const s = err.status;
    // The request validators' own refusals, in this service's words.
    if (s === 415)
      return new TechtrailError("VALIDATION", "expected a JSON body with Content-Type: application/json", {
        details: { reason: "content-type" },
      });
    if (s === 400 && /malformed json/i.test(err.message))
      return new TechtrailError("VALIDATION", "malformed JSON in request body", {
        details: { reason: "malformed-json" },
      });
    const code: ErrorCode =
      s === 401
        ? "AUTH"
        : s === 403
          ? "FORBIDDEN"
          : s === 404
            ? "NOT_FOUND"
            : s === 429
              ? "RATE_LIMIT"
              : s < 500
                ? "VALIDATION"
                : "INTERNAL";
    return new TechtrailError(code, err.message || `HTTP ${s}`);
  }
  return new TechtrailError("INTERNAL", "internal server error", { cause: err });
}

export function errorResponse(c: Context, err: unknown): Response {
  const e = toTechtrailError(err);
  const res = json(c, errorBody(e), statusFor(e));
  if (e.code === "RATE_LIMIT") {
    const retry = (e.details as { retryAfterSeconds?: number } | undefined)?.retryAfterSeconds;
    if (retry !== undefined) res.headers.set("Retry-After", String(retry));
  }
  return res;
}
