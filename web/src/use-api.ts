// Data loading hook over the typed client (client.ts): run a GET endpoint with its typed arguments, run it again
// when the arguments change, abort on unmount. The data type is the route's declared response.
import type { ClientRequestOptions } from "hono/client";
import { useCallback, useEffect, useState } from "react";
import { type Ok, ok } from "./client";

export interface Loaded<T> {
  /** The last data loaded; kept while a reload or a change of arguments is on its way, cleared by an error. */
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => void;
}

/** A client endpoint function such as `client.incidents.$get`. */
// biome-ignore lint/suspicious/noExplicitAny: the argument type is taken from each endpoint (Args<F>)
type Endpoint = (args: any, options?: ClientRequestOptions) => Promise<{ json(): Promise<unknown> }>;
/** The typed arguments of an endpoint (`{ query }`, `{ param }`, ...). */
export type Args<F extends Endpoint> = Parameters<F>[0];

/**
 * Loads `endpoint(args)`; `endpoint` null loads nothing (a view that waits for a choice or lacks the role).
 * Arguments are compared by value, so callers pass a fresh object literal on every render.
 *
 *     const list = useCall(client.incidents.$get, { query: { status: "open", limit: 50 } });
 */
export function useCall<F extends Endpoint>(endpoint: F | null, args: Args<F>): Loaded<Ok<F>> {
  const key = endpoint === null ? null : JSON.stringify(args ?? null);
  const [state, setState] = useState<{ data: Ok<F> | undefined; error: unknown; loading: boolean }>({
    data: undefined,
    error: undefined,
    loading: key !== null,
  });
  const [tick, setTick] = useState(0);
  const reload = useCallback(() => setTick((n) => n + 1), []);

  // `key` stands for endpoint and arguments (the client's endpoint functions are new objects on every render).
  // biome-ignore lint/correctness/useExhaustiveDependencies: see above; tick makes reload() run it again
  useEffect(() => {
    if (endpoint === null) {
      setState({ data: undefined, error: undefined, loading: false });
      return;
    }
    const ctl = new AbortController();
    setState((s) => ({ data: s.data, error: undefined, loading: true }));
    ok(endpoint(args, { init: { signal: ctl.signal } })).then(
      (data) => {
        if (!ctl.signal.aborted) setState({ data: data as Ok<F>, error: undefined, loading: false });
      },
      (error: unknown) => {
        if (!ctl.signal.aborted) setState({ data: undefined, error, loading: false });
      },
    );
    return () => ctl.abort();
  }, [key, tick]);

  return { ...state, reload };
}
