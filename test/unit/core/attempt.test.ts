import fc from 'fast-check';
import {
  type AttemptDecision,
  type AttemptOutcome,
  decideAfterAttempt,
  isSuccess,
  recordAttempt,
  stopDelivery,
} from '../../../functions/core/attempt.ts';
import { MAX_RESPONSE_BODY_BYTES } from '../../../functions/core/deliveries.ts';
import { deliveryRecord, response } from '../support/fakes.ts';

const NOW = Date.parse('2024-05-01T12:00:00.000Z');
const schedule = [5, 300, 1800];
const half = () => 0.5;

describe('isSuccess', () => {
  it.each([200, 201, 202, 204, 226, 299])('%i is a success', (status) => {
    expect(isSuccess(response(status))).toBe(true);
  });

  it.each([100, 199, 300, 301, 302, 304, 307, 308, 400, 404, 410, 429, 500, 503])(
    '%i is a failure',
    (status) => {
      expect(isSuccess(response(status))).toBe(false);
    },
  );

  it('a network error or timeout is a failure', () => {
    expect(isSuccess({ kind: 'error', error: 'timeout after 5000 ms' })).toBe(false);
  });

  it('is true exactly for 2xx statuses', () => {
    fc.assert(
      fc.property(fc.integer({ min: 100, max: 599 }), (status) => {
        expect(isSuccess(response(status))).toBe(status >= 200 && status <= 299);
      }),
    );
  });
});

describe('decideAfterAttempt', () => {
  const decide = (outcome: AttemptOutcome, attemptsMade: number) =>
    decideAfterAttempt({ outcome, attemptsMade, schedule, nowMs: NOW, random: half });

  it('is success on a 2xx, even after the last attempt', () => {
    expect(decide(response(200), 1)).toEqual({ status: 'success' });
    expect(decide(response(204), 4)).toEqual({ status: 'success' });
  });

  it('is pending with the scheduled delay after a failure with retries left', () => {
    expect(decide(response(500), 1)).toEqual({ status: 'pending', delaySeconds: 5 });
    expect(decide(response(302), 2)).toEqual({ status: 'pending', delaySeconds: 300 });
    expect(decide({ kind: 'error', error: 'ECONNREFUSED' }, 3)).toEqual({
      status: 'pending',
      delaySeconds: 1800,
    });
  });

  it('applies jitter through the random passed in', () => {
    const outcome = response(500);
    expect(decideAfterAttempt({ outcome, attemptsMade: 2, schedule, nowMs: NOW, random: () => 0 })).toEqual({
      status: 'pending',
      delaySeconds: 240,
    });
  });

  it('is failed after the last attempt', () => {
    expect(decide(response(500), 4)).toEqual({ status: 'failed' });
    expect(decide({ kind: 'error', error: 'timeout' }, 4)).toEqual({ status: 'failed' });
    expect(decide(response(429, '', '60'), 4)).toEqual({ status: 'failed' });
  });

  it.each([429, 503])('honours Retry-After (seconds) on %i', (status) => {
    expect(decide(response(status, '', '120'), 1)).toEqual({ status: 'pending', delaySeconds: 120 });
  });

  it('honours Retry-After given as an HTTP date', () => {
    const retryAfter = new Date(NOW + 600_000).toUTCString();
    expect(decide(response(503, '', retryAfter), 1)).toEqual({ status: 'pending', delaySeconds: 600 });
  });

  it.each([500, 502, 504, 400, 301])('ignores Retry-After on %i', (status) => {
    expect(decide(response(status, '', '120'), 1)).toEqual({ status: 'pending', delaySeconds: 5 });
  });

  it('keeps the scheduled delay when Retry-After is shorter, and caps it at 12 h', () => {
    expect(decide(response(429, '', '1'), 2)).toEqual({ status: 'pending', delaySeconds: 300 });
    // 12 hours less a 5-minute margin: SQS counts its 12-hour cap from the message's receipt.
    expect(decide(response(429, '', '999999'), 1)).toEqual({ status: 'pending', delaySeconds: 42900 });
  });
});

