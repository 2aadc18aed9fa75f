import { apiKeyCreatedOutSchema, createApiKeySchema } from '../core/api-keys.ts';
import { defineRoute } from './route.ts';

export const route = defineRoute({
  name: 'keys-create',
  method: 'POST',
  path: '/keys',
  summary: 'Create an API key (publishes apikey.created); at most 10 per workspace per hour by default',
  auth: 'key',
  rateLimited: false,
  body: createApiKeySchema,
  responses: {
    201: { description: 'Created; the full `key` appears only here.', schema: apiKeyCreatedOutSchema },
  },
  errors: [400, 413, 429],
  access: {
    // A key whose create or event failed is revoked (UpdateItem) and deleted again (DeleteItem).
    // The workspace's budget of key creations: counted (UpdateItem), read when refused (GetItem).
    tables: {
      apiKeys: ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
      rateLimits: ['dynamodb:UpdateItem', 'dynamodb:GetItem'],
    },
    sends: ['events'],
  },
});
