import type { EventMessageIn } from '../../../functions/core/events.ts';
import { type FanOutPorts, fanOutEvent, subscribedWebhooks } from '../../../functions/core/fanout.ts';
import { DELIVERY_ID_PATTERN, deliveryIdFor } from '../../../functions/core/ids.ts';
import {
  FakeDeliveryQueue,
  FakeDeliveryStore,
  FakeEventStore,
  FakeWebhookStore,
  WORKSPACE,
  webhookRecord,
} from '../support/fakes.ts';

const NOW = Date.parse('2024-05-01T12:00:00.000Z');
const CREATED_AT = '2024-05-01T11:59:58.000Z';
const LEASE_MS = 30_000;

const webhooks = [
  webhookRecord({ id: 'wh_a', events: ['credits.low', 'credits.exhausted'] }),
  webhookRecord({ id: 'wh_b', events: ['credits.low'] }),
  webhookRecord({ id: 'wh_paused', events: ['credits.low'], is_active: false }),
  webhookRecord({ id: 'wh_other_event', events: ['lookup.completed'] }),
  webhookRecord({ id: 'wh_other_ws', workspace_id: 'ws_2', events: ['credits.low'] }),
];

const message: EventMessageIn = {
  id: 'evt_order_42',
  workspace_id: WORKSPACE,
  event: 'credits.low',
  data: { balance: 10, threshold: 100 },
  created_at: CREATED_AT,
};

function setup() {
  const ports = {
    webhooks: new FakeWebhookStore(webhooks),
    events: new FakeEventStore(),
    deliveries: new FakeDeliveryStore(),
    queue: new FakeDeliveryQueue(),
  } satisfies FanOutPorts;
  return ports;
}

describe('subscribedWebhooks', () => {
  it('keeps the active webhooks subscribed to the event type, in order', () => {
    expect(subscribedWebhooks(webhooks, 'credits.low').map((w) => w.id)).toEqual([
      'wh_a',
      'wh_b',
      'wh_other_ws',
    ]);
    expect(subscribedWebhooks(webhooks, 'credits.exhausted').map((w) => w.id)).toEqual(['wh_a']);
    expect(subscribedWebhooks(webhooks, 'apikey.created')).toEqual([]);
    expect(subscribedWebhooks([], 'credits.low')).toEqual([]);
  });

  it('never picks a paused webhook', () => {
    expect(
      subscribedWebhooks([webhookRecord({ is_active: false, events: ['credits.low'] })], 'credits.low'),
    ).toEqual([]);
  });
});

