import { DEFAULT_SESSION_RATE_LIMIT_PER_MINUTE, sessionOutSchema, startSession } from '../core/sessions.ts';
import { route } from '../routes/sessions-create.ts';
import { bearerToken, httpHandler, json } from '../shared/http.ts';
import { sessionStore } from '../shared/wiring.ts';

/** POST /api/sessions — 201 `{token, expires_at, rate_limit}`: a dashboard session minted from the key. */
export const handler = httpHandler(route, async ({ caller, event }) =>
  json(
    201,
    sessionOutSchema,
    await startSession(sessionStore(), {
      caller,
      bearer: bearerToken(event),
      nowMs: Date.now(),
      rateLimit: DEFAULT_SESSION_RATE_LIMIT_PER_MINUTE,
    }),
  ),
);
