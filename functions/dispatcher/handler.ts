import { dispatchBatch } from '../core/dispatch.ts';
import { deliveryMessageSchema } from '../core/records.ts';
import { DISPATCHER_LEASE_AFTER_SECONDS, deliveryMaxReceiveCount, FUNCTION_TIMEOUTS } from '../resources.ts';
import { config } from '../shared/config.ts';
import { reportDispatch } from '../shared/delivery-report.ts';
import { deadLetterTo, leaseOn, sqsBatchHandler } from '../shared/sqs.ts';
import * as wiring from '../shared/wiring.ts';

/**
 * Dispatcher: one signed POST per deliveries-queue record, the batch's rows recorded together. A
 * retry hides its message until due (visibility timeout) and reports it as a batch item failure;
 * after the last attempt the message goes to the dead-letter queue and the delivery is `failed`.
 */
export const handler = sqsBatchHandler(
  {
    schema: deliveryMessageSchema,
    ...deadLetterTo(() => config().queues.deliveriesDlq),
    // A run still going after 5 s is leased: should it time out, its deliveries come back in
    // seconds, not the queue's 3 minutes. Quicker runs, nearly all, pay no request for it.
    ...leaseOn(() => config().queues.deliveries, FUNCTION_TIMEOUTS.dispatcher, {
      afterMs: DISPATCHER_LEASE_AFTER_SECONDS * 1000,
    }),
  },
  async (records) => {
    const results = await dispatchBatch(
      {
        webhooks: wiring.webhookReader(),
        events: wiring.eventReader(),
        log: wiring.deliveryLog(),
        secrets: wiring.secrets(),
        sender: wiring.sender(),
        queue: wiring.deliveryQueueControl(),
        rateLimiter: wiring.deliveryRateLimiter(),
        publisher: wiring.eventPublisher(),
      },
      records.map(({ message, record }) => ({
        message,
        messageId: record.messageId,
        handle: record.receiptHandle,
        receiveCount: Number(record.attributes.ApproximateReceiveCount),
      })),
      {
        schedule: config().retrySchedule,
        now: Date.now,
        random: Math.random,
        maxReceives: deliveryMaxReceiveCount(config().retrySchedule.length),
        autoDisableAfterMs: config().autoDisableAfterSeconds * 1000,
      },
    );
    reportDispatch(results);
    return results.filter((result) => result.disposition === 'keep').map((result) => result.messageId);
  },
);
