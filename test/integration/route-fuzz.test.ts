import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import type * as z from 'zod';
import { newDeliveryId, newRecoveryId } from '../../functions/core/ids.ts';
import { API_PREFIXES, fullPath, ROUTES, type RouteSpec } from '../../functions/routes.ts';
import { dynamo } from '../../functions/shared/wiring.ts';
import { addKey, call, newWorkspace } from '../support/api.ts';

/**
 * Every parameter of every route (functions/routes.ts), under every prefix, gets random and hostile
 * strings: over-long, multi-byte, control and non-characters, near-misses of real ids, real ids of
 * the workspace. Nothing may answer 5xx, and no key DynamoDB is asked for may be over-long or
 * non-ASCII (dynalite under-checks key sizes; real DynamoDB would turn them into 500s). A guard on
 * the functions' own DynamoDB client records every key attribute they send.
 */

const KEY_ATTRIBUTES = new Set(['workspace_id', 'id', 'webhook_id', 'key_hash', 'bucket']);
/** DynamoDB's limit for a sort key (partition keys allow 2048). */
const MAX_KEY_BYTES = 1024;
const violations: string[] = [];
/** Commands the guard saw (so it cannot pass by seeing nothing). */
let inspected = 0;

type Json = Record<string, unknown>;
const stringOf = (value: unknown): string | undefined =>
  typeof value === 'string'
    ? value
    : value && typeof value === 'object' && typeof (value as Json).S === 'string'
      ? ((value as Json).S as string)
      : undefined;

function checkKey(operation: string, key: unknown): void {
  if (!key || typeof key !== 'object') return;
  for (const [name, value] of Object.entries(key as Json)) {
    if (!KEY_ATTRIBUTES.has(name)) continue;
    const text = stringOf(value);
    if (text === undefined) continue;
    if (Buffer.byteLength(text) > MAX_KEY_BYTES || !/^[\x20-\x7e]*$/.test(text)) {
      violations.push(
        `${operation} ${name}=${JSON.stringify(text.slice(0, 60))} (${Buffer.byteLength(text)} bytes)`,
      );
    }
  }
}

function inspect(operation: string, input: Json): void {
  inspected++;
  checkKey(operation, input.Key);
  checkKey(operation, input.ExclusiveStartKey);
  if (operation === 'PutItem') checkKey(operation, input.Item);
  if (typeof input.KeyConditionExpression === 'string') {
    const values = (input.ExpressionAttributeValues ?? {}) as Json;
    for (const placeholder of input.KeyConditionExpression.match(/:[A-Za-z0-9_]+/g) ?? []) {
      checkKey(operation, { id: values[placeholder] });
    }
  }
  for (const request of Object.values((input.RequestItems ?? {}) as Json)) {
    if (Array.isArray(request)) {
      for (const write of request as Json[]) {
        checkKey(operation, (write.PutRequest as Json | undefined)?.Item);
        checkKey(operation, (write.DeleteRequest as Json | undefined)?.Key);
      }
    } else {
      for (const key of ((request as Json).Keys ?? []) as unknown[]) checkKey(operation, key);
    }
  }
}

beforeAll(() => {
  dynamo().middlewareStack.add(
    (next, context) => async (args) => {
      inspect(context.commandName?.replace(/Command$/, '') ?? '', args.input as Json);
      return next(args);
    },
    { step: 'initialize', name: 'keyGuard', override: true },
  );
});
afterEach(() => {
  expect(violations).toEqual([]);
});

/** The parameter names a schema (a zod object) declares, or none. */
function fieldsOf(schema: z.ZodType | undefined): string[] {
  const shape = (schema as unknown as { shape?: Record<string, unknown> } | undefined)?.shape;
  return shape ? Object.keys(shape) : [];
}

const UUID = randomUUID();
const hostileStrings: fc.Arbitrary<string>[] = [
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.integer({ min: 1025, max: 4000 }).map((n) => 'a'.repeat(n)),
  fc.constantFrom('é'.repeat(40), '😀'.repeat(300), 'é'.repeat(600), `${UUID}é`, `${UUID.slice(0, 35)}é`),
  fc.constantFrom('\uFFFE', '\uFFFF', '\uFDD0', '\uFDEF', 'a\u0000b', '\u001b[31m', '\uD800', 'x\u{1FFFE}'),
  fc.constantFrom(
    '',
    ' ',
    '#workspace',
    '#recovery#x',
    'k#x',
    'e#x',
    '../../',
    '%00',
    'null',
    'true',
    '-1',
    '0',
  ),
  fc.constantFrom(
    UUID.toUpperCase(),
    `${UUID}x`,
    ` ${UUID}`,
    'dlv_',
    `dlv_${'0'.repeat(26)}`,
    `dlv_${'I'.repeat(26)}`,
  ),
  fc.constantFrom(`rcv_${'Z'.repeat(26)}`, `rcv_${'0'.repeat(27)}`, `enc_live_${'a'.repeat(32)}`),
];

