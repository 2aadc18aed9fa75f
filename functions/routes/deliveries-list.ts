import * as z from 'zod';
import { deliveryOutSchema, listDeliveriesQuerySchema } from '../core/delivery-log.ts';
import { defineRoute } from './route.ts';

export const route = defineRoute({
  name: 'deliveries-list',
  method: 'GET',
  path: '/webhooks/deliveries',
  summary: 'List deliveries, newest first: one webhook’s, or (without webhook_id) the workspace’s',
  auth: 'key',
  rateLimited: true,
  query: listDeliveriesQuerySchema,
  queryDescriptions: {
    webhook_id: 'This webhook’s deliveries only (all the workspace’s when absent)',
    limit: 'Page size, 1–250 (default 50)',
    status: 'Only deliveries in this status',
    event_type: 'Only deliveries of this event type',
    before: 'Return deliveries older than this delivery id (the X-Next-Cursor of the previous page)',
  },
  responses: {
    200: {
      description: 'A bare array; `X-Next-Cursor` is set when older deliveries exist.',
      schema: z.array(deliveryOutSchema),
      headers: { 'X-Next-Cursor': { schema: { type: 'string' }, description: 'Pass as `before`.' } },
    },
  },
  errors: [400, 404],
  access: {
    tables: {
      webhooks: ['dynamodb:GetItem', 'dynamodb:Query'],
      deliveries: ['dynamodb:Query'],
      events: ['dynamodb:Query', 'dynamodb:BatchGetItem'],
    },
  },
});
