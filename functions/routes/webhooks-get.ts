import * as z from 'zod';
import { webhookId, webhookOutSchema } from '../core/webhooks.ts';
import { defineRoute } from './route.ts';

export const route = defineRoute({
  name: 'webhooks-get',
  method: 'GET',
  path: '/webhooks',
  summary: 'List webhooks, or get one with ?id=',
  auth: 'key',
  rateLimited: true,
  query: z.object({ id: webhookId.optional() }),
  queryDescriptions: { id: 'Return this webhook only (a bare object)' },
  responses: {
    200: {
      description: 'A bare array of webhooks (newest first), or one webhook when `id` is given.',
      schema: z.union([z.array(webhookOutSchema), webhookOutSchema]),
    },
  },
  errors: [400, 404],
  access: { tables: { webhooks: ['dynamodb:Query', 'dynamodb:GetItem'] } },
});
