import { endSession } from '../core/sessions.ts';
import { route } from '../routes/sessions-delete.ts';
import { bearerToken, httpHandler, noContent } from '../shared/http.ts';
import { sessionStore } from '../shared/wiring.ts';

/** DELETE /api/sessions — 204: the session this request was made with is ended (sign-out). */
export const handler = httpHandler(route, async ({ caller, event }) => {
  await endSession(sessionStore(), { caller, bearer: bearerToken(event) });
  return noContent();
});
