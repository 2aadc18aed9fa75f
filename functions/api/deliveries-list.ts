import * as z from 'zod';
import { deliveryOutSchema, listDeliveries } from '../core/delivery-log.ts';
import { route } from '../routes/deliveries-list.ts';
import { httpHandler, json } from '../shared/http.ts';
import { deliveryLogPorts } from '../shared/services.ts';

/**
 * GET /api/webhooks/deliveries[?webhook_id=] — bare array, newest first (one webhook's, or the whole
 * workspace's); `X-Next-Cursor` when more exist.
 */
export const handler = httpHandler(route, async ({ query, caller }) => {
  const page = await listDeliveries(deliveryLogPorts(), caller, query, Date.now());
  const result = json(200, z.array(deliveryOutSchema), page.items);
  return page.nextCursor ? { ...result, headers: { 'X-Next-Cursor': page.nextCursor } } : result;
});
