import * as z from 'zod';
import { webhookHealth, webhookHealthOutSchema } from '../core/webhook-health.ts';
import { route } from '../routes/webhooks-health.ts';
import { httpHandler, json } from '../shared/http.ts';
import { deliveryLogPorts } from '../shared/services.ts';

/** GET /api/webhooks/health — one health summary per webhook of the workspace (bare array). */
export const handler = httpHandler(route, async ({ caller }) =>
  json(200, z.array(webhookHealthOutSchema), await webhookHealth(deliveryLogPorts(), caller, Date.now())),
);
