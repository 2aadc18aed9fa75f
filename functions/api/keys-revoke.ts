import * as z from 'zod';
import { revokeApiKey } from '../core/api-key-service.ts';
import { httpHandler, json } from '../shared/http.ts';
import { apiKeyPorts } from '../shared/services.ts';

const querySchema = z.object({ id: z.string({ error: 'id is required' }).min(1, 'id is required') });
const revokedOutSchema = z.object({ message: z.literal('API key revoked') });

/** DELETE /api/keys?id= — the key is refused from the next request on; publishes `apikey.revoked`. */
export const handler = httpHandler({ query: querySchema }, async ({ query, caller }) => {
  await revokeApiKey(apiKeyPorts(), caller, query.id, new Date());
  return json(200, revokedOutSchema, { message: 'API key revoked' });
});
