// The typed API client: Hono's `hc` over the server's route declarations (type-only import, so no server code
// reaches the bundle). Paths, path and query parameters, JSON bodies and response bodies are checked against the
// server's zod schemas at compile time; requests go through api.ts's fetch (cookie, CSRF header, ApiError, 401
// handling). This is the UI's only way to the API: there is no URL-string request helper.
import { hc, type InferResponseType } from "hono/client";
import type { ApiType } from "../../src/server/app";
import { apiFetch } from "./api";

/** Where the API lives (same origin). */
export const API_BASE = "/api";

/**
 * Query strings as the server reads them: absent and empty values are left out (an empty text box means "no
 * filter", and the server refuses empty values), list values repeat their key (the server's list parameters
 * accept `a,b` and repeated keys alike).
 */
export function searchParams(query: Record<string, unknown>): URLSearchParams {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    for (const item of Array.isArray(v) ? v : [v]) {
      if (item === undefined || item === null || item === "") continue;
      params.append(k, String(item));
    }
  }
  return params;
}

/**
 * hc puts path parameters into the URL as they are; an incident key, user name or token ID holding `/`, `?` or
 * `#` would then address another path. This wraps the client so every call (and `$path`) encodes them first.
 */
function encodingPathParams<T extends object>(target: T): T {
  return new Proxy(target, {
    get: (t, key) => {
      const v: unknown = Reflect.get(t, key);
      return typeof v === "function" ? encodingPathParams(v) : v;
    },
    apply: (t, self, args: unknown[]) => {
      const [first, ...rest] = args;
      if (first && typeof first === "object" && "param" in first && first.param && typeof first.param === "object") {
        const param = Object.fromEntries(
          Object.entries(first.param).map(([k, v]) => [k, encodeURIComponent(String(v))]),
        );
        return Reflect.apply(t as (...a: unknown[]) => unknown, self, [{ ...first, param }, ...rest]);
      }
      return Reflect.apply(t as (...a: unknown[]) => unknown, self, args);
    },
  });
}

export const client = encodingPathParams(hc<ApiType>(API_BASE, { fetch: apiFetch, buildSearchParams: searchParams }));

/** The same client, except that a 401 is not announced (the sign-in check and the sign-in itself). */
export const quietClient = encodingPathParams(
  hc<ApiType>(API_BASE, {
    fetch: (input: RequestInfo | URL, init?: RequestInit) => apiFetch(input, init, { quiet401: true }),
    buildSearchParams: searchParams,
  }),
);

/**
 * A same-origin link to a GET endpoint, for downloads and pages the browser opens itself (exports, reports):
 * `href(client.reports.$path({ query }))`. `$path` gives the path below the client's base.
 */
export function href(path: string): string {
  return `${API_BASE}${path}`;
}

/** The JSON body of a successful (200/201) response of a client call. */
export type Ok<F> = F extends (...args: never[]) => unknown ? InferResponseType<F, 200 | 201> : never;

type OkBody<R> = R extends { status: 200 | 201; json(): Promise<infer T> } ? T : never;

/** The parsed body of a successful client call (failures were thrown by apiFetch). */
export async function ok<R extends { json(): Promise<unknown> }>(call: Promise<R>): Promise<OkBody<R>> {
  return (await (await call).json()) as OkBody<R>;
}
