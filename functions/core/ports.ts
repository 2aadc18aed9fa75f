/**
 * The ports the core depends on; adapters/<technology>/ implement them.
 */
import type { ApiKeyRecord } from './api-keys.ts';
import type { AttemptOutcome } from './attempt.ts';
import type { DeliveryMessage, DeliveryRecord, DeliveryStatus, EventRecord } from './deliveries.ts';
import type { EventMessageIn } from './events.ts';
import type { WebhookRecord } from './webhooks.ts';

export interface WebhookStore {
  /** All webhooks of a workspace (at most the per-workspace limit). */
  list(workspaceId: string): Promise<WebhookRecord[]>;
  get(workspaceId: string, id: string): Promise<WebhookRecord | null>;
  /** Creates the webhook unless the workspace already holds `maxPerWorkspace` (LimitExceededError). */
  create(record: WebhookRecord, maxPerWorkspace: number): Promise<void>;
  /** Replaces the mutable fields of an existing webhook; false when it does not exist. */
  update(record: WebhookRecord): Promise<boolean>;
  /** false when it did not exist. */
  delete(workspaceId: string, id: string): Promise<boolean>;
}

export interface DeliveryPage {
  items: DeliveryRecord[];
  /** Id to pass as `before` for the next (older) page, when more exist. */
  nextCursor: string | null;
}

export interface DeliveryStore {
  /** Writes the delivery unless one with the same id exists; false when it did. */
  createIfAbsent(record: DeliveryRecord): Promise<boolean>;
  get(webhookId: string, id: string, nowMs: number): Promise<DeliveryRecord | null>;
  /**
   * Saves the outcome of an attempt, only if no other attempt was recorded meanwhile
   * (`attempts` still equals `expectedAttempts`); false otherwise.
   */
  saveAttempt(record: DeliveryRecord, expectedAttempts: number): Promise<boolean>;
  list(
    webhookId: string,
    options: { limit: number; status?: DeliveryStatus; before?: string; nowMs: number },
  ): Promise<DeliveryPage>;
}

export interface EventStore {
  /** Stores the event unless its id is already stored; returns the stored one either way. */
  putIfAbsent(record: EventRecord): Promise<{ record: EventRecord; created: boolean }>;
  get(workspaceId: string, id: string, nowMs: number): Promise<EventRecord | null>;
  markFannedOut(workspaceId: string, id: string, at: string): Promise<void>;
  /** Takes over an expired fan-out lease (conditional on the lease seen); false if someone else did. */
  renewLease(
    workspaceId: string,
    id: string,
    seenLeaseUntil: number | undefined,
    leaseUntil: number,
  ): Promise<boolean>;
  getMany(workspaceId: string, ids: string[], nowMs: number): Promise<Map<string, EventRecord>>;
}

export interface ApiKeyStore {
  findByHash(keyHash: string): Promise<ApiKeyRecord | null>;
  create(record: ApiKeyRecord): Promise<void>;
  listByWorkspace(workspaceId: string): Promise<ApiKeyRecord[]>;
  findById(workspaceId: string, id: string): Promise<ApiKeyRecord | null>;
  /** Sets `revoked_at` unless already revoked; returns the revoked record, or null if it already was. */
  revoke(keyHash: string, revokedAt: string): Promise<ApiKeyRecord | null>;
  touch(keyHash: string, usedAt: string): Promise<void>;
}

export interface RateLimitState {
  limit: number;
  remaining: number;
  /** Unix seconds at which the window resets. */
  resetAt: number;
  exceeded: boolean;
}

export interface RateLimiter {
  hit(subject: string, nowMs: number, limitPerMinute: number): Promise<RateLimitState>;
}

/** Encrypts webhook secrets at rest; `context` binds a ciphertext to its webhook. */
export interface SecretBox {
  encrypt(plaintext: string, context: string): Promise<string>;
  decrypt(ciphertext: string, context: string): Promise<string>;
}

export interface DeliveryQueue {
  enqueue(messages: DeliveryMessage[]): Promise<void>;
}

export interface EventPublisher {
  publish(message: EventMessageIn): Promise<void>;
}

/** One signed POST: the sender enforces the URL rules at connect time and the 5-second budget. */
export interface Sender {
  send(request: { url: string; headers: Record<string, string>; body: string }): Promise<AttemptOutcome>;
}

/** The decrypted secret of a webhook (cached per container by the adapter). */
export type SecretResolver = (webhook: WebhookRecord) => Promise<string>;
