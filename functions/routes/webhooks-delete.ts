import * as z from 'zod';
import { webhookId } from '../core/webhooks.ts';
import { noContent } from './common.ts';
import { defineRoute } from './route.ts';

const idSchema = z.object({ id: webhookId.optional() });

export const route = defineRoute({
  name: 'webhooks-delete',
  method: 'DELETE',
  path: '/webhooks',
  summary: 'Delete a webhook; its pending retries stop',
  auth: 'key',
  rateLimited: true,
  body: idSchema,
  bodyRequired: false,
  query: idSchema,
  queryDescriptions: { id: 'Alternative to the JSON body' },
  responses: { 204: noContent('Deleted') },
  errors: [400, 404],
  access: { tables: { webhooks: ['dynamodb:GetItem', 'dynamodb:DeleteItem', 'dynamodb:UpdateItem'] } },
});
