// The web UI's only way to the data: fetch() against the techtrail HTTP API on the same origin, with the
// session cookie and, on writes, the CSRF token that GET /api/auth/me hands out. Errors arrive as
// {"error":{"code","message","details"}} and become ApiError; a 401 tells the app to show the sign-in page.

export interface Problem {
  field: string;
  message: string;
  source?: string;
  line?: number;
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

export interface RequestOptions {
  method?: "GET" | "POST" | "PATCH" | "DELETE";
  json?: unknown;
  form?: FormData;
  /** A raw body (an import file's text) with its content type. */
  raw?: { body: string; type: string };
  signal?: AbortSignal;
  /** Do not announce a 401 (the sign-in check itself). */
  quiet401?: boolean;
}

export type Query = Record<string, string | number | boolean | undefined | null | string[]>;

/** `/api/x` + `?a=1&b=2`, skipping empty values; arrays are joined with commas. */
export function withQuery(path: string, q: Query = {}): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) {
    if (v === undefined || v === null || v === "") continue;
    if (Array.isArray(v)) {
      if (v.length) params.set(k, v.join(","));
    } else params.set(k, String(v));
  }
  const s = params.toString();
  return s ? `${path}?${s}` : path;
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
 * fetch() for the typed client: same-origin cookie, the CSRF header on writes, and a failed response thrown as
 * ApiError (a 401 also tells the app to show the sign-in page).
 */
export async function apiFetch(input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set("Accept", "application/json");
  const method = (init.method ?? "GET").toUpperCase();
  if (method !== "GET" && csrfToken) headers.set(csrfHeader, csrfToken);
  const res = await fetch(input, { ...init, headers, credentials: "same-origin" });
  if (!res.ok) {
    const err = await errorOf(res);
    if (res.status === 401) for (const fn of unauthorizedListeners) fn();
    throw err;
  }
  return res;
}

export async function request<T>(path: string, opts: RequestOptions = {}): Promise<T> {
  const method = opts.method ?? "GET";
  const headers: Record<string, string> = { Accept: "application/json" };
  let body: BodyInit | undefined;
  if (opts.json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(opts.json);
  } else if (opts.form) body = opts.form;
  else if (opts.raw) {
    headers["Content-Type"] = opts.raw.type;
    body = opts.raw.body;
  }
  if (method !== "GET" && csrfToken) headers[csrfHeader] = csrfToken;
  const init: RequestInit = { method, headers, credentials: "same-origin" };
  if (body !== undefined) init.body = body;
  if (opts.signal) init.signal = opts.signal;
  const res = await fetch(path, init);
  if (!res.ok) {
    const err = await errorOf(res);
    if (res.status === 401 && !opts.quiet401) for (const fn of unauthorizedListeners) fn();
    throw err;
  }
  const type = res.headers.get("content-type") ?? "";
  if (type.includes("application/json")) return (await res.json()) as T;
  return (await res.text()) as T;
}

export const api = {
  get: <T>(path: string, q?: Query, signal?: AbortSignal) => request<T>(withQuery(path, q), signal ? { signal } : {}),
  post: <T>(path: string, json?: unknown) => request<T>(path, { method: "POST", json: json ?? {} }),
  patch: <T>(path: string, json: unknown) => request<T>(path, { method: "PATCH", json }),
  del: <T>(path: string) => request<T>(path, { method: "DELETE" }),
  upload: <T>(path: string, form: FormData) => request<T>(path, { method: "POST", form }),
};

/** A 404 for the endpoint itself (not for a record): the server does not offer this feature yet. */
export function isMissingEndpoint(e: unknown): boolean {
  return e instanceof ApiError && e.status === 404 && /no API endpoint/i.test(e.message);
}
