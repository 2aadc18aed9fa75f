/**
 * Health of every webhook of a workspace at a glance (beyond the contract): its newest delivery, how
 * its deliveries of the last 24 hours went, since when it has been failing, and whether it was
 * disabled. One request for the dashboard's list, however many webhooks there are, read from the
 * same workspace-wide delivery log as `GET /api/webhooks/deliveries`, within a bounded sample.
 */
import * as z from 'zod';
import type { Caller } from './api-keys.ts';
import {
  type DeliveryLogPorts,
  type DeliveryOut,
  listDeliveries,
  MAX_DELIVERY_PAGE,
} from './delivery-log.ts';
import { TEST_EVENT_TYPE } from './events.ts';
import { DELIVERY_STATUSES, type WebhookRecord } from './records.ts';

export const HEALTH_WINDOW_MS = 24 * 60 * 60 * 1000;
/** Pages of the workspace log read at most (250 deliveries each): the sample is the newest 1,000. */
export const HEALTH_MAX_PAGES = 4;

export const webhookHealthOutSchema = z.object({
  webhook_id: z.string(),
  is_active: z.boolean(),
  disabled_reason: z.enum(['failing']).nullable(),
  /** The first failed attempt since its last success (the automatic-disable clock); null when not failing. */
  failing_since: z.string().nullable(),
  /** Its newest delivery of an event (tests are not counted), within the sample. */
  last_delivery_at: z.string().nullable(),
  last_delivery_status: z.enum(DELIVERY_STATUSES).nullable(),
  /** Its deliveries of events made in the last 24 hours, by status. */
  deliveries_24h: z.object({
    success: z.number().int(),
    failed: z.number().int(),
    pending: z.number().int(),
  }),
  /** success ÷ (success + failed) of those, 0–1; null when none finished. */
  success_rate_24h: z.number().nullable(),
  /** True when the workspace made more deliveries in 24 hours than the sample holds (counts are a lower bound). */
  sampled: z.boolean(),
});
export type WebhookHealthOut = z.infer<typeof webhookHealthOutSchema>;

/** Pure: the health of each webhook from a sample of the workspace's deliveries, newest first. */
export function summarizeHealth(
  webhooks: readonly WebhookRecord[],
  deliveries: readonly DeliveryOut[],
  nowMs: number,
  sampled: boolean,
): WebhookHealthOut[] {
  const since = nowMs - HEALTH_WINDOW_MS;
  const byWebhook = new Map<string, WebhookHealthOut>(
    webhooks.map((webhook) => [
      webhook.id,
      {
        webhook_id: webhook.id,
        is_active: webhook.is_active,
        disabled_reason: webhook.disabled_reason ?? null,
        failing_since: webhook.failing_since ?? null,
        last_delivery_at: null,
        last_delivery_status: null,
        deliveries_24h: { success: 0, failed: 0, pending: 0 },
        success_rate_24h: null,
        sampled,
      },
    ]),
  );
  for (const delivery of deliveries) {
    const health = byWebhook.get(delivery.webhook_id);
    if (!health || delivery.event_type === TEST_EVENT_TYPE) continue;
    if (health.last_delivery_at === null) {
      health.last_delivery_at = delivery.last_attempt_at ?? delivery.created_at;
      health.last_delivery_status = delivery.status;
    }
    if (Date.parse(delivery.created_at) >= since) health.deliveries_24h[delivery.status] += 1;
  }
  for (const health of byWebhook.values()) {
    const finished = health.deliveries_24h.success + health.deliveries_24h.failed;
    health.success_rate_24h =
      finished === 0 ? null : Math.round((health.deliveries_24h.success / finished) * 1000) / 1000;
  }
  return [...byWebhook.values()];
}

/** Reads the newest deliveries of the workspace back to 24 hours ago (bounded) and summarizes them. */
export async function webhookHealth(
  ports: DeliveryLogPorts,
  caller: Caller,
  nowMs: number,
): Promise<WebhookHealthOut[]> {
  const webhooks = await ports.webhooks.list(caller.workspaceId);
  const deliveries: DeliveryOut[] = [];
  let before: string | undefined;
  let sampled = false;
  for (let page = 0; page < HEALTH_MAX_PAGES; page++) {
    const result = await listDeliveries(ports, caller, { limit: MAX_DELIVERY_PAGE, before }, nowMs);
    deliveries.push(...result.items);
    const oldest = result.items.at(-1);
    if (!result.nextCursor || !oldest || Date.parse(oldest.created_at) < nowMs - HEALTH_WINDOW_MS) break;
    before = result.nextCursor;
    sampled = page === HEALTH_MAX_PAGES - 1;
  }
  return summarizeHealth(webhooks, deliveries, nowMs, sampled);
}
