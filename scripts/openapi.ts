/** `npm run openapi`: writes docs/openapi.json from the zod schemas. */
import { writeFileSync } from 'node:fs';
import { buildOpenApiDocument } from '../functions/core/openapi.ts';

writeFileSync(
  new URL('../docs/openapi.json', import.meta.url),
  `${JSON.stringify(buildOpenApiDocument(), null, 2)}\n`,
);
console.log('wrote docs/openapi.json');
