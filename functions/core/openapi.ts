import * as z from 'zod';
import { RATE_LIMIT_HEADERS } from '../routes/common.ts';
import { API_PREFIXES, ROUTES, type RouteSpec } from '../routes.ts';
import { apiKeyOutSchema } from './api-keys.ts';
import { attemptOutSchema, deliveryOutSchema } from './delivery-log.ts';
import { dataJsonSchema, exampleEnvelope } from './event-types.ts';
import { EVENT_TYPES, eventCatalogue } from './events.ts';
import { VERSION } from './version.ts';
import {
  createWebhookSchema,
  updateWebhookSchema,
  webhookCreatedOutSchema,
  webhookOutSchema,
} from './webhooks.ts';

/**
 * The OpenAPI 3.1 document, generated from the route table (functions/routes/): each declaration's
 * schemas are the ones its handler parses and answers with. The API prefixes are the document's
 * servers, so each path is declared once. `npm run openapi` writes it to docs/openapi.json; a test
 * (test/unit/openapi.test.ts, also run by `npm run mutate:core`) fails when the two drift apart.
 */
type Json = Record<string, unknown>;

const jsonSchema = (s: z.ZodType, io: 'input' | 'output'): Json =>
  z.toJSONSchema(s, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as Json;

const errorSchema = z.object({
  error: z.string(),
  code: z.string(),
  details: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
});

/** Schemas shared as components, by name, and referred to wherever they appear. */
const NAMED: [z.ZodType, string, 'input' | 'output'][] = [
  [errorSchema, 'Error', 'output'],
  [webhookOutSchema, 'Webhook', 'output'],
  [webhookCreatedOutSchema, 'WebhookWithSecret', 'output'],
  [createWebhookSchema, 'CreateWebhook', 'input'],
  [updateWebhookSchema, 'UpdateWebhook', 'input'],
  [deliveryOutSchema, 'Delivery', 'output'],
  [attemptOutSchema, 'Attempt', 'output'],
  [apiKeyOutSchema, 'ApiKey', 'output'],
];
const nameOf = new Map(NAMED.map(([schema, name]) => [schema, name]));
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/** A schema as JSON Schema, with shared components referred to (top level, arrays and unions of them). */
function schemaOf(s: z.ZodType, io: 'input' | 'output'): Json {
  const name = nameOf.get(s);
  if (name) return ref(name);
  if (s instanceof z.ZodArray && nameOf.has(s.element as z.ZodType)) {
    return { type: 'array', items: schemaOf(s.element as z.ZodType, io) };
  }
  if (s instanceof z.ZodUnion)
    return { oneOf: (s.options as z.ZodType[]).map((option) => schemaOf(option, io)) };
  return jsonSchema(s, io);
}

const jsonBody = (s: Json) => ({ content: { 'application/json': { schema: s } } });

const ERROR_TEXT: Record<number, string> = {
  400: 'Malformed JSON or invalid fields (details per field).',
  401: 'Missing, malformed, unknown, disabled or revoked API key.',
  404: 'Not found, or belongs to another workspace.',
  409: 'Conflicts with the current state (see the message).',
  413: 'Request body larger than 64 KiB.',
  429: 'Rate limit exceeded; see Retry-After.',
  501: 'Not implemented by this service (see the message).',
};

function parameters(route: RouteSpec): Json[] {
  if (!route.query) return [];
  const schema = jsonSchema(route.query, 'input') as {
    properties?: Record<string, Json>;
    required?: string[];
  };
  return Object.entries(schema.properties ?? {}).map(([name, s]) => ({
    name,
    in: 'query',
    required: schema.required?.includes(name) ?? false,
    description: route.queryDescriptions?.[name] ?? name,
    schema: s,
  }));
}

function operation(route: RouteSpec): Json {
  const errors = [
    ...route.errors,
    ...(route.auth === 'key' ? [401] : []),
    ...(route.rateLimited ? [429] : []),
  ];
  const headers = route.rateLimited ? RATE_LIMIT_HEADERS : {};
  const responses: Json = {};
  for (const [status, spec] of Object.entries(route.responses)) {
    responses[status] = {
      description: spec.description,
      ...(Object.keys({ ...headers, ...spec.headers }).length
        ? { headers: { ...headers, ...spec.headers } }
        : {}),
      ...(spec.schema ? jsonBody(spec.ref ? ref(spec.ref) : schemaOf(spec.schema, 'output')) : {}),
    };
  }
  for (const status of [...new Set(errors)].sort()) {
    responses[String(status)] = { description: ERROR_TEXT[status] ?? 'Error', ...jsonBody(ref('Error')) };
  }
  return {
    operationId: route.name,
    summary: route.summary,
    ...(route.description ? { description: route.description } : {}),
    ...(route.auth === 'none' ? { security: [] } : {}),
    ...(route.query ? { parameters: parameters(route) } : {}),
    ...(route.body
      ? { requestBody: { required: route.bodyRequired ?? true, ...jsonBody(schemaOf(route.body, 'input')) } }
      : {}),
    responses,
  };
}

export function buildOpenApiDocument(): Json {
  const paths: Record<string, Json> = {};
  for (const route of ROUTES) {
    if (route.name === 'openapi') continue;
    paths[route.path] = { ...paths[route.path], [route.method.toLowerCase()]: operation(route) };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Encrata Webhooks API',
      version: VERSION,
      description:
        'Register HTTPS endpoints, subscribe them to events and inspect their deliveries. ' +
        'Authenticate with `Authorization: Bearer enc_live_…`; every object is scoped to the key’s workspace. ' +
        'Every path is served under each server prefix: `/api`, and `/api/cli` and `/api/agent` for Encrata’s CLI ' +
        '(one rate-limit budget per key across them).',
    },
    servers: API_PREFIXES.map((url) => ({
      url,
      description: url === '/api' ? 'The API' : 'The same API, where Encrata’s CLI calls it',
    })),
    security: [{ bearer: [] }],
    paths,
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: '`enc_live_` + 32 alphanumerics' },
      },
      schemas: {
        ...Object.fromEntries(NAMED.map(([schema, name, io]) => [name, jsonSchema(schema, io)])),
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
                data: dataJsonSchema(type),
                created_at: { type: 'string', format: 'date-time' },
              },
              examples: [exampleEnvelope(type)],
            }),
            responses: { '200': { description: 'Any 2xx within 5 seconds acknowledges the delivery.' } },
          },
        },
      ]),
    ),
  };
}
