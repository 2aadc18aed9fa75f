import * as z from 'zod';
import { attemptOutSchema, attemptsQuerySchema } from '../core/delivery-log.ts';
import { defineRoute } from './route.ts';

export const route = defineRoute({
  name: 'deliveries-attempts',
  method: 'GET',
  path: '/webhooks/deliveries/attempts',
  summary: 'Every attempt of a delivery, newest first',
  auth: 'key',
  rateLimited: true,
  query: attemptsQuerySchema,
  queryDescriptions: { delivery_id: 'The delivery id' },
  responses: {
    200: {
      description: 'A bare array of attempts (empty before the first attempt).',
      schema: z.array(attemptOutSchema),
    },
  },
  errors: [400, 404],
  access: {
    tables: { webhooks: ['dynamodb:Query'], deliveries: ['dynamodb:Query'], events: ['dynamodb:GetItem'] },
  },
});
