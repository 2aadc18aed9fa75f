import type { RateLimitState } from './ports.ts';

/** Fixed one-minute windows (contract §1: 30 requests per minute per key). */
export const RATE_LIMIT_WINDOW_SECONDS = 60;

/** Unix seconds at which the window containing `nowMs` starts. */
export function rateLimitWindowStart(nowMs: number): number {
  return Math.floor(nowMs / 1000 / RATE_LIMIT_WINDOW_SECONDS) * RATE_LIMIT_WINDOW_SECONDS;
}

/** The headers' state for a request no key was counted for (it had no valid key). */
export function uncountedRateLimitState(nowMs: number, limit: number): RateLimitState {
  return {
    limit,
    remaining: limit,
    resetAt: rateLimitWindowStart(nowMs) + RATE_LIMIT_WINDOW_SECONDS,
    exceeded: false,
  };
}
