/**
 * The dispatcher's work, in stages: prepare (the delivery's state and webhook, from the message on a
 * first attempt, from the log and the table on a retry), send (sign and POST), settle (decide, and
 * the row to record), then for the whole batch: record (successes in one unconditional batch, every
 * other row with a condition), and tell the queue (retries hidden until due, dead letters sent).
 */
import { type AttemptOutcome, attemptRow, decideAfterAttempt } from './attempt.ts';
import { type DeliveryState, newDeliveryState, stateOfRow, stopRow } from './deliveries.ts';
import type {
  DeliveryLog,
  DeliveryQueueControl,
  DeliveryRateLimiter,
  EventPublisher,
  EventStore,
  SecretResolver,
  Sender,
  WebhookStore,
} from './ports.ts';
import {
  type DeliveryMessage,
  type DeliveryRow,
  deliveryIdOfRow,
  rowKey,
  type WebhookRecord,
  type WebhookSnapshot,
} from './records.ts';
import { errorRetryDelay } from './retry.ts';
import { buildDeliveryHeaders, HEADERS } from './signing.ts';
import { type SigningTarget, signingMaterial } from './signing-material.ts';
import { systemEventMessage } from './system-events.ts';

export interface DispatchPorts {
  webhooks: Pick<WebhookStore, 'get' | 'markFailing' | 'clearFailing' | 'disableFailing'>;
  events: Pick<EventStore, 'get'>;
  log: DeliveryLog;
  secrets: SecretResolver;
  sender: Sender;
  queue: DeliveryQueueControl;
  rateLimiter: DeliveryRateLimiter;
  /** Where `webhook.disabled` goes (the events queue). */
  publisher: EventPublisher;
}

export interface DispatchOptions {
  schedule: readonly number[];
  now: () => number;
  random: () => number;
  /** Receives SQS allows before it dead-letters a message itself (the last one records the failure). */
  maxReceives: number;
  /** A webhook failing this long without a success is disabled at its next failure (contract §5). */
  autoDisableAfterMs: number;
}

/** A delivery message as the queue handed it over. */
export interface ReceivedDelivery {
  message: DeliveryMessage;
  messageId: string;
  /** The receipt handle: what the queue is told about this message with. */
  handle: string;
  receiveCount: number;
}

export type DispatchOutcome =
  | 'delivered'
  | 'retry'
  | 'failed'
  | 'stopped'
  | 'skipped'
  /** Over the webhook's rate limit: waits, without an attempt. */
  | 'throttled'
  | 'error';

/** What became of one message: `keep` leaves it on the queue (to come back), `delete` is done with it. */
export interface DispatchResult {
  messageId: string;
  disposition: 'delete' | 'keep';
  outcome: DispatchOutcome;
  reason: string;
  message: DeliveryMessage;
  row?: DeliveryRow;
  delaySeconds?: number;
  error?: unknown;
  /** This attempt's failure disabled its webhook (contract §5: failing past the window). */
  webhookDisabled?: boolean;
}

/** The snapshot in a first attempt's message is trusted this long after fan-out queued it (contract §3). */
export const SNAPSHOT_FRESH_MS = 1000;
/** A message may come back before its time (e.g. a visibility change was lost): tolerated early. */
export const EARLY_TOLERANCE_MS = 1000;

type Action =
  | { type: 'delete' }
  | { type: 'retry'; delaySeconds: number }
  /** Waits without an attempt, as a fresh copy (the message's own receives are nearly used up). */
  | { type: 'requeue'; delaySeconds: number }
  | { type: 'dead-letter'; redriveOf: string };

/** Longest delay SQS allows on a message it is sent (DelaySeconds). */
const MAX_SEND_DELAY_SECONDS = 900;

interface Target extends SigningTarget {
  url: string;
  rate_limit?: number | null;
  failing_since?: string;
}

type Prepared =
  | {
      kind: 'send';
      state: DeliveryState;
      target: Target;
      body: string;
      /** Delays still available in this run ([] for a redriven delivery's one extra attempt). */
      schedule: readonly number[];
      /** A first attempt's success is written without a condition (in the batch); see DeliveryLog. */
      firstAttempt: boolean;
    }
  | { kind: 'stop'; row: DeliveryRow; reason: string }
  | { kind: 'skip'; action: Action; outcome: DispatchOutcome; reason: string };

