import { buildOpenApiDocument } from '../core/openapi.ts';
import { httpHandler } from '../shared/http.ts';

let document: Record<string, unknown> | undefined;

/** GET /api/openapi.json — the OpenAPI 3.1 document, built once per container from the zod schemas. */
export const handler = httpHandler({ authenticated: false }, async () => {
  document ??= buildOpenApiDocument();
  return { statusCode: 200, body: document };
});
