import { defineRoute } from './route.ts';

export const route = defineRoute({
  name: 'sessions-delete',
  method: 'DELETE',
  path: '/sessions',
  summary: 'End the dashboard session the request is made with (sign out)',
  auth: 'key',
  rateLimited: false,
  responses: { 204: { description: 'Ended: the token is refused from now on.' } },
  errors: [403],
  access: { tables: { apiKeys: ['dynamodb:DeleteItem'] } },
});
