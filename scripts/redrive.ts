/**
 * `npm run redrive [-- --queue deliveries|events]`: moves dead-lettered messages back to their queue.
 * A redriven delivery that had given up gets one more attempt. Locally (default) it finds the stack
 * through stack.json and receives/re-sends/deletes; on AWS pass `--aws --dlq-arn <arn> --queue-arn <arn>`
 * to start an SQS message move task.
 */
import { parseArgs } from 'node:util';
import { createSqsClient } from '../functions/adapters/sqs/client.ts';
import { MessageMoveTaskRedriver, ReceiveResendRedriver } from '../functions/adapters/sqs/redrive.ts';
import { fail, readLocalStack } from './stack-info.ts';

const { values } = parseArgs({
  options: {
    queue: { type: 'string', default: 'deliveries' },
    aws: { type: 'boolean', default: false },
    'dlq-arn': { type: 'string' },
    'queue-arn': { type: 'string' },
  },
});
if (values.queue !== 'deliveries' && values.queue !== 'events') fail('--queue must be deliveries or events.');

try {
  if (values.aws) {
    if (!values['dlq-arn'] || !values['queue-arn'])
      fail('--aws needs --dlq-arn and --queue-arn (from the stack outputs).');
    console.log(
      await new MessageMoveTaskRedriver(createSqsClient(), values['dlq-arn'], values['queue-arn']).redrive(),
    );
  } else {
    const stack = readLocalStack();
    const [dlq, queue] =
      values.queue === 'events'
        ? [stack.events_dlq_url, stack.events_queue_url]
        : [stack.deliveries_dlq_url, stack.deliveries_queue_url];
    console.log(await new ReceiveResendRedriver(createSqsClient(stack.sqs_endpoint), dlq, queue).redrive());
  }
} catch (error) {
  fail(`Redrive failed: ${(error as Error).message}.`);
}
