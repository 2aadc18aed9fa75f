import { createHash } from 'node:crypto';
import fc from 'fast-check';
import {
  API_KEY_PATTERN,
  DELIVERY_ID_PATTERN,
  deliveryIdFor,
  generateApiKey,
  generateUuid,
  generateWebhookSecret,
  hashApiKey,
  newDeliveryId,
  newEventId,
  previewApiKey,
  WEBHOOK_SECRET_PATTERN,
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

describe('deliveryIdFor', () => {
  it('is deterministic for the same time and seed', () => {
    expect(deliveryIdFor(T, 'ws\nevt\nwh')).toBe(deliveryIdFor(T, 'ws\nevt\nwh'));
  });

  it('matches DELIVERY_ID_PATTERN', () => {
    expect(deliveryIdFor(T, 'seed')).toMatch(DELIVERY_ID_PATTERN);
    expect(deliveryIdFor(0, '')).toMatch(DELIVERY_ID_PATTERN);
    expect(deliveryIdFor(0, '')).toMatch(/^dlv_0000000000/);
  });

  it('encodes the time in its first ten characters, as Crockford base32', () => {
    expect(deliveryIdFor(1, 'x').slice(4, 14)).toBe('0000000001');
    expect(deliveryIdFor(32, 'x').slice(4, 14)).toBe('0000000010');
    expect(deliveryIdFor(31, 'x').slice(4, 14)).toBe('000000000Z');
  });

  it('is the same for any same inputs, and matches the pattern', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: MAX_TIME }), fc.string(), (time, seed) => {
        const id = deliveryIdFor(time, seed);
        expect(id).toMatch(DELIVERY_ID_PATTERN);
        expect(deliveryIdFor(time, seed)).toBe(id);
      }),
    );
  });

  it('differs for different seeds at the same time', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (a, b) => {
        fc.pre(a !== b);
        expect(deliveryIdFor(T, a)).not.toBe(deliveryIdFor(T, b));
      }),
    );
    expect(deliveryIdFor(T, 'ws\nevt_1\nwh_1')).not.toBe(deliveryIdFor(T, 'ws\nevt_1\nwh_2'));
  });

  it('sorts by time: t1 < t2 implies id1 < id2, whatever the seeds', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: MAX_TIME }),
        fc.integer({ min: 0, max: MAX_TIME }),
        fc.string(),
        fc.string(),
        (t1, t2, s1, s2) => {
          fc.pre(t1 !== t2);
          const [early, late] = t1 < t2 ? [t1, t2] : [t2, t1];
          expect(deliveryIdFor(early, s1) < deliveryIdFor(late, s2)).toBe(true);
        },
      ),
    );
  });

  it('sorts adjacent milliseconds', () => {
    expect(deliveryIdFor(T, 'zzz') < deliveryIdFor(T + 1, 'aaa')).toBe(true);
  });
});

describe('newDeliveryId and newEventId', () => {
  it('newDeliveryId matches the pattern, carries the time and is random', () => {
    const ids = Array.from({ length: 100 }, () => newDeliveryId(T));
    for (const id of ids) {
      expect(id).toMatch(DELIVERY_ID_PATTERN);
      expect(id.slice(0, 14)).toBe(deliveryIdFor(T, 'x').slice(0, 14));
    }
    expect(new Set(ids).size).toBe(100);
  });

  it('newEventId is evt_ + 26 Crockford characters, time first, and random', () => {
    const ids = Array.from({ length: 100 }, () => newEventId(T));
    for (const id of ids) {
      expect(id).toMatch(/^evt_[0-9A-HJKMNP-TV-Z]{26}$/);
      expect(id.slice(4, 14)).toBe(deliveryIdFor(T, 'x').slice(4, 14));
    }
    expect(new Set(ids).size).toBe(100);
    expect(newEventId(T) < newEventId(T + 1)).toBe(true);
  });
});