describe('random input at every parameter of every route', () => {
  it('has a guard that sees the functions’ DynamoDB keys and flags bad ones', async () => {
    const { key } = await newWorkspace('guard');
    const seen = inspected;
    expect((await call('GET', `/api/webhooks?id=${UUID}`, { key })).status).toBe(404);
    expect(inspected).toBeGreaterThan(seen);
    inspect('GetItem', { Key: { workspace_id: 'ws', id: 'é' } });
    inspect('Query', {
      KeyConditionExpression: 'workspace_id = :w AND id > :x',
      ExpressionAttributeValues: { ':w': 'ws', ':x': 'a'.repeat(1025) },
    });
    expect(violations).toHaveLength(2);
    violations.length = 0;
  });

  it('never answers 5xx, and never sends DynamoDB an over-long or non-ASCII key', async () => {
    let workspace = await newWorkspace('routefuzz');
    let spare = await addKey(workspace.workspaceId);
    const pool = async () => {
      const hook = await call('POST', '/api/webhooks', {
        key: workspace.key,
        body: { url: 'https://127.0.0.1:9/unreachable', events: ['credits.low'] },
      });
      return {
        webhook: String(hook.json?.id ?? UUID),
        delivery: newDeliveryId(Date.now(), workspace.workspaceId, String(hook.json?.id ?? UUID)),
        recovery: newRecoveryId(Date.now()),
        keyId: spare.keyId,
      };
    };
    let real = await pool();
    let used = 0;
    const value = fc.oneof(
      { weight: 6, arbitrary: fc.oneof(...hostileStrings) },
      {
        weight: 2,
        arbitrary: fc.constantFrom('webhook', 'delivery', 'recovery', 'keyId').map((k) => ({ real: k })),
      },
      { weight: 1, arbitrary: fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.jsonValue()) },
    );
    const routes = ROUTES.filter((route) => route.auth === 'key' || route.query || route.body);

    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...routes),
        fc.constantFrom(...API_PREFIXES),
        fc.dictionary(fc.constantFrom('a', 'b'), value),
        fc.array(value, { minLength: 8, maxLength: 8 }),
        fc.boolean(),
        async (route: RouteSpec, prefix, _unused, values, omitSome) => {
          // A fresh workspace now and then keeps within its rate limits (429s are no failure, but
          // they stop the request before the parameters are looked at).
          if (++used % 20 === 0) {
            workspace = await newWorkspace('routefuzz');
            spare = await addKey(workspace.workspaceId);
            real = await pool();
          }
          const resolve = (v: unknown) =>
            v && typeof v === 'object' && 'real' in (v as Json)
              ? real[(v as { real: keyof typeof real }).real]
              : v;
          const queryFields = fieldsOf(route.query);
          const bodyFields = fieldsOf(route.body);
          const params = new URLSearchParams();
          queryFields.forEach((name, i) => {
            if (omitSome && i % 2 === 1) return;
            const v = resolve(values[i % values.length]);
            params.set(name, typeof v === 'string' ? v : JSON.stringify(v));
          });
          const body: Json = {};
          bodyFields.forEach((name, i) => {
            if (omitSome && i % 2 === 0) return;
            body[name] = resolve(values[(i + 3) % values.length]);
          });
          // Never revoke the key doing the asking (that only turns the rest into 401s).
          if (route.path === '/keys' && (params.get('id') === workspace.keyId || body.id === workspace.keyId))
            return;
          const query = params.toString();
          const url = `${fullPath(prefix, route)}${query ? `?${query}` : ''}`;
          const res = await call(route.method, url, {
            key: route.auth === 'key' ? workspace.key : undefined,
            ...(route.body ? { body } : {}),
          });
          // A 5xx the route documents is its answer, not a failure: POST …/keys/limit is always 501 not_implemented.
          const documented =
            res.status === 501 && res.json?.code === 'not_implemented' && route.errors.includes(501);
          if (res.status >= 500 && !documented)
            throw new Error(
              `${route.method} ${url} ${JSON.stringify(body).slice(0, 300)} → ${res.status} ${res.body}`,
            );
          if (res.status >= 400) expect(typeof res.json?.error).toBe('string');
          expect(violations).toEqual([]);
        },
      ),
      { numRuns: 400 },
    );
  }, 240_000);
});

