import { setApiKeyStatus } from '../core/api-key-service.ts';
import { messageOutSchema } from '../core/api-keys.ts';
import { route } from '../routes/keys-status.ts';
import { httpHandler, json } from '../shared/http.ts';
import { apiKeyPorts } from '../shared/services.ts';

/** PATCH /api/keys?id=&action=disable|enable — a disabled key is refused until enabled again. */
export const handler = httpHandler(route, async ({ query, caller }) => {
  await setApiKeyStatus(apiKeyPorts(), caller, query.id, query.action, new Date());
  const message = query.action === 'disable' ? 'API key disabled' : 'API key enabled';
  return json(200, messageOutSchema(message), { message });
});
