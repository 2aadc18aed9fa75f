import type { SQSRecord } from 'aws-lambda';
import { changeVisibilities } from '../adapters/sqs/queues.ts';
import { type EventMessageIn, eventMessageSchema } from '../core/events.ts';
import { fanOutEvents } from '../core/fanout.ts';
import { type RecoveryTask, recoveryTaskSchema } from '../core/records.ts';
import { runRecoveryStep } from '../core/recovery.ts';
import { errorRetryDelay } from '../core/retry.ts';
import { FUNCTION_TIMEOUTS, QUEUES } from '../resources.ts';
import { config } from '../shared/config.ts';
import { logger, MetricUnit, metrics } from '../shared/observability.ts';
import { deadLetterTo, leaseOn, type ParsedRecord, sqsBatchHandler } from '../shared/sqs.ts';
// Fan-out traces its SDK calls; the dispatcher does not (functions/shared/tracing.ts says why).
import '../shared/tracing.ts';
import * as wiring from '../shared/wiring.ts';

type Work = EventMessageIn | RecoveryTask;

/** The events queue carries events and, beside them, the steps of recoveries (`task: "recover"`). */
const workSchema = {
  safeParse: (input: unknown) =>
    typeof input === 'object' && input !== null && 'task' in input
      ? recoveryTaskSchema.safeParse(input)
      : eventMessageSchema.safeParse(input),
};

const isTask = (record: ParsedRecord<Work>): record is ParsedRecord<RecoveryTask> => 'task' in record.message;

type Later = { handle: string; delaySeconds: number };

/** Events: each → one queued delivery per subscribed, active webhook of its workspace. */
async function fanOut(
  records: ParsedRecord<EventMessageIn>[],
  keep: string[],
  later: Later[],
): Promise<number> {
  if (records.length === 0) return 0;
  const outcomes = await fanOutEvents(
    { webhooks: wiring.webhookLists(), events: wiring.eventStore(), queue: wiring.deliveryQueue() },
    // Without a producer id, the SQS message id keeps a redelivered message idempotent.
    records.map(({ message, record }) => ({
      message,
      fallbackEventId: record.messageId,
      // After this receive the queue dead-letters the message itself, should it come back once more.
      lastReceive: Number(record.attributes.ApproximateReceiveCount) >= QUEUES.events.maxReceiveCount,
    })),
    { nowMs: Date.now(), leaseMs: FUNCTION_TIMEOUTS.fanout * 1000 },
  );
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
      later.push(retryLater(record.record));
      logger.error('event could not be fanned out; it will be retried', { ...fields, error: outcome.error });
    }
  });
  return queued;
}

function retryLater(record: SQSRecord): Later {
  return {
    handle: record.receiptHandle,
    delaySeconds: errorRetryDelay(Number(record.attributes.ApproximateReceiveCount)),
  };
}

/** Recovery steps, one at a time per task (each bounded: contract §3, core/recovery.ts). */
async function recover(
  records: ParsedRecord<RecoveryTask>[],
  keep: string[],
  later: Later[],
): Promise<number> {
  let queued = 0;
  for (const { message, record } of records) {
    const fields = {
      workspace_id: message.workspace_id,
      recovery_id: message.recovery_id,
      step: message.step,
    };
    try {
      const outcome = await runRecoveryStep(
        {
          webhooks: wiring.webhookStore(),
          events: wiring.eventStore(),
          log: wiring.deliveryLog(),
          queue: wiring.deliveryQueue(),
          recoveries: wiring.recoveryStore(),
          tasks: wiring.taskQueue(),
        },
        message,
        { nowMs: Date.now() },
      );
      if (outcome.kind === 'stale')
        logger.info('recovery task had nothing to do', { ...fields, reason: outcome.reason });
      else {
        queued += outcome.queued;
        logger.info('recovery step done', { ...fields, ...outcome });
      }
    } catch (error) {
      keep.push(record.messageId);
      later.push(retryLater(record));
      logger.error('recovery step failed; it will be retried', { ...fields, error });
    }
  }
  return queued;
}

export const handler = sqsBatchHandler<Work>(
  {
    schema: workSchema,
    ...deadLetterTo(() => config().queues.eventsDlq),
    // A crashed run's events (and recovery steps) come back in seconds, not the queue's 3 minutes.
    ...leaseOn(() => config().queues.events, FUNCTION_TIMEOUTS.fanout),
  },
  async (records) => {
    const keep: string[] = [];
    const later: Later[] = [];
    const tasks = records.filter(isTask);
    const events = records.filter((record): record is ParsedRecord<EventMessageIn> => !isTask(record));
    const [fannedOut, recovered] = await Promise.all([
      fanOut(events, keep, later),
      recover(tasks, keep, later),
    ]);
    if (later.length) await changeVisibilities(wiring.sqs(), config().queues.events, later);
    metrics.addMetric('DeliveriesQueued', MetricUnit.Count, fannedOut + recovered);
    logger.info('batch fanned out', {
      events: events.length,
      tasks: tasks.length,
      queued: fannedOut + recovered,
      kept: keep.length,
    });
    metrics.publishStoredMetrics();
    return keep;
  },
);
