// The fetch() under the typed client (client.ts): the techtrail HTTP API on the same origin, with the session
// cookie and, on writes, the CSRF token that GET /api/auth/me hands out. Errors arrive as
// {"error":{"code","message","details"}} and become ApiError; a 401 tells the app to show the sign-in page.

export interface Problem {
  field: string;
  message: string;
  source?: string;
  line?: number;
  column?: number;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: unknown = null,
  ) {
    super(message);
    this.name = "ApiError";
  }

  /** Field problems of a validation error, when the server listed them. */
  get problems(): Problem[] {
    const d = this.details as { problems?: unknown } | null;
    if (!d || !Array.isArray(d.problems)) return [];
    return d.problems.filter(
      (p): p is Problem => typeof p === "object" && p !== null && "message" in p && "field" in p,
    ) as Problem[];
  }
}

let csrfToken: string | null = null;
let csrfHeader = "X-CSRF-Token";
const unauthorizedListeners = new Set<() => void>();

export function setCsrf(token: string | null, header?: string): void {
  csrfToken = token;
  if (header) csrfHeader = header;
}

/** Called when any request comes back 401 (session expired or signed out elsewhere). */
export function onUnauthorized(fn: () => void): () => void {
  unauthorizedListeners.add(fn);
  return () => unauthorizedListeners.delete(fn);
}

async function errorOf(res: Response): Promise<ApiError> {
  const text = await res.text();
  try {
    const body = JSON.parse(text) as { error?: { code?: string; message?: string; details?: unknown } };
    if (body.error?.message)
      return new ApiError(res.status, body.error.code ?? "ERROR", body.error.message, body.error.details ?? null);
  } catch {
    // Not JSON: fall through to the status text.
  }
  return new ApiError(
    res.status,
    "HTTP",
    `${res.status} ${res.statusText || "request failed"}${text ? `: ${text.slice(0, 200)}` : ""}`,
  );
}

/**
 * fetch() for the typed client (client.ts): same-origin cookie, the CSRF header on writes, and a failed response
 * thrown as ApiError (a 401 also tells the app to show the sign-in page, unless `quiet401`: the sign-in check); a
 * successful response comes back with its body already read.
 */
export async function apiFetch(
  input: RequestInfo | URL,
  init: RequestInit = {},
  opts: { quiet401?: boolean } = {},
): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set("Accept", "application/json");
  const method = (init.method ?? "GET").toUpperCase();
  if (method !== "GET" && csrfToken) headers.set(csrfHeader, csrfToken);
  const res = await fetch(input, { ...init, headers, credentials: "same-origin" });
  if (!res.ok) {
    const err = await errorOf(res);
    if (res.status === 401 && !opts.quiet401) for (const fn of unauthorizedListeners) fn();
    throw err;
  }
  // Read the body now: a write whose answer the caller ignores would otherwise hold its connection open (and the
  // browser would count the request as still running).
  const body = res.status === 204 || res.status === 304 ? null : await res.arrayBuffer();
  return new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
}

/** A 404 for the endpoint itself (not for a record): the server does not offer this feature yet. */
export function isMissingEndpoint(e: unknown): boolean {
  return e instanceof ApiError && e.status === 404 && /no API endpoint/i.test(e.message);
}
