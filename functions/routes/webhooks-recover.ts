import { recoverInSchema, recoverOutSchema } from '../core/recovery.ts';
import { defineRoute } from './route.ts';

export const route = defineRoute({
  name: 'webhooks-recover',
  method: 'POST',
  path: '/webhooks/recover',
  summary: 'Recover a webhook: deliver what it missed in a window',
  description:
    'Every event of the workspace in `[since, until)` that the webhook subscribes to and never received ' +
    'successfully is delivered, in the background: failed deliveries are resent, events it never got ' +
    '(paused, disabled) are delivered for the first time. `since` must be within the 30-day retention; ' +
    'it is moved up to the webhook’s creation, and `until` (default now) down to now. Refused with 409 ' +
    'while the webhook is paused or disabled.',
  auth: 'key',
  rateLimited: true,
  body: recoverInSchema,
  responses: { 202: { description: 'Started', schema: recoverOutSchema } },
  errors: [400, 404, 409, 413],
  access: { tables: { webhooks: ['dynamodb:GetItem', 'dynamodb:PutItem'] }, sends: ['events'] },
});
