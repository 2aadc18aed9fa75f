/**
 * What is stored and queued: the schemas of DynamoDB items and SQS messages, parsed on every read.
 *
 * These use `zod/mini`, the tree-shakable build of zod: they are on the dispatcher's hot path, whose
 * bundle they would otherwise fill with the whole of zod. The API's request and response schemas,
 * which also generate the OpenAPI document, stay with zod's full API in their own modules.
 */
import * as z from 'zod/mini';

export const DELIVERY_STATUSES = ['pending', 'success', 'failed'] as const;
export const deliveryStatusSchema = z.enum(DELIVERY_STATUSES);
export type DeliveryStatus = z.infer<typeof deliveryStatusSchema>;

// --- webhooks table ------------------------------------------------------------------------------

/** A webhook as stored. The secret is only ever held encrypted. */
export const webhookRecordSchema = z.object({
  workspace_id: z.string(),
  id: z.string(),
  url: z.string(),
  events: z.array(z.string()),
  is_active: z.boolean(),
  description: z.string(),
  secret_ciphertext: z.string(),
  created_by: z.string(),
  created_at: z.string(),
  updated_at: z.string(),
  /** When it was last paused: deliveries made before then stop, even after a resume. */
  paused_at: z.optional(z.string()),
  /** After a rotation, until `previous_expires_at`: the secret it replaced, still signing (contract §5). */
  previous_secret_ciphertext: z.optional(z.string()),
  previous_expires_at: z.optional(z.string()),
  /** Custom headers, encrypted as one JSON object; their names in clear, for redacted answers. */
  headers_ciphertext: z.optional(z.string()),
  header_names: z.optional(z.array(z.string())),
  /** Most deliveries per second to it; absent or null: no limit. */
  rate_limit: z.optional(z.nullable(z.number())),
  /** Why it was disabled without a user pausing it (`failing`); cleared by enabling it. */
  disabled_reason: z.optional(z.nullable(z.enum(['failing']))),
  /** The first failed attempt since its last success: the automatic-disable clock. */
  failing_since: z.optional(z.string()),
  /** Bumped by every write, so a read-modify-write never undoes another's change. */
  version: z.optional(z.number()),
});
export type WebhookRecord = z.infer<typeof webhookRecordSchema>;

/**
 * What a delivery message carries of its webhook, so that a first attempt reads nothing: the target,
 * the encrypted secret and when this copy was taken (it is trusted for a short while only).
 */
export const webhookSnapshotSchema = z.object({
  url: z.string(),
  secret_ciphertext: z.string(),
  previous_secret_ciphertext: z.optional(z.string()),
  previous_expires_at: z.optional(z.string()),
  headers_ciphertext: z.optional(z.string()),
  rate_limit: z.optional(z.nullable(z.number())),
  failing_since: z.optional(z.string()),
  updated_at: z.string(),
});
export type WebhookSnapshot = z.infer<typeof webhookSnapshotSchema>;

/** The parts of a webhook an attempt needs (what a delivery message carries). */
export function snapshotOf(webhook: WebhookRecord): WebhookSnapshot {
  const snapshot: WebhookSnapshot = {
    url: webhook.url,
    secret_ciphertext: webhook.secret_ciphertext,
    previous_secret_ciphertext: webhook.previous_secret_ciphertext,
    previous_expires_at: webhook.previous_expires_at,
    headers_ciphertext: webhook.headers_ciphertext,
    rate_limit: webhook.rate_limit ?? undefined,
    failing_since: webhook.failing_since,
    updated_at: webhook.updated_at,
  };
  for (const key of Object.keys(snapshot) as (keyof WebhookSnapshot)[]) {
    if (snapshot[key] === undefined) delete snapshot[key];
  }
  return snapshot;
}

/** Ties a webhook secret's ciphertext to its webhook (AES-GCM additional data). */
export function secretContext(workspaceId: string, webhookId: string): string {
  return `${workspaceId}/${webhookId}`;
}

/** A webhook's custom headers, as their ciphertext holds them. */
export const customHeadersSchema = z.record(z.string(), z.string());

/** Ties a webhook's custom headers' ciphertext to it, apart from its secret's. */
export function headersContext(workspaceId: string, webhookId: string): string {
  return `${workspaceId}/${webhookId}#headers`;
}

// --- api-keys table ------------------------------------------------------------------------------

