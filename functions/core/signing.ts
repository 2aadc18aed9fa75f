import { createHmac } from 'node:crypto';
import { USER_AGENT } from './version.ts';

/** Header names of a delivery (contract §5). */
export const HEADERS = {
  contentType: 'Content-Type',
  userAgent: 'User-Agent',
  signature: 'X-Encrata-Signature',
  event: 'X-Encrata-Event',
  delivery: 'X-Encrata-Delivery',
  webhookId: 'webhook-id',
  webhookTimestamp: 'webhook-timestamp',
  webhookSignature: 'webhook-signature',
} as const;

/**
 * `X-Encrata-Signature`: lowercase hex HMAC-SHA256 of the raw body, keyed with the UTF-8 bytes of
 * the whole secret string, `whsec_` prefix included — what Encrata's documented verifier computes.
 */
export function signEncrata(secret: string, body: string): string {
  return createHmac('sha256', Buffer.from(secret, 'utf8')).update(body, 'utf8').digest('hex');
}

/**
 * `webhook-signature` per Standard Webhooks v1: base64 HMAC-SHA256 of `${id}.${timestamp}.${body}`,
 * keyed with the base64-decoded part of the secret after `whsec_` (as every Standard Webhooks
 * library decodes it), so those libraries verify our deliveries with the same secret string.
 */
export function signStandardWebhooks(
  secret: string,
  messageId: string,
  timestampSeconds: number,
  body: string,
): string {
  const key = Buffer.from(secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret, 'base64');
  const digest = createHmac('sha256', key)
    .update(`${messageId}.${timestampSeconds}.${body}`, 'utf8')
    .digest('base64');
  return `v1,${digest}`;
}

/** Every header a delivery attempt sends; the body passed is exactly the bytes that are sent. */
export function buildDeliveryHeaders(options: {
  secret: string;
  deliveryId: string;
  eventType: string;
  body: string;
  timestampSeconds: number;
}): Record<string, string> {
  const { secret, deliveryId, eventType, body, timestampSeconds } = options;
  return {
    [HEADERS.contentType]: 'application/json',
    [HEADERS.userAgent]: USER_AGENT,
    [HEADERS.signature]: signEncrata(secret, body),
    [HEADERS.event]: eventType,
    [HEADERS.delivery]: deliveryId,
    [HEADERS.webhookId]: deliveryId,
    [HEADERS.webhookTimestamp]: String(timestampSeconds),
    [HEADERS.webhookSignature]: signStandardWebhooks(secret, deliveryId, timestampSeconds, body),
  };
}
