/**
 * The event types as the API describes them (`GET /api/webhooks/event-types`) and the OpenAPI
 * document's webhooks do: both from the zod catalogue, so the JSON Schema of each type's `data` is
 * the very schema producers are checked against, and its example is what the test endpoint sends.
 * Held to the committed docs/openapi.json, like the rest of the document.
 */
import * as z from 'zod';
import { EVENT_TYPES, type EventType, eventCatalogue } from './events.ts';

/** The time the examples carry (fixed, so the documents they appear in are stable). */
export const EXAMPLE_CREATED_AT = '2026-11-30T09:15:00.000Z';

export const eventTypeOutSchema = z.object({
  event: z.string(),
  description: z.string(),
  /** JSON Schema (draft 2020-12) of the envelope's `data`. */
  schema: z.record(z.string(), z.unknown()),
  /** An example envelope, exactly as a receiver gets it. */
  example: z.object({ event: z.string(), data: z.record(z.string(), z.unknown()), created_at: z.string() }),
});
export type EventTypeOut = z.infer<typeof eventTypeOutSchema>;

/** JSON Schema of a type's `data`, as producers are held to it (extra fields allowed and delivered). */
export function dataJsonSchema(type: EventType): Record<string, unknown> {
  return z.toJSONSchema(eventCatalogue[type].data, {
    target: 'draft-2020-12',
    io: 'input',
    unrepresentable: 'any',
  }) as Record<string, unknown>;
}

/** A type's example envelope. */
export function exampleEnvelope(type: EventType): EventTypeOut['example'] {
  return { event: type, data: { ...eventCatalogue[type].example }, created_at: EXAMPLE_CREATED_AT };
}

/** Every subscribable type, in the catalogue's order. */
export function listEventTypes(): EventTypeOut[] {
  return EVENT_TYPES.map((type) => ({
    event: type,
    description: eventCatalogue[type].description,
    schema: dataJsonSchema(type),
    example: exampleEnvelope(type),
  }));
}
