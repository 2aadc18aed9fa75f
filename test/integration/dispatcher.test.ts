import { randomUUID } from 'node:crypto';
import type { SendMessageBatchCommandInput } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { deliveryIdFor, eventKeyFor } from '../../functions/core/ids.ts';
import type { DeliveryMessage } from '../../functions/core/records.ts';
import { handler as dispatcher } from '../../functions/dispatcher/handler.ts';
import { handler as fanout } from '../../functions/fanout/handler.ts';
import { deliveryMaxReceiveCount } from '../../functions/resources.ts';
import { config } from '../../functions/shared/config.ts';
import { deliveryLog, sqs, webhookStore } from '../../functions/shared/wiring.ts';
import { toSqsEvent } from '../../local/event-source.ts';
import { addKey, call, newWorkspace } from '../support/api.ts';

/**
 * The fan-out and dispatcher handlers against the emulators, for what the e2e tests cannot provoke
 * or see: the SQS requests fan-out makes, and a delivery that throws on every receive.
 */
describe('fan-out and dispatcher handlers', () => {
  const sqsEvent = (bodies: string[], receiveCount = 1): SQSEvent =>
    toSqsEvent(
      bodies.map((Body) => ({
        MessageId: randomUUID(),
        ReceiptHandle: `r-${randomUUID()}`,
        Body,
        Attributes: { ApproximateReceiveCount: String(receiveCount) },
      })),
      'arn:aws:sqs:us-east-1:000000000000:queue',
    );

  it('queues a batch of events’ deliveries together, grouped by webhook (SQS fair queues)', async () => {
    const { workspaceId, key } = await newWorkspace('fanout');
    const ids: string[] = [];
    for (const path of ['a', 'b']) {
      const created = await call('POST', '/api/webhooks', {
        key,
        body: { url: `https://127.0.0.1:9/${path}`, events: ['credits.low'] },
      });
      ids.push(created.json.id);
    }
    const sent: SendMessageBatchCommandInput[] = [];
    const client = sqs();
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'SendMessageBatchCommand')
          sent.push(args.input as SendMessageBatchCommandInput);
        return next(args);
      },
      { step: 'initialize', name: 'spyFanOut' },
    );
    try {
      const events = Array.from({ length: 3 }, (_, i) =>
        JSON.stringify({
          id: `e${i}`,
          workspace_id: workspaceId,
          event: 'credits.low',
          data: { balance: i, threshold: 9 },
        }),
      );
      const result = await fanout(sqsEvent(events));
      expect(result?.batchItemFailures).toEqual([]);
    } finally {
      client.middlewareStack.remove('spyFanOut');
    }
    const entries = sent
      .filter((s) => s.QueueUrl === config().queues.deliveries)
      .flatMap((s) => s.Entries ?? []);
    expect(sent.filter((s) => s.QueueUrl === config().queues.deliveries)).toHaveLength(1); // 6 messages, one request
    expect(entries).toHaveLength(6);
    for (const entry of entries) {
      const message = JSON.parse(entry.MessageBody ?? '{}') as DeliveryMessage;
      expect(entry.MessageGroupId).toBe(message.webhook_id);
      expect(ids).toContain(message.webhook_id);
    }

    // Listed pending from fan-out on, before any attempt.
    const listed = await call('GET', `/api/webhooks/deliveries?webhook_id=${ids[0]}`, { key });
    expect(listed.json).toHaveLength(3);
    expect(listed.json.map((d: { status: string; attempts: number }) => [d.status, d.attempts])).toEqual([
      ['pending', 0],
      ['pending', 0],
      ['pending', 0],
    ]);
    expect(listed.json[0].payload).toMatchObject({ event: 'credits.low' });
  });

  // dynalite takes keys of any size; DynamoDB (and DynamoDB Local, which CI runs this suite against too)
  // refuses a partition key over 2048 bytes and a sort key over 1024. The longest ids the service accepts
  // must fit.
  it('fans out an event with the longest workspace id and event id accepted, within DynamoDB key limits', async () => {
    const workspaceId = `ws_${'w'.repeat(125)}`; // 128: the most keys:create and the publisher accept
    const { key } = await addKey(workspaceId);
    const created = await call('POST', '/api/webhooks', {
      key,
      body: { url: 'https://127.0.0.1:9/long', events: ['credits.low'] },
    });
    expect(created.status).toBe(201);
    const event = JSON.stringify({
      id: `e${'~'.repeat(199)}`, // 200: the longest idempotency key
      workspace_id: workspaceId,
      event: 'credits.low',
      data: { balance: 1, threshold: 9 },
    });
    expect((await fanout(sqsEvent([event])))?.batchItemFailures).toEqual([]);
    // The same id again is a duplicate, found through the same claim key.
    expect((await fanout(sqsEvent([event])))?.batchItemFailures).toEqual([]);
    const listed = await call('GET', `/api/webhooks/deliveries?webhook_id=${created.json.id}`, { key });
    expect(listed.json).toHaveLength(1);
    const before = listed.json[0].id;
    const page = await call(
      'GET',
      `/api/webhooks/deliveries?webhook_id=${created.json.id}&before=${before}`,
      {
        key,
      },
    );
    expect(page.status).toBe(200);
  });

  async function poisonedMessage(): Promise<DeliveryMessage> {
    const workspaceId = `ws_poison_${randomUUID().slice(0, 8)}`;
    const webhookId = randomUUID();
    const now = new Date().toISOString();
    await webhookStore().create(
      {
        workspace_id: workspaceId,
        id: webhookId,
        url: 'https://127.0.0.1:9/never',
        events: ['credits.low'],
        is_active: true,
        description: '',
        secret_ciphertext: 'v1.not.a.ciphertext', // decrypting it throws every time
        created_by: 'test',
        created_at: now,
        updated_at: now,
      },
      50,
    );
    const eventKey = eventKeyFor(Date.now(), workspaceId, 'evt');
    return {
      workspace_id: workspaceId,
      webhook_id: webhookId,
      delivery_id: deliveryIdFor(eventKey, workspaceId, webhookId),
      event_type: 'credits.low',
      event_key: eventKey,
      created_at: now,
      queued_at: Date.now(),
      body: '{"event":"credits.low","data":{},"created_at":"2026-01-01T00:00:00.000Z"}',
    };
  }

  it('leaves a delivery that cannot be processed pending, its message kept, while receives remain', async () => {
    const message = await poisonedMessage();
    const result = await dispatcher(sqsEvent([JSON.stringify(message)], 2));
    expect(result?.batchItemFailures).toHaveLength(1);
    expect(await deliveryLog().latest(message.webhook_id, message.delivery_id, Date.now())).toBeNull();
  });

  it('records it failed on the last receive before SQS dead-letters the message', async () => {
    const message = await poisonedMessage();
    const last = deliveryMaxReceiveCount(config().retrySchedule.length);
    const result = await dispatcher(sqsEvent([JSON.stringify(message)], last));
    expect(result?.batchItemFailures).toHaveLength(1);
    expect(await deliveryLog().latest(message.webhook_id, message.delivery_id, Date.now())).toMatchObject({
      kind: 'stop',
      status: 'failed',
      error: 'could not be processed; see the dispatcher log',
    });
  });
});
