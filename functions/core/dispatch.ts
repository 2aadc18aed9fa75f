import { type AttemptOutcome, decideAfterAttempt, recordAttempt, stopDelivery } from './attempt.ts';
import type { DeliveryMessage, DeliveryRecord } from './deliveries.ts';
import type { DeliveryStore, EventStore, SecretResolver, Sender, WebhookStore } from './ports.ts';
import { buildDeliveryHeaders } from './signing.ts';

export interface DispatchPorts {
  webhooks: WebhookStore;
  events: EventStore;
  deliveries: DeliveryStore;
  secrets: SecretResolver;
  sender: Sender;
}

export interface DispatchOptions {
  schedule: readonly number[];
  now: () => number;
  random: () => number;
}

/** What the queue should do with the delivery's message. */
export type DispatchAction =
  | { action: 'done'; reason: string; delivery?: DeliveryRecord }
  | { action: 'retry'; delaySeconds: number; delivery: DeliveryRecord }
  | { action: 'dead-letter'; reason: string; delivery: DeliveryRecord };

/** A message may come back before its time (e.g. a visibility change was lost): tolerated early. */
const EARLY_TOLERANCE_MS = 1000;

/**
 * One delivery attempt, driven by its queue message: load, check the webhook still wants it,
 * sign and send the stored bytes, record the attempt, and say what the queue should do next.
 */
export async function dispatchDelivery(
  ports: DispatchPorts,
  message: DeliveryMessage,
  options: DispatchOptions,
): Promise<DispatchAction> {
  // The three reads are independent when the message names the event: one round trip, not three.
  const nowMs0 = options.now();
  const [delivery, webhook, prefetchedEvent] = await Promise.all([
    ports.deliveries.get(message.webhook_id, message.delivery_id, nowMs0),
    ports.webhooks.get(message.workspace_id, message.webhook_id),
    message.event_id
      ? ports.events.get(message.workspace_id, message.event_id, nowMs0)
      : Promise.resolve(undefined),
  ]);
  if (!delivery) return { action: 'done', reason: 'delivery not found (expired or never recorded)' };
  // A dead-lettered delivery whose dead-lettered copy is back was redriven: one more attempt.
  const redriven =
    delivery.status === 'failed' &&
    Boolean(delivery.dead_lettered_at) &&
    message.redrive_of === delivery.dead_lettered_at;
  if (delivery.status !== 'pending' && !redriven) {
    // It gave up, but its dead-lettered copy may never have reached the DLQ (the send failed or the
    // function died): dead-letter this copy too. Extra copies are harmless; a redrive's attempt is
    // keyed to `dead_lettered_at`.
    if (delivery.status === 'failed' && delivery.dead_lettered_at && message.redrive_of === undefined) {
      return { action: 'dead-letter', reason: 'gave up earlier; dead-lettering again', delivery };
    }
    return { action: 'done', reason: `delivery already ${delivery.status}`, delivery };
  }

  const dueMs = delivery.next_attempt_at ? Date.parse(delivery.next_attempt_at) : 0;
  const earlyMs = dueMs - options.now();
  if (!redriven && earlyMs > EARLY_TOLERANCE_MS) {
    return { action: 'retry', delaySeconds: Math.ceil(earlyMs / 1000), delivery };
  }

  const stop = async (reason: string): Promise<DispatchAction> => {
    const stopped = { ...stopDelivery(delivery, reason), dead_lettered_at: null };
    await ports.deliveries.saveAttempt(stopped, delivery.attempts);
    return { action: 'done', reason, delivery: stopped };
  };
  if (!webhook || webhook.workspace_id !== delivery.workspace_id) return stop('webhook deleted');
  if (!webhook.is_active) return stop('webhook paused');
  // Paused and resumed since this delivery was made: pausing stopped it (contract §3).
  if (webhook.paused_at && delivery.created_at <= webhook.paused_at) return stop('webhook paused');

  let body = delivery.body;
  if (body === undefined) {
    const event =
      prefetchedEvent !== undefined && message.event_id === delivery.event_id
        ? prefetchedEvent
        : delivery.event_id
          ? await ports.events.get(delivery.workspace_id, delivery.event_id, options.now())
          : null;
    if (!event) return stop('event expired before it could be delivered');
    body = event.body;
  }

  const secret = await ports.secrets(webhook);
  const headers = buildDeliveryHeaders({
    secret,
    deliveryId: delivery.id,
    eventType: delivery.event_type,
    body,
    timestampSeconds: Math.floor(options.now() / 1000),
  });
  const outcome: AttemptOutcome = await ports.sender.send({ url: webhook.url, headers, body });

  const attemptsMade = delivery.attempts + 1;
  const nowMs = options.now();
  const decision = decideAfterAttempt({
    outcome,
    attemptsMade,
    schedule: options.schedule,
    nowMs,
    random: options.random,
  });
  const updated = recordAttempt(delivery, outcome, decision, nowMs);
  if (!(await ports.deliveries.saveAttempt(updated, delivery.attempts))) {
    // Another copy of this message recorded an attempt first. SQS may have handed out the very same
    // message twice, so this copy must not be deleted while the delivery still waits for a retry.
    const current = await ports.deliveries.get(delivery.webhook_id, delivery.id, options.now());
    if (current?.status === 'pending' && current.next_attempt_at) {
      const waitMs = Date.parse(current.next_attempt_at) - options.now();
      return { action: 'retry', delaySeconds: Math.max(1, Math.ceil(waitMs / 1000)), delivery: current };
    }
    return { action: 'done', reason: 'attempt already recorded by a concurrent copy of the message' };
  }
  if (decision.status === 'success') return { action: 'done', reason: 'delivered', delivery: updated };
  if (decision.status === 'pending')
    return { action: 'retry', delaySeconds: decision.delaySeconds, delivery: updated };
  return { action: 'dead-letter', reason: `gave up after ${attemptsMade} attempts`, delivery: updated };
}

/**
 * The last receive SQS allows before it dead-letters the message failed too: record the delivery
 * as `failed` with the reason, so the log does not show it `pending` forever (its message goes to
 * the DLQ and can be redriven).
 */
export async function giveUpUnprocessable(
  ports: Pick<DispatchPorts, 'deliveries'>,
  message: DeliveryMessage,
  reason: string,
  nowMs: number,
): Promise<void> {
  const delivery = await ports.deliveries.get(message.webhook_id, message.delivery_id, nowMs);
  if (delivery?.status !== 'pending') return;
  await ports.deliveries.saveAttempt(
    { ...stopDelivery(delivery, reason), dead_lettered_at: null },
    delivery.attempts,
  );
}
