import { renameApiKeySchema } from '../core/api-keys.ts';
import { messageResponse } from './common.ts';
import { defineRoute } from './route.ts';

export const route = defineRoute({
  name: 'keys-update',
  method: 'PUT',
  path: '/keys',
  summary: 'Rename an API key',
  auth: 'key',
  rateLimited: false,
  body: renameApiKeySchema,
  responses: { 200: messageResponse('API key updated', 'Renamed') },
  errors: [400, 404, 413],
  access: {
    tables: { apiKeys: ['dynamodb:GetItem', 'dynamodb:UpdateItem'] },
    indexes: { apiKeys: ['dynamodb:Query'] },
  },
});
