import {
  ConflictError,
  ForbiddenError,
  LimitExceededError,
  MalformedJsonError,
  MethodNotAllowedError,
  NotFoundError,
  PayloadTooLargeError,
  RateLimitedError,
  RouteNotFoundError,
  toHttpError,
  UnauthorizedError,
  ValidationError,
} from '../../../functions/core/errors.ts';

describe('toHttpError', () => {
  it.each([
    [new MalformedJsonError(), 400, { error: 'Request body is not valid JSON', code: 'invalid_json' }],
    [
      new ValidationError('url must use https'),
      400,
      { error: 'url must use https', code: 'validation_error' },
    ],
    [
      new ValidationError('unknown event', [], 'unknown_event'),
      400,
      { error: 'unknown event', code: 'unknown_event' },
    ],
    [
      new LimitExceededError('A workspace holds at most 50 webhooks'),
      400,
      { error: 'A workspace holds at most 50 webhooks', code: 'limit_exceeded' },
    ],
    [new UnauthorizedError(), 401, { error: 'Unauthorized', code: 'unauthorized' }],
    [new ForbiddenError('Not allowed'), 403, { error: 'Not allowed', code: 'forbidden' }],
    [new NotFoundError('Webhook not found'), 404, { error: 'Webhook not found', code: 'not_found' }],
    [
      new RouteNotFoundError('GET', '/api/nope'),
      404,
      { error: 'No route for GET /api/nope', code: 'route_not_found' },
    ],
    [new ConflictError('Idempotency key reused'), 409, { error: 'Idempotency key reused', code: 'conflict' }],
    [
      new PayloadTooLargeError(65536),
      413,
      { error: 'Request body is larger than 65536 bytes', code: 'payload_too_large' },
    ],
  ])('maps %p to %i', (error, statusCode, body) => {
    expect(toHttpError(error)).toEqual({ statusCode, headers: {}, body });
  });

  it('the 401 body is exactly the contract one', () => {
    expect(JSON.stringify(toHttpError(new UnauthorizedError()).body)).toBe(
      '{"error":"Unauthorized","code":"unauthorized"}',
    );
  });

  it('adds validation details when there are some', () => {
    const details = [
      { path: 'events.0', message: 'unknown event type "x"' },
      { path: 'url', message: 'url must use https' },
    ];
    expect(toHttpError(new ValidationError('Invalid request', details))).toEqual({
      statusCode: 400,
      headers: {},
      body: { error: 'Invalid request', code: 'validation_error', details },
    });
  });

  it('405 carries Allow with the allowed methods', () => {
    expect(toHttpError(new MethodNotAllowedError('PATCH', ['GET', 'POST', 'PUT', 'DELETE']))).toEqual({
      statusCode: 405,
      headers: { Allow: 'GET, POST, PUT, DELETE' },
      body: {
        error: 'Method PATCH is not allowed here; allowed: GET, POST, PUT, DELETE',
        code: 'method_not_allowed',
      },
    });
  });

  it('429 carries Retry-After in seconds', () => {
    expect(toHttpError(new RateLimitedError(17))).toEqual({
      statusCode: 429,
      headers: { 'Retry-After': '17' },
      body: { error: 'Rate limit exceeded; retry later', code: 'rate_limited' },
    });
  });

  it.each([
    new Error('connect ECONNREFUSED 10.0.0.5:8000 (table encrata-Webhooks-1A2B)'),
    new TypeError("Cannot read properties of undefined (reading 'secret')"),
    Object.assign(new Error('ConditionalCheckFailedException'), { name: 'ConditionalCheckFailedException' }),
    'a thrown string',
    { error: 'an object', code: 'teapot' },
    null,
    undefined,
  ])('maps the unexpected %p to a generic 500 that leaks nothing', (error) => {
    const result = toHttpError(error);
    expect(result).toEqual({
      statusCode: 500,
      headers: {},
      body: { error: 'Internal server error', code: 'internal_error' },
    });
    const serialized = JSON.stringify(result);
    if (error instanceof Error) expect(serialized).not.toContain(error.message);
    expect(serialized).not.toContain('ECONNREFUSED');
    expect(serialized).not.toContain('teapot');
  });

  it('every mapped body has a non-empty error and a code', () => {
    const errors = [
      new MalformedJsonError(),
      new ValidationError('x'),
      new LimitExceededError('x'),
      new UnauthorizedError(),
      new ForbiddenError('x'),
      new NotFoundError('x'),
      new RouteNotFoundError('GET', '/x'),
      new MethodNotAllowedError('GET', ['POST']),
      new ConflictError('x'),
      new PayloadTooLargeError(1),
      new RateLimitedError(1),
      new Error('x'),
    ];
    for (const error of errors) {
      const { body } = toHttpError(error);
      expect(body.error).toEqual(expect.stringMatching(/\S/));
      expect(body.code).toMatch(/^[a-z_]+$/);
    }
  });
});
