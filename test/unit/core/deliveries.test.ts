import fc from 'fast-check';
import {
  expiresAt,
  isExpired,
  MAX_RESPONSE_BODY_BYTES,
  RETENTION_SECONDS,
  truncateBody,
} from '../../../functions/core/deliveries.ts';

const NOW = Date.parse('2024-05-01T12:00:00.000Z');

describe('truncateBody', () => {
  it('keeps a short body as is', () => {
    expect(truncateBody(Buffer.from('{"ok":true}'))).toBe('{"ok":true}');
    expect(truncateBody(Buffer.alloc(0))).toBe('');
    expect(truncateBody(Buffer.from('héllo wörld ✓ 😀'))).toBe('héllo wörld ✓ 😀');
  });

  it('keeps exactly 4096 bytes of ASCII', () => {
    expect(MAX_RESPONSE_BODY_BYTES).toBe(4096);
    expect(truncateBody(Buffer.from('a'.repeat(4096)))).toBe('a'.repeat(4096));
    expect(truncateBody(Buffer.from('b'.repeat(5000)))).toBe('b'.repeat(4096));
  });

  it.each([
    ['a 2-byte character', 'é', 4095],
    ['a 3-byte character', '✓', 4094],
    ['a 3-byte character cut after 1 byte', '✓', 4095],
    ['a 4-byte character', '😀', 4093],
    ['a 4-byte character cut after 2 bytes', '😀', 4094],
    ['a 4-byte character cut after 3 bytes', '😀', 4095],
  ])('drops %s that straddles the limit', (_name, char, asciiBytes) => {
    const body = Buffer.from(`${'a'.repeat(asciiBytes)}${char}tail`);
    expect(truncateBody(body)).toBe('a'.repeat(asciiBytes));
  });

  it('keeps a multi-byte character that ends exactly at the limit', () => {
    expect(truncateBody(Buffer.from(`${'a'.repeat(4092)}😀tail`))).toBe(`${'a'.repeat(4092)}😀`);
    expect(truncateBody(Buffer.from(`${'a'.repeat(4094)}étail`))).toBe(`${'a'.repeat(4094)}é`);
  });

  it('returns a prefix of the text, at most 4 KiB of UTF-8, losing only a split character', () => {
    const textArb = fc.string({ unit: 'grapheme', minLength: 500, maxLength: 3000 });
    fc.assert(
      fc.property(textArb, (text) => {
        const kept = truncateBody(Buffer.from(text, 'utf8'));
        const keptBytes = Buffer.byteLength(kept, 'utf8');
        expect(text.startsWith(kept)).toBe(true);
        expect(keptBytes).toBeLessThanOrEqual(MAX_RESPONSE_BODY_BYTES);
        if (Buffer.byteLength(text, 'utf8') <= MAX_RESPONSE_BODY_BYTES) expect(kept).toBe(text);
        else expect(keptBytes).toBeGreaterThan(MAX_RESPONSE_BODY_BYTES - 4);
      }),
    );
  });
});

describe('expiresAt and isExpired', () => {
  it('keeps records for 30 days, in epoch seconds', () => {
    expect(RETENTION_SECONDS).toBe(30 * 24 * 60 * 60);
    expect(expiresAt(NOW)).toBe(NOW / 1000 + 2_592_000);
    expect(expiresAt(NOW + 999)).toBe(NOW / 1000 + 2_592_000);
    expect(new Date(expiresAt(NOW) * 1000).toISOString()).toBe('2024-05-31T12:00:00.000Z');
  });

  it('a record is live until its expiry second and expired from then on', () => {
    const record = { expires_at: expiresAt(NOW) };
    expect(isExpired(record, NOW)).toBe(false);
    expect(isExpired(record, NOW + RETENTION_SECONDS * 1000 - 1)).toBe(false);
    expect(isExpired(record, NOW + RETENTION_SECONDS * 1000)).toBe(true);
    expect(isExpired(record, NOW + RETENTION_SECONDS * 1000 + 60_000)).toBe(true);
  });

  it('a record created at any time is live for exactly 30 days (to the second)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 4_000_000_000_000 }),
        fc.integer({ min: 0, max: 60 * 86_400_000 }),
        (created, age) => {
          const record = { expires_at: expiresAt(created) };
          const nowMs = created + age;
          const ageInWholeSeconds = Math.floor(nowMs / 1000) - Math.floor(created / 1000);
          expect(isExpired(record, nowMs)).toBe(ageInWholeSeconds >= RETENTION_SECONDS);
        },
      ),
    );
  });
});

describe('truncateBody keeps what it does not cut', () => {
  it('keeps a genuine trailing U+FFFD of a short body', () => {
    expect(truncateBody(Buffer.from('ok\uFFFD'))).toBe('ok\uFFFD');
  });
});
