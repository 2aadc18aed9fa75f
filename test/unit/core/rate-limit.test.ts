import fc from 'fast-check';
import type { RateLimitRule } from '../../../functions/core/ports.ts';
import {
  combineRateLimitStates,
  decide,
  emissionIntervalMs,
  uncountedRateLimitState,
} from '../../../functions/core/rate-limit.ts';

const PER_KEY: RateLimitRule = { limit: 30, periodSeconds: 60 };
const T0 = Date.parse('2026-11-30T12:00:00.000Z');

/** Runs requests at the given times through one budget; the statuses, in order. */
function run(times: number[], rule = PER_KEY) {
  let tat: number | null = null;
  return times.map((now) => {
    const decision = decide(tat, now, rule);
    tat = decision.tatMs;
    return decision.state;
  });
}
const admitted = (times: number[], rule = PER_KEY) => run(times, rule).filter((s) => !s.exceeded).length;

describe('the rate limit (GCRA)', () => {
  it('admits a burst of the whole budget, then refuses the next with Retry-After, headers exact', () => {
    const states = run(Array.from({ length: 31 }, () => T0));
    expect(states.slice(0, 30).map((s) => s.remaining)).toEqual(Array.from({ length: 30 }, (_, i) => 29 - i));
    expect(states.slice(0, 30).every((s) => !s.exceeded && s.limit === 30)).toBe(true);
    // Whole again 2 s per request spent: after i+1 requests, (i+1) × 2 s from now.
    expect(states.slice(0, 30).map((s) => s.resetAt)).toEqual(
      Array.from({ length: 30 }, (_, i) => T0 / 1000 + 2 * (i + 1)),
    );
    expect(states[30]).toEqual({
      limit: 30,
      remaining: 0,
      resetAt: T0 / 1000 + 60,
      exceeded: true,
      retryAfterSeconds: 2,
    });
  });

  it('does not admit a second budget across a minute boundary (fixed windows admitted 60 in 0.2 s)', () => {
    const before = Array.from({ length: 30 }, () => T0 + 59_900);
    const after = Array.from({ length: 30 }, () => T0 + 60_100);
    expect(admitted([...before, ...after])).toBe(30);
  });

  it('never refuses a client that keeps to 30 a minute, bursts included', () => {
    // A burst of 30 every minute on the minute, for ten minutes.
    const times = Array.from({ length: 10 }, (_, minute) =>
      Array.from({ length: 30 }, () => T0 + minute * 60_000),
    ).flat();
    expect(admitted(times)).toBe(300);
    // Evenly paced, one every 2 s.
    expect(admitted(Array.from({ length: 300 }, (_, i) => T0 + i * 2000))).toBe(300);
  });

  it('refills one request per interval', () => {
    const spent = Array.from({ length: 30 }, () => T0);
    expect(admitted([...spent, T0 + 1999])).toBe(30);
    expect(admitted([...spent, T0 + 2000])).toBe(31);
    expect(admitted([...spent, T0 + 2000, T0 + 2000])).toBe(31);
  });

  it('admits at most the budget plus one per interval elapsed, in any span (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 180_000 }), { minLength: 1, maxLength: 200 }),
        fc.integer({ min: 1, max: 60_000 }),
        (offsets, span) => {
          const times = offsets.map((o) => T0 + o).sort((a, b) => a - b);
          const states = run(times);
          const passed = times.filter((_, i) => !states[i]?.exceeded);
          const interval = emissionIntervalMs(PER_KEY);
          for (const start of passed) {
            const inSpan = passed.filter((t) => t >= start && t < start + span).length;
            expect(inSpan).toBeLessThanOrEqual(PER_KEY.limit + Math.floor(span / interval));
          }
        },
      ),
    );
  });

  it('counts other budgets by their own rule (the workspace ceiling, key creation)', () => {
    expect(
      admitted(
        Array.from({ length: 130 }, () => T0),
        { limit: 120, periodSeconds: 60 },
      ),
    ).toBe(120);
    const perHour = { limit: 10, periodSeconds: 3600 };
    const states = run(
      Array.from({ length: 11 }, () => T0),
      perHour,
    );
    expect(states.filter((s) => !s.exceeded)).toHaveLength(10);
    expect(states[10]?.retryAfterSeconds).toBe(360);
  });

  it('shows a whole budget for requests it did not count', () => {
    expect(uncountedRateLimitState(T0 + 400, 30)).toEqual({
      limit: 30,
      remaining: 30,
      resetAt: T0 / 1000 + 1,
      exceeded: false,
      retryAfterSeconds: 0,
    });
  });

  it('combines a key and its workspace: the key’s limit, the smaller remainder, refused by either', () => {
    const key = { limit: 30, remaining: 20, resetAt: 100, exceeded: false, retryAfterSeconds: 0 };
    const roomy = { limit: 120, remaining: 90, resetAt: 50, exceeded: false, retryAfterSeconds: 0 };
    expect(combineRateLimitStates(key, roomy)).toEqual(key);
    const tight = { limit: 120, remaining: 5, resetAt: 130, exceeded: false, retryAfterSeconds: 0 };
    expect(combineRateLimitStates(key, tight)).toEqual({ ...key, remaining: 5, resetAt: 130 });
    const spent = { limit: 120, remaining: 0, resetAt: 160, exceeded: true, retryAfterSeconds: 1 };
    expect(combineRateLimitStates(key, spent)).toEqual({
      limit: 30,
      remaining: 0,
      resetAt: 160,
      exceeded: true,
      retryAfterSeconds: 1,
    });
  });
});
