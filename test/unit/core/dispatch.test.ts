import { createHmac } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import type { DeliveryRecord, EventRecord } from '../../../functions/core/deliveries.ts';
import {
  type DispatchPorts,
  dispatchDelivery,
  giveUpUnprocessable,
} from '../../../functions/core/dispatch.ts';
import type { WebhookRecord } from '../../../functions/core/webhooks.ts';
import {
  deliveryRecord,
  FakeDeliveryStore,
  FakeEventStore,
  FakeSender,
  FakeWebhookStore,
  response,
  SECRET,
  WORKSPACE,
  webhookRecord,
} from '../support/fakes.ts';

const NOW = Date.parse('2024-05-01T12:00:00.000Z');
const SCHEDULE = [5, 300, 1800];
const BODY =
  '{"event":"lookup.completed","data":{"email":"ada@example.com","lookup_id":"lk_1","score":0.5},"created_at":"2024-05-01T11:59:59.000Z"}';
const DELIVERY_ID = 'dlv_01HX0000000000000000000000';

const event: EventRecord = {
  workspace_id: WORKSPACE,
  id: 'evt_1',
  event_type: 'lookup.completed',
  body: BODY,
  created_at: '2024-05-01T11:59:59.000Z',
  expires_at: 1_900_000_000,
  fanned_out_at: '2024-05-01T11:59:59.500Z',
};

function setup(
  options: {
    delivery?: Partial<DeliveryRecord>;
    webhook?: WebhookRecord | null;
    events?: EventRecord[];
    sender?: FakeSender;
  } = {},
) {
  const delivery = deliveryRecord({
    id: DELIVERY_ID,
    next_attempt_at: new Date(NOW).toISOString(),
    ...options.delivery,
  });
  const webhook = options.webhook === undefined ? webhookRecord() : options.webhook;
  const secretsAsked: string[] = [];
  const ports = {
    webhooks: new FakeWebhookStore(webhook ? [webhook] : []),
    events: new FakeEventStore(options.events ?? [event]),
    deliveries: new FakeDeliveryStore([delivery]),
    secrets: async (w: WebhookRecord) => {
      secretsAsked.push(w.id);
      return SECRET;
    },
    sender: options.sender ?? new FakeSender(response(200, 'ok')),
  } satisfies DispatchPorts;
  const stored = () => ports.deliveries.items.get(`${delivery.webhook_id}/${delivery.id}`);
  return { ports, delivery, stored, secretsAsked };
}

const message = { workspace_id: WORKSPACE, webhook_id: 'wh_1', delivery_id: DELIVERY_ID };
const options = { schedule: SCHEDULE, now: () => NOW, random: () => 0.5 };

