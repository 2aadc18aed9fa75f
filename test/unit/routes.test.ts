import { API_PREFIXES, fullPath, matchRoute, ROUTES, splitPrefix } from '../../functions/routes.ts';

describe('ROUTES', () => {
  it('has one declaration per (method, path) and one handler per declaration', () => {
    const keys = ROUTES.map((route) => `${route.method} ${route.path}`);
    expect(new Set(keys).size).toBe(ROUTES.length);
    expect(new Set(ROUTES.map((route) => route.name)).size).toBe(ROUTES.length);
  });

  it('covers every endpoint of the contract (§3, §7)', () => {
    expect(ROUTES.map((route) => `${route.method} ${route.path}`).sort()).toEqual(
      [
        'GET /health',
        'GET /openapi.json',
        'GET /webhooks',
        'POST /webhooks',
        'PUT /webhooks',
        'DELETE /webhooks',
        'POST /webhooks/test',
        'GET /webhooks/deliveries',
        'GET /webhooks/deliveries/attempts',
        'POST /webhooks/deliveries/resend',
        'POST /webhooks/recover',
        'GET /webhooks/recover',
        'POST /webhooks/rotate-secret',
        'GET /webhooks/event-types',
        'POST /keys',
        'GET /keys',
        'DELETE /keys',
        'PUT /keys',
        'PATCH /keys',
        'POST /keys/limit',
        'GET /webhooks/health',
        'POST /sessions',
        'DELETE /sessions',
      ].sort(),
    );
  });

  it('authenticates everything but health and the OpenAPI document, and rate-limits the webhook endpoints', () => {
    expect(
      ROUTES.filter((route) => route.auth === 'none')
        .map((route) => route.path)
        .sort(),
    ).toEqual(['/health', '/openapi.json']);
    for (const route of ROUTES) expect(route.rateLimited).toBe(route.path.startsWith('/webhooks'));
  });
});

describe('matchRoute', () => {
  const mounted = ROUTES.flatMap((route) =>
    API_PREFIXES.map((prefix) => [route.method, fullPath(prefix, route), route.name, prefix] as const),
  );

  it.each(mounted)('routes %s %s to %s under %s', (method, path, name, prefix) => {
    expect(matchRoute(method, path)).toMatchObject({ kind: 'route', route: { name }, prefix });
  });

  it('matches the method case-insensitively', () => {
    expect(matchRoute('get', '/api/webhooks')).toMatchObject({
      kind: 'route',
      route: { name: 'webhooks-get' },
    });
  });

  it('answers method_not_allowed with the allowed methods on a known path, under every prefix', () => {
    for (const prefix of API_PREFIXES) {
      expect(matchRoute('PATCH', `${prefix}/webhooks`)).toEqual({
        kind: 'method_not_allowed',
        allowed: ['GET', 'POST', 'PUT', 'DELETE'],
      });
      expect(matchRoute('GET', `${prefix}/webhooks/test`)).toEqual({
        kind: 'method_not_allowed',
        allowed: ['POST'],
      });
      expect(matchRoute('POST', `${prefix}/health`)).toEqual({
        kind: 'method_not_allowed',
        allowed: ['GET'],
      });
    }
    expect(matchRoute('GET', '/api/keys/limit')).toEqual({ kind: 'method_not_allowed', allowed: ['POST'] });
  });

  it.each([
    '/api/nope',
    '/api',
    '/api/cli',
    '/',
    '',
    '/api/webhooks/',
    '/api/webhooks/test/',
    '/API/webhooks',
    '/api/webhooks/123',
    '/api//webhooks',
    'api/webhooks',
    '/api/webhooks?id=1',
    '/api/cli/cli/webhooks',
    '/api/other/webhooks',
    '/cli/webhooks',
  ])('answers not_found for %j (exact paths only, like API Gateway)', (path) => {
    expect(matchRoute('GET', path)).toEqual({ kind: 'not_found' });
  });

  it('splits the longest prefix first', () => {
    expect(splitPrefix('/api/cli/webhooks')).toEqual({ prefix: '/api/cli', rest: '/webhooks' });
    expect(splitPrefix('/api/agent/keys')).toEqual({ prefix: '/api/agent', rest: '/keys' });
    expect(splitPrefix('/api/keys')).toEqual({ prefix: '/api', rest: '/keys' });
    expect(splitPrefix('/apix/keys')).toBeNull();
  });
});
