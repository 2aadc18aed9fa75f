import { changeVisibility, sendToDeadLetterQueue } from '../adapters/sqs/queues.ts';
import { deliveryMessageSchema } from '../core/deliveries.ts';
import { dispatchDelivery, giveUpUnprocessable } from '../core/dispatch.ts';
import { deliveryMaxReceiveCount } from '../resources.ts';
import { MetricUnit, metrics } from '../shared/observability.ts';
import { RetryLaterError, sqsHandler } from '../shared/sqs.ts';
import { dependencies } from '../shared/wiring.ts';

/**
 * Dispatcher: one signed POST per deliveries-queue record. A retry hides the message for the next
 * delay (ChangeMessageVisibility) and reports it as a batch item failure; after the last attempt
 * the message is moved to the dead-letter queue and the delivery is `failed`.
 */
export const handler = sqsHandler(
  { schema: deliveryMessageSchema, deadLetterQueueUrl: () => dependencies().config.queues.deliveriesDlq },
  async (message, record, log) => {
    const deps = dependencies();
    let result: Awaited<ReturnType<typeof dispatchDelivery>>;
    try {
      result = await dispatchDelivery({ ...deps, events: deps.cachedEvents }, message, {
        schedule: deps.config.retrySchedule,
        now: Date.now,
        random: Math.random,
      });
    } catch (error) {
      // SQS dead-letters the message after this receive: say so in the delivery log too.
      const receives = Number(record.attributes.ApproximateReceiveCount);
      if (receives >= deliveryMaxReceiveCount(deps.config.retrySchedule.length)) {
        const reason = `could not be processed (${(error as Error).name ?? 'Error'}); see the dispatcher log`;
        await giveUpUnprocessable(deps, message, reason, Date.now()).catch(() => undefined);
      }
      throw error;
    }
    const delivery = result.delivery;
    log.appendKeys({
      workspace_id: message.workspace_id,
      webhook_id: message.webhook_id,
      delivery_id: message.delivery_id,
      attempt: delivery?.attempts,
    });
    switch (result.action) {
      case 'done':
        log.info('delivery settled', {
          status: delivery?.status,
          reason: result.reason,
          response_status: delivery?.response_status,
        });
        if (delivery?.status === 'success') metrics.addMetric('DeliverySucceeded', MetricUnit.Count, 1);
        if (delivery?.status === 'failed') metrics.addMetric('DeliveryStopped', MetricUnit.Count, 1);
        return;
      case 'retry':
        log.info('delivery attempt failed; retry scheduled', {
          delay_seconds: result.delaySeconds,
          response_status: result.delivery.response_status,
          error: result.delivery.error,
        });
        metrics.addMetric('DeliveryRetried', MetricUnit.Count, 1);
        await changeVisibility(
          deps.sqs,
          deps.config.queues.deliveries,
          record.receiptHandle,
          result.delaySeconds,
        );
        throw new RetryLaterError(`retry in ${result.delaySeconds} s`);
      case 'dead-letter':
        log.warn('delivery failed for good; message moved to the dead-letter queue', {
          reason: result.reason,
          response_status: result.delivery.response_status,
          error: result.delivery.error,
        });
        metrics.addMetric('DeliveryFailed', MetricUnit.Count, 1);
        await sendToDeadLetterQueue(
          deps.sqs,
          deps.config.queues.deliveriesDlq,
          JSON.stringify({ ...message, redrive_of: result.delivery.dead_lettered_at ?? undefined }),
          result.reason,
        );
        return;
    }
  },
);
