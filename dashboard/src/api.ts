/**
 * The management API client of the page (contract §3). Same origin, so no CORS and no cookies:
 * the key goes in the Authorization header of each request and nowhere else.
 */

/** The webhook object (contract §2), without the secret. */
export interface Webhook {
  id: string;
  url: string;
  events: string[];
  is_active: boolean;
  description: string;
  created_at: string;
  updated_at: string;
  /** Custom header names, values shown as `***` (absent from older servers: treated as none). */
  headers?: Record<string, string>;
  /** Most deliveries per second; null: no limit. */
  rate_limit?: number | null;
  /** `failing` when it was disabled automatically. */
  disabled_reason?: 'failing' | null;
}

/** The create response: the only time the secret is shown. */
export interface CreatedWebhook extends Webhook {
  secret: string;
}

export type DeliveryStatus = 'pending' | 'success' | 'failed';

export interface Delivery {
  id: string;
  webhook_id: string;
  event_type: string;
  payload: unknown;
  status: DeliveryStatus;
  attempts: number;
  response_status: number | null;
  response_body: string | null;
  last_attempt_at: string | null;
  next_attempt_at: string | null;
  error: string | null;
  created_at: string;
}

/** The test endpoint's answer. */
export interface TestResult {
  status: 'sent' | 'failed';
  url: string;
  signature: string;
  status_code: number | null;
  response_body: string | null;
  error: string | null;
  delivery_id?: string;
}

export interface FieldError {
  /** The request field, e.g. `url` or `events.0`. */
  path: string;
  message: string;
}

export interface WebhookInput {
  url: string;
  events: string[];
  description: string;
  /** Replaces every custom header when given (`{}` clears them); absent keeps them. */
  headers?: Record<string, string>;
  rate_limit?: number | null;
}

/** One attempt of a delivery (contract §3, attempts endpoint). */
export interface Attempt {
  attempt: number;
  started_at: string;
  duration_ms: number;
  status_code: number | null;
  response_body: string | null;
  error: string | null;
  next_attempt_at: string | null;
  /** The headers it sent (signatures included); null when refused before sending. */
  request_headers?: Record<string, string> | null;
}

export interface DeliveryPage {
  items: Delivery[];
  /** Pass as `before` for older ones; null at the end. */
  nextCursor: string | null;
}

export interface DeliveryQuery {
  webhookId?: string;
  status?: DeliveryStatus;
  eventType?: string;
  before?: string;
  limit?: number;
}

export interface WebhookHealth {
  webhook_id: string;
  is_active: boolean;
  disabled_reason: 'failing' | null;
  failing_since: string | null;
  last_delivery_at: string | null;
  last_delivery_status: DeliveryStatus | null;
  deliveries_24h: { success: number; failed: number; pending: number };
  success_rate_24h: number | null;
  sampled: boolean;
}

export interface Recovery {
  recovery_id: string;
  status: 'running' | 'done';
  queued: number;
  skipped: number;
  since: string;
  until: string;
  stopped_reason?: string | null;
}

export interface Rotation {
  secret: string;
  previous_expires_at: string;
}

export interface EventType {
  event: string;
  description: string;
  schema: Record<string, unknown>;
  example: unknown;
}

export interface ApiKey {
  id: string;
  name: string;
  key_preview: string;
  key_prefix: string;
  created_at: string;
  last_used: string | null;
  revoked_at: string | null;
  disabled_at?: string | null;
  is_active: boolean;
}

export interface CreatedApiKey {
  id: string;
  name: string;
  key: string;
  created_at: string;
}

export interface Session {
  token: string;
  expires_at: string;
}

/** An API answer other than success, or no answer at all (`status` 0). */
export class ApiError extends Error {
  /** HTTP status, or 0 when there was no usable answer. */
  readonly status: number;
  /** The API's machine code, e.g. `validation_error`. */
  readonly code: string;
  /** Validation problems by request field. */
  readonly details: FieldError[];
  /** Seconds to wait before retrying, from `Retry-After` on a 429. */
  readonly retryAfterSeconds: number | null;

