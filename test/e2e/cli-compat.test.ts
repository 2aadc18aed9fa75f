/**
 * Encrata's CLI (Encratahq/encrata-cli v0.11.2) against the local stack, request by request: each
 * request is sent exactly as the CLI sends it (method, path under /api/cli, query encoded and sorted
 * as Go's url.Values does, body as Go's encoding/json writes a map: keys sorted, <>& escaped, nulls
 * sent, the same headers), and each answer is checked for every field the CLI reads, with the JSON
 * type it needs (it decodes into untyped maps: a number where it wants a string prints wrongly, a
 * string where it wants a boolean reads as false).
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLocalCertificate } from '../../local/certificates.ts';
import {
  changesApplied,
  eventually,
  type RunningStack,
  startStack,
  tempDataDir,
} from '../support/local-stack.ts';
import { TestReceiver } from '../support/receiver.ts';

jest.setTimeout(30_000);

/** Go's json.Marshal of a map: sorted keys, and <, >, & escaped. */
function goJson(value: unknown): string {
  const sorted = (v: unknown): unknown =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.keys(v as object)
            .sort()
            .map((k) => [k, sorted((v as Record<string, unknown>)[k])]),
        )
      : Array.isArray(v)
        ? v.map(sorted)
        : v;
  return JSON.stringify(sorted(value))
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026');
}

/** Go's url.Values.Encode: keys sorted, values query-escaped. */
function goQuery(values: Record<string, string>): string {
  return Object.keys(values)
    .sort()
    .map((k) => `${encodeURIComponent(k)}=${encodeURIComponent(values[k] ?? '').replace(/%20/g, '+')}`)
    .join('&');
}

