import { expiresAt } from './deliveries.ts';
import { type EventMessageIn, serializeEnvelope } from './events.ts';
import { deliveryIdFor, eventKeyFor } from './ids.ts';
import type { DeliveryQueue, EventStore } from './ports.ts';
import {
  type DeliveryMessage,
  type EventClaim,
  type EventItem,
  snapshotOf,
  type WebhookRecord,
} from './records.ts';

/**
 * Bodies up to this size travel inside each delivery message, so a first attempt reads nothing.
 * Ten such messages (with their webhook snapshots) stay within one 64 KiB SQS request.
 */
export const INLINE_BODY_MAX_BYTES = 4096;

const isInline = (body: string) => Buffer.byteLength(body) <= INLINE_BODY_MAX_BYTES;

export interface FanOutPorts {
  /** The workspace's webhooks; may be cached briefly (contract §3: changes apply within 2 seconds). */
  webhooks: { list(workspaceId: string): Promise<WebhookRecord[]> };
  events: EventStore;
  queue: DeliveryQueue;
}

export interface FanOutOptions {
  nowMs: number;
  /** How long a run owns an event it is fanning out (no longer than the function may run). */
  leaseMs: number;
}

export interface FanOutInput {
  message: EventMessageIn;
  /** The event id when the producer gave none: the SQS message id keeps a redelivery idempotent. */
  fallbackEventId: string;
  /**
   * The queue's last receive of this message: should its fan-out fail, the queue dead-letters it, so a
   * stored event is marked (its deliveries are listed failed, not pending).
   */
  lastReceive?: boolean;
}

export type FanOutOutcome =
  | { kind: 'done'; eventId: string; queued: number; duplicate: boolean }
  /** Another run holds the event; this copy is its backup and comes back after `retryInSeconds`. */
  | { kind: 'busy'; eventId: string; retryInSeconds: number }
  | { kind: 'failed'; eventId: string; error: unknown };

/** The webhooks an event goes to: active ones subscribed to its type. */
export function subscribedWebhooks(webhooks: WebhookRecord[], eventType: string): WebhookRecord[] {
  return webhooks.filter((webhook) => webhook.is_active && webhook.events.includes(eventType));
}

type Claimed =
  | { kind: 'claimed'; claim: EventClaim; resumed: boolean }
  | { kind: 'duplicate' }
  | { kind: 'busy'; retryInSeconds: number };

/**
 * The first publication of an id claims it; a repeat finds the claim and does nothing once the
 * event is stored (it was fanned out), waits while the run holding the lease is at it, and takes
 * the lease over from a run that died midway.
 */
async function claimEvent(
  events: EventStore,
  workspaceId: string,
  eventId: string,
  options: FanOutOptions,
): Promise<Claimed> {
  const { nowMs, leaseMs } = options;
  const claim: EventClaim = {
    workspace_id: workspaceId,
    id: `k#${eventId}`,
    event_key: eventKeyFor(nowMs, workspaceId, eventId),
    received_at: new Date(nowMs).toISOString(),
    lease_until: nowMs + leaseMs,
    expires_at: expiresAt(nowMs),
  };
  if (await events.claim(claim)) return { kind: 'claimed', claim, resumed: false };
  const existing = await events.getClaim(workspaceId, eventId);
  if (!existing) throw new Error(`claim of event ${eventId} vanished between a conditional put and a read`);
  if (existing.done) return { kind: 'duplicate' };
  // A small event's item is written once its messages are out: its presence is the done mark.
  const stored = await events.get(workspaceId, existing.event_key, nowMs);
  if (stored && isInline(stored.body)) return { kind: 'duplicate' };
  if (existing.lease_until > nowMs) {
    return { kind: 'busy', retryInSeconds: Math.max(1, Math.ceil((existing.lease_until - nowMs) / 1000)) };
  }
  if (!(await events.renewLease(workspaceId, eventId, existing.lease_until, nowMs + leaseMs))) {
    return { kind: 'busy', retryInSeconds: 1 };
  }
  return { kind: 'claimed', claim: { ...existing, lease_until: nowMs + leaseMs }, resumed: true };
}

interface Plan {
  eventId: string;
  item: EventItem;
  inline: boolean;
  messages: DeliveryMessage[];
}

/** The event as stored and one message per subscribed webhook. */
function planFanOut(
  message: EventMessageIn,
  eventId: string,
  claimed: { claim: EventClaim; resumed: boolean },
  webhooks: WebhookRecord[],
  nowMs: number,
): Plan {
  const { claim } = claimed;
  // A repeat of a run that died midway must rebuild the same bytes: its default time is the claim's.
  const createdAt = message.created_at ?? claim.received_at;
  const body = serializeEnvelope({ event: message.event, data: message.data, created_at: createdAt });
  // webhook.disabled is never sent to the webhook it is about (contract §4).
  const about = message.event === 'webhook.disabled' ? message.data.webhook_id : undefined;
  const targets = subscribedWebhooks(webhooks, message.event).filter((webhook) => webhook.id !== about);
  const inline = isInline(body);
  const item: EventItem = {
    workspace_id: message.workspace_id,
    id: `e#${claim.event_key}`,
    event_id: eventId,
    event_type: message.event,
    body,
    created_at: createdAt,
    received_at: claim.received_at,
    targets: targets.map((webhook) => webhook.id),
    expires_at: claim.expires_at,
  };
  const messages = targets.map(
    (webhook): DeliveryMessage => ({
      workspace_id: message.workspace_id,
      webhook_id: webhook.id,
      delivery_id: deliveryIdFor(claim.event_key, message.workspace_id, webhook.id),
      event_type: message.event,
      event_key: claim.event_key,
      event_id: eventId,
      // Deliveries are dated by when the event first arrived, not by the producer's created_at.
      created_at: claim.received_at,
      queued_at: nowMs,
      ...(inline ? { body } : {}),
      // A resumed run's messages may duplicate the dead run's: they read the log before sending.
      ...(claimed.resumed ? { resumed: true } : { webhook: snapshotOf(webhook) }),
    }),
  );
  return { eventId, item, inline, messages };
}

