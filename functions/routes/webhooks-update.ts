import * as z from 'zod';
import { updateWebhookSchema } from '../core/webhooks.ts';
import { defineRoute } from './route.ts';

export const route = defineRoute({
  name: 'webhooks-update',
  method: 'PUT',
  path: '/webhooks',
  summary: 'Update a webhook (absent or null fields keep their value)',
  auth: 'key',
  rateLimited: true,
  body: updateWebhookSchema,
  responses: { 200: { description: 'Updated', schema: z.object({ status: z.literal('updated') }) } },
  errors: [400, 404, 409, 413],
  // Custom headers are stored encrypted, like the secret.
  access: { tables: { webhooks: ['dynamodb:GetItem', 'dynamodb:PutItem'] }, secretKey: true },
});