describe('recordAttempt', () => {
  const pending: AttemptDecision = { status: 'pending', delaySeconds: 300 };

  it('records a success', () => {
    const before = deliveryRecord({ attempts: 0 });
    const after = recordAttempt(before, response(200, 'thanks'), { status: 'success' }, NOW);
    expect(after).toEqual({
      ...before,
      status: 'success',
      attempts: 1,
      response_status: 200,
      response_body: 'thanks',
      error: null,
      last_attempt_at: '2024-05-01T12:00:00.000Z',
      next_attempt_at: null,
      dead_lettered_at: null,
    });
  });

  it('records a failed response with the time of the next attempt', () => {
    const before = deliveryRecord({ attempts: 2, error: 'old error' });
    const after = recordAttempt(before, response(500, 'oops'), pending, NOW);
    expect(after).toMatchObject({
      status: 'pending',
      attempts: 3,
      response_status: 500,
      response_body: 'oops',
      error: null,
      last_attempt_at: '2024-05-01T12:00:00.000Z',
      next_attempt_at: '2024-05-01T12:05:00.000Z',
      dead_lettered_at: null,
    });
  });

  it('records a network error with no response', () => {
    const before = deliveryRecord({ attempts: 1, response_status: 500, response_body: 'old' });
    const after = recordAttempt(before, { kind: 'error', error: 'connect ECONNREFUSED' }, pending, NOW);
    expect(after).toMatchObject({
      status: 'pending',
      attempts: 2,
      response_status: null,
      response_body: null,
      error: 'connect ECONNREFUSED',
    });
  });

  it('sets dead_lettered_at only when the delivery failed for good', () => {
    const before = deliveryRecord({ attempts: 3 });
    const failed = recordAttempt(before, response(500), { status: 'failed' }, NOW);
    expect(failed).toMatchObject({
      status: 'failed',
      attempts: 4,
      next_attempt_at: null,
      dead_lettered_at: '2024-05-01T12:00:00.000Z',
    });
    expect(recordAttempt(before, response(500), pending, NOW).dead_lettered_at).toBeNull();
    expect(recordAttempt(before, response(200), { status: 'success' }, NOW).dead_lettered_at).toBeNull();
  });

  it('clears dead_lettered_at when a redriven delivery succeeds', () => {
    const before = deliveryRecord({
      status: 'failed',
      attempts: 4,
      dead_lettered_at: '2024-04-30T00:00:00.000Z',
    });
    expect(recordAttempt(before, response(200), { status: 'success' }, NOW)).toMatchObject({
      status: 'success',
      attempts: 5,
      dead_lettered_at: null,
    });
  });

  it('keeps identity fields untouched', () => {
    const before = deliveryRecord();
    const after = recordAttempt(before, response(500), pending, NOW);
    for (const field of [
      'id',
      'webhook_id',
      'workspace_id',
      'event_type',
      'event_id',
      'created_at',
    ] as const) {
      expect(after[field]).toBe(before[field]);
    }
    expect(after.expires_at).toBe(before.expires_at);
    expect(before.attempts).toBe(0);
  });

  it('truncates the response body to 4 KiB', () => {
    const after = recordAttempt(deliveryRecord(), response(500, 'x'.repeat(10_000)), pending, NOW);
    expect(after.response_body).toBe('x'.repeat(MAX_RESPONSE_BODY_BYTES));
  });

  it('never splits a UTF-8 character when truncating', () => {
    // 4095 ASCII bytes, then a 2-byte character straddling the 4096-byte limit.
    const body = `${'a'.repeat(4095)}é and more`;
    const after = recordAttempt(deliveryRecord(), response(500, body), pending, NOW);
    expect(after.response_body).toBe('a'.repeat(4095));
  });

  it('keeps any body within 4 KiB of UTF-8 and as a prefix of the original', () => {
    const textArb = fc.string({ unit: 'grapheme', maxLength: 3000 });
    fc.assert(
      fc.property(textArb, (text) => {
        const body = Buffer.from(text, 'utf8');
        const kept = recordAttempt(
          deliveryRecord(),
          { kind: 'response', status: 500, body },
          pending,
          NOW,
        ).response_body;
        expect(kept).not.toBeNull();
        const keptText = kept ?? '';
        expect(Buffer.byteLength(keptText, 'utf8')).toBeLessThanOrEqual(MAX_RESPONSE_BODY_BYTES);
        expect(text.startsWith(keptText)).toBe(true);
        if (body.length <= MAX_RESPONSE_BODY_BYTES) expect(keptText).toBe(text);
        // At most one character (≤ 4 bytes) is dropped at the cut.
        else expect(Buffer.byteLength(keptText, 'utf8')).toBeGreaterThan(MAX_RESPONSE_BODY_BYTES - 4);
      }),
    );
  });
});

describe('stopDelivery', () => {
  it('marks the delivery failed with the reason and no next attempt, without counting an attempt', () => {
    const before = deliveryRecord({
      attempts: 2,
      next_attempt_at: '2024-05-01T13:00:00.000Z',
      response_status: 500,
    });
    expect(stopDelivery(before, 'webhook paused')).toEqual({
      ...before,
      status: 'failed',
      error: 'webhook paused',
      next_attempt_at: null,
    });
  });
});
