import {
  ChangeMessageVisibilityBatchCommand,
  SendMessageBatchCommand,
  type SendMessageBatchRequestEntry,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { EventMessageIn } from '../../core/events.ts';
import type { DeliveryQueue, DeliveryQueueControl, EventPublisher, TaskQueue } from '../../core/ports.ts';
import type { DeliveryMessage, RecoveryTask } from '../../core/records.ts';

/**
 * A JSON message body as SQS accepts it whatever the text in it: characters SQS refuses (U+FFFE,
 * U+FFFF; and, in the local emulator, anything beyond U+FFFF) are written as JSON `\u` escapes. In
 * JSON such characters can only stand inside strings, where the escape parses back to the very same
 * string. Without it, a key name or event field with an emoji or a non-character could be stored but
 * not published — a 500 after the write. Applied to every body this module sends.
 */
export function toSqsBody(json: string): string {
  return json.replace(
    /[\uD800-\uDFFF\uFFFE\uFFFF]/g,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

const SQS_BATCH_SIZE = 10;
const BATCH_SEND_ROUNDS = 3;
/** Batch requests in flight at once (one fan-out of 500 webhooks is 50 of them). */
const MAX_CONCURRENT_BATCHES = 32;

export interface OutgoingMessage {
  body: string;
  /** SQS fair queues keep one group's backlog from delaying the others (contract §5). */
  groupId?: string;
  reason?: string;
  /** Seconds before it can be received (at most 900). */
  delaySeconds?: number;
}

async function inParallel<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item);
    }
  });
  await Promise.all(lanes);
}

/**
 * Sends messages in batches of 10, the batches concurrently; entries SQS reports as failed are sent
 * again (up to 3 rounds). Resolves to the indexes of the messages that could not be sent.
 */
export async function sendInBatches(
  sqs: SQSClient,
  queueUrl: string,
  messages: OutgoingMessage[],
): Promise<number[]> {
  const failed: number[] = [];
  const batches: number[][] = [];
  for (let i = 0; i < messages.length; i += SQS_BATCH_SIZE) {
    batches.push(messages.slice(i, i + SQS_BATCH_SIZE).map((_, j) => i + j));
  }
  await inParallel(batches, MAX_CONCURRENT_BATCHES, async (indexes) => {
    let entries: SendMessageBatchRequestEntry[] = indexes.map((index) => {
      const message = messages[index] as OutgoingMessage;
      return {
        Id: String(index),
        MessageBody: toSqsBody(message.body),
        ...(message.groupId ? { MessageGroupId: message.groupId } : {}),
        ...(message.delaySeconds ? { DelaySeconds: message.delaySeconds } : {}),
        ...(message.reason
          ? {
              MessageAttributes: {
                reason: { DataType: 'String', StringValue: message.reason.slice(0, 1000) },
              },
            }
          : {}),
      };
    });
    for (let round = 1; entries.length > 0; round++) {
      let refused: Set<string | undefined>;
      try {
        const result = await sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries }));
        refused = new Set((result.Failed ?? []).map((failure) => failure.Id));
      } catch {
        refused = new Set(entries.map((entry) => entry.Id));
      }
      entries = entries.filter((entry) => refused.has(entry.Id));
      if (entries.length > 0 && round === BATCH_SEND_ROUNDS) {
        for (const entry of entries) failed.push(Number(entry.Id));
        return;
      }
    }
  });
  return failed.sort((a, b) => a - b);
}

/** The deliveries queue: one message per delivery, grouped by webhook. */
export class SqsDeliveryQueue implements DeliveryQueue {
  private readonly sqs: SQSClient;
  private readonly queueUrl: string;
  constructor(sqs: SQSClient, queueUrl: string) {
    this.sqs = sqs;
    this.queueUrl = queueUrl;
  }

  send(messages: DeliveryMessage[]): Promise<number[]> {
    return sendInBatches(
      this.sqs,
      this.queueUrl,
      messages.map((message) => ({ body: JSON.stringify(message), groupId: message.webhook_id })),
    );
  }
}

