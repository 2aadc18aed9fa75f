import type { WebhookStore } from '../../core/ports.ts';
import type { WebhookRecord } from '../../core/records.ts';

/** How long fan-out may use a workspace's webhook list (contract §3 allows 2 s in all). */
export const SUBSCRIPTIONS_TTL_MS = 1000;
const MAX_WORKSPACES = 1000;

/**
 * Reads remembered for `ttlMs` per key, at most `capacity` keys (the oldest read goes first).
 * Concurrent misses share one read; a failed read is not remembered.
 */
class ExpiringReads<V> {
  private readonly cache = new Map<string, { at: number; value: Promise<V> }>();
  private readonly now: () => number;
  private readonly ttlMs: number;
  private readonly capacity: number;

  constructor(now: () => number, ttlMs: number, capacity: number) {
    this.now = now;
    this.ttlMs = ttlMs;
    this.capacity = capacity;
  }

  read(key: string, load: () => Promise<V>): Promise<V> {
    const nowMs = this.now();
    const hit = this.cache.get(key);
    if (hit && nowMs - hit.at < this.ttlMs) return hit.value;
    const value = load();
    value.catch(() => {
      if (this.cache.get(key)?.value === value) this.cache.delete(key);
    });
    this.cache.delete(key);
    if (this.cache.size >= this.capacity) this.cache.delete(this.cache.keys().next().value as string);
    this.cache.set(key, { at: nowMs, value });
    return value;
  }

  forget(key: string): void {
    this.cache.delete(key);
  }
}

/**
 * A workspace's webhooks, remembered for a second per container: a burst of events of one workspace
 * costs one query, not one per event. Concurrent misses share one read.
 */
export class CachedWebhookList {
  private readonly reads: ExpiringReads<WebhookRecord[]>;
  private readonly store: Pick<WebhookStore, 'list'>;

  constructor(store: Pick<WebhookStore, 'list'>, now: () => number = Date.now, ttlMs = SUBSCRIPTIONS_TTL_MS) {
    this.store = store;
    this.reads = new ExpiringReads(now, ttlMs, MAX_WORKSPACES);
  }

  list(workspaceId: string): Promise<WebhookRecord[]> {
    return this.reads.read(workspaceId, () => this.store.list(workspaceId));
  }
}

type WebhookReads = Pick<WebhookStore, 'get' | 'markFailing' | 'clearFailing' | 'disableFailing'>;
const MAX_WEBHOOKS = 5000;
const webhookKey = (workspaceId: string, id: string) => `${workspaceId}\n${id}`;

/**
 * The dispatcher's reads of single webhooks, remembered for a second per container — as fresh as the
 * snapshot a first attempt may use (SNAPSHOT_FRESH_MS), so a pause or delete still stops deliveries
 * within the contract's 2 s. A backlog or a run of retries then costs one read per webhook a second,
 * not one per delivery. Concurrent misses share one read; a failed read is not remembered; what the
 * dispatcher writes itself (the failing clock) drops the entry, so its next read sees the write.
 */
export class CachedWebhookReader implements WebhookReads {
  private readonly reads: ExpiringReads<WebhookRecord | null>;
  private readonly store: WebhookReads;

  constructor(store: WebhookReads, now: () => number = Date.now, ttlMs = SUBSCRIPTIONS_TTL_MS) {
    this.store = store;
    this.reads = new ExpiringReads(now, ttlMs, MAX_WEBHOOKS);
  }

  get(workspaceId: string, id: string): Promise<WebhookRecord | null> {
    return this.reads.read(webhookKey(workspaceId, id), () => this.store.get(workspaceId, id));
  }

  markFailing(workspaceId: string, id: string, at: string): Promise<boolean> {
    return this.writing(workspaceId, id, () => this.store.markFailing(workspaceId, id, at));
  }

  clearFailing(workspaceId: string, id: string, seen: string): Promise<void> {
    return this.writing(workspaceId, id, () => this.store.clearFailing(workspaceId, id, seen));
  }

  disableFailing(workspaceId: string, id: string, seen: string, at: string) {
    return this.writing(workspaceId, id, () => this.store.disableFailing(workspaceId, id, seen, at));
  }

  /** A write of ours: no read from before it (or from while it ran) is used after it. */
  private async writing<T>(workspaceId: string, id: string, write: () => Promise<T>): Promise<T> {
    const key = webhookKey(workspaceId, id);
    this.reads.forget(key);
    try {
      return await write();
    } finally {
      this.reads.forget(key);
    }
  }
}