describe('dispatchDelivery', () => {
  it('reads delivery, webhook and event together when the message names the event', async () => {
    const { ports, stored } = setup();
    const order: string[] = [];
    const wrap = <T extends object>(name: string, target: T, method: keyof T) => {
      const original = (target[method] as (...args: unknown[]) => Promise<unknown>).bind(target);
      (target as Record<keyof T, unknown>)[method] = async (...args: unknown[]) => {
        order.push(`start ${name}`);
        const result = await original(...args);
        order.push(`end ${name}`);
        return result;
      };
    };
    wrap('delivery', ports.deliveries, 'get');
    wrap('webhook', ports.webhooks, 'get');
    wrap('event', ports.events, 'get');
    const withEvent = { ...message, event_id: stored()?.event_id };
    expect(await dispatchDelivery(ports, withEvent, options)).toMatchObject({ reason: 'delivered' });
    expect(order.slice(0, 3).sort()).toEqual(['start delivery', 'start event', 'start webhook']);
    expect(order.filter((step) => step === 'start event')).toHaveLength(1);
  });

  it('refuses a webhook of another workspace than the delivery’s', async () => {
    const { ports, stored } = setup({ webhook: webhookRecord({ workspace_id: 'ws_other' }) });
    const action = await dispatchDelivery(ports, { ...message, workspace_id: 'ws_other' }, options);
    expect(action).toMatchObject({ action: 'done', reason: 'webhook deleted' });
    expect(ports.sender.requests).toHaveLength(0);
    expect(stored()?.status).toBe('failed');
  });

  it('delivers: one send, attempts 1, status success', async () => {
    const { ports, stored } = setup();
    const action = await dispatchDelivery(ports, message, options);

    expect(action).toEqual({ action: 'done', reason: 'delivered', delivery: stored() });
    expect(stored()).toMatchObject({
      status: 'success',
      attempts: 1,
      response_status: 200,
      response_body: 'ok',
      error: null,
      last_attempt_at: '2024-05-01T12:00:00.000Z',
      next_attempt_at: null,
      dead_lettered_at: null,
    });
    expect(ports.sender.requests).toHaveLength(1);
    expect(ports.sender.requests[0]?.url).toBe('https://receiver.example.com/hooks');
  });

  it('sends the stored event bytes unchanged, signed with the webhook secret', async () => {
    const { ports } = setup();
    await dispatchDelivery(ports, message, options);

    const request = ports.sender.requests[0];
    expect(request?.body).toBe(BODY);
    expect(Buffer.from(request?.body ?? '').equals(Buffer.from(event.body))).toBe(true);
    expect(request?.headers).toMatchObject({
      'Content-Type': 'application/json',
      'X-Encrata-Event': 'lookup.completed',
      'X-Encrata-Delivery': DELIVERY_ID,
      'webhook-id': DELIVERY_ID,
      'webhook-timestamp': String(NOW / 1000),
      'X-Encrata-Signature': createHmac('sha256', SECRET).update(BODY).digest('hex'),
    });
  });

  it('sends a Standard Webhooks signature a receiver library verifies', async () => {
    const { ports } = setup();
    await dispatchDelivery(ports, message, { ...options, now: () => Date.now() });
    const request = ports.sender.requests[0];
    expect(new Webhook(SECRET).verify(request?.body ?? '', request?.headers ?? {})).toEqual(JSON.parse(BODY));
  });

  it('sends the inline body of a test delivery', async () => {
    const body = '{"event":"test","data":{"message":"This is a test webhook from Encrata"},"created_at":"x"}';
    const { ports } = setup({ delivery: { event_type: 'test', event_id: undefined, body }, events: [] });
    await dispatchDelivery(ports, message, options);
    expect(ports.sender.requests[0]?.body).toBe(body);
    expect(ports.sender.requests[0]?.headers['X-Encrata-Event']).toBe('test');
  });

  it('on a 500 with retries left: retry after the scheduled delay, next_attempt_at set', async () => {
    const { ports, stored } = setup({ sender: new FakeSender(response(500, 'boom')) });
    const action = await dispatchDelivery(ports, message, options);

    expect(action).toEqual({ action: 'retry', delaySeconds: 5, delivery: stored() });
    expect(stored()).toMatchObject({
      status: 'pending',
      attempts: 1,
      response_status: 500,
      response_body: 'boom',
      next_attempt_at: '2024-05-01T12:00:05.000Z',
      dead_lettered_at: null,
    });
  });

  it.each([
    [1, 300],
    [2, 1800],
  ])('after %i earlier attempts, a failure retries after %i s', async (attempts, delaySeconds) => {
    const { ports, stored } = setup({ delivery: { attempts }, sender: new FakeSender(response(502)) });
    const action = await dispatchDelivery(ports, message, options);
    expect(action).toMatchObject({ action: 'retry', delaySeconds });
    expect(stored()?.attempts).toBe(attempts + 1);
    expect(stored()?.next_attempt_at).toBe(new Date(NOW + delaySeconds * 1000).toISOString());
  });

  it('applies jitter from the random passed in', async () => {
    const { ports } = setup({ delivery: { attempts: 1 }, sender: new FakeSender(response(500)) });
    const action = await dispatchDelivery(ports, message, { ...options, random: () => 0 });
    expect(action).toMatchObject({ action: 'retry', delaySeconds: 240 });
  });

  it('honours Retry-After on a 429', async () => {
    const { ports, stored } = setup({ sender: new FakeSender(response(429, '', '600')) });
    const action = await dispatchDelivery(ports, message, options);
    expect(action).toMatchObject({ action: 'retry', delaySeconds: 600 });
    expect(stored()?.next_attempt_at).toBe('2024-05-01T12:10:00.000Z');
  });

  it('records a network error and retries', async () => {
    const { ports, stored } = setup({
      sender: new FakeSender({ kind: 'error', error: 'timeout after 5000 ms' }),
    });
    const action = await dispatchDelivery(ports, message, options);
    expect(action).toMatchObject({ action: 'retry', delaySeconds: 5 });
    expect(stored()).toMatchObject({
      error: 'timeout after 5000 ms',
      response_status: null,
      response_body: null,
    });
  });

  it('after the last attempt fails: dead-letter, status failed', async () => {
    const { ports, stored } = setup({ delivery: { attempts: 3 }, sender: new FakeSender(response(500)) });
    const action = await dispatchDelivery(ports, message, options);

    expect(action).toEqual({ action: 'dead-letter', reason: 'gave up after 4 attempts', delivery: stored() });
    expect(stored()).toMatchObject({
      status: 'failed',
      attempts: 4,
      next_attempt_at: null,
      dead_lettered_at: '2024-05-01T12:00:00.000Z',
    });
  });

  it('a paused webhook stops the delivery without sending', async () => {
    const { ports, stored } = setup({
      delivery: { attempts: 2 },
      webhook: webhookRecord({ is_active: false }),
    });
    const action = await dispatchDelivery(ports, message, options);

    expect(action).toEqual({ action: 'done', reason: 'webhook paused', delivery: stored() });
    expect(stored()).toMatchObject({
      status: 'failed',
      error: 'webhook paused',
      attempts: 2,
      next_attempt_at: null,
      dead_lettered_at: null,
    });
    expect(ports.sender.requests).toHaveLength(0);
  });

  it('a deleted webhook stops the delivery without sending', async () => {
    const { ports, stored } = setup({ webhook: null });
    const action = await dispatchDelivery(ports, message, options);

    expect(action).toEqual({ action: 'done', reason: 'webhook deleted', delivery: stored() });
    expect(stored()).toMatchObject({
      status: 'failed',
      error: 'webhook deleted',
      attempts: 0,
      next_attempt_at: null,
    });
    expect(ports.sender.requests).toHaveLength(0);
  });

  it('an expired event stops the delivery without sending', async () => {
    const { ports, stored } = setup({ events: [] });
    const action = await dispatchDelivery(ports, message, options);
    expect(action).toMatchObject({ action: 'done', reason: 'event expired before it could be delivered' });
    expect(stored()?.status).toBe('failed');
    expect(ports.sender.requests).toHaveLength(0);
  });

  it('a delivery that no longer exists is done', async () => {
    const { ports } = setup();
    const action = await dispatchDelivery(ports, { ...message, delivery_id: 'dlv_gone' }, options);
    expect(action).toEqual({ action: 'done', reason: 'delivery not found (expired or never recorded)' });
    expect(ports.sender.requests).toHaveLength(0);
  });

  it.each([
    ['success', { status: 'success' as const, attempts: 1 }],
    ['failed', { status: 'failed' as const, attempts: 1, error: 'webhook paused', dead_lettered_at: null }],
  ])('an already-%s delivery is done without sending', async (status, delivery) => {
    const { ports, stored } = setup({ delivery });
    const before = stored();
    const action = await dispatchDelivery(ports, message, options);
    expect(action).toEqual({ action: 'done', reason: `delivery already ${status}`, delivery: before });
    expect(ports.sender.requests).toHaveLength(0);
    expect(stored()).toBe(before);
  });

  it('a message that arrives early is put back for the remaining time, without sending', async () => {
    const { ports, stored } = setup({
      delivery: { attempts: 1, next_attempt_at: new Date(NOW + 120_500).toISOString() },
    });
    const before = stored();
    const action = await dispatchDelivery(ports, message, options);
    expect(action).toEqual({ action: 'retry', delaySeconds: 121, delivery: before });
    expect(ports.sender.requests).toHaveLength(0);
    expect(stored()).toBe(before);
  });

  it('a message up to a second early is sent', async () => {
    const { ports } = setup({ delivery: { next_attempt_at: new Date(NOW + 900).toISOString() } });
    expect(await dispatchDelivery(ports, message, options)).toMatchObject({
      action: 'done',
      reason: 'delivered',
    });
    expect(ports.sender.requests).toHaveLength(1);
  });

  describe('a redriven delivery (failed, dead-lettered)', () => {
    const redriven = {
      status: 'failed' as const,
      attempts: 4,
      response_status: 500,
      next_attempt_at: null,
      dead_lettered_at: '2024-04-30T12:00:00.000Z',
    };
    // The copy the dispatcher dead-lettered carries the delivery's dead_lettered_at.
    const redrivenMessage = { ...message, redrive_of: redriven.dead_lettered_at };

    it('is not attempted again by a stray copy of the message that gave up', async () => {
      const { ports, stored } = setup({ delivery: redriven });
      // The original message (no redrive_of) is dead-lettered again, in case its dead-lettered copy
      // never made it; a copy from another give-up is simply done.
      expect(await dispatchDelivery(ports, message, options)).toMatchObject({ action: 'dead-letter' });
      expect(
        await dispatchDelivery(ports, { ...message, redrive_of: 'another time' }, options),
      ).toMatchObject({
        action: 'done',
      });
      expect(ports.sender.requests).toHaveLength(0);
      expect(stored()).toMatchObject({ status: 'failed', attempts: 4 });
    });

    it('gets one more attempt, and succeeds', async () => {
      const { ports, stored } = setup({ delivery: redriven });
      const action = await dispatchDelivery(ports, redrivenMessage, options);
      expect(action).toMatchObject({ action: 'done', reason: 'delivered' });
      expect(ports.sender.requests).toHaveLength(1);
      expect(stored()).toMatchObject({ status: 'success', attempts: 5, dead_lettered_at: null });
    });

    it('gets exactly one more attempt when that fails too', async () => {
      const { ports, stored } = setup({ delivery: redriven, sender: new FakeSender(response(500)) });
      const action = await dispatchDelivery(ports, redrivenMessage, options);
      expect(action).toEqual({
        action: 'dead-letter',
        reason: 'gave up after 5 attempts',
        delivery: stored(),
      });
      expect(ports.sender.requests).toHaveLength(1);
      expect(stored()).toMatchObject({
        status: 'failed',
        attempts: 5,
        dead_lettered_at: '2024-05-01T12:00:00.000Z',
      });
    });

    it('is attempted even if its last next_attempt_at lies in the future', async () => {
      const { ports } = setup({
        delivery: { ...redriven, next_attempt_at: new Date(NOW + 3_600_000).toISOString() },
      });
      expect(await dispatchDelivery(ports, redrivenMessage, options)).toMatchObject({
        action: 'done',
        reason: 'delivered',
      });
      expect(ports.sender.requests).toHaveLength(1);
    });

    it('is still stopped when its webhook was paused meanwhile', async () => {
      const { ports, stored } = setup({ delivery: redriven, webhook: webhookRecord({ is_active: false }) });
      expect(await dispatchDelivery(ports, redrivenMessage, options)).toMatchObject({
        reason: 'webhook paused',
      });
      expect(ports.sender.requests).toHaveLength(0);
      expect(stored()?.dead_lettered_at).toBeNull();
    });
  });

  it('walks the whole schedule: retries with each delay, then dead-letters', async () => {
    const { ports, stored } = setup({ sender: new FakeSender(response(503)) });
    let now = NOW;
    const actions: string[] = [];
    for (let i = 0; i < 4; i++) {
      const action = await dispatchDelivery(ports, message, { ...options, now: () => now });
      actions.push(action.action === 'retry' ? `retry ${action.delaySeconds}` : action.action);
      if (action.action === 'retry') now += action.delaySeconds * 1000;
    }
    expect(actions).toEqual(['retry 5', 'retry 300', 'retry 1800', 'dead-letter']);
    expect(ports.sender.requests).toHaveLength(4);
    expect(new Set(ports.sender.requests.map((r) => r.headers['X-Encrata-Delivery']))).toEqual(
      new Set([DELIVERY_ID]),
    );
    expect(stored()).toMatchObject({ status: 'failed', attempts: 4 });
  });

  it('when a concurrent copy already recorded the attempt, this copy is done and changes nothing', async () => {
    const { ports, stored, delivery } = setup();
    // The store already holds the other copy's attempt; this copy read the record before it.
    ports.deliveries.items.set(`wh_1/${DELIVERY_ID}`, { ...delivery, attempts: 1, status: 'success' });
    const stale = { ...delivery };
    const realGet = ports.deliveries.get.bind(ports.deliveries);
    let reads = 0;
    ports.deliveries.get = async (...args) => (reads++ === 0 ? stale : realGet(...args));
    const action = await dispatchDelivery(ports, message, options);
    expect(action).toEqual({
      action: 'done',
      reason: 'attempt already recorded by a concurrent copy of the message',
    });
    expect(stored()).toMatchObject({ attempts: 1, status: 'success' });
  });

  it('keeps its message when the concurrent copy scheduled a retry (SQS handed out one message twice)', async () => {
    const { ports, stored, delivery } = setup();
    const retryAt = new Date(NOW + 30_000).toISOString();
    ports.deliveries.items.set(`wh_1/${DELIVERY_ID}`, {
      ...delivery,
      attempts: 1,
      status: 'pending',
      next_attempt_at: retryAt,
    });
    const stale = { ...delivery };
    const realGet = ports.deliveries.get.bind(ports.deliveries);
    let reads = 0;
    ports.deliveries.get = async (...args) => (reads++ === 0 ? stale : realGet(...args));
    const action = await dispatchDelivery(ports, message, options);
    expect(action).toMatchObject({ action: 'retry', delaySeconds: 30 });
    expect(stored()).toMatchObject({ attempts: 1, next_attempt_at: retryAt });
  });

  it('stops a delivery made before its webhook was paused, even after a resume', async () => {
    const { ports, stored, delivery } = setup({
      webhook: webhookRecord({ is_active: true, paused_at: new Date(NOW - 1000).toISOString() }),
      delivery: { created_at: new Date(NOW - 5000).toISOString() },
    });
    expect(await dispatchDelivery(ports, message, options)).toMatchObject({
      action: 'done',
      reason: 'webhook paused',
    });
    expect(ports.sender.requests).toHaveLength(0);
    expect(stored()).toMatchObject({ status: 'failed', error: 'webhook paused' });
    void delivery;
  });

  it('delivers what was made after a pause and resume', async () => {
    const { ports } = setup({
      webhook: webhookRecord({ is_active: true, paused_at: new Date(NOW - 60_000).toISOString() }),
      delivery: { created_at: new Date(NOW - 1000).toISOString() },
    });
    expect(await dispatchDelivery(ports, message, options)).toMatchObject({ reason: 'delivered' });
  });

  it('resolves the secret of the webhook it sends to', async () => {
    const { ports, secretsAsked } = setup();
    await dispatchDelivery(ports, message, options);
    expect(secretsAsked).toEqual(['wh_1']);
  });
});

describe('giveUpUnprocessable', () => {
  it('marks a pending delivery failed with the reason, and leaves settled ones alone', async () => {
    const { ports, stored } = setup();
    await giveUpUnprocessable(ports, message, 'could not be processed (Error)', NOW);
    expect(stored()).toMatchObject({
      status: 'failed',
      error: 'could not be processed (Error)',
      attempts: 0,
    });
    await giveUpUnprocessable(ports, message, 'again', NOW);
    expect(stored()?.error).toBe('could not be processed (Error)');
  });
});
