/**
 * The delivery log as the API shows it: deliveries newest first (per webhook or across the
 * workspace), each with its latest state, and each delivery's attempts.
 *
 * A delivery appears in two places: its rows (from its first attempt on) and, before that, as a
 * target of its event. Both are kept in the same order (delivery ids begin with their event's key),
 * so a page is one merge of a webhook's rows — or every webhook's — with the workspace's events.
 */
import * as z from 'zod';
import type { Caller } from './api-keys.ts';
import { isExpired } from './deliveries.ts';
import { NotFoundError } from './errors.ts';
import { EVENT_TYPES, TEST_EVENT_TYPE } from './events.ts';
import { deliveryIdSchema } from './id-schemas.ts';
import { deliveryIdFor, LOWEST_REF, parseDeliveryId, previousKey, webhookRef } from './ids.ts';
import type { DeliveryLog, EventStore, Page, WebhookStore } from './ports.ts';
import {
  DELIVERY_STATUSES,
  type DeliveryRow,
  deliveryIdOfRow,
  type EventItem,
  type WebhookRecord,
} from './records.ts';
import { HEADERS } from './signing.ts';
import { USER_AGENT } from './version.ts';
import { requireWebhook } from './webhook-service.ts';
import { webhookId } from './webhooks.ts';

export const DEFAULT_DELIVERY_PAGE = 50;
export const MAX_DELIVERY_PAGE = 250;
/** Most rows and events one list call reads before it stops (bounds a sparse filter). */
export const MAX_READ_PER_LIST = 2000;
const STORE_PAGE = 100;

/** How much one list call reads: in all, and per store request. */
export interface ReadLimits {
  maxRead: number;
  storePage: number;
}

export { deliveryIdSchema } from './id-schemas.ts';

/** `GET /api/webhooks/deliveries` query: `webhook_id`, and beyond the contract the filters and paging. */
export const listDeliveriesQuerySchema = z.object({
  webhook_id: webhookId.optional(),
  limit: z
    .string()
    .regex(/^\d+$/, `limit must be a whole number from 1 to ${MAX_DELIVERY_PAGE}`)
    .transform(Number)
    .refine(
      (n) => n >= 1 && n <= MAX_DELIVERY_PAGE,
      `limit must be a whole number from 1 to ${MAX_DELIVERY_PAGE}`,
    )
    .optional(),
  status: z.enum(DELIVERY_STATUSES).optional(),
  event_type: z.enum([...EVENT_TYPES, TEST_EVENT_TYPE]).optional(),
  before: deliveryIdSchema.optional(),
});
export type ListDeliveriesQuery = z.infer<typeof listDeliveriesQuerySchema>;

export const attemptsQuerySchema = z.object({ delivery_id: deliveryIdSchema });

/** The delivery object of the API (contract §3), `next_attempt_at` and `error` beyond it. */
export const deliveryOutSchema = z.object({
  id: z.string(),
  webhook_id: z.string(),
  event_type: z.string(),
  payload: z.unknown(),
  status: z.enum(DELIVERY_STATUSES),
  attempts: z.number().int(),
  response_status: z.number().int().nullable(),
  response_body: z.string().nullable(),
  last_attempt_at: z.string().nullable(),
  next_attempt_at: z.string().nullable(),
  error: z.string().nullable(),
  created_at: z.string(),
});
export type DeliveryOut = z.infer<typeof deliveryOutSchema>;

/** One attempt of a delivery (contract §3, attempts endpoint). */
export const attemptOutSchema = z.object({
  attempt: z.number().int(),
  started_at: z.string(),
  duration_ms: z.number().int(),
  status_code: z.number().int().nullable(),
  response_body: z.string().nullable(),
  error: z.string().nullable(),
  next_attempt_at: z.string().nullable(),
  /**
   * Beyond the contract: the headers the attempt sent, signatures included (the body is the
   * delivery's `payload`); custom header values shown as `***`. Null for attempts logged before
   * signatures were kept, and for attempts refused before sending (paused, disabled, deleted).
   */
  request_headers: z.record(z.string(), z.string()).nullable(),
});
export type AttemptOut = z.infer<typeof attemptOutSchema>;

