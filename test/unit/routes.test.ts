import { matchRoute, ROUTES } from '../../functions/routes.ts';

describe('ROUTES', () => {
  it('has one entry per (method, path) and one handler per entry', () => {
    const keys = ROUTES.map((route) => `${route.method} ${route.path}`);
    expect(new Set(keys).size).toBe(ROUTES.length);
    expect(new Set(ROUTES.map((route) => route.handler)).size).toBe(ROUTES.length);
  });

  it('covers every endpoint of the contract', () => {
    expect(ROUTES.map((route) => `${route.method} ${route.path}`).sort()).toEqual(
      [
        'GET /api/health',
        'GET /api/openapi.json',
        'GET /api/webhooks',
        'POST /api/webhooks',
        'PUT /api/webhooks',
        'DELETE /api/webhooks',
        'POST /api/webhooks/test',
        'GET /api/webhooks/deliveries',
        'GET /api/webhooks/deliveries/attempts',
        'POST /api/keys',
        'GET /api/keys',
        'DELETE /api/keys',
      ].sort(),
    );
  });

  it('authenticates everything but health and the OpenAPI document', () => {
    const open = ROUTES.filter((route) => !route.authenticated).map((route) => route.path);
    expect(open.sort()).toEqual(['/api/health', '/api/openapi.json']);
  });
});

describe('matchRoute', () => {
  it.each(ROUTES.map((route) => [route.method, route.path, route.handler]))(
    'routes %s %s to %s',
    (method, path, handler) => {
      const match = matchRoute(method, path);
      expect(match.kind).toBe('route');
      expect(match.kind === 'route' && match.route.handler).toBe(handler);
    },
  );

  it('matches the method case-insensitively', () => {
    expect(matchRoute('get', '/api/webhooks')).toMatchObject({
      kind: 'route',
      route: { handler: 'webhooks-get' },
    });
  });

  it('answers method_not_allowed with the allowed methods on a known path', () => {
    expect(matchRoute('PATCH', '/api/webhooks')).toEqual({
      kind: 'method_not_allowed',
      allowed: ['GET', 'POST', 'PUT', 'DELETE'],
    });
    expect(matchRoute('GET', '/api/webhooks/test')).toEqual({
      kind: 'method_not_allowed',
      allowed: ['POST'],
    });
    expect(matchRoute('DELETE', '/api/webhooks/deliveries')).toEqual({
      kind: 'method_not_allowed',
      allowed: ['GET'],
    });
    expect(matchRoute('PUT', '/api/keys')).toEqual({
      kind: 'method_not_allowed',
      allowed: ['POST', 'GET', 'DELETE'],
    });
    expect(matchRoute('POST', '/api/health')).toEqual({ kind: 'method_not_allowed', allowed: ['GET'] });
  });

  it.each([
    '/api/nope',
    '/api',
    '/',
    '',
    '/api/webhooks/',
    '/api/webhooks/test/',
    '/API/webhooks',
    '/api/webhooks/123',
    '/api//webhooks',
    'api/webhooks',
    '/api/webhooks?id=1',
  ])('answers not_found for %j (exact paths only, like API Gateway)', (path) => {
    expect(matchRoute('GET', path)).toEqual({ kind: 'not_found' });
  });
});
