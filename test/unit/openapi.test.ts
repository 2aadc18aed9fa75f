import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildOpenApiDocument } from '../../functions/core/openapi.ts';
import { API_PREFIXES, ROUTES } from '../../functions/routes.ts';

const committed = JSON.parse(readFileSync(join(process.cwd(), 'docs', 'openapi.json'), 'utf8'));

function refs(value: unknown, found: string[] = []): string[] {
  if (Array.isArray(value)) for (const item of value) refs(item, found);
  else if (value && typeof value === 'object') {
    for (const [key, inner] of Object.entries(value)) {
      if (key === '$ref' && typeof inner === 'string') found.push(inner);
      else refs(inner, found);
    }
  }
  return found;
}

describe('the OpenAPI document', () => {
  const document = buildOpenApiDocument() as {
    openapi: string;
    paths: Record<string, Record<string, unknown>>;
    components: { schemas: Record<string, unknown> };
  };

  it('is the committed docs/openapi.json (run `npm run openapi` after changing a schema)', () => {
    expect(JSON.parse(JSON.stringify(document))).toEqual(committed);
  });

  it('is OpenAPI 3.1, serves every prefix and describes every route of the route table', () => {
    expect(document.openapi).toBe('3.1.0');
    expect((document as unknown as { servers: { url: string }[] }).servers.map((s) => s.url)).toEqual([
      ...API_PREFIXES,
    ]);
    for (const route of ROUTES) {
      if (route.name === 'openapi') continue;
      expect(document.paths[route.path]?.[route.method.toLowerCase()]).toMatchObject({
        operationId: route.name,
      });
    }
  });

  it('resolves every $ref', () => {
    for (const ref of refs(document)) {
      const name = ref.replace('#/components/schemas/', '');
      expect(document.components.schemas[name]).toBeDefined();
    }
  });

  it('documents the secret only on the create response', () => {
    const schemas = document.components.schemas as Record<string, { properties?: Record<string, unknown> }>;
    expect(Object.keys(schemas.WebhookWithSecret?.properties ?? {})).toContain('secret');
    expect(Object.keys(schemas.Webhook?.properties ?? {})).not.toContain('secret');
  });
});
