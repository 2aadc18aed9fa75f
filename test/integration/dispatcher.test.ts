import { randomUUID } from 'node:crypto';
import type { DeliveryRecord } from '../../functions/core/deliveries.ts';
import { deliveryIdFor } from '../../functions/core/ids.ts';
import { handler } from '../../functions/dispatcher/handler.ts';
import { deliveryMaxReceiveCount } from '../../functions/resources.ts';
import { dependencies } from '../../functions/shared/wiring.ts';
import { toSqsEvent } from '../../local/event-source.ts';
import { lambdaContext } from '../../local/lambda-context.ts';

/**
 * The dispatcher handler against the emulators, for what the e2e tests cannot provoke: a delivery
 * that throws on every receive ends `failed` in the log on the last receive SQS allows.
 */
describe('dispatcher handler', () => {
  async function poisonedDelivery() {
    const { webhooks, deliveries } = dependencies();
    const workspaceId = `ws_poison_${randomUUID().slice(0, 8)}`;
    const webhookId = randomUUID();
    const now = new Date().toISOString();
    await webhooks.create(
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
    const delivery: DeliveryRecord = {
      webhook_id: webhookId,
      id: deliveryIdFor(Date.now(), randomUUID()),
      workspace_id: workspaceId,
      event_type: 'test',
      body: '{"event":"test","data":{},"created_at":"2026-01-01T00:00:00.000Z"}',
      status: 'pending',
      attempts: 0,
      response_status: null,
      response_body: null,
      error: null,
      last_attempt_at: null,
      next_attempt_at: now,
      created_at: now,
      expires_at: Math.floor(Date.now() / 1000) + 3600,
    };
    await deliveries.createIfAbsent(delivery);
    return delivery;
  }

  const invoke = (delivery: DeliveryRecord, receiveCount: number) =>
    handler(
      toSqsEvent(
        [
          {
            MessageId: randomUUID(),
            ReceiptHandle: 'r',
            Body: JSON.stringify({
              workspace_id: delivery.workspace_id,
              webhook_id: delivery.webhook_id,
              delivery_id: delivery.id,
            }),
            Attributes: { ApproximateReceiveCount: String(receiveCount) },
          },
        ],
        'arn:aws:sqs:us-east-1:000000000000:deliveries',
      ),
      lambdaContext('dispatcher', 30),
    );

  it('leaves a failing delivery pending (and its message failed) while receives remain', async () => {
    const delivery = await poisonedDelivery();
    const result = await invoke(delivery, 1);
    expect(result?.batchItemFailures).toHaveLength(1);
    const stored = await dependencies().deliveries.get(delivery.webhook_id, delivery.id, Date.now());
    expect(stored?.status).toBe('pending');
  });

  it('records it failed on the last receive before SQS dead-letters the message', async () => {
    const delivery = await poisonedDelivery();
    const last = deliveryMaxReceiveCount(dependencies().config.retrySchedule.length);
    const result = await invoke(delivery, last);
    expect(result?.batchItemFailures).toHaveLength(1);
    const stored = await dependencies().deliveries.get(delivery.webhook_id, delivery.id, Date.now());
    expect(stored).toMatchObject({
      status: 'failed',
      error: 'could not be processed (Error); see the dispatcher log',
    });
  });
});
