/**
 * Typed domain errors, each carrying the HTTP status it answers with (contract §1), and the one
 * function that turns an error into a response. Anything that is not a DomainError is unexpected:
 * a generic 500 for the caller, details only in the logs.
 */
export interface ErrorDetail {
  path: string;
  message: string;
}

export abstract class DomainError extends Error {
  abstract readonly code: string;
  abstract readonly status: number;
  /** Headers the answer carries (Allow, Retry-After). */
  headers(): Record<string, string> {
    return {};
  }
}

export class ValidationError extends DomainError {
  readonly status = 400;
  readonly code: string;
  readonly details: ErrorDetail[];
  constructor(message: string, details: ErrorDetail[] = [], code = 'validation_error') {
    super(message);
    this.code = code;
    this.details = details;
  }
}
export class MalformedJsonError extends DomainError {
  readonly status = 400;
  readonly code = 'invalid_json';
  constructor() {
    super('Request body is not valid JSON');
  }
}
export class LimitExceededError extends DomainError {
  readonly status = 400;
  readonly code = 'limit_exceeded';
}
export class UnauthorizedError extends DomainError {
  readonly status = 401;
  readonly code = 'unauthorized';
  constructor() {
    super('Unauthorized');
  }
}
export class ForbiddenError extends DomainError {
  readonly status = 403;
  readonly code = 'forbidden';
}
export class NotFoundError extends DomainError {
  readonly status = 404;
  readonly code = 'not_found';
}
export class RouteNotFoundError extends DomainError {
  readonly status = 404;
  readonly code = 'route_not_found';
  constructor(method: string, path: string) {
    super(`No route for ${method} ${path}`);
  }
}
export class MethodNotAllowedError extends DomainError {
  readonly status = 405;
  readonly code = 'method_not_allowed';
  readonly allowed: string[];
  constructor(method: string, allowed: string[]) {
    super(`Method ${method} is not allowed here; allowed: ${allowed.join(', ')}`);
    this.allowed = allowed;
  }
  override headers() {
    return { Allow: this.allowed.join(', ') };
  }
}
export class ConflictError extends DomainError {
  readonly status = 409;
  readonly code = 'conflict';
}
export class PayloadTooLargeError extends DomainError {
  readonly status = 413;
  readonly code = 'payload_too_large';
  constructor(limitBytes: number) {
    super(`Request body is larger than ${limitBytes} bytes`);
  }
}
export class RateLimitedError extends DomainError {
  readonly status = 429;
  readonly code = 'rate_limited';
  readonly retryAfterSeconds: number;
  constructor(retryAfterSeconds: number, message = 'Rate limit exceeded; retry later') {
    super(message);
    this.retryAfterSeconds = retryAfterSeconds;
  }
  override headers() {
    return { 'Retry-After': String(this.retryAfterSeconds) };
  }
}
export class NotImplementedError extends DomainError {
  readonly status = 501;
  readonly code = 'not_implemented';
}

export interface HttpErrorResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: { error: string; code: string; details?: ErrorDetail[] };
}

/** The single error → HTTP mapping. Unknown errors never leak their message. */
export function toHttpError(error: unknown): HttpErrorResponse {
  if (!(error instanceof DomainError)) {
    return { statusCode: 500, headers: {}, body: { error: 'Internal server error', code: 'internal_error' } };
  }
  const details = error instanceof ValidationError && error.details.length ? { details: error.details } : {};
  return {
    statusCode: error.status,
    headers: error.headers(),
    body: { error: error.message, code: error.code, ...details },
  };
}
