import type { EventRecord } from '../../core/deliveries.ts';
import type { EventStore } from '../../core/ports.ts';

const DEFAULT_MAX_BYTES = 16 * 1024 * 1024;

/**
 * An event's body never changes once stored, and one event fans out to many webhooks, so the
 * dispatcher keeps recently read events per container (least recently used out first, bounded by
 * body bytes). Everything but `get` goes straight to the store.
 */
export class CachedEventStore implements EventStore {
  private readonly inner: EventStore;
  private readonly maxBytes: number;
  private readonly cache = new Map<string, EventRecord>();
  /** Reads in flight, shared: the ten deliveries of one event usually arrive in one batch. */
  private readonly loading = new Map<string, Promise<EventRecord | null>>();
  private bytes = 0;

  constructor(inner: EventStore, maxBytes = DEFAULT_MAX_BYTES) {
    this.inner = inner;
    this.maxBytes = maxBytes;
  }

  async get(workspaceId: string, id: string, nowMs: number): Promise<EventRecord | null> {
    const key = `${workspaceId}\n${id}`;
    const hit = this.cache.get(key);
    if (hit && hit.expires_at > nowMs / 1000) {
      this.cache.delete(key); // re-insert: most recently used last
      this.cache.set(key, hit);
      return hit;
    }
    const pending = this.loading.get(key);
    if (pending) return pending;
    const load = this.inner.get(workspaceId, id, nowMs).finally(() => this.loading.delete(key));
    this.loading.set(key, load);
    const record = await load;
    if (record) this.remember(key, record);
    return record;
  }

  private remember(key: string, record: EventRecord): void {
    const size = record.body.length;
    if (size > this.maxBytes) return;
    const previous = this.cache.get(key);
    if (previous) {
      this.bytes -= previous.body.length;
      this.cache.delete(key);
    }
    this.cache.set(key, record);
    this.bytes += size;
    for (const [oldest, entry] of this.cache) {
      if (this.bytes <= this.maxBytes) break;
      this.cache.delete(oldest);
      this.bytes -= entry.body.length;
    }
  }

  putIfAbsent(record: EventRecord) {
    return this.inner.putIfAbsent(record);
  }
  markFannedOut(workspaceId: string, id: string, at: string) {
    return this.inner.markFannedOut(workspaceId, id, at);
  }
  renewLease(workspaceId: string, id: string, seenLeaseUntil: number | undefined, leaseUntil: number) {
    return this.inner.renewLease(workspaceId, id, seenLeaseUntil, leaseUntil);
  }
  getMany(workspaceId: string, ids: string[], nowMs: number) {
    return this.inner.getMany(workspaceId, ids, nowMs);
  }
}
