import fc from 'fast-check';
import {
  EVENT_TYPES,
  type EventType,
  eventMessageSchema,
  MAX_EVENT_DATA_BYTES,
  MAX_EVENT_DATA_DEPTH,
  nestsDeeperThan,
  SYSTEM_EVENT_ID_PREFIX,
  SYSTEM_EVENT_TYPES,
  serializeEnvelope,
} from '../../../functions/core/events.ts';
import { parseBody } from '../../../functions/shared/sqs.ts';

const VALID_DATA: Record<EventType, Record<string, unknown>> = {
  'lookup.completed': { email: 'ada@example.com', lookup_id: 'lk_1' },
  'monitor.run.completed': {
    monitor_id: 'mon_1',
    monitor_name: 'Leads',
    run_id: 'run_1',
    total_records: 120,
    changes_detected: 3,
    credits_used: 1.5,
  },
  'apikey.created': { key_id: 'key_1', name: 'CI', key_preview: '...abcd' },
  'apikey.revoked': {
    key_id: 'key_1',
    name: 'CI',
    key_preview: '...abcd',
    revoked_at: '2024-05-01T12:00:00Z',
  },
  'credits.low': { balance: 10, threshold: 100 },
  'credits.exhausted': { balance: 0 },
  'webhook.disabled': {
    webhook_id: '0f8fad5b-d9cb-469f-a165-70867728950e',
    url: 'https://hooks.example.com/x',
    reason: 'failing',
    failing_since: '2024-05-01T12:00:00Z',
  },
};

const message = (event: string, data: unknown, extra: Record<string, unknown> = {}) => ({
  workspace_id: 'ws_1',
  event,
  data,
  ...extra,
});

const issuePaths = (input: unknown) => {
  const result = eventMessageSchema.safeParse(input);
  return result.success ? [] : result.error.issues.map((issue) => issue.path.join('.'));
};

