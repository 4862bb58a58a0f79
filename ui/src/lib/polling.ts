import { useEffect, useRef, useState } from 'react';
import type { SlipwayClient } from '@slipway/client';
import { SlipwayApiError, useApiState } from '../api';

/** Advances every `ms` while `active`; used as a dependency to re-fetch something that changes on the server. */
export function usePolling(active: boolean, ms = 1000): number {
  const [tick, setTick] = useState(0);
  useEffect(() => {
    if (!active) return;
    const t = setInterval(() => setTick((n) => n + 1), ms);
    return () => clearInterval(t);
  }, [active, ms]);
  return tick;
}

/** The current time in ms, refreshed every `ms` while `active` (countdowns). */
export function useNow(active: boolean, ms = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!active) return;
    setNow(Date.now());
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [active, ms]);
  return now;
}

export interface Polled<T> {
  data: T | undefined;
  /** The last load's error; the data of the load before stays shown. */
  error: Error | undefined;
  loading: boolean;
  /** Loads again now (after a change made from this page). */
  reload(): void;
}

/**
 * Loads with the current client now and every `ms` after, one request at a time. Unlike useApi, a failed poll
 * keeps the last data on screen (a restarting server should not blank the page); a 401 opens the token prompt.
 * With `active` false it loads once (and again when `deps` change) without polling.
 */
export function usePolled<T>(load: (client: SlipwayClient) => Promise<T>, deps: unknown[], ms = 2000, active = true): Polled<T> {
  const { client, requireToken } = useApiState();
  const [state, setState] = useState<{ data?: T; error?: Error; loading: boolean }>({ loading: true });
  const [nonce, setNonce] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  useEffect(() => {
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const run = () => {
      setState((s) => ({ ...s, loading: true }));
      loadRef.current(client).then(
        (data) => {
          if (!live) return;
          setState({ data, loading: false });
          if (active) timer = setTimeout(run, ms);
        },
        (error: Error) => {
          if (!live) return;
          if (error instanceof SlipwayApiError && error.status === 401) {
            requireToken(error.message);
            setState((s) => ({ ...s, error, loading: false }));
            return; // polling resumes with the new client once a token is given
          }
          setState((s) => ({ ...s, error, loading: false }));
          if (active) timer = setTimeout(run, ms);
        },
      );
    };
    run();
    return () => {
      live = false;
      if (timer) clearTimeout(timer);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [client, nonce, ms, active, ...deps]);
  return { data: state.data, error: state.error, loading: state.loading, reload: () => setNonce((n) => n + 1) };
}
