import { createHmac } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { newDeliveryState, stopRow } from '../../../functions/core/deliveries.ts';
import {
  type DispatchOptions,
  type DispatchPorts,
  type DispatchResult,
  dispatchBatch,
  EARLY_TOLERANCE_MS,
  type ReceivedDelivery,
  SNAPSHOT_FRESH_MS,
} from '../../../functions/core/dispatch.ts';
import { deliveryIdFor, eventKeyFor } from '../../../functions/core/ids.ts';
import type { DeliveryMessage, DeliveryRow, WebhookRecord } from '../../../functions/core/records.ts';
import { errorRetryDelay } from '../../../functions/core/retry.ts';
import {
  FakeDeliveryLog,
  FakeEventStore,
  FakePublisher,
  FakeQueueControl,
  FakeRateLimiter,
  FakeSender,
  FakeWebhookStore,
  response,
  SECRET,
  WORKSPACE,
  webhookRecord,
} from '../support/fakes.ts';

const NOW = Date.parse('2024-05-01T12:00:00.000Z');
const SCHEDULE = [5, 300, 1800];
const CREATED = '2024-05-01T11:59:59.000Z';
const BODY =
  '{"event":"lookup.completed","data":{"email":"ada@example.com","lookup_id":"lk_1"},"created_at":"2024-05-01T11:59:59.000Z"}';
const EVENT_KEY = eventKeyFor(Date.parse(CREATED), WORKSPACE, 'evt_1');
const DELIVERY_ID = deliveryIdFor(EVENT_KEY, WORKSPACE, 'wh_1');

/** The message fan-out queues for (evt_1, wh_1), moments before the attempt. */
function deliveryMessage(overrides: Partial<DeliveryMessage> = {}): DeliveryMessage {
  return {
    workspace_id: WORKSPACE,
    webhook_id: 'wh_1',
    delivery_id: DELIVERY_ID,
    event_type: 'lookup.completed',
    event_key: EVENT_KEY,
    event_id: 'evt_1',
    created_at: CREATED,
    queued_at: NOW - 200,
    body: BODY,
    webhook: {
      url: 'https://receiver.example.com/hooks',
      secret_ciphertext: 'ciphertext',
      updated_at: CREATED,
    },
    ...overrides,
  };
}

function received(
  overrides: Partial<DeliveryMessage> = {},
  receiveCount = 1,
  messageId = 'm1',
): ReceivedDelivery {
  return { message: deliveryMessage(overrides), messageId, handle: `r-${messageId}`, receiveCount };
}

/** The delivery's state after `attempts` failed attempts of its first run (the newest row). */
function failedRow(attempts: number, overrides: Partial<DeliveryRow> = {}): DeliveryRow {
  const base = newDeliveryState({
    deliveryId: DELIVERY_ID,
    workspaceId: WORKSPACE,
    webhookId: 'wh_1',
    eventType: 'lookup.completed',
    eventKey: EVENT_KEY,
    eventId: 'evt_1',
    createdAt: CREATED,
  });
  return {
    webhook_id: 'wh_1',
    id: `${DELIVERY_ID}#${String(attempts).padStart(3, '0')}`,
    workspace_id: WORKSPACE,
    kind: 'attempt',
    seq: attempts,
    run: 1,
    run_attempts: attempts,
    attempts,
    event_type: 'lookup.completed',
    event_key: EVENT_KEY,
    event_id: 'evt_1',
    created_at: CREATED,
    status: 'pending',
    response_status: 500,
    response_body: 'boom',
    last_attempt_at: new Date(NOW - 5000).toISOString(),
    next_attempt_at: new Date(NOW).toISOString(),
    message_id: 'm1',
    expires_at: base.expiresAt,
    ...overrides,
  };
}

