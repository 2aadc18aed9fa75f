import fc from 'fast-check';
import {
  JITTER,
  MAX_DELAY_SECONDS,
  maxAttempts,
  nextRetryDelay,
  parseRetryAfter,
  parseRetrySchedule,
} from '../../../functions/core/retry.ts';
import { DEFAULT_RETRY_SCHEDULE_SECONDS } from '../../../functions/resources.ts';

const ALMOST_ONE = 1 - Number.EPSILON;

describe('parseRetrySchedule', () => {
  it.each([
    ['5,300,1800', [5, 300, 1800]],
    ['5', [5]],
    [' 5 , 10 ,20 ', [5, 10, 20]],
    ['1,42900', [1, 42900]],
    ['5,300,1800,7200,18000,36000,36000', [...DEFAULT_RETRY_SCHEDULE_SECONDS]],
  ])('parses %j', (text, expected) => {
    expect(parseRetrySchedule(text)).toEqual(expected);
  });

  it.each(['', ' ', ',', '5,', ',5', '5,,10', 'abc', '1.5', '-5', '+5', '1e3', '5;10', '5 10', '0x10'])(
    'rejects the malformed %j',
    (text) => {
      expect(() => parseRetrySchedule(text)).toThrow('retry schedule must be comma-separated whole seconds');
    },
  );

  it.each(['0', '5,0', '42901', '43200', '1,99999999'])('rejects the out-of-range %j', (text) => {
    expect(() => parseRetrySchedule(text)).toThrow('each retry delay must be between 1 and 42900 seconds');
  });

  it('round-trips any list of delays between 1 s and 12 h', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: MAX_DELAY_SECONDS }), { minLength: 1 }), (delays) => {
        expect(parseRetrySchedule(delays.join(','))).toEqual(delays);
      }),
    );
  });
});

describe('maxAttempts', () => {
  it('is the first attempt plus one per delay', () => {
    expect(maxAttempts(DEFAULT_RETRY_SCHEDULE_SECONDS)).toBe(8);
    expect(maxAttempts([5])).toBe(2);
    expect(maxAttempts([])).toBe(1);
  });
});