describe('eventMessageSchema', () => {
  it('the catalogue has exactly the contract events (six of Encrata and webhook.disabled)', () => {
    expect([...EVENT_TYPES].sort()).toEqual(
      [
        'lookup.completed',
        'monitor.run.completed',
        'webhook.disabled',
        'apikey.created',
        'apikey.revoked',
        'credits.low',
        'credits.exhausted',
      ].sort(),
    );
  });

  it.each(EVENT_TYPES)('accepts %s with its required data', (event) => {
    const result = eventMessageSchema.safeParse(message(event, VALID_DATA[event]));
    expect(result.success).toBe(true);
    expect(result.data).toEqual(message(event, VALID_DATA[event]));
  });

  it.each(EVENT_TYPES)('keeps extra data fields of %s', (event) => {
    const data = { ...VALID_DATA[event], extra: { nested: [1, 2] }, note: 'kept' };
    expect(eventMessageSchema.parse(message(event, data)).data).toEqual(data);
  });

  it.each(EVENT_TYPES)('rejects %s when a required data field is missing', (event) => {
    for (const field of Object.keys(VALID_DATA[event])) {
      const { [field]: _removed, ...data } = VALID_DATA[event];
      expect(issuePaths(message(event, data))).toContain(`data.${field}`);
    }
  });

  it('rejects data fields of the wrong type, with the path under data', () => {
    expect(issuePaths(message('credits.low', { balance: '10', threshold: 100 }))).toEqual(['data.balance']);
    expect(
      issuePaths(
        message('monitor.run.completed', { ...VALID_DATA['monitor.run.completed'], total_records: -1 }),
      ),
    ).toEqual(['data.total_records']);
    expect(
      issuePaths(message('apikey.revoked', { ...VALID_DATA['apikey.revoked'], revoked_at: 'yesterday' })),
    ).toEqual(['data.revoked_at']);
  });

  it.each(['test', 'lookup.started', 'LOOKUP.COMPLETED', '', 'credits'])(
    'rejects the unknown event %j',
    (event) => {
      const result = eventMessageSchema.safeParse(message(event, {}));
      expect(result.success).toBe(false);
      expect(result.error?.issues[0]?.path).toEqual(['event']);
      expect(result.error?.issues[0]?.message).toContain('unknown event type');
    },
  );

  it('rejects data that is not an object', () => {
    for (const data of [null, 'x', 42, ['a']]) {
      expect(issuePaths(message('credits.exhausted', data))[0]).toBe('data');
    }
  });

  it('accepts data up to 64 KiB serialized and rejects data above', () => {
    const overhead = JSON.stringify({ balance: 0, pad: '' }).length;
    const fits = { balance: 0, pad: 'x'.repeat(MAX_EVENT_DATA_BYTES - overhead) };
    expect(Buffer.byteLength(JSON.stringify(fits))).toBe(MAX_EVENT_DATA_BYTES);
    expect(eventMessageSchema.safeParse(message('credits.exhausted', fits)).success).toBe(true);
    const tooBig = { ...fits, pad: `${fits.pad}x` };
    const result = eventMessageSchema.safeParse(message('credits.exhausted', tooBig));
    expect(result.success).toBe(false);
    expect(result.error?.issues).toEqual([
      expect.objectContaining({ path: ['data'], message: `must be at most ${MAX_EVENT_DATA_BYTES} bytes` }),
    ]);
  });

  it('counts the data size in UTF-8 bytes, not characters', () => {
    // 32 768 characters (well under 64 Ki of them) but 65 536 bytes of UTF-8, plus the rest.
    const pad = 'é'.repeat(MAX_EVENT_DATA_BYTES / 2);
    expect(eventMessageSchema.safeParse(message('credits.exhausted', { balance: 0, pad })).success).toBe(
      false,
    );
  });

  it('accepts an ISO 8601 UTC created_at and rejects a bad one', () => {
    const ok = message('credits.exhausted', { balance: 0 }, { created_at: '2024-05-01T12:00:00.000Z' });
    expect(eventMessageSchema.safeParse(ok).success).toBe(true);
    for (const created_at of ['2024-05-01', 'yesterday', '2024-13-01T00:00:00Z', '1714564800', 1714564800]) {
      expect(issuePaths(message('credits.exhausted', { balance: 0 }, { created_at }))).toEqual([
        'created_at',
      ]);
    }
  });

  it('validates the optional idempotency id and the workspace', () => {
    const data = { balance: 0 };
    expect(
      eventMessageSchema.safeParse(message('credits.exhausted', data, { id: 'order-42:low' })).success,
    ).toBe(true);
    for (const id of ['', 'has space', 'x'.repeat(201)]) {
      expect(new Set(issuePaths(message('credits.exhausted', data, { id })))).toEqual(new Set(['id']));
    }
    expect(issuePaths({ event: 'credits.exhausted', data })).toEqual(['workspace_id']);
    expect(issuePaths({ workspace_id: '', event: 'credits.exhausted', data })).toEqual(['workspace_id']);
    // What keys:create accepts, and nothing a DynamoDB key should not hold (multi-byte, over-long, spaces).
    for (const workspace_id of ['wé', 'w s', 'w'.repeat(129), 'ws\u0000', '😀']) {
      expect(issuePaths({ workspace_id, event: 'credits.exhausted', data })).toEqual(['workspace_id']);
    }
    expect(issuePaths({ workspace_id: `ws_${'w'.repeat(125)}`, event: 'credits.exhausted', data })).toEqual(
      [],
    );
  });

  /** `{"balance":0,"x":[[…]]}` with `levels` levels in all (the data object is the first). */
  const nested = (levels: number) => `{"balance":0,"x":${'['.repeat(levels - 1)}${']'.repeat(levels - 1)}}`;
  const deepBody = (levels: number) =>
    `{"workspace_id":"ws_1","event":"credits.exhausted","data":${nested(levels)}}`;

  it(`accepts data nested ${MAX_EVENT_DATA_DEPTH} levels deep and refuses one level more, with a reason`, () => {
    expect(parseBody(eventMessageSchema, deepBody(MAX_EVENT_DATA_DEPTH)).ok).toBe(true);
    expect(parseBody(eventMessageSchema, deepBody(MAX_EVENT_DATA_DEPTH + 1))).toEqual({
      ok: false,
      reason: `data: must not nest objects or arrays more than ${MAX_EVENT_DATA_DEPTH} levels deep`,
    });
  });

  it.each([1000, 5000, 100_000])(
    'refuses data nested %i levels deep with that reason (never a throw)',
    (levels) => {
      expect(parseBody(eventMessageSchema, deepBody(levels))).toEqual({
        ok: false,
        reason: `data: must not nest objects or arrays more than ${MAX_EVENT_DATA_DEPTH} levels deep`,
      });
    },
  );

  it('measures depth through objects and arrays alike', () => {
    expect(nestsDeeperThan({ a: { b: [{ c: 1 }] } }, 4)).toBe(false);
    expect(nestsDeeperThan({ a: { b: [{ c: {} }] } }, 4)).toBe(true);
    expect(nestsDeeperThan('text', 0)).toBe(false);
    expect(nestsDeeperThan([[], [[]]], 2)).toBe(true);
  });

  it(`reserves ids starting with ${SYSTEM_EVENT_ID_PREFIX} for the service's own event types`, () => {
    const id = `${SYSTEM_EVENT_ID_PREFIX}apikey.created:k1`;
    for (const event of EVENT_TYPES) {
      const result = eventMessageSchema.safeParse(message(event, VALID_DATA[event], { id }));
      if (SYSTEM_EVENT_TYPES.includes(event)) expect(result.success).toBe(true);
      else expect(issuePaths(message(event, VALID_DATA[event], { id }))).toEqual(['id']);
    }
    expect(
      eventMessageSchema.safeParse(message('credits.low', VALID_DATA['credits.low'], { id: 'x-encrata:1' }))
        .success,
    ).toBe(true);
  });

  it('never throws on arbitrary input', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.jsonValue(),
          fc.record({
            workspace_id: fc.string(),
            event: fc.constantFrom(...EVENT_TYPES),
            data: fc.jsonValue(),
          }),
          fc.record({
            workspace_id: fc.string(),
            event: fc.constantFrom(...EVENT_TYPES),
            data: fc.dictionary(fc.string(), fc.jsonValue()),
          }),
        ),
        (input) => {
          expect(() => eventMessageSchema.safeParse(input)).not.toThrow();
        },
      ),
    );
  });
});

describe('serializeEnvelope', () => {
  it('writes event, data and created_at in that order', () => {
    const body = serializeEnvelope({
      created_at: '2024-05-01T12:00:00.000Z',
      data: { balance: 0 },
      event: 'credits.exhausted',
    });
    expect(body).toBe(
      '{"event":"credits.exhausted","data":{"balance":0},"created_at":"2024-05-01T12:00:00.000Z"}',
    );
  });

  it('drops any other field and round-trips through JSON', () => {
    fc.assert(
      fc.property(
        fc.string(),
        fc.dictionary(fc.string(), fc.jsonValue()),
        fc.string(),
        (event, data, createdAt) => {
          const envelope = { extra: 'nope', created_at: createdAt, event, data };
          const body = serializeEnvelope(envelope);
          expect(Object.keys(JSON.parse(body))).toEqual(['event', 'data', 'created_at']);
          expect(JSON.parse(body)).toEqual(
            JSON.parse(JSON.stringify({ event, data, created_at: createdAt })),
          );
        },
      ),
    );
  });
});