function initialState(message: DeliveryMessage): DeliveryState {
  return {
    ...newDeliveryState({
      deliveryId: message.delivery_id,
      workspaceId: message.workspace_id,
      webhookId: message.webhook_id,
      eventType: message.event_type,
      eventKey: message.event_key,
      eventId: message.event_id,
      createdAt: message.created_at,
    }),
    run: message.run ?? 1,
    recoveryId: message.recovery_id,
  };
}

/** Why a webhook no longer wants this delivery, or null. */
function webhookRefusal(
  webhook: WebhookRecord | null,
  state: DeliveryState,
  message: DeliveryMessage,
): string | null {
  if (!webhook || webhook.workspace_id !== state.workspaceId) return 'webhook deleted';
  if (!webhook.is_active) {
    return webhook.disabled_reason === 'failing' ? 'webhook disabled: failing' : 'webhook paused';
  }
  // Paused and resumed since this run was queued: pausing stopped it (contract §3). Fan-out's run
  // dates from the event's arrival; a resend or a recovery queued its run when it asked, so one asked
  // after the resume goes out.
  const runQueuedAt =
    (message.run ?? 1) > 1 || message.recovery_id
      ? new Date(message.queued_at).toISOString()
      : state.createdAt;
  if (webhook.paused_at && runQueuedAt <= webhook.paused_at) return 'webhook paused';
  return null;
}

/** The state to continue from, read from the log; or what to do instead of an attempt. */
function continueFrom(
  latest: DeliveryRow | null,
  received: ReceivedDelivery,
  nowMs: number,
): { state: DeliveryState; redriven: boolean } | Extract<Prepared, { kind: 'skip' }> {
  const { message } = received;
  const run = message.run ?? 1;
  if (!latest) return { state: initialState(message), redriven: false };
  const state = stateOfRow(latest, message.delivery_id);
  if (latest.run > run) {
    return { kind: 'skip', action: { type: 'delete' }, outcome: 'skipped', reason: 'superseded by a resend' };
  }
  if (latest.run < run) {
    // A resend whose new schedule is not in the log yet: the message is the newer word.
    return {
      state: {
        ...state,
        run,
        runAttempts: 0,
        status: 'pending',
        deadLettered: false,
        nextAttemptAt: undefined,
        recoveryId: message.recovery_id,
      },
      redriven: false,
    };
  }
  if (message.resumed && latest.message_id && latest.message_id !== received.messageId) {
    // Queued again by a run that took over a dead one, while the first message is at work.
    return {
      kind: 'skip',
      action: { type: 'delete' },
      outcome: 'skipped',
      reason: 'another message delivers it',
    };
  }
  if (latest.status === 'success') {
    return { kind: 'skip', action: { type: 'delete' }, outcome: 'skipped', reason: 'already delivered' };
  }
  if (latest.status === 'failed') {
    if (latest.dead_lettered && message.redrive_of === latest.id) return { state, redriven: true };
    if (latest.dead_lettered && message.redrive_of === undefined) {
      // It gave up, but its dead-lettered copy may never have reached the DLQ (the send failed or the
      // function died): dead-letter this copy too. Extra copies are harmless; a redrive's attempt is
      // keyed to the row that gave up.
      return {
        kind: 'skip',
        action: { type: 'dead-letter', redriveOf: latest.id },
        outcome: 'failed',
        reason: 'gave up earlier; dead-lettering again',
      };
    }
    return {
      kind: 'skip',
      action: { type: 'delete' },
      outcome: 'skipped',
      reason: 'delivery already failed',
    };
  }
  const dueMs = latest.next_attempt_at ? Date.parse(latest.next_attempt_at) : 0;
  if (dueMs - nowMs > EARLY_TOLERANCE_MS) {
    return {
      kind: 'skip',
      action: { type: 'retry', delaySeconds: Math.ceil((dueMs - nowMs) / 1000) },
      outcome: 'retry',
      reason: 'not due yet',
    };
  }
  return { state, redriven: false };
}