function setup(options: { webhook?: WebhookRecord | null; rows?: DeliveryRow[]; sender?: FakeSender } = {}) {
  const webhook = options.webhook === undefined ? webhookRecord() : options.webhook;
  const secretsAsked: string[] = [];
  const events = new FakeEventStore();
  const ports = {
    webhooks: new FakeWebhookStore(webhook ? [webhook] : []),
    events,
    log: new FakeDeliveryLog(options.rows ?? []),
    secrets: async (ciphertext: string, context: string) => {
      secretsAsked.push(context.split('/')[1] ?? ciphertext);
      return SECRET;
    },
    sender: options.sender ?? new FakeSender(response(200, 'ok')),
    queue: new FakeQueueControl(),
    rateLimiter: new FakeRateLimiter(),
    publisher: new FakePublisher(),
  } satisfies DispatchPorts;
  const rows = () => ports.log.rowsOf('wh_1', DELIVERY_ID);
  return { ports, rows, secretsAsked };
}

const options: DispatchOptions = {
  schedule: SCHEDULE,
  now: () => NOW,
  random: () => 0.5,
  maxReceives: 9,
  autoDisableAfterMs: 5 * 24 * 3600 * 1000,
};

async function dispatchOne(ports: DispatchPorts, r: ReceivedDelivery, opts: DispatchOptions = options) {
  const [result] = await dispatchBatch(ports, [r], opts);
  if (!result) throw new Error('no result');
  return result;
}

