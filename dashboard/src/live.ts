import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { type ApiClient, ApiError, type Delivery, type DeliveryQuery } from './api.ts';
import { mergeNewest } from './feed.ts';
import { useVisible } from './hooks.ts';

/** How often the newest page is read again while the page is visible: changes show within ~3 s. */
export const LIVE_INTERVAL_MS = 3000;
/** After a failure other than a 429 (network, 5xx): wait this long before trying again. */
export const ERROR_BACKOFF_MS = 10_000;
export const PAGE_SIZE = 25;

export interface DeliveryFeed {
  items: Delivery[] | null;
  error: string | null;
  /** Epoch ms until which a 429 makes the feed wait (0 when it does not). */
  pausedUntil: number;
  /** Whether "Load older" has more to load. */
  hasOlder: boolean;
  loadingOlder: boolean;
  loadOlder: () => Promise<void>;
  /** Reads the newest page now (after an action), instead of at the next tick. */
  refresh: () => void;
  /** Epoch ms of the last successful read. */
  updatedAt: number;
}

/**
 * A live delivery log: the newest page read every 3 s while the tab is visible (one request, however
 * many webhooks the workspace has; nothing while hidden, and it reads at once when shown again),
 * older pages on demand by cursor, and a 429 waited out for its `Retry-After`.
 */
export function useDeliveryFeed(client: ApiClient, query: DeliveryQuery): DeliveryFeed {
  const visible = useVisible();
  const [items, setItems] = useState<Delivery[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [pausedUntil, setPausedUntil] = useState(0);
  const [cursor, setCursor] = useState<string | null>(null);
  const [deep, setDeep] = useState(false);
  const [loadingOlder, setLoadingOlder] = useState(false);
  const [updatedAt, setUpdatedAt] = useState(0);
  const [tick, setTick] = useState(0);
  const key = `${query.webhookId ?? ''}|${query.status ?? ''}|${query.eventType ?? ''}`;
  // Answers for a query the user has already left are dropped.
  const current = useRef(key);
  current.current = key;
  const deepRef = useRef(deep);
  deepRef.current = deep;

  // A new query starts from scratch.
  useEffect(() => {
    setItems(null);
    setCursor(null);
    setDeep(false);
    setError(null);
  }, [key]);

  useEffect(() => {
    if (!visible) return;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const run = async () => {
      // Counted from the start of a read, so a slow answer does not stretch the 3 s.
      const started = Date.now();
      let wait = LIVE_INTERVAL_MS;
      try {
        const page = await client.listDeliveries({ ...query, before: undefined, limit: PAGE_SIZE });
        if (stopped || current.current !== key) return;
        const all = page.nextCursor === null;
        setItems((shown) => mergeNewest(shown ?? [], page.items, all || !deepRef.current));
        if (!deepRef.current) setCursor(page.nextCursor);
        setError(null);
        setPausedUntil(0);
        setUpdatedAt(Date.now());
      } catch (caught) {
        if (stopped || current.current !== key) return;
        if (caught instanceof ApiError && caught.status === 401) return;
        if (caught instanceof ApiError && caught.status === 429) {
          wait = (caught.retryAfterSeconds ?? 10) * 1000;
          setPausedUntil(Date.now() + wait);
        } else {
          wait = ERROR_BACKOFF_MS;
        }
        setError(caught instanceof Error ? caught.message : 'Loading deliveries failed.');
        setItems((shown) => shown ?? []);
      }
      if (!stopped) timer = setTimeout(run, Math.max(500, wait - (Date.now() - started)));
    };
    void run();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
    // `query` is captured through `key`; `tick` restarts the loop at once (refresh).
  }, [client, key, visible, tick]);

  const loadOlder = useCallback(async () => {
    if (!cursor) return;
    setLoadingOlder(true);
    try {
      const page = await client.listDeliveries({ ...query, before: cursor, limit: PAGE_SIZE });
      if (current.current !== key) return;
      setItems((shown) => {
        const seen = new Set((shown ?? []).map((delivery) => delivery.id));
        return [...(shown ?? []), ...page.items.filter((delivery) => !seen.has(delivery.id))];
      });
      setCursor(page.nextCursor);
      setDeep(true);
    } catch (caught) {
      setError(caught instanceof Error ? caught.message : 'Loading older deliveries failed.');
    } finally {
      setLoadingOlder(false);
    }
  }, [client, cursor, key]);

  const refresh = useCallback(() => setTick((value) => value + 1), []);

  return {
    items,
    error,
    pausedUntil,
    hasOlder: cursor !== null,
    loadingOlder,
    loadOlder,
    refresh,
    updatedAt,
  };
}
