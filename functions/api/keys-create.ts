import { issueApiKey } from '../core/api-key-service.ts';
import { apiKeyCreatedOutSchema, createApiKeySchema } from '../core/api-keys.ts';
import { httpHandler, json } from '../shared/http.ts';
import { apiKeyPorts } from '../shared/services.ts';

/** POST /api/keys — 201 with the full key, this once; publishes `apikey.created`. */
export const handler = httpHandler({ body: createApiKeySchema }, async ({ body, caller }) => {
  const { record, key } = await issueApiKey(apiKeyPorts(), {
    workspaceId: caller.workspaceId,
    name: body.name,
    now: new Date(),
  });
  return json(201, apiKeyCreatedOutSchema, {
    id: record.id,
    name: record.name,
    key,
    created_at: record.created_at,
  });
});
