import type { EventMessageIn } from '../../../functions/core/events.ts';
import {
  type FanOutOutcome,
  type FanOutPorts,
  fanOutEvents,
  INLINE_BODY_MAX_BYTES,
  subscribedWebhooks,
} from '../../../functions/core/fanout.ts';
import { DELIVERY_ID_PATTERN, deliveryIdFor, eventKeyFor } from '../../../functions/core/ids.ts';
import {
  FakeDeliveryQueue,
  FakeEventStore,
  FakeWebhookStore,
  WORKSPACE,
  webhookRecord,
} from '../support/fakes.ts';

const NOW = Date.parse('2024-05-01T12:00:00.000Z');
const CREATED_AT = '2024-05-01T11:59:58.000Z';
const LEASE_MS = 30_000;
const RETENTION = 30 * 86_400;

const webhooks = [
  webhookRecord({ id: 'wh_a', events: ['credits.low', 'credits.exhausted'] }),
  webhookRecord({ id: 'wh_b', events: ['credits.low'], url: 'https://b.example.com/hook' }),
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
const BODY =
  '{"event":"credits.low","data":{"balance":10,"threshold":100},"created_at":"2024-05-01T11:59:58.000Z"}';
const EVENT_KEY = eventKeyFor(NOW, WORKSPACE, 'evt_order_42');
/** Too large to travel in the delivery messages: stored before they are sent. */
const big: EventMessageIn = {
  ...message,
  data: { balance: 10, threshold: 100, notes: 'x'.repeat(INLINE_BODY_MAX_BYTES) },
};

function setup(records = webhooks) {
  return {
    webhooks: new FakeWebhookStore(records),
    events: new FakeEventStore(),
    queue: new FakeDeliveryQueue(),
  } satisfies FanOutPorts;
}

async function fanOut(
  ports: ReturnType<typeof setup>,
  input: EventMessageIn = message,
  nowMs = NOW,
  fallbackEventId = 'evt_fallback',
): Promise<FanOutOutcome> {
  const [outcome] = await fanOutEvents(ports, [{ message: input, fallbackEventId }], {
    nowMs,
    leaseMs: LEASE_MS,
  });
  if (!outcome) throw new Error('no outcome');
  return outcome;
}

const storedEvent = (ports: ReturnType<typeof setup>, key = EVENT_KEY) =>
  ports.events.items.get(`${WORKSPACE}/e#${key}`);

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
});

