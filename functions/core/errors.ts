/**
 * Typed domain errors and the one table that maps them to HTTP (contract §1).
 * Anything that is not a DomainError is unexpected: a generic 500 for the caller, details in logs.
 */
export interface ErrorDetail {
  path: string;
  message: string;
}

export abstract class DomainError extends Error {
  abstract readonly code: string;
}

export class ValidationError extends DomainError {
  readonly code: string;
  readonly details: ErrorDetail[];
  constructor(message: string, details: ErrorDetail[] = [], code = 'validation_error') {
    super(message);
    this.code = code;
    this.details = details;
  }
}
export class MalformedJsonError extends DomainError {
  readonly code = 'invalid_json';
  constructor() {
    super('Request body is not valid JSON');
  }
}
export class LimitExceededError extends DomainError {
  readonly code = 'limit_exceeded';
}
export class UnauthorizedError extends DomainError {
  readonly code = 'unauthorized';
  constructor() {
    super('Unauthorized');
  }
}
export class ForbiddenError extends DomainError {
  readonly code = 'forbidden';
}
export class NotFoundError extends DomainError {
  readonly code = 'not_found';
}
export class RouteNotFoundError extends DomainError {
  readonly code = 'route_not_found';
  constructor(method: string, path: string) {
    super(`No route for ${method} ${path}`);
  }
}
export class MethodNotAllowedError extends DomainError {
  readonly code = 'method_not_allowed';
  readonly allowed: string[];
  constructor(method: string, allowed: string[]) {
    super(`Method ${method} is not allowed here; allowed: ${allowed.join(', ')}`);
    this.allowed = allowed;
  }
}
export class ConflictError extends DomainError {
  readonly code = 'conflict';
}
export class PayloadTooLargeError extends DomainError {
  readonly code = 'payload_too_large';
  constructor(limitBytes: number) {
    super(`Request body is larger than ${limitBytes} bytes`);
  }
}
export class RateLimitedError extends DomainError {
  readonly code = 'rate_limited';
  readonly retryAfterSeconds: number;
  constructor(retryAfterSeconds: number) {
    super('Rate limit exceeded; retry later');
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

export interface HttpErrorResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: { error: string; code: string; details?: ErrorDetail[] };
}

/** The single error → HTTP mapping. Unknown errors never leak their message. */
export function toHttpError(error: unknown): HttpErrorResponse {
  const body = (e: DomainError) => ({ error: e.message, code: e.code });
  if (error instanceof ValidationError) {
    return {
      statusCode: 400,
      headers: {},
      body: error.details.length ? { ...body(error), details: error.details } : body(error),
    };
  }
  if (error instanceof MalformedJsonError || error instanceof LimitExceededError) {
    return { statusCode: 400, headers: {}, body: body(error) };
  }
  if (error instanceof UnauthorizedError) return { statusCode: 401, headers: {}, body: body(error) };
  if (error instanceof ForbiddenError) return { statusCode: 403, headers: {}, body: body(error) };
  if (error instanceof NotFoundError || error instanceof RouteNotFoundError) {
    return { statusCode: 404, headers: {}, body: body(error) };
  }
  if (error instanceof MethodNotAllowedError) {
    return { statusCode: 405, headers: { Allow: error.allowed.join(', ') }, body: body(error) };
  }
  if (error instanceof ConflictError) return { statusCode: 409, headers: {}, body: body(error) };
  if (error instanceof PayloadTooLargeError) return { statusCode: 413, headers: {}, body: body(error) };
  if (error instanceof RateLimitedError) {
    return {
      statusCode: 429,
      headers: { 'Retry-After': String(error.retryAfterSeconds) },
      body: body(error),
    };
  }
  return { statusCode: 500, headers: {}, body: { error: 'Internal server error', code: 'internal_error' } };
}
