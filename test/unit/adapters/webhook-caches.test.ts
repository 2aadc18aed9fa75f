import {
  CachedWebhookList,
  CachedWebhookReader,
  SUBSCRIPTIONS_TTL_MS,
} from '../../../functions/adapters/dynamodb/subscription-cache.ts';
import type { WebhookStore } from '../../../functions/core/ports.ts';
import type { WebhookRecord } from '../../../functions/core/records.ts';

const NOW = Date.parse('2026-11-01T00:00:00Z');

function webhook(id: string, patch: Partial<WebhookRecord> = {}): WebhookRecord {
  return {
    workspace_id: 'ws',
    id,
    url: `https://example.com/${id}`,
    events: ['lookup.completed'],
    is_active: true,
    secret_ciphertext: 'x',
    created_at: new Date(NOW).toISOString(),
    updated_at: new Date(NOW).toISOString(),
    ...patch,
  } as WebhookRecord;
}

/** An async store that counts its reads and can be told to fail or to hold a write. */
class Store
  implements Pick<WebhookStore, 'get' | 'list' | 'markFailing' | 'clearFailing' | 'disableFailing'>
{
  reads = 0;
  lists = 0;
  failNext = false;
  readonly records = new Map<string, WebhookRecord>();
  private async tick() {
    await new Promise((resolve) => setTimeout(resolve, 2));
    if (this.failNext) {
      this.failNext = false;
      throw new Error('ProvisionedThroughputExceededException');
    }
  }
  async get(_ws: string, id: string) {
    this.reads++;
    await this.tick();
    return this.records.get(id) ?? null;
  }
  async list() {
    this.lists++;
    await this.tick();
    return [...this.records.values()];
  }
  async markFailing(_ws: string, id: string, at: string) {
    await this.tick();
    const record = this.records.get(id);
    if (!record || record.failing_since) return false;
    this.records.set(id, { ...record, failing_since: at });
    return true;
  }
  async clearFailing(_ws: string, id: string) {
    await this.tick();
    const record = this.records.get(id);
    if (record) this.records.set(id, { ...record, failing_since: undefined });
  }
  async disableFailing(_ws: string, id: string, _seen: string, at: string) {
    await this.tick();
    const record = this.records.get(id);
    if (!record) return null;
    const disabled = { ...record, is_active: false, disabled_at: at } as WebhookRecord;
    this.records.set(id, disabled);
    return disabled;
  }
}

describe('CachedWebhookReader (the dispatcher)', () => {
  let now = NOW;
  const clock = () => now;
  beforeEach(() => {
    now = NOW;
  });

  it('reads a webhook once for concurrent and later gets within the second, then again', async () => {
    const store = new Store();
    store.records.set('a', webhook('a'));
    const reader = new CachedWebhookReader(store, clock);
    const got = await Promise.all(Array.from({ length: 10 }, () => reader.get('ws', 'a')));
    expect(got.every((w) => w?.id === 'a')).toBe(true);
    now += SUBSCRIPTIONS_TTL_MS - 1;
    await reader.get('ws', 'a');
    expect(store.reads).toBe(1);
    // A pause one second old is seen: never staler than a first attempt's snapshot.
    store.records.set('a', webhook('a', { is_active: false }));
    now += 1;
    expect((await reader.get('ws', 'a'))?.is_active).toBe(false);
    expect(store.reads).toBe(2);
  });

  it('keeps webhooks and workspaces apart, and remembers a missing webhook only a second', async () => {
    const store = new Store();
    store.records.set('a', webhook('a'));
    const reader = new CachedWebhookReader(store, clock);
    expect(await reader.get('ws', 'b')).toBeNull();
    await reader.get('ws', 'a');
    await reader.get('other', 'a');
    expect(store.reads).toBe(3);
    await reader.get('ws', 'b');
    expect(store.reads).toBe(3);
    store.records.set('b', webhook('b'));
    now += SUBSCRIPTIONS_TTL_MS;
    expect((await reader.get('ws', 'b'))?.id).toBe('b');
    expect(store.reads).toBe(4);
  });

  it('does not remember a failed read', async () => {
    const store = new Store();
    store.records.set('a', webhook('a'));
    const reader = new CachedWebhookReader(store, clock);
    store.failNext = true;
    await expect(reader.get('ws', 'a')).rejects.toThrow('ProvisionedThroughput');
    expect((await reader.get('ws', 'a'))?.id).toBe('a');
    expect(store.reads).toBe(2);
  });

  it.each([
    ['markFailing', (r: CachedWebhookReader) => r.markFailing('ws', 'a', new Date(NOW).toISOString())],
    ['clearFailing', (r: CachedWebhookReader) => r.clearFailing('ws', 'a', new Date(NOW).toISOString())],
    [
      'disableFailing',
      (r: CachedWebhookReader) =>
        r.disableFailing('ws', 'a', new Date(NOW).toISOString(), new Date(NOW).toISOString()),
    ],
  ])('after its own %s, the next read sees the write', async (name, write) => {
    const store = new Store();
    const since = name === 'markFailing' ? undefined : new Date(NOW - 1000).toISOString();
    store.records.set('a', webhook('a', { failing_since: since }));
    const reader = new CachedWebhookReader(store, clock);
    const before = await reader.get('ws', 'a');
    // A read that starts while the write runs is not kept either.
    const writing = write(reader);
    const during = reader.get('ws', 'a');
    await writing;
    await during;
    const after = await reader.get('ws', 'a');
    expect(after).toEqual(store.records.get('a'));
    expect(after).not.toEqual(before);
    expect(store.reads).toBe(3);
  });

  it('passes what the writes answer through', async () => {
    const store = new Store();
    store.records.set('a', webhook('a'));
    const reader = new CachedWebhookReader(store, clock);
    expect(await reader.markFailing('ws', 'a', new Date(NOW).toISOString())).toBe(true);
    expect(await reader.markFailing('ws', 'a', new Date(NOW).toISOString())).toBe(false);
    expect((await reader.disableFailing('ws', 'a', 'x', 'y'))?.is_active).toBe(false);
    expect(await reader.disableFailing('ws', 'missing', 'x', 'y')).toBeNull();
  });
});

describe('CachedWebhookList (fan-out)', () => {
  it('lists a workspace once a second, concurrent misses sharing one read, failures not kept', async () => {
    let now = NOW;
    const store = new Store();
    store.records.set('a', webhook('a'));
    const lists = new CachedWebhookList(store, () => now);
    await Promise.all([lists.list('ws'), lists.list('ws'), lists.list('ws')]);
    now += SUBSCRIPTIONS_TTL_MS - 1;
    expect(await lists.list('ws')).toHaveLength(1);
    expect(store.lists).toBe(1);
    store.records.set('b', webhook('b'));
    now += 1;
    expect(await lists.list('ws')).toHaveLength(2);
    expect(store.lists).toBe(2);
    now += SUBSCRIPTIONS_TTL_MS;
    store.failNext = true;
    await expect(lists.list('ws')).rejects.toThrow();
    expect(await lists.list('ws')).toHaveLength(2);
    expect(store.lists).toBe(4);
  });
});
