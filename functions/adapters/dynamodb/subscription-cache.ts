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

type WebhookReads = Pick<WebhookStore, 'get' | 'markFailing' | 'clearFailing' | 'disableFailing'>;
const MAX_WEBHOOKS = 5000;

/**
 * The dispatcher's reads of single webhooks, remembered for a second per container — as fresh as the
 * snapshot a first attempt may use (SNAPSHOT_FRESH_MS), so a pause or delete still stops deliveries
 * within the contract's 2 s. A backlog or a run of retries then costs one read per webhook a second,
 * not one per delivery. Concurrent misses share one read; a failed read is not remembered; what the
 * dispatcher writes itself (the failing clock) drops the entry, so its next read sees the write.
 */
export class CachedWebhookReader implements WebhookReads {
  private readonly cache = new Map<string, { at: number; webhook: Promise<WebhookRecord | null> }>();
  private readonly store: WebhookReads;
  private readonly now: () => number;
  private readonly ttlMs: number;

  constructor(store: WebhookReads, now: () => number = Date.now, ttlMs = SUBSCRIPTIONS_TTL_MS) {
    this.store = store;
    this.now = now;
    this.ttlMs = ttlMs;
  }

  get(workspaceId: string, id: string): Promise<WebhookRecord | null> {
    const key = `${workspaceId}\n${id}`;
    const nowMs = this.now();
    const hit = this.cache.get(key);
    if (hit && nowMs - hit.at < this.ttlMs) return hit.webhook;
    const webhook = this.store.get(workspaceId, id);
    webhook.catch(() => {
      if (this.cache.get(key)?.webhook === webhook) this.cache.delete(key);
    });
    this.cache.delete(key);
    if (this.cache.size >= MAX_WEBHOOKS) this.cache.delete(this.cache.keys().next().value as string);
    this.cache.set(key, { at: nowMs, webhook });
    return webhook;
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
    this.forget(workspaceId, id);
    try {
      return await write();
    } finally {
      this.forget(workspaceId, id);
    }
  }

  private forget(workspaceId: string, id: string): void {
    this.cache.delete(`${workspaceId}\n${id}`);
  }
}
