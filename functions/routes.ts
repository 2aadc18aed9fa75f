/**
 * The one route table: one declaration per endpoint (functions/routes/<name>.ts), each mounted under
 * every API prefix. The CDK stack makes one function per declaration and one HTTP API route per
 * (prefix, declaration), with grants from its declared access; the local stack's API Gateway
 * emulation dispatches with it; the OpenAPI document is generated from it. Pure data.
 */
import { route as deliveriesAttempts } from './routes/deliveries-attempts.ts';
import { route as deliveriesList } from './routes/deliveries-list.ts';
import { route as deliveriesResend } from './routes/deliveries-resend.ts';
import { route as eventTypes } from './routes/event-types.ts';
import { route as health } from './routes/health.ts';
import { route as keysCreate } from './routes/keys-create.ts';
import { route as keysLimit } from './routes/keys-limit.ts';
import { route as keysList } from './routes/keys-list.ts';
import { route as keysRevoke } from './routes/keys-revoke.ts';
import { route as keysStatus } from './routes/keys-status.ts';
import { route as keysUpdate } from './routes/keys-update.ts';
import { route as openapi } from './routes/openapi.ts';
import type { HttpMethod, RouteSpec } from './routes/route.ts';
import { route as sessionsCreate } from './routes/sessions-create.ts';
import { route as sessionsDelete } from './routes/sessions-delete.ts';
import { route as webhooksCreate } from './routes/webhooks-create.ts';
import { route as webhooksDelete } from './routes/webhooks-delete.ts';
import { route as webhooksGet } from './routes/webhooks-get.ts';
import { route as webhooksHealth } from './routes/webhooks-health.ts';
import { route as webhooksRecover } from './routes/webhooks-recover.ts';
import { route as webhooksRecovery } from './routes/webhooks-recovery.ts';
import { route as webhooksRotateSecret } from './routes/webhooks-rotate-secret.ts';
import { route as webhooksTest } from './routes/webhooks-test.ts';
import { route as webhooksUpdate } from './routes/webhooks-update.ts';

export type { HttpMethod, RouteSpec } from './routes/route.ts';

export const ROUTES: readonly RouteSpec[] = [
  health,
  openapi,
  webhooksGet,
  webhooksCreate,
  webhooksUpdate,
  webhooksDelete,
  webhooksTest,
  webhooksRotateSecret,
  webhooksRecover,
  webhooksRecovery,
  eventTypes,
  webhooksHealth,
  deliveriesList,
  deliveriesAttempts,
  deliveriesResend,
  keysCreate,
  keysList,
  keysRevoke,
  keysUpdate,
  keysStatus,
  keysLimit,
  sessionsCreate,
  sessionsDelete,
];

/**
 * Every endpoint is served under each of these (contract §7): the API's own, Encrata's CLI's, and the
 * CLI's before version 0.10. Authentication, errors and the rate limit are the same under all.
 */
export const API_PREFIXES = ['/api', '/api/cli', '/api/agent'] as const;
export type ApiPrefix = (typeof API_PREFIXES)[number];

/** The prefixes Encrata's CLI calls (where the test endpoint speaks its dialect). */
export const CLI_PREFIXES: readonly ApiPrefix[] = ['/api/cli', '/api/agent'];

/** The handler for everything the table does not match: 404 for unknown paths, 405 for known ones. */
export const FALLBACK_HANDLER = 'fallback';

/** A route's full path under a prefix. */
export const fullPath = (prefix: ApiPrefix, route: Pick<RouteSpec, 'path'>) => `${prefix}${route.path}`;

/** The prefix a request path is under, and the rest of it. */
export function splitPrefix(path: string): { prefix: ApiPrefix; rest: string } | null {
  // Longest first: /api/cli/x is under /api/cli, not /api with a path /cli/x.
  for (const prefix of [...API_PREFIXES].sort((a, b) => b.length - a.length)) {
    if (path.startsWith(`${prefix}/`)) return { prefix, rest: path.slice(prefix.length) };
  }
  return null;
}

export type RouteMatch =
  | { kind: 'route'; route: RouteSpec; prefix: ApiPrefix }
  | { kind: 'method_not_allowed'; allowed: HttpMethod[] }
  | { kind: 'not_found' };

/** Matches a request the way API Gateway does for these routes (exact paths, specific methods). */
export function matchRoute(method: string, path: string): RouteMatch {
  const split = splitPrefix(path);
  if (!split) return { kind: 'not_found' };
  const onPath = ROUTES.filter((route) => route.path === split.rest);
  const route = onPath.find((candidate) => candidate.method === method.toUpperCase());
  if (route) return { kind: 'route', route, prefix: split.prefix };
  if (onPath.length > 0) return { kind: 'method_not_allowed', allowed: onPath.map((r) => r.method) };
  return { kind: 'not_found' };
}
