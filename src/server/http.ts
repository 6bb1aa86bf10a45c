// Response and input helpers shared by the route modules: typed JSON responses written safely, body limits, the
// VALIDATION error every bad input becomes (naming the field), and comma-separated list parameters.
import type { Context, MiddlewareHandler, TypedResponse } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { JSONParsed } from "hono/utils/types";
import { z } from "zod";
import { TechtrailError, zodProblems } from "../core/errors.js";
import { TOO_LARGE } from "./errors.js";

export const KB = 1024;
export const MB = 1024 * 1024;

/** Rejects bodies over `maxBytes` with 413 before a handler reads them (declared or streamed length). */
export function limitBody(maxBytes: number): MiddlewareHandler {
  return bodyLimit({
    maxSize: maxBytes,
    onError: () => {
      throw new TechtrailError("VALIDATION", `request body too large (limit ${formatBytes(maxBytes)})`, {
        details: { reason: TOO_LARGE, limitBytes: maxBytes },
      });
    },
  });
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

/** A JSON response as Hono's c.json() types it (so route declarations check it), written with safeJsonText. */
export type JsonResponse<T, S extends ContentfulStatusCode = 200> = Response & TypedResponse<JSONParsed<T>, S, "json">;

export function json<T, S extends ContentfulStatusCode = 200>(c: Context, value: T, status?: S): JsonResponse<T, S> {
  return c.body(safeJsonText(value), status ?? 200, {
    "Content-Type": "application/json; charset=UTF-8",
  }) as unknown as JsonResponse<T, S>;
}

/** A JSON response of type T from already serialised (safe) text or its UTF-8 bytes. */
export function jsonText<T>(c: Context, text: string | Uint8Array): JsonResponse<T> {
  return c.body(text as string | Uint8Array<ArrayBuffer>, 200, {
    "Content-Type": "application/json; charset=UTF-8",
  }) as unknown as JsonResponse<T>;
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

/** A list query parameter: comma-separated values (a repeated key counts too), each checked by `item`. */
export const listParam = <T extends z.ZodType<unknown, string>>(item: T) =>
  z
    .union([z.string(), z.array(z.string())])
    .transform((v) => (Array.isArray(v) ? v : [v]).flatMap((s) => csv(s) ?? []))
    .pipe(z.array(item));

/** A yes/no query parameter. */
export const Flag = z.enum(["0", "1", "true", "false"]).transform((v) => v === "1" || v === "true");

/**
 * Which incidents count, in every query that filters incidents: all of them (default), only the demo
 * register's, or only real ones.
 */
export const DemoParam = z
  .enum(["include", "only", "exclude"])
  .default("include")
  .describe("include (default): all incidents; only: just demo incidents; exclude: just real incidents");
export type DemoParam = z.output<typeof DemoParam>;

/** The store's demo filter for a DemoParam (undefined: no filter). */
export function demoFilter(d: DemoParam): boolean | undefined {
  return d === "only" ? true : d === "exclude" ? false : undefined;
}