describe('fanOutEvent', () => {
  it('records and queues one delivery per active subscribed webhook of the workspace', async () => {
    const ports = setup();
    const result = await fanOutEvent(ports, message, {
      fallbackEventId: 'evt_fallback',
      nowMs: NOW,
      leaseMs: LEASE_MS,
    });

    expect(result).toEqual({ eventId: 'evt_order_42', queued: 2, duplicate: false, busy: false });
    const deliveries = [...ports.deliveries.items.values()];
    expect(deliveries.map((d) => d.webhook_id).sort()).toEqual(['wh_a', 'wh_b']);
    expect(ports.queue.messages).toHaveLength(2);
    expect(ports.queue.messages).toEqual(
      expect.arrayContaining(
        deliveries.map((d) => ({ workspace_id: WORKSPACE, webhook_id: d.webhook_id, delivery_id: d.id })),
      ),
    );
  });

  it('writes pending delivery records that point at the stored event', async () => {
    const ports = setup();
    await fanOutEvent(ports, message, { fallbackEventId: 'evt_fallback', nowMs: NOW, leaseMs: LEASE_MS });

    const delivery = [...ports.deliveries.items.values()].find((d) => d.webhook_id === 'wh_a');
    expect(delivery).toEqual({
      webhook_id: 'wh_a',
      // Dated by the event's first arrival (NOW), not by the producer's created_at.
      id: deliveryIdFor(NOW, `${WORKSPACE}\nevt_order_42\nwh_a`),
      workspace_id: WORKSPACE,
      event_type: 'credits.low',
      event_id: 'evt_order_42',
      status: 'pending',
      attempts: 0,
      response_status: null,
      response_body: null,
      error: null,
      last_attempt_at: null,
      next_attempt_at: '2024-05-01T12:00:00.000Z',
      created_at: '2024-05-01T12:00:00.000Z',
      expires_at: NOW / 1000 + 30 * 86_400,
    });
    expect(delivery?.id).toMatch(DELIVERY_ID_PATTERN);
  });

  it('stores the event body once, as the serialized envelope, and marks it fanned out', async () => {
    const ports = setup();
    await fanOutEvent(ports, message, { fallbackEventId: 'evt_fallback', nowMs: NOW, leaseMs: LEASE_MS });

    expect(ports.events.items.get(`${WORKSPACE}/evt_order_42`)).toEqual({
      workspace_id: WORKSPACE,
      id: 'evt_order_42',
      event_type: 'credits.low',
      body: '{"event":"credits.low","data":{"balance":10,"threshold":100},"created_at":"2024-05-01T11:59:58.000Z"}',
      created_at: CREATED_AT,
      received_at: '2024-05-01T12:00:00.000Z',
      expires_at: NOW / 1000 + 30 * 86_400,
      fanned_out_at: '2024-05-01T12:00:00.000Z',
      fanout_lease_until: NOW + LEASE_MS,
    });
  });

  it('uses the fallback id and the current time when the producer sent neither', async () => {
    const ports = setup();
    const { id: _id, created_at: _createdAt, ...bare } = message;
    const result = await fanOutEvent(ports, bare, {
      fallbackEventId: 'evt_fallback',
      nowMs: NOW,
      leaseMs: LEASE_MS,
    });

    expect(result.eventId).toBe('evt_fallback');
    const event = ports.events.items.get(`${WORKSPACE}/evt_fallback`);
    expect(event?.created_at).toBe('2024-05-01T12:00:00.000Z');
    expect(JSON.parse(event?.body ?? '{}')).toEqual({
      event: 'credits.low',
      data: { balance: 10, threshold: 100 },
      created_at: '2024-05-01T12:00:00.000Z',
    });
  });

  it('queues nothing for an event no active webhook subscribes to, and still marks it done', async () => {
    const ports = setup();
    const result = await fanOutEvent(
      ports,
      { ...message, event: 'apikey.created', data: { key_id: 'k', name: 'n', key_preview: '...abcd' } },
      { fallbackEventId: 'x', nowMs: NOW, leaseMs: LEASE_MS },
    );
    expect(result).toEqual({ eventId: 'evt_order_42', queued: 0, duplicate: false, busy: false });
    expect(ports.deliveries.items.size).toBe(0);
    expect(ports.queue.messages.flat()).toEqual([]);
    expect(ports.events.items.get(`${WORKSPACE}/evt_order_42`)?.fanned_out_at).toBeDefined();
  });

  it('derives the same delivery ids when a dead run is finished later, whatever the clock', async () => {
    const ports = setup();
    await fanOutEvent(ports, message, { fallbackEventId: 'a', nowMs: NOW, leaseMs: LEASE_MS });
    const first = ports.queue.messages
      .flat()
      .map((m) => m.delivery_id)
      .sort();
    // As if that run had died before marking the event: a later run takes the expired lease over.
    const stored = ports.events.items.get(`${WORKSPACE}/evt_order_42`);
    if (!stored) throw new Error('event not stored');
    ports.events.items.set(`${WORKSPACE}/evt_order_42`, { ...stored, fanned_out_at: undefined });
    ports.queue.messages.length = 0;
    await fanOutEvent(ports, message, { fallbackEventId: 'b', nowMs: NOW + 3_600_000, leaseMs: LEASE_MS });
    expect(
      ports.queue.messages
        .flat()
        .map((m) => m.delivery_id)
        .sort(),
    ).toEqual(first);
    expect(ports.deliveries.items.size).toBe(first.length);
  });

  it('dates deliveries of an event with a created_at before 1970 sensibly', async () => {
    const ports = setup();
    await fanOutEvent(
      ports,
      { ...message, created_at: '1969-07-20T20:17:40.000Z' },
      {
        fallbackEventId: 'x',
        nowMs: NOW,
        leaseMs: LEASE_MS,
      },
    );
    for (const delivery of ports.deliveries.items.values()) expect(delivery.id).toMatch(DELIVERY_ID_PATTERN);
  });

  it('gives different webhooks and different events different delivery ids', async () => {
    const ports = setup();
    await fanOutEvent(ports, message, { fallbackEventId: 'x', nowMs: NOW, leaseMs: LEASE_MS });
    await fanOutEvent(
      ports,
      { ...message, id: 'evt_order_43' },
      { fallbackEventId: 'x', nowMs: NOW, leaseMs: LEASE_MS },
    );
    const ids = [...ports.deliveries.items.values()].map((d) => d.id);
    expect(ids).toHaveLength(4);
    expect(new Set(ids).size).toBe(4);
  });

  it('does nothing for a repeat of an event already fanned out', async () => {
    const ports = setup();
    await fanOutEvent(ports, message, { fallbackEventId: 'x', nowMs: NOW, leaseMs: LEASE_MS });
    const repeat = await fanOutEvent(
      ports,
      { ...message, data: { balance: 1, threshold: 100 } },
      { fallbackEventId: 'x', nowMs: NOW + 60_000, leaseMs: LEASE_MS },
    );

    expect(repeat).toEqual({ eventId: 'evt_order_42', queued: 0, duplicate: true, busy: false });
    expect(ports.queue.messages).toHaveLength(2);
    expect(ports.deliveries.items.size).toBe(2);
    expect(ports.events.markFannedOutCalls).toBe(1);
    // The first publication's body stands.
    expect(ports.events.items.get(`${WORKSPACE}/evt_order_42`)?.body).toContain('"balance":10');
  });

  it('a run interrupted before markFannedOut is finished by the next run, without duplicate records', async () => {
    const ports = setup();
    ports.queue.failNext = 1;
    await expect(
      fanOutEvent(ports, message, { fallbackEventId: 'x', nowMs: NOW, leaseMs: LEASE_MS }),
    ).rejects.toThrow('queue unavailable');
    expect(ports.deliveries.items.size).toBe(2);
    expect(ports.queue.messages).toHaveLength(0);
    expect(ports.events.items.get(`${WORKSPACE}/evt_order_42`)?.fanned_out_at).toBeUndefined();
    const recordsAfterFirstRun = [...ports.deliveries.items.values()];

    // The message comes back after its visibility timeout, by which time the dead run's lease is over.
    const later = NOW + LEASE_MS + 150_000;
    const retry = await fanOutEvent(ports, message, {
      fallbackEventId: 'x',
      nowMs: later,
      leaseMs: LEASE_MS,
    });

    expect(retry).toEqual({ eventId: 'evt_order_42', queued: 2, duplicate: false, busy: false });
    expect(ports.deliveries.items.size).toBe(2);
    expect([...ports.deliveries.items.values()]).toEqual(recordsAfterFirstRun);
    expect(ports.queue.messages.map((m) => m.delivery_id).sort()).toEqual(
      recordsAfterFirstRun.map((d) => d.id).sort(),
    );
    expect(ports.events.items.get(`${WORKSPACE}/evt_order_42`)?.fanned_out_at).toBe(
      new Date(later).toISOString(),
    );

    const third = await fanOutEvent(ports, message, {
      fallbackEventId: 'x',
      nowMs: later + 1,
      leaseMs: LEASE_MS,
    });
    expect(third).toEqual({ eventId: 'evt_order_42', queued: 0, duplicate: true, busy: false });
    expect(ports.queue.messages).toHaveLength(2);
  });

  it('a run interrupted without created_at resumes with the same delivery ids', async () => {
    const ports = setup();
    const { created_at: _createdAt, ...withoutTime } = message;
    ports.queue.failNext = 1;
    await expect(
      fanOutEvent(ports, withoutTime, { fallbackEventId: 'x', nowMs: NOW, leaseMs: LEASE_MS }),
    ).rejects.toThrow();
    const later = NOW + LEASE_MS + 1;
    await fanOutEvent(ports, withoutTime, { fallbackEventId: 'x', nowMs: later, leaseMs: LEASE_MS });
    expect(ports.deliveries.items.size).toBe(2);
    expect(ports.queue.messages.map((m) => m.delivery_id).sort()).toEqual(
      [...ports.deliveries.items.values()].map((d) => d.id).sort(),
    );
  });

  it('a repeat arriving while another run holds the lease is busy and does nothing', async () => {
    const ports = setup();
    // A first run stored the event and is still working (its lease runs to NOW + LEASE_MS).
    await ports.events.putIfAbsent({
      workspace_id: WORKSPACE,
      id: 'evt_order_42',
      event_type: 'credits.low',
      body: '{}',
      created_at: CREATED_AT,
      expires_at: 1_900_000_000,
      fanout_lease_until: NOW + LEASE_MS,
    });
    const repeat = await fanOutEvent(ports, message, {
      fallbackEventId: 'x',
      nowMs: NOW + LEASE_MS - 1,
      leaseMs: LEASE_MS,
    });
    expect(repeat).toEqual({ eventId: 'evt_order_42', queued: 0, duplicate: false, busy: true });
    expect(ports.deliveries.createCalls).toBe(0);
    expect(ports.queue.messages).toHaveLength(0);
    expect(ports.events.items.get(`${WORKSPACE}/evt_order_42`)?.fanout_lease_until).toBe(NOW + LEASE_MS);
  });

  it('takes over an expired lease, renewing it for itself', async () => {
    const ports = setup();
    const renew = jest.spyOn(ports.events, 'renewLease');
    await ports.events.putIfAbsent({
      workspace_id: WORKSPACE,
      id: 'evt_order_42',
      event_type: 'credits.low',
      body: '{}',
      created_at: CREATED_AT,
      expires_at: 1_900_000_000,
      fanout_lease_until: NOW,
    });
    const result = await fanOutEvent(ports, message, { fallbackEventId: 'x', nowMs: NOW, leaseMs: LEASE_MS });
    expect(result).toEqual({ eventId: 'evt_order_42', queued: 2, duplicate: false, busy: false });
    expect(renew).toHaveBeenCalledWith(WORKSPACE, 'evt_order_42', NOW, NOW + LEASE_MS);
    expect(ports.events.items.get(`${WORKSPACE}/evt_order_42`)?.fanout_lease_until).toBe(NOW + LEASE_MS);
  });

  it('is busy when another run took the expired lease over first', async () => {
    const ports = setup();
    await ports.events.putIfAbsent({
      workspace_id: WORKSPACE,
      id: 'evt_order_42',
      event_type: 'credits.low',
      body: '{}',
      created_at: CREATED_AT,
      expires_at: 1_900_000_000,
      fanout_lease_until: NOW - 1,
    });
    jest.spyOn(ports.events, 'renewLease').mockResolvedValueOnce(false);
    const result = await fanOutEvent(ports, message, { fallbackEventId: 'x', nowMs: NOW, leaseMs: LEASE_MS });
    expect(result).toEqual({ eventId: 'evt_order_42', queued: 0, duplicate: false, busy: true });
    expect(ports.deliveries.createCalls).toBe(0);
    expect(ports.queue.messages).toHaveLength(0);
  });
});
