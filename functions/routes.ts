/**
 * The one route table: the CDK stack makes an HTTP API route and a function per entry, and the
 * local stack's API Gateway emulation dispatches with it. Each handler is `functions/api/<handler>.ts`.
 */
import type { TableName } from './resources.ts';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface RouteDefinition {
  method: HttpMethod;
  path: string;
  /** File name (without extension) under functions/api/, and the function's logical name. */
  handler: string;
  /** Whether the route requires a Bearer API key. */
  authenticated: boolean;
  /** DynamoDB tables the handler reads or writes (authentication's own access is added for it). */
  tables: Partial<Record<TableName, 'read' | 'write'>>;
  /** Queues the handler sends to. */
  sends?: ('events' | 'deliveries')[];
  /** Whether the handler decrypts or encrypts webhook secrets. */
  usesSecretKey?: boolean;
  /** Whether the handler makes outbound HTTPS calls (the test endpoint). */
  outbound?: boolean;
}

export const ROUTES: readonly RouteDefinition[] = [
  { method: 'GET', path: '/api/health', handler: 'health', authenticated: false, tables: {} },
  { method: 'GET', path: '/api/openapi.json', handler: 'openapi', authenticated: false, tables: {} },
  {
    method: 'GET',
    path: '/api/webhooks',
    handler: 'webhooks-get',
    authenticated: true,
    tables: { webhooks: 'read' },
  },
  {
    method: 'POST',
    path: '/api/webhooks',
    handler: 'webhooks-create',
    authenticated: true,
    tables: { webhooks: 'write' },
    usesSecretKey: true,
  },
  {
    method: 'PUT',
    path: '/api/webhooks',
    handler: 'webhooks-update',
    authenticated: true,
    tables: { webhooks: 'write' },
  },
  {
    method: 'DELETE',
    path: '/api/webhooks',
    handler: 'webhooks-delete',
    authenticated: true,
    tables: { webhooks: 'write' },
  },
  {
    method: 'POST',
    path: '/api/webhooks/test',
    handler: 'webhooks-test',
    authenticated: true,
    tables: { webhooks: 'read', deliveries: 'write' },
    usesSecretKey: true,
    outbound: true,
  },
  {
    method: 'GET',
    path: '/api/webhooks/deliveries',
    handler: 'deliveries-list',
    authenticated: true,
    tables: { webhooks: 'read', deliveries: 'read', events: 'read' },
  },
  {
    method: 'GET',
    path: '/api/webhooks/deliveries/attempts',
    handler: 'deliveries-attempts',
    authenticated: true,
    tables: { webhooks: 'read', deliveries: 'read', events: 'read' },
  },
  {
    method: 'POST',
    path: '/api/keys',
    handler: 'keys-create',
    authenticated: true,
    tables: { apiKeys: 'write' },
    sends: ['events'],
  },
  {
    method: 'GET',
    path: '/api/keys',
    handler: 'keys-list',
    authenticated: true,
    tables: { apiKeys: 'read' },
  },
  {
    method: 'DELETE',
    path: '/api/keys',
    handler: 'keys-revoke',
    authenticated: true,
    tables: { apiKeys: 'write' },
    sends: ['events'],
  },
];

/** Paths under this prefix are rate limited per API key (contract §1). */
export const RATE_LIMITED_PREFIX = '/api/webhooks';

/** The handler for everything the table does not match: 404 for unknown paths, 405 for known ones. */
export const FALLBACK_HANDLER = 'fallback';

export type RouteMatch =
  | { kind: 'route'; route: RouteDefinition }
  | { kind: 'method_not_allowed'; allowed: HttpMethod[] }
  | { kind: 'not_found' };

/** Matches a request the way API Gateway does for this table (exact paths, specific methods). */
export function matchRoute(method: string, path: string): RouteMatch {
  const onPath = ROUTES.filter((route) => route.path === path);
  const route = onPath.find((candidate) => candidate.method === method.toUpperCase());
  if (route) return { kind: 'route', route };
  if (onPath.length > 0) return { kind: 'method_not_allowed', allowed: onPath.map((r) => r.method) };
  return { kind: 'not_found' };
}
