import { buildOpenApiDocument } from '../core/openapi.ts';
import { route } from '../routes/openapi.ts';
import { httpHandler } from '../shared/http.ts';

let document: Record<string, unknown> | undefined;

/** GET /api/openapi.json — the OpenAPI 3.1 document, built once per container from the route table. */
export const handler = httpHandler(route, async () => {
  document ??= buildOpenApiDocument();
  return { statusCode: 200, body: document };
});
