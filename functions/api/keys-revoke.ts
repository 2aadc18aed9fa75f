import * as z from 'zod';
import { revokeApiKey } from '../core/api-key-service.ts';
import { ValidationError } from '../core/errors.ts';
import { httpHandler, json } from '../shared/http.ts';
import { apiKeyPorts } from '../shared/services.ts';

const idSchema = z.object({ id: z.string().min(1, 'id must not be empty').optional() });
const revokedOutSchema = z.object({ message: z.literal('API key revoked') });

/** DELETE /api/keys?id= (or `{"id"}`) — refused from the next request on; publishes `apikey.revoked`. */
export const handler = httpHandler({ body: idSchema, query: idSchema }, async ({ body, query, caller }) => {
  const id = query.id ?? body.id;
  if (!id) throw new ValidationError('Invalid request', [{ path: 'id', message: 'id is required' }]);
  await revokeApiKey(apiKeyPorts(), caller, id, new Date());
  return json(200, revokedOutSchema, { message: 'API key revoked' });
});