describe('nextRetryDelay', () => {
  const schedule = [10, 300, 1800];

  it('uses the scheduled delay of the attempt just made, without jitter at random 0.5', () => {
    expect(nextRetryDelay({ schedule, attemptsMade: 1, random: () => 0.5 })).toBe(10);
    expect(nextRetryDelay({ schedule, attemptsMade: 2, random: () => 0.5 })).toBe(300);
    expect(nextRetryDelay({ schedule, attemptsMade: 3, random: () => 0.5 })).toBe(1800);
  });

  it('applies -20 % jitter at random 0 and +20 % as random approaches 1', () => {
    expect(nextRetryDelay({ schedule, attemptsMade: 2, random: () => 0 })).toBe(240);
    expect(nextRetryDelay({ schedule, attemptsMade: 2, random: () => ALMOST_ONE })).toBe(360);
    expect(nextRetryDelay({ schedule, attemptsMade: 3, random: () => 0 })).toBe(1440);
    expect(nextRetryDelay({ schedule, attemptsMade: 3, random: () => ALMOST_ONE })).toBe(2160);
  });

  it('never answers less than one second, whatever the schedule and jitter (a 0 s retry would hammer the receiver)', () => {
    expect(nextRetryDelay({ schedule: [0], attemptsMade: 1, random: () => 0 })).toBe(1);
    expect(nextRetryDelay({ schedule: [0.4], attemptsMade: 1, random: () => ALMOST_ONE })).toBe(1);
    expect(nextRetryDelay({ schedule: [-5], attemptsMade: 1, random: () => 0.5 })).toBe(1);
  });

  it('returns null once the schedule is used up', () => {
    expect(nextRetryDelay({ schedule, attemptsMade: 4, random: () => 0.5 })).toBeNull();
    expect(nextRetryDelay({ schedule, attemptsMade: 10, random: () => 0.5 })).toBeNull();
    expect(nextRetryDelay({ schedule: [], attemptsMade: 1, random: () => 0.5 })).toBeNull();
    expect(
      nextRetryDelay({ schedule: DEFAULT_RETRY_SCHEDULE_SECONDS, attemptsMade: 7, random: () => 0.5 }),
    ).toBe(36000);
    expect(
      nextRetryDelay({ schedule: DEFAULT_RETRY_SCHEDULE_SECONDS, attemptsMade: 8, random: () => 0.5 }),
    ).toBeNull();
  });

  it('never goes below 1 second', () => {
    expect(nextRetryDelay({ schedule: [1], attemptsMade: 1, random: () => 0 })).toBe(1);
  });

  it('never goes above 12 hours, even with jitter on a 12-hour delay', () => {
    expect(nextRetryDelay({ schedule: [MAX_DELAY_SECONDS], attemptsMade: 1, random: () => ALMOST_ONE })).toBe(
      MAX_DELAY_SECONDS,
    );
  });

  it('honours a Retry-After longer than the scheduled delay', () => {
    expect(nextRetryDelay({ schedule, attemptsMade: 1, random: () => 0.5, retryAfterSeconds: 120 })).toBe(
      120,
    );
  });

  it('rounds a fractional Retry-After up', () => {
    expect(nextRetryDelay({ schedule, attemptsMade: 1, random: () => 0.5, retryAfterSeconds: 60.2 })).toBe(
      61,
    );
  });

  it('keeps the scheduled delay when Retry-After is shorter', () => {
    expect(nextRetryDelay({ schedule, attemptsMade: 2, random: () => 0.5, retryAfterSeconds: 3 })).toBe(300);
    expect(nextRetryDelay({ schedule, attemptsMade: 2, random: () => 0.5, retryAfterSeconds: 0 })).toBe(300);
  });

  it('clamps Retry-After to 12 hours', () => {
    expect(
      nextRetryDelay({ schedule, attemptsMade: 1, random: () => 0.5, retryAfterSeconds: 7 * 24 * 3600 }),
    ).toBe(MAX_DELAY_SECONDS);
  });

  it('ignores a null or non-finite Retry-After', () => {
    for (const retryAfterSeconds of [null, undefined, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(nextRetryDelay({ schedule, attemptsMade: 2, random: () => 0.5, retryAfterSeconds })).toBe(300);
    }
  });

  it('still returns null after the last attempt when a Retry-After is given', () => {
    expect(
      nextRetryDelay({ schedule, attemptsMade: 4, random: () => 0.5, retryAfterSeconds: 60 }),
    ).toBeNull();
  });

  const scheduleArb = fc.array(fc.integer({ min: 1, max: MAX_DELAY_SECONDS }), {
    minLength: 1,
    maxLength: 10,
  });
  const randomArb = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });

  it('keeps every delay within ±20 % of the schedule, at least 1 s and at most 12 h', () => {
    fc.assert(
      fc.property(scheduleArb, fc.nat(), randomArb, (delays, pick, random) => {
        const attemptsMade = (pick % delays.length) + 1;
        const scheduled = delays[attemptsMade - 1] ?? 0;
        const delay = nextRetryDelay({ schedule: delays, attemptsMade, random: () => random });
        expect(delay).not.toBeNull();
        expect(delay).toBeGreaterThanOrEqual(Math.max(1, Math.floor(scheduled * (1 - JITTER))));
        expect(delay).toBeLessThanOrEqual(Math.min(MAX_DELAY_SECONDS, Math.ceil(scheduled * (1 + JITTER))));
        expect(Number.isInteger(delay)).toBe(true);
      }),
    );
  });

  it('clamps any Retry-After between the jittered scheduled delay and 12 h', () => {
    fc.assert(
      fc.property(
        scheduleArb,
        fc.nat(),
        randomArb,
        fc.double({ min: 0, max: 1e9, noNaN: true }),
        (delays, pick, random, retryAfterSeconds) => {
          const attemptsMade = (pick % delays.length) + 1;
          const base = nextRetryDelay({ schedule: delays, attemptsMade, random: () => random }) ?? 0;
          const delay = nextRetryDelay({
            schedule: delays,
            attemptsMade,
            random: () => random,
            retryAfterSeconds,
          });
          expect(delay).toBe(Math.min(MAX_DELAY_SECONDS, Math.max(base, Math.ceil(retryAfterSeconds))));
          expect(delay).toBeLessThanOrEqual(MAX_DELAY_SECONDS);
          expect(delay).toBeGreaterThanOrEqual(base);
        },
      ),
    );
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2015-10-21T07:26:30.000Z');

  it('reads delta-seconds', () => {
    expect(parseRetryAfter('120', now)).toBe(120);
    expect(parseRetryAfter(' 7 ', now)).toBe(7);
    expect(parseRetryAfter('0', now)).toBe(0);
  });

  it('reads an HTTP date as the seconds until it', () => {
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:28:00 GMT', now)).toBe(90);
  });

  it('rounds a partial second up', () => {
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:28:00 GMT', now + 500)).toBe(90);
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:28:00 GMT', now + 1000)).toBe(89);
  });

  it('gives 0 for a date in the past', () => {
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:00:00 GMT', now)).toBe(0);
  });

  it('gives null when absent or unreadable', () => {
    expect(parseRetryAfter(undefined, now)).toBeNull();
    expect(parseRetryAfter('', now)).toBeNull();
    expect(parseRetryAfter('soon', now)).toBeNull();
    expect(parseRetryAfter('10 seconds', now)).toBeNull();
  });

  it('reads any delta-seconds value exactly', () => {
    fc.assert(
      fc.property(fc.nat(), (seconds) => {
        expect(parseRetryAfter(String(seconds), now)).toBe(seconds);
      }),
    );
  });
});
