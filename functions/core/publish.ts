import type { EventData, EventMessageIn, EventType } from './events.ts';
import { eventMessageSchema } from './events.ts';
import { newEventId } from './ids.ts';
import { parseOrThrow } from './validation.ts';

/** What a producer passes to `publishEvent`, typed per event from the catalogue. */
export interface PublishEventInput<E extends EventType> {
  workspaceId: string;
  event: E;
  data: EventData<E>;
  /** Idempotency key: publishing the same id again makes no second delivery. Generated when absent. */
  id?: string;
  /** When the event happened; defaults to now. */
  createdAt?: string | Date;
}

/** Builds and validates the events-queue message for an event; throws ValidationError when invalid. */
export function buildEventMessage<E extends EventType>(
  input: PublishEventInput<E>,
  now: Date,
): EventMessageIn {
  const createdAt =
    input.createdAt instanceof Date ? input.createdAt.toISOString() : (input.createdAt ?? now.toISOString());
  return parseOrThrow(
    eventMessageSchema,
    {
      id: input.id ?? newEventId(now.getTime()),
      workspace_id: input.workspaceId,
      event: input.event,
      data: input.data,
      created_at: createdAt,
    },
    `Invalid ${String(input.event)} event`,
  );
}
