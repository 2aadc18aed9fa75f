import {
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { Handler, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { EVENT_SOURCE_BATCH_SIZE } from '../functions/resources.ts';
import { lambdaContext } from './lambda-context.ts';

export interface EventSourceOptions {
  sqs: SQSClient;
  queueUrl: string;
  queueArn: string;
  functionName: string;
  timeoutSeconds: number;
  handler: Handler<SQSEvent, SQSBatchResponse | undefined>;
  /** Batches in flight at once (Lambda would scale out; locally a few loops suffice). */
  concurrency?: number;
  /** Long-poll wait; shutdown aborts a wait in progress. */
  waitTimeSeconds?: number;
  onError?: (error: unknown) => void;
}

/** Turns received SQS messages into the records Lambda's event source mapping passes. */
export function toSqsEvent(messages: Message[], queueArn: string): SQSEvent {
  const region = queueArn.split(':')[3] ?? 'us-east-1';
  return {
    Records: messages.map(
      (message): SQSRecord => ({
        messageId: message.MessageId ?? '',
        receiptHandle: message.ReceiptHandle ?? '',
        body: message.Body ?? '',
        attributes: {
          ApproximateReceiveCount: message.Attributes?.ApproximateReceiveCount ?? '1',
          SentTimestamp: message.Attributes?.SentTimestamp ?? String(Date.now()),
          SenderId: message.Attributes?.SenderId ?? 'local',
          ApproximateFirstReceiveTimestamp:
            message.Attributes?.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
        },
        messageAttributes: Object.fromEntries(
          Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [
            name,
            { dataType: value.DataType ?? 'String', stringValue: value.StringValue },
          ]),
        ),
        md5OfBody: message.MD5OfBody ?? '',
        eventSource: 'aws:sqs',
        eventSourceARN: queueArn,
        awsRegion: region,
      }),
    ),
  };
}

/**
 * Which messages of a batch to delete, the way Lambda's ReportBatchItemFailures does it:
 * all but the reported failures; none when the handler threw or reported an id not in the batch.
 */
export function messagesToDelete(
  batch: SQSRecord[],
  outcome: { threw: true } | { threw: false; response: unknown },
): SQSRecord[] {
  if (outcome.threw) return [];
  const response = outcome.response as SQSBatchResponse | undefined | null;
  const failures = response?.batchItemFailures ?? [];
  if (!Array.isArray(failures)) return [];
  const ids = new Set(batch.map((record) => record.messageId));
  const failed = new Set<string>();
  for (const failure of failures) {
    if (!failure || typeof failure.itemIdentifier !== 'string' || !ids.has(failure.itemIdentifier)) return [];
    failed.add(failure.itemIdentifier);
  }
  return batch.filter((record) => !failed.has(record.messageId));
}

/**
 * The SQS event source mapping, emulated: long-polls a queue, invokes the handler with batches of
 * up to 10, deletes what succeeded and leaves failures to their visibility timeout.
 */
export class SqsEventSource {
  private readonly options: EventSourceOptions;
  private readonly abort = new AbortController();
  private loops: Promise<void>[] = [];

  constructor(options: EventSourceOptions) {
    this.options = options;
  }

  start(): void {
    const concurrency = this.options.concurrency ?? 2;
    for (let i = 0; i < concurrency; i++) this.loops.push(this.loop());
  }

  /** Stops polling and waits for batches in flight to finish. */
  async stop(): Promise<void> {
    this.abort.abort();
    await Promise.all(this.loops);
    this.loops = [];
  }

  private async loop(): Promise<void> {
    const { sqs, queueUrl } = this.options;
    while (!this.abort.signal.aborted) {
      let messages: Message[];
      try {
        const received = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: queueUrl,
            MaxNumberOfMessages: EVENT_SOURCE_BATCH_SIZE,
            WaitTimeSeconds: this.options.waitTimeSeconds ?? 2,
            MessageSystemAttributeNames: ['All'],
            MessageAttributeNames: ['All'],
          }),
          { abortSignal: this.abort.signal },
        );
        messages = received.Messages ?? [];
      } catch (error) {
        if (this.abort.signal.aborted) return;
        this.options.onError?.(error);
        await new Promise((resolve) => setTimeout(resolve, 1000));
        continue;
      }
      if (messages.length > 0) await this.invoke(messages);
    }
  }

  private async invoke(messages: Message[]): Promise<void> {
    const { sqs, queueUrl, queueArn, functionName, timeoutSeconds, handler } = this.options;
    const event = toSqsEvent(messages, queueArn);
    let outcome: { threw: true } | { threw: false; response: unknown };
    try {
      outcome = {
        threw: false,
        response: await handler(event, lambdaContext(functionName, timeoutSeconds), () => {}),
      };
    } catch (error) {
      this.options.onError?.(error);
      outcome = { threw: true };
    }
    const done = messagesToDelete(event.Records, outcome);
    const undeleted = await deleteMessages(sqs, queueUrl, done);
    if (undeleted.length > 0) {
      // They come back after their visibility timeout: at-least-once, nothing lost; but say so.
      this.options.onError?.(
        new Error(
          `${undeleted.length} of ${done.length} handled messages could not be deleted; they will come back`,
        ),
      );
    }
  }
}

/**
 * Deletes handled messages in one batch, sending entries SQS reports as failed once more (as Lambda's
 * mapping would retry). Resolves to the records still not deleted.
 */
export async function deleteMessages(
  sqs: Pick<SQSClient, 'send'>,
  queueUrl: string,
  records: SQSRecord[],
): Promise<SQSRecord[]> {
  let pending = records;
  for (let round = 0; round < 2 && pending.length > 0; round++) {
    let failed: Set<string>;
    try {
      const result = await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: pending.map((record, index) => ({
            Id: String(index),
            ReceiptHandle: record.receiptHandle,
          })),
        }),
      );
      failed = new Set((result.Failed ?? []).map((entry) => entry.Id ?? ''));
    } catch {
      failed = new Set(pending.map((_, index) => String(index)));
    }
    pending = pending.filter((_, index) => failed.has(String(index)));
  }
  return pending;
}
