import { apiKeyIdBodySchema, revokeApiKeyQuerySchema } from '../core/api-keys.ts';
import { messageResponse } from './common.ts';
import { defineRoute } from './route.ts';

export const route = defineRoute({
  name: 'keys-revoke',
  method: 'DELETE',
  path: '/keys',
  summary: 'Revoke an API key (refused from the next request on), or with permanent=true delete it for good',
  auth: 'key',
  rateLimited: false,
  query: revokeApiKeyQuerySchema,
  queryDescriptions: { id: 'The key id', permanent: '`true`: delete it for good (gone from the list)' },
  body: apiKeyIdBodySchema,
  bodyRequired: false,
  responses: {
    200: messageResponse('API key revoked', 'Revoked (or `API key deleted` with permanent=true)'),
  },
  errors: [400, 404],
  access: {
    tables: { apiKeys: ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'] },
    indexes: { apiKeys: ['dynamodb:Query'] },
    sends: ['events'],
  },
});
