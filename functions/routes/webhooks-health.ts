import * as z from 'zod';
import { webhookHealthOutSchema } from '../core/webhook-health.ts';
import { defineRoute } from './route.ts';

export const route = defineRoute({
  name: 'webhooks-health',
  method: 'GET',
  path: '/webhooks/health',
  summary: 'Health of every webhook: newest delivery, last 24 hours by status, failing since, disabled',
  auth: 'key',
  rateLimited: true,
  responses: {
    200: {
      description: 'A bare array, one item per webhook of the workspace.',
      schema: z.array(webhookHealthOutSchema),
    },
  },
  errors: [],
  access: {
    tables: {
      webhooks: ['dynamodb:Query'],
      deliveries: ['dynamodb:Query'],
      events: ['dynamodb:Query', 'dynamodb:BatchGetItem'],
    },
  },
});