/** The headers an attempt row says were sent (core/signing.ts builds them the same way). */
export function requestHeadersOf(
  row: DeliveryRow,
  deliveryId: string,
  customHeaderNames: readonly string[],
): Record<string, string> | null {
  if (!row.signature) return null;
  const headers: Record<string, string> = {};
  for (const name of customHeaderNames) headers[name] = '***';
  headers[HEADERS.contentType] = 'application/json';
  headers[HEADERS.userAgent] = USER_AGENT;
  headers[HEADERS.signature] = row.signature;
  headers[HEADERS.event] = row.event_type;
  headers[HEADERS.delivery] = deliveryId;
  headers[HEADERS.webhookId] = deliveryId;
  if (row.webhook_timestamp !== undefined) headers[HEADERS.webhookTimestamp] = String(row.webhook_timestamp);
  if (row.webhook_signature) headers[HEADERS.webhookSignature] = row.webhook_signature;
  return headers;
}

export interface DeliveryLogPorts {
  webhooks: WebhookStore;
  log: DeliveryLog;
  events: EventStore;
}

interface Candidate {
  id: string;
  webhookId: string;
  latest?: DeliveryRow;
  event?: EventItem;
}

/** A source of candidates in descending id order, read lazily page by page. */
type Loader = (
  next: string | undefined,
) => Promise<{ candidates: Candidate[]; next: string | null; read: number; frontier: string | null }>;

/**
 * A source of candidates in descending id order, read lazily page by page, within its share of the
 * read budget. Its frontier is the lowest id it has read down to: above it, it holds nothing unseen.
 */
class Source {
  private buffer: Candidate[] = [];
  private next: string | null | undefined = undefined;
  private read = 0;
  frontier: string | null = null;
  private readonly load: Loader;
  private readonly budget: number;
  constructor(load: Loader, budget: number) {
    this.load = load;
    this.budget = budget;
  }

  async peek(): Promise<Candidate | undefined> {
    // The first page is always read, so every page of the log makes progress.
    while (this.buffer.length === 0 && this.next !== null && (this.read === 0 || this.read < this.budget)) {
      const page = await this.load(this.next ?? undefined);
      this.read += Math.max(1, page.read);
      this.buffer = page.candidates;
      this.next = page.next;
      if (page.frontier) this.frontier = page.frontier;
    }
    return this.buffer[0];
  }

  /** Whether it stopped for the read budget with more left unread. */
  get truncated(): boolean {
    return this.buffer.length === 0 && this.next !== null && this.next !== undefined;
  }

  shift(): void {
    this.buffer.shift();
  }
}

/** A webhook's rows as candidates: the first row seen of each delivery is its newest. */
function rowSource(
  ports: DeliveryLogPorts,
  webhookId: string,
  query: ListDeliveriesQuery,
  nowMs: number,
  limits: ReadLimits,
  budget: number,
) {
  let last: string | undefined;
  return new Source(async (next) => {
    const page: Page<DeliveryRow> = await ports.log.page(webhookId, {
      before: query.before,
      eventType: query.event_type,
      limit: limits.storePage,
      next,
      nowMs,
    });
    const candidates: Candidate[] = [];
    for (const row of page.items) {
      const id = deliveryIdOfRow(row);
      if (id === last) continue;
      last = id;
      if (!isExpired(row, nowMs)) candidates.push({ id, webhookId, latest: row });
    }
    const frontier = page.position ? deliveryIdOfRow({ id: page.position }) : null;
    return { candidates, next: page.next, read: page.items.length, frontier };
  }, budget);
}

/** The workspace's events as candidates: one per target webhook in scope, before any attempt. */
function eventSource(
  ports: DeliveryLogPorts,
  workspaceId: string,
  scope: Set<string>,
  query: ListDeliveriesQuery,
  nowMs: number,
  limits: ReadLimits,
  budget: number,
) {
  const before = query.before;
  const parsed = before ? parseDeliveryId(before) : null;
  // A cursor with the lowest ref is below every delivery of its event: start at the event before it.
  const atOrBelow = parsed
    ? parsed.webhookRef === LOWEST_REF
      ? previousKey(parsed.eventKey)
      : parsed.eventKey
    : undefined;
  return new Source(async (next) => {
    if (atOrBelow === null) return { candidates: [], next: null, read: 0, frontier: null };
    const page = await ports.events.page(workspaceId, {
      atOrBelow,
      limit: limits.storePage,
      next,
      nowMs,
    });
    const candidates: Candidate[] = [];
    for (const event of page.items) {
      if (query.event_type && event.event_type !== query.event_type) continue;
      const eventKey = event.id.slice(2);
      const ids = event.targets
        .filter((target) => scope.has(target))
        .map((target) => ({ id: deliveryIdFor(eventKey, workspaceId, target), webhookId: target }))
        .filter((c) => before === undefined || c.id < before)
        .sort((a, b) => (a.id < b.id ? 1 : -1));
      for (const c of ids) candidates.push({ ...c, event });
    }
    // Every delivery of the last event read is among the candidates: the lowest id it can have.
    const frontier = page.position ? `dlv_${page.position.slice(2)}${LOWEST_REF}` : null;
    return { candidates, next: page.next, read: page.items.length, frontier };
  }, budget);
}

