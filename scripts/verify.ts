import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Encrata's documented verification, as a receiver writes it: HMAC-SHA256 of the raw body, keyed
 * with the whole secret string (prefix included), compared in constant time with the header.
 */
export function verifyEncrataSignature(secret: string, rawBody: string, signature: string): boolean {
  const expected = createHmac('sha256', secret).update(rawBody).digest('hex');
  const given = Buffer.from(signature, 'utf8');
  const wanted = Buffer.from(expected, 'utf8');
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}
