import { renameApiKey } from '../core/api-key-service.ts';
import { messageOutSchema } from '../core/api-keys.ts';
import { route } from '../routes/keys-update.ts';
import { httpHandler, json } from '../shared/http.ts';
import * as wiring from '../shared/wiring.ts';

/** PUT /api/keys `{id, name}` — renames a key. */
export const handler = httpHandler(route, async ({ body, caller }) => {
  await renameApiKey({ apiKeys: wiring.apiKeyStore() }, caller, body.id, body.name);
  return json(200, messageOutSchema('API key updated'), { message: 'API key updated' });
});
