import { resendInSchema, resendOutSchema } from '../core/resend.ts';
import { defineRoute } from './route.ts';

export const route = defineRoute({
  name: 'deliveries-resend',
  method: 'POST',
  path: '/webhooks/deliveries/resend',
  summary: 'Resend a delivery: same id and body, a fresh retry schedule',
  description:
    'Works in any status: the delivery is `pending` again and its attempts so far stay in its history. ' +
    'Refused with 409 while its webhook is paused or disabled.',
  auth: 'key',
  rateLimited: true,
  body: resendInSchema,
  responses: { 202: { description: 'Queued', schema: resendOutSchema } },
  errors: [400, 404, 409, 413],
  access: {
    // Which webhook the id names (the list), its rows and event, then the new run's row.
    tables: {
      webhooks: ['dynamodb:Query'],
      deliveries: ['dynamodb:Query', 'dynamodb:PutItem'],
      events: ['dynamodb:GetItem'],
    },
    sends: ['deliveries'],
  },
});
