import { resendDelivery, resendOutSchema } from '../core/resend.ts';
import { route } from '../routes/deliveries-resend.ts';
import { httpHandler, json } from '../shared/http.ts';
import { deliveryLogPorts } from '../shared/services.ts';
import * as wiring from '../shared/wiring.ts';

/** POST /api/webhooks/deliveries/resend — a new run of the same delivery. */
export const handler = httpHandler(route, async ({ body, caller }) =>
  json(
    202,
    resendOutSchema,
    await resendDelivery({ ...deliveryLogPorts(), queue: wiring.deliveryQueue() }, caller, body, Date.now()),
  ),
);