/** Stage 1: what this message asks for, reading only what it cannot know. */
export async function prepareDelivery(
  ports: DispatchPorts,
  received: ReceivedDelivery,
  options: DispatchOptions,
): Promise<Prepared> {
  const { message } = received;
  const nowMs = options.now();
  const first =
    received.receiveCount <= 1 &&
    !message.resumed &&
    !message.recheck &&
    (message.run ?? 1) === 1 &&
    !message.redrive_of;
  let state: DeliveryState;
  let redriven = false;
  let webhook: WebhookRecord | null;
  let snapshot: WebhookSnapshot | undefined;
  if (first) {
    // A first attempt reads nothing: fan-out put the webhook in the message, moments ago.
    state = initialState(message);
    if (message.webhook && nowMs - message.queued_at <= SNAPSHOT_FRESH_MS) {
      snapshot = message.webhook;
      webhook = null;
    } else {
      webhook = await ports.webhooks.get(message.workspace_id, message.webhook_id);
    }
  } else {
    const [latest, current] = await Promise.all([
      ports.log.latest(message.webhook_id, message.delivery_id, nowMs),
      ports.webhooks.get(message.workspace_id, message.webhook_id),
    ]);
    const next = continueFrom(latest, received, nowMs);
    if ('kind' in next) return next;
    ({ state, redriven } = next);
    webhook = current;
  }

  if (!snapshot) {
    const refusal = webhookRefusal(webhook, state, message);
    // A deleted webhook's log went with it: nothing to record.
    if (refusal === 'webhook deleted') {
      return { kind: 'skip', action: { type: 'delete' }, outcome: 'stopped', reason: refusal };
    }
    if (refusal) return { kind: 'stop', row: stopRow(state, refusal, received.messageId), reason: refusal };
  }
  const target: Target = snapshot
    ? { workspace_id: message.workspace_id, id: message.webhook_id, ...snapshot }
    : (webhook as WebhookRecord);

  let body = message.body ?? state.body;
  if (body === undefined && message.event_key) {
    body = (await ports.events.get(message.workspace_id, message.event_key, nowMs))?.body;
  }
  if (body === undefined) {
    const reason = 'event expired before it could be delivered';
    return { kind: 'stop', row: stopRow(state, reason, received.messageId), reason };
  }
  // Over the webhook's own rate limit: wait for a later second, without using an attempt.
  if (target.rate_limit) {
    const slot = await ports.rateLimiter.take(target.id, target.rate_limit, nowMs);
    if (!slot.ok) {
      // Waiting by visibility uses one of the message's receives: near the end of them, wait as a
      // fresh copy instead, so a long backlog never reaches the dead-letter queue by waiting.
      const delaySeconds = Math.min(slot.waitSeconds, MAX_SEND_DELAY_SECONDS);
      return {
        kind: 'skip',
        action:
          received.receiveCount >= options.maxReceives - 1
            ? { type: 'requeue', delaySeconds }
            : { type: 'retry', delaySeconds },
        outcome: 'throttled',
        reason: `over the webhook's rate limit (${target.rate_limit}/s)`,
      };
    }
  }
  return {
    kind: 'send',
    state,
    target,
    body,
    schedule: redriven ? [] : options.schedule,
    firstAttempt: first,
  };
}

interface Settled {
  row: DeliveryRow;
  action: Action;
  outcome: DispatchOutcome;
  reason: string;
  conditional: boolean;
  webhookDisabled?: boolean;
}

