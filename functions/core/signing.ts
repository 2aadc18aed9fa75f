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

const OWN_HEADERS = new Set(Object.values(HEADERS).map((name) => name.toLowerCase()));

/**
 * Custom headers without any that could stand for one of the delivery's own (in any case). The API
 * refuses such names already; this keeps a stored one from ever reaching the wire next to ours.
 */
function ownHeadersRemoved(custom: Record<string, string> | undefined): Record<string, string> {
  if (!custom) return {};
  const kept: Record<string, string> = {};
  for (const [name, value] of Object.entries(custom)) {
    const lower = name.toLowerCase();
    if (OWN_HEADERS.has(lower) || lower.startsWith('x-encrata-') || lower.startsWith('webhook-')) continue;
    kept[name] = value;
  }
  return kept;
}

/**
 * Every header a delivery attempt sends; the body passed is exactly the bytes that are sent.
 * While a rotated-out secret still signs (`previousSecret`, until `previous_expires_at`),
 * `webhook-signature` carries both signatures (new first) and `X-Encrata-Signature` stays the
 * previous secret's, so a receiver that has not switched yet keeps verifying (contract §5). Custom
 * headers go first: the delivery's own headers always win.
 */
export function buildDeliveryHeaders(options: {
  secret: string;
  previousSecret?: string;
  deliveryId: string;
  eventType: string;
  body: string;
  timestampSeconds: number;
  custom?: Record<string, string>;
}): Record<string, string> {
  const { secret, previousSecret, deliveryId, eventType, body, timestampSeconds } = options;
  const standard = signStandardWebhooks(secret, deliveryId, timestampSeconds, body);
  return {
    ...ownHeadersRemoved(options.custom),
    [HEADERS.contentType]: 'application/json',
    [HEADERS.userAgent]: USER_AGENT,
    [HEADERS.signature]: signEncrata(previousSecret ?? secret, body),
    [HEADERS.event]: eventType,
    [HEADERS.delivery]: deliveryId,
    [HEADERS.webhookId]: deliveryId,
    [HEADERS.webhookTimestamp]: String(timestampSeconds),
    [HEADERS.webhookSignature]: previousSecret
      ? `${standard} ${signStandardWebhooks(previousSecret, deliveryId, timestampSeconds, body)}`
      : standard,
  };
}
