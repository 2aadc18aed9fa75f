import {
  ChangeMessageVisibilityCommand,
  SendMessageBatchCommand,
  type SendMessageBatchRequestEntry,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { DeliveryMessage } from '../../core/deliveries.ts';
import type { EventMessageIn } from '../../core/events.ts';
import type { DeliveryQueue, EventPublisher } from '../../core/ports.ts';

const SQS_BATCH_SIZE = 10;
const BATCH_SEND_ROUNDS = 3;

/** Sends bodies in batches of 10, re-sending entries SQS reports as failed, then giving up loudly. */
export async function sendInBatches(sqs: SQSClient, queueUrl: string, bodies: string[]): Promise<void> {
  for (let i = 0; i < bodies.length; i += SQS_BATCH_SIZE) {
    let entries: SendMessageBatchRequestEntry[] = bodies
      .slice(i, i + SQS_BATCH_SIZE)
      .map((body, index) => ({ Id: String(index), MessageBody: body }));
    for (let round = 1; entries.length > 0; round++) {
      const result = await sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries }));
      const failed = new Set((result.Failed ?? []).map((failure) => failure.Id));
      entries = entries.filter((entry) => failed.has(entry.Id));
      if (entries.length > 0 && round === BATCH_SEND_ROUNDS) {
        throw new Error(`SQS refused ${entries.length} message(s) after ${BATCH_SEND_ROUNDS} rounds`);
      }
    }
  }
}

export class SqsDeliveryQueue implements DeliveryQueue {
  private readonly sqs: SQSClient;
  private readonly queueUrl: string;
  constructor(sqs: SQSClient, queueUrl: string) {
    this.sqs = sqs;
    this.queueUrl = queueUrl;
  }

  async enqueue(messages: DeliveryMessage[]): Promise<void> {
    await sendInBatches(
      this.sqs,
      this.queueUrl,
      messages.map((message) => JSON.stringify(message)),
    );
  }
}

/** Sends events to the events queue (used by the typed publisher and by the key endpoints). */
export class SqsEventPublisher implements EventPublisher {
  private readonly sqs: SQSClient;
  private readonly queueUrl: string;
  constructor(sqs: SQSClient, queueUrl: string) {
    this.sqs = sqs;
    this.queueUrl = queueUrl;
  }

  async publish(message: EventMessageIn): Promise<void> {
    await this.sqs.send(
      new SendMessageCommand({ QueueUrl: this.queueUrl, MessageBody: JSON.stringify(message) }),
    );
  }
}

/** Moves a message to a dead-letter queue explicitly, with the reason as a message attribute. */
export async function sendToDeadLetterQueue(
  sqs: SQSClient,
  dlqUrl: string,
  body: string,
  reason: string,
): Promise<void> {
  await sqs.send(
    new SendMessageCommand({
      QueueUrl: dlqUrl,
      MessageBody: body,
      MessageAttributes: { reason: { DataType: 'String', StringValue: reason.slice(0, 1000) } },
    }),
  );
}

/** Hides a received message for `seconds`: how the dispatcher schedules a retry. */
export async function changeVisibility(
  sqs: SQSClient,
  queueUrl: string,
  receiptHandle: string,
  seconds: number,
): Promise<void> {
  await sqs.send(
    new ChangeMessageVisibilityCommand({
      QueueUrl: queueUrl,
      ReceiptHandle: receiptHandle,
      VisibilityTimeout: seconds,
    }),
  );
}
