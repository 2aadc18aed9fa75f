import { call, newWorkspace } from '../support/api.ts';

describe('rate limit: 30 requests per minute per key on /api/webhooks*', () => {
  it('answers the 31st request in a minute with 429 and Retry-After, with headers on every response', async () => {
    // Start at the beginning of a window so all 31 requests fall in the same minute.
    const secondsIntoMinute = (Date.now() / 1000) % 60;
    if (secondsIntoMinute > 50)
      await new Promise((resolve) => setTimeout(resolve, (61 - secondsIntoMinute) * 1000));
    const { key } = await newWorkspace('rate');
    const responses = [];
    for (let i = 0; i < 31; i++) responses.push(await call('GET', '/api/webhooks', { key }));
    const statuses = responses.map((r) => r.status);
    expect(statuses.slice(0, 30).every((s) => s === 200)).toBe(true);
    expect(statuses[30]).toBe(429);
    for (const [i, res] of responses.entries()) {
      expect(res.headers['x-ratelimit-limit']).toBe('30');
      expect(res.headers['x-ratelimit-remaining']).toBe(String(Math.max(0, 29 - i)));
      expect(Number(res.headers['x-ratelimit-reset'])).toBeGreaterThan(Date.now() / 1000);
    }
    const limited = responses[30];
    expect(limited?.json).toMatchObject({ code: 'rate_limited' });
    expect(Number(limited?.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(limited?.headers['retry-after'])).toBeLessThanOrEqual(60);

    // Other keys and the key endpoints are not affected.
    expect((await call('GET', '/api/keys', { key })).status).toBe(200);
    expect((await call('GET', '/api/webhooks', { key: (await newWorkspace('rate2')).key })).status).toBe(200);
  }, 30_000);

  it('counts in DynamoDB, so concurrent containers share one budget', async () => {
    const { key } = await newWorkspace('rate-concurrent');
    const windowAtStart = Math.floor(Date.now() / 60_000);
    const statuses = (
      await Promise.all(Array.from({ length: 40 }, () => call('GET', '/api/webhooks', { key })))
    ).map((r) => r.status);
    const passed = statuses.filter((s) => s === 200).length;
    // Exactly 30 pass, unless a minute boundary fell inside the burst (then each window allows 30).
    if (Math.floor(Date.now() / 60_000) === windowAtStart) expect(passed).toBe(30);
    else expect(passed).toBeGreaterThanOrEqual(30);
    expect(statuses.filter((s) => s === 429).length).toBe(40 - passed);
  });
});

describe('rate-limit headers on every /api/webhooks* answer', () => {
  it.each([
    ['a request without a key (401)', 'GET', '/api/webhooks', false, 401],
    ['a wrong method (405)', 'PATCH', '/api/webhooks', true, 405],
    ['an unknown path under /api/webhooks (404)', 'GET', '/api/webhooks/nope', true, 404],
    ['an unknown path without a key (404)', 'GET', '/api/webhooks/nope', false, 404],
  ])('are present on %s', async (_name, method, path, withKey, status) => {
    const { key } = await newWorkspace('headers');
    const res = await call(method, path, withKey ? { key } : {});
    expect(res.status).toBe(status);
    expect(res.headers['x-ratelimit-limit']).toBe('30');
    expect(Number(res.headers['x-ratelimit-remaining'])).toBeLessThanOrEqual(30);
    expect(Number(res.headers['x-ratelimit-reset'])).toBeGreaterThan(Date.now() / 1000);
    if (withKey) expect(res.headers['x-ratelimit-remaining']).toBe('29'); // it counted
  });

  it('are absent outside /api/webhooks', async () => {
    const res = await call('GET', '/api/health');
    expect(res.headers['x-ratelimit-limit']).toBeUndefined();
  });
});
