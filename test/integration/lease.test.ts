import { randomUUID } from 'node:crypto';
import { CreateQueueCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { leaseOn } from '../../functions/shared/sqs.ts';
import { sqs } from '../../functions/shared/wiring.ts';

/**
 * A consumer's lease against the emulated SQS: a record received under the queue's long visibility
 * timeout (as the functions' queues have: six times the function's) comes back when its lease ends
 * if the run that received it dies — seconds, not minutes.
 */
describe('the lease on received records', () => {
  it('brings a crashed run’s record back when the lease ends, not after the queue’s visibility timeout', async () => {
    const { QueueUrl } = await sqs().send(
      new CreateQueueCommand({
        QueueName: `lease-${randomUUID()}`,
        Attributes: { VisibilityTimeout: '180' },
      }),
    );
    const queueUrl = QueueUrl ?? '';
    await sqs().send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: '{"n":1}' }));
    const receive = () =>
      sqs().send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          WaitTimeSeconds: 1,
          MessageSystemAttributeNames: ['ApproximateReceiveCount'],
        }),
      );
    const [first] = (await receive()).Messages ?? [];
    expect(first).toBeDefined();
    // The run leases it (timeout 1 s + margin) and then dies without a word.
    const { lease } = leaseOn(() => queueUrl, 1);
    await lease?.hide([{ handle: first?.ReceiptHandle ?? '', delaySeconds: lease.seconds }]);
    const leasedAt = Date.now();
    // Hidden for 180 s without the lease: polling gives up at 60.
    let again: typeof first;
    for (let i = 0; i < 60 && !again; i++) [again] = (await receive()).Messages ?? [];
    expect(again?.Body).toBe('{"n":1}');
    expect(again?.Attributes?.ApproximateReceiveCount).toBe('2');
    expect(Date.now() - leasedAt).toBeGreaterThanOrEqual(((lease?.seconds ?? 0) - 1) * 1000);
  }, 90_000);
});
