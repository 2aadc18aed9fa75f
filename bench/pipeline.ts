/**
 * The benchmark plays Lambda's SQS event source mapping itself: it receives batches of up to 10,
 * invokes the handler with one batch at a time (so the CPU each invocation uses is its own), and
 * deletes what the handler did not report as failed — the requests the mapping makes and bills.
 */
import { DeleteMessageBatchCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { Handler, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { messagesToDelete, toSqsEvent } from '../local/event-source.ts';
import { lambdaContext } from '../local/lambda-context.ts';

export interface Invocation {
  records: number;
  wallMs: number;
  cpuMs: number;
  failures: number;
}

// biome-ignore lint/suspicious/noExplicitAny: handlers differ in event and result types
type SqsHandler = Handler<SQSEvent, any>;

/** Invokes `handler` on one batch, timing its wall and CPU time. */
export async function invokeTimed(
  handler: SqsHandler,
  event: SQSEvent,
  name: string,
  timeoutSeconds: number,
): Promise<{ invocation: Invocation; response: SQSBatchResponse | undefined }> {
  const cpu = process.cpuUsage();
  const start = performance.now();
  const response = (await handler(event, lambdaContext(name, timeoutSeconds), () => {})) as
    | SQSBatchResponse
    | undefined;
  const wallMs = performance.now() - start;
  const used = process.cpuUsage(cpu);
  return {
    invocation: {
      records: event.Records.length,
      wallMs,
      cpuMs: (used.user + used.system) / 1000,
      failures: response?.batchItemFailures?.length ?? 0,
    },
    response,
  };
}

/**
 * Receives from `queue` and invokes `handler` batch by batch until `expected` records were handed
 * over (or the deadline passes), deleting the successes as the event source mapping does.
 */
export async function drain(options: {
  sqs: SQSClient;
  queue: { url: string; arn: string };
  handler: SqsHandler;
  name: string;
  timeoutSeconds: number;
  expected: number;
  deadlineMs?: number;
}): Promise<Invocation[]> {
  const invocations: Invocation[] = [];
  const deadline = Date.now() + (options.deadlineMs ?? 120_000);
  let handed = 0;
  while (handed < options.expected && Date.now() < deadline) {
    const received = await options.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: options.queue.url,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 1,
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
    );
    const messages = received.Messages ?? [];
    if (messages.length === 0) continue;
    const event = toSqsEvent(messages, options.queue.arn);
    const { invocation, response } = await invokeTimed(
      options.handler,
      event,
      options.name,
      options.timeoutSeconds,
    );
    invocations.push(invocation);
    handed += messages.length;
    const done = messagesToDelete(event.Records, { threw: false, response });
    if (done.length > 0) {
      await options.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: options.queue.url,
          Entries: done.map((record, index) => ({ Id: String(index), ReceiptHandle: record.receiptHandle })),
        }),
      );
    }
  }
  if (handed < options.expected)
    throw new Error(`${options.name}: only ${handed}/${options.expected} records`);
  return invocations;
}
