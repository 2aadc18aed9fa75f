import { testWebhookInSchema, testWebhookOutSchema } from '../core/test-webhook.ts';
import { defineRoute } from './route.ts';

export const route = defineRoute({
  name: 'webhooks-test',
  method: 'POST',
  path: '/webhooks/test',
  summary: 'Send a signed test delivery now (works on paused webhooks)',
  description:
    'One synchronous attempt, recorded as a delivery of type `test`. With `event`, the receiver gets that ' +
    'type’s example envelope. Under `/api/cli` and `/api/agent` (Encrata’s CLI) it sends the webhook’s first ' +
    'subscribed type with the example data plus `"test": true`, and `status` is `delivered` instead of `sent`.',
  auth: 'key',
  rateLimited: true,
  body: testWebhookInSchema,
  responses: { 200: { description: 'The attempt’s outcome', schema: testWebhookOutSchema } },
  errors: [400, 404, 413],
  access: {
    tables: { webhooks: ['dynamodb:GetItem'], deliveries: ['dynamodb:PutItem'] },
    secretKey: true,
    outbound: true,
  },
});