describe('dispatchBatch: a first attempt', () => {
  it('reads nothing, sends once, and records success in one unconditional batch write', async () => {
    const { ports, rows } = setup();
    const result = await dispatchOne(ports, received());

    expect(result).toMatchObject({ messageId: 'm1', disposition: 'delete', outcome: 'delivered' });
    expect(ports.webhooks.faults.count('get')).toBe(0);
    expect(ports.log.faults.count('latest')).toBe(0);
    expect(ports.events.faults.count('get')).toBe(0);
    expect(ports.log.faults.count('appendAll')).toBe(1);
    expect(ports.log.faults.count('append')).toBe(0);
    expect(rows()).toEqual([
      {
        webhook_id: 'wh_1',
        id: `${DELIVERY_ID}#001`,
        workspace_id: WORKSPACE,
        kind: 'attempt',
        seq: 1,
        run: 1,
        run_attempts: 1,
        attempts: 1,
        event_type: 'lookup.completed',
        event_key: EVENT_KEY,
        event_id: 'evt_1',
        created_at: CREATED,
        status: 'success',
        response_status: 200,
        response_body: 'ok',
        last_attempt_at: '2024-05-01T12:00:00.000Z',
        duration_ms: 0,
        signature: createHmac('sha256', SECRET).update(BODY).digest('hex'),
        webhook_signature: expect.stringMatching(/^v1,/),
        webhook_timestamp: NOW / 1000,
        message_id: 'm1',
        expires_at: Math.floor(Date.parse(CREATED) / 1000) + 30 * 86_400,
      },
    ]);
    expect(ports.queue.hidden).toEqual([]);
  });

  it('sends the message’s bytes unchanged, signed both ways', async () => {
    const { ports } = setup();
    await dispatchOne(ports, received(), { ...options, now: Date.now });
    const request = ports.sender.requests[0];
    expect(request?.url).toBe('https://receiver.example.com/hooks');
    expect(request?.body).toBe(BODY);
    expect(request?.headers).toMatchObject({
      'Content-Type': 'application/json',
      'X-Encrata-Event': 'lookup.completed',
      'X-Encrata-Delivery': DELIVERY_ID,
      'webhook-id': DELIVERY_ID,
      'X-Encrata-Signature': createHmac('sha256', SECRET).update(BODY).digest('hex'),
    });
    expect(new Webhook(SECRET).verify(request?.body ?? '', request?.headers ?? {})).toEqual(JSON.parse(BODY));
  });

  it(`trusts the message’s webhook for ${SNAPSHOT_FRESH_MS} ms after fan-out, then re-checks the webhook`, async () => {
    const fresh = setup();
    await dispatchOne(fresh.ports, received({ queued_at: NOW - SNAPSHOT_FRESH_MS }));
    expect(fresh.ports.webhooks.faults.count('get')).toBe(0);

    const stale = setup({ webhook: webhookRecord({ url: 'https://moved.example.com/hooks' }) });
    await dispatchOne(stale.ports, received({ queued_at: NOW - SNAPSHOT_FRESH_MS - 1 }));
    expect(stale.ports.webhooks.faults.count('get')).toBe(1);
    expect(stale.ports.sender.requests[0]?.url).toBe('https://moved.example.com/hooks');
  });

  it('stops, with a row saying why, when a stale snapshot’s webhook was paused meanwhile', async () => {
    const { ports, rows } = setup({ webhook: webhookRecord({ is_active: false }) });
    const result = await dispatchOne(ports, received({ queued_at: NOW - 5000 }));
    expect(result).toMatchObject({ disposition: 'delete', outcome: 'stopped', reason: 'webhook paused' });
    expect(ports.sender.requests).toHaveLength(0);
    expect(rows()).toEqual([
      expect.objectContaining({
        kind: 'stop',
        status: 'failed',
        error: 'webhook paused',
        attempts: 0,
        seq: 1,
      }),
    ]);
  });

  it('drops the message without a row when the webhook was deleted (its log went with it)', async () => {
    const { ports, rows } = setup({ webhook: null });
    const result = await dispatchOne(ports, received({ queued_at: NOW - 5000 }));
    expect(result).toMatchObject({ disposition: 'delete', outcome: 'stopped', reason: 'webhook deleted' });
    expect(rows()).toEqual([]);
  });

  it('refuses a webhook of another workspace than the delivery’s', async () => {
    const { ports } = setup();
    jest.spyOn(ports.webhooks, 'get').mockResolvedValue(webhookRecord({ workspace_id: 'ws_other' }));
    const result = await dispatchOne(ports, received({ queued_at: NOW - 5000 }));
    expect(result.reason).toBe('webhook deleted');
    expect(ports.sender.requests).toHaveLength(0);
  });

  it('reads a large event’s body from the store, and stops when the event is gone', async () => {
    const { ports, rows } = setup();
    await ports.events.put({
      workspace_id: WORKSPACE,
      id: `e#${EVENT_KEY}`,
      event_id: 'evt_1',
      event_type: 'lookup.completed',
      body: BODY,
      created_at: CREATED,
      received_at: CREATED,
      targets: ['wh_1'],
      expires_at: 1_900_000_000,
    });
    const { body: _body, ...noBody } = deliveryMessage();
    await dispatchOne(ports, { ...received(), message: noBody });
    expect(ports.sender.requests[0]?.body).toBe(BODY);

    ports.events.items.clear();
    const gone = setup();
    const result = await dispatchOne(gone.ports, { ...received(), message: noBody });
    expect(result).toMatchObject({
      outcome: 'stopped',
      reason: 'event expired before it could be delivered',
    });
    expect(gone.rows()[0]).toMatchObject({
      kind: 'stop',
      error: 'event expired before it could be delivered',
    });
    expect(rows()).toHaveLength(1);
  });

  it('on a 500 with retries left: a conditional row, the message hidden for the scheduled delay', async () => {
    const { ports, rows } = setup({ sender: new FakeSender(response(500, 'boom')) });
    const result = await dispatchOne(ports, received());
    expect(result).toMatchObject({ disposition: 'keep', outcome: 'retry', delaySeconds: 5 });
    expect(ports.log.faults.count('append')).toBe(1);
    expect(rows()[0]).toMatchObject({
      status: 'pending',
      attempts: 1,
      response_status: 500,
      response_body: 'boom',
      next_attempt_at: '2024-05-01T12:00:05.000Z',
    });
    expect(rows()[0]?.dead_lettered).toBeUndefined();
    expect(ports.queue.hidden).toEqual([{ handle: 'r-m1', delaySeconds: 5 }]);
  });

  it('honours Retry-After on a 429', async () => {
    const { ports, rows } = setup({ sender: new FakeSender(response(429, '', '600')) });
    expect(await dispatchOne(ports, received())).toMatchObject({ delaySeconds: 600 });
    expect(rows()[0]?.next_attempt_at).toBe('2024-05-01T12:10:00.000Z');
  });

  it('records a network error with no response', async () => {
    const { ports, rows } = setup({ sender: new FakeSender({ kind: 'error', error: 'connection refused' }) });
    await dispatchOne(ports, received());
    expect(rows()[0]).toMatchObject({ error: 'connection refused', status: 'pending' });
    expect(rows()[0]?.response_status).toBeUndefined();
  });
});