describe('Encrata’s CLI request shapes against the local stack', () => {
  let stack: RunningStack;
  let receiver: TestReceiver;
  let key: string;

  beforeAll(async () => {
    const tls = await createLocalCertificate();
    const caFile = join(tempDataDir(), 'receiver-ca.pem');
    writeFileSync(caFile, tls.cert);
    receiver = await new TestReceiver(tls).start();
    stack = await startStack({
      env: { NODE_EXTRA_CA_CERTS: caFile, ENCRATA_RATE_LIMIT_PER_MINUTE: '100000' },
    });
    key = stack.info.api_key;
  }, 60_000);

  afterAll(async () => {
    await stack?.stop();
    await receiver?.stop();
  });

  /** One request as the CLI's transport builds it (internal/api/transport.go). */
  async function cli(
    method: string,
    path: string,
    options: { query?: Record<string, string>; body?: unknown; key?: string; prefix?: string } = {},
  ) {
    const body = options.body === undefined ? undefined : goJson(options.body);
    const headers: Record<string, string> = {
      Accept: 'application/json',
      Authorization: `Bearer ${options.key ?? key}`,
      'User-Agent': 'encrata-cli/0.11.2',
      'Accept-Encoding': 'gzip',
    };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const query = options.query ? `?${goQuery(options.query)}` : '';
    const res = await fetch(`${stack.info.api_url}${options.prefix ?? '/api/cli'}${path}${query}`, {
      method,
      headers,
      body: body ?? (method === 'PATCH' ? '' : undefined),
    });
    const text = await res.text();
    // biome-ignore lint/suspicious/noExplicitAny: the CLI reads untyped maps; so do these checks
    let json: any;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: res.status, headers: res.headers, json, text };
  }

  /** The CLI's error text: message, then error, detail, details, errors (internal/api/errors.go). */
  // biome-ignore lint/suspicious/noExplicitAny: untyped error bodies
  const errorText = (json: any) =>
    json?.message ?? json?.error ?? json?.detail ?? json?.details ?? json?.errors;

  it('webhooks create, list, get, update, test, deliveries, delete', async () => {
    const url = receiver.on('/cli?a=1&b=2', () => ({ status: 204 }));
    // W3: `encrata webhooks create <url> --events lookup.completed,credits.low`
    const created = await cli('POST', '/webhooks', {
      body: { url, description: '', events: ['lookup.completed', 'credits.low'] },
    });
    expect(created.status).toBe(201);
    for (const field of ['id', 'url', 'secret']) expect(typeof created.json[field]).toBe('string');
    expect(created.json.url).toBe(url);
    expect(created.json.secret).toMatch(/^whsec_/);
    const id: string = created.json.id;

    // W1: `webhooks list` reads id, url, events (strings), is_active (a real boolean), created_at.
    const listed = await cli('GET', '/webhooks');
    expect(Array.isArray(listed.json)).toBe(true);
    const item = listed.json.find((w: { id: string }) => w.id === id);
    expect(item).toMatchObject({ id, url, events: ['lookup.completed', 'credits.low'], is_active: true });
    expect(Number.isNaN(Date.parse(item.created_at))).toBe(false);

    // W2 + W4: `webhooks update <id> --description "new desc"` is GET ?id= (a bare object), then PUT
    // with every field and is_active null ("keep").
    const got = await cli('GET', '/webhooks', { query: { id } });
    expect(Array.isArray(got.json)).toBe(false);
    expect(got.json).toMatchObject({ url, description: '', events: ['lookup.completed', 'credits.low'] });
    const updated = await cli('PUT', '/webhooks', {
      body: {
        id,
        url: got.json.url,
        description: 'My <hook> & co',
        events: got.json.events,
        is_active: null,
      },
    });
    expect(updated.status).toBe(200);
    const afterUpdate = (await cli('GET', '/webhooks', { query: { id } })).json;
    expect(afterUpdate).toMatchObject({ description: 'My <hook> & co', is_active: true });
    // `--disable`, then `--enable`.
    expect(
      (await cli('PUT', '/webhooks', { body: { ...got.json, id, is_active: false, description: 'd' } }))
        .status,
    ).toBe(200);
    expect((await cli('GET', '/webhooks', { query: { id } })).json.is_active).toBe(false);
    await cli('PUT', '/webhooks', {
      body: { id, url, description: 'd', events: ['lookup.completed'], is_active: true },
    });

    // W6: `webhooks test <id>` succeeds on exactly status "delivered", and prints url and status_code.
    const tested = await cli('POST', '/webhooks/test', { body: { id } });
    expect(tested.status).toBe(200);
    expect(tested.json).toMatchObject({ status: 'delivered', url, status_code: 204, error: null });
    expect(typeof tested.json.status_code).toBe('number');
    // It sent the webhook's first subscribed type, with its example data and "test": true.
    const [request] = receiver.received('/cli?a=1&b=2').slice(-1);
    expect(request?.headers['x-encrata-event']).toBe('lookup.completed');
    expect(JSON.parse(request?.body ?? '{}')).toMatchObject({
      event: 'lookup.completed',
      data: { test: true, email: expect.any(String), lookup_id: expect.any(String) },
    });
    // The old CLI's prefix speaks the same dialect; the API's own keeps "sent".
    expect((await cli('POST', '/webhooks/test', { body: { id }, prefix: '/api/agent' })).json.status).toBe(
      'delivered',
    );
    expect((await cli('POST', '/webhooks/test', { body: { id }, prefix: '/api' })).json.status).toBe('sent');

    // A failed test is a 200 with another status (a 5xx would make the CLI send it three more times).
    const failingUrl = receiver.on('/cli-down', () => ({
      status: 500,
      body: 'Internal error from receiver',
    }));
    const failing = (
      await cli('POST', '/webhooks', { body: { url: failingUrl, description: '', events: ['credits.low'] } })
    ).json.id;
    const failed = await cli('POST', '/webhooks/test', { body: { id: failing } });
    expect(failed.status).toBe(200);
    expect(failed.json).toMatchObject({
      status: 'failed',
      url: failingUrl,
      status_code: 500,
      error: null,
      response_body: 'Internal error from receiver',
    });

    // W7: `webhooks deliveries <id>` reads event_type, status, response_status, attempts, times.
    const deliveries = await cli('GET', '/webhooks/deliveries', { query: { webhook_id: id } });
    expect(Array.isArray(deliveries.json)).toBe(true);
    expect(deliveries.json.length).toBeGreaterThanOrEqual(3);
    for (const d of deliveries.json) {
      expect(d).toMatchObject({ event_type: 'test', status: 'success', response_status: 204, attempts: 1 });
      expect(Number.isNaN(Date.parse(d.last_attempt_at ?? d.created_at))).toBe(false);
    }

    // W5: `webhooks delete <id> --yes`: the id in a JSON body on DELETE.
    const deleted = await cli('DELETE', '/webhooks', { body: { id } });
    expect(deleted.status).toBeLessThan(300);
    expect((await cli('GET', '/webhooks', { query: { id } })).status).toBe(404);
    expect(errorText((await cli('GET', '/webhooks', { query: { id } })).json)).toBe('Webhook not found');
  });

  it('keys create, ls, rename, disable, enable, revoke, revoke --permanent, limit', async () => {
    // K2: `keys create "CI key"` reads id, name, key.
    const created = await cli('POST', '/keys', { body: { name: 'CI key' } });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({
      name: 'CI key',
      id: expect.any(String),
      key: expect.stringMatching(/^enc_live_/),
    });
    const { id, key: newKey } = created.json as { id: string; key: string };

    // K1: `keys ls` reads id, name, key_prefix, and the status from two real booleans; the limit from
    // a number or null.
    const entry = async () => (await cli('GET', '/keys')).json.keys.find((k: { id: string }) => k.id === id);
    expect(await entry()).toMatchObject({
      id,
      name: 'CI key',
      key_prefix: newKey.slice(0, 12),
      is_active: true,
      disabled_by_admin: false,
      credit_limit: null,
    });
    expect(typeof (await entry()).is_active).toBe('boolean');

    // K3: `keys rename <id> "Prod key"`.
    expect((await cli('PUT', '/keys', { body: { id, name: 'Prod key' } })).json).toEqual({
      message: 'API key updated',
    });
    expect((await entry()).name).toBe('Prod key');

    // K4: `keys disable <id>` / `keys enable <id>`: PATCH ?action=&id= with no body.
    const disabled = await cli('PATCH', '/keys', { query: { id, action: 'disable' } });
    expect(disabled.json).toEqual({ message: 'API key disabled' });
    expect(await entry()).toMatchObject({ is_active: false });
    expect((await cli('GET', '/webhooks', { key: newKey })).status).toBe(401);
    expect((await cli('PATCH', '/keys', { query: { id, action: 'enable' } })).json).toEqual({
      message: 'API key enabled',
    });
    expect(await entry()).toMatchObject({ is_active: true });
    expect((await cli('GET', '/webhooks', { key: newKey })).status).toBe(200);

    // K5: `keys revoke <id> --yes`: shown disabled from then on, refused at once; it cannot be enabled.
    expect((await cli('DELETE', '/keys', { query: { id } })).json).toEqual({ message: 'API key revoked' });
    expect(await entry()).toMatchObject({ is_active: false });
    expect((await cli('GET', '/webhooks', { key: newKey })).status).toBe(401);
    const enableRevoked = await cli('PATCH', '/keys', { query: { id, action: 'enable' } });
    expect(enableRevoked.status).toBe(409);
    expect(errorText(enableRevoked.json)).toMatch(/revoked/);

    // K6: `keys revoke <id> --permanent --yes`: gone from the list.
    const other = (await cli('POST', '/keys', { body: { name: 'temp' } })).json as {
      id: string;
      key: string;
    };
    expect((await cli('DELETE', '/keys', { query: { id: other.id, permanent: 'true' } })).json).toEqual({
      message: 'API key deleted',
    });
    expect((await cli('GET', '/keys')).json.keys.some((k: { id: string }) => k.id === other.id)).toBe(false);
    expect((await cli('GET', '/webhooks', { key: other.key })).status).toBe(401);

    // K7: `keys limit <id> --credits 5000` / `--unlimited`: 501, not retried, with a message saying where.
    for (const credit_limit of [5000, null, 0]) {
      const limited = await cli('POST', '/keys/limit', { body: { id, credit_limit } });
      expect(limited.status).toBe(501);
      expect(limited.json.code).toBe('not_implemented');
      expect(errorText(limited.json)).toMatch(/billing/i);
    }
  });

  it('bad input: unknown action, bad names, a foreign key', async () => {
    const { id } = (await cli('POST', '/keys', { body: { name: 'victim' } })).json as { id: string };
    const unknown = await cli('PATCH', '/keys', { query: { id, action: 'pause' } });
    expect(unknown.status).toBe(400);
    expect(unknown.json.details).toEqual([{ path: 'action', message: 'action must be disable or enable' }]);
    for (const name of ['', '   ', 'x'.repeat(200), 'bad\u0000name']) {
      expect((await cli('PUT', '/keys', { body: { id, name } })).status).toBe(400);
    }
    // Another workspace's key, made by the operator command: indistinguishable from a missing one.
    const foreignKey = execFileSync(
      process.execPath,
      ['scripts/keys-create.ts', '--workspace', 'ws_other', '--name', 'other'],
      {
        env: { ...process.env, ENCRATA_DATA_DIR: stack.dataDir },
        encoding: 'utf8',
      },
    ).trim();
    const foreignId = (await cli('GET', '/keys', { key: foreignKey })).json.keys[0].id as string;
    for (const request of [
      () => cli('DELETE', '/keys', { query: { id: foreignId } }),
      () => cli('DELETE', '/keys', { query: { id: foreignId, permanent: 'true' } }),
      () => cli('PUT', '/keys', { body: { id: foreignId, name: 'mine now' } }),
      () => cli('PATCH', '/keys', { query: { id: foreignId, action: 'disable' } }),
      () =>
        cli('PATCH', '/keys', { query: { id: '00000000-0000-4000-8000-000000000000', action: 'disable' } }),
    ]) {
      const res = await request();
      expect(res.status).toBe(404);
      expect(res.json).toEqual({ error: 'API key not found', code: 'not_found' });
    }
    expect((await cli('GET', '/webhooks', { key: foreignKey })).status).toBe(200); // untouched
  });

  it('counts requests against the rate limit under every prefix', async () => {
    // This stack's limit (100 000 a minute) refills a request every 0.6 ms, faster than requests come:
    // that the three prefixes share one budget is shown exactly at 30 a minute, in
    // test/integration/rate-limit.test.ts. Here: each prefix answers with the key's counted budget.
    for (const prefix of ['/api', '/api/cli', '/api/agent']) {
      const res = await cli('GET', '/webhooks', { prefix });
      expect(res.headers.get('x-ratelimit-limit')).toBe('100000');
      expect(Number(res.headers.get('x-ratelimit-remaining'))).toBeLessThan(100_000);
    }
  });

  it('reports apikey.created on create only, and apikey.revoked with why: revoked, deleted, disabled', async () => {
    const url = receiver.on('/cli-key-events', () => ({ status: 200 }));
    await cli('POST', '/webhooks', {
      body: { url, description: '', events: ['apikey.created', 'apikey.revoked'] },
    });
    await changesApplied();
    const made = async (name: string) => (await cli('POST', '/keys', { body: { name } })).json.id as string;
    const a = await made('to revoke');
    const b = await made('to delete');
    const c = await made('to disable');
    await cli('PUT', '/keys', { body: { id: a, name: 'renamed' } });
    await cli('DELETE', '/keys', { query: { id: a } });
    await cli('DELETE', '/keys', { query: { id: b, permanent: 'true' } });
    await cli('PATCH', '/keys', { query: { id: c, action: 'disable' } });
    await cli('PATCH', '/keys', { query: { id: c, action: 'enable' } });
    const events = await eventually(async () => {
      const got = receiver.received('/cli-key-events').map((r) => JSON.parse(r.body));
      return got.length >= 6 ? got : undefined;
    });
    const of = (keyId: string) =>
      events
        .filter((e) => e.data.key_id === keyId)
        .map((e) => e.event + (e.data.reason ? `:${e.data.reason}` : ''));
    expect(of(a).sort()).toEqual(['apikey.created', 'apikey.revoked:revoked']);
    expect(of(b).sort()).toEqual(['apikey.created', 'apikey.revoked:deleted']);
    expect(of(c).sort()).toEqual(['apikey.created', 'apikey.revoked:disabled']);
  });
});