/** Stages 2 and 3: sign and POST, then decide and build the attempt's row. */
export async function sendAndSettle(
  ports: DispatchPorts,
  prepared: Extract<Prepared, { kind: 'send' }>,
  received: ReceivedDelivery,
  options: DispatchOptions,
): Promise<Settled> {
  const { state, target, body } = prepared;
  const startedMs = options.now();
  const timestampSeconds = Math.floor(startedMs / 1000);
  const headers = buildDeliveryHeaders({
    ...(await signingMaterial(ports.secrets, target, startedMs)),
    deliveryId: state.deliveryId,
    eventType: state.eventType,
    body,
    timestampSeconds,
  });
  const outcome: AttemptOutcome = await ports.sender.send({ url: target.url, headers, body });
  const endedMs = options.now();
  const decision = decideAfterAttempt({
    outcome,
    attemptsMade: state.runAttempts + 1,
    schedule: prepared.schedule,
    nowMs: endedMs,
    random: options.random,
  });
  const row = attemptRow(state, outcome, decision, {
    startedMs,
    durationMs: endedMs - startedMs,
    signature: headers[HEADERS.signature],
    webhookSignature: headers[HEADERS.webhookSignature],
    timestampSeconds,
    messageId: received.messageId,
    deadLetterOnFailure: true,
  });
  const webhookDisabled = await trackHealth(ports, target, decision.status === 'success', endedMs, options);
  if (decision.status === 'success') {
    return {
      row,
      action: { type: 'delete' },
      outcome: 'delivered',
      reason: 'delivered',
      conditional: !prepared.firstAttempt,
    };
  }
  if (decision.status === 'pending') {
    return {
      row,
      action: { type: 'retry', delaySeconds: decision.delaySeconds },
      outcome: 'retry',
      reason: `retry in ${decision.delaySeconds} s`,
      conditional: true,
      ...(webhookDisabled ? { webhookDisabled } : {}),
    };
  }
  return {
    row,
    action: { type: 'dead-letter', redriveOf: row.id },
    outcome: 'failed',
    reason: `gave up after ${row.attempts} attempts`,
    conditional: true,
    ...(webhookDisabled ? { webhookDisabled } : {}),
  };
}

/**
 * The automatic-disable clock (contract §5), kept on failures only: a failure starts it (once), a
 * failure past the window disables the webhook and tells the workspace (`webhook.disabled`), and a
 * success stops it — which writes only when it was running, so healthy webhooks pay nothing. Best
 * effort: the attempt is recorded whatever this does.
 */
async function trackHealth(
  ports: DispatchPorts,
  target: Target,
  succeeded: boolean,
  nowMs: number,
  options: DispatchOptions,
): Promise<boolean> {
  let disabled: WebhookRecord | null;
  const since = target.failing_since;
  try {
    if (succeeded) {
      if (since) await ports.webhooks.clearFailing(target.workspace_id, target.id, since);
      return false;
    }
    if (!since) {
      await ports.webhooks.markFailing(target.workspace_id, target.id, new Date(nowMs).toISOString());
      return false;
    }
    if (nowMs - Date.parse(since) < options.autoDisableAfterMs) return false;
    const at = new Date(nowMs).toISOString();
    disabled = await ports.webhooks.disableFailing(target.workspace_id, target.id, since, at);
    if (!disabled) return false;
  } catch {
    // The clock is advice: a lost write delays a disable by one failure, never loses an attempt.
    return false;
  }
  // Only the writer that disabled it tells the workspace. The event's id is derived from the
  // webhook and its clock, so a publish that is tried again is still one event.
  const message = systemEventMessage(
    {
      workspaceId: disabled.workspace_id,
      event: 'webhook.disabled',
      id: `webhook.disabled:${disabled.id}:${since}`,
      data: { webhook_id: disabled.id, url: disabled.url, reason: 'failing', failing_since: since },
    },
    new Date(nowMs),
  );
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      await ports.publisher.publish(message);
      break;
    } catch {
      // tried again below; the disable stands either way (and is logged by the report)
    }
  }
  return true;
}

/**
 * The row this attempt collided with may be the `queued` row of the very run it serves: a resend or
 * a recovery sends its message before writing that row (resend.ts), so a quick dispatcher can
 * attempt in between. The attempt stands; it goes on top of the queued row.
 */
async function overQueuedRow(
  ports: DispatchPorts,
  row: DeliveryRow,
  nowMs: number,
): Promise<DeliveryRow | null> {
  const deliveryId = deliveryIdOfRow(row);
  const latest = await ports.log.latest(row.webhook_id, deliveryId, nowMs);
  if (latest?.kind !== 'queued' || latest.run !== row.run || latest.seq !== row.seq) return null;
  const seq = latest.seq + 1;
  return {
    ...row,
    seq,
    id: rowKey(deliveryId, seq),
    ...(latest.recovery_id ? { recovery_id: latest.recovery_id } : {}),
  };
}

/**
 * Another copy recorded this attempt first (the condition failed). SQS may have handed out the very
 * same message twice, so a copy of the message driving the delivery keeps it while the delivery
 * still waits for a retry; any other message is done.
 */
