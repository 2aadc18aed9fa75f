import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { z } from 'zod';
import { sendToDeadLetterQueue } from '../adapters/sqs/queues.ts';
import { logger, MetricUnit, metrics } from './observability.ts';
import { dependencies } from './wiring.ts';

/** Thrown by a record handler to leave its message on the queue without logging it as an error. */
export class RetryLaterError extends Error {}

interface Spec<S extends z.ZodType> {
  /** Schema of one message body (JSON). */
  schema: S;
  /** Where a message that can never be processed goes, with the reason attached. */
  deadLetterQueueUrl: () => string;
}

function parseBody<S extends z.ZodType>(
  schema: S,
  body: string,
): { ok: true; value: z.output<S> } | { ok: false; reason: string } {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { ok: false, reason: 'message body is not valid JSON' };
  }
  const result = schema.safeParse(json);
  if (result.success) return { ok: true, value: result.data };
  return {
    ok: false,
    reason: result.error.issues
      .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
      .join('; '),
  };
}

/**
 * The SQS handler factory. Every record is parsed on its own: an invalid one is moved to the
 * dead-letter queue with its reason and never fails its neighbours; a record whose handler throws
 * is reported as a batch item failure (ReportBatchItemFailures), so only it comes back.
 */
export function sqsHandler<S extends z.ZodType>(
  spec: Spec<S>,
  handle: (message: z.output<S>, record: SQSRecord, log: Logger) => Promise<void>,
) {
  const processRecord = async (record: SQSRecord): Promise<void> => {
    // Records run concurrently: each gets its own child logger, so correlation keys never mix.
    const log = logger.createChild({ persistentKeys: { message_id: record.messageId } });
    try {
      const parsed = parseBody(spec.schema, record.body);
      if (!parsed.ok) {
        log.error('invalid message moved to the dead-letter queue', { reason: parsed.reason });
        metrics.addMetric('InvalidMessages', MetricUnit.Count, 1);
        await sendToDeadLetterQueue(
          dependencies().sqs,
          spec.deadLetterQueueUrl(),
          record.body,
          parsed.reason,
        );
        return;
      }
      await handle(parsed.value, record, log);
    } catch (error) {
      if (!(error instanceof RetryLaterError)) log.error('record failed; it will be retried', { error });
      throw error;
    }
  };
  return middy<SQSEvent, SQSBatchResponse>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .handler(async (event, context) => {
      const processor = new BatchProcessor(EventType.SQS);
      try {
        return await processPartialResponse(event, processRecord, processor, {
          context,
          throwOnFullBatchFailure: false,
          processInParallel: true,
        });
      } finally {
        metrics.publishStoredMetrics();
      }
    });
}
