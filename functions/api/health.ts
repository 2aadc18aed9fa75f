import * as z from 'zod';
import { VERSION } from '../core/version.ts';
import { httpHandler, json } from '../shared/http.ts';

const healthOutSchema = z.object({ status: z.literal('ok'), version: z.string() });

/** GET /api/health — liveness, unauthenticated. */
export const handler = httpHandler({ authenticated: false }, async () =>
  json(200, healthOutSchema, { status: 'ok', version: VERSION }),
);
