import type { EventData, EventMessageIn, EventType } from './events.ts';
import { SYSTEM_EVENT_ID_PREFIX } from './ids.ts';

/** An event this service publishes itself: typed by the catalogue, its id in the system namespace. */
export interface SystemEventInput<E extends EventType> {
  workspaceId: string;
  event: E;
  /** Made from what the event is about, so a publish tried again is still one event. */
  id: string;
  data: EventData<E>;
}

/**
 * The events-queue message of one of our own events, built from its types alone. The dispatcher
 * publishes `webhook.disabled` with it and so bundles no event schema (the catalogue's zod schemas
 * are most of a bundle's zod); fan-out validates every message it reads, this one included, and
 * `buildSystemEventMessage` (publish.ts) is the validating form the API uses.
 */
export function systemEventMessage<E extends EventType>(
  input: SystemEventInput<E>,
  now: Date,
): EventMessageIn {
  return {
    id: `${SYSTEM_EVENT_ID_PREFIX}${input.id}`,
    workspace_id: input.workspaceId,
    event: input.event,
    data: input.data,
    created_at: now.toISOString(),
  };
}
