import {
  deleteApiKey,
  issueApiKey,
  listApiKeys,
  renameApiKey,
  revokeApiKey,
  setApiKeyStatus,
} from '../../../functions/core/api-key-service.ts';
import { type ApiKeyRecord, isKeyInactive, toApiKeyOut } from '../../../functions/core/api-keys.ts';
import { ConflictError, NotFoundError } from '../../../functions/core/errors.ts';
import type { EventMessageIn } from '../../../functions/core/events.ts';
import { hashApiKey } from '../../../functions/core/ids.ts';
import type { ApiKeyStore, EventPublisher } from '../../../functions/core/ports.ts';

const NOW = new Date('2026-11-01T12:00:00.000Z');
const LATER = new Date(NOW.getTime() + 60_000);

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
  async revoke(hash: string, at: string, reason: 'revoked' | 'deleted') {
    const record = this.items.get(hash);
    if (!record || record.revoked_at) return null;
    const revoked = { ...record, revoked_at: at, revoked_reason: reason };
    this.items.set(hash, revoked);
    return revoked;
  }
  async rename(hash: string, name: string) {
    const record = this.items.get(hash);
    if (!record) return false;
    this.items.set(hash, { ...record, name });
    return true;
  }
  async setDisabled(hash: string, at: string | null) {
    const record = this.items.get(hash);
    if (!record) return null;
    if (record.revoked_at) return 'revoked' as const;
    const next = { ...record, disabled_at: at === null ? undefined : (record.disabled_at ?? at) };
    this.items.set(hash, next);
    return next;
  }
  async remove(record: ApiKeyRecord) {
    this.items.delete(record.key_hash);
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

function setup() {
  const ports = { apiKeys: new MemoryKeys(), publisher: new Publisher() };
  const caller = { workspaceId: 'ws', keyId: 'admin' };
  const revokedEvents = () => ports.publisher.published.filter((m) => m.event === 'apikey.revoked');
  return { ports, caller, revokedEvents };
}

describe('API key service', () => {
  it('issues a key, stores only its hash and prefix, and publishes apikey.created without the key', async () => {
    const { ports } = setup();
    const { record, key } = await issueApiKey(ports, { workspaceId: 'ws', name: 'ci', now: NOW });
    expect(ports.apiKeys.items.get(hashApiKey(key))).toEqual(record);
    expect(record.key_prefix).toBe(key.slice(0, 12));
    expect(JSON.stringify([...ports.apiKeys.items.values()])).not.toContain(key);
    expect(ports.publisher.published).toEqual([
      expect.objectContaining({
        id: `encrata:apikey.created:${record.id}`,
        workspace_id: 'ws',
        event: 'apikey.created',
        data: { key_id: record.id, name: 'ci', key_preview: `...${key.slice(-4)}` },
      }),
    ]);
  });

  it('revokes and deletes the new key again and fails when apikey.created cannot be published', async () => {
    const { ports } = setup();
    ports.publisher.failures = 1;
    const revoked: string[] = [];
    const revoke = ports.apiKeys.revoke.bind(ports.apiKeys);
    ports.apiKeys.revoke = async (hash, at, reason) => {
      revoked.push(at);
      return revoke(hash, at, reason);
    };
    await expect(issueApiKey(ports, { workspaceId: 'ws', name: 'ci', now: NOW })).rejects.toThrow(
      'SQS is down',
    );
    // Refused at once, then gone: no stray revoked key in the list.
    expect(revoked).toEqual([NOW.toISOString()]);
    expect([...ports.apiKeys.items.values()]).toEqual([]);
  });

  it('leaves no key behind when storing it fails (its write may have landed anyway)', async () => {
    const { ports } = setup();
    const create = ports.apiKeys.create.bind(ports.apiKeys);
    ports.apiKeys.create = async (record) => {
      await create(record);
      throw new Error('answer lost');
    };
    await expect(issueApiKey(ports, { workspaceId: 'ws', name: 'ci', now: NOW })).rejects.toThrow(
      'answer lost',
    );
    expect([...ports.apiKeys.items.values()]).toEqual([]);
    expect(ports.publisher.published).toEqual([]);
  });

  it('revokes once, and a retry publishes the same apikey.revoked (reason revoked) again', async () => {
    const { ports, caller, revokedEvents } = setup();
    const { record } = await issueApiKey(ports, { workspaceId: 'ws', name: 'ci', now: NOW });
    ports.publisher.failures = 1;
    await expect(revokeApiKey(ports, caller, record.id, NOW)).rejects.toThrow('SQS is down');
    await revokeApiKey(ports, caller, record.id, LATER);
    await revokeApiKey(ports, caller, record.id, LATER);
    const events = revokedEvents();
    expect(new Set(events.map((e) => e.id))).toEqual(
      new Set([`encrata:apikey.revoked:${record.id}:revoked:${NOW.toISOString()}`]),
    );
    expect(events[0]?.data).toMatchObject({
      key_id: record.id,
      revoked_at: NOW.toISOString(),
      reason: 'revoked',
    });
    expect(isKeyInactive(ports.apiKeys.items.get(record.key_hash) as ApiKeyRecord)).toBe(true);
  });

  it('disables (refused, apikey.revoked with reason disabled) and enables again; each disable its own event', async () => {
    const { ports, caller, revokedEvents } = setup();
    const { record } = await issueApiKey(ports, { workspaceId: 'ws', name: 'ci', now: NOW });
    await setApiKeyStatus(ports, caller, record.id, 'disable', NOW);
    const disabled = ports.apiKeys.items.get(record.key_hash) as ApiKeyRecord;
    expect(isKeyInactive(disabled)).toBe(true);
    expect(toApiKeyOut(disabled)).toMatchObject({
      is_active: false,
      disabled_at: NOW.toISOString(),
      revoked_at: null,
    });
    await setApiKeyStatus(ports, caller, record.id, 'disable', LATER); // again: still the first time
    await setApiKeyStatus(ports, caller, record.id, 'enable', LATER);
    expect(toApiKeyOut(ports.apiKeys.items.get(record.key_hash) as ApiKeyRecord)).toMatchObject({
      is_active: true,
      disabled_at: null,
    });
    await setApiKeyStatus(ports, caller, record.id, 'disable', new Date(LATER.getTime() + 1000));
    const events = revokedEvents();
    expect(events.map((e) => e.data.reason)).toEqual(['disabled', 'disabled', 'disabled']);
    expect(new Set(events.map((e) => e.id)).size).toBe(2); // two disables: two distinct events
    expect(ports.publisher.published.filter((m) => m.event === 'apikey.created')).toHaveLength(1);
  });

  it('refuses to enable or disable a revoked key with 409', async () => {
    const { ports, caller } = setup();
    const { record } = await issueApiKey(ports, { workspaceId: 'ws', name: 'ci', now: NOW });
    await revokeApiKey(ports, caller, record.id, NOW);
    await expect(setApiKeyStatus(ports, caller, record.id, 'enable', LATER)).rejects.toBeInstanceOf(
      ConflictError,
    );
    await expect(setApiKeyStatus(ports, caller, record.id, 'disable', LATER)).rejects.toBeInstanceOf(
      ConflictError,
    );
  });

  it('deletes a key for good: revoked at once, reported when it was active, gone from the list', async () => {
    const { ports, caller, revokedEvents } = setup();
    const { record } = await issueApiKey(ports, { workspaceId: 'ws', name: 'ci', now: NOW });
    await deleteApiKey(ports, caller, record.id, NOW);
    expect(await listApiKeys(ports, caller)).toEqual([]);
    expect(revokedEvents().map((e) => e.data.reason)).toEqual(['deleted']);

    const { record: revoked } = await issueApiKey(ports, { workspaceId: 'ws', name: 'old', now: NOW });
    await revokeApiKey(ports, caller, revoked.id, NOW);
    await deleteApiKey(ports, caller, revoked.id, LATER); // already stopped: nothing new to tell
    expect(revokedEvents().map((e) => e.data.reason)).toEqual(['deleted', 'revoked']);
    await expect(deleteApiKey(ports, caller, revoked.id, LATER)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('finishes a deletion a retry comes back to, publishing the same event', async () => {
    const { ports, caller, revokedEvents } = setup();
    const { record } = await issueApiKey(ports, { workspaceId: 'ws', name: 'ci', now: NOW });
    ports.publisher.failures = 1;
    await expect(deleteApiKey(ports, caller, record.id, NOW)).rejects.toThrow('SQS is down');
    expect(ports.apiKeys.items.get(record.key_hash)?.revoked_at).toBe(NOW.toISOString()); // refused already
    await deleteApiKey(ports, caller, record.id, LATER);
    expect(revokedEvents()).toEqual([
      expect.objectContaining({ id: `encrata:apikey.revoked:${record.id}:deleted:${NOW.toISOString()}` }),
    ]);
    expect(ports.apiKeys.items.has(record.key_hash)).toBe(false);
  });

  it('renames a key', async () => {
    const { ports, caller } = setup();
    const { record } = await issueApiKey(ports, { workspaceId: 'ws', name: 'ci', now: NOW });
    await renameApiKey(ports, caller, record.id, 'Prod key');
    expect(ports.apiKeys.items.get(record.key_hash)?.name).toBe('Prod key');
  });

  it('refuses another workspace’s key with 404, like a missing one', async () => {
    const { ports } = setup();
    const { record } = await issueApiKey(ports, { workspaceId: 'ws', name: 'ci', now: NOW });
    const other = { workspaceId: 'ws_other', keyId: 'x' };
    for (const action of [
      () => revokeApiKey(ports, other, record.id, NOW),
      () => deleteApiKey(ports, other, record.id, NOW),
      () => renameApiKey(ports, other, record.id, 'x'),
      () => setApiKeyStatus(ports, other, record.id, 'disable', NOW),
    ]) {
      await expect(action()).rejects.toMatchObject({ code: 'not_found', message: 'API key not found' });
    }
    expect(ports.apiKeys.items.get(record.key_hash)).toMatchObject({ revoked_at: null, name: 'ci' });
  });

  it('lists the fields Encrata’s CLI reads: prefix, active, admin-disabled, credit limit', () => {
    const base = {
      key_hash: 'h',
      id: 'k1',
      workspace_id: 'ws',
      name: 'ci',
      key_preview: '...abcd',
      created_at: NOW.toISOString(),
      last_used: null,
      revoked_at: null,
    };
    expect(toApiKeyOut({ ...base, key_prefix: 'enc_live_a1b' })).toMatchObject({
      key_prefix: 'enc_live_a1b',
      is_active: true,
      disabled_by_admin: false,
      credit_limit: null,
    });
    expect(toApiKeyOut({ ...base, revoked_at: NOW.toISOString() }).is_active).toBe(false);
    expect(toApiKeyOut(base).key_prefix).toBe('enc_live_'); // kept before prefixes were
  });
});
