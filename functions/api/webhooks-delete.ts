import { ValidationError } from '../core/errors.ts';
import { deleteWebhook } from '../core/webhook-service.ts';
import { route } from '../routes/webhooks-delete.ts';
import { httpHandler, noContent } from '../shared/http.ts';
import * as wiring from '../shared/wiring.ts';

/** DELETE /api/webhooks — `{"id"}` in the body (or `?id=`); 204, and its pending retries stop. */
export const handler = httpHandler(route, async ({ body, query, caller }) => {
  const id = body.id ?? query.id;
  if (!id) throw new ValidationError('Invalid request', [{ path: 'id', message: 'id is required' }]);
  await deleteWebhook({ webhooks: wiring.webhookStore() }, caller, id);
  return noContent();
});