/** An API key as stored: only the SHA-256 hash of the key, never the key. */
export const apiKeyRecordSchema = z.object({
  key_hash: z.string(),
  id: z.string(),
  workspace_id: z.string(),
  name: z.string(),
  key_preview: z.string(),
  /** The key's first 12 characters (`enc_live_` + 3), shown in lists; absent on keys made before it was kept. */
  key_prefix: z.optional(z.string()),
  created_at: z.string(),
  last_used: z.nullable(z.string()),
  revoked_at: z.nullable(z.string()),
  /** Why it was revoked: `revoked`, or `deleted` (deleted for good while active; the item goes next). */
  revoked_reason: z.optional(z.enum(['revoked', 'deleted'])),
  /** Set while the key is disabled (refused until enabled again). */
  disabled_at: z.optional(z.nullable(z.string())),
});
export type ApiKeyRecord = z.infer<typeof apiKeyRecordSchema>;

// --- events table --------------------------------------------------------------------------------

/**
 * An event, under `e#<event key>` (time of first arrival, then a hash of its id), so a workspace's
 * events list by time: its body serialized once, and the webhooks it was fanned out to.
 */
export const eventItemSchema = z.object({
  workspace_id: z.string(),
  /** `e#` + the event key. */
  id: z.string(),
  event_id: z.string(),
  event_type: z.string(),
  body: z.string(),
  created_at: z.string(),
  received_at: z.string(),
  /** Ids of the webhooks it was fanned out to (its deliveries, before any attempt). */
  targets: z.array(z.string()),
  expires_at: z.number(),
  /**
   * Set when its fan-out failed on the events queue's last receive (the message then goes to the
   * events dead-letter queue): its deliveries without an attempt are listed `failed` with this error
   * instead of `pending` forever. A redriven fan-out stores the event again, without it.
   */
  fanout_failed_at: z.optional(z.string()),
  fanout_error: z.optional(z.string()),
});
export type EventItem = z.infer<typeof eventItemSchema>;

/**
 * An event id's claim, under `k#<event id>`: the first publication of an id claims it (conditional
 * put), which makes a producer's repeat a no-op, and holds a lease while one run fans it out.
 */
export const eventClaimSchema = z.object({
  workspace_id: z.string(),
  /** `k#` + the event id. */
  id: z.string(),
  event_key: z.string(),
  received_at: z.string(),
  /** Until when (epoch ms) the run that holds the claim is fanning the event out. */
  lease_until: z.number(),
  /** Set once the fan-out finished, when the event item could not serve as the mark (large bodies). */
  done: z.optional(z.boolean()),
  expires_at: z.number(),
});
export type EventClaim = z.infer<typeof eventClaimSchema>;

// --- deliveries table: the delivery log ------------------------------------------------------------

export const ROW_KINDS = ['attempt', 'stop', 'queued'] as const;

/**
 * One row of a delivery's log, under (`webhook_id`, `<delivery id>#<seq>`): each attempt, each stop
 * (paused, deleted, event gone) and each new schedule (a resend) appends one. Every row also carries
 * the delivery's whole state after it, so the newest row of a delivery is its state.
 */
export const deliveryRowSchema = z.object({
  webhook_id: z.string(),
  /** `<delivery id>#<seq, 3 digits>`. */
  id: z.string(),
  workspace_id: z.string(),
  kind: z.enum(ROW_KINDS),
  seq: z.number(),
  /** 1 for the first schedule; each resend starts the next one. */
  run: z.number(),
  /** Attempts made in this run (what the retry schedule counts). */
  run_attempts: z.number(),
  /** Attempts made in all runs: the delivery's `attempts`. */
  attempts: z.number(),
  event_type: z.string(),
  /** The event whose stored body this delivery sends (absent for tests, whose body is inline). */
  event_key: z.optional(z.string()),
  event_id: z.optional(z.string()),
  body: z.optional(z.string()),
  created_at: z.string(),
  status: deliveryStatusSchema,
  response_status: z.optional(z.number()),
  response_body: z.optional(z.string()),
  error: z.optional(z.string()),
  last_attempt_at: z.optional(z.string()),
  next_attempt_at: z.optional(z.string()),
  /** On an attempt row: how long it took. */
  duration_ms: z.optional(z.number()),
  /** On an attempt row: the signatures sent, so the request can be shown as it went out. */
  signature: z.optional(z.string()),
  webhook_signature: z.optional(z.string()),
  webhook_timestamp: z.optional(z.number()),
  /** The SQS message that made this row: tells a copy of the same message from another message. */
  message_id: z.optional(z.string()),
  /** The last attempt failed for good and the message went to the dead-letter queue. */
  dead_lettered: z.optional(z.boolean()),
  /**
   * The recovery that queued this run (carried by every row of the run): a recovery step that is
   * run again counts it once and never queues it twice.
   */
  recovery_id: z.optional(z.string()),
  expires_at: z.number(),
});
export type DeliveryRow = z.infer<typeof deliveryRowSchema>;

