import { call, newWorkspace } from '../support/api.ts';

/** Spends the key's whole budget for this minute (the 31st request is refused). */
async function exhaust(key: string): Promise<void> {
  let status = 0;
  for (let i = 0; i < 40 && status !== 429; i++)
    status = (await call('GET', '/api/webhooks', { key })).status;
  expect(status).toBe(429);
}

describe('dashboard sessions (POST /api/sessions)', () => {
  it('work for the key’s workspace with their own budget while the key’s is spent', async () => {
    const { key } = await newWorkspace('session');
    const created = await call('POST', '/api/webhooks', {
      key,
      body: { url: 'https://receiver.example.com/a', events: ['lookup.completed'] },
    });
    expect(created.status).toBe(201);
    await exhaust(key);

    // Signing in works while the key is out of budget (the sessions endpoint is not rate limited).
    const minted = await call('POST', '/api/sessions', { key });
    expect(minted.status).toBe(201);
    const { token, expires_at, rate_limit } = minted.json as {
      token: string;
      expires_at: string;
      rate_limit: number;
    };
    expect(token).toMatch(/^enc_sess_[A-Za-z0-9]{43}$/);
    expect(Date.parse(expires_at) - Date.now()).toBeGreaterThan(11.9 * 3600_000);
    expect(rate_limit).toBe(120);

    const listed = await call('GET', '/api/webhooks', { key: token });
    expect(listed.status).toBe(200);
    expect(listed.json).toEqual([expect.objectContaining({ url: 'https://receiver.example.com/a' })]);
    expect(listed.headers['x-ratelimit-limit']).toBe('120');
    expect(listed.headers['x-ratelimit-remaining']).toBe('119');
    // The session's budget is its own: another read is counted there, not refused with the key's.
    const again = await call('GET', '/api/webhooks', { key: token });
    expect(again.status).toBe(200);
    expect(Number(again.headers['x-ratelimit-remaining'])).toBeGreaterThanOrEqual(118);
  }, 30_000);

  it('stop at once when their key is disabled or revoked, and a session cannot mint another', async () => {
    const { key, keyId } = await newWorkspace('session-revoke');
    const other = await call('POST', '/api/keys', { key, body: { name: 'admin' } });
    const admin = (other.json as { key: string }).key;
    const token = ((await call('POST', '/api/sessions', { key })).json as { token: string }).token;
    expect((await call('GET', '/api/keys', { key: token })).status).toBe(200);

    const again = await call('POST', '/api/sessions', { key: token });
    expect(again.status).toBe(403);
    expect(again.json).toMatchObject({ code: 'forbidden', error: expect.any(String) });

    expect((await call('PATCH', `/api/keys?id=${keyId}&action=disable`, { key: admin })).status).toBe(200);
    expect((await call('GET', '/api/webhooks', { key: token })).status).toBe(401);
    expect((await call('PATCH', `/api/keys?id=${keyId}&action=enable`, { key: admin })).status).toBe(200);
    expect((await call('GET', '/api/webhooks', { key: token })).status).toBe(200);

    expect((await call('DELETE', `/api/keys?id=${keyId}`, { key: admin })).status).toBe(200);
    const refused = await call('GET', '/api/webhooks', { key: token });
    expect(refused.status).toBe(401);
    expect(refused.json).toEqual({ error: 'Unauthorized', code: 'unauthorized' });
  });

  it('end on sign-out (DELETE /api/sessions), which a key cannot call on itself', async () => {
    const { key } = await newWorkspace('session-end');
    const token = ((await call('POST', '/api/sessions', { key })).json as { token: string }).token;
    expect((await call('DELETE', '/api/sessions', { key })).status).toBe(403);
    expect((await call('DELETE', '/api/sessions', { key: token })).status).toBe(204);
    expect((await call('GET', '/api/webhooks', { key: token })).status).toBe(401);
    // The key is untouched, and a session's item never shows up among the keys.
    const keys = await call('GET', '/api/keys', { key });
    expect(keys.status).toBe(200);
    expect((keys.json as { keys: unknown[] }).keys).toHaveLength(1);
  });
});

describe('GET /api/webhooks/health', () => {
  it('answers one summary per webhook, for the workspace only', async () => {
    const { key } = await newWorkspace('health');
    const made = await call('POST', '/api/webhooks', {
      key,
      body: { url: 'https://receiver.example.com/h', events: ['lookup.completed'] },
    });
    const id = (made.json as { id: string }).id;
    const res = await call('GET', '/api/webhooks/health', { key });
    expect(res.status).toBe(200);
    expect(res.headers['x-ratelimit-limit']).toBe('30');
    expect(res.json).toEqual([
      {
        webhook_id: id,
        is_active: true,
        disabled_reason: null,
        failing_since: null,
        last_delivery_at: null,
        last_delivery_status: null,
        deliveries_24h: { success: 0, failed: 0, pending: 0 },
        success_rate_24h: null,
        sampled: false,
      },
    ]);
    const { key: otherKey } = await newWorkspace('health-other');
    expect((await call('GET', '/api/webhooks/health', { key: otherKey })).json).toEqual([]);
  });
});
