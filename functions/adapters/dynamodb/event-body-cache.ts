import type { EventStore } from '../../core/ports.ts';
import type { EventItem } from '../../core/records.ts';

const DEFAULT_MAX_BYTES = 16 * 1024 * 1024;

/**
 * An event never changes once stored, and one event fans out to many webhooks, so the dispatcher
 * keeps recently read events per container (least recently used out first, bounded by body bytes)
 * for the deliveries whose body is too large to travel in their message.
 */
export class CachedEventReader implements Pick<EventStore, 'get'> {
  private readonly inner: Pick<EventStore, 'get'>;
  private readonly maxBytes: number;
  private readonly cache = new Map<string, EventItem>();
  /** Reads in flight, shared: the deliveries of one event usually arrive in one batch. */
  private readonly loading = new Map<string, Promise<EventItem | null>>();
  private bytes = 0;

  constructor(inner: Pick<EventStore, 'get'>, maxBytes = DEFAULT_MAX_BYTES) {
    this.inner = inner;
    this.maxBytes = maxBytes;
  }

  async get(workspaceId: string, eventKey: string, nowMs: number): Promise<EventItem | null> {
    const key = `${workspaceId}\n${eventKey}`;
    const hit = this.cache.get(key);
    if (hit && hit.expires_at > nowMs / 1000) {
      this.cache.delete(key); // re-insert: most recently used last
      this.cache.set(key, hit);
      return hit;
    }
    const pending = this.loading.get(key);
    if (pending) return pending;
    const load = this.inner.get(workspaceId, eventKey, nowMs).finally(() => this.loading.delete(key));
    this.loading.set(key, load);
    const item = await load;
    if (item) this.remember(key, item);
    return item;
  }

  private remember(key: string, item: EventItem): void {
    const size = item.body.length;
    if (size > this.maxBytes) return;
    const previous = this.cache.get(key);
    if (previous) {
      this.bytes -= previous.body.length;
      this.cache.delete(key);
    }
    this.cache.set(key, item);
    this.bytes += size;
    for (const [oldest, entry] of this.cache) {
      if (this.bytes <= this.maxBytes) break;
      this.cache.delete(oldest);
      this.bytes -= entry.body.length;
    }
  }
}
