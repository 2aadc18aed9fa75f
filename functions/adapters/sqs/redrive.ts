import {
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  type SQSClient,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import { sendInBatches } from './queues.ts';

/** Moves dead-lettered messages back to their source queue. */
export interface DeadLetterRedriver {
  redrive(): Promise<string>;
}

/** On AWS: an SQS message move task, which runs asynchronously inside SQS. */
export class MessageMoveTaskRedriver implements DeadLetterRedriver {
  private readonly sqs: SQSClient;
  private readonly dlqArn: string;
  private readonly queueArn: string;
  constructor(sqs: SQSClient, dlqArn: string, queueArn: string) {
    this.sqs = sqs;
    this.dlqArn = dlqArn;
    this.queueArn = queueArn;
  }

  async redrive(): Promise<string> {
    const task = await this.sqs.send(
      new StartMessageMoveTaskCommand({ SourceArn: this.dlqArn, DestinationArn: this.queueArn }),
    );
    return `started message move task ${task.TaskHandle ?? ''}`;
  }
}

/**
 * Where StartMessageMoveTask is missing (fauxqs): receive, re-send, then delete — a message is
 * deleted from the DLQ only after its copy was accepted, so a crash duplicates but never loses.
 */
export class ReceiveResendRedriver implements DeadLetterRedriver {
  private readonly sqs: SQSClient;
  private readonly dlqUrl: string;
  private readonly queueUrl: string;
  private readonly maxMessages: number;
  constructor(sqs: SQSClient, dlqUrl: string, queueUrl: string, maxMessages = 100_000) {
    this.sqs = sqs;
    this.dlqUrl = dlqUrl;
    this.queueUrl = queueUrl;
    this.maxMessages = maxMessages;
  }

  async redrive(): Promise<string> {
    let moved = 0;
    while (moved < this.maxMessages) {
      const received = await this.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: this.dlqUrl,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 0,
          VisibilityTimeout: 60,
        }),
      );
      const messages = received.Messages ?? [];
      if (messages.length === 0) break;
      const unsent = new Set(
        await sendInBatches(
          this.sqs,
          this.queueUrl,
          messages.map((message) => ({ body: message.Body ?? '' })),
        ),
      );
      // Only what reached the queue leaves the DLQ: the rest stays, to be moved by the next run.
      const sent = messages.filter((_, index) => !unsent.has(index));
      if (sent.length > 0) {
        await this.sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: this.dlqUrl,
            Entries: sent.map((message, index) => ({
              Id: String(index),
              ReceiptHandle: message.ReceiptHandle ?? '',
            })),
          }),
        );
      }
      if (unsent.size > 0) throw new Error(`${unsent.size} message(s) could not be moved; run it again`);
      moved += sent.length;
    }
    return `moved ${moved} message(s)`;
  }
}
