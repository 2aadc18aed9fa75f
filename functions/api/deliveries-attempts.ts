import * as z from 'zod';
import { attemptOutSchema, attemptsQuerySchema, listAttempts } from '../core/delivery-log.ts';
import { httpHandler, json } from '../shared/http.ts';
import { deliveryLogPorts } from '../shared/services.ts';

/** GET /api/webhooks/deliveries/attempts?delivery_id= — every attempt of a delivery, newest first. */
export const handler = httpHandler({ query: attemptsQuerySchema }, async ({ query, caller }) =>
  json(
    200,
    z.array(attemptOutSchema),
    await listAttempts(deliveryLogPorts(), caller, query.delivery_id, Date.now()),
  ),
);
