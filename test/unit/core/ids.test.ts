import { createHash } from 'node:crypto';
import fc from 'fast-check';
import {
  API_KEY_PATTERN,
  DELIVERY_ID_PATTERN,
  deliveryIdFor,
  eventKeyFor,
  generateApiKey,
  generateUuid,
  generateWebhookSecret,
  hashApiKey,
  newDeliveryId,
  newEventId,
  parseDeliveryId,
  previewApiKey,
  timeKey,
  WEBHOOK_SECRET_PATTERN,
  webhookRef,
} from '../../../functions/core/ids.ts';

const T = Date.parse('2024-05-01T12:00:00.000Z');
const MAX_TIME = 32 ** 10 - 1; // what 10 Crockford characters hold (year ~10889)

describe('generateWebhookSecret', () => {
  it('is whsec_ + 64 lowercase hex characters', () => {
    for (let i = 0; i < 50; i++) {
      const secret = generateWebhookSecret();
      expect(secret).toMatch(/^whsec_[0-9a-f]{64}$/);
      expect(secret).toMatch(WEBHOOK_SECRET_PATTERN);
    }
  });

  it('is unique', () => {
    const secrets = new Set(Array.from({ length: 200 }, generateWebhookSecret));
    expect(secrets.size).toBe(200);
  });
});

describe('generateApiKey', () => {
  it('is enc_live_ + 32 alphanumerics, and unique', () => {
    const keys = Array.from({ length: 200 }, generateApiKey);
    for (const key of keys) {
      expect(key).toMatch(API_KEY_PATTERN);
      expect(key).toMatch(/^enc_live_[A-Za-z0-9]{32}$/);
    }
    expect(new Set(keys).size).toBe(200);
  });

  it('draws from the whole alphabet (upper, lower and digits)', () => {
    const chars = Array.from({ length: 100 }, generateApiKey)
      .map((key) => key.slice('enc_live_'.length))
      .join('');
    expect(chars).toMatch(/[A-Z]/);
    expect(chars).toMatch(/[a-z]/);
    expect(chars).toMatch(/[0-9]/);
  });
});

describe('API_KEY_PATTERN', () => {
  it.each([
    'enc_live_abc',
    `enc_test_${'a'.repeat(32)}`,
    `enc_live_${'a'.repeat(31)}`,
    `enc_live_${'a'.repeat(33)}`,
    `enc_live_${'a'.repeat(31)}-`,
    ` enc_live_${'a'.repeat(32)}`,
  ])('rejects %j', (key) => {
    expect(API_KEY_PATTERN.test(key)).toBe(false);
  });
});

