import { randomUUID } from 'node:crypto';
import { DynamoRateLimiter } from '../../functions/adapters/dynamodb/rate-limiter.ts';
import { config } from '../../functions/shared/config.ts';
import { dynamo } from '../../functions/shared/wiring.ts';
import { addKey, call, newWorkspace } from '../support/api.ts';

const PER_KEY = { limit: 30, periodSeconds: 60 };
/** Any fixed instant: the limiter takes `now`, so these tests never wait for the wall clock. */
const T0 = Date.parse('2026-11-30T12:00:59.000Z');
const limiter = () => new DynamoRateLimiter(dynamo(), config().tables.rateLimits);
const subject = (name: string) => `test:${name}:${randomUUID()}`;

describe('the rate limiter in DynamoDB (GCRA, given now)', () => {
  it('admits 30 at once, refuses the 31st with Retry-After, and refills one per 2 s', async () => {
    const s = subject('burst');
    const states = [];
    for (let i = 0; i < 31; i++) states.push(await limiter().hit(s, T0, PER_KEY));
    expect(states.map((st) => st.exceeded)).toEqual([...Array(30).fill(false), true]);
    expect(states.map((st) => st.remaining)).toEqual([...Array.from({ length: 30 }, (_, i) => 29 - i), 0]);
    expect(states[29]?.resetAt).toBe(T0 / 1000 + 60);
    expect(states[30]).toMatchObject({ exceeded: true, retryAfterSeconds: 2, resetAt: T0 / 1000 + 60 });
    expect((await limiter().hit(s, T0 + 1999, PER_KEY)).exceeded).toBe(true);
    expect((await limiter().hit(s, T0 + 2000, PER_KEY)).exceeded).toBe(false);
    expect((await limiter().hit(s, T0 + 2000, PER_KEY)).exceeded).toBe(true);
  });

  it('admits no second budget across a minute boundary (fixed windows served 60 in 0.2 s)', async () => {
    const s = subject('edge');
    let passed = 0;
    for (const now of [...Array(30).fill(T0 + 900), ...Array(30).fill(T0 + 1100)]) {
      if (!(await limiter().hit(s, now, PER_KEY)).exceeded) passed++;
    }
    expect(passed).toBe(30);
  });

  it('holds under concurrency: of 40 at once, exactly 30 pass', async () => {
    const s = subject('concurrent');
    const states = await Promise.all(Array.from({ length: 40 }, () => limiter().hit(s, T0, PER_KEY)));
    expect(states.filter((st) => !st.exceeded)).toHaveLength(30);
  });

  it('a refused request costs nothing: the budget refills on time however hard it is hammered', async () => {
    const s = subject('hammer');
    for (let i = 0; i < 30; i++) await limiter().hit(s, T0, PER_KEY);
    for (let i = 0; i < 20; i++) expect((await limiter().hit(s, T0 + 1000, PER_KEY)).exceeded).toBe(true);
    expect((await limiter().hit(s, T0 + 2000, PER_KEY)).exceeded).toBe(false);
  });
});

