// The one place where error codes become process exit codes.
import type { ErrorCode } from "../core/errors.js";

export const EXIT_OK = 0;
/** Used by `scan` when it produced findings. */
export const EXIT_FINDINGS = 1;
/** Used by `scan` for any error (bad options, missing paths, rule errors or input problems under --strict). */
export const EXIT_SCAN_ERROR = 2;
/**
 * Used by `scan` when it read no CloudTrail event at all (every file skipped, empty input): distinct from 0 so
 * that such a run never passes for clean logs. Not used by any error code below.
 */
export const EXIT_NO_EVENTS = 9;
/**
 * Used by `scan` when it found nothing but could not read all its input (unreadable or denied files or objects,
 * truncated gzip): the result is partial and must not pass for a clean scan (0).
 */
export const EXIT_PARTIAL = 10;

const byCode: Record<ErrorCode, number> = {
  VALIDATION: 2,
  PARSE: 2,
  NOT_FOUND: 3,
  CONFLICT: 4,
  UNSUPPORTED: 5,
  IO: 6,
  AUTH: 7,
  FORBIDDEN: 7,
  RATE_LIMIT: 8,
  INTERNAL: 70,
};

export function exitCodeFor(code: ErrorCode): number {
  return byCode[code] ?? 1;
}