describe('dispatchBatch: retries', () => {
  it.each([
    [1, 300],
    [2, 1800],
  ])(
    'after %i failed attempts, reads the log and the webhook, and a failure waits %i s',
    async (attempts, delay) => {
      const { ports, rows } = setup({ rows: [failedRow(attempts)], sender: new FakeSender(response(502)) });
      const result = await dispatchOne(ports, received({}, attempts + 1));
      expect(ports.log.faults.count('latest')).toBe(1);
      expect(ports.webhooks.faults.count('get')).toBe(1);
      expect(result).toMatchObject({ outcome: 'retry', delaySeconds: delay });
      expect(rows()[0]).toMatchObject({
        seq: attempts + 1,
        attempts: attempts + 1,
        run_attempts: attempts + 1,
      });
      expect(rows()).toHaveLength(2);
    },
  );

  it('applies jitter from the random passed in', async () => {
    const { ports } = setup({ rows: [failedRow(1)], sender: new FakeSender(response(500)) });
    expect(await dispatchOne(ports, received({}, 2), { ...options, random: () => 0 })).toMatchObject({
      delaySeconds: 240,
    });
  });

  it('records a retry’s success with a condition (another copy may have recorded this attempt)', async () => {
    const { ports, rows } = setup({ rows: [failedRow(1)] });
    expect(await dispatchOne(ports, received({}, 2))).toMatchObject({
      outcome: 'delivered',
      disposition: 'delete',
    });
    expect(ports.log.faults.count('append')).toBe(1);
    expect(rows()[0]).toMatchObject({ status: 'success', attempts: 2 });
  });

  it(`waits without an attempt when the message is back more than ${EARLY_TOLERANCE_MS} ms early`, async () => {
    const early = setup({
      rows: [failedRow(1, { next_attempt_at: new Date(NOW + EARLY_TOLERANCE_MS + 1).toISOString() })],
    });
    expect(await dispatchOne(early.ports, received({}, 2))).toMatchObject({
      outcome: 'retry',
      reason: 'not due yet',
      delaySeconds: 2,
    });
    expect(early.ports.sender.requests).toHaveLength(0);

    const onTime = setup({
      rows: [failedRow(1, { next_attempt_at: new Date(NOW + EARLY_TOLERANCE_MS).toISOString() })],
    });
    await dispatchOne(onTime.ports, received({}, 2));
    expect(onTime.ports.sender.requests).toHaveLength(1);
  });

  it('stops a waiting delivery when its webhook is paused', async () => {
    const { ports, rows } = setup({ rows: [failedRow(1)], webhook: webhookRecord({ is_active: false }) });
    expect(await dispatchOne(ports, received({}, 2))).toMatchObject({
      outcome: 'stopped',
      disposition: 'delete',
    });
    expect(rows()[0]).toMatchObject({
      kind: 'stop',
      error: 'webhook paused',
      attempts: 1,
      response_status: 500,
    });
  });

  it('stops a delivery made before a pause even when the webhook was resumed since, not one made after', async () => {
    const pausedAtCreation = setup({ rows: [failedRow(1)], webhook: webhookRecord({ paused_at: CREATED }) });
    expect(await dispatchOne(pausedAtCreation.ports, received({}, 2))).toMatchObject({
      reason: 'webhook paused',
    });

    const pausedBefore = setup({
      rows: [failedRow(1)],
      webhook: webhookRecord({ paused_at: '2024-05-01T11:59:58.999Z' }),
    });
    expect(await dispatchOne(pausedBefore.ports, received({}, 2))).toMatchObject({ outcome: 'delivered' });
  });

  it('gives up after the last attempt: failed, dead-lettered with the row it gave up on', async () => {
    const { ports, rows } = setup({ rows: [failedRow(3)], sender: new FakeSender(response(500)) });
    const result = await dispatchOne(ports, received({}, 4));
    expect(result).toMatchObject({
      outcome: 'failed',
      disposition: 'delete',
      reason: 'gave up after 4 attempts',
    });
    expect(rows()[0]).toMatchObject({ status: 'failed', attempts: 4, dead_lettered: true });
    expect(rows()[0]?.next_attempt_at).toBeUndefined();
    expect(ports.queue.deadLettered).toEqual([
      {
        handle: 'r-m1',
        body: JSON.stringify({ ...deliveryMessage(), redrive_of: `${DELIVERY_ID}#004` }),
        reason: 'gave up after 4 attempts',
      },
    ]);
  });

  it('dead-letters again, without a POST, a copy of a delivery that gave up earlier', async () => {
    const { ports } = setup({
      rows: [failedRow(4, { status: 'failed', dead_lettered: true, next_attempt_at: undefined })],
    });
    const result = await dispatchOne(ports, received({}, 5));
    expect(result).toMatchObject({ outcome: 'failed', reason: 'gave up earlier; dead-lettering again' });
    expect(ports.sender.requests).toHaveLength(0);
    expect(ports.queue.deadLettered[0]?.body).toContain(`"redrive_of":"${DELIVERY_ID}#004"`);
  });

  it('gives a redriven delivery one more attempt, and dead-letters it again if that fails', async () => {
    const gaveUp = failedRow(4, { status: 'failed', dead_lettered: true, next_attempt_at: undefined });
    const ok = setup({ rows: [gaveUp] });
    expect(await dispatchOne(ok.ports, received({ redrive_of: gaveUp.id }, 1))).toMatchObject({
      outcome: 'delivered',
    });
    expect(ok.rows()[0]).toMatchObject({ status: 'success', attempts: 5, seq: 5 });

    const failing = setup({ rows: [gaveUp], sender: new FakeSender(response(500)) });
    expect(await dispatchOne(failing.ports, received({ redrive_of: gaveUp.id }, 1))).toMatchObject({
      outcome: 'failed',
      reason: 'gave up after 5 attempts',
    });
    expect(failing.ports.queue.deadLettered[0]?.body).toContain(`"redrive_of":"${DELIVERY_ID}#005"`);
  });

  it('drops a copy of a delivered, stopped, or resent (superseded) delivery without a POST', async () => {
    for (const [row, reason] of [
      [failedRow(1, { status: 'success' }), 'already delivered'],
      [failedRow(1, { status: 'failed', kind: 'stop', error: 'webhook paused' }), 'delivery already failed'],
      [failedRow(1, { run: 2 }), 'superseded by a resend'],
    ] as const) {
      const { ports } = setup({ rows: [row] });
      expect(await dispatchOne(ports, received({}, 2))).toMatchObject({ disposition: 'delete', reason });
      expect(ports.sender.requests).toHaveLength(0);
    }
  });

  it('sends a message queued again by a resumed fan-out only if no other message is at it', async () => {
    const driven = setup({ rows: [failedRow(1, { message_id: 'm-original' })] });
    expect(
      await dispatchOne(driven.ports, received({ resumed: true, webhook: undefined }, 1, 'm-again')),
    ).toMatchObject({
      disposition: 'delete',
      reason: 'another message delivers it',
    });
    expect(driven.ports.sender.requests).toHaveLength(0);

    const fresh = setup();
    expect(
      await dispatchOne(fresh.ports, received({ resumed: true, webhook: undefined }, 1, 'm-again')),
    ).toMatchObject({
      outcome: 'delivered',
    });
    expect(fresh.ports.log.faults.count('latest')).toBe(1);
  });
});

