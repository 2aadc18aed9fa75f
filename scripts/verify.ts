import { createHmac, timingSafeEqual } from 'node:crypto';
import { Webhook } from 'standardwebhooks';

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

/**
 * A receiver's check during a secret rotation (docs/delivery.md): each header style verified against
 * every secret it still accepts (the new one and, until `previous_expires_at`, the previous one).
 * Each result is the index of the secret that verified, or null when none did.
 */
export function verifyDelivery(
  secrets: readonly string[],
  rawBody: string,
  headers: Record<string, string | undefined>,
): { encrata: number | null; standard: number | null } {
  const header = (name: string) => headers[name] ?? headers[name.toLowerCase()] ?? '';
  const encrata = secrets.findIndex((secret) =>
    verifyEncrataSignature(secret, rawBody, header('x-encrata-signature')),
  );
  const standard = secrets.findIndex((secret) => {
    try {
      // Standard Webhooks libraries accept a delivery when any of its signatures matches the secret.
      new Webhook(secret).verify(rawBody, {
        'webhook-id': header('webhook-id'),
        'webhook-timestamp': header('webhook-timestamp'),
        'webhook-signature': header('webhook-signature'),
      });
      return true;
    } catch {
      return false;
    }
  });
  return { encrata: encrata === -1 ? null : encrata, standard: standard === -1 ? null : standard };
}
