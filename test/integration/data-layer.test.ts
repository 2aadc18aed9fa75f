import { randomUUID } from 'node:crypto';
import type { DeliveryRecord, EventRecord } from '../../functions/core/deliveries.ts';
import { LimitExceededError } from '../../functions/core/errors.ts';
import { deliveryIdFor } from '../../functions/core/ids.ts';
import type { WebhookRecord } from '../../functions/core/webhooks.ts';
import { dependencies } from '../../functions/shared/wiring.ts';

const NOW = Date.parse('2026-11-01T12:00:00.000Z');

function webhook(workspaceId: string, overrides: Partial<WebhookRecord> = {}): WebhookRecord {
  const at = new Date(NOW).toISOString();
  return {
    workspace_id: workspaceId,
    id: randomUUID(),
    url: 'https://example.com/hook',
    events: ['lookup.completed'],
    is_active: true,
    description: '',
    secret_ciphertext: 'v1.x.y.z',
    created_by: 'key',
    created_at: at,
    updated_at: at,
    ...overrides,
  };
}

function delivery(
  webhookId: string,
  timeMs: number,
  overrides: Partial<DeliveryRecord> = {},
): DeliveryRecord {
  return {
    webhook_id: webhookId,
    id: deliveryIdFor(timeMs, randomUUID()),
    workspace_id: 'ws',
    event_type: 'lookup.completed',
    event_id: 'evt',
    status: 'pending',
    attempts: 0,
    response_status: null,
    response_body: null,
    error: null,
    last_attempt_at: null,
    next_attempt_at: null,
    created_at: new Date(timeMs).toISOString(),
    expires_at: Math.floor(timeMs / 1000) + 3600,
    ...overrides,
  };
}

