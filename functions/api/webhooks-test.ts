import { sendTestWebhook, testWebhookOutSchema } from '../core/test-webhook.ts';
import { route } from '../routes/webhooks-test.ts';
import { CLI_PREFIXES } from '../routes.ts';
import { httpHandler, json } from '../shared/http.ts';
import * as wiring from '../shared/wiring.ts';

/** POST /api/webhooks/test — one signed, synchronous attempt; recorded as a `test` delivery. */
export const handler = httpHandler(route, async ({ body, caller, prefix }) =>
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
      { ...body, dialect: CLI_PREFIXES.includes(prefix) ? 'cli' : 'api' },
      Date.now,
    ),
  ),
);
