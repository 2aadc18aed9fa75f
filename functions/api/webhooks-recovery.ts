import { getRecovery, recoveryOutSchema } from '../core/recovery.ts';
import { route } from '../routes/webhooks-recovery.ts';
import { httpHandler, json } from '../shared/http.ts';
import * as wiring from '../shared/wiring.ts';

/** GET /api/webhooks/recover?recovery_id= — a recovery's status and counts. */
export const handler = httpHandler(route, async ({ query, caller }) =>
  json(
    200,
    recoveryOutSchema,
    await getRecovery({ recoveries: wiring.recoveryStore() }, caller, query.recovery_id),
  ),
);