describe('DynamoDB adapters against dynalite', () => {
  const { webhooks, deliveries, events } = dependencies();

  describe('webhooks', () => {
    it('keeps each workspace to its own webhooks', async () => {
      const a = `ws_${randomUUID()}`;
      const b = `ws_${randomUUID()}`;
      const mine = webhook(a);
      await webhooks.create(mine, 50);
      await webhooks.create(webhook(b), 50);
      expect((await webhooks.list(a)).map((w) => w.id)).toEqual([mine.id]);
      expect(await webhooks.get(b, mine.id)).toBeNull();
      expect(await webhooks.delete(b, mine.id)).toBe(false);
      expect(await webhooks.get(a, mine.id)).toEqual(mine);
    });

    it('enforces the per-workspace limit with a conditional counter, and frees a slot on delete', async () => {
      const ws = `ws_${randomUUID()}`;
      const created = [webhook(ws), webhook(ws), webhook(ws)];
      for (const record of created) await webhooks.create(record, 3);
      await expect(webhooks.create(webhook(ws), 3)).rejects.toBeInstanceOf(LimitExceededError);
      expect(await webhooks.list(ws)).toHaveLength(3);
      expect(await webhooks.delete(ws, created[0]?.id ?? '')).toBe(true);
      await webhooks.create(webhook(ws), 3);
      expect(await webhooks.list(ws)).toHaveLength(3);
    });

    it('lets only three of many concurrent creates through a limit of three', async () => {
      const ws = `ws_${randomUUID()}`;
      const results = await Promise.allSettled(
        Array.from({ length: 8 }, () => webhooks.create(webhook(ws), 3)),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(3);
      expect(await webhooks.list(ws)).toHaveLength(3);
    });

    it('updates only existing webhooks', async () => {
      const ws = `ws_${randomUUID()}`;
      const record = webhook(ws);
      expect(await webhooks.update(record)).toBe(false);
      await webhooks.create(record, 50);
      expect(await webhooks.update({ ...record, is_active: false })).toBe(true);
      expect((await webhooks.get(ws, record.id))?.is_active).toBe(false);
    });
  });

  describe('deliveries', () => {
    it('writes a delivery id once (conditional put)', async () => {
      const record = delivery(randomUUID(), NOW);
      expect(await deliveries.createIfAbsent(record)).toBe(true);
      expect(await deliveries.createIfAbsent({ ...record, attempts: 5 })).toBe(false);
      expect((await deliveries.get(record.webhook_id, record.id, NOW))?.attempts).toBe(0);
    });

    it('records an attempt only when no other attempt was recorded meanwhile', async () => {
      const record = delivery(randomUUID(), NOW);
      await deliveries.createIfAbsent(record);
      expect(await deliveries.saveAttempt({ ...record, attempts: 1 }, 0)).toBe(true);
      expect(await deliveries.saveAttempt({ ...record, attempts: 1, status: 'success' }, 0)).toBe(false);
      expect((await deliveries.get(record.webhook_id, record.id, NOW))?.status).toBe('pending');
    });

    it('pages newest first with a `before` cursor and a status filter', async () => {
      const webhookId = randomUUID();
      const records = Array.from({ length: 7 }, (_, i) =>
        delivery(webhookId, NOW + i * 1000, { status: i % 2 === 0 ? 'success' : 'failed' }),
      );
      for (const record of records) await deliveries.createIfAbsent(record);
      const newestFirst = [...records].reverse().map((r) => r.id);

      const first = await deliveries.list(webhookId, { limit: 3, nowMs: NOW });
      expect(first.items.map((r) => r.id)).toEqual(newestFirst.slice(0, 3));
      expect(first.nextCursor).toBe(newestFirst[2]);
      const second = await deliveries.list(webhookId, {
        limit: 3,
        before: first.nextCursor ?? '',
        nowMs: NOW,
      });
      expect(second.items.map((r) => r.id)).toEqual(newestFirst.slice(3, 6));
      const last = await deliveries.list(webhookId, {
        limit: 3,
        before: second.nextCursor ?? '',
        nowMs: NOW,
      });
      expect(last.items.map((r) => r.id)).toEqual(newestFirst.slice(6));
      expect(last.nextCursor).toBeNull();

      const failed = await deliveries.list(webhookId, { limit: 50, status: 'failed', nowMs: NOW });
      const expectedFailed = [...records].reverse().filter((r) => r.status === 'failed');
      expect(failed.items.map((r) => r.id)).toEqual(expectedFailed.map((r) => r.id));
      expect(expectedFailed).toHaveLength(3);
    });

    it('treats expired deliveries as gone (TTL filtered on read)', async () => {
      const webhookId = randomUUID();
      const live = delivery(webhookId, NOW, { expires_at: Math.floor(NOW / 1000) + 60 });
      const expired = delivery(webhookId, NOW + 1, { expires_at: Math.floor(NOW / 1000) - 1 });
      await deliveries.createIfAbsent(live);
      await deliveries.createIfAbsent(expired);
      expect(await deliveries.get(webhookId, expired.id, NOW)).toBeNull();
      expect(await deliveries.get(webhookId, live.id, NOW)).not.toBeNull();
      expect((await deliveries.list(webhookId, { limit: 50, nowMs: NOW })).items.map((r) => r.id)).toEqual([
        live.id,
      ]);
      // Once the clock passes its expiry the live one is gone too.
      expect((await deliveries.list(webhookId, { limit: 50, nowMs: NOW + 120_000 })).items).toEqual([]);
    });
  });

  describe('events', () => {
    const event = (overrides: Partial<EventRecord> = {}): EventRecord => ({
      workspace_id: 'ws_events',
      id: randomUUID(),
      event_type: 'lookup.completed',
      body: '{"event":"lookup.completed"}',
      created_at: new Date(NOW).toISOString(),
      expires_at: Math.floor(NOW / 1000) + 3600,
      ...overrides,
    });

    it('stores an event once: the first publication of an id wins', async () => {
      const first = event();
      expect((await events.putIfAbsent(first)).created).toBe(true);
      const again = await events.putIfAbsent({ ...first, body: '{"other":true}' });
      expect(again.created).toBe(false);
      expect(again.record.body).toBe(first.body);
    });

    it('reads many at once and filters expired ones', async () => {
      const live = event();
      const expired = event({ expires_at: Math.floor(NOW / 1000) - 1 });
      await events.putIfAbsent(live);
      await events.putIfAbsent(expired);
      const found = await events.getMany('ws_events', [live.id, expired.id, 'missing'], NOW);
      expect([...found.keys()]).toEqual([live.id]);
      expect(await events.get('ws_events', expired.id, NOW)).toBeNull();
    });
  });
});
