import { ValidationError } from './errors.ts';
import type { EventData, EventMessageIn, EventType } from './events.ts';
import { eventMessageSchema, SYSTEM_EVENT_ID_PREFIX } from './events.ts';
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

/**
 * Builds and validates the events-queue message for a producer's event; throws ValidationError when
 * invalid, or when its id is in the namespace reserved for the service's own events.
 */
export function buildEventMessage<E extends EventType>(
  input: PublishEventInput<E>,
  now: Date,
): EventMessageIn {
  if (input.id?.startsWith(SYSTEM_EVENT_ID_PREFIX)) {
    throw new ValidationError(`Invalid ${String(input.event)} event`, [
      {
        path: 'id',
        message: `ids starting with ${SYSTEM_EVENT_ID_PREFIX} are reserved for Encrata's own events`,
      },
    ]);
  }
  return buildMessage(input, now);
}

function buildMessage<E extends EventType>(input: PublishEventInput<E>, now: Date): EventMessageIn {
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

export { SYSTEM_EVENT_ID_PREFIX } from './events.ts';

/** The message of an event this service publishes, its id in the system namespace. */
export function buildSystemEventMessage<E extends EventType>(
  input: PublishEventInput<E> & { id: string },
  now: Date,
): EventMessageIn {
  return buildMessage({ ...input, id: `${SYSTEM_EVENT_ID_PREFIX}${input.id}` }, now);
}
