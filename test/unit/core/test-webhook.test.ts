import { Webhook } from 'standardwebhooks';
import { NotFoundError } from '../../../functions/core/errors.ts';
import { exampleEnvelope } from '../../../functions/core/event-types.ts';
import { eventCatalogue } from '../../../functions/core/events.ts';
import { DELIVERY_ID_PATTERN, webhookRef } from '../../../functions/core/ids.ts';
import { signEncrata } from '../../../functions/core/signing.ts';
import { sendTestWebhook, TEST_MESSAGE } from '../../../functions/core/test-webhook.ts';
import {
  FakeDeliveryLog,
  FakeSender,
  FakeWebhookStore,
  response,
  SECRET,
  WORKSPACE,
  webhookRecord,
} from '../support/fakes.ts';

const caller = { workspaceId: WORKSPACE, keyId: 'key_1' };

function setup(sender = new FakeSender(response(200, 'thanks'))) {
  const webhook = webhookRecord({ events: ['credits.low', 'lookup.completed'], is_active: false });
  const ports = {
    webhooks: new FakeWebhookStore([webhook]),
    log: new FakeDeliveryLog(),
    secrets: async () => SECRET,
    sender,
  };
  return { ports, webhook, sender };
}

/** A clock that moves 40 ms per reading (the attempt's start, then its end). */
function clock(startMs = Date.now()) {
  let t = startMs - 40;
  return () => {
    t += 40;
    return t;
  };
}

describe('sendTestWebhook', () => {
  it('sends the test body, signed both ways, even to a paused webhook, and records it as a test delivery', async () => {
    const { ports, sender } = setup();
    const start = Date.now();
    const out = await sendTestWebhook(ports, caller, { id: 'wh_1' }, clock(start));

    const request = sender.requests[0];
    if (!request) throw new Error('nothing sent');
    expect(JSON.parse(request.body)).toEqual({
      event: 'test',
      data: { message: TEST_MESSAGE },
      created_at: new Date(start).toISOString(),
    });
    expect(request.url).toBe('https://receiver.example.com/hooks');
    expect(request.headers['X-Encrata-Event']).toBe('test');
    expect(request.headers['X-Encrata-Signature']).toBe(signEncrata(SECRET, request.body));
    expect(() => new Webhook(SECRET).verify(request.body, request.headers)).not.toThrow();

    expect(out).toEqual({
      status: 'sent',
      url: 'https://receiver.example.com/hooks',
      signature: signEncrata(SECRET, request.body),
      status_code: 200,
      response_body: 'thanks',
      error: null,
      delivery_id: expect.stringMatching(DELIVERY_ID_PATTERN),
    });
    expect(out.delivery_id.endsWith(webhookRef(WORKSPACE, 'wh_1'))).toBe(true);
    expect(request.headers['X-Encrata-Delivery']).toBe(out.delivery_id);

    const [row] = ports.log.rowsOf('wh_1', out.delivery_id);
    expect(row).toMatchObject({
      kind: 'attempt',
      seq: 1,
      event_type: 'test',
      body: request.body,
      status: 'success',
      attempts: 1,
      response_status: 200,
      duration_ms: 40,
      signature: signEncrata(SECRET, request.body),
      webhook_signature: request.headers['webhook-signature'],
      webhook_timestamp: Math.floor(start / 1000),
    });
    expect(row?.next_attempt_at).toBeUndefined();
  });

  it('sends the example envelope of the event asked for, with that type in X-Encrata-Event', async () => {
    const { ports, sender } = setup();
    const start = Date.now();
    await sendTestWebhook(ports, caller, { id: 'wh_1', event: 'monitor.run.completed' }, clock(start));
    const request = sender.requests[0];
    expect(request?.headers['X-Encrata-Event']).toBe('monitor.run.completed');
    expect(JSON.parse(request?.body ?? '{}')).toEqual({
      ...exampleEnvelope('monitor.run.completed'),
      created_at: new Date(start).toISOString(),
    });
  });

  it('speaks the CLI’s dialect: the first subscribed type’s example with "test": true, and "delivered"', async () => {
    const { ports, sender } = setup();
    const out = await sendTestWebhook(ports, caller, { id: 'wh_1', dialect: 'cli' }, clock());
    const body = JSON.parse(sender.requests[0]?.body ?? '{}');
    expect(body.event).toBe('credits.low');
    expect(body.data).toEqual({ ...eventCatalogue['credits.low'].example, test: true });
    expect(sender.requests[0]?.headers['X-Encrata-Event']).toBe('credits.low');
    expect(out.status).toBe('delivered');
  });

  it('is one attempt, never retried: a 500 or a network error is `failed` with what happened', async () => {
    const failing = setup(new FakeSender(response(500, 'down')));
    const out = await sendTestWebhook(failing.ports, caller, { id: 'wh_1' }, clock());
    expect(out).toMatchObject({ status: 'failed', status_code: 500, response_body: 'down', error: null });
    expect(failing.ports.log.rowsOf('wh_1', out.delivery_id)[0]).toMatchObject({
      status: 'failed',
      attempts: 1,
    });
    expect(failing.sender.requests).toHaveLength(1);

    const unreachable = setup(new FakeSender({ kind: 'error', error: 'connection refused' }));
    const cli = await sendTestWebhook(unreachable.ports, caller, { id: 'wh_1', dialect: 'cli' }, clock());
    expect(cli).toMatchObject({
      status: 'failed',
      status_code: null,
      response_body: null,
      error: 'connection refused',
    });
  });

  it('answers 404 for another workspace’s webhook, sending nothing', async () => {
    const { ports, sender } = setup();
    await expect(
      sendTestWebhook(ports, { workspaceId: 'ws_other', keyId: 'k' }, { id: 'wh_1' }, clock()),
    ).rejects.toBeInstanceOf(NotFoundError);
    expect(sender.requests).toEqual([]);
  });
});
