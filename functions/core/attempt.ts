import { type DeliveryState, nextRow, truncateBody } from './deliveries.ts';
import type { DeliveryRow } from './records.ts';
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

/** The log row an attempt appends: its outcome, and the delivery's state after it. */
export function attemptRow(
  state: DeliveryState,
  outcome: AttemptOutcome,
  decision: AttemptDecision,
  attempt: {
    startedMs: number;
    durationMs: number;
    signature?: string;
    webhookSignature?: string;
    timestampSeconds?: number;
    messageId?: string;
    /** A queued delivery's last failure sends its message to the dead-letter queue (a test's does not). */
    deadLetterOnFailure?: boolean;
  },
): DeliveryRow {
  return nextRow(state, {
    kind: 'attempt',
    status: decision.status,
    run_attempts: state.runAttempts + 1,
    attempts: state.attempts + 1,
    response_status: outcome.kind === 'response' ? outcome.status : undefined,
    response_body: outcome.kind === 'response' ? truncateBody(outcome.body) : undefined,
    error: outcome.kind === 'error' ? outcome.error : undefined,
    last_attempt_at: new Date(attempt.startedMs).toISOString(),
    next_attempt_at:
      decision.status === 'pending'
        ? new Date(attempt.startedMs + attempt.durationMs + decision.delaySeconds * 1000).toISOString()
        : undefined,
    duration_ms: Math.round(attempt.durationMs),
    signature: attempt.signature,
    webhook_signature: attempt.webhookSignature,
    webhook_timestamp: attempt.timestampSeconds,
    message_id: attempt.messageId,
    dead_lettered: attempt.deadLetterOnFailure && decision.status === 'failed' ? true : undefined,
  });
}
