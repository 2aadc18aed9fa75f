import { changeVisibilities } from '../adapters/sqs/queues.ts';
import { eventMessageSchema } from '../core/events.ts';
import { fanOutEvents } from '../core/fanout.ts';
import { errorRetryDelay } from '../core/retry.ts';
import { FUNCTION_TIMEOUTS } from '../resources.ts';
import { config } from '../shared/config.ts';
import { logger, MetricUnit, metrics } from '../shared/observability.ts';
import { deadLetterTo, sqsBatchHandler } from '../shared/sqs.ts';
// Fan-out traces its SDK calls; the dispatcher does not (functions/shared/tracing.ts says why).
import '../shared/tracing.ts';
import * as wiring from '../shared/wiring.ts';

/** Fan-out: each event from the events queue → one queued delivery per subscribed, active webhook. */
export const handler = sqsBatchHandler(
  { schema: eventMessageSchema, ...deadLetterTo(() => config().queues.eventsDlq) },
  async (records) => {
    const outcomes = await fanOutEvents(
      { webhooks: wiring.webhookLists(), events: wiring.eventStore(), queue: wiring.deliveryQueue() },
      // Without a producer id, the SQS message id keeps a redelivered message idempotent.
      records.map(({ message, record }) => ({ message, fallbackEventId: record.messageId })),
      { nowMs: Date.now(), leaseMs: FUNCTION_TIMEOUTS.fanout * 1000 },
    );
    const keep: string[] = [];
    const later: { handle: string; delaySeconds: number }[] = [];
    let queued = 0;
    outcomes.forEach((outcome, index) => {
      const record = records[index];
      if (!record) return;
      const fields = { workspace_id: record.message.workspace_id, event_id: outcome.eventId };
      if (outcome.kind === 'done') {
        queued += outcome.queued;
        logger.debug('event fanned out', { ...fields, queued: outcome.queued, duplicate: outcome.duplicate });
        return;
      }
      keep.push(record.record.messageId);
      if (outcome.kind === 'busy') {
        // Another run holds the event: this copy comes back when that run's lease ends.
        later.push({ handle: record.record.receiptHandle, delaySeconds: outcome.retryInSeconds });
        logger.info('event is being fanned out by another run; this copy will come back', fields);
      } else {
        const receives = Number(record.record.attributes.ApproximateReceiveCount);
        later.push({ handle: record.record.receiptHandle, delaySeconds: errorRetryDelay(receives) });
        logger.error('event could not be fanned out; it will be retried', {
          ...fields,
          error: outcome.error,
        });
      }
    });
    if (later.length) await changeVisibilities(wiring.sqs(), config().queues.events, later);
    metrics.addMetric('DeliveriesQueued', MetricUnit.Count, queued);
    logger.info('batch fanned out', { events: records.length, queued, kept: keep.length });
    metrics.publishStoredMetrics();
    return keep;
  },
);