/** What the dispatcher tells the deliveries queue: visibility changes and dead letters, batched. */
export class SqsDeliveryQueueControl implements DeliveryQueueControl {
  private readonly sqs: SQSClient;
  private readonly queueUrl: string;
  private readonly dlqUrl: string;
  constructor(sqs: SQSClient, queueUrl: string, dlqUrl: string) {
    this.sqs = sqs;
    this.queueUrl = queueUrl;
    this.dlqUrl = dlqUrl;
  }

  async retryLater(items: { handle: string; delaySeconds: number }[]): Promise<string[]> {
    return changeVisibilities(this.sqs, this.queueUrl, items);
  }

  async deadLetter(items: { handle: string; body: string; reason: string }[]): Promise<string[]> {
    const failed = await sendInBatches(this.sqs, this.dlqUrl, items);
    return failed.map((index) => items[index]?.handle ?? '');
  }

  async requeue(
    items: { handle: string; body: string; groupId: string; delaySeconds: number }[],
  ): Promise<string[]> {
    const failed = await sendInBatches(this.sqs, this.queueUrl, items);
    return failed.map((index) => items[index]?.handle ?? '');
  }
}

/** Hides received messages for their delay each (the retry schedule); resolves to the handles that failed. */
export async function changeVisibilities(
  sqs: SQSClient,
  queueUrl: string,
  items: { handle: string; delaySeconds: number }[],
): Promise<string[]> {
  const failed: string[] = [];
  const batches: { handle: string; delaySeconds: number }[][] = [];
  for (let i = 0; i < items.length; i += SQS_BATCH_SIZE) batches.push(items.slice(i, i + SQS_BATCH_SIZE));
  await inParallel(batches, MAX_CONCURRENT_BATCHES, async (batch) => {
    try {
      const result = await sqs.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: queueUrl,
          Entries: batch.map((item, index) => ({
            Id: String(index),
            ReceiptHandle: item.handle,
            // Never 0: fauxqs (the local stack's SQS) loses a persisted message made visible with 0,
            // and a second is no loss anywhere.
            VisibilityTimeout: Math.max(1, Math.ceil(item.delaySeconds)),
          })),
        }),
      );
      for (const failure of result.Failed ?? []) failed.push(batch[Number(failure.Id)]?.handle ?? '');
    } catch {
      failed.push(...batch.map((item) => item.handle));
    }
  });
  return failed;
}

/** Sends events to the events queue (the typed publisher, the key endpoints, the dispatcher). */
export class SqsEventPublisher implements EventPublisher {
  private readonly sqs: SQSClient;
  private readonly queueUrl: string;
  constructor(sqs: SQSClient, queueUrl: string) {
    this.sqs = sqs;
    this.queueUrl = queueUrl;
  }

  async publish(message: EventMessageIn): Promise<void> {
    await this.sqs.send(
      new SendMessageCommand({
        QueueUrl: this.queueUrl,
        MessageBody: toSqsBody(JSON.stringify(message)),
        // Fair queues: one tenant's burst does not delay the others' events (contract §5).
        MessageGroupId: message.workspace_id,
      }),
    );
  }
}

/** Recovery steps, on the events queue (fan-out runs them), grouped by workspace. */
export class SqsTaskQueue implements TaskQueue {
  private readonly sqs: SQSClient;
  private readonly queueUrl: string;
  constructor(sqs: SQSClient, queueUrl: string) {
    this.sqs = sqs;
    this.queueUrl = queueUrl;
  }

  async send(task: RecoveryTask, delaySeconds = 0): Promise<void> {
    await this.sqs.send(
      new SendMessageCommand({
        QueueUrl: this.queueUrl,
        MessageBody: toSqsBody(JSON.stringify(task)),
        MessageGroupId: task.workspace_id,
        ...(delaySeconds > 0 ? { DelaySeconds: Math.min(900, Math.ceil(delaySeconds)) } : {}),
      }),
    );
  }
}
