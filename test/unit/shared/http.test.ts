/**
 * The HTTP handler factory (functions/shared/http.ts) with its collaborators passed in: body reading,
 * authentication, the per-key rate limit, the one error mapping and the access log.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import * as z from 'zod';
import type { ApiKeyRecord } from '../../../functions/core/api-keys.ts';
import { MalformedJsonError, NotFoundError, PayloadTooLargeError } from '../../../functions/core/errors.ts';
import { hashApiKey } from '../../../functions/core/ids.ts';
import type { RateLimiter } from '../../../functions/core/ports.ts';
import { decide } from '../../../functions/core/rate-limit.ts';
import type { SessionRecord } from '../../../functions/core/sessions.ts';
import {
  createHttpHandler,
  type HttpCollaborators,
  type HttpEvent,
  json,
  MAX_BODY_BYTES,
  readJsonBody,
} from '../../../functions/shared/http.ts';

const KEY = `enc_live_${'a'.repeat(32)}`;
const SESSION = `enc_sess_${'s'.repeat(43)}`;
const NOW = Date.parse('2026-11-30T12:00:30.000Z');

function event(overrides: Partial<HttpEvent> & { method?: string } = {}): HttpEvent {
  const { method = 'POST', ...rest } = overrides;
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: '/api/webhooks',
    rawQueryString: '',
    headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
    requestContext: {
      accountId: '1',
      apiId: 'a',
      domainName: 'x',
      domainPrefix: 'x',
      http: { method, path: '/api/webhooks', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 't' },
      requestId: 'req-1',
      routeKey: '$default',
      stage: '$default',
      time: '',
      timeEpoch: NOW,
    },
    isBase64Encoded: false,
    body: '{"n":1}',
    ...rest,
  };
}

/** One context for every call: the factory must not carry a request's state over to the next. */
const context = { functionName: 'test', getRemainingTimeInMillis: () => 10_000 } as unknown as Context;

function keyRecord(overrides: Partial<ApiKeyRecord> = {}): ApiKeyRecord {
  return {
    key_hash: hashApiKey(KEY),
    id: 'key_1',
    workspace_id: 'ws_1',
    name: 'test',
    key_preview: '...aaaa',
    created_at: '2026-11-01T00:00:00.000Z',
    last_used: new Date(NOW - 5_000).toISOString(),
    revoked_at: null,
    ...overrides,
  };
}

/** A logger that keeps what it was told. */
function recordingLogger() {
  const lines: { level: string; message: string; fields?: Record<string, unknown> }[] = [];
  const at =
    (level: string) =>
    (message: string, fields?: Record<string, unknown>): void => {
      lines.push({ level, message, fields });
    };
  const logger = {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    appendKeys: () => {},
    resetKeys: () => {},
  } as unknown as Logger;
  return { logger, lines };
}

function setup(
  options: {
    record?: ApiKeyRecord | null;
    /** Stored GCRA times by subject (e.g. a budget already spent). */
    tats?: Record<string, number>;
    touch?: () => Promise<void>;
    session?: SessionRecord | null;
  } = {},
) {
  const touched: string[] = [];
  const hits: string[] = [];
  const { logger, lines } = recordingLogger();
  const tats = new Map(Object.entries(options.tats ?? {}));
  // The core's own decision, in memory: what the DynamoDB limiter applies with conditional writes.
  const rateLimiter: RateLimiter = {
    hit: async (subject, now, rule) => {
      hits.push(subject);
      const { tatMs, state } = decide(tats.get(subject) ?? null, now, rule);
      if (tatMs !== null) tats.set(subject, tatMs);
      return state;
    },
  };
  const collaborators: HttpCollaborators = {
    apiKeys: () => ({
      findByHash: async (hash) =>
        hash === hashApiKey(KEY) ? (options.record === undefined ? keyRecord() : options.record) : null,
      touch:
        options.touch ??
        (async (hash) => {
          touched.push(hash);
        }),
    }),
    rateLimiter: () => rateLimiter,
    rateLimitPerMinute: () => 30,
    workspaceRateLimitPerMinute: () => 120,
    sessions: () => ({
      find: async (hash) => (hash === hashApiKey(SESSION) ? (options.session ?? null) : null),
    }),
    sessionRateLimitPerMinute: () => 120,
    logger,
    now: () => NOW,
  };
  return { httpHandler: createHttpHandler(collaborators), touched, hits, lines };
}

