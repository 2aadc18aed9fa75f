import { CachedEventReader } from '../../../functions/adapters/dynamodb/event-body-cache.ts';
import type { EventStore } from '../../../functions/core/ports.ts';
import type { EventItem } from '../../../functions/core/records.ts';

const NOW = Date.parse('2026-11-01T00:00:00Z');

function event(key: string, body = `{"id":"${key}"}`): EventItem {
  return {
    workspace_id: 'ws',
    id: `e#${key}`,
    event_id: key,
    event_type: 'lookup.completed',
    body,
    created_at: new Date(NOW).toISOString(),
    received_at: new Date(NOW).toISOString(),
    targets: [],
    expires_at: NOW / 1000 + 3600,
  };
}

class CountingStore implements Pick<EventStore, 'get'> {
  reads = 0;
  readonly records = new Map<string, EventItem>();
  async get(_ws: string, key: string) {
    this.reads++;
    await new Promise((resolve) => setTimeout(resolve, 5));
    return this.records.get(key) ?? null;
  }
}

describe('CachedEventReader', () => {
  it('reads an event once for many concurrent and later gets', async () => {
    const inner = new CountingStore();
    inner.records.set('e1', event('e1'));
    const cached = new CachedEventReader(inner);
    const results = await Promise.all(Array.from({ length: 10 }, () => cached.get('ws', 'e1', NOW)));
    expect(results.every((r) => r?.body === '{"id":"e1"}')).toBe(true);
    expect(await cached.get('ws', 'e1', NOW)).toEqual(event('e1'));
    expect(inner.reads).toBe(1);
  });

  it('does not cache misses, and evicts the least recently used past its byte budget', async () => {
    const inner = new CountingStore();
    const cached = new CachedEventReader(inner, 20);
    expect(await cached.get('ws', 'missing', NOW)).toBeNull();
    expect(await cached.get('ws', 'missing', NOW)).toBeNull();
    expect(inner.reads).toBe(2);

    inner.records.set('a', event('a', 'x'.repeat(10)));
    inner.records.set('b', event('b', 'y'.repeat(10)));
    inner.records.set('c', event('c', 'z'.repeat(10)));
    await cached.get('ws', 'a', NOW);
    await cached.get('ws', 'b', NOW);
    await cached.get('ws', 'a', NOW); // a is now the most recently used
    await cached.get('ws', 'c', NOW); // over budget: b goes
    inner.reads = 0;
    await cached.get('ws', 'a', NOW);
    await cached.get('ws', 'c', NOW);
    expect(inner.reads).toBe(0);
    await cached.get('ws', 'b', NOW);
    expect(inner.reads).toBe(1);
  });

  it('does not serve an expired event from the cache', async () => {
    const inner = new CountingStore();
    inner.records.set('e', event('e'));
    const cached = new CachedEventReader(inner);
    await cached.get('ws', 'e', NOW);
    await cached.get('ws', 'e', NOW + 7200_000);
    expect(inner.reads).toBe(2);
  });
});
