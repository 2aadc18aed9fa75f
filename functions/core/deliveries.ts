/**
 * Deliveries: one per (event, webhook), or one per test. A delivery is not stored as an item of its
 * own: before its first attempt it is its event's target, and from then on its log rows (records.ts)
 * say everything, the newest one its state. Plain functions, no schemas (the dispatcher imports this).
 */
import type { DeliveryRow, DeliveryStatus } from './records.ts';
import { rowKey } from './records.ts';

/** Response bodies are kept up to this many bytes (contract §3, §5). */
export const MAX_RESPONSE_BODY_BYTES = 4096;

/** Deliveries and events are kept this long, then expire (TTL, filtered on read). */
export const RETENTION_DAYS = 30;
export const RETENTION_SECONDS = RETENTION_DAYS * 24 * 60 * 60;

/** Seconds since the epoch at which a record created at `nowMs` expires. */
export function expiresAt(nowMs: number): number {
  return Math.floor(nowMs / 1000) + RETENTION_SECONDS;
}

/** Expired items may linger until DynamoDB deletes them; reads treat them as gone. */
export function isExpired(record: { expires_at: number }, nowMs: number): boolean {
  return record.expires_at <= Math.floor(nowMs / 1000);
}

/** Truncates a body to at most `MAX_RESPONSE_BODY_BYTES` bytes of UTF-8 without splitting a character. */
export function truncateBody(body: Buffer): string {
  if (body.length <= MAX_RESPONSE_BODY_BYTES) return body.toString('utf8');
  let end = MAX_RESPONSE_BODY_BYTES;
  // Step back over continuation bytes (10xxxxxx) so the cut falls on a character boundary.
  while (end > 0 && ((body[end] ?? 0) & 0xc0) === 0x80) end--;
  return body.subarray(0, end).toString('utf8');
}

/** A delivery as the log knows it: who it is for, what it sends, and its state after its newest row. */
export interface DeliveryState {
  deliveryId: string;
  workspaceId: string;
  webhookId: string;
  eventType: string;
  eventKey?: string;
  eventId?: string;
  /** Inline body (tests only; real deliveries send their event's stored body). */
  body?: string;
  createdAt: string;
  status: DeliveryStatus;
  /** Sequence number of the newest row (0 before any). */
  seq: number;
  run: number;
  runAttempts: number;
  attempts: number;
  responseStatus?: number;
  responseBody?: string;
  error?: string;
  lastAttemptAt?: string;
  nextAttemptAt?: string;
  deadLettered: boolean;
  /** The newest row's key, when there is one. */
  rowKey?: string;
  messageId?: string;
  /** The recovery that queued the current run, if one did. */
  recoveryId?: string;
  expiresAt: number;
}

/** A delivery before any row: what fan-out made (or a test is about to try). */
export function newDeliveryState(fields: {
  deliveryId: string;
  workspaceId: string;
  webhookId: string;
  eventType: string;
  eventKey?: string;
  eventId?: string;
  body?: string;
  createdAt: string;
}): DeliveryState {
  return {
    ...fields,
    status: 'pending',
    seq: 0,
    run: 1,
    runAttempts: 0,
    attempts: 0,
    deadLettered: false,
    expiresAt: expiresAt(Date.parse(fields.createdAt)),
  };
}

/** The delivery's state after `row` (its newest row). */
export function stateOfRow(row: DeliveryRow, deliveryId: string): DeliveryState {
  return {
    deliveryId,
    workspaceId: row.workspace_id,
    webhookId: row.webhook_id,
    eventType: row.event_type,
    eventKey: row.event_key,
    eventId: row.event_id,
    body: row.body,
    createdAt: row.created_at,
    status: row.status,
    seq: row.seq,
    run: row.run,
    runAttempts: row.run_attempts,
    attempts: row.attempts,
    responseStatus: row.response_status,
    responseBody: row.response_body,
    error: row.error,
    lastAttemptAt: row.last_attempt_at,
    nextAttemptAt: row.next_attempt_at,
    deadLettered: row.dead_lettered === true,
    rowKey: row.id,
    messageId: row.message_id,
    recoveryId: row.recovery_id,
    expiresAt: row.expires_at,
  };
}

/** The next row of a delivery: its identity and state carried forward, `changes` applied. */
export function nextRow(
  state: DeliveryState,
  changes: Pick<DeliveryRow, 'kind' | 'status'> & Partial<DeliveryRow>,
): DeliveryRow {
  const seq = state.seq + 1;
  const row: DeliveryRow = {
    webhook_id: state.webhookId,
    id: rowKey(state.deliveryId, seq),
    workspace_id: state.workspaceId,
    seq,
    run: state.run,
    run_attempts: state.runAttempts,
    attempts: state.attempts,
    event_type: state.eventType,
    event_key: state.eventKey,
    event_id: state.eventId,
    body: state.body,
    created_at: state.createdAt,
    response_status: state.responseStatus,
    response_body: state.responseBody,
    error: state.error,
    last_attempt_at: state.lastAttemptAt,
    next_attempt_at: undefined,
    recovery_id: state.recoveryId,
    expires_at: state.expiresAt,
    ...changes,
  };
  // Undefined fields are not stored (the store drops them); keep the row tidy for comparisons too.
  for (const key of Object.keys(row) as (keyof DeliveryRow)[]) if (row[key] === undefined) delete row[key];
  return row;
}

/** A delivery stopped without an attempt (webhook paused, disabled or deleted; event expired). */
export function stopRow(state: DeliveryState, reason: string, messageId?: string): DeliveryRow {
  return nextRow(state, { kind: 'stop', status: 'failed', error: reason, message_id: messageId });
}