describe('fanOutEvents', () => {
  it('queues one message per active subscribed webhook of the workspace, carrying what a first attempt needs', async () => {
    const ports = setup();
    expect(await fanOut(ports)).toEqual({
      kind: 'done',
      eventId: 'evt_order_42',
      queued: 2,
      duplicate: false,
    });
    expect(ports.queue.messages).toEqual([
      {
        workspace_id: WORKSPACE,
        webhook_id: 'wh_a',
        delivery_id: deliveryIdFor(EVENT_KEY, WORKSPACE, 'wh_a'),
        event_type: 'credits.low',
        event_key: EVENT_KEY,
        event_id: 'evt_order_42',
        // Dated by the event's first arrival (NOW), not by the producer's created_at.
        created_at: '2024-05-01T12:00:00.000Z',
        queued_at: NOW,
        body: BODY,
        webhook: {
          url: 'https://receiver.example.com/hooks',
          secret_ciphertext: 'ciphertext',
          updated_at: '2024-01-01T00:00:00.000Z',
        },
      },
      expect.objectContaining({
        webhook_id: 'wh_b',
        delivery_id: deliveryIdFor(EVENT_KEY, WORKSPACE, 'wh_b'),
        webhook: expect.objectContaining({ url: 'https://b.example.com/hook' }),
      }),
    ]);
    expect(ports.queue.messages).toHaveLength(2);
    for (const m of ports.queue.messages) expect(m.delivery_id).toMatch(DELIVERY_ID_PATTERN);
  });

  it('stores the event once, with its body and the webhooks it went to, and claims its id', async () => {
    const ports = setup();
    await fanOut(ports);
    expect(storedEvent(ports)).toEqual({
      workspace_id: WORKSPACE,
      id: `e#${EVENT_KEY}`,
      event_id: 'evt_order_42',
      event_type: 'credits.low',
      body: BODY,
      created_at: CREATED_AT,
      received_at: '2024-05-01T12:00:00.000Z',
      targets: ['wh_a', 'wh_b'],
      expires_at: NOW / 1000 + RETENTION,
    });
    expect(ports.events.claims.get(`${WORKSPACE}/k#evt_order_42`)).toEqual({
      workspace_id: WORKSPACE,
      id: 'k#evt_order_42',
      event_key: EVENT_KEY,
      received_at: '2024-05-01T12:00:00.000Z',
      lease_until: NOW + LEASE_MS,
      expires_at: NOW / 1000 + RETENTION,
    });
  });

  it('stores a small event only after its messages are out: its presence marks the fan-out done', async () => {
    const ports = setup();
    ports.queue.faults.failNext('send');
    expect(await fanOut(ports)).toMatchObject({ kind: 'failed', eventId: 'evt_order_42' });
    expect(storedEvent(ports)).toBeUndefined();
    expect(ports.events.faults.count('put')).toBe(0);
  });

  it('uses the fallback id and the first arrival as created_at when the producer sent neither', async () => {
    const ports = setup();
    const { id: _id, created_at: _createdAt, ...bare } = message;
    const outcome = await fanOut(ports, bare);
    expect(outcome).toMatchObject({ kind: 'done', eventId: 'evt_fallback' });
    const stored = storedEvent(ports, eventKeyFor(NOW, WORKSPACE, 'evt_fallback'));
    expect(stored?.created_at).toBe('2024-05-01T12:00:00.000Z');
    expect(JSON.parse(stored?.body ?? '{}')).toEqual({
      event: 'credits.low',
      data: { balance: 10, threshold: 100 },
      created_at: '2024-05-01T12:00:00.000Z',
    });
  });

  it('stores nothing for a workspace without webhooks: no recovery could ever want it', async () => {
    const ports = setup([]);
    expect(await fanOut(ports)).toEqual({
      kind: 'done',
      eventId: 'evt_order_42',
      queued: 0,
      duplicate: false,
    });
    expect(ports.events.claims.size).toBe(0);
    expect(ports.events.items.size).toBe(0);
  });

  it('stores an event no active webhook wants, with no targets, so a later recovery can find it', async () => {
    const ports = setup([webhookRecord({ id: 'wh_p', events: ['credits.low'], is_active: false })]);
    expect(await fanOut(ports)).toEqual({
      kind: 'done',
      eventId: 'evt_order_42',
      queued: 0,
      duplicate: false,
    });
    expect(storedEvent(ports)?.targets).toEqual([]);
    expect(ports.queue.messages).toEqual([]);
  });

  it('does nothing for a repeat of an event already fanned out; the first body stands', async () => {
    const ports = setup();
    await fanOut(ports);
    const repeat = await fanOut(ports, { ...message, data: { balance: 1, threshold: 100 } }, NOW + 60_000);
    expect(repeat).toEqual({ kind: 'done', eventId: 'evt_order_42', queued: 0, duplicate: true });
    expect(ports.queue.messages).toHaveLength(2);
    expect(storedEvent(ports)?.body).toContain('"balance":10');
  });

  it('is busy, for the lease’s remaining time, when a repeat arrives while another run holds it', async () => {
    const ports = setup();
    ports.queue.faults.failNext('send'); // the first run is "still at it": claimed, nothing stored
    await fanOut(ports);
    const repeat = await fanOut(ports, message, NOW + LEASE_MS - 4_500);
    expect(repeat).toEqual({ kind: 'busy', eventId: 'evt_order_42', retryInSeconds: 5 });
    expect(ports.queue.messages).toEqual([]);
    expect(ports.events.claims.get(`${WORKSPACE}/k#evt_order_42`)?.lease_until).toBe(NOW + LEASE_MS);
  });

  it('finishes a run that died midway, once its lease ran out: same ids, same bytes, dated by first arrival', async () => {
    const ports = setup();
    const { created_at: _createdAt, ...withoutTime } = message;
    ports.queue.faults.failNext('send');
    expect(await fanOut(ports, withoutTime)).toMatchObject({ kind: 'failed' });

    const later = NOW + LEASE_MS + 150_000;
    expect(await fanOut(ports, withoutTime, later)).toEqual({
      kind: 'done',
      eventId: 'evt_order_42',
      queued: 2,
      duplicate: false,
    });
    expect(ports.events.claims.get(`${WORKSPACE}/k#evt_order_42`)?.lease_until).toBe(later + LEASE_MS);
    expect(ports.queue.messages.map((m) => m.delivery_id)).toEqual([
      deliveryIdFor(EVENT_KEY, WORKSPACE, 'wh_a'),
      deliveryIdFor(EVENT_KEY, WORKSPACE, 'wh_b'),
    ]);
    for (const m of ports.queue.messages) {
      // The dead run may have queued some already: these read the log before sending.
      expect(m).toMatchObject({ resumed: true, created_at: '2024-05-01T12:00:00.000Z', queued_at: later });
      expect(m.webhook).toBeUndefined();
      expect(JSON.parse(m.body ?? '{}').created_at).toBe('2024-05-01T12:00:00.000Z');
    }
    expect(storedEvent(ports)?.received_at).toBe('2024-05-01T12:00:00.000Z');
    expect(await fanOut(ports, withoutTime, later + 1)).toMatchObject({ duplicate: true, queued: 0 });
  });

  it('is busy when another run took the expired lease over first', async () => {
    const ports = setup();
    ports.queue.faults.failNext('send');
    await fanOut(ports);
    jest.spyOn(ports.events, 'renewLease').mockResolvedValueOnce(false);
    expect(await fanOut(ports, message, NOW + LEASE_MS)).toEqual({
      kind: 'busy',
      eventId: 'evt_order_42',
      retryInSeconds: 1,
    });
    expect(ports.queue.messages).toEqual([]);
  });

  it('sends nothing for a large event whose store failed (the messages would point at a body nobody can read)', async () => {
    const ports = setup();
    ports.events.faults.failNext('put');
    expect(await fanOut(ports, big)).toMatchObject({ kind: 'failed' });
    expect(ports.queue.messages).toEqual([]);
    expect(storedEvent(ports)).toBeUndefined();
  });

  it('stores a large event first (the messages cannot carry it) and marks the claim done after', async () => {
    const ports = setup();
    await fanOut(ports, big);
    expect(storedEvent(ports)?.body).toContain('xxxx');
    expect(ports.queue.messages).toHaveLength(2);
    for (const m of ports.queue.messages) expect(m.body).toBeUndefined();
    expect(ports.events.claims.get(`${WORKSPACE}/k#evt_order_42`)?.done).toBe(true);
    expect(await fanOut(ports, big, NOW + 1)).toMatchObject({ duplicate: true });
  });

  it('a large event stored before a crash is not mistaken for a finished one', async () => {
    const ports = setup();
    ports.queue.faults.failNext('send');
    await fanOut(ports, big);
    expect(storedEvent(ports)).toBeDefined();
    expect(await fanOut(ports, big, NOW + LEASE_MS)).toMatchObject({
      kind: 'done',
      queued: 2,
      duplicate: false,
    });
  });

  describe('a fan-out that fails on the queue’s last receive (the queue then dead-letters it)', () => {
    const fanOutLast = async (
      ports: ReturnType<typeof setup>,
      input: EventMessageIn,
      lastReceive: boolean,
      nowMs = NOW,
    ) => {
      const [outcome] = await fanOutEvents(ports, [{ message: input, fallbackEventId: 'x', lastReceive }], {
        nowMs,
        leaseMs: LEASE_MS,
      });
      return outcome;
    };

    it('marks a stored (large) event with when and why, so its deliveries are not listed pending forever', async () => {
      const ports = setup();
      ports.queue.faults.failNext('send');
      expect(await fanOutLast(ports, big, true)).toMatchObject({ kind: 'failed' });
      expect(storedEvent(ports)).toMatchObject({
        fanout_failed_at: new Date(NOW).toISOString(),
        fanout_error: 'send failed (injected)',
      });
    });

    it('marks nothing on an earlier receive: the message comes back and is fanned out again', async () => {
      const ports = setup();
      ports.queue.faults.failNext('send');
      await fanOutLast(ports, big, false);
      expect(storedEvent(ports)).toBeDefined();
      expect(storedEvent(ports)?.fanout_failed_at).toBeUndefined();
    });

    it('a redriven fan-out stores the event again, without the mark', async () => {
      const ports = setup();
      ports.queue.faults.failNext('send');
      await fanOutLast(ports, big, true);
      expect(await fanOutLast(ports, big, false, NOW + LEASE_MS)).toMatchObject({ kind: 'done', queued: 2 });
      expect(storedEvent(ports)?.fanout_failed_at).toBeUndefined();
    });

    it('is best effort: a mark that cannot be written leaves the outcome as it was', async () => {
      const ports = setup();
      ports.queue.faults.failNext('send');
      ports.events.faults.failNext('markFanOutFailed');
      expect(await fanOutLast(ports, big, true)).toMatchObject({ kind: 'failed' });
      expect(storedEvent(ports)?.fanout_failed_at).toBeUndefined();
    });
  });

  it('queues the messages of a whole batch of events together, failing only the event SQS refused', async () => {
    const ports = setup();
    ports.queue.refuse = (m) => m.event_id === 'evt_2' && m.webhook_id === 'wh_b';
    const outcomes = await fanOutEvents(
      ports,
      ['evt_1', 'evt_2', 'evt_3'].map((id) => ({ message: { ...message, id }, fallbackEventId: id })),
      { nowMs: NOW, leaseMs: LEASE_MS },
    );
    expect(ports.queue.faults.count('send')).toBe(1);
    expect(outcomes.map((o) => o.kind)).toEqual(['done', 'failed', 'done']);
    expect(storedEvent(ports, eventKeyFor(NOW, WORKSPACE, 'evt_2'))).toBeUndefined();
    expect(storedEvent(ports, eventKeyFor(NOW, WORKSPACE, 'evt_3'))?.targets).toEqual(['wh_a', 'wh_b']);
  });

  it('fails an event whose store is down without holding up the others', async () => {
    const ports = setup();
    ports.events.faults.failNext('claim');
    const outcomes = await fanOutEvents(
      ports,
      ['evt_1', 'evt_2'].map((id) => ({ message: { ...message, id }, fallbackEventId: id })),
      { nowMs: NOW, leaseMs: LEASE_MS },
    );
    expect(outcomes.map((o) => o.kind)).toEqual(['failed', 'done']);
    expect(ports.queue.messages.map((m) => m.event_id)).toEqual(['evt_2', 'evt_2']);
  });

  it('gives different webhooks and different events different delivery ids', async () => {
    const ports = setup();
    await fanOut(ports);
    await fanOut(ports, { ...message, id: 'evt_order_43' });
    expect(new Set(ports.queue.messages.map((m) => m.delivery_id)).size).toBe(4);
  });
});

