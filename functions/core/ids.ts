import { createHash, randomBytes, randomInt, randomUUID } from 'node:crypto';

/**
 * Identifiers and secrets. Everything random comes from the platform CSPRNG.
 */

/**
 * Ids of the events this service publishes itself (`apikey.*`, `webhook.disabled`) start with this
 * (contract §4): a producer's event of any other type may not use it.
 */
export const SYSTEM_EVENT_ID_PREFIX = 'encrata:';

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

/** A dashboard session token: `enc_sess_` + 43 alphanumerics, each drawn uniformly (core/sessions.ts). */
export function generateSessionToken(): string {
  let out = 'enc_sess_';
  for (let i = 0; i < 43; i++) out += ALPHANUMERIC[randomInt(ALPHANUMERIC.length)];
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

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest();

/** Ten characters of time, for keys that sort by time (Crockford base32 of epoch ms). */
export function timeKey(timeMs: number): string {
  return encodeTime(timeMs);
}

/** Six characters naming a webhook within its workspace: the last part of each of its delivery ids. */
export function webhookRef(workspaceId: string, webhookId: string): string {
  return encodeBytes(sha256(`webhook\n${workspaceId}\n${webhookId}`), 6);
}

/**
 * An event's key in time order: 10 characters of the time it first arrived and 10 derived from its
 * id. The events table keeps each event under it, so the events of a workspace list by time.
 */
export function eventKeyFor(receivedMs: number, workspaceId: string, eventId: string): string {
  return `${encodeTime(receivedMs)}${encodeBytes(sha256(`event\n${workspaceId}\n${eventId}`), 10)}`;
}

/**
 * A delivery id: `dlv_` + the event's key (time + event) + the webhook's ref. Ids sort by time, then
 * by event, like the events they come from (the delivery log merges the two in one order); the same
 * (event, webhook) always gives the same id, which is what makes fan-out idempotent; and the id names
 * its webhook, so a delivery can be found from its id alone.
 */
export function deliveryIdFor(eventKey: string, workspaceId: string, webhookId: string): string {
  return `dlv_${eventKey}${webhookRef(workspaceId, webhookId)}`;
}

/** A fresh delivery id for a one-off (test) delivery to a webhook. */
export function newDeliveryId(timeMs: number, workspaceId: string, webhookId: string): string {
  return `dlv_${encodeTime(timeMs)}${encodeBytes(randomBytes(10), 10)}${webhookRef(workspaceId, webhookId)}`;
}

/** The parts of a well-formed delivery id (see deliveryIdFor), or null. */
export function parseDeliveryId(id: string): { eventKey: string; timeMs: number; webhookRef: string } | null {
  if (!DELIVERY_ID_PATTERN.test(id)) return null;
  const body = id.slice(4);
  let timeMs = 0;
  for (const char of body.slice(0, 10)) timeMs = timeMs * 32 + CROCKFORD.indexOf(char);
  return { eventKey: body.slice(0, 20), timeMs, webhookRef: body.slice(20) };
}

/**
 * The greatest key of the same length that sorts before `key` (Crockford characters), or null for
 * the smallest. Turns an exclusive "below this key" into an inclusive bound.
 */
export function previousKey(key: string): string | null {
  const chars = key.split('');
  for (let i = chars.length - 1; i >= 0; i--) {
    const index = CROCKFORD.indexOf(chars[i] ?? '');
    if (index > 0) {
      chars[i] = CROCKFORD[index - 1] ?? '0';
      for (let j = i + 1; j < chars.length; j++) chars[j] = CROCKFORD[CROCKFORD.length - 1] ?? 'Z';
      return chars.join('');
    }
  }
  return null;
}

/** The smallest webhook ref: a cursor ending in it stands below every delivery of its event. */
export const LOWEST_REF = '000000';

/** A fresh, time-sortable event id for events published without an idempotency key. */
export function newEventId(timeMs: number): string {
  return `evt_${encodeTime(timeMs)}${encodeBytes(randomBytes(16), 16)}`;
}

/** A fresh, time-sortable recovery id. */
export function newRecoveryId(timeMs: number): string {
  return `rcv_${encodeTime(timeMs)}${encodeBytes(randomBytes(16), 16)}`;
}

export const RECOVERY_ID_PATTERN = /^rcv_[0-9A-HJKMNP-TV-Z]{26}$/;

export const DELIVERY_ID_PATTERN = /^dlv_[0-9A-HJKMNP-TV-Z]{26}$/;
