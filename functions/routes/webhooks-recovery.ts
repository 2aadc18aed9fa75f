import { recoveryOutSchema, recoveryQuerySchema } from '../core/recovery.ts';
import { defineRoute } from './route.ts';

export const route = defineRoute({
  name: 'webhooks-recovery',
  method: 'GET',
  path: '/webhooks/recover',
  summary: 'Where a recovery stands',
  auth: 'key',
  rateLimited: true,
  query: recoveryQuerySchema,
  queryDescriptions: { recovery_id: 'The id `POST /webhooks/recover` answered with' },
  responses: {
    200: {
      description: '`running` or `done`, with what it queued and what it left alone so far.',
      schema: recoveryOutSchema,
    },
  },
  errors: [400, 404],
  access: { tables: { webhooks: ['dynamodb:GetItem'] } },
});
