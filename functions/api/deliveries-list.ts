import * as z from 'zod';
import { deliveryOutSchema } from '../core/deliveries.ts';
import { listDeliveries, listDeliveriesQuerySchema } from '../core/delivery-log.ts';
import { httpHandler, json } from '../shared/http.ts';
import { dependencies } from '../shared/wiring.ts';

/** GET /api/webhooks/deliveries?webhook_id= — bare array, newest first; `X-Next-Cursor` when more exist. */
export const handler = httpHandler({ query: listDeliveriesQuerySchema }, async ({ query, caller }) => {
  const page = await listDeliveries(dependencies(), caller, query, Date.now());
  const result = json(200, z.array(deliveryOutSchema), page.items);
  return page.nextCursor ? { ...result, headers: { 'X-Next-Cursor': page.nextCursor } } : result;
});