export function rowKey(deliveryId: string, seq: number): string {
  return `${deliveryId}#${String(seq).padStart(3, '0')}`;
}

export function deliveryIdOfRow(row: Pick<DeliveryRow, 'id'>): string {
  return row.id.slice(0, row.id.lastIndexOf('#'));
}

// --- the deliveries queue --------------------------------------------------------------------------

/**
 * One message per delivery. A first attempt needs nothing else: the body (inline when small), the
 * webhook's snapshot and when fan-out queued it. Retries (the same message, back after its
 * visibility timeout) read the delivery's state and the webhook again.
 */
export const deliveryMessageSchema = z.object({
  workspace_id: z.string().check(z.minLength(1)),
  webhook_id: z.string().check(z.minLength(1)),
  delivery_id: z.string().check(z.minLength(1)),
  event_type: z.string().check(z.minLength(1)),
  event_key: z.optional(z.string()),
  event_id: z.optional(z.string()),
  created_at: z.string(),
  /** Epoch ms at which it was queued: the snapshot is trusted only while this is recent. */
  queued_at: z.number(),
  /** The schedule this message serves (1 + resends): a message of an older run is stale. */
  run: z.optional(z.number()),
  body: z.optional(z.string()),
  webhook: z.optional(webhookSnapshotSchema),
  /** Queued again by a run that took over a dead one: may duplicate a message already out. */
  resumed: z.optional(z.boolean()),
  /**
   * Not a first attempt straight from fan-out, whatever its receive count: read the log and the
   * webhook first (resends, recoveries, and copies queued again to wait out a rate limit).
   */
  recheck: z.optional(z.boolean()),
  /** The recovery that queued it, recorded on its rows. */
  recovery_id: z.optional(z.string()),
  /**
   * Set on the copy the dispatcher dead-letters (the key of the row that gave up), so a message
   * brought back by a redrive is told apart from a stray duplicate of the one that gave up.
   */
  redrive_of: z.optional(z.string()),
});
export type DeliveryMessage = z.infer<typeof deliveryMessageSchema>;

// --- recoveries -----------------------------------------------------------------------------------

/**
 * A recovery of a webhook (contract §3), under (`workspace_id`, `#recovery#<id>`) in the webhooks
 * table: the window, how far it got (the last event key handled), and what it did.
 */
export const recoveryRecordSchema = z.object({
  workspace_id: z.string(),
  /** `#recovery#` + the recovery id. */
  id: z.string(),
  webhook_id: z.string(),
  since: z.string(),
  until: z.string(),
  status: z.enum(['running', 'done']),
  /** Steps committed so far: a step's task names the step it runs, so a stale copy does nothing. */
  step: z.number(),
  /** The last event key handled; the next step starts after it. */
  cursor: z.optional(z.string()),
  queued: z.number(),
  skipped: z.number(),
  /** Why it ended early (the webhook was paused, disabled or deleted meanwhile). */
  stopped: z.optional(z.string()),
  created_at: z.string(),
  updated_at: z.string(),
  expires_at: z.number(),
});
export type RecoveryRecord = z.infer<typeof recoveryRecordSchema>;

/** The key of a recovery's item in the webhooks table (below every webhook id, see webhook-store). */
export function recoveryItemId(recoveryId: string): string {
  return `#recovery#${recoveryId}`;
}

/** The message that drives a recovery, one step at a time, on the events queue. */
export const recoveryTaskSchema = z.object({
  task: z.literal('recover'),
  workspace_id: z.string().check(z.minLength(1)),
  recovery_id: z.string().check(z.minLength(1)),
  /** The step this task runs (the record's `step` when it was sent). */
  step: z.number(),
});
export type RecoveryTask = z.infer<typeof recoveryTaskSchema>;
