import { createWebhook } from '../core/webhook-service.ts';
import { webhookCreatedOutSchema } from '../core/webhooks.ts';
import { route } from '../routes/webhooks-create.ts';
import { httpHandler, json } from '../shared/http.ts';
import { secretBox } from '../shared/secret-key.ts';
import { webhookPolicy } from '../shared/services.ts';
import * as wiring from '../shared/wiring.ts';

/** POST /api/webhooks — 201 with the webhook and, this once, its secret. */
export const handler = httpHandler(route, async ({ body, caller }) =>
  json(
    201,
    webhookCreatedOutSchema,
    await createWebhook(
      { webhooks: wiring.webhookStore(), secretBox: secretBox() },
      caller,
      body,
      webhookPolicy(),
      new Date(),
    ),
  ),
);
