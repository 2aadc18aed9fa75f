/**
 * The ports the core depends on; adapters/<technology>/ implement them.
 */
import type { AttemptOutcome } from './attempt.ts';
import type { EventMessageIn } from './events.ts';
import type {
  ApiKeyRecord,
  DeliveryMessage,
  DeliveryRow,
  EventClaim,
  EventItem,
  RecoveryRecord,
  RecoveryTask,
  WebhookRecord,
} from './records.ts';
import type { SessionRecord } from './sessions.ts';

export interface WebhookStore {
  /** All webhooks of a workspace (at most the per-workspace limit). */
  list(workspaceId: string): Promise<WebhookRecord[]>;
  get(workspaceId: string, id: string): Promise<WebhookRecord | null>;
  /** Creates the webhook unless the workspace already holds `maxPerWorkspace` (LimitExceededError). */
  create(record: WebhookRecord, maxPerWorkspace: number): Promise<void>;
  /**
   * Replaces a webhook if it still has `expectedVersion` (undefined: one written before versions
   * were kept); `conflict` when someone wrote it meanwhile, `missing` when it does not exist.
   */
  update(
    record: WebhookRecord,
    expectedVersion: number | undefined,
  ): Promise<'updated' | 'conflict' | 'missing'>;
  /** Starts the failing clock at `at` unless it runs already (or the webhook is not active). */
  markFailing(workspaceId: string, id: string, at: string): Promise<boolean>;
  /** Stops the failing clock, if it still shows `seen` (a success since). */
  clearFailing(workspaceId: string, id: string, seen: string): Promise<void>;
  /**
   * Disables a webhook that has been failing since `seen` (still active, the clock not reset since):
   * the record after, or null when another writer got there first or the clock was reset.
   */
  disableFailing(workspaceId: string, id: string, seen: string, at: string): Promise<WebhookRecord | null>;
  /** false when it did not exist. */
  delete(workspaceId: string, id: string): Promise<boolean>;
}

/** A page of items, newest first, and the position to continue from when more exist. */
export interface Page<T> {
  items: T[];
  next: string | null;
  /** The sort key of the last item read (filtered out or not): how far the page got. */
  position: string | null;
}

export interface EventStore {
  /** Claims an event id (conditional put); false when it was claimed before. */
  claim(claim: EventClaim): Promise<boolean>;
  getClaim(workspaceId: string, eventId: string): Promise<EventClaim | null>;
  /** Takes over an expired lease (conditional on the lease seen); false if someone else did. */
  renewLease(
    workspaceId: string,
    eventId: string,
    seenLeaseUntil: number,
    leaseUntil: number,
  ): Promise<boolean>;
  /** Marks a claimed event fanned out (only needed when the event item was stored before its deliveries). */
  markDone(workspaceId: string, eventId: string): Promise<void>;
  /** Marks a stored event whose fan-out failed for good (nothing when it is not stored). */
  markFanOutFailed(workspaceId: string, eventKey: string, at: string, error: string): Promise<void>;
  put(item: EventItem): Promise<void>;
  /** An event by its key (see eventKeyFor); null when missing or expired. */
  get(workspaceId: string, eventKey: string, nowMs: number): Promise<EventItem | null>;
  getMany(workspaceId: string, eventKeys: string[], nowMs: number): Promise<Map<string, EventItem>>;
  /**
   * A workspace's events newest first, with keys at or below `atOrBelow` (an event key) and at or above
   * `from`; `next` continues a previous page.
   */
  page(
    workspaceId: string,
    options: { atOrBelow?: string; from?: string; limit: number; next?: string; nowMs: number },
  ): Promise<Page<EventItem>>;
  /**
   * A workspace's events oldest first, with keys from `from` (or just after `after`) up to, not
   * including, keys beginning with `below`: at most `limit` read, `position` the last key read,
   * `more` when the range goes on.
   */
  range(
    workspaceId: string,
    options: { after?: string; from: string; below: string; limit: number; nowMs: number },
  ): Promise<{ items: EventItem[]; position: string | null; more: boolean }>;
}

export interface DeliveryLog {
  /** Appends a row unless one with its key exists; false when it did. */
  append(row: DeliveryRow): Promise<boolean>;
  /**
   * Writes rows without conditions, in as few requests as it can (rows no other writer can hold:
   * successful attempts, which win over anything else recorded for that attempt). Resolves to the
   * rows that could not be written.
   */
  appendAll(rows: DeliveryRow[]): Promise<DeliveryRow[]>;
  /** The newest row of a delivery (its state), read strongly consistent. */
  latest(webhookId: string, deliveryId: string, nowMs: number): Promise<DeliveryRow | null>;
  /** Every row of a delivery, newest first. */
  rows(webhookId: string, deliveryId: string, nowMs: number): Promise<DeliveryRow[]>;
  /** A webhook's rows newest first (rows of one delivery together), below delivery id `before`. */
  page(
    webhookId: string,
    options: { before?: string; eventType?: string; limit: number; next?: string; nowMs: number },
  ): Promise<Page<DeliveryRow>>;
}