describe('hashApiKey', () => {
  it('is the SHA-256 hex of the key', () => {
    expect(hashApiKey('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(hashApiKey('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('equals an independent SHA-256 of the UTF-8 bytes for any key', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (key) => {
        expect(hashApiKey(key)).toBe(createHash('sha256').update(Buffer.from(key, 'utf8')).digest('hex'));
      }),
    );
  });
});

describe('previewApiKey', () => {
  it('is ... + the last four characters', () => {
    expect(previewApiKey('enc_live_abcdefghijklmnopqrstuvwxyz012345')).toBe('...2345');
    expect(previewApiKey('enc_live_AAAAAAAAAAAAAAAAAAAAAAAAAAAAWxYz')).toBe('...WxYz');
  });

  it('never reveals more than four characters of a generated key', () => {
    const key = generateApiKey();
    expect(previewApiKey(key)).toBe(`...${key.slice(-4)}`);
    expect(previewApiKey(key)).toHaveLength(7);
  });
});

describe('generateUuid', () => {
  it('is a v4 UUID', () => {
    expect(generateUuid()).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});

describe('eventKeyFor and deliveryIdFor', () => {
  const key = (time: number, event = 'evt') => eventKeyFor(time, 'ws', event);

  it('are deterministic for the same inputs', () => {
    expect(key(T)).toBe(key(T));
    expect(deliveryIdFor(key(T), 'ws', 'wh')).toBe(deliveryIdFor(key(T), 'ws', 'wh'));
  });

  it('match the patterns; the delivery id is the event key and the webhook ref', () => {
    expect(key(T)).toMatch(/^[0-9A-HJKMNP-TV-Z]{20}$/);
    const id = deliveryIdFor(key(T), 'ws', 'wh');
    expect(id).toMatch(DELIVERY_ID_PATTERN);
    expect(id).toBe(`dlv_${key(T)}${webhookRef('ws', 'wh')}`);
    expect(key(0)).toMatch(/^0000000000/);
  });

  it('encode the time in their first ten characters, as Crockford base32', () => {
    expect(key(1).slice(0, 10)).toBe('0000000001');
    expect(key(32).slice(0, 10)).toBe('0000000010');
    expect(key(31).slice(0, 10)).toBe('000000000Z');
    expect(timeKey(31)).toBe('000000000Z');
  });

  it('parse back: time, event key and webhook ref', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: MAX_TIME }), fc.string(), fc.string(), (time, event, webhook) => {
        const id = deliveryIdFor(eventKeyFor(time, 'ws', event), 'ws', webhook);
        expect(parseDeliveryId(id)).toEqual({
          eventKey: eventKeyFor(time, 'ws', event),
          timeMs: time,
          webhookRef: webhookRef('ws', webhook),
        });
      }),
    );
    expect(parseDeliveryId('dlv_short')).toBeNull();
    expect(parseDeliveryId(`dlv_${'I'.repeat(26)}`)).toBeNull(); // I is not Crockford
  });

  it('differ for different events, webhooks and workspaces', () => {
    expect(key(T, 'evt_1')).not.toBe(key(T, 'evt_2'));
    expect(eventKeyFor(T, 'ws_a', 'evt')).not.toBe(eventKeyFor(T, 'ws_b', 'evt'));
    expect(deliveryIdFor(key(T), 'ws', 'wh_1')).not.toBe(deliveryIdFor(key(T), 'ws', 'wh_2'));
    expect(webhookRef('ws_a', 'wh')).not.toBe(webhookRef('ws_b', 'wh'));
  });

  it('sort by time: t1 < t2 implies id1 < id2, whatever the event and webhook', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: MAX_TIME }),
        fc.integer({ min: 0, max: MAX_TIME }),
        fc.string(),
        fc.string(),
        (t1, t2, e1, e2) => {
          fc.pre(t1 !== t2);
          const [early, late] = t1 < t2 ? [t1, t2] : [t2, t1];
          expect(deliveryIdFor(key(early, e1), 'ws', 'a') < deliveryIdFor(key(late, e2), 'ws', 'b')).toBe(
            true,
          );
        },
      ),
    );
    expect(key(T, 'zzz') < key(T + 1, 'aaa')).toBe(true);
  });

  it('sort a delivery by its event first: an event’s deliveries are adjacent', () => {
    const [a, b] = [key(T, 'evt_a'), key(T, 'evt_b')].sort();
    expect(deliveryIdFor(a ?? '', 'ws', 'wh_z') < deliveryIdFor(b ?? '', 'ws', 'wh_0')).toBe(true);
  });
});

describe('newDeliveryId and newEventId', () => {
  it('newDeliveryId matches the pattern, carries the time and is random', () => {
    const ids = Array.from({ length: 100 }, () => newDeliveryId(T, 'ws', 'wh'));
    for (const id of ids) {
      expect(id).toMatch(DELIVERY_ID_PATTERN);
      expect(id.slice(4, 14)).toBe(timeKey(T));
      expect(parseDeliveryId(id)?.webhookRef).toBe(webhookRef('ws', 'wh'));
    }
    expect(new Set(ids).size).toBe(100);
  });

  it('newEventId is evt_ + 26 Crockford characters, time first, and random', () => {
    const ids = Array.from({ length: 100 }, () => newEventId(T));
    for (const id of ids) {
      expect(id).toMatch(/^evt_[0-9A-HJKMNP-TV-Z]{26}$/);
      expect(id.slice(4, 14)).toBe(timeKey(T));
    }
    expect(new Set(ids).size).toBe(100);
    expect(newEventId(T) < newEventId(T + 1)).toBe(true);
  });
});
