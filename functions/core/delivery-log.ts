import * as z from 'zod';
import type { Caller } from './api-keys.ts';
import { type DeliveryOut, type DeliveryRecord, deliveryStatusSchema } from './deliveries.ts';
import type { DeliveryStore, EventStore, WebhookStore } from './ports.ts';
import { requireWebhook } from './webhook-service.ts';

export const DEFAULT_DELIVERY_PAGE = 50;
export const MAX_DELIVERY_PAGE = 250;

/** `GET /api/webhooks/deliveries` query: `webhook_id`, and beyond the contract `limit`, `status`, `before`. */
export const listDeliveriesQuerySchema = z.object({
  webhook_id: z.string({ error: 'webhook_id is required' }).min(1, 'webhook_id is required'),
  limit: z
    .string()
    .regex(/^\d+$/, `limit must be a whole number from 1 to ${MAX_DELIVERY_PAGE}`)
    .transform(Number)
    .refine(
      (n) => n >= 1 && n <= MAX_DELIVERY_PAGE,
      `limit must be a whole number from 1 to ${MAX_DELIVERY_PAGE}`,
    )
    .optional(),
  status: deliveryStatusSchema.optional(),
  before: z.string().min(1).optional(),
});
export type ListDeliveriesQuery = z.infer<typeof listDeliveriesQuerySchema>;

export interface DeliveryLogPorts {
  webhooks: WebhookStore;
  deliveries: DeliveryStore;
  events: EventStore;
}

function toDeliveryOut(record: DeliveryRecord, body: string | undefined): DeliveryOut {
  return {
    id: record.id,
    webhook_id: record.webhook_id,
    event_type: record.event_type,
    payload: body === undefined ? null : JSON.parse(body),
    status: record.status,
    attempts: record.attempts,
    response_status: record.response_status,
    response_body: record.response_body,
    last_attempt_at: record.last_attempt_at,
    next_attempt_at: record.next_attempt_at,
    error: record.error,
    created_at: record.created_at,
  };
}

/** A page of a webhook's delivery log, newest first, each with the payload it sends. */
export async function listDeliveries(
  ports: DeliveryLogPorts,
  caller: Caller,
  query: ListDeliveriesQuery,
  nowMs: number,
): Promise<{ items: DeliveryOut[]; nextCursor: string | null }> {
  const webhook = await requireWebhook(ports, caller, query.webhook_id);
  const page = await ports.deliveries.list(webhook.id, {
    limit: query.limit ?? DEFAULT_DELIVERY_PAGE,
    status: query.status,
    before: query.before,
    nowMs,
  });
  const eventIds = page.items.flatMap((item) =>
    item.body === undefined && item.event_id ? [item.event_id] : [],
  );
  const events = eventIds.length
    ? await ports.events.getMany(caller.workspaceId, eventIds, nowMs)
    : new Map();
  return {
    items: page.items.map((item) =>
      toDeliveryOut(item, item.body ?? (item.event_id ? events.get(item.event_id)?.body : undefined)),
    ),
    nextCursor: page.nextCursor,
  };
}
