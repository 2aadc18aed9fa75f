/** Small pure parts at their boundaries: paging limits, body truncation, state mapping, rate-limit windows, signing material. */
import {
  MAX_RESPONSE_BODY_BYTES,
  newDeliveryState,
  nextRow,
  stateOfRow,
  truncateBody,
} from '../../../functions/core/deliveries.ts';
import { listDeliveriesQuerySchema, MAX_DELIVERY_PAGE } from '../../../functions/core/delivery-log.ts';
import { headersContext, secretContext } from '../../../functions/core/records.ts';
import { signingMaterial } from '../../../functions/core/signing-material.ts';

describe('listDeliveriesQuerySchema limit', () => {
  it.each([
    ['1', 1],
    ['50', 50],
    [String(MAX_DELIVERY_PAGE), MAX_DELIVERY_PAGE],
  ])('accepts %s', (limit, parsed) => {
    expect(listDeliveriesQuerySchema.parse({ limit }).limit).toBe(parsed);
  });

  it.each(['0', String(MAX_DELIVERY_PAGE + 1), '-1', '2.5', 'ten', ''])(
    'refuses %j with the rule',
    (limit) => {
      const result = listDeliveriesQuerySchema.safeParse({ limit });
      expect(result.success).toBe(false);
      expect(result.error?.issues[0]?.message).toBe(
        `limit must be a whole number from 1 to ${MAX_DELIVERY_PAGE}`,
      );
    },
  );
});

describe('truncateBody', () => {
  it('keeps a body of exactly 4 KiB whole and cuts a longer one to 4 KiB', () => {
    const exact = Buffer.from('a'.repeat(MAX_RESPONSE_BODY_BYTES));
    expect(truncateBody(exact)).toBe('a'.repeat(MAX_RESPONSE_BODY_BYTES));
    expect(truncateBody(Buffer.from('b'.repeat(MAX_RESPONSE_BODY_BYTES + 1)))).toBe(
      'b'.repeat(MAX_RESPONSE_BODY_BYTES),
    );
  });

  it('never splits a character at the cut, stepping back over its continuation bytes', () => {
    // 4095 ASCII bytes then a 3-byte character straddling the 4096-byte cut.
    const body = Buffer.concat([Buffer.from('a'.repeat(MAX_RESPONSE_BODY_BYTES - 1)), Buffer.from('€€')]);
    const cut = truncateBody(body);
    expect(cut).toBe('a'.repeat(MAX_RESPONSE_BODY_BYTES - 1));
    expect(cut).not.toContain('\uFFFD');
    // A character ending exactly at the cut is kept.
    const fits = Buffer.concat([Buffer.from('a'.repeat(MAX_RESPONSE_BODY_BYTES - 3)), Buffer.from('€x')]);
    expect(truncateBody(fits)).toBe(`${'a'.repeat(MAX_RESPONSE_BODY_BYTES - 3)}€`);
    // Nothing but continuation-byte garbage: the cut steps back to the start rather than below it.
    expect(truncateBody(Buffer.alloc(MAX_RESPONSE_BODY_BYTES + 10, 0x80))).toBe('');
  });
});

describe('delivery state', () => {
  const state = newDeliveryState({
    deliveryId: 'dlv_1',
    workspaceId: 'ws',
    webhookId: 'wh',
    eventType: 'credits.low',
    createdAt: '2026-11-30T00:00:00.000Z',
  });

  it('starts pending, not dead-lettered, at run 1 with nothing attempted', () => {
    expect(state).toMatchObject({
      status: 'pending',
      deadLettered: false,
      run: 1,
      seq: 0,
      attempts: 0,
      runAttempts: 0,
    });
  });

  it('reads dead_lettered only when it is true', () => {
    const row = nextRow(state, { kind: 'attempt', status: 'failed' });
    expect(stateOfRow(row, 'dlv_1').deadLettered).toBe(false);
    expect(stateOfRow({ ...row, dead_lettered: true }, 'dlv_1').deadLettered).toBe(true);
    expect(stateOfRow({ ...row, dead_lettered: false }, 'dlv_1').deadLettered).toBe(false);
  });
});

