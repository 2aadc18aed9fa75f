import { rotateSecretOutSchema, rotateSecretSchema } from '../core/webhooks.ts';
import { defineRoute } from './route.ts';

export const route = defineRoute({
  name: 'webhooks-rotate-secret',
  method: 'POST',
  path: '/webhooks/rotate-secret',
  summary: 'Rotate a webhook’s signing secret, with an overlap',
  description:
    'The new secret appears only in this answer. Until `previous_expires_at`, `webhook-signature` carries ' +
    'both signatures (new, then previous) and `X-Encrata-Signature` stays the previous secret’s; from then ' +
    'on only the new secret signs. `previous_expires_in_hours: 0` switches at once.',
  auth: 'key',
  rateLimited: true,
  body: rotateSecretSchema,
  responses: { 200: { description: 'Rotated', schema: rotateSecretOutSchema } },
  errors: [400, 404, 409, 413],
  access: { tables: { webhooks: ['dynamodb:GetItem', 'dynamodb:PutItem'] }, secretKey: true },
});
