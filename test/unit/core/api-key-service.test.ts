import { issueApiKey, revokeApiKey } from '../../../functions/core/api-key-service.ts';
import type { ApiKeyRecord } from '../../../functions/core/api-keys.ts';
import type { EventMessageIn } from '../../../functions/core/events.ts';
import { hashApiKey } from '../../../functions/core/ids.ts';
import type { ApiKeyStore, EventPublisher } from '../../../functions/core/ports.ts';

const NOW = new Date('2026-11-01T12:00:00.000Z');

class MemoryKeys implements ApiKeyStore {
  readonly items = new Map<string, ApiKeyRecord>();
  async findByHash(hash: string) {
    return this.items.get(hash) ?? null;
  }
  async create(record: ApiKeyRecord) {
    this.items.set(record.key_hash, record);
  }
  async listByWorkspace(ws: string) {
    return [...this.items.values()].filter((k) => k.workspace_id === ws);
  }
  async findById(ws: string, id: string) {
    return [...this.items.values()].find((k) => k.workspace_id === ws && k.id === id) ?? null;
  }
  async revoke(hash: string, at: string) {
    const record = this.items.get(hash);
    if (!record || record.revoked_at) return null;
    const revoked = { ...record, revoked_at: at };
    this.items.set(hash, revoked);
    return revoked;
  }
  async touch() {}
}

class Publisher implements EventPublisher {
  readonly published: EventMessageIn[] = [];
  failures = 0;
  async publish(message: EventMessageIn) {
    if (this.failures > 0) {
      this.failures--;
      throw new Error('SQS is down');
    }
    this.published.push(message);
  }
}

describe('API key service', () => {
  it('issues a key, stores only its hash and publishes apikey.created without the key', async () => {
    const ports = { apiKeys: new MemoryKeys(), publisher: new Publisher() };
    const { record, key } = await issueApiKey(ports, { workspaceId: 'ws', name: 'ci', now: NOW });
    expect(ports.apiKeys.items.get(hashApiKey(key))).toEqual(record);
    expect(JSON.stringify([...ports.apiKeys.items.values()])).not.toContain(key);
    expect(ports.publisher.published).toEqual([
      expect.objectContaining({
        id: `apikey.created:${record.id}`,
        workspace_id: 'ws',
        event: 'apikey.created',
        data: { key_id: record.id, name: 'ci', key_preview: `...${key.slice(-4)}` },
      }),
    ]);
  });

  it('revokes the new key again and fails when apikey.created cannot be published', async () => {
    const ports = { apiKeys: new MemoryKeys(), publisher: new Publisher() };
    ports.publisher.failures = 1;
    await expect(issueApiKey(ports, { workspaceId: 'ws', name: 'ci', now: NOW })).rejects.toThrow(
      'SQS is down',
    );
    const [stored] = [...ports.apiKeys.items.values()];
    expect(stored?.revoked_at).toBe(NOW.toISOString());
  });

  it('publishes apikey.revoked on every revoke call, with the first revocation time', async () => {
    const ports = { apiKeys: new MemoryKeys(), publisher: new Publisher() };
    const { record } = await issueApiKey(ports, { workspaceId: 'ws', name: 'ci', now: NOW });
    ports.publisher.failures = 1;
    const caller = { workspaceId: 'ws', keyId: 'other' };
    await expect(revokeApiKey(ports, caller, record.id, NOW)).rejects.toThrow('SQS is down');
    // The client retries: the key stays revoked and the event goes out now.
    await revokeApiKey(ports, caller, record.id, new Date(NOW.getTime() + 60_000));
    const revoked = ports.publisher.published.filter((m) => m.event === 'apikey.revoked');
    expect(revoked).toEqual([
      expect.objectContaining({
        id: `apikey.revoked:${record.id}`,
        data: expect.objectContaining({ key_id: record.id, revoked_at: NOW.toISOString() }),
      }),
    ]);
  });

  it('refuses another workspace’s key with 404', async () => {
    const ports = { apiKeys: new MemoryKeys(), publisher: new Publisher() };
    const { record } = await issueApiKey(ports, { workspaceId: 'ws', name: 'ci', now: NOW });
    await expect(
      revokeApiKey(ports, { workspaceId: 'ws_other', keyId: 'x' }, record.id, NOW),
    ).rejects.toMatchObject({
      code: 'not_found',
    });
    expect([...ports.apiKeys.items.values()][0]?.revoked_at).toBeNull();
  });
});
