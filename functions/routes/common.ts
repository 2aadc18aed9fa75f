import * as z from 'zod';
import type { HeaderSpec, ResponseSpec } from './route.ts';

/** The rate-limit headers every answer on a rate-limited route carries (contract §1). */
export const RATE_LIMIT_HEADERS: Record<string, HeaderSpec> = {
  'X-RateLimit-Limit': {
    schema: { type: 'integer' },
    description: 'Requests allowed per minute for this key.',
  },
  'X-RateLimit-Remaining': {
    schema: { type: 'integer' },
    description: 'Requests that would pass now (under both the key’s and its workspace’s budget).',
  },
  'X-RateLimit-Reset': {
    schema: { type: 'integer' },
    description: 'Unix time (seconds) at which the whole budget is back.',
  },
};

/** `{"message": …}`: what the key endpoints answer (Encrata's own wording). */
export function messageResponse(message: string, description: string): ResponseSpec {
  return { description, schema: z.object({ message: z.literal(message) }) };
}

export const noContent = (description: string): ResponseSpec => ({ description });