async function afterLostRace(
  ports: DispatchPorts,
  received: ReceivedDelivery,
  nowMs: number,
): Promise<{ action: Action; reason: string }> {
  const current = await ports.log.latest(received.message.webhook_id, received.message.delivery_id, nowMs);
  const sameMessage = !current?.message_id || current.message_id === received.messageId;
  if (current?.status === 'pending' && current.next_attempt_at && sameMessage) {
    const waitMs = Date.parse(current.next_attempt_at) - nowMs;
    return {
      action: { type: 'retry', delaySeconds: Math.max(1, Math.ceil(waitMs / 1000)) },
      reason: 'attempt recorded by a copy of this message; keeping it for the retry',
    };
  }
  return { action: { type: 'delete' }, reason: 'attempt already recorded by a concurrent copy' };
}

type Staged =
  | { received: ReceivedDelivery; kind: 'write'; settled: Settled }
  | { received: ReceivedDelivery; kind: 'skip'; action: Action; outcome: DispatchOutcome; reason: string }
  | { received: ReceivedDelivery; kind: 'error'; error: unknown };

async function stage(
  ports: DispatchPorts,
  received: ReceivedDelivery,
  options: DispatchOptions,
): Promise<Staged> {
  try {
    const prepared = await prepareDelivery(ports, received, options);
    if (prepared.kind === 'skip') return { received, ...prepared };
    if (prepared.kind === 'stop') {
      return {
        received,
        kind: 'write',
        settled: {
          row: prepared.row,
          action: { type: 'delete' },
          outcome: 'stopped',
          reason: prepared.reason,
          conditional: true,
        },
      };
    }
    return { received, kind: 'write', settled: await sendAndSettle(ports, prepared, received, options) };
  } catch (error) {
    return { received, kind: 'error', error };
  }
}

/**
 * One batch of delivery messages, each attempted concurrently. A message is never let go before its
 * row is durable: a row that could not be written keeps its message, which comes back and is
 * attempted again (a duplicate POST is allowed; a lost or doubled record is not).
 */
