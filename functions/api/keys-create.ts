import { issueApiKey } from '../core/api-key-service.ts';
import { apiKeyCreatedOutSchema } from '../core/api-keys.ts';
import { route } from '../routes/keys-create.ts';
import { httpHandler, json } from '../shared/http.ts';
import { apiKeyPorts } from '../shared/services.ts';

/** POST /api/keys — 201 with the full key, this once; publishes `apikey.created`. */
export const handler = httpHandler(route, async ({ body, caller }) => {
  const { record, key } = await issueApiKey(apiKeyPorts(), {
    workspaceId: caller.workspaceId,
    name: body.name,
    now: new Date(),
  });
  return json(201, apiKeyCreatedOutSchema, {
    id: record.id,
    name: record.name,
    key,
    key_prefix: record.key_prefix ?? key.slice(0, 12),
    created_at: record.created_at,
  });
});
