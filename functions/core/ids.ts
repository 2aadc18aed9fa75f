import { createHash, randomBytes, randomInt, randomUUID } from 'node:crypto';

/**
 * Identifiers and secrets. Everything random comes from the platform CSPRNG.
 */
const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

export const API_KEY_PATTERN = /^enc_live_[A-Za-z0-9]{32}$/;
export const WEBHOOK_SECRET_PATTERN = /^whsec_[0-9a-f]{64}$/;

/** `whsec_` + 64 lowercase hex characters (32 random bytes), contract §2. */
export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('hex')}`;
}

/** `enc_live_` + 32 alphanumerics, each drawn uniformly (no modulo bias). */
export function generateApiKey(): string {
  let out = 'enc_live_';
  for (let i = 0; i < 32; i++) out += ALPHANUMERIC[randomInt(ALPHANUMERIC.length)];
  return out;
}

/** Keys are stored and looked up only by this hash. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** What a key looks like in lists and events: `...` + its last four characters. */
export function previewApiKey(key: string): string {
  return `...${key.slice(-4)}`;
}

export function generateUuid(): string {
  return randomUUID();
}

function encodeTime(ms: number): string {
  let out = '';
  // Ten base-32 characters hold any time from 1970 to the year 10889.
  let rest = Math.min(Math.max(0, Math.floor(ms)), 32 ** 10 - 1);
  for (let i = 0; i < 10; i++) {
    out = CROCKFORD[rest % 32] + out;
    rest = Math.floor(rest / 32);
  }
  return out;
}

function encodeBytes(bytes: Buffer, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += CROCKFORD[(bytes[i] ?? 0) % 32];
  return out;
}

/**
 * A delivery id: `dlv_` + 10 characters of time + 16 characters derived from `seed`.
 * Ids sort by time (the deliveries list pages on them), and the same (time, seed) always gives
 * the same id, which is what makes fan-out idempotent.
 */
export function deliveryIdFor(timeMs: number, seed: string): string {
  return `dlv_${encodeTime(timeMs)}${encodeBytes(createHash('sha256').update(seed).digest(), 16)}`;
}

/** A fresh delivery id for a one-off (test) delivery. */
export function newDeliveryId(timeMs: number): string {
  return `dlv_${encodeTime(timeMs)}${encodeBytes(randomBytes(16), 16)}`;
}

/** A fresh, time-sortable event id for events published without an idempotency key. */
export function newEventId(timeMs: number): string {
  return `evt_${encodeTime(timeMs)}${encodeBytes(randomBytes(16), 16)}`;
}

export const DELIVERY_ID_PATTERN = /^dlv_[0-9A-HJKMNP-TV-Z]{26}$/;
