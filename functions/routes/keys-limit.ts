import { apiKeyLimitSchema } from '../core/api-keys.ts';
import { defineRoute } from './route.ts';

export const route = defineRoute({
  name: 'keys-limit',
  method: 'POST',
  path: '/keys/limit',
  summary: 'Credit limits are not managed here (always 501)',
  description: 'Credit limits belong to Encrata’s billing; Encrata’s CLI sends this, and is told so.',
  auth: 'key',
  rateLimited: false,
  body: apiKeyLimitSchema,
  bodyRequired: false,
  responses: {},
  errors: [501],
  access: {},
});
