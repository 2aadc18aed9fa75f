/**
 * Recovering a webhook (contract §3): every event of the workspace in a window that the webhook
 * subscribes to and never received successfully is delivered again, in the background, through the
 * normal pipeline.
 *
 * What it stands on (docs/data-model.md): events are kept per workspace in time order, each with the
 * webhooks it was fanned out to (`targets`), and every delivery's log is found from (event, webhook)
 * alone (its id is derived from both). So a recovery walks the window's events oldest first, one
 * bounded step at a time, and for each subscribed event looks at one delivery's newest row:
 *
 * - succeeded, or still pending (a run at work, or a target whose first attempt is yet to come):
 *   skipped;
 * - failed (given up, stopped by a pause, disabled while failing): resent, a new run;
 * - never made (the webhook was paused or disabled when the event came): delivered for the first
 *   time;
 * - already queued by this recovery (a step run again after its function died): counted once.
 *
 * Each step commits its progress (cursor, counts) conditionally on the step it ran, then queues the
 * next step as a task on the events queue; a copy of a task for a step already committed does
 * nothing more than make sure the next step was queued. Steps go through the events queue with
 * their workspace as the fair-queue group, and the deliveries they queue through the deliveries
 * queue with their webhook's, so a recovery waits its turn like any other backlog; with a
 * `rate_limit`, steps are spaced so the queue holds about one second's worth of the endpoint's limit
 * per delivery queued.
 */
import * as z from 'zod';
import type { Caller } from './api-keys.ts';
import { expiresAt, newDeliveryState, RETENTION_DAYS, RETENTION_SECONDS, stateOfRow } from './deliveries.ts';
import { NotFoundError, ValidationError } from './errors.ts';
import { recoveryIdSchema } from './id-schemas.ts';
import { deliveryIdFor, newRecoveryId, timeKey } from './ids.ts';
import type {
  DeliveryLog,
  DeliveryQueue,
  EventStore,
  RecoveryStore,
  TaskQueue,
  WebhookStore,
} from './ports.ts';
import {
  type EventItem,
  type RecoveryRecord,
  type RecoveryTask,
  recoveryItemId,
  type WebhookRecord,
} from './records.ts';
import { queueRun } from './resend.ts';
import { requireActiveWebhook } from './webhook-service.ts';
import { webhookId } from './webhooks.ts';

const isoDate = z.iso.datetime({
  offset: true,
  error: 'must be an ISO 8601 date-time, e.g. 2026-11-30T12:00:00Z',
});

export const recoverInSchema = z.object({
  id: webhookId,
  since: isoDate,
  until: isoDate.optional(),
});
export type RecoverIn = z.infer<typeof recoverInSchema>;

export const recoverOutSchema = z.object({
  status: z.literal('started'),
  recovery_id: z.string(),
  since: z.string(),
  until: z.string(),
});

export const recoveryQuerySchema = z.object({
  recovery_id: recoveryIdSchema,
});

export const recoveryOutSchema = z.object({
  recovery_id: z.string(),
  webhook_id: z.string(),
  status: z.enum(['running', 'done']),
  since: z.string(),
  until: z.string(),
  /** Deliveries it queued: failed ones resent and events delivered for the first time. */
  queued: z.number().int(),
  /** Subscribed events it left alone: already delivered, or being delivered. */
  skipped: z.number().int(),
  /** Why it ended before the end of its window (the webhook was paused, disabled or deleted). */
  stopped_reason: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
});
export type RecoveryOut = z.infer<typeof recoveryOutSchema>;

/** Events one step reads at most (each costs one log read, and at most one message and row). */
export const RECOVERY_STEP_EVENTS = 100;
/** Concurrent log reads and writes within a step. */
const STEP_CONCURRENCY = 10;
/** SQS's longest message delay. */
const MAX_TASK_DELAY_SECONDS = 900;

export interface StartRecoveryPorts {
  webhooks: Pick<WebhookStore, 'get'>;
  recoveries: RecoveryStore;
  tasks: TaskQueue;
}

function toRecoveryOut(record: RecoveryRecord): RecoveryOut {
  return {
    recovery_id: record.id.slice(recoveryItemId('').length),
    webhook_id: record.webhook_id,
    status: record.status,
    since: record.since,
    until: record.until,
    queued: record.queued,
    skipped: record.skipped,
    stopped_reason: record.stopped ?? null,
    created_at: record.created_at,
    updated_at: record.updated_at,
  };
}

