import * as z from 'zod';
import { listWebhooks, requireWebhook } from '../core/webhook-service.ts';
import { toWebhookOut, webhookOutSchema } from '../core/webhooks.ts';
import { route } from '../routes/webhooks-get.ts';
import { httpHandler, json } from '../shared/http.ts';
import * as wiring from '../shared/wiring.ts';

/** GET /api/webhooks — the workspace's webhooks (bare array, newest first); with `?id=`, one webhook. */
export const handler = httpHandler(route, async ({ query, caller }) => {
  const ports = { webhooks: wiring.webhookStore() };
  if (query.id !== undefined) {
    return json(200, webhookOutSchema, toWebhookOut(await requireWebhook(ports, caller, query.id)));
  }
  return json(200, z.array(webhookOutSchema), await listWebhooks(ports, caller));
});
