import { randomUUID } from 'node:crypto';
import { CreateQueueCommand, GetQueueAttributesCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { sqs as sqsClient } from '../../functions/shared/wiring.ts';
import { SqsEventSource } from '../../local/event-source.ts';

/**
 * The local SQS event source mapping against fauxqs: messages reach the handler in batches, a
 * reported batch item failure comes back after its visibility timeout while its neighbours are
 * deleted, and a thrown handler error retries the whole batch.
 */
describe('SQS event source emulation', () => {
  const sqs = sqsClient();

  async function queue(visibilityTimeout: number) {
    const created = await sqs.send(
      new CreateQueueCommand({
        QueueName: `test-${randomUUID()}`,
        Attributes: { VisibilityTimeout: String(visibilityTimeout) },
      }),
    );
    const url = created.QueueUrl ?? '';
    const attrs = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }),
    );
    return { url, arn: attrs.Attributes?.QueueArn ?? '' };
  }

  async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs: number) {
    const deadline = Date.now() + timeoutMs;
    while (!(await condition())) {
      if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Every message of the queue deleted: none waiting, none in flight (hidden messages count too). */
  async function drained(url: string): Promise<boolean> {
    const res = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: url,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    const a = res.Attributes ?? {};
    return a.ApproximateNumberOfMessages === '0' && a.ApproximateNumberOfMessagesNotVisible === '0';
  }

  it('brings a reported failure back after its visibility timeout and deletes the rest', async () => {
    const q = await queue(2);
    const seen: { body: string; at: number; receiveCount: string }[] = [];
    const handler = async (event: SQSEvent): Promise<SQSBatchResponse> => {
      for (const record of event.Records) {
        seen.push({
          body: record.body,
          at: Date.now(),
          receiveCount: record.attributes.ApproximateReceiveCount,
        });
      }
      const failures = event.Records.filter(
        (r) => r.body === 'fail-once' && r.attributes.ApproximateReceiveCount === '1',
      );
      return { batchItemFailures: failures.map((r) => ({ itemIdentifier: r.messageId })) };
    };
    const source = new SqsEventSource({
      sqs,
      queueUrl: q.url,
      queueArn: q.arn,
      functionName: 'test',
      timeoutSeconds: 5,
      handler,
      waitTimeSeconds: 1,
      concurrency: 1,
    });
    source.start();
    try {
      await sqs.send(new SendMessageCommand({ QueueUrl: q.url, MessageBody: 'ok' }));
      await sqs.send(new SendMessageCommand({ QueueUrl: q.url, MessageBody: 'fail-once' }));
      await waitFor(() => seen.filter((s) => s.body === 'fail-once').length >= 2, 10_000);
      // Both deleted: a wrongly undeleted 'ok' would still be in the queue (hidden, then back).
      await waitFor(() => drained(q.url), 10_000);
    } finally {
      await source.stop();
    }
    const failing = seen.filter((s) => s.body === 'fail-once');
    expect(failing.map((s) => s.receiveCount)).toEqual(['1', '2']);
    const gap = (failing[1]?.at ?? 0) - (failing[0]?.at ?? 0);
    expect(gap).toBeGreaterThanOrEqual(1900);
    expect(seen.filter((s) => s.body === 'ok')).toHaveLength(1);
  }, 20_000);

  it('retries the whole batch when the handler throws', async () => {
    const q = await queue(1);
    const seen: string[] = [];
    let calls = 0;
    const handler = async (event: SQSEvent): Promise<SQSBatchResponse> => {
      calls++;
      for (const record of event.Records) seen.push(record.body);
      if (calls === 1) throw new Error('boom');
      return { batchItemFailures: [] };
    };
    for (const body of ['a', 'b', 'c'])
      await sqs.send(new SendMessageCommand({ QueueUrl: q.url, MessageBody: body }));
    const source = new SqsEventSource({
      sqs,
      queueUrl: q.url,
      queueArn: q.arn,
      functionName: 'test',
      timeoutSeconds: 5,
      handler,
      waitTimeSeconds: 1,
      concurrency: 1,
      onError: () => {},
    });
    source.start();
    try {
      await waitFor(() => ['a', 'b', 'c'].every((b) => seen.filter((s) => s === b).length >= 2), 10_000);
      // The second round deleted them all: nothing left to come back a third time.
      await waitFor(() => drained(q.url), 10_000);
    } finally {
      await source.stop();
    }
    for (const body of ['a', 'b', 'c']) expect(seen.filter((s) => s === body)).toHaveLength(2);
  }, 20_000);
});
