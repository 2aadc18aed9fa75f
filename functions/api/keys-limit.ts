import { NotImplementedError } from '../core/errors.ts';
import { route } from '../routes/keys-limit.ts';
import { httpHandler } from '../shared/http.ts';

/** POST /api/keys/limit — Encrata's CLI asks; credit limits are Encrata's billing's, not ours: 501. */
export const handler = httpHandler(route, async () => {
  throw new NotImplementedError(
    'Credit limits are managed in Encrata’s billing (the Encrata dashboard), not by this webhook service',
  );
});