/** Dashboard sessions (core/sessions.ts), found by the hash of their token. */
export interface SessionStore {
  create(record: SessionRecord): Promise<void>;
  find(tokenHash: string): Promise<SessionRecord | null>;
  remove(tokenHash: string): Promise<void>;
}

export interface ApiKeyStore {
  findByHash(keyHash: string): Promise<ApiKeyRecord | null>;
  create(record: ApiKeyRecord): Promise<void>;
  listByWorkspace(workspaceId: string): Promise<ApiKeyRecord[]>;
  /** A key of a workspace by id, read strongly consistent (a key just made can be found at once). */
  findById(workspaceId: string, id: string): Promise<ApiKeyRecord | null>;
  /** Sets `revoked_at` unless already revoked; returns the revoked record, or null if it already was. */
  revoke(keyHash: string, revokedAt: string, reason: 'revoked' | 'deleted'): Promise<ApiKeyRecord | null>;
  /** Renames a key; false when it does not exist. */
  rename(keyHash: string, name: string): Promise<boolean>;
  /**
   * Disables (`disabledAt`) or enables (null) a key that is not revoked: the record after, `revoked`
   * when it is revoked, null when missing. Disabling a disabled key keeps its first `disabled_at`.
   */
  setDisabled(keyHash: string, disabledAt: string | null): Promise<ApiKeyRecord | 'revoked' | null>;
  /** Deletes a key for good. */
  remove(record: ApiKeyRecord): Promise<void>;
  touch(keyHash: string, usedAt: string): Promise<void>;
}

export interface RateLimitState {
  limit: number;
  remaining: number;
  /** Unix seconds at which the whole budget is back. */
  resetAt: number;
  exceeded: boolean;
  /** When refused: seconds until the next request passes (`Retry-After`); 0 otherwise. */
  retryAfterSeconds: number;
}

/** A budget: `limit` requests, refilled evenly over `periodSeconds` (core/rate-limit.ts). */
export interface RateLimitRule {
  limit: number;
  periodSeconds: number;
}

export interface RateLimiter {
  /** Counts a request of `subject` at `nowMs` against `rule`, unless it is refused (refusals are free). */
  hit(subject: string, nowMs: number, rule: RateLimitRule): Promise<RateLimitState>;
}

/** Encrypts webhook secrets at rest; `context` binds a ciphertext to its webhook. */
export interface SecretBox {
  encrypt(plaintext: string, context: string): Promise<string>;
  decrypt(ciphertext: string, context: string): Promise<string>;
}

/** Recoveries (contract §3), kept with the webhooks of their workspace. */
export interface RecoveryStore {
  create(record: RecoveryRecord): Promise<void>;
  get(workspaceId: string, recoveryId: string): Promise<RecoveryRecord | null>;
  /** Saves a step's progress if the record is still at step `seenStep`; false when another run got there. */
  advance(record: RecoveryRecord, seenStep: number): Promise<boolean>;
}

/** Per-webhook delivery rate limits (contract §2 `rate_limit`): one counter per webhook and second. */
export interface DeliveryRateLimiter {
  /** Takes a slot in this second; over the limit, how many seconds to wait first. */
  take(
    webhookId: string,
    perSecond: number,
    nowMs: number,
  ): Promise<{ ok: true } | { ok: false; waitSeconds: number }>;
}

export interface DeliveryQueue {
  /** Queues messages (concurrently, in batches); resolves to the indexes of those it could not. */
  send(messages: DeliveryMessage[]): Promise<number[]>;
}

/**
 * What the dispatcher tells the queue about the messages of a batch; `handle` is the receipt of a
 * received message. Each resolves to the handles (or indexes) that failed.
 */
export interface DeliveryQueueControl {
  /** Hides messages until their next attempt is due (visibility timeout). */
  retryLater(items: { handle: string; delaySeconds: number }[]): Promise<string[]>;
  /** Sends copies to the dead-letter queue, with a reason each. */
  deadLetter(items: { handle: string; body: string; reason: string }[]): Promise<string[]>;
  /** Sends fresh copies to the deliveries queue, each delayed (at most 900 s); the received ones are then done. */
  requeue(
    items: { handle: string; body: string; groupId: string; delaySeconds: number }[],
  ): Promise<string[]>;
}

/** Background work on the events queue (recovery steps), grouped by workspace like its events. */
export interface TaskQueue {
  send(task: RecoveryTask, delaySeconds?: number): Promise<void>;
}

export interface EventPublisher {
  publish(message: EventMessageIn): Promise<void>;
}

/** One signed POST: the sender enforces the URL rules at connect time and the 5-second budget. */
export interface Sender {
  send(request: { url: string; headers: Record<string, string>; body: string }): Promise<AttemptOutcome>;
}

/**
 * Opens what a webhook keeps encrypted — its secrets, its custom headers — given the ciphertext and
 * its context (records.ts); the adapter caches per container, keyed by both.
 */
export type SecretResolver = (ciphertext: string, context: string) => Promise<string>;
