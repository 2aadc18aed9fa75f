import { deleteApiKey, revokeApiKey } from '../core/api-key-service.ts';
import { messageOutSchema } from '../core/api-keys.ts';
import { ValidationError } from '../core/errors.ts';
import { route } from '../routes/keys-revoke.ts';
import { httpHandler, json } from '../shared/http.ts';
import { apiKeyPorts } from '../shared/services.ts';

/**
 * DELETE /api/keys?id= (or `{"id"}`) — revoked, refused from the next request on; with
 * `permanent=true` deleted for good. Publishes `apikey.revoked`.
 */
export const handler = httpHandler(route, async ({ body, query, caller }) => {
  const id = query.id ?? body.id;
  if (!id) throw new ValidationError('Invalid request', [{ path: 'id', message: 'id is required' }]);
  if (query.permanent === 'true') {
    await deleteApiKey(apiKeyPorts(), caller, id, new Date());
    return json(200, messageOutSchema('API key deleted'), { message: 'API key deleted' });
  }
  await revokeApiKey(apiKeyPorts(), caller, id, new Date());
  return json(200, messageOutSchema('API key revoked'), { message: 'API key revoked' });
});
