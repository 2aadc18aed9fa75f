import { recoverOutSchema, startRecovery } from '../core/recovery.ts';
import { route } from '../routes/webhooks-recover.ts';
import { httpHandler, json } from '../shared/http.ts';
import * as wiring from '../shared/wiring.ts';

/** POST /api/webhooks/recover — records the recovery and queues its first step. */
export const handler = httpHandler(route, async ({ body, caller }) =>
  json(
    202,
    recoverOutSchema,
    await startRecovery(
      { webhooks: wiring.webhookStore(), recoveries: wiring.recoveryStore(), tasks: wiring.taskQueue() },
      caller,
      body,
      Date.now(),
    ),
  ),
);