  constructor(
    status: number,
    code: string,
    message: string,
    details: FieldError[] = [],
    retryAfter: number | null = null,
  ) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details;
    this.retryAfterSeconds = retryAfter;
  }
}

type FieldKind = 'string' | 'number' | 'boolean' | 'array' | 'string|null' | 'number|null' | 'any';

function matches(value: unknown, kind: FieldKind): boolean {
  switch (kind) {
    case 'any':
      return true;
    case 'array':
      return Array.isArray(value);
    case 'string|null':
      return value === null || typeof value === 'string';
    case 'number|null':
      return value === null || typeof value === 'number';
    default:
      return typeof value === kind;
  }
}

/**
 * A light check of a response against the fields the page reads (the browser bundle has no zod):
 * an unexpected answer becomes a clear error instead of a broken screen.
 */
const UNEXPECTED = 'The API sent an answer this page does not understand.';

function expectShape<T>(value: unknown, shape: Record<keyof T & string, FieldKind>): T {
  const ok =
    typeof value === 'object' &&
    value !== null &&
    Object.entries<FieldKind>(shape).every(([field, kind]) =>
      matches((value as Record<string, unknown>)[field], kind),
    );
  if (!ok) throw new ApiError(0, 'unexpected_response', UNEXPECTED);
  return value as T;
}

function expectArray<T>(value: unknown, shape: Record<keyof T & string, FieldKind>): T[] {
  if (!Array.isArray(value)) throw new ApiError(0, 'unexpected_response', UNEXPECTED);
  return value.map((item) => expectShape<T>(item, shape));
}

const WEBHOOK_SHAPE: Record<keyof Webhook, FieldKind> = {
  id: 'string',
  url: 'string',
  events: 'array',
  is_active: 'boolean',
  description: 'string',
  created_at: 'string',
  updated_at: 'string',
  headers: 'any',
  rate_limit: 'any',
  disabled_reason: 'any',
};

const DELIVERY_SHAPE: Record<keyof Delivery, FieldKind> = {
  id: 'string',
  webhook_id: 'string',
  event_type: 'string',
  payload: 'any',
  status: 'string',
  attempts: 'number',
  response_status: 'number|null',
  response_body: 'string|null',
  last_attempt_at: 'string|null',
  next_attempt_at: 'any',
  error: 'any',
  created_at: 'string',
};

const TEST_SHAPE: Record<keyof TestResult, FieldKind> = {
  status: 'string',
  url: 'string',
  signature: 'string',
  status_code: 'number|null',
  response_body: 'string|null',
  error: 'string|null',
  delivery_id: 'any',
};

