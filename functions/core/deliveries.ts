import * as z from 'zod';

export const DELIVERY_STATUSES = ['pending', 'success', 'failed'] as const;
export const deliveryStatusSchema = z.enum(DELIVERY_STATUSES);
export type DeliveryStatus = z.infer<typeof deliveryStatusSchema>;

/** Response bodies are kept up to this many bytes (contract §3, §5). */
export const MAX_RESPONSE_BODY_BYTES = 4096;

/** Deliveries and events are kept this long, then expire (TTL, filtered on read). */
export const RETENTION_DAYS = 30;
export const RETENTION_SECONDS = RETENTION_DAYS * 24 * 60 * 60;

/** A delivery as stored: one per (event, webhook), or one per test. */
export const deliveryRecordSchema = z.object({
  webhook_id: z.string(),
  id: z.string(),
  workspace_id: z.string(),
  event_type: z.string(),
  /** The event whose stored body this delivery sends; absent for test deliveries. */
  event_id: z.string().optional(),
  /** Inline body, only for test deliveries (a real event's body is stored once, on the event). */
  body: z.string().optional(),
  status: deliveryStatusSchema,
  attempts: z.number().int().nonnegative(),
  response_status: z.number().int().nullable(),
  response_body: z.string().nullable(),
  error: z.string().nullable(),
  last_attempt_at: z.string().nullable(),
  next_attempt_at: z.string().nullable(),
  created_at: z.string(),
  expires_at: z.number().int(),
  /** When the last attempt gave up and the message went to the dead-letter queue (redrive retries it). */
  dead_lettered_at: z.string().nullable().optional(),
});
export type DeliveryRecord = z.infer<typeof deliveryRecordSchema>;

/** An event as stored: its body serialized once, however many webhooks it fans out to. */
export const eventRecordSchema = z.object({
  workspace_id: z.string(),
  id: z.string(),
  event_type: z.string(),
  body: z.string(),
  created_at: z.string(),
  expires_at: z.number().int(),
  /** When the first publication of this id reached fan-out: its deliveries' time and order. */
  received_at: z.string().optional(),
  /** Set once every delivery of the event is recorded and queued; a repeat then does nothing. */
  fanned_out_at: z.string().optional(),
  /** Until when (epoch ms) one fan-out run owns the event; a concurrent repeat waits it out. */
  fanout_lease_until: z.number().int().optional(),
});
export type EventRecord = z.infer<typeof eventRecordSchema>;

/** The delivery object of the API (contract §3), `next_attempt_at` and `error` beyond it. */
export const deliveryOutSchema = z.object({
  id: z.string(),
  webhook_id: z.string(),
  event_type: z.string(),
  payload: z.unknown(),
  status: deliveryStatusSchema,
  attempts: z.number().int(),
  response_status: z.number().int().nullable(),
  response_body: z.string().nullable(),
  last_attempt_at: z.string().nullable(),
  next_attempt_at: z.string().nullable(),
  error: z.string().nullable(),
  created_at: z.string(),
});
export type DeliveryOut = z.infer<typeof deliveryOutSchema>;

/** The message on the deliveries queue: just enough to load the delivery. */
export const deliveryMessageSchema = z.object({
  workspace_id: z.string().min(1),
  webhook_id: z.string().min(1),
  delivery_id: z.string().min(1),
  /** The event whose body is sent, so the dispatcher can read it alongside the delivery. */
  event_id: z.string().min(1).optional(),
  /**
   * Set on the copy the dispatcher dead-letters (the delivery's `dead_lettered_at`), so a message
   * brought back by a redrive is told apart from a stray duplicate of the one that gave up.
   */
  redrive_of: z.string().optional(),
});
export type DeliveryMessage = z.infer<typeof deliveryMessageSchema>;

/** A new delivery, before any attempt: who it is for, what it sends, when it was made and is due. */
export function newDelivery(fields: {
  webhookId: string;
  id: string;
  workspaceId: string;
  eventType: string;
  eventId?: string;
  body?: string;
  createdAt: string;
  dueAt: string | null;
  nowMs: number;
}): DeliveryRecord {
  return {
    webhook_id: fields.webhookId,
    id: fields.id,
    workspace_id: fields.workspaceId,
    event_type: fields.eventType,
    ...(fields.eventId === undefined ? {} : { event_id: fields.eventId }),
    ...(fields.body === undefined ? {} : { body: fields.body }),
    status: 'pending',
    attempts: 0,
    response_status: null,
    response_body: null,
    error: null,
    last_attempt_at: null,
    next_attempt_at: fields.dueAt,
    created_at: fields.createdAt,
    expires_at: expiresAt(fields.nowMs),
  };
}

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
