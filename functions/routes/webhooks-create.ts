import { createWebhookSchema, webhookCreatedOutSchema } from '../core/webhooks.ts';
import { defineRoute } from './route.ts';

export const route = defineRoute({
  name: 'webhooks-create',
  method: 'POST',
  path: '/webhooks',
  summary: 'Create a webhook',
  auth: 'key',
  rateLimited: true,
  body: createWebhookSchema,
  responses: {
    201: {
      description: 'Created; `secret` appears only here.',
      schema: webhookCreatedOutSchema,
      ref: 'WebhookWithSecret',
    },
  },
  errors: [400, 413],
  access: {
    // The list (a new webhook's ref must be its workspace's only one), the id set, the webhook; a
    // legacy count's read, and the undo of a create that failed.
    tables: {
      webhooks: [
        'dynamodb:Query',
        'dynamodb:GetItem',
        'dynamodb:UpdateItem',
        'dynamodb:PutItem',
        'dynamodb:DeleteItem',
      ],
    },
    secretKey: true,
  },
});
