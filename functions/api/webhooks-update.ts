import * as z from 'zod';
import { updateWebhook } from '../core/webhook-service.ts';
import { route } from '../routes/webhooks-update.ts';
import { httpHandler, json } from '../shared/http.ts';
import { secretBox } from '../shared/secret-key.ts';
import { webhookPolicy } from '../shared/services.ts';
import * as wiring from '../shared/wiring.ts';

const updatedOutSchema = z.object({ status: z.literal('updated') });

/** PUT /api/webhooks — partial update; absent or null fields keep their value. */
export const handler = httpHandler(route, async ({ body, caller }) => {
  await updateWebhook(
    { webhooks: wiring.webhookStore(), secretBox: secretBox() },
    caller,
    body,
    webhookPolicy(),
    new Date(),
  );
  return json(200, updatedOutSchema, { status: 'updated' });
});
