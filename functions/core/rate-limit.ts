import type { RateLimitRule, RateLimitState } from './ports.ts';

/**
 * Rate limits as a GCRA (generic cell rate algorithm, a token bucket kept as one number): a budget of
 * `limit` requests refills evenly over `periodSeconds` (one every `period / limit`). A burst may spend
 * the whole budget at once, then requests pass at the refill rate — so no window edge ever admits
 * twice the budget, as fixed windows did (30 at 0:59.9 and 30 more at 1:00.1). A client that keeps
 * to `limit` per period is never refused. Pure: the adapter stores the one number (`tatMs`, the
 * "theoretical arrival time": when the budget would be whole again) and applies these decisions with
 * conditional writes.
 */

/** The per-key period (contract §1: per minute). */
export const RATE_LIMIT_WINDOW_SECONDS = 60;

/** Milliseconds between two requests at the refill rate. */
export function emissionIntervalMs(rule: RateLimitRule): number {
  return (rule.periodSeconds * 1000) / rule.limit;
}

/** The highest stored time at which one more request still passes at `nowMs`. */
export function admitsUpTo(nowMs: number, rule: RateLimitRule): number {
  return nowMs + rule.periodSeconds * 1000 - emissionIntervalMs(rule);
}

/** The stored time after a request admitted at `nowMs` (`tatMs` null: never seen, or idle). */
export function nextTat(tatMs: number | null, nowMs: number, rule: RateLimitRule): number {
  return Math.max(tatMs ?? nowMs, nowMs) + emissionIntervalMs(rule);
}

/** Whether a request at `nowMs` passes, given the stored time. */
export function admits(tatMs: number | null, nowMs: number, rule: RateLimitRule): boolean {
  return tatMs === null || tatMs <= admitsUpTo(nowMs, rule);
}

/**
 * What the headers say at `nowMs` with `tatMs` stored after the request: how many more would pass
 * now, when the budget is whole again (`resetAt`), and, if this one was refused, when the next passes.
 */
export function rateLimitState(
  tatMs: number,
  nowMs: number,
  rule: RateLimitRule,
  exceeded: boolean,
): RateLimitState {
  const interval = emissionIntervalMs(rule);
  const room = nowMs + rule.periodSeconds * 1000 - tatMs;
  // A hair of float slack, so 60 000 / 30 steps count whole.
  const remaining = Math.min(rule.limit, Math.max(0, Math.floor(room / interval + 1e-9)));
  return {
    limit: rule.limit,
    remaining,
    resetAt: Math.ceil(Math.max(tatMs, nowMs) / 1000),
    exceeded,
    retryAfterSeconds: exceeded ? Math.max(1, Math.ceil((tatMs - admitsUpTo(nowMs, rule)) / 1000)) : 0,
  };
}

/** The decision for one request, in memory (the adapters' reference, and the fakes' of the tests). */
export function decide(
  tatMs: number | null,
  nowMs: number,
  rule: RateLimitRule,
): { tatMs: number | null; state: RateLimitState } {
  if (!admits(tatMs, nowMs, rule)) {
    const stored = tatMs ?? nowMs;
    return { tatMs, state: rateLimitState(stored, nowMs, rule, true) };
  }
  const next = nextTat(tatMs, nowMs, rule);
  return { tatMs: next, state: rateLimitState(next, nowMs, rule, false) };
}

/** The headers' state for a request no key was counted for (it had no valid key): a whole budget. */
export function uncountedRateLimitState(nowMs: number, limit: number): RateLimitState {
  return {
    limit,
    remaining: limit,
    resetAt: Math.ceil(nowMs / 1000),
    exceeded: false,
    retryAfterSeconds: 0,
  };
}

/**
 * One answer from a key's state and its workspace's (the ceiling across all its keys): the headers
 * keep the key's limit (contract §1) and show what is left under both; refused when either refuses.
 */
export function combineRateLimitStates(key: RateLimitState, workspace: RateLimitState): RateLimitState {
  const binding = workspace.exceeded || workspace.remaining < key.remaining ? workspace : key;
  return {
    limit: key.limit,
    remaining: Math.min(key.remaining, workspace.remaining),
    resetAt: binding.resetAt,
    exceeded: key.exceeded || workspace.exceeded,
    retryAfterSeconds: Math.max(
      key.exceeded ? key.retryAfterSeconds : 0,
      workspace.exceeded ? workspace.retryAfterSeconds : 0,
    ),
  };
}