export async function dispatchBatch(
  ports: DispatchPorts,
  batch: ReceivedDelivery[],
  options: DispatchOptions,
): Promise<DispatchResult[]> {
  const staged = await Promise.all(batch.map((received) => stage(ports, received, options)));
  type Pending = Omit<DispatchResult, 'messageId' | 'message' | 'disposition'> & { action: Action };
  const pending: (Pending | undefined)[] = new Array(batch.length);
  const couldNotRecord = (index: number, row: DeliveryRow, error?: unknown) => {
    pending[index] = {
      outcome: 'error',
      reason: 'the attempt could not be recorded; it will be made again',
      row,
      error,
      action: { type: 'retry', delaySeconds: errorRetryDelay(batch[index]?.receiveCount ?? 1) },
    };
  };

  // Record: unconditional rows in one batch, the others each with its condition.
  const batched = staged.flatMap((s, index) =>
    s.kind === 'write' && !s.settled.conditional ? [{ index, row: s.settled.row, settled: s.settled }] : [],
  );
  let unwritten: Set<DeliveryRow>;
  try {
    unwritten = new Set(batched.length ? await ports.log.appendAll(batched.map((b) => b.row)) : []);
  } catch {
    unwritten = new Set(batched.map((b) => b.row));
  }
  for (const { index, row, settled } of batched) {
    if (unwritten.has(row)) couldNotRecord(index, row);
    else pending[index] = settled;
  }
  await Promise.all(
    staged.map(async (s, index) => {
      if (s.kind !== 'write' || !s.settled.conditional) return;
      try {
        if (await ports.log.append(s.settled.row)) {
          pending[index] = s.settled;
          return;
        }
        const rebased = await overQueuedRow(ports, s.settled.row, options.now());
        if (rebased && (await ports.log.append(rebased))) {
          pending[index] = { ...s.settled, row: rebased };
          return;
        }
        const lost = await afterLostRace(ports, s.received, options.now());
        pending[index] = { outcome: 'skipped', reason: lost.reason, action: lost.action };
      } catch (error) {
        couldNotRecord(index, s.settled.row, error);
      }
    }),
  );
  await Promise.all(
    staged.map(async (s, index) => {
      if (s.kind === 'skip') pending[index] = { outcome: s.outcome, reason: s.reason, action: s.action };
      if (s.kind === 'error') {
        await recordIfLastReceive(ports, s.received, options);
        pending[index] = {
          outcome: 'error',
          reason: 'could not be processed; it will be retried',
          error: s.error,
          action: { type: 'retry', delaySeconds: errorRetryDelay(s.received.receiveCount) },
        };
      }
    }),
  );

  // Waiting as fresh copies first: a copy that could not be sent waits by visibility after all.
  const requeues: { handle: string; body: string; groupId: string; delaySeconds: number }[] = [];
  pending.forEach((p, index) => {
    const received = batch[index];
    if (p?.action.type !== 'requeue' || !received) return;
    const { resumed: _resumed, ...rest } = received.message;
    requeues.push({
      handle: received.handle,
      body: JSON.stringify({ ...rest, recheck: true }),
      groupId: received.message.webhook_id,
      delaySeconds: p.action.delaySeconds,
    });
  });
  if (requeues.length) {
    const unsent = new Set(await ports.queue.requeue(requeues).catch(() => requeues.map((r) => r.handle)));
    pending.forEach((p, index) => {
      if (p?.action.type === 'requeue' && unsent.has(batch[index]?.handle ?? '')) {
        p.action = { type: 'retry', delaySeconds: p.action.delaySeconds };
      }
    });
  }

  // Tell the queue: retries hidden until due (one request), dead letters sent (one request).
  const retries: { handle: string; delaySeconds: number }[] = [];
  const deadLetters: { handle: string; body: string; reason: string }[] = [];
  pending.forEach((p, index) => {
    const received = batch[index];
    if (!p || !received) return;
    if (p.action.type === 'retry')
      retries.push({ handle: received.handle, delaySeconds: p.action.delaySeconds });
    if (p.action.type === 'dead-letter') {
      deadLetters.push({
        handle: received.handle,
        body: JSON.stringify({ ...received.message, redrive_of: p.action.redriveOf }),
        reason: p.reason,
      });
    }
  });
  // A retry whose visibility change is lost still comes back (after the queue's visibility timeout),
  // and is told it is early; a dead letter that did not go out keeps its message, to be sent again.
  const [, notDeadLettered] = await Promise.all([
    retries.length ? ports.queue.retryLater(retries).catch(() => retries.map((r) => r.handle)) : [],
    deadLetters.length
      ? ports.queue.deadLetter(deadLetters).catch(() => deadLetters.map((d) => d.handle))
      : [],
  ]);
  const kept = new Set(notDeadLettered);
  return batch.map((received, index): DispatchResult => {
    const { action, ...p } = pending[index] ?? {
      outcome: 'error' as const,
      reason: 'not processed',
      action: { type: 'retry' as const, delaySeconds: errorRetryDelay(received.receiveCount) },
    };
    const keep = action.type === 'retry' || (action.type === 'dead-letter' && kept.has(received.handle));
    return {
      messageId: received.messageId,
      message: received.message,
      disposition: keep ? 'keep' : 'delete',
      ...p,
      ...(action.type === 'retry' ? { delaySeconds: action.delaySeconds } : {}),
    };
  });
}

/**
 * The last receive SQS allows before it dead-letters the message failed too: record the delivery
 * as `failed` with the reason, so the log does not show it `pending` forever (its message goes to
 * the DLQ and can be redriven).
 */
async function recordIfLastReceive(
  ports: DispatchPorts,
  received: ReceivedDelivery,
  options: DispatchOptions,
): Promise<void> {
  if (received.receiveCount < options.maxReceives) return;
  try {
    const nowMs = options.now();
    const latest = await ports.log.latest(received.message.webhook_id, received.message.delivery_id, nowMs);
    if (latest && latest.status !== 'pending') return;
    const state = latest ? stateOfRow(latest, received.message.delivery_id) : initialState(received.message);
    await ports.log.append(
      stopRow(state, 'could not be processed; see the dispatcher log', received.messageId),
    );
  } catch {
    // Best effort: the message still reaches the DLQ, where it is visible.
  }
}