const bodySchema = z.object({ n: z.number() });
const out = z.object({ n: z.number(), workspace: z.string() });

function echo(httpHandler: ReturnType<typeof createHttpHandler>, rateLimited = true) {
  return httpHandler({ auth: 'key', rateLimited, body: bodySchema }, async ({ body, caller }) =>
    json(200, out, { n: body.n, workspace: caller.workspaceId }),
  );
}

const parse = (response: { body?: string }) => JSON.parse(response.body ?? '');

describe('readJsonBody', () => {
  it('reads none for an absent, empty or whitespace-only body', () => {
    expect(readJsonBody(event({ body: undefined }))).toBeUndefined();
    expect(readJsonBody(event({ body: '' }))).toBeUndefined();
    expect(readJsonBody(event({ body: ' \n\t ' }))).toBeUndefined();
    expect(
      readJsonBody(event({ body: Buffer.from('  ').toString('base64'), isBase64Encoded: true })),
    ).toBeUndefined();
  });

  it('decodes a base64 body as API Gateway sends non-text content', () => {
    const body = Buffer.from('{"n":7,"s":"é"}', 'utf8').toString('base64');
    expect(readJsonBody(event({ body, isBase64Encoded: true }))).toEqual({ n: 7, s: 'é' });
  });

  it('accepts exactly 64 KiB and refuses one byte more, counting decoded bytes', () => {
    const exactly = JSON.stringify({ s: 'x'.repeat(MAX_BODY_BYTES - 8) });
    expect(Buffer.byteLength(exactly)).toBe(MAX_BODY_BYTES);
    expect(readJsonBody(event({ body: exactly }))).toEqual({ s: 'x'.repeat(MAX_BODY_BYTES - 8) });
    const over = JSON.stringify({ s: 'x'.repeat(MAX_BODY_BYTES - 7) });
    expect(() => readJsonBody(event({ body: over }))).toThrow(PayloadTooLargeError);
    // Base64 is a third larger on the wire: the limit is on the bytes it stands for.
    expect(
      readJsonBody(event({ body: Buffer.from(exactly).toString('base64'), isBase64Encoded: true })),
    ).toBeDefined();
    // Multi-byte characters count as their bytes, not as characters.
    const wide = JSON.stringify({ s: 'é'.repeat(MAX_BODY_BYTES / 2) });
    expect(() => readJsonBody(event({ body: wide }))).toThrow(PayloadTooLargeError);
  });

  it('refuses malformed JSON', () => {
    expect(() => readJsonBody(event({ body: '{"n":' }))).toThrow(MalformedJsonError);
  });
});

