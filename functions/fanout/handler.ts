import { eventMessageSchema } from '../core/events.ts';
import { fanOutEvent } from '../core/fanout.ts';
import { FUNCTION_TIMEOUTS } from '../resources.ts';
import { MetricUnit, metrics } from '../shared/observability.ts';
import { RetryLaterError, sqsHandler } from '../shared/sqs.ts';
import { dependencies } from '../shared/wiring.ts';

/** Fan-out: one event from the events queue → one queued delivery per subscribed, active webhook. */
export const handler = sqsHandler(
  { schema: eventMessageSchema, deadLetterQueueUrl: () => dependencies().config.queues.eventsDlq },
  async (message, record, log) => {
    const { webhooks, events, deliveries, deliveryQueue } = dependencies();
    const result = await fanOutEvent({ webhooks, events, deliveries, queue: deliveryQueue }, message, {
      // Without a producer id, the SQS message id keeps a redelivered message idempotent.
      fallbackEventId: record.messageId,
      nowMs: Date.now(),
      leaseMs: FUNCTION_TIMEOUTS.fanout * 1000,
    });
    if (result.busy) {
      log.info('event is being fanned out by another run; this copy will come back', {
        event_id: result.eventId,
      });
      throw new RetryLaterError('fan-out in progress elsewhere');
    }
    log.info('event fanned out', {
      workspace_id: message.workspace_id,
      event_id: result.eventId,
      event_type: message.event,
      queued: result.queued,
      duplicate: result.duplicate,
    });
    metrics.addMetric('DeliveriesQueued', MetricUnit.Count, result.queued);
  },
);
