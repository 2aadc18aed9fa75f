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
      `Too many requests: the API allows ${limit ?? 'a limited number of'} requests a minute per key. ` +
        `Try again in ${seconds} s.`,
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

export class ApiClient {
  readonly #apiKey: string;
  readonly #onUnauthorized: () => void;

  /**
   * @param apiKey the Bearer key for every request
   * @param onUnauthorized called on any 401, so the page can sign out at once
   */
  constructor(apiKey: string, onUnauthorized: () => void = () => {}) {
    this.#apiKey = apiKey;
    this.#onUnauthorized = onUnauthorized;
  }

  private async request(method: string, path: string, body?: unknown): Promise<unknown> {
    let response: Response;
    try {
      response = await fetch(path, {
        method,
        headers: {
          Authorization: `Bearer ${this.#apiKey}`,
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
    return parsed;
  }

  async listWebhooks(): Promise<Webhook[]> {
    return expectArray<Webhook>(await this.request('GET', '/api/webhooks'), WEBHOOK_SHAPE);
  }

  async createWebhook(input: WebhookInput): Promise<CreatedWebhook> {
    const created = await this.request('POST', '/api/webhooks', input);
    return expectShape<CreatedWebhook>(created, { ...WEBHOOK_SHAPE, secret: 'string' });
  }

  /** PUT: `id` and `url` are required; the other fields given replace the stored ones. */
  async updateWebhook(id: string, url: string, changes: Partial<WebhookInput & { is_active: boolean }>) {
    await this.request('PUT', '/api/webhooks', { ...changes, id, url });
  }

  async deleteWebhook(id: string): Promise<void> {
    await this.request('DELETE', '/api/webhooks', { id });
  }

  async testWebhook(id: string): Promise<TestResult> {
    return expectShape<TestResult>(await this.request('POST', '/api/webhooks/test', { id }), TEST_SHAPE);
  }

  /** The newest `limit` deliveries of a webhook, newest first. */
  async listDeliveries(webhookId: string, limit = 100): Promise<Delivery[]> {
    const query = new URLSearchParams({ webhook_id: webhookId, limit: String(limit) });
    return expectArray<Delivery>(
      await this.request('GET', `/api/webhooks/deliveries?${query}`),
      DELIVERY_SHAPE,
    );
  }
}