/** POST /api/webhooks/recover: checks the window, records the recovery and queues its first step. */
export async function startRecovery(
  ports: StartRecoveryPorts,
  caller: Caller,
  input: RecoverIn,
  nowMs: number,
): Promise<z.infer<typeof recoverOutSchema>> {
  const requestedSince = Date.parse(input.since);
  const until = input.until === undefined ? nowMs : Math.min(Date.parse(input.until), nowMs);
  const details: { path: string; message: string }[] = [];
  if (requestedSince < nowMs - RETENTION_SECONDS * 1000) {
    details.push({
      path: 'since',
      message: `must be within the last ${RETENTION_DAYS} days (events are kept that long)`,
    });
  }
  if (requestedSince > nowMs) details.push({ path: 'since', message: 'must not be in the future' });
  if (input.until !== undefined && Date.parse(input.until) <= requestedSince) {
    details.push({ path: 'until', message: 'must be after since' });
  }
  if (details.length > 0) throw new ValidationError('Invalid recovery window', details);

  const webhook = await requireActiveWebhook(ports, caller, input.id);
  // Nothing before the webhook existed is its to recover.
  const since = Math.max(requestedSince, Date.parse(webhook.created_at));
  const recoveryId = newRecoveryId(nowMs);
  const at = new Date(nowMs).toISOString();
  const record: RecoveryRecord = {
    workspace_id: caller.workspaceId,
    id: recoveryItemId(recoveryId),
    webhook_id: webhook.id,
    since: new Date(since).toISOString(),
    until: new Date(until).toISOString(),
    status: since < until ? 'running' : 'done',
    step: 0,
    queued: 0,
    skipped: 0,
    created_at: at,
    updated_at: at,
    expires_at: expiresAt(nowMs),
  };
  await ports.recoveries.create(record);
  if (record.status === 'running') {
    try {
      await ports.tasks.send({
        task: 'recover',
        workspace_id: caller.workspaceId,
        recovery_id: recoveryId,
        step: 0,
      });
    } catch (error) {
      await ports.recoveries
        .advance({ ...record, status: 'done', stopped: 'could not be started', updated_at: at }, 0)
        .catch(() => undefined);
      throw error;
    }
  }
  return { status: 'started', recovery_id: recoveryId, since: record.since, until: record.until };
}

/** GET /api/webhooks/recover?recovery_id=: where a recovery of the caller's workspace stands. */
export async function getRecovery(
  ports: Pick<StartRecoveryPorts, 'recoveries'>,
  caller: Caller,
  recoveryId: string,
): Promise<RecoveryOut> {
  const record = await ports.recoveries.get(caller.workspaceId, recoveryId);
  if (!record) throw new NotFoundError('Recovery not found');
  return toRecoveryOut(record);
}

export interface RecoveryStepPorts {
  webhooks: Pick<WebhookStore, 'get'>;
  events: Pick<EventStore, 'range'>;
  log: DeliveryLog;
  queue: DeliveryQueue;
  recoveries: RecoveryStore;
  tasks: TaskQueue;
}

export interface RecoveryStepOptions {
  nowMs: number;
  /** Events read per step. @default RECOVERY_STEP_EVENTS */
  stepEvents?: number;
}

export type RecoveryStepOutcome =
  | { kind: 'continued' | 'done'; queued: number; skipped: number }
  /** Nothing to do: unknown recovery, finished, or a copy of a step another run committed. */
  | { kind: 'stale'; reason: string };

/** Why the webhook takes no recovery any more, or null. */
function stopReason(webhook: WebhookRecord | null): string | null {
  if (!webhook) return 'webhook deleted';
  if (!webhook.is_active)
    return webhook.disabled_reason === 'failing' ? 'webhook disabled: failing' : 'webhook paused';
  return null;
}

/** Whether the webhook wants this event: subscribed now, made after the webhook, not about itself. */
function wants(webhook: WebhookRecord, event: EventItem): boolean {
  if (!webhook.events.includes(event.event_type)) return false;
  if (event.received_at < webhook.created_at) return false;
  if (event.event_type === 'webhook.disabled') {
    try {
      return (JSON.parse(event.body) as { data?: { webhook_id?: unknown } }).data?.webhook_id !== webhook.id;
    } catch {
      return false;
    }
  }
  return true;
}

