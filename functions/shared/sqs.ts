import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { changeVisibilities, sendInBatches } from '../adapters/sqs/queues.ts';
import { logger, MetricUnit, metrics } from './observability.ts';
import { sqs } from './wiring.ts';

/** What a record handler learns about one valid message. */
export interface ParsedRecord<T> {
  message: T;
  record: SQSRecord;
}

/** The parse result of a zod schema (classic or mini): all the factory needs of one. */
interface Schema<T> {
  safeParse(
    input: unknown,
  ):
    | { success: true; data: T }
    | { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } };
}

export interface SqsBatchSpec<T> {
  /** Schema of one message body (JSON). */
  schema: Schema<T>;
  /**
   * Moves messages that can never be processed to the dead-letter queue, with their reasons;
   * resolves to the indexes it could not move (those stay on the queue and come back).
   */
  deadLetter: (items: { body: string; reason: string }[]) => Promise<number[]>;
  /** Told about each message moved to the dead-letter queue. */
  onInvalid?: (record: SQSRecord, reason: string) => void;
  /** Told when the handler threw (every valid record then comes back). */
  onError?: (error: unknown) => void;
  /**
   * Hides the valid records for `seconds` as soon as the batch arrives: their lease. Should the run
   * crash (or time out), they come back when it ends instead of after the queue's visibility timeout
   * (six times the function's, for Lambda's own retries). At least the function's timeout, so a live
   * run is never doubled; the handler's own visibility changes (retries, waits) replace it.
   */
  lease?: {
    seconds: number;
    hide: (items: { handle: string; delaySeconds: number }[]) => Promise<unknown>;
    /**
     * Take the lease only if the run is still going this long after the batch arrived (and never if
     * it ended first): a batch that ends quickly — nearly all of them — then costs no request, while
     * one held by slow receivers or retried writes, the runs that time out, still comes back in
     * seconds. A run that dies before this much time has passed waits out the queue's visibility
     * timeout. Unset: the lease is taken at once, before the handler starts.
     */
    afterMs?: number;
  };
}

/** Parses one body: invalid JSON, a body nested too deep to walk, or a schema mismatch is a reason. */
export function parseBody<T>(
  schema: Schema<T>,
  body: string,
): { ok: true; value: T } | { ok: false; reason: string } {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { ok: false, reason: 'message body is not valid JSON' };
  }
  let result: ReturnType<Schema<T>['safeParse']>;
  try {
    result = schema.safeParse(json);
  } catch (error) {
    // e.g. a stack overflow on a hostile, deeply nested body: it will never parse, so never retry it.
    return { ok: false, reason: `message body could not be validated (${(error as Error).name})` };
  }
  if (result.success) return { ok: true, value: result.data };
  return {
    ok: false,
    reason: result.error.issues
      .map((issue) => `${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`)
      .join('; ')
      .slice(0, 1000),
  };
}

/**
 * The SQS handler factory. Every record is parsed on its own: an invalid one is moved to the
 * dead-letter queue with its reason and never fails its neighbours; the valid ones are handled as
 * one batch (so their writes and queue calls can be batched too), and the handler names the ones
 * that must stay on the queue: they are reported as batch item failures (ReportBatchItemFailures),
 * and only they come back. If the handler throws, every valid record comes back.
 */
export function sqsBatchHandler<T>(
  spec: SqsBatchSpec<T>,
  handle: (records: ParsedRecord<T>[]) => Promise<string[]>,
) {
  return async (event: SQSEvent): Promise<SQSBatchResponse> => {
    const valid: ParsedRecord<T>[] = [];
    const invalid: { record: SQSRecord; reason: string }[] = [];
    for (const record of event.Records) {
      const parsed = parseBody(spec.schema, record.body);
      if (parsed.ok) valid.push({ message: parsed.value, record });
      else invalid.push({ record, reason: parsed.reason });
    }
    const failures = new Set<string>();
    if (invalid.length > 0) {
      for (const { record, reason } of invalid) spec.onInvalid?.(record, reason);
      let unmoved: number[];
      try {
        unmoved = await spec.deadLetter(invalid.map(({ record, reason }) => ({ body: record.body, reason })));
      } catch {
        unmoved = invalid.map((_, index) => index);
      }
      for (const index of unmoved) failures.add(invalid[index]?.record.messageId ?? '');
    }
    if (valid.length > 0) {
      const lease = spec.lease ? takeLease(spec.lease, valid, spec.onError) : undefined;
      if (lease?.now) await lease.now;
      try {
        for (const id of await handle(valid)) failures.add(id);
      } catch (error) {
        spec.onError?.(error);
        for (const { record } of valid) failures.add(record.messageId);
      } finally {
        await lease?.cancel();
      }
    }
    return { batchItemFailures: [...failures].map((itemIdentifier) => ({ itemIdentifier })) };
  };
}

/**
 * Hides the records for the lease — at once (`now`, to be awaited before the handler starts) or, with
 * `afterMs`, from a timer that `cancel` stops when the run ends first. Best effort either way: without
 * it the queue's visibility timeout still brings them back.
 */
function takeLease<T>(
  lease: NonNullable<SqsBatchSpec<T>['lease']>,
  records: ParsedRecord<T>[],
  onError: ((error: unknown) => void) | undefined,
): { now?: Promise<void>; cancel: () => Promise<void> } {
  const hide = () =>
    lease
      .hide(records.map(({ record }) => ({ handle: record.receiptHandle, delaySeconds: lease.seconds })))
      .then(
        () => undefined,
        (error: unknown) => onError?.(error),
      );
  if (lease.afterMs === undefined) return { now: hide(), cancel: async () => {} };
  let taking: Promise<void> | undefined;
  const timer = setTimeout(() => {
    taking = hide();
  }, lease.afterMs);
  return {
    // A lease under way is finished before the run ends, so no request is left frozen with it.
    cancel: async () => {
      clearTimeout(timer);
      await taking;
    },
  };
}

/** How long past its timeout a function's records stay hidden (the lease's margin over a live run). */
export const LEASE_MARGIN_SECONDS = 5;

/** The lease side of a spec, wired to a queue: records hidden for the function's timeout and a margin. */
export function leaseOn(
  queueUrl: () => string,
  timeoutSeconds: number,
  options: { afterMs?: number } = {},
): Pick<SqsBatchSpec<unknown>, 'lease'> {
  return {
    lease: {
      seconds: timeoutSeconds + LEASE_MARGIN_SECONDS,
      afterMs: options.afterMs,
      hide: async (items) => {
        const failed = await changeVisibilities(sqs(), queueUrl(), items);
        if (failed.length > 0) logger.warn('could not lease some records', { failed: failed.length });
      },
    },
  };
}

/**
 * The dead-letter side of a spec, wired to a queue: invalid messages go there with their reason
 * (logged once each), and a thrown handler is logged.
 */
export function deadLetterTo(
  queueUrl: () => string,
): Pick<SqsBatchSpec<unknown>, 'deadLetter' | 'onInvalid' | 'onError'> {
  return {
    deadLetter: (items) => sendInBatches(sqs(), queueUrl(), items),
    onInvalid: (record, reason) => {
      logger.error('invalid message moved to the dead-letter queue', {
        message_id: record.messageId,
        reason,
      });
      metrics.addMetric('InvalidMessages', MetricUnit.Count, 1);
    },
    onError: (error) => logger.error('batch failed; its messages will be retried', { error }),
  };
}
