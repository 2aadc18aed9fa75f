import { sessionOutSchema } from '../core/sessions.ts';
import { defineRoute } from './route.ts';

export const route = defineRoute({
  name: 'sessions-create',
  method: 'POST',
  path: '/sessions',
  summary: 'Start a dashboard session from an API key (beyond the contract)',
  description:
    'Answers a short-lived Bearer token for the same workspace, with its own rate budget: it works ' +
    'like the key on every endpoint until `expires_at` (12 h), and stops at once when the key is ' +
    'revoked, disabled or deleted. Only an API key starts one (403 for a session). Not rate limited, ' +
    'so signing in works while the key’s own budget is spent.',
  auth: 'key',
  rateLimited: false,
  responses: { 201: { description: 'The token, shown only here.', schema: sessionOutSchema } },
  errors: [403],
  access: { tables: { apiKeys: ['dynamodb:PutItem'] } },
});
