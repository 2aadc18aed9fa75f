import { listApiKeys } from '../core/api-key-service.ts';
import { toApiKeyOut } from '../core/api-keys.ts';
import { keysListOutSchema, route } from '../routes/keys-list.ts';
import { httpHandler, json } from '../shared/http.ts';
import * as wiring from '../shared/wiring.ts';

/** GET /api/keys — `{"keys": [...]}` with previews only, never a key or its hash. */
export const handler = httpHandler(route, async ({ caller }) =>
  json(200, keysListOutSchema, {
    keys: (await listApiKeys({ apiKeys: wiring.apiKeyStore() }, caller)).map(toApiKeyOut),
  }),
);
