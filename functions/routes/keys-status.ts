import * as z from 'zod';
import { apiKeyStatusQuerySchema } from '../core/api-keys.ts';
import { defineRoute } from './route.ts';

export const route = defineRoute({
  name: 'keys-status',
  method: 'PATCH',
  path: '/keys',
  summary: 'Disable an API key (refused until enabled; publishes apikey.revoked) or enable it again',
  auth: 'key',
  rateLimited: false,
  query: apiKeyStatusQuerySchema,
  queryDescriptions: { id: 'The key id', action: '`disable` or `enable`' },
  responses: {
    200: {
      description: 'Disabled or enabled',
      schema: z.object({ message: z.enum(['API key disabled', 'API key enabled']) }),
    },
  },
  errors: [400, 404, 409],
  access: {
    tables: { apiKeys: ['dynamodb:GetItem', 'dynamodb:UpdateItem'] },
    indexes: { apiKeys: ['dynamodb:Query'] },
    sends: ['events'],
  },
});
