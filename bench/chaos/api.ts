/** The management API as the chaos suite calls it: 5xx and 429 tried again (bounded), every row read. */
import * as z from 'zod';
import type { ChaosStackInfo } from './stack.ts';

const ATTEMPTS = 12;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface ApiStats {
  /** Answers with a 5xx status (the caller saw the injected faults). */
  serverErrors: number;
  throttled: number;
}

export function chaosApi(info: Pick<ChaosStackInfo, 'api_url' | 'api_key'>, stats: ApiStats) {
  async function call(
    method: string,
    path: string,
    body?: unknown,
    retry = true,
  ): Promise<{ status: number; json: unknown; headers: Headers }> {
    for (let attempt = 1; ; attempt++) {
      let res: Response;
      try {
        res = await fetch(`${info.api_url}${path}`, {
          method,
          headers: { authorization: `Bearer ${info.api_key}`, 'content-type': 'application/json' },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(15_000),
        });
      } catch (error) {
        if (attempt >= ATTEMPTS || !retry) throw error;
        await sleep(250 * attempt);
        continue;
      }
      const text = await res.text();
      const json: unknown = text ? JSON.parse(text) : undefined;
      if (res.status >= 500) stats.serverErrors++;
      if (res.status === 429) stats.throttled++;
      if (retry && (res.status >= 500 || res.status === 429) && attempt < ATTEMPTS) {
        const after = Number(res.headers.get('retry-after') ?? 0);
        await sleep(Math.min(5000, Math.max(250 * attempt, after * 1000)));
        continue;
      }
      return { status: res.status, json, headers: res.headers };
    }
  }
  return { call };
}

export const deliveryRowSchema = z.object({
  id: z.string(),
  webhook_id: z.string(),
  event_type: z.string(),
  status: z.enum(['pending', 'success', 'failed']),
  attempts: z.number(),
  payload: z.unknown(),
});
export type DeliveryRow = z.infer<typeof deliveryRowSchema>;

export const webhookRowSchema = z.object({ id: z.string(), url: z.string(), description: z.string() });

/** Every delivery of the workspace, through the cursor (X-Next-Cursor → before). */
export async function allDeliveries(api: ReturnType<typeof chaosApi>): Promise<DeliveryRow[]> {
  const rows: DeliveryRow[] = [];
  let before: string | null = null;
  for (let page = 0; page < 1000; page++) {
    const query: string = `/api/webhooks/deliveries?limit=250${before ? `&before=${encodeURIComponent(before)}` : ''}`;
    const res = await api.call('GET', query);
    if (res.status !== 200) throw new Error(`listing deliveries answered ${res.status}`);
    rows.push(...z.array(deliveryRowSchema).parse(res.json));
    before = res.headers.get('x-next-cursor');
    if (!before) return rows;
  }
  throw new Error('more than 1000 pages of deliveries');
}
