import * as z from 'zod';
import { apiKeyOutSchema } from '../core/api-keys.ts';
import { defineRoute } from './route.ts';

export const keysListOutSchema = z.object({ keys: z.array(apiKeyOutSchema) });

export const route = defineRoute({
  name: 'keys-list',
  method: 'GET',
  path: '/keys',
  summary: 'List API keys (previews only)',
  auth: 'key',
  rateLimited: false,
  responses: { 200: { description: 'The workspace’s keys, newest first', schema: keysListOutSchema } },
  errors: [],
  access: { indexes: { apiKeys: ['dynamodb:Query'] } },
});