describe('fanOutEvents at its edges', () => {
  it('carries a body of exactly 4 KiB in the messages, and stores a larger one first', async () => {
    const envelopeWithout = BODY.length - '{"balance":10,"threshold":100}'.length;
    for (const [size, inline] of [
      [INLINE_BODY_MAX_BYTES, true],
      [INLINE_BODY_MAX_BYTES + 1, false],
    ] as const) {
      const ports = setup();
      // {"balance":10,"threshold":100,"p":"…"} sized so the whole envelope is `size` bytes.
      const pad = size - envelopeWithout - '{"balance":10,"threshold":100,"p":""}'.length;
      const data = { balance: 10, threshold: 100, p: 'x'.repeat(pad) };
      await fanOut(ports, { ...message, data });
      const stored = storedEvent(ports);
      expect(Buffer.byteLength(stored?.body ?? '')).toBe(size);
      expect(ports.queue.messages).toHaveLength(2);
      expect(ports.queue.messages.every((m) => (m.body !== undefined) === inline)).toBe(true);
      expect(ports.events.claims.get(`${WORKSPACE}/k#evt_order_42`)?.done).toBe(inline ? undefined : true);
    }
  });

  it('never sends webhook.disabled to the webhook it is about, and does send it to the others', async () => {
    const ports = setup([
      webhookRecord({ id: 'wh_dead', events: ['webhook.disabled'] }),
      webhookRecord({ id: 'wh_watch', events: ['webhook.disabled'] }),
    ]);
    const disabled: EventMessageIn = {
      id: 'encrata:webhook.disabled:wh_dead:x',
      workspace_id: WORKSPACE,
      event: 'webhook.disabled',
      data: {
        webhook_id: 'wh_dead',
        url: 'https://x.example.com',
        reason: 'failing',
        failing_since: CREATED_AT,
      },
    };
    await fanOut(ports, disabled);
    expect(ports.queue.messages.map((m) => m.webhook_id)).toEqual(['wh_watch']);
    expect(
      ports.events.items.get(`${WORKSPACE}/e#${eventKeyFor(NOW, WORKSPACE, disabled.id ?? '')}`)?.targets,
    ).toEqual(['wh_watch']);
    // Another type carrying a webhook_id field is not filtered.
    const other = setup([webhookRecord({ id: 'wh_dead', events: ['credits.low'] })]);
    await fanOut(other, { ...message, data: { balance: 1, threshold: 2, webhook_id: 'wh_dead' } });
    expect(other.queue.messages.map((m) => m.webhook_id)).toEqual(['wh_dead']);
  });

  it('fails every event of a batch whose queue send threw, naming each event, and stores none of them', async () => {
    const ports = setup();
    ports.queue.faults.failNext('send');
    const outcomes = await fanOutEvents(
      ports,
      [
        { message, fallbackEventId: 'x' },
        { message: { ...message, id: 'evt_2' }, fallbackEventId: 'y' },
      ],
      { nowMs: NOW, leaseMs: LEASE_MS },
    );
    expect(outcomes.map((o) => [o.kind, o.eventId])).toEqual([
      ['failed', 'evt_order_42'],
      ['failed', 'evt_2'],
    ]);
    // Each with the error SQS gave (what the log line shows), not a generic refusal.
    for (const outcome of outcomes) {
      expect(outcome.kind === 'failed' && String(outcome.error)).toBe('Error: send failed (injected)');
    }
    expect(ports.events.items.size).toBe(0);
  });

  it('fails an event whose done mark could not be written, so its message comes back', async () => {
    const ports = setup();
    ports.events.faults.failNext('put');
    expect(await fanOut(ports)).toMatchObject({ kind: 'failed', eventId: 'evt_order_42' });
  });
});