async function inLanes<T, R>(items: T[], lanes: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(lanes, items.length) }, async () => {
      while (next < items.length) {
        const index = next++;
        results[index] = await work(items[index] as T);
      }
    }),
  );
  return results;
}

/** One event of a step: left alone, counted as queued before, or queued now. */
async function recoverEvent(
  ports: RecoveryStepPorts,
  webhook: WebhookRecord,
  event: EventItem,
  recoveryId: string,
  nowMs: number,
): Promise<'queued' | 'skipped'> {
  const eventKey = event.id.slice(2);
  const deliveryId = deliveryIdFor(eventKey, webhook.workspace_id, webhook.id);
  const latest = await ports.log.latest(webhook.id, deliveryId, nowMs);
  if (latest?.recovery_id === recoveryId) return 'queued';
  if (latest && latest.status !== 'failed') return 'skipped';
  // A target without a row yet: fan-out's message is on its way.
  if (!latest && event.targets.includes(webhook.id)) return 'skipped';
  const state = latest
    ? stateOfRow(latest, deliveryId)
    : newDeliveryState({
        deliveryId,
        workspaceId: webhook.workspace_id,
        webhookId: webhook.id,
        eventType: event.event_type,
        eventKey,
        eventId: event.event_id,
        createdAt: event.received_at,
      });
  await queueRun(ports, state, {
    run: latest ? state.run + 1 : 1,
    body: event.body,
    recoveryId,
    nowMs,
  });
  return 'queued';
}

/** Runs the step a task names (see the module's comment). */
export async function runRecoveryStep(
  ports: RecoveryStepPorts,
  task: RecoveryTask,
  options: RecoveryStepOptions,
): Promise<RecoveryStepOutcome> {
  const { nowMs } = options;
  const record = await ports.recoveries.get(task.workspace_id, task.recovery_id);
  if (!record) return { kind: 'stale', reason: 'no such recovery' };
  if (record.status === 'done') return { kind: 'stale', reason: 'recovery finished' };
  if (task.step !== record.step) {
    // The step before the record's was committed but its function may have died before queueing
    // this one: queue it (a duplicate of a task already out does no harm: only one commits).
    if (task.step === record.step - 1) {
      await ports.tasks.send({ ...task, step: record.step });
      return { kind: 'stale', reason: 'step committed before; the next step is queued' };
    }
    return { kind: 'stale', reason: `step ${task.step} is not the recovery's current step ${record.step}` };
  }
  const at = new Date(nowMs).toISOString();
  const webhook = await ports.webhooks.get(record.workspace_id, record.webhook_id);
  const stop = stopReason(webhook);
  if (stop || !webhook) {
    await ports.recoveries.advance(
      {
        ...record,
        status: 'done',
        stopped: stop ?? 'webhook deleted',
        step: record.step + 1,
        updated_at: at,
      },
      record.step,
    );
    return { kind: 'done', queued: 0, skipped: 0 };
  }

  const page = await ports.events.range(record.workspace_id, {
    after: record.cursor,
    from: timeKey(Date.parse(record.since)),
    below: timeKey(Date.parse(record.until)),
    limit: options.stepEvents ?? RECOVERY_STEP_EVENTS,
    nowMs,
  });
  const wanted = page.items.filter((event) => wants(webhook, event));
  const outcomes = await inLanes(wanted, STEP_CONCURRENCY, (event) =>
    recoverEvent(ports, webhook, event, task.recovery_id, nowMs),
  );
  const queued = outcomes.filter((o) => o === 'queued').length;
  const skipped = outcomes.length - queued;
  const more = page.more && page.position !== null;
  const committed = await ports.recoveries.advance(
    {
      ...record,
      step: record.step + 1,
      cursor: page.position ?? record.cursor,
      queued: record.queued + queued,
      skipped: record.skipped + skipped,
      status: more ? 'running' : 'done',
      updated_at: at,
    },
    record.step,
  );
  if (!committed) return { kind: 'stale', reason: 'another run committed this step' };
  if (!more) return { kind: 'done', queued, skipped };
  // At the endpoint's rate limit, the next step waits about as long as this step's deliveries take.
  const delaySeconds = webhook.rate_limit
    ? Math.min(MAX_TASK_DELAY_SECONDS, Math.ceil(queued / webhook.rate_limit))
    : 0;
  await ports.tasks.send({ ...task, step: record.step + 1 }, delaySeconds);
  return { kind: 'continued', queued, skipped };
}
