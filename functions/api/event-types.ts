import * as z from 'zod';
import { eventTypeOutSchema, listEventTypes } from '../core/event-types.ts';
import { route } from '../routes/event-types.ts';
import { httpHandler, json } from '../shared/http.ts';

const out = z.array(eventTypeOutSchema);
/** The catalogue does not change while a container lives. */
let cached: z.infer<typeof out> | undefined;

/** GET /api/webhooks/event-types — the catalogue, as JSON Schema and examples. */
export const handler = httpHandler(route, async () => {
  cached ??= listEventTypes();
  return json(200, out, cached);
});
