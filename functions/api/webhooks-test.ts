import { sendTestWebhook, testWebhookOutSchema } from '../core/test-webhook.ts';
import { webhookIdSchema } from '../core/webhooks.ts';
import { httpHandler, json } from '../shared/http.ts';
import * as wiring from '../shared/wiring.ts';

/** POST /api/webhooks/test — one signed, synchronous attempt; recorded as a `test` delivery. */
export const handler = httpHandler({ body: webhookIdSchema }, async ({ body, caller }) =>
  json(
    200,
    testWebhookOutSchema,
    await sendTestWebhook(
      {
        webhooks: wiring.webhookStore(),
        log: wiring.deliveryLog(),
        secrets: wiring.secrets(),
        sender: wiring.sender(),
      },
      caller,
      body.id,
      Date.now,
    ),
  ),
);