describe('dispatchBatch: nothing lost, nothing doubled', () => {
  it('keeps the message when the batch write leaves its row unprocessed, and records it once when it is back', async () => {
    const { ports, rows } = setup();
    ports.log.unprocessed = () => true;
    const first = await dispatchOne(ports, received());
    expect(first).toMatchObject({ disposition: 'keep', outcome: 'error', delaySeconds: errorRetryDelay(1) });
    expect(rows()).toEqual([]);

    ports.log.unprocessed = undefined;
    const again = await dispatchOne(ports, received({}, 2));
    expect(again).toMatchObject({ disposition: 'delete', outcome: 'delivered' });
    expect(rows()).toHaveLength(1);
    expect(ports.sender.requests).toHaveLength(2); // a duplicate POST is allowed; a doubled record is not
  });

  it('keeps only the messages whose rows were not written when a batch is partly unprocessed', async () => {
    const { ports } = setup();
    ports.log.unprocessed = (row) => row.message_id === 'm2';
    const results = await dispatchBatch(
      ports,
      [
        received({}, 1, 'm1'),
        received({ delivery_id: deliveryIdFor(EVENT_KEY, WORKSPACE, 'wh_2'), webhook_id: 'wh_1' }, 1, 'm2'),
      ],
      options,
    );
    expect(results.map((r) => [r.messageId, r.disposition])).toEqual([
      ['m1', 'delete'],
      ['m2', 'keep'],
    ]);
  });

  it('keeps the message when the batch write throws', async () => {
    const { ports } = setup();
    ports.log.faults.failNext('appendAll');
    expect(await dispatchOne(ports, received())).toMatchObject({ disposition: 'keep', outcome: 'error' });
  });

  it('keeps the message when a conditional write throws', async () => {
    const { ports, rows } = setup({ sender: new FakeSender(response(500)) });
    ports.log.faults.failNext('append');
    expect(await dispatchOne(ports, received())).toMatchObject({ disposition: 'keep', outcome: 'error' });
    expect(rows()).toEqual([]);
  });

  it('a copy that lost the race to record keeps its message while the delivery waits, or lets another go', async () => {
    const row = failedRow(1, { next_attempt_at: new Date(NOW + 4000).toISOString(), message_id: 'm1' });
    const same = setup({ rows: [failedRow(1), row].slice(1), sender: new FakeSender(response(500)) });
    // This copy read the state before the other recorded attempt 1.
    jest.spyOn(same.ports.log, 'latest').mockResolvedValueOnce(null);
    const sameResult = await dispatchOne(same.ports, received({}, 2));
    expect(sameResult).toMatchObject({ disposition: 'keep', delaySeconds: 4 });
    expect(same.rows()).toEqual([row]);

    const other = setup({ rows: [row], sender: new FakeSender(response(500)) });
    jest.spyOn(other.ports.log, 'latest').mockResolvedValueOnce(null);
    expect(await dispatchOne(other.ports, received({}, 2, 'm-other'))).toMatchObject({
      disposition: 'delete',
      reason: 'attempt already recorded by a concurrent copy',
    });
  });

  it('keeps a retry’s message even when the visibility change fails (it comes back, and is told it is early)', async () => {
    const { ports } = setup({ sender: new FakeSender(response(500)) });
    ports.queue.faults.failNext('retryLater');
    expect(await dispatchOne(ports, received())).toMatchObject({ disposition: 'keep', outcome: 'retry' });
  });

  it('keeps a gave-up message when its dead-lettered copy could not be sent, and dead-letters it when back', async () => {
    const { ports, rows } = setup({ rows: [failedRow(3)], sender: new FakeSender(response(500)) });
    ports.queue.faults.failNext('deadLetter');
    expect(await dispatchOne(ports, received({}, 4))).toMatchObject({
      disposition: 'keep',
      outcome: 'failed',
    });
    expect(rows()[0]).toMatchObject({ status: 'failed', dead_lettered: true });
    const back = await dispatchOne(ports, received({}, 5));
    expect(back).toMatchObject({ disposition: 'delete', reason: 'gave up earlier; dead-lettering again' });
    expect(ports.queue.deadLettered).toHaveLength(1);
    expect(ports.sender.requests).toHaveLength(1);
  });

  it('keeps a message whose preparation failed, and records it failed on the last receive SQS allows', async () => {
    const { ports, rows } = setup({ rows: [failedRow(1)] });
    ports.webhooks.faults.failNext('get', 2);
    expect(await dispatchOne(ports, received({}, 2))).toMatchObject({
      disposition: 'keep',
      outcome: 'error',
      delaySeconds: errorRetryDelay(2),
    });
    expect(rows()).toHaveLength(1);
    expect(await dispatchOne(ports, received({}, options.maxReceives))).toMatchObject({
      disposition: 'keep',
    });
    expect(rows()[0]).toMatchObject({
      kind: 'stop',
      status: 'failed',
      error: 'could not be processed; see the dispatcher log',
    });
  });

  it('never lets a message go before its row is durable', async () => {
    const { ports, rows } = setup();
    ports.log.faults.delayNext('appendAll', 30);
    const result = await dispatchOne(ports, received());
    expect(result.disposition).toBe('delete');
    expect(rows()).toHaveLength(1);
  });

  it('runs the records of a batch concurrently, one send each', async () => {
    const { ports } = setup();
    const ids = ['wh_1', 'wh_2', 'wh_3'].map((w) => deliveryIdFor(EVENT_KEY, WORKSPACE, w));
    const results = await dispatchBatch(
      ports,
      ids.map((id, i) => received({ delivery_id: id }, 1, `m${i}`)),
      options,
    );
    expect(results.map((r) => r.outcome)).toEqual(['delivered', 'delivered', 'delivered']);
    expect(ports.log.faults.count('appendAll')).toBe(1);
    expect(new Set(ports.sender.requests.map((r) => r.headers['X-Encrata-Delivery'])).size).toBe(3);
  });

  it('writes a stop row with the state carried forward', () => {
    const state = newDeliveryState({
      deliveryId: DELIVERY_ID,
      workspaceId: WORKSPACE,
      webhookId: 'wh_1',
      eventType: 'lookup.completed',
      createdAt: CREATED,
    });
    expect(stopRow(state, 'webhook deleted', 'm9')).toMatchObject({
      id: `${DELIVERY_ID}#001`,
      kind: 'stop',
      status: 'failed',
      error: 'webhook deleted',
      attempts: 0,
      message_id: 'm9',
    });
  });
});

