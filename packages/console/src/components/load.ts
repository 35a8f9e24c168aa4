import { type DependencyList, useCallback, useEffect, useRef, useState } from "react";
import type { Api } from "../api/client";
import { useApi } from "../api/context";

export interface Loaded<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload(): void;
}

/** Runs `fn` with the signed clients when the page shows and when `deps` change. */
export function useLoad<T>(fn: (api: Api) => Promise<T>, deps: DependencyList): Loaded<T> {
  return usePoll(fn, 0, deps);
}

/** As useLoad, and again every `ms` while the page is shown (0: once). Keeps the last data while reloading. */
export function usePoll<T>(fn: (api: Api) => Promise<T>, ms: number, deps: DependencyList): Loaded<T> {
  const api = useApi();
  const [state, setState] = useState<{ data?: T; error?: unknown; loading: boolean }>({ loading: true });
  const [tick, setTick] = useState(0);
  const fnRef = useRef(fn);
  fnRef.current = fn;
  // biome-ignore lint/correctness/useExhaustiveDependencies: deps are the caller's, tick reloads
  useEffect(() => {
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const run = async () => {
      setState((s) => ({ ...s, loading: true }));
      try {
        const data = await fnRef.current(api);
        if (live) setState({ data, loading: false });
      } catch (error) {
        if (live) setState((s) => ({ data: s.data, error, loading: false }));
      }
      if (live && ms > 0) timer = setTimeout(run, ms);
    };
    void run();
    return () => {
      live = false;
      if (timer) clearTimeout(timer);
    };
  }, [api, ms, tick, ...deps]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data: state.data, error: state.error, loading: state.loading, reload };
}

/** Epoch seconds or a Date (as the SDK gives them) as local date and time. */
export function when(d: Date | number | string | undefined): string {
  if (d === undefined || d === null || d === "") return "-";
  const date = d instanceof Date ? d : new Date(typeof d === "number" ? d * 1000 : d);
  return Number.isNaN(date.getTime()) ? String(d) : date.toLocaleString();
}
