import type { WebhookStore } from '../../core/ports.ts';
import type { WebhookRecord } from '../../core/records.ts';

/** How long fan-out may use a workspace's webhook list (contract §3 allows 2 s in all). */
export const SUBSCRIPTIONS_TTL_MS = 1000;
const MAX_WORKSPACES = 1000;

/**
 * A workspace's webhooks, remembered for a second per container: a burst of events of one workspace
 * costs one query, not one per event. Concurrent misses share one read.
 */
export class CachedWebhookList {
  private readonly cache = new Map<string, { at: number; webhooks: Promise<WebhookRecord[]> }>();
  private readonly store: Pick<WebhookStore, 'list'>;
  private readonly now: () => number;
  private readonly ttlMs: number;

  constructor(store: Pick<WebhookStore, 'list'>, now: () => number = Date.now, ttlMs = SUBSCRIPTIONS_TTL_MS) {
    this.store = store;
    this.now = now;
    this.ttlMs = ttlMs;
  }

  list(workspaceId: string): Promise<WebhookRecord[]> {
    const nowMs = this.now();
    const hit = this.cache.get(workspaceId);
    if (hit && nowMs - hit.at < this.ttlMs) return hit.webhooks;
    const webhooks = this.store.list(workspaceId);
    // A failed read is not remembered.
    webhooks.catch(() => {
      if (this.cache.get(workspaceId)?.webhooks === webhooks) this.cache.delete(workspaceId);
    });
    this.cache.delete(workspaceId);
    if (this.cache.size >= MAX_WORKSPACES) this.cache.delete(this.cache.keys().next().value as string);
    this.cache.set(workspaceId, { at: nowMs, webhooks });
    return webhooks;
  }
}
