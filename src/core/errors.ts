// The one error type of techtrail. Every failure a user can cause carries a stable `code`;
// the CLI (src/cli/exit-codes.ts) and the HTTP server map codes to exit codes / statuses in one place.

export type ErrorCode =
  | "VALIDATION" // input data does not match its schema
  | "PARSE" // a file could not be parsed (YAML, JSON, CSV, gzip, ...)
  | "NOT_FOUND" // an ID, file or record does not exist
  | "CONFLICT" // duplicate key, concurrent modification
  | "UNSUPPORTED" // valid input using a feature techtrail does not implement
  | "IO" // filesystem or network failure
  | "AUTH" // not signed in / bad credentials
  | "FORBIDDEN" // signed in but the role does not allow it
  | "RATE_LIMIT"
  | "INTERNAL";

/** One located problem: where it happened and what was expected. */
export interface Problem {
  /** File path, URL or logical source ("stdin", "row 12"). */
  source?: string;
  line?: number;
  column?: number;
  /** Field path inside the record, dot-separated (e.g. `techniques.0.id`). */
  field?: string;
  message: string;
}

export function formatProblem(p: Problem): string {
  let where = p.source ?? "";
  if (p.line !== undefined) where += `:${p.line}${p.column !== undefined ? `:${p.column}` : ""}`;
  const field = p.field ? `${where ? " " : ""}[${p.field}]` : "";
  return `${where}${field}${where || field ? ": " : ""}${p.message}`;
}

export class TechtrailError extends Error {
  readonly code: ErrorCode;
  readonly problems: Problem[];
  readonly details: unknown;

  constructor(
    code: ErrorCode,
    message: string,
    opts: { problems?: Problem[]; details?: unknown; cause?: unknown } = {},
  ) {
    super(message, opts.cause !== undefined ? { cause: opts.cause } : undefined);
    this.name = "TechtrailError";
    this.code = code;
    this.problems = opts.problems ?? [];
    this.details = opts.details;
  }

  /** Message plus one line per problem, for terminals and logs. */
  describe(): string {
    if (this.problems.length === 0) return this.message;
    return [this.message, ...this.problems.map((p) => `  - ${formatProblem(p)}`)].join("\n");
  }
}

export function isTechtrailError(e: unknown): e is TechtrailError {
  return e instanceof TechtrailError;
}

/** Turns zod issues into located problems. */
export function zodProblems(
  issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }>,
  source?: string,
  prefix?: string,
): Problem[] {
  return issues.map((i) => {
    const path = i.path.map((k) => String(k)).join(".");
    const field = [prefix, path].filter(Boolean).join(".");
    const p: Problem = { message: i.message };
    if (source !== undefined) p.source = source;
    if (field) p.field = field;
    return p;
  });
}
