import { MethodNotAllowedError, RouteNotFoundError } from '../core/errors.ts';
import { matchRoute } from '../routes.ts';
import { httpHandler } from '../shared/http.ts';

/**
 * The `$default` route: 405 (with `Allow`) on a known path, 404 otherwise, in the API's error format.
 * A valid key is identified so that, under /api/webhooks, the request counts and carries the
 * rate-limit headers like any other.
 */
export const handler = httpHandler({ authenticated: 'optional' }, async ({ event }) => {
  const method = event.requestContext.http.method;
  const match = matchRoute(method, event.rawPath);
  if (match.kind === 'method_not_allowed') throw new MethodNotAllowedError(method, match.allowed);
  throw new RouteNotFoundError(method, event.rawPath);
});
