import { MAX_RETRY_DELAY_SECONDS } from '../resources.ts';

/**
 * Retry policy: pure functions with `random` passed in, so tests are exact.
 */

/** Longest single hop (see MAX_RETRY_DELAY_SECONDS: SQS's 12-hour cap, less a margin). */
export const MAX_DELAY_SECONDS = MAX_RETRY_DELAY_SECONDS;
export const JITTER = 0.2;

/** Parses a comma-separated list of positive whole seconds, e.g. "5,300,1800". */
export function parseRetrySchedule(text: string): number[] {
  const parts = text.split(',').map((part) => part.trim());
  if (parts.length === 0 || parts.some((part) => !/^\d+$/.test(part))) {
    throw new Error(`retry schedule must be comma-separated whole seconds, got ${JSON.stringify(text)}`);
  }
  const delays = parts.map(Number);
  if (delays.some((delay) => delay < 1 || delay > MAX_DELAY_SECONDS)) {
    throw new Error(`each retry delay must be between 1 and ${MAX_DELAY_SECONDS} seconds`);
  }
  return delays;
}

/** Total attempts a schedule allows: the first one plus one per delay. */
export function maxAttempts(schedule: readonly number[]): number {
  return schedule.length + 1;
}

/**
 * Delay before the next attempt, after `attemptsMade` attempts, or null when none is left.
 * Each delay gets ±20 % jitter; a receiver's `Retry-After` (429/503) is honoured, clamped between
 * the scheduled delay and 12 hours.
 */
export function nextRetryDelay(options: {
  schedule: readonly number[];
  attemptsMade: number;
  random: () => number;
  retryAfterSeconds?: number | null;
}): number | null {
  const scheduled = options.schedule[options.attemptsMade - 1];
  if (scheduled === undefined) return null;
  const jittered = Math.round(scheduled * (1 - JITTER + 2 * JITTER * options.random()));
  const base = Math.max(1, Math.min(MAX_DELAY_SECONDS, jittered));
  const retryAfter = options.retryAfterSeconds;
  if (retryAfter != null && Number.isFinite(retryAfter)) {
    return Math.min(MAX_DELAY_SECONDS, Math.max(base, Math.ceil(retryAfter)));
  }
  return base;
}

/** Reads a `Retry-After` header: delta-seconds or an HTTP date. */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | null {
  if (!value) return null;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return null;
  return Math.max(0, Math.ceil((date - nowMs) / 1000));
}

/**
 * Delay before a message whose processing failed (not a failed attempt: an error of ours or AWS's)
 * comes back. Receives are limited by the queue's maxReceiveCount, so it backs off.
 */
export function errorRetryDelay(receiveCount: number): number {
  return Math.min(180, 10 * Math.max(1, receiveCount));
}