/** The error of a delivery never attempted because its event's fan-out failed for good. */
export function fanOutFailure(event: EventItem): string {
  return `not delivered: the event could not be fanned out (${event.fanout_error ?? 'unknown error'}); it is in the events dead-letter queue, and redriving it (npm run redrive -- --queue events) delivers it`;
}

/** A delivery's status before any attempt: pending, or failed when its event's fan-out failed for good. */
const statusOf = (candidate: Candidate) =>
  candidate.latest?.status ?? (candidate.event?.fanout_failed_at ? 'failed' : 'pending');

function toDeliveryOut(candidate: Candidate, body: string | undefined): DeliveryOut {
  const row = candidate.latest;
  const event = candidate.event;
  const status = statusOf(candidate);
  // Never attempted and failed: its event's fan-out failed for good.
  const fanOutFailed = !row && status === 'failed';
  return {
    id: candidate.id,
    webhook_id: candidate.webhookId,
    event_type: row?.event_type ?? event?.event_type ?? '',
    payload: body === undefined ? null : JSON.parse(body),
    status,
    attempts: row?.attempts ?? 0,
    response_status: row?.response_status ?? null,
    response_body: row?.response_body ?? null,
    last_attempt_at: row?.last_attempt_at ?? null,
    // Before its first attempt a delivery is due from the moment its event was fanned out.
    next_attempt_at: row ? (row.next_attempt_at ?? null) : fanOutFailed ? null : (event?.received_at ?? null),
    error: row?.error ?? (fanOutFailed && event ? fanOutFailure(event) : null),
    created_at: row?.created_at ?? event?.received_at ?? '',
  };
}

/** A page of the delivery log, newest first: one webhook's (`webhook_id`) or the whole workspace's. */
export async function listDeliveries(
  ports: DeliveryLogPorts,
  caller: Caller,
  query: ListDeliveriesQuery,
  nowMs: number,
  limits: ReadLimits = { maxRead: MAX_READ_PER_LIST, storePage: STORE_PAGE },
): Promise<{ items: DeliveryOut[]; nextCursor: string | null }> {
  const webhooks: WebhookRecord[] = query.webhook_id
    ? [await requireWebhook(ports, caller, query.webhook_id)]
    : await ports.webhooks.list(caller.workspaceId);
  const limit = query.limit ?? DEFAULT_DELIVERY_PAGE;
  const scope = new Set(webhooks.map((webhook) => webhook.id));
  // Deliveries without an attempt are listed from their events: pending, or failed (fan-out failed).
  const readsEvents = query.status !== 'success';
  const budget = Math.max(
    limits.storePage,
    Math.floor(limits.maxRead / (webhooks.length + (readsEvents ? 1 : 0))),
  );
  const sources = [
    ...webhooks.map((webhook) => rowSource(ports, webhook.id, query, nowMs, limits, budget)),
    ...(readsEvents ? [eventSource(ports, caller.workspaceId, scope, query, nowMs, limits, budget)] : []),
  ];
  let picked: Candidate[] = [];
  let cursor: string | null = null;
  for (;;) {
    const heads = await Promise.all(sources.map((source) => source.peek()));
    const truncated = sources.filter((source) => source.truncated);
    if (truncated.length > 0) {
      // Out of read budget: below the highest frontier of those cut short, something may be unseen.
      // The page ends there; what was picked below it comes again on the next page.
      const frontier =
        truncated
          .map((source) => source.frontier ?? '')
          .sort()
          .at(-1) ?? '';
      picked = picked.filter((c) => c.id >= frontier);
      cursor = frontier;
      break;
    }
    let top: string | undefined;
    for (const head of heads) if (head && (top === undefined || head.id > top)) top = head.id;
    if (top === undefined) break;
    // Every source holding this delivery: its rows say more than its event (an attempt was made).
    let fromRows: Candidate | undefined;
    let fromEvent: Candidate | undefined;
    heads.forEach((head, index) => {
      if (head?.id !== top) return;
      if (head.latest) fromRows = head;
      else fromEvent = head;
      sources[index]?.shift();
    });
    const candidate: Candidate | undefined = fromRows ? { ...fromRows, event: fromEvent?.event } : fromEvent;
    if (!candidate) break;
    const status = statusOf(candidate);
    if (query.status !== undefined && status !== query.status) continue;
    if (picked.length === limit) {
      cursor = picked.at(-1)?.id ?? null;
      break;
    }
    picked.push(candidate);
  }

  const missing = [
    ...new Set(
      picked.flatMap((c) =>
        c.event || c.latest?.body !== undefined || !c.latest?.event_key ? [] : [c.latest.event_key],
      ),
    ),
  ];
  const events = missing.length ? await ports.events.getMany(caller.workspaceId, missing, nowMs) : new Map();
  const items = picked.map((c) =>
    toDeliveryOut(
      c,
      c.latest?.body ??
        c.event?.body ??
        (c.latest?.event_key ? events.get(c.latest.event_key)?.body : undefined),
    ),
  );
  return { items, nextCursor: cursor };
}

