import * as z from 'zod';
import { listWebhooks, requireWebhook } from '../core/webhook-service.ts';
import { toWebhookOut, webhookOutSchema } from '../core/webhooks.ts';
import { httpHandler, json } from '../shared/http.ts';
import * as wiring from '../shared/wiring.ts';

const querySchema = z.object({ id: z.string().min(1, 'id must not be empty').optional() });

/** GET /api/webhooks — the workspace's webhooks (bare array, newest first); with `?id=`, one webhook. */
export const handler = httpHandler({ query: querySchema }, async ({ query, caller }) => {
  if (query.id !== undefined) {
    return json(
      200,
      webhookOutSchema,
      toWebhookOut(await requireWebhook({ webhooks: wiring.webhookStore() }, caller, query.id)),
    );
  }
  return json(
    200,
    z.array(webhookOutSchema),
    await listWebhooks({ webhooks: wiring.webhookStore() }, caller),
  );
});
