import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { FUNCTION_TIMEOUTS } from '../functions/resources.ts';
import { FALLBACK_HANDLER, matchRoute } from '../functions/routes.ts';
import { API_HANDLERS } from './handlers.ts';
import { lambdaContext } from './lambda-context.ts';

/** API Gateway's own payload limit; the handlers enforce the API's much smaller one (64 KiB). */
const GATEWAY_MAX_BODY_BYTES = 10 * 1024 * 1024;

const TEXT_TYPES = /^(application\/(json|[\w.+-]*\+json|x-www-form-urlencoded|xml)|text\/)/i;

export interface GatewayRequest {
  method: string;
  /** Path and query, e.g. `/api/webhooks?id=1`. */
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  sourceIp?: string;
}

/** Builds the API Gateway HTTP API (payload format 2.0) event for a request. */
export function toGatewayEvent(request: GatewayRequest, routeKey: string): APIGatewayProxyEventV2 {
  const url = new URL(request.url, 'http://localhost');
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(',') : value;
  }
  const query: Record<string, string> = {};
  for (const [name, value] of url.searchParams)
    query[name] = name in query ? `${query[name]},${value}` : value;
  const contentType = headers['content-type'] ?? '';
  const isText = request.body.length === 0 || TEXT_TYPES.test(contentType);
  const now = new Date();
  return {
    version: '2.0',
    routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    queryStringParameters: Object.keys(query).length ? query : undefined,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: 'local',
      http: {
        method: request.method.toUpperCase(),
        path: url.pathname,
        protocol: 'HTTP/1.1',
        sourceIp: request.sourceIp ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey,
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    body: request.body.length ? request.body.toString(isText ? 'utf8' : 'base64') : undefined,
    isBase64Encoded: !isText,
  };
}

/** Routes a request like the deployed HTTP API: a matching route, else the `$default` fallback. */
export async function invokeApi(request: GatewayRequest): Promise<APIGatewayProxyStructuredResultV2> {
  if (request.body.length > GATEWAY_MAX_BODY_BYTES) {
    return {
      statusCode: 413,
      headers: { 'content-type': 'application/json' },
      body: '{"message":"Request Entity Too Large"}',
    };
  }
  const path = new URL(request.url, 'http://localhost').pathname;
  const match = matchRoute(request.method, path);
  const name = match.kind === 'route' ? match.route.name : FALLBACK_HANDLER;
  const routeKey =
    match.kind === 'route' ? `${match.route.method} ${match.prefix}${match.route.path}` : '$default';
  const handler = API_HANDLERS[name];
  if (!handler) throw new Error(`no handler registered for ${name}`);
  const result = (await handler(
    toGatewayEvent(request, routeKey),
    lambdaContext(name, FUNCTION_TIMEOUTS.api),
    () => {},
  )) as APIGatewayProxyStructuredResultV2 | undefined;
  return result ?? { statusCode: 500, body: '{"message":"Internal Server Error"}' };
}

/** Reads a request body, stopping early past the gateway limit. */
export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size <= GATEWAY_MAX_BODY_BYTES + 1) chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Writes a Lambda proxy result to a Node response. */
export function writeResult(res: ServerResponse, result: APIGatewayProxyStructuredResultV2): void {
  const body = result.body
    ? Buffer.from(result.body, result.isBase64Encoded ? 'base64' : 'utf8')
    : Buffer.alloc(0);
  const headers: Record<string, string | number | string[]> = {};
  for (const [name, value] of Object.entries(result.headers ?? {})) headers[name] = String(value);
  if (result.cookies?.length) headers['set-cookie'] = result.cookies;
  headers['content-length'] = body.length;
  res.writeHead(result.statusCode ?? 200, headers);
  res.end(body);
}