describe('every id parameter refuses what cannot be an id, before DynamoDB', () => {
  const BAD_IDS: [string, string][] = [
    ['over 1024 bytes', 'a'.repeat(1025)],
    ['multi-byte', 'é'.repeat(36)],
    ['a UUID with a multi-byte tail', `${randomUUID()}é`],
    ['a non-character', '\uFFFE'],
    ['a control character', 'a\u0000'],
  ];
  /** (route, where, parameter) for every parameter that names an id. */
  const ID_PARAMETERS = ['id', 'webhook_id', 'delivery_id', 'before', 'recovery_id'];
  const cases = ROUTES.flatMap((route) => [
    ...fieldsOf(route.query)
      .filter((name) => ID_PARAMETERS.includes(name))
      .map((name) => [route, 'query', name] as const),
    ...fieldsOf(route.body)
      .filter((name) => ID_PARAMETERS.includes(name))
      .map((name) => [route, 'body', name] as const),
  ]);

  it('covers the id parameters of every route that has any', () => {
    expect(
      cases.map(([route, where, name]) => `${route.method} ${route.path} ${where}.${name}`).sort(),
    ).toEqual(
      [
        'DELETE /keys body.id',
        'DELETE /keys query.id',
        'DELETE /webhooks body.id',
        'DELETE /webhooks query.id',
        'GET /webhooks query.id',
        'GET /webhooks/deliveries query.before',
        'GET /webhooks/deliveries query.webhook_id',
        'GET /webhooks/deliveries/attempts query.delivery_id',
        'GET /webhooks/recover query.recovery_id',
        'PATCH /keys query.id',
        'POST /keys/limit body.id',
        'POST /webhooks/deliveries/resend body.delivery_id',
        'POST /webhooks/recover body.id',
        'POST /webhooks/rotate-secret body.id',
        'POST /webhooks/test body.id',
        'PUT /keys body.id',
        'PUT /webhooks body.id',
      ].sort(),
    );
  });

  it.each(
    cases.map(
      ([route, where, name]) =>
        [`${route.method} ${route.path} ${where}.${name}`, route, where, name] as const,
    ),
  )('%s: 400 naming the parameter', async (_label, route, where, name) => {
    const { key } = await newWorkspace('badids');
    for (const [, bad] of BAD_IDS) {
      const params = new URLSearchParams(where === 'query' ? { [name]: bad } : {});
      if (route.path === '/keys' && route.method === 'PATCH') params.set('action', 'disable');
      const body: Json = where === 'body' ? { [name]: bad } : {};
      if (route.path === '/keys' && route.method === 'PUT') body.name = 'renamed';
      if (route.path === '/webhooks' && route.method === 'PUT') body.url = 'https://example.com/x';
      if (route.path === '/webhooks/recover' && route.method === 'POST') body.since = '2026-11-30T00:00:00Z';
      const query = params.toString();
      const res = await call(route.method, `/api${route.path}${query ? `?${query}` : ''}`, {
        key,
        ...(where === 'body' || route.body ? { body } : {}),
      });
      expect({ bad: bad.slice(0, 20), status: res.status }).toEqual({ bad: bad.slice(0, 20), status: 400 });
      expect(res.json.code).toBe('validation_error');
      expect(res.json.details.map((d: { path: string }) => d.path)).toContain(name);
    }
  });
});

describe('names and descriptions refuse control and non-characters', () => {
  const FORBIDDEN = [
    'a\uFFFEb',
    'a\uFFFF',
    '\uFDD0x',
    'x\uFDEF',
    'a\u{10FFFE}',
    'bell\u0007',
    'esc\u001b[0m',
    '\uD800',
  ];

  it('a key name with one is a 400, and leaves no key behind (revoked or not)', async () => {
    const { key } = await newWorkspace('names');
    const before = (await call('GET', '/api/keys', { key })).json.keys.length;
    for (const name of FORBIDDEN) {
      const res = await call('POST', '/api/keys', { key, body: { name } });
      expect({ name, status: res.status }).toEqual({ name, status: 400 });
    }
    expect((await call('GET', '/api/keys', { key })).json.keys).toHaveLength(before);
  });

  it('a rename or a webhook description with one is a 400', async () => {
    const { key, keyId } = await newWorkspace('names2');
    const hook = await call('POST', '/api/webhooks', {
      key,
      body: { url: 'https://127.0.0.1:9/x', events: ['credits.low'] },
    });
    for (const text of FORBIDDEN) {
      expect((await call('PUT', '/api/keys', { key, body: { id: keyId, name: text } })).status).toBe(400);
      const created = await call('POST', '/api/webhooks', {
        key,
        body: { url: 'https://127.0.0.1:9/x', events: ['credits.low'], description: text },
      });
      expect(created.status).toBe(400);
      const updated = await call('PUT', '/api/webhooks', {
        key,
        body: { id: hook.json.id, url: 'https://127.0.0.1:9/x', description: text },
      });
      expect(updated.status).toBe(400);
    }
  }, 30_000);
});
