import * as z from 'zod';
import { listApiKeys } from '../core/api-key-service.ts';
import { apiKeyOutSchema } from '../core/api-keys.ts';
import { httpHandler, json } from '../shared/http.ts';
import * as wiring from '../shared/wiring.ts';

const listOutSchema = z.object({ keys: z.array(apiKeyOutSchema) });

/** GET /api/keys — `{"keys": [...]}` with previews only, never a key or its hash. */
export const handler = httpHandler({}, async ({ caller }) =>
  json(200, listOutSchema, { keys: await listApiKeys({ apiKeys: wiring.apiKeyStore() }, caller) }),
);
