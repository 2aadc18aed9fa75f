import { randomUUID } from 'node:crypto';
import { addKey, call, newWorkspace } from '../support/api.ts';

const URL_OK = 'https://hooks.example.com/encrata';
const WEBHOOK_FIELDS = [
  'created_at',
  'created_by',
  'description',
  'disabled_reason',
  'events',
  'headers',
  'id',
  'is_active',
  'rate_limit',
  'updated_at',
  'url',
  'workspace_id',
];

describe('webhook endpoints (contract §3)', () => {
  let key: string;
  let keyId: string;
  let workspaceId: string;
  let other: { key: string };

  beforeAll(async () => {
    ({ workspaceId } = await newWorkspace('webhooks'));
    other = await newWorkspace('other');
  });

  // A fresh key of the same workspace per test keeps each test under the 30/min rate limit.
  beforeEach(async () => {
    ({ key, keyId } = await addKey(workspaceId));
  });

  const create = (body: unknown, k = key) => call('POST', '/api/webhooks', { key: k, body });

  it('creates a webhook and returns its secret once', async () => {
    const res = await create({
      url: URL_OK,
      events: ['lookup.completed', 'credits.low', 'lookup.completed'],
    });
    expect(res.status).toBe(201);
    expect(Object.keys(res.json).sort()).toEqual([...WEBHOOK_FIELDS, 'secret'].sort());
    expect(res.json).toMatchObject({
      url: URL_OK,
      events: ['lookup.completed', 'credits.low'],
      is_active: true,
      description: '',
      workspace_id: workspaceId,
      created_by: keyId,
    });
    expect(res.json.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.json.secret).toMatch(/^whsec_[0-9a-f]{64}$/);
    expect(res.json.created_at).toMatch(/Z$/);

    const got = await call('GET', `/api/webhooks?id=${res.json.id}`, { key });
    expect(got.status).toBe(200);
    expect(Object.keys(got.json).sort()).toEqual(WEBHOOK_FIELDS);
    expect(got.body).not.toContain(res.json.secret);

    const list = await call('GET', '/api/webhooks', { key });
    expect(Array.isArray(list.json)).toBe(true);
    expect(list.body).not.toContain('whsec_');
    expect(list.body).not.toContain('secret');
  });

  it('lists a bare array, newest first', async () => {
    const { key: k } = await newWorkspace('list');
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      ids.push((await create({ url: `${URL_OK}/${i}`, events: ['credits.low'] }, k)).json.id);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const list = await call('GET', '/api/webhooks', { key: k });
    expect(list.status).toBe(200);
    expect(list.json.map((w: { id: string }) => w.id)).toEqual(ids.reverse());
  });

  it('updates partially: PUT {id, url} keeps events and description', async () => {
    const created = await create({ url: URL_OK, events: ['credits.low'], description: 'billing' });
    const id = created.json.id;
    const put = await call('PUT', '/api/webhooks', { key, body: { id, url: `${URL_OK}/v2` } });
    expect(put.status).toBe(200);
    expect(put.json).toEqual({ status: 'updated' });
    const after = (await call('GET', `/api/webhooks?id=${id}`, { key })).json;
    expect(after).toMatchObject({
      url: `${URL_OK}/v2`,
      events: ['credits.low'],
      description: 'billing',
      is_active: true,
    });
    expect(after.updated_at >= created.json.updated_at).toBe(true);

    await call('PUT', '/api/webhooks', {
      key,
      body: { id, url: `${URL_OK}/v2`, events: null, description: null, is_active: false },
    });
    expect((await call('GET', `/api/webhooks?id=${id}`, { key })).json).toMatchObject({
      events: ['credits.low'],
      description: 'billing',
      is_active: false,
    });
    await call('PUT', '/api/webhooks', {
      key,
      body: { id, url: URL_OK, events: ['apikey.created'], description: '' },
    });
    expect((await call('GET', `/api/webhooks?id=${id}`, { key })).json).toMatchObject({
      url: URL_OK,
      events: ['apikey.created'],
      description: '',
    });
  });

  it('deletes with a JSON body (204) and with ?id=', async () => {
    const a = (await create({ url: URL_OK, events: ['credits.low'] })).json.id;
    const b = (await create({ url: URL_OK, events: ['credits.low'] })).json.id;
    const del = await call('DELETE', '/api/webhooks', { key, body: { id: a } });
    expect(del.status).toBe(204);
    expect(del.body).toBe('');
    expect((await call('DELETE', `/api/webhooks?id=${b}`, { key })).status).toBe(204);
    expect((await call('GET', `/api/webhooks?id=${a}`, { key })).status).toBe(404);
    expect((await call('DELETE', '/api/webhooks', { key, body: { id: a } })).status).toBe(404);
    expect((await call('DELETE', '/api/webhooks', { key })).json).toMatchObject({ code: 'validation_error' });
  });

  describe('validation', () => {
    const cases: [string, unknown, string][] = [
      ['http URL', { url: 'http://example.com/hook', events: ['credits.low'] }, 'url'],
      ['relative URL', { url: '/hook', events: ['credits.low'] }, 'url'],
      ['URL with credentials', { url: 'https://user:pw@example.com/hook', events: ['credits.low'] }, 'url'],
      ['URL too long', { url: `https://example.com/${'a'.repeat(2048)}`, events: ['credits.low'] }, 'url'],
      ['missing url', { events: ['credits.low'] }, 'url'],
      ['no events', { url: URL_OK, events: [] }, 'events'],
      ['unknown event', { url: URL_OK, events: ['lookup.completed', 'user.deleted'] }, 'events.1'],
      ['test is not subscribable', { url: URL_OK, events: ['test'] }, 'events.0'],
      ['events not an array', { url: URL_OK, events: 'credits.low' }, 'events'],
      [
        'description too long',
        { url: URL_OK, events: ['credits.low'], description: 'x'.repeat(501) },
        'description',
      ],
    ];
    it.each(cases)('rejects %s with 400 and a field detail', async (_name, body, path) => {
      const res = await create(body);
      expect(res.status).toBe(400);
      expect(res.json.code).toBe('validation_error');
      expect(typeof res.json.error).toBe('string');
      expect(res.json.details.map((d: { path: string }) => d.path)).toContain(path);
    });

    it('accepts exactly 2048 characters and 500-character descriptions', async () => {
      const url = `https://example.com/${'a'.repeat(2048 - 'https://example.com/'.length)}`;
      expect(url).toHaveLength(2048);
      expect((await create({ url, events: ['credits.low'], description: 'd'.repeat(500) })).status).toBe(201);
    });

    it('refuses loopback targets when private targets are not allowed', async () => {
      process.env.ENCRATA_ALLOW_PRIVATE_TARGETS = '0';
      jest.resetModules();
      const { call: freshCall } = await import('../support/api.ts');
      const res = await freshCall('POST', '/api/webhooks', {
        key,
        body: { url: 'https://127.0.0.1/hook', events: ['credits.low'] },
      });
      process.env.ENCRATA_ALLOW_PRIVATE_TARGETS = '1';
      expect(res.status).toBe(400);
      expect(res.json.details[0]).toMatchObject({ path: 'url' });
    });

    it('answers malformed JSON with 400 invalid_json', async () => {
      const res = await call('POST', '/api/webhooks', { key, rawBody: '{"url": ' });
      expect(res.status).toBe(400);
      expect(res.json).toEqual({ error: 'Request body is not valid JSON', code: 'invalid_json' });
    });

    it('answers a body over 64 KiB with 413', async () => {
      const res = await create({ url: URL_OK, events: ['credits.low'], description: 'x'.repeat(70 * 1024) });
      expect(res.status).toBe(413);
      expect(res.json.code).toBe('payload_too_large');
    });

    it('requires id and url on update', async () => {
      const res = await call('PUT', '/api/webhooks', { key, body: { url: URL_OK } });
      expect(res.status).toBe(400);
      expect(res.json.details.map((d: { path: string }) => d.path)).toEqual(['id']);
      const noUrl = await call('PUT', '/api/webhooks', { key, body: { id: randomUUID() } });
      expect(noUrl.json.details.map((d: { path: string }) => d.path)).toEqual(['url']);
    });
  });

  it('answers 405 for a wrong method on a known path and 404 for unknown paths', async () => {
    const patch = await call('PATCH', '/api/webhooks', { key });
    expect(patch.status).toBe(405);
    expect(patch.headers.allow).toBe('GET, POST, PUT, DELETE');
    expect(patch.json.code).toBe('method_not_allowed');
    const unknown = await call('GET', '/api/nothing-here', { key });
    expect(unknown.status).toBe(404);
    expect(unknown.json).toMatchObject({ code: 'route_not_found' });
  });

  describe('authentication', () => {
    it.each([
      ['no header', undefined],
      ['wrong scheme', 'Basic abc'],
      ['malformed key', 'Bearer enc_live_short'],
      ['unknown key', `Bearer enc_live_${'A'.repeat(32)}`],
    ])('refuses %s with the contract 401', async (_name, header) => {
      const res = await call('GET', '/api/webhooks', { headers: header ? { authorization: header } : {} });
      expect(res.status).toBe(401);
      expect(res.json).toEqual({ error: 'Unauthorized', code: 'unauthorized' });
    });
  });

  describe('workspace isolation', () => {
    it('gives 404 for every action on another workspace’s webhook and changes nothing', async () => {
      const created = await create({ url: URL_OK, events: ['credits.low'], description: 'mine' });
      const id = created.json.id;
      const foreign = other.key;
      expect((await call('GET', `/api/webhooks?id=${id}`, { key: foreign })).status).toBe(404);
      const put = await call('PUT', '/api/webhooks', {
        key: foreign,
        body: { id, url: `${URL_OK}/evil`, is_active: false },
      });
      expect(put.json).toMatchObject({ code: 'not_found' });
      expect(put.status).toBe(404);
      expect((await call('DELETE', '/api/webhooks', { key: foreign, body: { id } })).status).toBe(404);
      expect((await call('POST', '/api/webhooks/test', { key: foreign, body: { id } })).status).toBe(404);
      expect((await call('GET', `/api/webhooks/deliveries?webhook_id=${id}`, { key: foreign })).status).toBe(
        404,
      );
      expect(
        (await call('GET', '/api/webhooks', { key: foreign })).json.map((w: { id: string }) => w.id),
      ).not.toContain(id);
      const after = await call('GET', `/api/webhooks?id=${id}`, { key });
      expect(after.json).toMatchObject({ url: URL_OK, is_active: true, description: 'mine' });
      expect((await call('GET', `/api/webhooks/deliveries?webhook_id=${id}`, { key })).json).toEqual([]);
    });

    it('never takes the workspace from the request', async () => {
      const res = await create({ url: URL_OK, events: ['credits.low'], workspace_id: 'ws_someone_else' });
      expect(res.status).toBe(201);
      expect(res.json.workspace_id).toBe(workspaceId);
    });
  });

  it('refuses the 51st webhook of a workspace with 400 limit_exceeded', async () => {
    // Two keys of one workspace, so the per-key rate limit (30/min) does not get in the way.
    const { workspaceId: ws, key: first } = await newWorkspace('limit');
    const second = (await addKey(ws)).key;
    const statuses: number[] = [];
    for (let i = 0; i < 50; i++) {
      statuses.push(
        (await create({ url: `${URL_OK}/${i}`, events: ['credits.low'] }, i < 25 ? first : second)).status,
      );
    }
    expect(statuses.every((status) => status === 201)).toBe(true);
    const third = (await addKey(ws)).key;
    const res = await create({ url: `${URL_OK}/51`, events: ['credits.low'] }, third);
    expect(res.status).toBe(400);
    expect(res.json.code).toBe('limit_exceeded');
    expect((await call('GET', '/api/webhooks', { key: third })).json).toHaveLength(50);
  }, 30_000); // 51 creates: ~4 s alone, more beside other test files
});