async function readJson(response: Response): Promise<unknown> {
  const text = await response.text();
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function errorFrom(response: Response, body: unknown): ApiError {
  const record = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const details = Array.isArray(record.details)
    ? record.details.filter(
        (detail): detail is FieldError =>
          typeof detail?.path === 'string' && typeof detail?.message === 'string',
      )
    : [];
  const code = typeof record.code === 'string' ? record.code : `http_${response.status}`;
  if (response.status === 429) {
    const retryAfter = Number(response.headers.get('Retry-After'));
    const seconds = Number.isFinite(retryAfter) && retryAfter > 0 ? Math.ceil(retryAfter) : 60;
    const limit = response.headers.get('X-RateLimit-Limit');
    return new ApiError(
      429,
      code,
      `Too many requests: this session may make ${limit ?? 'a limited number of'} requests a minute. ` +
        `Trying again in ${seconds} s.`,
      [],
      seconds,
    );
  }
  const message =
    typeof record.error === 'string' && record.error
      ? record.error
      : `The API answered ${response.status} ${response.statusText}`.trim();
  return new ApiError(response.status, code, message, details);
}

const ATTEMPT_SHAPE: Record<keyof Attempt, FieldKind> = {
  attempt: 'number',
  started_at: 'string',
  duration_ms: 'number',
  status_code: 'number|null',
  response_body: 'string|null',
  error: 'string|null',
  next_attempt_at: 'string|null',
  request_headers: 'any',
};

const HEALTH_SHAPE: Record<keyof WebhookHealth, FieldKind> = {
  webhook_id: 'string',
  is_active: 'boolean',
  disabled_reason: 'any',
  failing_since: 'string|null',
  last_delivery_at: 'string|null',
  last_delivery_status: 'any',
  deliveries_24h: 'any',
  success_rate_24h: 'number|null',
  sampled: 'boolean',
};

const KEY_SHAPE: Record<keyof ApiKey, FieldKind> = {
  id: 'string',
  name: 'string',
  key_preview: 'string',
  key_prefix: 'string',
  created_at: 'string',
  last_used: 'string|null',
  revoked_at: 'string|null',
  disabled_at: 'any',
  is_active: 'boolean',
};

interface RawAnswer {
  body: unknown;
  headers: Headers;
}

/** Mints a dashboard session from an API key (POST /api/sessions): the page never keeps the key. */
export async function startSession(apiKey: string): Promise<Session> {
  const client = new ApiClient(apiKey);
  return expectShape<Session>(await client.send('POST', '/api/sessions'), {
    token: 'string',
    expires_at: 'string',
  });
}

export class ApiClient {
  readonly #token: string;
  readonly #onUnauthorized: () => void;

  /**
   * @param token the Bearer credential of every request: a dashboard session token (or a key)
   * @param onUnauthorized called on any 401, so the page can sign out at once
   */
  constructor(token: string, onUnauthorized: () => void = () => {}) {
    this.#token = token;
    this.#onUnauthorized = onUnauthorized;
  }

  private async request(method: string, path: string, body?: unknown): Promise<RawAnswer> {
    let response: Response;
    try {
      response = await fetch(path, {
        method,
        headers: {
          Authorization: `Bearer ${this.#token}`,
          Accept: 'application/json',
          ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        cache: 'no-store',
        credentials: 'omit',
        referrerPolicy: 'no-referrer',
      });
    } catch {
      throw new ApiError(0, 'network', 'Could not reach the API. Check your connection and try again.');
    }
    const parsed = await readJson(response);
    if (!response.ok) {
      const error = errorFrom(response, parsed);
      if (response.status === 401) this.#onUnauthorized();
      throw error;
    }
    return { body: parsed, headers: response.headers };
  }

  /** A request whose answer's body is all that matters. */
  async send(method: string, path: string, body?: unknown): Promise<unknown> {
    return (await this.request(method, path, body)).body;
  }

  async endSession(): Promise<void> {
    await this.send('DELETE', '/api/sessions');
  }

  async listWebhooks(): Promise<Webhook[]> {
    return expectArray<Webhook>(await this.send('GET', '/api/webhooks'), WEBHOOK_SHAPE);
  }

  async getWebhook(id: string): Promise<Webhook> {
    return expectShape<Webhook>(
      await this.send('GET', `/api/webhooks?${new URLSearchParams({ id })}`),
      WEBHOOK_SHAPE,
    );
  }

  async createWebhook(input: WebhookInput): Promise<CreatedWebhook> {
    const created = await this.send('POST', '/api/webhooks', input);
    return expectShape<CreatedWebhook>(created, { ...WEBHOOK_SHAPE, secret: 'string' });
  }

  /** PUT: `id` and `url` are required; the other fields given replace the stored ones. */
  async updateWebhook(id: string, url: string, changes: Partial<WebhookInput & { is_active: boolean }>) {
    await this.send('PUT', '/api/webhooks', { ...changes, id, url });
  }

  async deleteWebhook(id: string): Promise<void> {
    await this.send('DELETE', '/api/webhooks', { id });
  }

  /** Sends the generic test, or the example of `event` when given. */
  async testWebhook(id: string, event?: string): Promise<TestResult> {
    return expectShape<TestResult>(
      await this.send('POST', '/api/webhooks/test', event ? { id, event } : { id }),
      TEST_SHAPE,
    );
  }

  /** A page of deliveries, newest first: one webhook's or the workspace's, filtered. */
  async listDeliveries(query: DeliveryQuery): Promise<DeliveryPage> {
    const params = new URLSearchParams({ limit: String(query.limit ?? 50) });
    if (query.webhookId) params.set('webhook_id', query.webhookId);
    if (query.status) params.set('status', query.status);
    if (query.eventType) params.set('event_type', query.eventType);
    if (query.before) params.set('before', query.before);
    const answer = await this.request('GET', `/api/webhooks/deliveries?${params}`);
    return {
      items: expectArray<Delivery>(answer.body, DELIVERY_SHAPE),
      nextCursor: answer.headers.get('X-Next-Cursor'),
    };
  }

  async listAttempts(deliveryId: string): Promise<Attempt[]> {
    const params = new URLSearchParams({ delivery_id: deliveryId });
    return expectArray<Attempt>(
      await this.send('GET', `/api/webhooks/deliveries/attempts?${params}`),
      ATTEMPT_SHAPE,
    );
  }

  async resendDelivery(deliveryId: string): Promise<void> {
    await this.send('POST', '/api/webhooks/deliveries/resend', { delivery_id: deliveryId });
  }

  async recover(id: string, since: string): Promise<Recovery> {
    const started = expectShape<{ recovery_id: string; since: string; until: string }>(
      await this.send('POST', '/api/webhooks/recover', { id, since }),
      { recovery_id: 'string', since: 'string', until: 'string' },
    );
    return { ...started, status: 'running', queued: 0, skipped: 0 };
  }

  async recoveryStatus(recoveryId: string): Promise<Recovery> {
    return expectShape<Recovery>(
      await this.send('GET', `/api/webhooks/recover?${new URLSearchParams({ recovery_id: recoveryId })}`),
      {
        recovery_id: 'string',
        status: 'string',
        queued: 'number',
        skipped: 'number',
        since: 'string',
        until: 'string',
        stopped_reason: 'any',
      },
    );
  }

  async rotateSecret(id: string, previousExpiresInHours: number): Promise<Rotation> {
    return expectShape<Rotation>(
      await this.send('POST', '/api/webhooks/rotate-secret', {
        id,
        previous_expires_in_hours: previousExpiresInHours,
      }),
      { secret: 'string', previous_expires_at: 'string' },
    );
  }

  async eventTypes(): Promise<EventType[]> {
    return expectArray<EventType>(await this.send('GET', '/api/webhooks/event-types'), {
      event: 'string',
      description: 'string',
      schema: 'any',
      example: 'any',
    });
  }

  async health(): Promise<WebhookHealth[]> {
    return expectArray<WebhookHealth>(await this.send('GET', '/api/webhooks/health'), HEALTH_SHAPE);
  }

  async listKeys(): Promise<ApiKey[]> {
    const body = expectShape<{ keys: unknown }>(await this.send('GET', '/api/keys'), { keys: 'array' });
    return expectArray<ApiKey>(body.keys, KEY_SHAPE);
  }

  async createKey(name: string): Promise<CreatedApiKey> {
    return expectShape<CreatedApiKey>(await this.send('POST', '/api/keys', { name }), {
      id: 'string',
      name: 'string',
      key: 'string',
      created_at: 'string',
    });
  }

  async renameKey(id: string, name: string): Promise<void> {
    await this.send('PUT', '/api/keys', { id, name });
  }

  async setKeyEnabled(id: string, enabled: boolean): Promise<void> {
    const params = new URLSearchParams({ id, action: enabled ? 'enable' : 'disable' });
    await this.send('PATCH', `/api/keys?${params}`);
  }

  async revokeKey(id: string): Promise<void> {
    await this.send('DELETE', `/api/keys?${new URLSearchParams({ id })}`);
  }
}
