import { createApiKey } from '../core/api-key-service.ts';
import { apiKeyCreatedOutSchema } from '../core/api-keys.ts';
import { route } from '../routes/keys-create.ts';
import { config } from '../shared/config.ts';
import { httpHandler, json } from '../shared/http.ts';
import { apiKeyPorts } from '../shared/services.ts';
import { rateLimiter } from '../shared/wiring.ts';

/** POST /api/keys — 201 with the full key, this once; publishes `apikey.created`; 429 over the hourly budget. */
export const handler = httpHandler(route, async ({ body, caller }) => {
  const { record, key } = await createApiKey({ ...apiKeyPorts(), rateLimiter: rateLimiter() }, caller, {
    name: body.name,
    now: new Date(),
    rule: { limit: config().keyCreationsPerHour, periodSeconds: 3600 },
  });
  return json(201, apiKeyCreatedOutSchema, {
    id: record.id,
    name: record.name,
    key,
    key_prefix: record.key_prefix ?? key.slice(0, 12),
    created_at: record.created_at,
  });
});
