/**
 * Resending: a delivery starts a new run — the same delivery id and body, a fresh retry schedule,
 * `pending` again — recorded in its log like everything else (a `queued` row), so its attempt
 * history shows every run. Recovery (recovery.ts) queues its deliveries the same way.
 */
import * as z from 'zod';
import type { Caller } from './api-keys.ts';
import { type DeliveryState, newDeliveryState, nextRow, stateOfRow } from './deliveries.ts';
import { type DeliveryLogPorts, deliveryIdSchema, requireDelivery } from './delivery-log.ts';
import { ConflictError } from './errors.ts';
import { INLINE_BODY_MAX_BYTES } from './fanout.ts';
import type { DeliveryLog, DeliveryQueue } from './ports.ts';
import type { DeliveryMessage, DeliveryRow, EventItem } from './records.ts';
import { webhookRefusalForApi } from './webhook-service.ts';

export const resendInSchema = z.object({ delivery_id: deliveryIdSchema });
export type ResendIn = z.infer<typeof resendInSchema>;

export const resendOutSchema = z.object({ status: z.literal('queued'), delivery_id: z.string() });
export type ResendOut = z.infer<typeof resendOutSchema>;

export interface QueueRunPorts {
  log: DeliveryLog;
  queue: DeliveryQueue;
}

/** How many times a new run's row is tried when the log moved under it. */
const QUEUE_ROW_TRIES = 3;

/**
 * Queues run `run` of a delivery whose state is `state`: the message first, then the `queued` row.
 * In that order nothing is lost — a message whose row could not be written still goes out (the
 * dispatcher takes a message of a newer run than the log's as the newer word), while a row without
 * a message would show `pending` forever. If the log moved meanwhile (an attempt of the older run
 * landed), the row follows it; once the log shows this run or a newer one, it is left alone.
 */
export async function queueRun(
  ports: QueueRunPorts,
  state: DeliveryState,
  options: {
    run: number;
    body?: string;
    recoveryId?: string;
    nowMs: number;
    /**
     * The delivery has no row yet but fan-out's message may be on its way: its first attempt
     * writes row 1 without a condition (dispatch.ts), so the new run's row starts at 2.
     */
    firstRowReserved?: boolean;
  },
): Promise<void> {
  const message: DeliveryMessage = {
    workspace_id: state.workspaceId,
    webhook_id: state.webhookId,
    delivery_id: state.deliveryId,
    event_type: state.eventType,
    ...(state.eventKey ? { event_key: state.eventKey } : {}),
    ...(state.eventId ? { event_id: state.eventId } : {}),
    created_at: state.createdAt,
    queued_at: options.nowMs,
    run: options.run,
    recheck: true,
    ...(options.body !== undefined && Buffer.byteLength(options.body) <= INLINE_BODY_MAX_BYTES
      ? { body: options.body }
      : {}),
    ...(options.recoveryId ? { recovery_id: options.recoveryId } : {}),
  };
  const refused = await ports.queue.send([message]);
  if (refused.length > 0) throw new Error('SQS refused the delivery message');

  let current = options.firstRowReserved && state.seq === 0 ? { ...state, seq: 1 } : state;
  for (let attempt = 0; attempt < QUEUE_ROW_TRIES; attempt++) {
    if (await ports.log.append(queuedRow(current, options))) return;
    const latest = await ports.log.latest(state.webhookId, state.deliveryId, options.nowMs);
    if (!latest || latest.run >= options.run) return;
    current = stateOfRow(latest, state.deliveryId);
  }
}

function queuedRow(
  state: DeliveryState,
  options: { run: number; recoveryId?: string; nowMs: number },
): DeliveryRow {
  return nextRow(
    { ...state, recoveryId: options.recoveryId },
    {
      kind: 'queued',
      status: 'pending',
      run: options.run,
      run_attempts: 0,
      error: undefined,
      dead_lettered: undefined,
      message_id: undefined,
      // When it was queued: the row's moment in the delivery's history.
      last_attempt_at: state.lastAttemptAt,
      next_attempt_at: new Date(options.nowMs).toISOString(),
    },
  );
}

/** A delivery's state from its newest row, or (before its first attempt) from its event. */
export function deliveryStateOf(
  deliveryId: string,
  webhookId: string,
  rows: DeliveryRow[],
  event: EventItem | null,
): DeliveryState | null {
  const latest = rows[0];
  if (latest) return stateOfRow(latest, deliveryId);
  if (!event) return null;
  return newDeliveryState({
    deliveryId,
    workspaceId: event.workspace_id,
    webhookId,
    eventType: event.event_type,
    eventKey: event.id.slice(2),
    eventId: event.event_id,
    createdAt: event.received_at,
  });
}

/**
 * POST /api/webhooks/deliveries/resend: works in any status; refused (409) while the webhook is
 * paused or disabled, and when the event it sends is no longer kept.
 */
export async function resendDelivery(
  ports: DeliveryLogPorts & { queue: DeliveryQueue },
  caller: Caller,
  input: ResendIn,
  nowMs: number,
): Promise<ResendOut> {
  const { webhook, rows, event } = await requireDelivery(ports, caller, input.delivery_id, nowMs);
  const refusal = webhookRefusalForApi(webhook);
  if (refusal) throw new ConflictError(refusal);
  const state = deliveryStateOf(input.delivery_id, webhook.id, rows, event);
  const body = state?.body ?? event?.body;
  if (!state || body === undefined) {
    throw new ConflictError('The event of this delivery is no longer kept (retention); it cannot be resent');
  }
  await queueRun(ports, state, { run: state.run + 1, body, nowMs, firstRowReserved: rows.length === 0 });
  return { status: 'queued', delivery_id: input.delivery_id };
}
