import fc from 'fast-check';
import type { ApiResponse } from '../support/api.ts';

/**
 * The secret appears in the create response and nowhere else (responses and logs), and random
 * bodies thrown at create/update never produce a 5xx. Logging is turned up to DEBUG here and
 * everything written to stdout/stderr is captured.
 */
describe('secrets stay secret; random input never breaks the API', () => {
  const written: string[] = [];
  let call: typeof import('../support/api.ts').call;
  let newWorkspace: typeof import('../support/api.ts').newWorkspace;
  const restore: (() => void)[] = [];

  beforeAll(async () => {
    process.env.POWERTOOLS_LOG_LEVEL = 'DEBUG';
    for (const stream of [process.stdout, process.stderr]) {
      const original = stream.write.bind(stream);
      stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
        const text = String(chunk);
        written.push(text);
        // Captured, not echoed: DEBUG logs of 150 fuzzed requests would bury the test report.
        if (text.startsWith('{"level"')) return true;
        return (original as (...args: unknown[]) => boolean)(chunk, ...rest);
      }) as typeof stream.write;
      restore.push(() => {
        stream.write = original;
      });
    }
    ({ call, newWorkspace } = await import('../support/api.ts'));
  });

  afterAll(() => {
    for (const undo of restore) undo();
    process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  });

  it('shows the secret only in the create response', async () => {
    const { key, workspaceId } = await newWorkspace('secret');
    const created = await call('POST', '/api/webhooks', {
      key,
      body: { url: 'https://127.0.0.1:9/unreachable', events: ['credits.low'] },
    });
    expect(created.status).toBe(201);
    const secret: string = created.json.secret;
    const id: string = created.json.id;
    const others: ApiResponse[] = [
      await call('GET', '/api/webhooks', { key }),
      await call('GET', `/api/webhooks?id=${id}`, { key }),
      await call('PUT', '/api/webhooks', { key, body: { id, url: 'https://127.0.0.1:9/still-unreachable' } }),
      await call('POST', '/api/webhooks/test', { key, body: { id } }),
      await call('GET', `/api/webhooks/deliveries?webhook_id=${id}`, { key }),
      await call('GET', '/api/keys', { key }),
    ];
    for (const res of others) {
      expect(res.status).toBeLessThan(300);
      expect(res.body).not.toContain(secret);
      expect(res.body).not.toContain(secret.slice('whsec_'.length));
    }
    // The test endpoint did run (and failed to connect), and its signature is not the secret.
    expect(others[3]?.json).toMatchObject({ status: 'failed', status_code: null });
    const logs = written.join('');
    expect(logs.length).toBeGreaterThan(0);
    expect(logs).not.toContain(secret.slice('whsec_'.length));
    expect(logs).not.toContain(key);
    expect(logs).not.toContain(others[3]?.json.signature);
    void workspaceId;
  });

  const anything = fc.oneof(
    fc.jsonValue(),
    fc.record(
      {
        id: fc.oneof(fc.uuid(), fc.string(), fc.constant(null), fc.integer()),
        url: fc.oneof(fc.webUrl(), fc.string(), fc.constant('https://example.com/x'), fc.constant(null)),
        events: fc.oneof(
          fc.array(fc.constantFrom('lookup.completed', 'credits.low', 'test', 'x', '')),
          fc.jsonValue(),
        ),
        description: fc.oneof(fc.string({ maxLength: 600 }), fc.jsonValue()),
        is_active: fc.oneof(fc.boolean(), fc.jsonValue()),
      },
      { requiredKeys: [] },
    ),
  );

  it('never answers random create/update bodies with a 5xx', async () => {
    let { key } = await newWorkspace('fuzz');
    let used = 0;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('POST', 'PUT'), anything, fc.boolean(), async (method, body, raw) => {
        // Stay under the rate limits (30 a minute per key, 120 per workspace across its keys).
        if (++used % 25 === 0) ({ key } = await newWorkspace('fuzz'));
        const res = raw
          ? await call(method, '/api/webhooks', { key, rawBody: JSON.stringify(body).slice(0, -1) })
          : await call(method, '/api/webhooks', { key, body });
        expect(res.status).toBeLessThan(500);
        expect([200, 201, 400, 404, 409, 429]).toContain(res.status);
        expect(typeof res.json.error === 'string' || res.status < 300).toBe(true);
      }),
      { numRuns: 150 },
    );
  }, 60_000);
});
