/**
 * The typed event publisher for other Lambdas (contract §4, "Publishing"):
 *
 *   import { createEventPublisher } from 'encrata-webhooks/publisher';
 *   const events = createEventPublisher({ queueUrl: process.env.ENCRATA_EVENTS_QUEUE_URL! });
 *   await events.publishEvent({ workspaceId, event: 'lookup.completed', data: { email, lookup_id } });
 *
 * Each event is validated against the catalogue before it is sent (a ValidationError otherwise).
 * Grant the producer `pipeline.grantPublish(fn)` in CDK.
 */
import type { SQSClient } from '@aws-sdk/client-sqs';
import { createSqsClient } from './adapters/sqs/client.ts';
import { SqsEventPublisher } from './adapters/sqs/queues.ts';
import type { EventType } from './core/events.ts';
import { buildEventMessage, type PublishEventInput } from './core/publish.ts';

export { ValidationError } from './core/errors.ts';
export type { EventData, EventType } from './core/events.ts';
export { EVENT_TYPES, eventCatalogue } from './core/events.ts';
export type { PublishEventInput } from './core/publish.ts';

export interface EventPublisherOptions {
  /** URL of the events queue (the stack's `EventsQueueUrl` output). */
  queueUrl: string;
  /** An SQS client to reuse; one is created otherwise. */
  sqs?: SQSClient;
  /** SQS endpoint, for the local stack. */
  endpoint?: string;
}

export function createEventPublisher(options: EventPublisherOptions) {
  const publisher = new SqsEventPublisher(options.sqs ?? createSqsClient(options.endpoint), options.queueUrl);
  return {
    /** Validates and publishes one event; resolves to its id (the idempotency key). */
    async publishEvent<E extends EventType>(input: PublishEventInput<E>): Promise<{ id: string }> {
      const message = buildEventMessage(input, new Date());
      await publisher.publish(message);
      return { id: message.id ?? '' };
    },
  };
}
