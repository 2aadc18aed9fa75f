import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { eventMessageSchema } from '../../functions/core/events.ts';
import { config } from '../../functions/shared/config.ts';
import { sqs } from '../../functions/shared/wiring.ts';
import { call, newWorkspace } from '../support/api.ts';

/** Events on the events queue for one workspace (the queue is shared; others are left alone). */
async function publishedEvents(workspaceId: string, wanted: number) {
  const found: ReturnType<typeof eventMessageSchema.parse>[] = [];
  for (let round = 0; round < 20 && found.length < wanted; round++) {
    const result = await sqs().send(
      new ReceiveMessageCommand({
        QueueUrl: config().queues.events,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 1,
        VisibilityTimeout: 0,
      }),
    );
    for (const message of result.Messages ?? []) {
      const parsed = eventMessageSchema.parse(JSON.parse(message.Body ?? '{}'));
      if (parsed.workspace_id === workspaceId && !found.some((f) => f.id === parsed.id)) found.push(parsed);
    }
  }
  return found;
}

describe('API key endpoints', () => {
  it('creates, lists and revokes keys; a revoked key is refused on the very next request', async () => {
    const { key, workspaceId } = await newWorkspace('keys');
    const created = await call('POST', '/api/keys', { key, body: { name: 'CI deploys' } });
    expect(created.status).toBe(201);
    expect(Object.keys(created.json).sort()).toEqual(['created_at', 'id', 'key', 'key_prefix', 'name']);
    expect(created.json.key_prefix).toBe(created.json.key.slice(0, 12));
    expect(created.json.key).toMatch(/^enc_live_[A-Za-z0-9]{32}$/);
    const newKey: string = created.json.key;

    // The new key works and sees the same workspace.
    expect((await call('GET', '/api/webhooks', { key: newKey })).status).toBe(200);

    const list = await call('GET', '/api/keys', { key });
    expect(list.status).toBe(200);
    expect(list.body).not.toContain(newKey);
    const entry = list.json.keys.find((k: { id: string }) => k.id === created.json.id);
    expect(entry).toEqual({
      id: created.json.id,
      name: 'CI deploys',
      key_preview: `...${newKey.slice(-4)}`,
      key_prefix: newKey.slice(0, 12),
      created_at: created.json.created_at,
      last_used: expect.any(String),
      revoked_at: null,
      disabled_at: null,
      is_active: true,
      disabled_by_admin: false,
      credit_limit: null,
    });

    const revoked = await call('DELETE', `/api/keys?id=${created.json.id}`, { key });
    expect(revoked.status).toBe(200);
    expect(revoked.json).toEqual({ message: 'API key revoked' });
    const refused = await call('GET', '/api/webhooks', { key: newKey });
    expect(refused.status).toBe(401);
    expect(refused.json).toEqual({ error: 'Unauthorized', code: 'unauthorized' });
    expect(
      (await call('GET', '/api/keys', { key })).json.keys.find(
        (k: { id: string }) => k.id === created.json.id,
      ).revoked_at,
    ).toMatch(/Z$/);
    // Revoking again is harmless.
    expect((await call('DELETE', `/api/keys?id=${created.json.id}`, { key })).status).toBe(200);

    const events = await publishedEvents(workspaceId, 3);
    const types = events.map((e) => e.event).sort();
    expect(types).toEqual(['apikey.created', 'apikey.created', 'apikey.revoked']);
    const revokedEvent = events.find((e) => e.event === 'apikey.revoked');
    expect(revokedEvent?.data).toMatchObject({
      key_id: created.json.id,
      name: 'CI deploys',
      key_preview: `...${newKey.slice(-4)}`,
    });
    expect(JSON.stringify(events)).not.toContain(newKey);
  });

  it('also takes the id in a JSON body', async () => {
    const { key } = await newWorkspace('body');
    const created = await call('POST', '/api/keys', { key, body: { name: 'to revoke' } });
    expect((await call('DELETE', '/api/keys', { key, body: { id: created.json.id } })).status).toBe(200);
    expect((await call('GET', '/api/webhooks', { key: created.json.key })).status).toBe(401);
  });

  it('lets a key revoke itself', async () => {
    const { key, keyId } = await newWorkspace('self');
    expect((await call('DELETE', `/api/keys?id=${keyId}`, { key })).status).toBe(200);
    expect((await call('GET', '/api/keys', { key })).status).toBe(401);
  });

  it('validates input and scopes keys to the workspace', async () => {
    const a = await newWorkspace('a');
    const b = await newWorkspace('b');
    expect((await call('POST', '/api/keys', { key: a.key, body: {} })).json).toMatchObject({
      code: 'validation_error',
      details: [{ path: 'name' }],
    });
    expect((await call('POST', '/api/keys', { key: a.key, body: { name: 'x'.repeat(101) } })).status).toBe(
      400,
    );
    expect((await call('DELETE', '/api/keys', { key: a.key })).status).toBe(400);
    expect((await call('DELETE', `/api/keys?id=${b.keyId}`, { key: a.key })).status).toBe(404);
    expect((await call('GET', '/api/webhooks', { key: b.key })).status).toBe(200);
    expect(
      (await call('GET', '/api/keys', { key: a.key })).json.keys.map((k: { id: string }) => k.id),
    ).toEqual([a.keyId]);
    expect((await call('PATCH', '/api/keys', { key: a.key })).status).toBe(400);
    expect((await call('GET', '/api/keys/limit', { key: a.key })).status).toBe(405);
    expect((await call('POST', '/api/keys', {})).status).toBe(401);
  });
});
