import { rotateSecret } from '../core/webhook-service.ts';
import { rotateSecretOutSchema } from '../core/webhooks.ts';
import { route } from '../routes/webhooks-rotate-secret.ts';
import { httpHandler, json } from '../shared/http.ts';
import { secretBox } from '../shared/secret-key.ts';
import * as wiring from '../shared/wiring.ts';

/** POST /api/webhooks/rotate-secret — a new secret, shown once; the previous one signs until it expires. */
export const handler = httpHandler(route, async ({ body, caller }) =>
  json(
    200,
    rotateSecretOutSchema,
    await rotateSecret({ webhooks: wiring.webhookStore(), secretBox: secretBox() }, caller, body, new Date()),
  ),
);