/** The webhooks of the caller's workspace that a delivery id can belong to (its last part names one). */
async function webhooksOfDelivery(
  ports: DeliveryLogPorts,
  caller: Caller,
  deliveryId: string,
): Promise<WebhookRecord[]> {
  const parsed = parseDeliveryId(deliveryId);
  if (!parsed) return [];
  const webhooks = await ports.webhooks.list(caller.workspaceId);
  return webhooks.filter((webhook) => webhookRef(caller.workspaceId, webhook.id) === parsed.webhookRef);
}

/**
 * A delivery of the caller's workspace: its webhook and rows (newest first; none before its first
 * attempt). Another workspace's delivery is indistinguishable from a missing one.
 */
export async function requireDelivery(
  ports: DeliveryLogPorts,
  caller: Caller,
  deliveryId: string,
  nowMs: number,
): Promise<{ webhook: WebhookRecord; rows: DeliveryRow[]; event: EventItem | null }> {
  for (const webhook of await webhooksOfDelivery(ports, caller, deliveryId)) {
    const rows = (await ports.log.rows(webhook.id, deliveryId, nowMs)).filter(
      (row) => !isExpired(row, nowMs),
    );
    const eventKey = rows[0]?.event_key ?? parseDeliveryId(deliveryId)?.eventKey;
    if (rows.length > 0) {
      const event =
        rows[0]?.event_key && eventKey ? await ports.events.get(caller.workspaceId, eventKey, nowMs) : null;
      return { webhook, rows, event };
    }
    const event = eventKey ? await ports.events.get(caller.workspaceId, eventKey, nowMs) : null;
    if (
      event?.targets.includes(webhook.id) &&
      deliveryIdFor(eventKey ?? '', caller.workspaceId, webhook.id) === deliveryId
    ) {
      return { webhook, rows, event };
    }
  }
  throw new NotFoundError('Delivery not found');
}

/** Every attempt of a delivery, newest first (contract §3). */
export async function listAttempts(
  ports: DeliveryLogPorts,
  caller: Caller,
  deliveryId: string,
  nowMs: number,
): Promise<AttemptOut[]> {
  const { rows, webhook } = await requireDelivery(ports, caller, deliveryId, nowMs);
  return rows
    .filter((row) => row.kind === 'attempt')
    .map((row) => ({
      attempt: row.attempts,
      started_at: row.last_attempt_at ?? row.created_at,
      duration_ms: row.duration_ms ?? 0,
      status_code: row.response_status ?? null,
      response_body: row.response_body ?? null,
      error: row.error ?? null,
      next_attempt_at: row.next_attempt_at ?? null,
      request_headers: requestHeadersOf(row, deliveryId, webhook.header_names ?? []),
    }));
}
