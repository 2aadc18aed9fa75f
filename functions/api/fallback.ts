import { MethodNotAllowedError, RouteNotFoundError } from '../core/errors.ts';
import { matchRoute, splitPrefix } from '../routes.ts';
import { httpHandler } from '../shared/http.ts';

/** The webhook endpoints' paths are rate-limited (contract §1), unknown ones and wrong methods too. */
const isLimited = (path: string) => splitPrefix(path)?.rest.startsWith('/webhooks') ?? false;

/**
 * The `$default` route: 405 (with `Allow`) on a known path, 404 otherwise, in the API's error format.
 * A valid key is identified so that, on a rate-limited path, the request counts and carries the
 * rate-limit headers like any other.
 */
export const handler = httpHandler({ auth: 'optional', rateLimited: isLimited }, async ({ event }) => {
  const method = event.requestContext.http.method;
  const match = matchRoute(method, event.rawPath);
  if (match.kind === 'method_not_allowed') throw new MethodNotAllowedError(method, match.allowed);
  throw new RouteNotFoundError(method, event.rawPath);
});
