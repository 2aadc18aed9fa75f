import fc from 'fast-check';
import {
  type AttemptDecision,
  type AttemptOutcome,
  attemptRow,
  decideAfterAttempt,
  isSuccess,
} from '../../../functions/core/attempt.ts';
import {
  type DeliveryState,
  MAX_RESPONSE_BODY_BYTES,
  newDeliveryState,
  stopRow,
} from '../../../functions/core/deliveries.ts';
import { response } from '../support/fakes.ts';

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

function state(overrides: Partial<DeliveryState> = {}): DeliveryState {
  return {
    ...newDeliveryState({
      deliveryId: 'dlv_01HX0000000000000000000000',
      workspaceId: 'ws_1',
      webhookId: 'wh_1',
      eventType: 'lookup.completed',
      eventKey: '01HX000000ABCDEFGHJK',
      eventId: 'evt_1',
      createdAt: '2024-05-01T11:59:00.000Z',
    }),
    ...overrides,
  };
}
const at = (extra: Partial<Parameters<typeof attemptRow>[3]> = {}) => ({
  startedMs: NOW,
  durationMs: 120,
  messageId: 'm1',
  deadLetterOnFailure: true,
  ...extra,
});

describe('attemptRow', () => {
  const pending: AttemptDecision = { status: 'pending', delaySeconds: 300 };

  it('records a success as the next row, counting the attempt in the run and overall', () => {
    const row = attemptRow(state(), response(200, 'thanks'), { status: 'success' }, at({ signature: 'abc' }));
    expect(row).toEqual({
      webhook_id: 'wh_1',
      id: 'dlv_01HX0000000000000000000000#001',
      workspace_id: 'ws_1',
      kind: 'attempt',
      seq: 1,
      run: 1,
      run_attempts: 1,
      attempts: 1,
      event_type: 'lookup.completed',
      event_key: '01HX000000ABCDEFGHJK',
      event_id: 'evt_1',
      created_at: '2024-05-01T11:59:00.000Z',
      status: 'success',
      response_status: 200,
      response_body: 'thanks',
      last_attempt_at: '2024-05-01T12:00:00.000Z',
      duration_ms: 120,
      signature: 'abc',
      message_id: 'm1',
      expires_at: Math.floor(Date.parse('2024-05-01T11:59:00.000Z') / 1000) + 30 * 86_400,
    });
  });

  it('records a failed response with the time of the next attempt, measured from its end', () => {
    const before = state({ seq: 2, attempts: 2, runAttempts: 2, error: 'old error' });
    const row = attemptRow(before, response(500, 'oops'), pending, at());
    expect(row).toMatchObject({
      id: 'dlv_01HX0000000000000000000000#003',
      status: 'pending',
      attempts: 3,
      run_attempts: 3,
      response_status: 500,
      response_body: 'oops',
      next_attempt_at: new Date(NOW + 120 + 300_000).toISOString(),
    });
    expect(row.error).toBeUndefined();
  });

  it('records a network error with no response', () => {
    const before = state({ seq: 1, attempts: 1, runAttempts: 1, responseStatus: 500, responseBody: 'old' });
    const row = attemptRow(before, { kind: 'error', error: 'connect ECONNREFUSED' }, pending, at());
    expect(row).toMatchObject({ status: 'pending', attempts: 2, error: 'connect ECONNREFUSED' });
    expect(row.response_status).toBeUndefined();
    expect(row.response_body).toBeUndefined();
  });

  it('marks the row dead-lettered only when a queued delivery failed for good', () => {
    const before = state({ seq: 3, attempts: 3, runAttempts: 3 });
    expect(attemptRow(before, response(500), { status: 'failed' }, at())).toMatchObject({
      status: 'failed',
      dead_lettered: true,
    });
    expect(attemptRow(before, response(500), pending, at()).dead_lettered).toBeUndefined();
    expect(attemptRow(before, response(200), { status: 'success' }, at()).dead_lettered).toBeUndefined();
    // A test's one attempt never goes to a queue.
    expect(
      attemptRow(before, response(500), { status: 'failed' }, at({ deadLetterOnFailure: false }))
        .dead_lettered,
    ).toBeUndefined();
  });

  it('starts a resend’s run count afresh but keeps counting attempts overall', () => {
    const resent = state({ seq: 5, attempts: 4, run: 2, runAttempts: 0 });
    expect(attemptRow(resent, response(500), pending, at())).toMatchObject({
      seq: 6,
      run: 2,
      run_attempts: 1,
      attempts: 5,
    });
  });

  it('truncates the response body to 4 KiB', () => {
    const row = attemptRow(state(), response(500, 'x'.repeat(10_000)), pending, at());
    expect(row.response_body).toBe('x'.repeat(MAX_RESPONSE_BODY_BYTES));
  });

  it('never splits a UTF-8 character when truncating', () => {
    // 4095 ASCII bytes, then a 2-byte character straddling the 4096-byte limit.
    const body = `${'a'.repeat(4095)}é and more`;
    expect(attemptRow(state(), response(500, body), pending, at()).response_body).toBe('a'.repeat(4095));
  });

  it('keeps any body within 4 KiB of UTF-8 and as a prefix of the original', () => {
    const textArb = fc.string({ unit: 'grapheme', maxLength: 3000 });
    fc.assert(
      fc.property(textArb, (text) => {
        const body = Buffer.from(text, 'utf8');
        const kept = attemptRow(
          state(),
          { kind: 'response', status: 500, body },
          pending,
          at(),
        ).response_body;
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

describe('stopRow', () => {
  it('marks the delivery failed with the reason, carrying the last attempt forward, without counting one', () => {
    const before = state({
      seq: 2,
      attempts: 2,
      runAttempts: 2,
      nextAttemptAt: '2024-05-01T13:00:00.000Z',
      responseStatus: 500,
    });
    const row = stopRow(before, 'webhook paused', 'm7');
    expect(row).toMatchObject({
      id: 'dlv_01HX0000000000000000000000#003',
      kind: 'stop',
      status: 'failed',
      error: 'webhook paused',
      attempts: 2,
      response_status: 500,
      message_id: 'm7',
    });
    expect(row.next_attempt_at).toBeUndefined();
  });
});
