import { type DeliveryRecord, expiresAt, newDelivery } from './deliveries.ts';
import { type EventMessageIn, serializeEnvelope } from './events.ts';
import { deliveryIdFor } from './ids.ts';
import type { DeliveryQueue, DeliveryStore, EventStore, WebhookStore } from './ports.ts';
import type { WebhookRecord } from './webhooks.ts';

export interface FanOutPorts {
  webhooks: WebhookStore;
  events: EventStore;
  deliveries: DeliveryStore;
  queue: DeliveryQueue;
}

export interface FanOutResult {
  eventId: string;
  /** Deliveries queued by this run. */
  queued: number;
  /** True when the event had already been fanned out (a repeat of its id): nothing was done. */
  duplicate: boolean;
  /**
   * True when another run is fanning the same event out right now: this message must come back
   * later (it is the backup should that run die), so the caller leaves it on the queue.
   */
  busy: boolean;
}

/** The webhooks an event goes to: active ones subscribed to its type. */
export function subscribedWebhooks(webhooks: WebhookRecord[], eventType: string): WebhookRecord[] {
  return webhooks.filter((webhook) => webhook.is_active && webhook.events.includes(eventType));
}

/**
 * One event → one delivery per subscribed, active webhook of its workspace.
 *
 * Idempotent: the event is stored with a conditional put (the first publication of an id wins),
 * each delivery id is derived from (event time, event id, webhook id) and written with a
 * conditional put, and the event is marked fanned out only after every delivery is queued. A
 * repeat of a finished event does nothing; a repeat arriving while another run holds the event's
 * lease waits (comes back later); a repeat of a run that died midway takes the lease over and
 * finishes the job.
 */
export async function fanOutEvent(
  ports: FanOutPorts,
  message: EventMessageIn,
  options: { fallbackEventId: string; nowMs: number; leaseMs: number },
): Promise<FanOutResult> {
  const { nowMs } = options;
  const leaseUntil = nowMs + options.leaseMs;
  const eventId = message.id ?? options.fallbackEventId;
  const createdAt = message.created_at ?? new Date(nowMs).toISOString();
  const body = serializeEnvelope({ event: message.event, data: message.data, created_at: createdAt });
  const { record: event, created } = await ports.events.putIfAbsent({
    workspace_id: message.workspace_id,
    id: eventId,
    event_type: message.event,
    body,
    created_at: createdAt,
    received_at: new Date(nowMs).toISOString(),
    expires_at: expiresAt(nowMs),
    fanout_lease_until: leaseUntil,
  });
  if (event.fanned_out_at) return { eventId, queued: 0, duplicate: true, busy: false };
  if (!created) {
    // A repeat of an event not yet fanned out: a run is at it now, or one died midway.
    const held = event.fanout_lease_until !== undefined && event.fanout_lease_until > nowMs;
    if (
      held ||
      !(await ports.events.renewLease(event.workspace_id, event.id, event.fanout_lease_until, leaseUntil))
    ) {
      return { eventId, queued: 0, duplicate: false, busy: true };
    }
  }

  const targets = subscribedWebhooks(await ports.webhooks.list(event.workspace_id), event.event_type);
  // Deliveries are dated (and their ids ordered) by when the event first arrived, not by the
  // producer's created_at, which may lie anywhere; a repeat of the id reuses that first arrival.
  const receivedAt = event.received_at ?? new Date(nowMs).toISOString();
  const eventTimeMs = Date.parse(receivedAt);
  const records: DeliveryRecord[] = targets.map((webhook) =>
    newDelivery({
      webhookId: webhook.id,
      id: deliveryIdFor(eventTimeMs, `${event.workspace_id}\n${event.id}\n${webhook.id}`),
      workspaceId: event.workspace_id,
      eventType: event.event_type,
      eventId: event.id,
      createdAt: receivedAt,
      dueAt: new Date(nowMs).toISOString(),
      nowMs,
    }),
  );
  await Promise.all(records.map((record) => ports.deliveries.createIfAbsent(record)));
  await ports.queue.enqueue(
    records.map((record) => ({
      workspace_id: record.workspace_id,
      webhook_id: record.webhook_id,
      delivery_id: record.id,
    })),
  );
  await ports.events.markFannedOut(event.workspace_id, event.id, new Date(nowMs).toISOString());
  return { eventId, queued: records.length, duplicate: false, busy: false };
}
