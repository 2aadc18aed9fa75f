import * as z from 'zod';
import { attemptOutSchema, listAttempts } from '../core/delivery-log.ts';
import { route } from '../routes/deliveries-attempts.ts';
import { httpHandler, json } from '../shared/http.ts';
import { deliveryLogPorts } from '../shared/services.ts';

/** GET /api/webhooks/deliveries/attempts?delivery_id= — every attempt of a delivery, newest first. */
export const handler = httpHandler(route, async ({ query, caller }) =>
  json(
    200,
    z.array(attemptOutSchema),
    await listAttempts(deliveryLogPorts(), caller, query.delivery_id, Date.now()),
  ),
);
