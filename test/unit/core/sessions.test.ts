import { ForbiddenError } from '../../../functions/core/errors.ts';
import { hashApiKey } from '../../../functions/core/ids.ts';
import {
  buildSessionRecord,
  endSession,
  isSessionExpired,
  SESSION_TOKEN_PATTERN,
  type SessionRecord,
  sessionRateSubject,
  startSession,
} from '../../../functions/core/sessions.ts';

const KEY = `enc_live_${'a'.repeat(32)}`;
const NOW = Date.parse('2026-12-01T10:00:00.000Z');
const keyCaller = { workspaceId: 'ws_1', keyId: 'key_1' };

describe('startSession', () => {
  it('mints a 12-hour token from the key, stored only by its hash and pointing at the key', async () => {
    const created: SessionRecord[] = [];
    const out = await startSession(
      { create: async (record) => void created.push(record) },
      { caller: keyCaller, bearer: KEY, nowMs: NOW, rateLimit: 120 },
    );
    expect(out.token).toMatch(SESSION_TOKEN_PATTERN);
    expect(out).toMatchObject({ expires_at: '2026-12-01T22:00:00.000Z', rate_limit: 120 });
    expect(created).toHaveLength(1);
    expect(created[0]).toMatchObject({ tokenHash: hashApiKey(out.token), keyHash: hashApiKey(KEY) });
    expect(JSON.stringify(created)).not.toContain(out.token);
    expect(JSON.stringify(created)).not.toContain(KEY);
  });

  it('is refused to a session: a session cannot extend itself', async () => {
    const create = jest.fn();
    await expect(
      startSession(
        { create },
        {
          caller: { ...keyCaller, sessionId: 's1' },
          bearer: `enc_sess_${'b'.repeat(43)}`,
          nowMs: NOW,
          rateLimit: 120,
        },
      ),
    ).rejects.toBeInstanceOf(ForbiddenError);
    expect(create).not.toHaveBeenCalled();
  });

  it('gives every session a different token', async () => {
    const tokens = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const out = await startSession(
        { create: async () => {} },
        { caller: keyCaller, bearer: KEY, nowMs: NOW, rateLimit: 120 },
      );
      tokens.add(out.token);
    }
    expect(tokens.size).toBe(20);
  });
});

describe('endSession', () => {
  it('removes the session the request was made with, and refuses an API key', async () => {
    const token = `enc_sess_${'c'.repeat(43)}`;
    const removed: string[] = [];
    const store = { remove: async (hash: string) => void removed.push(hash) };
    await endSession(store, { caller: { ...keyCaller, sessionId: 's1' }, bearer: token });
    expect(removed).toEqual([hashApiKey(token)]);
    await expect(endSession(store, { caller: keyCaller, bearer: KEY })).rejects.toBeInstanceOf(
      ForbiddenError,
    );
    expect(removed).toHaveLength(1);
  });
});

describe('session rules', () => {
  it('expire exactly at expires_at', () => {
    const record = buildSessionRecord({ id: 's', tokenHash: 't', keyHash: 'k', nowMs: NOW, ttlSeconds: 60 });
    expect(isSessionExpired(record, NOW + 59_999)).toBe(false);
    expect(isSessionExpired(record, NOW + 60_000)).toBe(true);
    expect(isSessionExpired({ expiresAt: 'not a time' }, NOW)).toBe(true);
  });

  it('count under a subject no key id can take', () => {
    expect(sessionRateSubject('abc')).toBe('session:abc');
  });
});