describe('dispatchBatch: every outcome reported exactly (what the log line and the metrics say)', () => {
  const gaveUp = failedRow(4, { status: 'failed', dead_lettered: true, next_attempt_at: undefined });
  const cases: [string, Parameters<typeof setup>[0], ReceivedDelivery, Partial<DispatchResult>][] = [
    [
      'a first attempt delivered',
      {},
      received(),
      { outcome: 'delivered', reason: 'delivered', disposition: 'delete' },
    ],
    [
      'a copy of a delivered delivery',
      { rows: [failedRow(1, { status: 'success' })] },
      received({}, 2),
      { outcome: 'skipped', reason: 'already delivered', disposition: 'delete' },
    ],
    [
      'a copy of a resent delivery’s older run',
      { rows: [failedRow(1, { run: 2 })] },
      received({}, 2),
      { outcome: 'skipped', reason: 'superseded by a resend', disposition: 'delete' },
    ],
    [
      'a copy of a stopped delivery',
      { rows: [failedRow(1, { status: 'failed', kind: 'stop' })] },
      received({}, 2),
      { outcome: 'skipped', reason: 'delivery already failed', disposition: 'delete' },
    ],
    [
      'a resumed copy while another message drives it',
      { rows: [failedRow(1, { message_id: 'm-original' })] },
      received({ resumed: true, webhook: undefined }, 1, 'm-again'),
      { outcome: 'skipped', reason: 'another message delivers it', disposition: 'delete' },
    ],
    [
      'a copy of one that gave up',
      { rows: [gaveUp] },
      received({}, 5),
      { outcome: 'failed', reason: 'gave up earlier; dead-lettering again', disposition: 'delete' },
    ],
    [
      'a message back early',
      { rows: [failedRow(1, { next_attempt_at: new Date(NOW + 5000).toISOString() })] },
      received({}, 2),
      { outcome: 'retry', reason: 'not due yet', disposition: 'keep', delaySeconds: 5 },
    ],
    [
      'a message back exactly as early as tolerated',
      { rows: [failedRow(1, { next_attempt_at: new Date(NOW + EARLY_TOLERANCE_MS).toISOString() })] },
      received({}, 2),
      { outcome: 'delivered', reason: 'delivered', disposition: 'delete' },
    ],
    [
      'a retry whose webhook was deleted',
      { webhook: null, rows: [failedRow(1)] },
      received({}, 2),
      { outcome: 'stopped', reason: 'webhook deleted', disposition: 'delete' },
    ],
    [
      'a retry whose webhook is paused',
      { webhook: webhookRecord({ is_active: false }), rows: [failedRow(1)] },
      received({}, 2),
      { outcome: 'stopped', reason: 'webhook paused', disposition: 'delete' },
    ],
    [
      'a retry whose webhook was disabled',
      { webhook: webhookRecord({ is_active: false, disabled_reason: 'failing' }), rows: [failedRow(1)] },
      received({}, 2),
      { outcome: 'stopped', reason: 'webhook disabled: failing', disposition: 'delete' },
    ],
    [
      'a 500 with retries left',
      { sender: new FakeSender(response(500)) },
      received(),
      { outcome: 'retry', reason: 'retry in 5 s', disposition: 'keep', delaySeconds: 5 },
    ],
    [
      'the last attempt failing',
      { rows: [failedRow(3)], sender: new FakeSender(response(500)) },
      received({}, 4),
      { outcome: 'failed', reason: 'gave up after 4 attempts', disposition: 'delete' },
    ],
    [
      'a new run (resend) of a delivery that gave up',
      { rows: [gaveUp] },
      received({ run: 2, recheck: true, webhook: undefined }, 1),
      { outcome: 'delivered', reason: 'delivered', disposition: 'delete' },
    ],
  ];

  it.each(cases)('%s', async (_name, given, delivery, expected) => {
    const { ports } = setup(given);
    const result = await dispatchOne(ports, delivery);
    const { outcome, reason, disposition, delaySeconds } = result;
    expect({ outcome, reason, disposition, delaySeconds }).toEqual({ delaySeconds: undefined, ...expected });
  });

  it('a new run starts from the log’s state with a fresh schedule: pending, its attempts counted on', async () => {
    const { ports, rows } = setup({ rows: [gaveUp], sender: new FakeSender(response(500)) });
    const result = await dispatchOne(ports, received({ run: 2, recheck: true, webhook: undefined }, 1));
    expect(result).toMatchObject({ outcome: 'retry', delaySeconds: SCHEDULE[0] });
    expect(rows()[0]).toMatchObject({ run: 2, run_attempts: 1, attempts: 5, status: 'pending', seq: 5 });
    expect(rows()[0]?.dead_lettered).toBeUndefined();
  });

  it('an error in preparing is retried after the error delay, and says so', async () => {
    const { ports } = setup({ rows: [failedRow(1)] });
    ports.webhooks.faults.failNext('get');
    const result = await dispatchOne(ports, received({}, 3));
    expect(result).toMatchObject({
      outcome: 'error',
      reason: 'could not be processed; it will be retried',
      disposition: 'keep',
      delaySeconds: errorRetryDelay(3),
    });
  });

  it('a row that could not be written is retried after the error delay of its own receive count', async () => {
    const { ports } = setup({ rows: [failedRow(1)], sender: new FakeSender(response(500)) });
    ports.log.faults.failNext('append');
    const result = await dispatchOne(ports, received({}, 4));
    expect(result).toMatchObject({
      outcome: 'error',
      reason: 'the attempt could not be recorded; it will be made again',
      disposition: 'keep',
      delaySeconds: errorRetryDelay(4),
    });
    expect(result.row).toMatchObject({ kind: 'attempt', status: 'pending' });
  });

  it('a throttled copy that cannot be sent waits by visibility instead', async () => {
    const { ports } = setup({ rows: [failedRow(1)], webhook: webhookRecord({ rate_limit: 1 }) });
    await ports.rateLimiter.take('wh_1', 1, NOW);
    ports.queue.faults.failNext('requeue');
    const result = await dispatchOne(ports, received({}, options.maxReceives - 1));
    expect(result).toMatchObject({
      outcome: 'throttled',
      reason: "over the webhook's rate limit (1/s)",
      disposition: 'keep',
      delaySeconds: 1,
    });
    expect(ports.queue.hidden).toEqual([{ handle: `r-m1`, delaySeconds: 1 }]);
  });

  it('a throttled message with receives to spare waits by visibility, without a copy', async () => {
    const { ports } = setup({ rows: [failedRow(1)], webhook: webhookRecord({ rate_limit: 1 }) });
    await ports.rateLimiter.take('wh_1', 1, NOW);
    const result = await dispatchOne(ports, received({}, options.maxReceives - 2));
    expect(result).toMatchObject({ outcome: 'throttled', disposition: 'keep', delaySeconds: 1 });
    expect(ports.queue.requeued).toEqual([]);
    expect(ports.sender.requests).toEqual([]);
  });
});
