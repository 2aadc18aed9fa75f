import type { Logger } from '@aws-lambda-powertools/logger';
import middy, { type MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type { z } from 'zod';
import { type Caller, isKeyInactive } from '../core/api-keys.ts';
import {
  MalformedJsonError,
  PayloadTooLargeError,
  RateLimitedError,
  toHttpError,
  UnauthorizedError,
} from '../core/errors.ts';
import { API_KEY_PATTERN, hashApiKey } from '../core/ids.ts';
import type { ApiKeyStore, RateLimiter, RateLimitState, SessionStore } from '../core/ports.ts';
import {
  combineRateLimitStates,
  RATE_LIMIT_WINDOW_SECONDS,
  uncountedRateLimitState,
} from '../core/rate-limit.ts';
import { isSessionExpired, SESSION_TOKEN_PATTERN, sessionRateSubject } from '../core/sessions.ts';
import { parseOrThrow } from '../core/validation.ts';
import { DEFAULT_SESSION_RATE_LIMIT_PER_MINUTE } from '../resources.ts';
import type { RouteSpec } from '../routes/route.ts';
import { type ApiPrefix, splitPrefix } from '../routes.ts';
import { config } from './config.ts';
import { logger } from './observability.ts';
// Every API function traces its SDK calls (the factory is the one thing they all import).
import './tracing.ts';
import { apiKeyStore, rateLimiter, sessionStore } from './wiring.ts';

/** Largest request body the management API accepts (contract §1). */
export const MAX_BODY_BYTES = 64 * 1024;
/** `last_used` is written at most this often per key, to keep authentication to one read. */
const LAST_USED_RESOLUTION_MS = 60_000;

export type HttpEvent = APIGatewayProxyEventV2;
export type HttpResponse = APIGatewayProxyStructuredResultV2;

export interface HttpResult {
  statusCode: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** What the middlewares learn about a request, carried on the Lambda context to the handler. */
interface RequestContext extends Context {
  caller?: Caller;
  rateLimit?: RateLimitState;
}

type Request = middy.Request<HttpEvent, HttpResponse, Error, RequestContext>;
type Middleware = MiddlewareObj<HttpEvent, HttpResponse, Error, RequestContext>;

const JSON_HEADERS = { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' };

/** Builds a JSON result whose body went through `schema`, so nothing outside it can leak. */
export function json<S extends z.ZodType>(statusCode: number, schema: S, value: z.input<S>): HttpResult {
  return { statusCode, body: schema.parse(value) };
}

export function noContent(): HttpResult {
  return { statusCode: 204 };
}

function rateLimitHeaders(state: RateLimitState | undefined): Record<string, string> {
  if (!state) return {};
  return {
    'X-RateLimit-Limit': String(state.limit),
    'X-RateLimit-Remaining': String(state.remaining),
    'X-RateLimit-Reset': String(state.resetAt),
  };
}

function toResponse(result: HttpResult, state: RequestContext): HttpResponse {
  const headers = {
    ...(result.body === undefined ? {} : JSON_HEADERS),
    ...rateLimitHeaders(state.rateLimit),
    ...result.headers,
  };
  return result.body === undefined
    ? { statusCode: result.statusCode, headers, body: '' }
    : { statusCode: result.statusCode, headers, body: JSON.stringify(result.body) };
}

function header(event: HttpEvent, name: string): string | undefined {
  return event.headers?.[name] ?? event.headers?.[name.toLowerCase()];
}

/** The credential of `Authorization: Bearer <credential>`, if the header has that form. */
export function bearerToken(event: HttpEvent): string | undefined {
  return /^Bearer\s+(\S+)\s*$/i.exec(header(event, 'authorization') ?? '')?.[1];
}

/** Reads a JSON body: base64 (API Gateway sends non-text bodies so), 64 KiB at most, blank is none. */
export function readJsonBody(event: HttpEvent): unknown {
  if (!event.body) return undefined;
  const raw = event.isBase64Encoded ? Buffer.from(event.body, 'base64') : Buffer.from(event.body, 'utf8');
  if (raw.length > MAX_BODY_BYTES) throw new PayloadTooLargeError(MAX_BODY_BYTES);
  const text = raw.toString('utf8');
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new MalformedJsonError();
  }
}

/** What the factory's middlewares need; handlers' own collaborators come through their modules. */
export interface HttpCollaborators {
  apiKeys: () => Pick<ApiKeyStore, 'findByHash' | 'touch'>;
  rateLimiter: () => RateLimiter;
  rateLimitPerMinute: () => number;
  /** The ceiling across all keys of a workspace, so minting keys cannot multiply the budget. */
  workspaceRateLimitPerMinute: () => number;
  /** Dashboard sessions (core/sessions.ts): a Bearer `enc_sess_` token is looked up here. */
  sessions: () => Pick<SessionStore, 'find'>;
  /** A session's own budget, apart from every key's and from the workspace ceiling. */
  sessionRateLimitPerMinute: () => number;
  logger: Logger;
  now: () => number;
}

export interface HttpInput<B, Q> {
  body: B;
  query: Q;
  caller: Caller;
  /** The API prefix the request came under (`/api`, or Encrata's CLI's `/api/cli`, `/api/agent`). */
  prefix: ApiPrefix;
  event: HttpEvent;
}

/**
 * What a handler is made from: its route's declaration (functions/routes/), or, for the fallback,
 * `optional` authentication and a rate limit that depends on the path.
 */
export type HandlerSpec<Q extends z.ZodType | undefined, B extends z.ZodType | undefined> =
  | Pick<RouteSpec<Q, B>, 'auth' | 'rateLimited' | 'query' | 'body'>
  | { auth: 'optional'; rateLimited: (path: string) => boolean; query?: Q; body?: B };

type Out<S> = S extends z.ZodType ? z.output<S> : undefined;

/**
 * The HTTP handler factory, given its collaborators: log keys reset per request, an access log
 * line, authentication and the per-key rate limit, body and query parsed with zod, the response
 * serialized, and every error mapped once. The middleware order lives here.
 */
export function createHttpHandler(collaborators: HttpCollaborators) {
  const { logger: log } = collaborators;

  /**
   * Resolves the Bearer credential to its workspace; every failure is the same 401. The credential is
   * an API key, or a dashboard session minted from one: then the session must be current and its key
   * still active (checked on every request, so revoking or disabling the key ends its sessions).
   */
  async function authenticate(event: HttpEvent, nowMs: number): Promise<Caller> {
    const token = bearerToken(event);
    if (!token) throw new UnauthorizedError();
    let keyHash: string;
    let sessionId: string | undefined;
    if (API_KEY_PATTERN.test(token)) {
      keyHash = hashApiKey(token);
    } else if (SESSION_TOKEN_PATTERN.test(token)) {
      const session = await collaborators.sessions().find(hashApiKey(token));
      if (!session || isSessionExpired(session, nowMs)) throw new UnauthorizedError();
      keyHash = session.keyHash;
      sessionId = session.id;
    } else {
      throw new UnauthorizedError();
    }
    const apiKeys = collaborators.apiKeys();
    const record = await apiKeys.findByHash(keyHash);
    if (!record || isKeyInactive(record)) throw new UnauthorizedError();
    if (!record.last_used || nowMs - Date.parse(record.last_used) > LAST_USED_RESOLUTION_MS) {
      await apiKeys.touch(keyHash, new Date(nowMs).toISOString()).catch((error: unknown) => {
        log.warn('could not record last_used for an API key', { key_id: record.id, error });
      });
    }
    const caller: Caller = { workspaceId: record.workspace_id, keyId: record.id };
    return sessionId ? { ...caller, sessionId } : caller;
  }

  /**
   * Counts the request against its key's budget, then its workspace's ceiling; over either, a 429.
   * The headers keep the key's limit and show what is left under both. A dashboard session counts
   * against its own budget only: no key's, and not the workspace ceiling (which bounds what keys do).
   */
  async function countRequest(request: Request, caller: Caller, now: number): Promise<void> {
    if (caller.sessionId) {
      const perSession = {
        limit: collaborators.sessionRateLimitPerMinute(),
        periodSeconds: RATE_LIMIT_WINDOW_SECONDS,
      };
      const state = await collaborators
        .rateLimiter()
        .hit(sessionRateSubject(caller.sessionId), now, perSession);
      request.context.rateLimit = state;
      if (state.exceeded) throw new RateLimitedError(state.retryAfterSeconds);
      return;
    }
    const perKey = { limit: collaborators.rateLimitPerMinute(), periodSeconds: RATE_LIMIT_WINDOW_SECONDS };
    let state = await collaborators.rateLimiter().hit(`key:${caller.keyId}`, now, perKey);
    if (!state.exceeded) state = combineRateLimitStates(state, await countWorkspaceRequest(caller, now));
    request.context.rateLimit = state;
    if (state.exceeded) throw new RateLimitedError(state.retryAfterSeconds);
  }

  /** The workspace-wide ceiling, across all its API keys (only key callers count against it). */
  function countWorkspaceRequest(caller: Caller, now: number): Promise<RateLimitState> {
    return collaborators.rateLimiter().hit(`workspace:${caller.workspaceId}`, now, {
      limit: collaborators.workspaceRateLimitPerMinute(),
      periodSeconds: RATE_LIMIT_WINDOW_SECONDS,
    });
  }

  /**
   * Authentication, then the per-key rate limit. With `optional`, a request without a valid key goes
   * on without a caller (the fallback answers it). Every answer on a rate-limited route carries the
   * rate-limit headers, even one refused before a key was known (not counted against any key).
   */
  function authentication(mode: 'key' | 'optional', limited: (event: HttpEvent) => boolean): Middleware {
    return {
      before: async (request: Request) => {
        const now = collaborators.now();
        let caller: Caller;
        try {
          caller = await authenticate(request.event, now);
        } catch (error) {
          if (limited(request.event)) {
            request.context.rateLimit = uncountedRateLimitState(now, collaborators.rateLimitPerMinute());
          }
          if (mode === 'optional' && error instanceof UnauthorizedError) return;
          throw error;
        }
        request.context.caller = caller;
        log.appendKeys({
          workspace_id: caller.workspaceId,
          key_id: caller.keyId,
          ...(caller.sessionId ? { session_id: caller.sessionId } : {}),
        });
        if (limited(request.event)) await countRequest(request, caller, now);
      },
    };
  }

  /**
   * One line per request: mutations at INFO (an audit trail of who changed what), reads at DEBUG.
   * Only method, route, status and timing — never headers or bodies, which carry keys and secrets.
   */
  function accessLog(): Middleware {
    const line = (request: Request) => {
      const { event, response } = request;
      const method = event.requestContext.http.method;
      const fields = {
        method,
        path: event.rawPath,
        status_code: response?.statusCode,
        duration_ms: collaborators.now() - event.requestContext.timeEpoch,
        request_id: event.requestContext.requestId,
      };
      if (method === 'GET') log.debug('request handled', fields);
      else log.info('request handled', fields);
    };
    return {
      before: async (request: Request) => {
        log.resetKeys();
        // Per-request state lives on the context: never carry a previous request's over, should a
        // runtime hand the same context object to two invocations.
        request.context.caller = undefined;
        request.context.rateLimit = undefined;
      },
      after: async (request: Request) => line(request),
      onError: async (request: Request) => line(request),
    };
  }

  /** The one place errors become responses: domain errors by the table, anything else a logged 500. */
  function errorResponses(): Middleware {
    return {
      onError: async (request: Request) => {
        const mapped = toHttpError(request.error);
        if (mapped.statusCode >= 500 && mapped.body.code === 'internal_error') {
          log.error('unhandled error', { error: request.error });
        }
        request.response = toResponse(
          { statusCode: mapped.statusCode, body: mapped.body, headers: mapped.headers },
          request.context,
        );
      },
    };
  }

  return function httpHandler<
    Q extends z.ZodType | undefined = undefined,
    B extends z.ZodType | undefined = undefined,
  >(spec: HandlerSpec<Q, B>, handle: (input: HttpInput<Out<B>, Out<Q>>) => Promise<HttpResult>) {
    const limited = (event: HttpEvent) =>
      typeof spec.rateLimited === 'function' ? spec.rateLimited(event.rawPath) : spec.rateLimited;
    const stack = middy<HttpEvent, HttpResponse, Error, RequestContext>().use(accessLog());
    if (spec.auth !== 'none') stack.use(authentication(spec.auth, limited));
    return stack.use(errorResponses()).handler(async (event, context) => {
      const body = (spec.body ? parseOrThrow(spec.body, readJsonBody(event) ?? {}) : undefined) as Out<B>;
      const query = (
        spec.query ? parseOrThrow(spec.query, event.queryStringParameters ?? {}) : undefined
      ) as Out<Q>;
      // Unauthenticated routes never read `caller`; the empty one cannot match any workspace.
      const caller = context.caller ?? { workspaceId: '', keyId: '' };
      const prefix = splitPrefix(event.rawPath)?.prefix ?? '/api';
      return toResponse(await handle({ body, query, caller, prefix, event }), context);
    });
  };
}

/** The factory wired to this container's adapters and configuration. */
export const httpHandler = createHttpHandler({
  apiKeys: apiKeyStore,
  rateLimiter,
  rateLimitPerMinute: () => config().rateLimitPerMinute,
  workspaceRateLimitPerMinute: () => config().workspaceRateLimitPerMinute,
  sessions: sessionStore,
  sessionRateLimitPerMinute: () => DEFAULT_SESSION_RATE_LIMIT_PER_MINUTE,
  logger,
  now: Date.now,
});
