/**
 * `npm run publish -- <event> '<data json>' [--id <idempotency key>]`: publishes one event to the
 * local stack's dev workspace through the real events queue, with the typed publisher.
 */
import { parseArgs } from 'node:util';
import { ValidationError } from '../functions/core/errors.ts';
import { EVENT_TYPES, type EventType } from '../functions/core/events.ts';
import { createEventPublisher } from '../functions/publisher.ts';
import { fail, readLocalStack } from './stack-info.ts';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { id: { type: 'string' }, workspace: { type: 'string' } },
});
const [event, dataText] = positionals;
if (!event || !dataText)
  fail(`Usage: npm run publish -- <event> '<data json>' [--id key]; events: ${EVENT_TYPES.join(', ')}`);
if (!(EVENT_TYPES as string[]).includes(event))
  fail(`Unknown event "${event}"; expected one of ${EVENT_TYPES.join(', ')}.`);
let data: Record<string, unknown>;
try {
  data = JSON.parse(dataText);
} catch {
  fail('The data argument is not valid JSON.');
}

const stack = readLocalStack();
const publisher = createEventPublisher({ queueUrl: stack.events_queue_url, endpoint: stack.sqs_endpoint });
try {
  const { id } = await publisher.publishEvent({
    workspaceId: values.workspace ?? stack.workspace_id,
    event: event as EventType,
    data: data as never,
    ...(values.id ? { id: values.id } : {}),
  });
  console.log(JSON.stringify({ published: id, event, workspace_id: values.workspace ?? stack.workspace_id }));
} catch (error) {
  if (error instanceof ValidationError) {
    fail(`${error.message}: ${error.details.map((d) => `${d.path} ${d.message}`).join('; ')}.`);
  }
  fail(`Could not publish: ${(error as Error).message}.`);
}
