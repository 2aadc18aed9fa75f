/**
 * Dashboard sessions (beyond the contract): a short-lived Bearer token minted from an API key, acting
 * for the same workspace with its own rate budget, so the dashboard stays usable while the
 * customer's own code spends the key's 30 requests a minute. A session ends when it expires, when it
 * is ended (sign-out), or at once when its key is revoked, disabled or deleted: every request checks
 * the key again. The key's contract does not change.
 */
import * as z from 'zod';
import { DEFAULT_SESSION_RATE_LIMIT_PER_MINUTE, DEFAULT_SESSION_TTL_SECONDS } from '../resources.ts';
import type { Caller } from './api-keys.ts';
import { ForbiddenError } from './errors.ts';
import { API_KEY_PATTERN, generateSessionToken, generateUuid, hashApiKey } from './ids.ts';
import type { SessionStore } from './ports.ts';

export { DEFAULT_SESSION_RATE_LIMIT_PER_MINUTE, DEFAULT_SESSION_TTL_SECONDS };

/** `enc_sess_` + 43 alphanumerics (about 256 bits): never mistaken for a key (`enc_live_`). */
export const SESSION_TOKEN_PATTERN = /^enc_sess_[A-Za-z0-9]{43}$/;

/** A session as stored: found by the SHA-256 of its token, pointing at its key by the key's hash. */
export interface SessionRecord {
  id: string;
  tokenHash: string;
  keyHash: string;
  createdAt: string;
  expiresAt: string;
}

/** `POST /api/sessions` answer: the token (shown only here) and when it stops working. */
export const sessionOutSchema = z.object({
  token: z.string(),
  expires_at: z.string(),
  /** Requests per minute the session may make on the rate-limited endpoints (its own budget). */
  rate_limit: z.number().int(),
});
export type SessionOut = z.infer<typeof sessionOutSchema>;

/** The stored form of a session just minted from the key whose hash is `keyHash`. */
export function buildSessionRecord(options: {
  id: string;
  tokenHash: string;
  keyHash: string;
  nowMs: number;
  ttlSeconds?: number;
}): SessionRecord {
  const ttl = options.ttlSeconds ?? DEFAULT_SESSION_TTL_SECONDS;
  return {
    id: options.id,
    tokenHash: options.tokenHash,
    keyHash: options.keyHash,
    createdAt: new Date(options.nowMs).toISOString(),
    expiresAt: new Date(options.nowMs + ttl * 1000).toISOString(),
  };
}

/** Whether a session no longer works by time (its key is checked separately, on every request). */
export function isSessionExpired(record: Pick<SessionRecord, 'expiresAt'>, nowMs: number): boolean {
  const expires = Date.parse(record.expiresAt);
  return !(expires > nowMs);
}

/** The rate-limit subject of a session: never a key id, so it shares no budget with any key. */
export function sessionRateSubject(sessionId: string): string {
  return `session:${sessionId}`;
}

/**
 * Mints a session from the API key the request was made with (`bearer`). A session cannot mint
 * another: a stolen session token cannot outlive its twelve hours.
 */
export async function startSession(
  store: Pick<SessionStore, 'create'>,
  options: {
    caller: Caller;
    bearer: string | undefined;
    nowMs: number;
    rateLimit: number;
    ttlSeconds?: number;
  },
): Promise<SessionOut> {
  if (options.caller.sessionId || !options.bearer || !API_KEY_PATTERN.test(options.bearer)) {
    throw new ForbiddenError('A session is started with an API key, not with another session');
  }
  const token = generateSessionToken();
  const record = buildSessionRecord({
    id: generateUuid(),
    tokenHash: hashApiKey(token),
    keyHash: hashApiKey(options.bearer),
    nowMs: options.nowMs,
    ttlSeconds: options.ttlSeconds,
  });
  await store.create(record);
  return { token, expires_at: record.expiresAt, rate_limit: options.rateLimit };
}

/** Ends the session the request was made with (sign-out); an API key is not a session to end. */
export async function endSession(
  store: Pick<SessionStore, 'remove'>,
  options: { caller: Caller; bearer: string | undefined },
): Promise<void> {
  if (!options.caller.sessionId || !options.bearer || !SESSION_TOKEN_PATTERN.test(options.bearer)) {
    throw new ForbiddenError('Only a session can be ended: send its token, not an API key');
  }
  await store.remove(hashApiKey(options.bearer));
}
