import { type DeliveryRecord, truncateBody } from './deliveries.ts';
import { nextRetryDelay, parseRetryAfter } from './retry.ts';

/** Whole-attempt budget: connect + response headers + body (contract §5). */
export const ATTEMPT_TIMEOUT_MS = 5000;

/** What one HTTP attempt produced, as the sender reports it. */
export type AttemptOutcome =
  | { kind: 'response'; status: number; body: Buffer; retryAfter?: string }
  | { kind: 'error'; error: string };

/** Success is a 2xx in time; anything else (other status, redirect, timeout, TLS/network error) fails. */
export function isSuccess(outcome: AttemptOutcome): boolean {
  return outcome.kind === 'response' && outcome.status >= 200 && outcome.status < 300;
}

export type AttemptDecision =
  | { status: 'success' }
  | { status: 'pending'; delaySeconds: number }
  | { status: 'failed' };

/** After `attemptsMade` attempts, the last with `outcome`: delivered, retry after N s, or give up. */
export function decideAfterAttempt(options: {
  outcome: AttemptOutcome;
  attemptsMade: number;
  schedule: readonly number[];
  nowMs: number;
  random: () => number;
}): AttemptDecision {
  const { outcome } = options;
  if (isSuccess(outcome)) return { status: 'success' };
  // Retry-After is honoured on 429 and 503 only (contract §5).
  const retryAfterSeconds =
    outcome.kind === 'response' && (outcome.status === 429 || outcome.status === 503)
      ? parseRetryAfter(outcome.retryAfter, options.nowMs)
      : null;
  const delaySeconds = nextRetryDelay({
    schedule: options.schedule,
    attemptsMade: options.attemptsMade,
    random: options.random,
    retryAfterSeconds,
  });
  return delaySeconds === null ? { status: 'failed' } : { status: 'pending', delaySeconds };
}

/** The delivery record after an attempt: attempts, response, error, last and next attempt time. */
export function recordAttempt(
  delivery: DeliveryRecord,
  outcome: AttemptOutcome,
  decision: AttemptDecision,
  nowMs: number,
): DeliveryRecord {
  return {
    ...delivery,
    status: decision.status,
    attempts: delivery.attempts + 1,
    response_status: outcome.kind === 'response' ? outcome.status : null,
    response_body: outcome.kind === 'response' ? truncateBody(outcome.body) : null,
    error: outcome.kind === 'error' ? outcome.error : null,
    last_attempt_at: new Date(nowMs).toISOString(),
    next_attempt_at:
      decision.status === 'pending' ? new Date(nowMs + decision.delaySeconds * 1000).toISOString() : null,
    dead_lettered_at: decision.status === 'failed' ? new Date(nowMs).toISOString() : null,
  };
}

/** A delivery stopped without an attempt (webhook paused or deleted, event expired). */
export function stopDelivery(delivery: DeliveryRecord, reason: string): DeliveryRecord {
  return { ...delivery, status: 'failed', error: reason, next_attempt_at: null };
}