describe('signingMaterial', () => {
  const opened: string[] = [];
  const open = async (ciphertext: string, context: string) => {
    opened.push(`${ciphertext}@${context}`);
    return ciphertext === 'headers' ? '{"Authorization":"Bearer x"}' : `plain-${ciphertext}`;
  };
  const target = { workspace_id: 'ws', id: 'wh', secret_ciphertext: 'new' };
  const NOW = Date.parse('2026-11-30T12:00:00.000Z');

  it('opens the secret alone when there is nothing else, with its context', async () => {
    opened.length = 0;
    expect(await signingMaterial(open, target, NOW)).toEqual({ secret: 'plain-new', custom: {} });
    expect(opened).toEqual([`new@${secretContext('ws', 'wh')}`]);
  });

  it('signs with the previous secret until, not at, previous_expires_at, and needs both fields', async () => {
    const rotated = { ...target, previous_secret_ciphertext: 'old' };
    const until = (ms: number) => ({ ...rotated, previous_expires_at: new Date(ms).toISOString() });
    expect((await signingMaterial(open, until(NOW + 1), NOW)).previousSecret).toBe('plain-old');
    expect(await signingMaterial(open, until(NOW), NOW)).not.toHaveProperty('previousSecret');
    expect(await signingMaterial(open, rotated, NOW)).not.toHaveProperty('previousSecret');
    expect(
      await signingMaterial(
        open,
        { ...target, previous_expires_at: new Date(NOW + 1000).toISOString() },
        NOW,
      ),
    ).not.toHaveProperty('previousSecret');
  });

  it('opens the custom headers with their own context', async () => {
    opened.length = 0;
    const material = await signingMaterial(open, { ...target, headers_ciphertext: 'headers' }, NOW);
    expect(material.custom).toEqual({ Authorization: 'Bearer x' });
    expect(opened).toContain(`headers@${headersContext('ws', 'wh')}`);
  });
});

describe('more boundaries', () => {
  it('retries errors of ours after 10 s per receive, at least 10 and at most 180', async () => {
    const { errorRetryDelay, parseRetryAfter, nextRetryDelay, parseRetrySchedule } = await import(
      '../../../functions/core/retry.ts'
    );
    expect([0, 1, 2, 5, 17, 18, 19, 100].map(errorRetryDelay)).toEqual([10, 10, 20, 50, 170, 180, 180, 180]);
    expect(parseRetryAfter(' 120 ', 0)).toBe(120);
    expect(parseRetryAfter('12a', 0)).toBeNull();
    expect(parseRetryAfter('a12', 0)).toBeNull();
    expect(parseRetryAfter(new Date(90_500).toUTCString(), 0)).toBe(90);
    // No Retry-After: the schedule's (jittered) delay; with one, the larger of the two.
    expect(
      nextRetryDelay({ schedule: [10], attemptsMade: 1, random: () => 0.5, retryAfterSeconds: null }),
    ).toBe(10);
    expect(
      nextRetryDelay({ schedule: [10], attemptsMade: 1, random: () => 0.5, retryAfterSeconds: 30 }),
    ).toBe(30);
    expect(() => parseRetrySchedule('')).toThrow();
    expect(() => parseRetrySchedule('5,x')).toThrow();
  });

  it('counts only 2xx as success, and reads Retry-After only on 429 and 503', async () => {
    const { decideAfterAttempt, isSuccess } = await import('../../../functions/core/attempt.ts');
    const at = (status: number) => ({
      kind: 'response' as const,
      status,
      body: Buffer.from(''),
      retryAfter: '60',
    });
    expect([199, 200, 299, 300].map((s) => isSuccess(at(s)))).toEqual([false, true, true, false]);
    expect(isSuccess({ kind: 'error', error: 'timeout' })).toBe(false);
    const delay = (status: number) =>
      decideAfterAttempt({
        outcome: at(status),
        attemptsMade: 1,
        schedule: [5],
        nowMs: 0,
        random: () => 0.5,
      });
    expect(delay(429)).toEqual({ status: 'pending', delaySeconds: 60 });
    expect(delay(503)).toEqual({ status: 'pending', delaySeconds: 60 });
    expect(delay(500)).toEqual({ status: 'pending', delaySeconds: 5 });
  });

  it('steps a key down by one in Crockford order, borrowing, and has nothing below the smallest', async () => {
    const { previousKey } = await import('../../../functions/core/ids.ts');
    expect(previousKey('0001')).toBe('0000');
    expect(previousKey('0010')).toBe('000Z');
    expect(previousKey('1000')).toBe('0ZZZ');
    expect(previousKey('Z')).toBe('Y');
    expect(previousKey('0000')).toBeNull();
    expect(previousKey('')).toBeNull();
  });
});