describe('createHttpHandler', () => {
  it('authenticates the key, counts the request and answers with the rate-limit headers', async () => {
    const { httpHandler, hits } = setup();
    const response = await echo(httpHandler)(event(), context);
    expect(response.statusCode).toBe(200);
    expect(parse(response)).toEqual({ n: 1, workspace: 'ws_1' });
    expect(hits).toEqual(['key:key_1', 'workspace:ws_1']);
    expect(response.headers).toMatchObject({
      'Content-Type': 'application/json',
      'Cache-Control': 'no-store',
      'X-RateLimit-Limit': '30',
      'X-RateLimit-Remaining': '29',
      // The key's budget is whole again one interval (60 s / 30) from now.
      'X-RateLimit-Reset': String(Math.ceil((NOW + 2000) / 1000)),
    });
  });

  it.each([
    ['no Authorization header', { authorization: undefined }],
    ['not a Bearer key', { authorization: `Basic ${KEY}` }],
    ['a malformed key', { authorization: 'Bearer enc_live_short' }],
    ['an unknown key', { authorization: `Bearer enc_live_${'b'.repeat(32)}` }],
  ])('answers 401 for %s, with headers of a budget it did not count', async (_name, headers) => {
    const { httpHandler, hits } = setup();
    const response = await echo(httpHandler)(
      event({ headers: { 'content-type': 'application/json', ...headers } as Record<string, string> }),
      context,
    );
    expect(response.statusCode).toBe(401);
    expect(parse(response)).toMatchObject({ code: 'unauthorized', error: expect.any(String) });
    expect(response.headers?.['X-RateLimit-Limit']).toBe('30');
    expect(hits).toEqual([]);
  });

  it('answers 401 for a revoked or disabled key', async () => {
    for (const record of [
      keyRecord({ revoked_at: '2026-11-29T00:00:00.000Z' }),
      keyRecord({ disabled_at: '2026-11-29T00:00:00.000Z' }),
    ]) {
      const { httpHandler } = setup({ record });
      expect((await echo(httpHandler)(event(), context)).statusCode).toBe(401);
    }
  });

  describe('dashboard sessions', () => {
    const session = (overrides: Partial<SessionRecord> = {}): SessionRecord => ({
      id: 'sess_1',
      tokenHash: hashApiKey(SESSION),
      keyHash: hashApiKey(KEY),
      createdAt: new Date(NOW - 60_000).toISOString(),
      expiresAt: new Date(NOW + 60_000).toISOString(),
      ...overrides,
    });
    const withSession = () => event({ headers: { authorization: `Bearer ${SESSION}` } });

    it('act for the key’s workspace and count against their own budget, never the key’s', async () => {
      const { httpHandler, hits } = setup({ session: session() });
      const response = await echo(httpHandler)(withSession(), context);
      expect(response.statusCode).toBe(200);
      expect(parse(response)).toEqual({ n: 1, workspace: 'ws_1' });
      // Never the key's budget, nor the workspace ceiling across keys.
      expect(hits).toEqual(['session:sess_1']);
      expect(response.headers?.['X-RateLimit-Limit']).toBe('120');
    });

    it('work while the key’s budget and the workspace ceiling are spent', async () => {
      const spent = NOW + 10 * 60_000;
      const { httpHandler } = setup({
        session: session(),
        tats: { 'key:key_1': spent, 'workspace:ws_1': spent },
      });
      expect((await echo(httpHandler)(event(), context)).statusCode).toBe(429);
      expect((await echo(httpHandler)(withSession(), context)).statusCode).toBe(200);
    });

    it('are refused once expired, unknown, or when their key is revoked or disabled', async () => {
      const cases: { session: SessionRecord | null; record?: ApiKeyRecord | null }[] = [
        { session: session({ expiresAt: new Date(NOW).toISOString() }) },
        { session: null },
        { session: session(), record: keyRecord({ revoked_at: '2026-11-29T00:00:00.000Z' }) },
        { session: session(), record: keyRecord({ disabled_at: '2026-11-29T00:00:00.000Z' }) },
        { session: session(), record: null },
      ];
      for (const options of cases) {
        const { httpHandler, hits } = setup(options);
        const response = await echo(httpHandler)(withSession(), context);
        expect(response.statusCode).toBe(401);
        expect(parse(response)).toEqual({ error: 'Unauthorized', code: 'unauthorized' });
        expect(hits).toEqual([]);
      }
    });

    it('are not confused with keys: a token of another shape is a 401 without a lookup', async () => {
      const { httpHandler } = setup({ session: session() });
      const response = await echo(httpHandler)(
        event({ headers: { authorization: `Bearer enc_sess_${'s'.repeat(42)}` } }),
        context,
      );
      expect(response.statusCode).toBe(401);
    });
  });

  it('records last_used at most once a minute, and a failure to record it does not fail the request', async () => {
    const recent = setup();
    await echo(recent.httpHandler)(event(), context);
    expect(recent.touched).toEqual([]);

    const stale = setup({ record: keyRecord({ last_used: new Date(NOW - 61_000).toISOString() }) });
    await echo(stale.httpHandler)(event(), context);
    expect(stale.touched).toEqual([hashApiKey(KEY)]);

    const failing = setup({
      record: keyRecord({ last_used: null }),
      touch: async () => {
        throw new Error('throttled');
      },
    });
    expect((await echo(failing.httpHandler)(event(), context)).statusCode).toBe(200);
    expect(failing.lines).toContainEqual(
      expect.objectContaining({ level: 'warn', message: 'could not record last_used for an API key' }),
    );
  });

  it('answers 429 with Retry-After over the key’s budget (the workspace not counted), and does not count routes that are not limited', async () => {
    // The key's 30 spent just now: the next passes in one interval (2 s).
    const over = setup({ tats: { 'key:key_1': NOW + 60_000 } });
    const limited = await echo(over.httpHandler)(event(), context);
    expect(limited.statusCode).toBe(429);
    expect(parse(limited)).toMatchObject({ code: 'rate_limited' });
    expect(limited.headers).toMatchObject({
      'Retry-After': '2',
      'X-RateLimit-Limit': '30',
      'X-RateLimit-Remaining': '0',
      'X-RateLimit-Reset': String(Math.ceil((NOW + 60_000) / 1000)),
    });
    expect(over.hits).toEqual(['key:key_1']);

    const free = setup({ tats: { 'key:key_1': NOW + 60_000 } });
    const response = await echo(free.httpHandler, false)(event(), context);
    expect(response.statusCode).toBe(200);
    expect(free.hits).toEqual([]);
    expect(response.headers).not.toHaveProperty('X-RateLimit-Limit');
  });

  it('answers 429 when the workspace’s ceiling across its keys is spent, though this key has budget left', async () => {
    const { httpHandler, hits } = setup({ tats: { 'workspace:ws_1': NOW + 60_000 } });
    const response = await echo(httpHandler)(event(), context);
    expect(response.statusCode).toBe(429);
    expect(hits).toEqual(['key:key_1', 'workspace:ws_1']);
    expect(response.headers).toMatchObject({
      // One interval of the workspace's 120 a minute: 0.5 s, rounded up.
      'Retry-After': '1',
      'X-RateLimit-Limit': '30',
      'X-RateLimit-Remaining': '0',
      'X-RateLimit-Reset': String(Math.ceil((NOW + 60_000) / 1000)),
    });
  });

  it('answers a body that fails its schema with 400 and the field in details', async () => {
    const { httpHandler } = setup();
    const response = await echo(httpHandler)(event({ body: '{"n":"one"}' }), context);
    expect(response.statusCode).toBe(400);
    expect(parse(response)).toMatchObject({
      code: 'validation_error',
      details: [expect.objectContaining({ path: 'n' })],
    });
  });

  it('maps a domain error by its status, and anything else to a generic, logged 500 that leaks nothing', async () => {
    const { httpHandler, lines } = setup();
    const notFound = httpHandler({ auth: 'key', rateLimited: true }, async () => {
      throw new NotFoundError('Webhook not found');
    });
    const missing = await notFound(event(), context);
    expect(missing.statusCode).toBe(404);
    expect(parse(missing)).toEqual({ error: 'Webhook not found', code: 'not_found' });
    expect(lines.filter((l) => l.level === 'error')).toEqual([]);

    const broken = httpHandler({ auth: 'key', rateLimited: true }, async () => {
      throw new Error('connection to 10.1.2.3 lost: secret=hunter2');
    });
    const response = await broken(event(), context);
    expect(response.statusCode).toBe(500);
    expect(parse(response)).toEqual({ error: 'Internal server error', code: 'internal_error' });
    expect(response.body).not.toContain('hunter2');
    expect(response.headers?.['X-RateLimit-Limit']).toBe('30');
    expect(lines).toContainEqual(expect.objectContaining({ level: 'error', message: 'unhandled error' }));
  });

  it('logs one line per request — mutations at INFO, reads at DEBUG — and never the key', async () => {
    const { httpHandler, lines } = setup();
    await echo(httpHandler)(event(), context);
    const read = httpHandler({ auth: 'key', rateLimited: true }, async () => ({ statusCode: 204 }));
    await read(event({ method: 'GET', body: undefined }), context);
    const access = lines.filter((l) => l.message === 'request handled');
    expect(access.map((l) => [l.level, l.fields?.method, l.fields?.status_code])).toEqual([
      ['info', 'POST', 200],
      ['debug', 'GET', 204],
    ]);
    expect(access[0]?.fields).toEqual({
      method: 'POST',
      path: '/api/webhooks',
      status_code: 200,
      duration_ms: 0,
      request_id: 'req-1',
    });
    expect(JSON.stringify(lines)).not.toContain(KEY);
  });

  it('passes the API prefix the request came under to the handler', async () => {
    const { httpHandler } = setup();
    const seen: string[] = [];
    const handler = httpHandler({ auth: 'key', rateLimited: true }, async ({ prefix }) => {
      seen.push(prefix);
      return { statusCode: 204 };
    });
    for (const rawPath of ['/api/webhooks', '/api/cli/webhooks', '/api/agent/webhooks']) {
      await handler(event({ rawPath }), context);
    }
    expect(seen).toEqual(['/api', '/api/cli', '/api/agent']);
  });
});
