import * as z from 'zod';
import { eventTypeOutSchema } from '../core/event-types.ts';
import { defineRoute } from './route.ts';

export const route = defineRoute({
  name: 'event-types',
  method: 'GET',
  path: '/webhooks/event-types',
  summary: 'Every subscribable event type, with the JSON Schema of its data and an example',
  auth: 'key',
  rateLimited: true,
  responses: {
    200: {
      description:
        'A bare array, in the catalogue’s order. The test endpoint’s `event` option sends the example.',
      schema: z.array(eventTypeOutSchema),
    },
  },
  errors: [],
  access: {},
});