/**
 * Events → one queued delivery per subscribed, active webhook of their workspace, for a batch of
 * events at once (their messages share SQS requests).
 *
 * Idempotent and crash-safe without a per-delivery write: the first publication of an id claims it;
 * every delivery id is derived from (event, webhook); the event item — body and targets, what the
 * delivery log lists as pending — is written after the messages are queued, which marks the event
 * done (for bodies too large to travel in the messages it is written first, and the claim marked
 * done after). A repeat does nothing once the event is done; a repeat during a live run waits for its
 * lease; a run that died midway is taken over once its lease ran out, its messages queued again.
 */
export async function fanOutEvents(
  ports: FanOutPorts,
  inputs: FanOutInput[],
  options: FanOutOptions,
): Promise<FanOutOutcome[]> {
  const outcomes: FanOutOutcome[] = inputs.map((input) => ({
    kind: 'done',
    eventId: input.message.id ?? input.fallbackEventId,
    queued: 0,
    duplicate: false,
  }));
  const fail = (index: number, error: unknown) => {
    outcomes[index] = { kind: 'failed', eventId: outcomes[index]?.eventId ?? '', error };
  };

  // 1. Claim each event and plan its deliveries.
  const plans = await Promise.all(
    inputs.map(async ({ message }, index): Promise<Plan | null> => {
      const eventId = outcomes[index]?.eventId ?? '';
      try {
        const webhooks = await ports.webhooks.list(message.workspace_id);
        // A workspace without webhooks can never want this event, not even by a later recovery
        // (which reaches back no further than the webhook's creation): nothing to store.
        if (webhooks.length === 0) return null;
        const claimed = await claimEvent(ports.events, message.workspace_id, eventId, options);
        if (claimed.kind === 'duplicate') {
          outcomes[index] = { kind: 'done', eventId, queued: 0, duplicate: true };
          return null;
        }
        if (claimed.kind === 'busy') {
          outcomes[index] = { kind: 'busy', eventId, retryInSeconds: claimed.retryInSeconds };
          return null;
        }
        const plan = planFanOut(message, eventId, claimed, webhooks, options.nowMs);
        // Too large to travel in the messages: stored first, so every attempt can read it.
        if (!plan.inline) await ports.events.put(plan.item);
        return plan;
      } catch (error) {
        fail(index, error);
        return null;
      }
    }),
  );

  // 2. Queue every message of the batch together (SQS requests of up to 10, sent concurrently).
  const all: { message: DeliveryMessage; owner: number }[] = [];
  plans.forEach((plan, owner) => {
    for (const message of plan?.messages ?? []) all.push({ message, owner });
  });
  let refused = new Set<number>();
  try {
    const failed = await ports.queue.send(all.map((entry) => entry.message));
    refused = new Set(failed.map((index) => all[index]?.owner ?? -1));
  } catch (error) {
    refused = new Set(all.map((entry) => entry.owner));
    for (const owner of refused) fail(owner, error);
  }

  // 3. Mark each event whose messages all went out as done.
  await Promise.all(
    plans.map(async (plan, index) => {
      if (!plan || outcomes[index]?.kind === 'failed') return;
      if (refused.has(index)) return fail(index, new Error('SQS refused some of its delivery messages'));
      try {
        const { workspace_id } = plan.item;
        if (plan.inline) await ports.events.put(plan.item);
        else await ports.events.markDone(workspace_id, plan.eventId);
        outcomes[index] = {
          kind: 'done',
          eventId: plan.eventId,
          queued: plan.messages.length,
          duplicate: false,
        };
      } catch (error) {
        fail(index, error);
      }
    }),
  );

  // 4. A large event stored before a fan-out that failed for good: say so where its deliveries are listed.
  await Promise.all(
    plans.map(async (plan, index) => {
      const outcome = outcomes[index];
      if (!plan || plan.inline || !inputs[index]?.lastReceive || outcome?.kind !== 'failed') return;
      try {
        await ports.events.markFanOutFailed(
          plan.item.workspace_id,
          plan.item.id.slice(2),
          new Date(options.nowMs).toISOString(),
          outcome.error instanceof Error ? outcome.error.message : String(outcome.error),
        );
      } catch {
        // Best effort: the event is in the dead-letter queue either way, and its alarm fires.
      }
    }),
  );
  return outcomes;
}
