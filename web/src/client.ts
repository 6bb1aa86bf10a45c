// The typed API client: Hono's `hc` over the server's route declarations (type-only import, so no server code
// reaches the bundle). Request parameters and response bodies are checked against the server's zod schemas at
// compile time; requests go through api.ts's fetch (cookie, CSRF header, ApiError, 401 handling).
import { hc, type InferResponseType } from "hono/client";
import type { ApiType } from "../../src/server/app";
import { apiFetch } from "./api";

export const client = hc<ApiType>("/api", { fetch: apiFetch });

/** The JSON body of a successful (200/201) response of a client call. */
export type Ok<F> = F extends (...args: never[]) => unknown ? InferResponseType<F, 200 | 201> : never;

type OkBody<R> = R extends { status: 200 | 201; json(): Promise<infer T> } ? T : never;

/** The parsed body of a successful client call (failures were thrown by apiFetch). */
export async function ok<R extends { json(): Promise<unknown> }>(call: Promise<R>): Promise<OkBody<R>> {
  return (await (await call).json()) as OkBody<R>;
}
