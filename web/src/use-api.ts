// Data loading hook: GET an API path, re-fetch when the path changes, abort on unmount.
import { useCallback, useEffect, useState } from "react";
import { api, type Query, withQuery } from "./api";

export interface Loaded<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => void;
}

export function useApi<T>(path: string | null, query?: Query): Loaded<T> {
  const url = path === null ? null : withQuery(path, query);
  const [state, setState] = useState<{ data: T | undefined; error: unknown; loading: boolean }>({
    data: undefined,
    error: undefined,
    loading: url !== null,
  });
  const [tick, setTick] = useState(0);
  const reload = useCallback(() => setTick((n) => n + 1), []);

  useEffect(() => {
    // tick is a dependency so reload() re-runs the request.
    void tick;
    if (url === null) {
      setState({ data: undefined, error: undefined, loading: false });
      return;
    }
    const ctl = new AbortController();
    setState((s) => ({ data: s.data, error: undefined, loading: true }));
    api.get<T>(url, undefined, ctl.signal).then(
      (data) => {
        if (!ctl.signal.aborted) setState({ data, error: undefined, loading: false });
      },
      (error: unknown) => {
        if (!ctl.signal.aborted) setState({ data: undefined, error, loading: false });
      },
    );
    return () => ctl.abort();
  }, [url, tick]);

  return { ...state, reload };
}

/**
 * Runs a typed client call (client.ts) and re-runs it when `key` changes; `call` null loads nothing. The
 * result type is the route's declared response, so pages need no type of their own.
 */
export function useCall<T>(call: ((signal: AbortSignal) => Promise<T>) | null, key: string): Loaded<T> {
  const [state, setState] = useState<{ data: T | undefined; error: unknown; loading: boolean }>({
    data: undefined,
    error: undefined,
    loading: call !== null,
  });
  const [tick, setTick] = useState(0);
  const reload = useCallback(() => setTick((n) => n + 1), []);
  const active = call !== null;
  // biome-ignore lint/correctness/useExhaustiveDependencies: `key` stands for the call's inputs
  useEffect(() => {
    void tick;
    if (!call) {
      setState({ data: undefined, error: undefined, loading: false });
      return;
    }
    const ctl = new AbortController();
    setState((s) => ({ data: s.data, error: undefined, loading: true }));
    call(ctl.signal).then(
      (data) => {
        if (!ctl.signal.aborted) setState({ data, error: undefined, loading: false });
      },
      (error: unknown) => {
        if (!ctl.signal.aborted) setState({ data: undefined, error, loading: false });
      },
    );
    return () => ctl.abort();
  }, [key, tick, active]);
  return { ...state, reload };
}
