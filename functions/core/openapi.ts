import * as z from 'zod';
import { apiKeyCreatedOutSchema, apiKeyOutSchema, createApiKeySchema } from './api-keys.ts';
import {
  attemptOutSchema,
  attemptsQuerySchema,
  deliveryOutSchema,
  listDeliveriesQuerySchema,
} from './delivery-log.ts';
import { EVENT_TYPES, eventCatalogue } from './events.ts';
import { testWebhookOutSchema } from './test-webhook.ts';
import { VERSION } from './version.ts';
import {
  createWebhookSchema,
  updateWebhookSchema,
  webhookCreatedOutSchema,
  webhookIdSchema,
  webhookOutSchema,
} from './webhooks.ts';

/**
 * The OpenAPI 3.1 document, generated from the same zod schemas the handlers parse and answer with.
 * `npm run openapi` writes it to docs/openapi.json; a test fails when the two drift apart.
 */
type Json = Record<string, unknown>;

const schema = (s: z.ZodType, io: 'input' | 'output'): Json =>
  z.toJSONSchema(s, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as Json;
const input = (s: z.ZodType) => schema(s, 'input');
const output = (s: z.ZodType) => schema(s, 'output');

const errorSchema = z.object({
  error: z.string(),
  code: z.string(),
  details: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
});

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const jsonBody = (s: Json) => ({ content: { 'application/json': { schema: s } } });
const rateHeaders = {
  'X-RateLimit-Limit': {
    schema: { type: 'integer' },
    description: 'Requests allowed per minute for this key.',
  },
  'X-RateLimit-Remaining': {
    schema: { type: 'integer' },
    description: 'Requests left in the current window.',
  },
  'X-RateLimit-Reset': { schema: { type: 'integer' }, description: 'Unix time (seconds) the window resets.' },
};
const error = (description: string) => ({ description, ...jsonBody(ref('Error')) });
const errors = (...codes: number[]) => {
  const text: Record<number, string> = {
    400: 'Malformed JSON or invalid fields (details per field).',
    401: 'Missing, malformed, unknown or revoked API key.',
    404: 'Not found, or belongs to another workspace.',
    413: 'Request body larger than 64 KiB.',
    429: 'Rate limit exceeded; see Retry-After.',
  };
  return Object.fromEntries(codes.map((code) => [String(code), error(text[code] ?? 'Error')]));
};
const query = (name: string, required: boolean, description: string, s: Json = { type: 'string' }) => ({
  name,
  in: 'query',
  required,
  description,
  schema: s,
});

const DELIVERY_QUERY_DESCRIPTIONS: Record<string, string> = {
  webhook_id: 'This webhook’s deliveries only (all the workspace’s when absent)',
  limit: 'Page size, 1–250 (default 50)',
  status: 'Only deliveries in this status',
  event_type: 'Only deliveries of this event type',
  before: 'Return deliveries older than this delivery id (the X-Next-Cursor of the previous page)',
};

export function buildOpenApiDocument(): Json {
  const deliveriesQuery = input(listDeliveriesQuerySchema) as { properties: Record<string, Json> };
  return {
    openapi: '3.1.0',
    info: {
      title: 'Encrata Webhooks API',
      version: VERSION,
      description:
        'Register HTTPS endpoints, subscribe them to events and inspect their deliveries. ' +
        'Authenticate with `Authorization: Bearer enc_live_…`; every object is scoped to the key’s workspace.',
    },
    servers: [{ url: '/' }],
    security: [{ bearer: [] }],
    paths: {
      '/api/health': {
        get: { summary: 'Liveness', security: [], responses: { '200': { description: 'Running' } } },
      },
      '/api/webhooks': {
        get: {
          summary: 'List webhooks, or get one with ?id=',
          parameters: [query('id', false, 'Return this webhook only')],
          responses: {
            '200': {
              description: 'A bare array of webhooks (newest first), or one webhook when `id` is given.',
              headers: rateHeaders,
              ...jsonBody({ oneOf: [{ type: 'array', items: ref('Webhook') }, ref('Webhook')] }),
            },
            ...errors(401, 404, 429),
          },
        },
        post: {
          summary: 'Create a webhook',
          requestBody: { required: true, ...jsonBody(ref('CreateWebhook')) },
          responses: {
            '201': {
              description: 'Created; `secret` appears only here.',
              headers: rateHeaders,
              ...jsonBody(ref('WebhookWithSecret')),
            },
            ...errors(400, 401, 413, 429),
          },
        },
        put: {
          summary: 'Update a webhook (absent or null fields keep their value)',
          requestBody: { required: true, ...jsonBody(ref('UpdateWebhook')) },
          responses: {
            '200': {
              description: 'Updated',
              headers: rateHeaders,
              ...jsonBody(output(z.object({ status: z.literal('updated') }))),
            },
            ...errors(400, 401, 404, 413, 429),
          },
        },
        delete: {
          summary: 'Delete a webhook; its pending retries stop',
          parameters: [query('id', false, 'Alternative to the JSON body')],
          requestBody: { required: false, ...jsonBody(input(webhookIdSchema)) },
          responses: { '204': { description: 'Deleted' }, ...errors(400, 401, 404, 429) },
        },
      },
      '/api/webhooks/test': {
        post: {
          summary: 'Send a signed test delivery now (works on paused webhooks)',
          requestBody: { required: true, ...jsonBody(input(webhookIdSchema)) },
          responses: {
            '200': {
              description: 'The attempt’s outcome',
              headers: rateHeaders,
              ...jsonBody(output(testWebhookOutSchema)),
            },
            ...errors(400, 401, 404, 429),
          },
        },
      },
      '/api/webhooks/deliveries': {
        get: {
          summary: 'List deliveries, newest first: one webhook’s, or (without webhook_id) the workspace’s',
          parameters: Object.entries(deliveriesQuery.properties).map(([name, s]) =>
            query(name, false, DELIVERY_QUERY_DESCRIPTIONS[name] ?? name, s),
          ),
          responses: {
            '200': {
              description: 'A bare array; `X-Next-Cursor` is set when older deliveries exist.',
              headers: {
                ...rateHeaders,
                'X-Next-Cursor': { schema: { type: 'string' }, description: 'Pass as `before`.' },
              },
              ...jsonBody({ type: 'array', items: ref('Delivery') }),
            },
            ...errors(400, 401, 404, 429),
          },
        },
      },
      '/api/webhooks/deliveries/attempts': {
        get: {
          summary: 'Every attempt of a delivery, newest first',
          parameters: [
            query('delivery_id', true, 'The delivery id', input(attemptsQuerySchema.shape.delivery_id)),
          ],
          responses: {
            '200': {
              description: 'A bare array of attempts (empty before the first attempt).',
              headers: rateHeaders,
              ...jsonBody({ type: 'array', items: output(attemptOutSchema) }),
            },
            ...errors(400, 401, 404, 429),
          },
        },
      },
      '/api/keys': {
        get: {
          summary: 'List API keys',
          responses: {
            '200': {
              description: 'Keys (previews only)',
              ...jsonBody(output(z.object({ keys: z.array(apiKeyOutSchema) }))),
            },
            ...errors(401),
          },
        },
        post: {
          summary: 'Create an API key',
          requestBody: { required: true, ...jsonBody(input(createApiKeySchema)) },
          responses: {
            '201': {
              description: 'Created; the full `key` appears only here.',
              ...jsonBody(output(apiKeyCreatedOutSchema)),
            },
            ...errors(400, 401, 413),
          },
        },
        delete: {
          summary: 'Revoke an API key (refused from the next request on)',
          parameters: [query('id', true, 'The key id')],
          responses: {
            '200': {
              description: 'Revoked',
              ...jsonBody(output(z.object({ message: z.literal('API key revoked') }))),
            },
            ...errors(400, 401, 404),
          },
        },
      },
    },
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: '`enc_live_` + 32 alphanumerics' },
      },
      schemas: {
        Error: output(errorSchema),
        Webhook: output(webhookOutSchema),
        WebhookWithSecret: output(webhookCreatedOutSchema),
        CreateWebhook: input(createWebhookSchema),
        UpdateWebhook: input(updateWebhookSchema),
        Delivery: output(deliveryOutSchema),
        EventType: { type: 'string', enum: EVENT_TYPES },
      },
    },
    webhooks: Object.fromEntries(
      EVENT_TYPES.map((type) => [
        type,
        {
          post: {
            summary: eventCatalogue[type].description,
            requestBody: jsonBody({
              type: 'object',
              required: ['event', 'data', 'created_at'],
              properties: {
                event: { const: type },
                data: input(eventCatalogue[type].data),
                created_at: { type: 'string', format: 'date-time' },
              },
            }),
            responses: { '200': { description: 'Any 2xx within 5 seconds acknowledges the delivery.' } },
          },
        },
      ]),
    ),
  };
}
