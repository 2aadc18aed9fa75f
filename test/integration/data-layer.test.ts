import { randomUUID } from 'node:crypto';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from '../../functions/adapters/dynamodb/client.ts';
import { DynamoDeliveryLog } from '../../functions/adapters/dynamodb/delivery-log-store.ts';
import { LimitExceededError } from '../../functions/core/errors.ts';
import { deliveryIdFor, eventKeyFor, timeKey } from '../../functions/core/ids.ts';
import {
  type DeliveryRow,
  deliveryIdOfRow,
  type EventClaim,
  type EventItem,
  type RecoveryRecord,
  recoveryItemId,
  rowKey,
  type WebhookRecord,
} from '../../functions/core/records.ts';
import { config } from '../../functions/shared/config.ts';
import {
  deliveryLog,
  dynamo,
  eventStore,
  recoveryStore,
  webhookStore,
} from '../../functions/shared/wiring.ts';

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

describe('DynamoDB adapters against the emulator (dynalite, or DynamoDB Local in CI)', () => {
  const webhooks = webhookStore();
  const log = deliveryLog();
  const events = eventStore();

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

    // Emulators are strongly consistent whatever the request says; DynamoDB is not. Fan-out reads the
    // subscribers (and create checks refs) right after writes, so the list must ask for a consistent read.
    it('lists a workspace’s webhooks with a strongly consistent query', async () => {
      const queries: Record<string, unknown>[] = [];
      const client = dynamo();
      client.middlewareStack.add(
        (next, context) => async (args) => {
          if (context.commandName === 'QueryCommand') queries.push(args.input as Record<string, unknown>);
          return next(args);
        },
        { step: 'initialize', name: 'spyQueries' },
      );
      try {
        await webhooks.list(`ws_${randomUUID()}`);
      } finally {
        client.middlewareStack.remove('spyQueries');
      }
      expect(queries).toEqual([
        expect.objectContaining({ TableName: config().tables.webhooks, ConsistentRead: true }),
      ]);
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

    it('updates only existing webhooks, and only from the version it read', async () => {
      const ws = `ws_${randomUUID()}`;
      const record = { ...webhook(ws), version: 1 };
      expect(await webhooks.update({ ...record, version: 2 }, 1)).toBe('missing');
      await webhooks.create(record, 50);
      expect(await webhooks.update({ ...record, is_active: false, version: 2 }, 1)).toBe('updated');
      expect((await webhooks.get(ws, record.id))?.is_active).toBe(false);
      // A writer that read version 1 lost to the one above: its change is refused, not applied.
      expect(await webhooks.update({ ...record, description: 'stale', version: 2 }, 1)).toBe('conflict');
      expect((await webhooks.get(ws, record.id))?.description).toBe('');
    });

    it('keeps the failing clock: started once, reset only from what was seen, disabling only while it runs', async () => {
      const ws = `ws_${randomUUID()}`;
      const record = { ...webhook(ws), version: 1 };
      await webhooks.create(record, 50);
      expect(await webhooks.markFailing(ws, record.id, '2026-01-01T00:00:00.000Z')).toBe(true);
      expect(await webhooks.markFailing(ws, record.id, '2026-01-02T00:00:00.000Z')).toBe(false);
      expect((await webhooks.get(ws, record.id))?.failing_since).toBe('2026-01-01T00:00:00.000Z');
      // A clock seen at another start (reset and started again since) is not touched.
      expect(
        await webhooks.disableFailing(ws, record.id, '2026-01-02T00:00:00.000Z', '2026-01-06T00:00:00.000Z'),
      ).toBeNull();
      const disabled = await webhooks.disableFailing(
        ws,
        record.id,
        '2026-01-01T00:00:00.000Z',
        '2026-01-06T00:00:00.000Z',
      );
      expect(disabled).toMatchObject({
        is_active: false,
        disabled_reason: 'failing',
        paused_at: '2026-01-06T00:00:00.000Z',
      });
      expect(disabled?.version).toBe(3);
      // Only once: the second disable finds it inactive.
      expect(
        await webhooks.disableFailing(ws, record.id, '2026-01-01T00:00:00.000Z', '2026-01-07T00:00:00.000Z'),
      ).toBeNull();
      await webhooks.clearFailing(ws, record.id, '2026-01-01T00:00:00.000Z');
      expect((await webhooks.get(ws, record.id))?.failing_since).toBeUndefined();
    });
  });

  describe('delivery log', () => {
    let n = 0;
    function row(
      webhookId: string,
      deliveryId: string,
      seq: number,
      overrides: Partial<DeliveryRow> = {},
    ): DeliveryRow {
      n++;
      return {
        webhook_id: webhookId,
        id: rowKey(deliveryId, seq),
        workspace_id: 'ws',
        kind: 'attempt',
        seq,
        run: 1,
        run_attempts: seq,
        attempts: seq,
        event_type: 'lookup.completed',
        created_at: new Date(NOW).toISOString(),
        status: 'pending',
        expires_at: Math.floor(NOW / 1000) + 3600,
        message_id: `m${n}`,
        ...overrides,
      };
    }
    const deliveryAt = (ms: number) => deliveryIdFor(eventKeyFor(ms, 'ws', randomUUID()), 'ws', 'wh');

    it('appends a row once (conditional put) and reads a delivery’s newest row as its state', async () => {
      const webhookId = randomUUID();
      const id = deliveryAt(NOW);
      expect(await log.append(row(webhookId, id, 1))).toBe(true);
      expect(await log.append(row(webhookId, id, 1, { status: 'success' }))).toBe(false);
      expect(await log.append(row(webhookId, id, 2, { status: 'success' }))).toBe(true);
      expect((await log.latest(webhookId, id, NOW))?.seq).toBe(2);
      expect((await log.rows(webhookId, id, NOW)).map((r) => r.seq)).toEqual([2, 1]);
      expect(await log.latest(webhookId, deliveryAt(NOW), NOW)).toBeNull();
    });

    it('keeps a delivery’s rows apart from one whose id it begins with', async () => {
      const webhookId = randomUUID();
      const id = deliveryAt(NOW);
      await log.append(row(webhookId, id, 1));
      expect(await log.latest(webhookId, id.slice(0, -1), NOW)).toBeNull();
    });

    it('writes many rows in batches of 25, unconditionally', async () => {
      const webhookId = randomUUID();
      const rows = Array.from({ length: 60 }, () =>
        row(webhookId, deliveryAt(NOW), 1, { status: 'success' }),
      );
      expect(await log.appendAll(rows)).toEqual([]);
      const page = await log.page(webhookId, { limit: 100, nowMs: NOW });
      expect(page.items).toHaveLength(60);
    });

    it('writes again what a batch left unprocessed, and reports what stayed unwritten', async () => {
      const webhookId = randomUUID();
      const rows = Array.from({ length: 4 }, () => row(webhookId, deliveryAt(NOW), 1));
      const flaky = withUnprocessed(createDocumentClient(config().endpoints.dynamodb), 2);
      const logged = new DynamoDeliveryLog(flaky.client, config().tables.deliveries);
      expect(await logged.appendAll(rows)).toEqual([]);
      expect(flaky.calls()).toBe(3); // two rounds left half of it unprocessed, the third wrote the rest
      expect((await log.page(webhookId, { limit: 10, nowMs: NOW })).items).toHaveLength(4);

      // Throttled throughout: after its rounds it reports every row it could not write, and only those.
      const stuck = withUnprocessed(createDocumentClient(config().endpoints.dynamodb), 99, 0);
      const never = new DynamoDeliveryLog(stuck.client, config().tables.deliveries);
      const more = Array.from({ length: 4 }, () => row(randomUUID(), deliveryAt(NOW), 1));
      const unwritten = await never.appendAll(more);
      expect(unwritten).toEqual(expect.arrayContaining(more));
      expect(unwritten).toHaveLength(4);
      expect(stuck.calls()).toBe(4);
    });

    it('pages a webhook’s rows newest first below a delivery id, filtering by event type', async () => {
      const webhookId = randomUUID();
      const ids = Array.from({ length: 5 }, (_, i) => deliveryAt(NOW + i * 1000));
      for (const [i, id] of ids.entries()) {
        await log.append(row(webhookId, id, 1, { event_type: i % 2 ? 'credits.low' : 'lookup.completed' }));
        await log.append(row(webhookId, id, 2, { event_type: i % 2 ? 'credits.low' : 'lookup.completed' }));
      }
      const all = await log.page(webhookId, { limit: 100, nowMs: NOW });
      expect(all.items.map((r) => r.id)).toEqual(
        ids
          .flatMap((id) => [rowKey(id, 1), rowKey(id, 2)])
          .sort()
          .reverse(),
      );
      const below = await log.page(webhookId, { before: ids[3], limit: 100, nowMs: NOW });
      expect(below.items.map((r) => deliveryIdOfRow(r))).toEqual([
        ids[2],
        ids[2],
        ids[1],
        ids[1],
        ids[0],
        ids[0],
      ]);
      const lows = await log.page(webhookId, { eventType: 'credits.low', limit: 100, nowMs: NOW });
      expect(new Set(lows.items.map((r) => deliveryIdOfRow(r)))).toEqual(new Set([ids[1], ids[3]]));
      const first = await log.page(webhookId, { limit: 3, nowMs: NOW });
      expect(first.next).not.toBeNull();
      const rest = await log.page(webhookId, { limit: 100, next: first.next ?? undefined, nowMs: NOW });
      expect([...first.items, ...rest.items].map((r) => r.id)).toEqual(all.items.map((r) => r.id));
    });

    it('treats expired rows as gone', async () => {
      const webhookId = randomUUID();
      const id = deliveryAt(NOW);
      await log.append(row(webhookId, id, 1, { expires_at: Math.floor(NOW / 1000) - 1 }));
      expect(await log.latest(webhookId, id, NOW)).toBeNull();
      expect(await log.rows(webhookId, id, NOW)).toEqual([]);
    });
  });

  describe('events', () => {
    const ws = `ws_events_${randomUUID().slice(0, 8)}`;
    const claim = (eventId: string, overrides: Partial<EventClaim> = {}): EventClaim => ({
      workspace_id: ws,
      id: `k#${eventId}`,
      event_key: eventKeyFor(NOW, ws, eventId),
      received_at: new Date(NOW).toISOString(),
      lease_until: NOW + 30_000,
      expires_at: Math.floor(NOW / 1000) + 3600,
      ...overrides,
    });
    const item = (eventId: string, atMs: number, overrides: Partial<EventItem> = {}): EventItem => ({
      workspace_id: ws,
      id: `e#${eventKeyFor(atMs, ws, eventId)}`,
      event_id: eventId,
      event_type: 'lookup.completed',
      body: '{"event":"lookup.completed"}',
      created_at: new Date(atMs).toISOString(),
      received_at: new Date(atMs).toISOString(),
      targets: ['wh_1'],
      expires_at: Math.floor(NOW / 1000) + 3600,
      ...overrides,
    });

    it('marks a stored event whose fan-out failed for good, and never creates one that is not stored', async () => {
      const stored = item(randomUUID(), NOW);
      const key = stored.id.slice(2);
      await events.put(stored);
      const at = new Date(NOW + 5).toISOString();
      await events.markFanOutFailed(ws, key, at, `SQS is down ${'x'.repeat(600)}`);
      const marked = await events.get(ws, key, NOW);
      expect(marked).toMatchObject({ ...stored, fanout_failed_at: at });
      expect(marked?.fanout_error).toHaveLength(500);
      // A redriven fan-out stores it again: the mark is gone.
      await events.put(stored);
      expect(await events.get(ws, key, NOW)).toEqual(stored);
      const missing = eventKeyFor(NOW, ws, randomUUID());
      await events.markFanOutFailed(ws, missing, at, 'SQS is down');
      expect(await events.get(ws, missing, NOW)).toBeNull();
    });

    it('claims an event id once: the first publication wins', async () => {
      const id = randomUUID();
      expect(await events.claim(claim(id))).toBe(true);
      expect(await events.claim(claim(id, { lease_until: 1 }))).toBe(false);
      expect((await events.getClaim(ws, id))?.lease_until).toBe(NOW + 30_000);
      expect(await events.getClaim(ws, 'never-claimed')).toBeNull();
    });

    it('lets exactly one run take an expired lease over, and none once the claim is done', async () => {
      const id = randomUUID();
      await events.claim(claim(id, { lease_until: NOW }));
      const takeovers = await Promise.all([
        events.renewLease(ws, id, NOW, NOW + 1000),
        events.renewLease(ws, id, NOW, NOW + 2000),
      ]);
      expect(takeovers.filter(Boolean)).toHaveLength(1);
      expect(await events.renewLease(ws, id, NOW, NOW + 3000)).toBe(false); // the lease seen is gone
      const current = await events.getClaim(ws, id);
      await events.markDone(ws, id);
      expect(await events.renewLease(ws, id, current?.lease_until ?? 0, NOW + 9000)).toBe(false);
      expect((await events.getClaim(ws, id))?.done).toBe(true);
    });

    it('stores events by time: pages newest first, between keys, without the claims', async () => {
      const wsItems = [0, 1, 2, 3].map((i) => item(`evt_${i}_${randomUUID()}`, NOW + i * 1000));
      for (const e of wsItems) await events.put(e);
      await events.claim(claim(randomUUID()));
      const all = await events.page(ws, { limit: 100, nowMs: NOW });
      const mine = all.items.filter((e) => wsItems.some((w) => w.id === e.id));
      expect(mine.map((e) => e.id)).toEqual([...wsItems].reverse().map((e) => e.id));
      expect(all.items.every((e) => e.id.startsWith('e#'))).toBe(true);
      const key = (e: EventItem | undefined) => (e?.id ?? '').slice(2);
      const window = await events.page(ws, {
        atOrBelow: key(wsItems[2]),
        from: key(wsItems[1]),
        limit: 100,
        nowMs: NOW,
      });
      expect(window.items.map((e) => e.id)).toEqual([wsItems[2]?.id, wsItems[1]?.id]);
      expect((await events.get(ws, key(wsItems[0]), NOW))?.event_id).toBe(wsItems[0]?.event_id);
      const many = await events.getMany(ws, [key(wsItems[0]), key(wsItems[3]), 'missing'], NOW);
      expect([...many.keys()].sort()).toEqual([key(wsItems[0]), key(wsItems[3])].sort());
    });

    it('reads a window oldest first for recovery: from a time, after a cursor, below a time, in bounded pages', async () => {
      const base = NOW + 100_000;
      const window = [0, 1, 2, 3, 4].map((i) => item(`evt_range_${i}_${randomUUID()}`, base + i * 1000));
      for (const e of window) await events.put(e);
      await events.claim(claim(randomUUID()));
      const key = (e: EventItem | undefined) => (e?.id ?? '').slice(2);
      const from = timeKey(base + 1000);
      const below = timeKey(base + 4000);
      const first = await events.range(ws, { from, below, limit: 2, nowMs: NOW });
      expect(first.items.map(key)).toEqual([key(window[1]), key(window[2])]);
      expect(first.position).toBe(key(window[2]));
      expect(first.more).toBe(true);
      const second = await events.range(ws, {
        after: first.position ?? '',
        from,
        below,
        limit: 2,
        nowMs: NOW,
      });
      // The event at `below`'s very millisecond is outside the window: [since, until).
      expect(second.items.map(key)).toEqual([key(window[3])]);
      expect(second.more).toBe(false);
    });

    it('treats expired events as gone', async () => {
      const expired = item(randomUUID(), NOW, { expires_at: Math.floor(NOW / 1000) - 1 });
      await events.put(expired);
      expect(await events.get(ws, expired.id.slice(2), NOW)).toBeNull();
      expect((await events.getMany(ws, [expired.id.slice(2)], NOW)).size).toBe(0);
    });
  });

  describe('recoveries', () => {
    const recoveries = recoveryStore();
    const record = (ws: string, id: string): RecoveryRecord => ({
      workspace_id: ws,
      id: recoveryItemId(id),
      webhook_id: randomUUID(),
      since: new Date(NOW - 3_600_000).toISOString(),
      until: new Date(NOW).toISOString(),
      status: 'running',
      step: 0,
      queued: 0,
      skipped: 0,
      created_at: new Date(NOW).toISOString(),
      updated_at: new Date(NOW).toISOString(),
      expires_at: Math.floor(NOW / 1000) + 3600,
    });

    it('keeps a recovery beside the webhooks, out of their list, and advances it only from the step it ran', async () => {
      const ws = `ws_${randomUUID()}`;
      const id = `rcv_${randomUUID()}`;
      await recoveries.create(record(ws, id));
      await expect(recoveries.create(record(ws, id))).rejects.toThrow();
      expect(await webhooks.list(ws)).toEqual([]);
      expect(await webhooks.get(ws, recoveryItemId(id))).toBeNull();
      expect(await recoveries.get(`ws_${randomUUID()}`, id)).toBeNull();

      const next = { ...record(ws, id), step: 1, cursor: 'K1', queued: 3 };
      const both = await Promise.all([
        recoveries.advance(next, 0),
        recoveries.advance({ ...next, queued: 9 }, 0),
      ]);
      expect(both.filter(Boolean)).toHaveLength(1);
      expect(await recoveries.advance({ ...next, step: 2 }, 0)).toBe(false);
      expect(await recoveries.get(ws, id)).toMatchObject({ step: 1, cursor: 'K1' });
      expect(await recoveries.advance(record(`ws_${randomUUID()}`, id), 0)).toBe(false);
    });
  });
});

/**
 * A document client whose BatchWriteItem answers leave part of each batch unprocessed for the first
 * `rounds` calls (as DynamoDB does under throttling), writing only the share `written` of it.
 */
function withUnprocessed(client: DynamoDBDocumentClient, rounds: number, written = 0.5) {
  let calls = 0;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName !== 'BatchWriteItemCommand') return next(args);
      calls++;
      if (calls > rounds) return next(args);
      const input = args.input as { RequestItems: Record<string, unknown[]> };
      const [table, requests] = Object.entries(input.RequestItems)[0] ?? ['', []];
      const keep = requests.slice(0, Math.ceil(requests.length * written));
      const left = requests.slice(keep.length);
      input.RequestItems = { [table]: keep };
      const result = keep.length ? await next(args) : { output: { $metadata: {} }, response: {} as never };
      (result.output as { UnprocessedItems?: Record<string, unknown[]> }).UnprocessedItems = left.length
        ? { [table]: left }
        : {};
      return result;
    },
    { step: 'serialize', priority: 'high', name: 'injectUnprocessed' },
  );
  return { client, calls: () => calls };
}
