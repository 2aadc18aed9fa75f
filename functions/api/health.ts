import { VERSION } from '../core/version.ts';
import { healthOutSchema, route } from '../routes/health.ts';
import { httpHandler, json } from '../shared/http.ts';

/** GET /api/health — liveness, unauthenticated. */
export const handler = httpHandler(route, async () =>
  json(200, healthOutSchema, { status: 'ok', version: VERSION }),
);