describe('rate limit: 30 requests per minute per key on /api/webhooks*, 120 per workspace', () => {
  it('answers the 31st request in a burst with 429 and Retry-After, with headers on every response', async () => {
    const { key } = await newWorkspace('rate');
    const responses = [];
    const started = Date.now();
    for (let i = 0; i < 31; i++) responses.push(await call('GET', '/api/webhooks', { key }));
    const elapsed = Date.now() - started;
    const statuses = responses.map((r) => r.status);
    expect(statuses.slice(0, 30).every((s) => s === 200)).toBe(true);
    for (const [i, res] of responses.slice(0, 30).entries()) {
      expect(res.headers['x-ratelimit-limit']).toBe('30');
      expect(Number(res.headers['x-ratelimit-remaining'])).toBeGreaterThanOrEqual(29 - i);
      expect(Number(res.headers['x-ratelimit-reset'])).toBeGreaterThanOrEqual(Math.floor(Date.now() / 1000));
    }
    const limited = responses[30];
    // Exact limits are the limiter's tests above (they pass `now`); here, if the burst took longer
    // than one refill (2 s, a loaded machine), the 31st may rightly pass.
    if (elapsed < 2000) expect(limited?.status).toBe(429);
    if (limited?.status === 429) {
      expect(limited.json).toMatchObject({ code: 'rate_limited' });
      expect(limited.headers['x-ratelimit-remaining']).toBe('0');
      expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(2);
    }
    // Other keys and the key endpoints are not affected.
    expect((await call('GET', '/api/keys', { key })).status).toBe(200);
    expect((await call('GET', '/api/webhooks', { key: (await newWorkspace('rate2')).key })).status).toBe(200);
  }, 30_000);

  it('is one budget per key across every prefix (contract §7)', async () => {
    const { key } = await newWorkspace('prefixes');
    const prefixes = ['/api', '/api/cli', '/api/agent'];
    const started = Date.now();
    const responses = [];
    for (let i = 0; i < 31; i++) responses.push(await call('GET', `${prefixes[i % 3]}/webhooks`, { key }));
    // As above: exact unless the burst outlasted one refill (2 s).
    if (Date.now() - started < 2000) {
      expect(responses.slice(0, 30).map((r) => Number(r.headers['x-ratelimit-remaining']))).toEqual(
        Array.from({ length: 30 }, (_, i) => 29 - i),
      );
      expect(responses[30]?.status).toBe(429);
    } else {
      expect(responses.some((r) => r.status === 429 || Number(r.headers['x-ratelimit-remaining']) < 10)).toBe(
        true,
      );
    }
  }, 30_000);

  it('cannot be multiplied by minting keys: the workspace has one ceiling across all its keys', async () => {
    const { workspaceId, key } = await newWorkspace('ceiling');
    const keys = [key];
    for (let i = 0; i < 4; i++) keys.push((await addKey(workspaceId)).key);
    // Five keys × 30 would be 150; the workspace admits 120 (concurrently, so no refill in between).
    const statuses = (
      await Promise.all(
        keys.flatMap((k) => Array.from({ length: 30 }, () => call('GET', '/api/webhooks', { key: k }))),
      )
    ).map((r) => r.status);
    const passed = statuses.filter((s) => s === 200).length;
    expect(passed).toBeGreaterThanOrEqual(120);
    // At most what refilled while the 150 were answered (one per 0.5 s) beyond the 120.
    expect(statuses.filter((s) => s === 429).length).toBe(150 - passed);
    expect(passed).toBeLessThan(150);
    // Another workspace is untouched.
    expect((await call('GET', '/api/webhooks', { key: (await newWorkspace('ceiling2')).key })).status).toBe(
      200,
    );
  }, 60_000);

  it('limits how many keys a workspace creates through the API (10 an hour)', async () => {
    const { key } = await newWorkspace('mint');
    const statuses = [];
    for (let i = 0; i < 11; i++)
      statuses.push((await call('POST', '/api/keys', { key, body: { name: `k${i}` } })).status);
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(201));
    const refused = await call('POST', '/api/keys', { key, body: { name: 'one more' } });
    expect(refused.status).toBe(429);
    expect(refused.json).toMatchObject({ code: 'rate_limited' });
    // One creation refills every 6 minutes.
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(300);
    expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(360);
    // The refused ones left no key behind: the seeded key and the ten.
    expect((await call('GET', '/api/keys', { key })).json.keys).toHaveLength(11);
  }, 30_000);
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
    expect(Number(res.headers['x-ratelimit-reset'])).toBeGreaterThanOrEqual(Math.floor(Date.now() / 1000));
    if (withKey) expect(res.headers['x-ratelimit-remaining']).toBe('29'); // it counted
  });

  it('are absent outside /api/webhooks', async () => {
    const res = await call('GET', '/api/health');
    expect(res.headers['x-ratelimit-limit']).toBeUndefined();
  });
});
