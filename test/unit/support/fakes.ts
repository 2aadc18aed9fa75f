/**
 * In-memory implementations of the core ports, for the unit tests of fan-out, dispatch and the
 * delivery log. They keep the conditional-write semantics the ports document, and they behave like
 * the real adapters in time: every call completes asynchronously (a task later), so a caller that
 * forgets to await a write sees it missing; and any call can be told to fail or to wait first.
 */
import type { AttemptOutcome } from '../../../functions/core/attempt.ts';
import type { EventMessageIn } from '../../../functions/core/events.ts';
import type {
  DeliveryLog,
  DeliveryQueue,
  DeliveryQueueControl,
  DeliveryRateLimiter,
  EventPublisher,
  EventStore,
  Page,
  RecoveryStore,
  Sender,
  TaskQueue,
  WebhookStore,
} from '../../../functions/core/ports.ts';
import {
  type DeliveryMessage,
  type DeliveryRow,
  deliveryIdOfRow,
  type EventClaim,
  type EventItem,
  type RecoveryRecord,
  type RecoveryTask,
  recoveryItemId,
  type WebhookRecord,
} from '../../../functions/core/records.ts';

export const WORKSPACE = 'ws_1';
export const SECRET = 'whsec_00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff';

/** Resolves a task later, like a network round trip would. */
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Faults to inject into a fake: the next `times` calls of `method` throw `error` (or resolve after
 * `delayMs`). Every fake has one, as `faults`.
 */
export class Faults {
  private readonly planned = new Map<string, { times: number; error?: Error; delayMs?: number }[]>();
  readonly calls = new Map<string, number>();

  failNext(method: string, times = 1, error = new Error(`${method} failed (injected)`)): this {
    this.list(method).push({ times, error });
    return this;
  }

  delayNext(method: string, delayMs: number, times = 1): this {
    this.list(method).push({ times, delayMs });
    return this;
  }

  count(method: string): number {
    return this.calls.get(method) ?? 0;
  }

  async enter(method: string): Promise<void> {
    this.calls.set(method, this.count(method) + 1);
    await tick();
    const next = this.planned.get(method)?.[0];
    if (!next) return;
    next.times--;
    if (next.times <= 0) this.planned.get(method)?.shift();
    if (next.delayMs) await new Promise((resolve) => setTimeout(resolve, next.delayMs));
    if (next.error) throw next.error;
  }

  private list(method: string) {
    let list = this.planned.get(method);
    if (!list) {
      list = [];
      this.planned.set(method, list);
    }
    return list;
  }
}

export function webhookRecord(overrides: Partial<WebhookRecord> = {}): WebhookRecord {
  return {
    workspace_id: WORKSPACE,
    id: 'wh_1',
    url: 'https://receiver.example.com/hooks',
    events: ['lookup.completed'],
    is_active: true,
    description: '',
    secret_ciphertext: 'ciphertext',
    created_by: 'key_1',
    created_at: '2024-01-01T00:00:00.000Z',
    updated_at: '2024-01-01T00:00:00.000Z',
    ...overrides,
  };
}

export class FakeWebhookStore implements WebhookStore {
  readonly items = new Map<string, WebhookRecord>();
  readonly faults = new Faults();

  constructor(records: WebhookRecord[] = []) {
    for (const record of records) this.items.set(`${record.workspace_id}/${record.id}`, record);
  }

  async list(workspaceId: string): Promise<WebhookRecord[]> {
    await this.faults.enter('list');
    return [...this.items.values()].filter((record) => record.workspace_id === workspaceId);
  }

  async get(workspaceId: string, id: string): Promise<WebhookRecord | null> {
    await this.faults.enter('get');
    return this.items.get(`${workspaceId}/${id}`) ?? null;
  }

  async create(record: WebhookRecord): Promise<void> {
    await this.faults.enter('create');
    this.items.set(`${record.workspace_id}/${record.id}`, record);
  }

  async update(
    record: WebhookRecord,
    expectedVersion: number | undefined,
  ): Promise<'updated' | 'conflict' | 'missing'> {
    await this.faults.enter('update');
    const key = `${record.workspace_id}/${record.id}`;
    const current = this.items.get(key);
    if (!current) return 'missing';
    if (current.version !== expectedVersion) return 'conflict';
    this.items.set(key, record);
    return 'updated';
  }

  async markFailing(workspaceId: string, id: string, at: string): Promise<boolean> {
    await this.faults.enter('markFailing');
    const key = `${workspaceId}/${id}`;
    const current = this.items.get(key);
    if (!current || current.failing_since || !current.is_active) return false;
    this.items.set(key, { ...current, failing_since: at, version: (current.version ?? 0) + 1 });
    return true;
  }

  async clearFailing(workspaceId: string, id: string, seen: string): Promise<void> {
    await this.faults.enter('clearFailing');
    const key = `${workspaceId}/${id}`;
    const current = this.items.get(key);
    if (!current || current.failing_since !== seen) return;
    const { failing_since: _cleared, ...rest } = current;
    this.items.set(key, { ...rest, version: (current.version ?? 0) + 1 });
  }

  async disableFailing(
    workspaceId: string,
    id: string,
    seen: string,
    at: string,
  ): Promise<WebhookRecord | null> {
    await this.faults.enter('disableFailing');
    const key = `${workspaceId}/${id}`;
    const current = this.items.get(key);
    if (!current || current.failing_since !== seen || !current.is_active) return null;
    const next: WebhookRecord = {
      ...current,
      is_active: false,
      disabled_reason: 'failing',
      paused_at: at,
      updated_at: at,
      version: (current.version ?? 0) + 1,
    };
    this.items.set(key, next);
    return next;
  }

  async delete(workspaceId: string, id: string): Promise<boolean> {
    await this.faults.enter('delete');
    return this.items.delete(`${workspaceId}/${id}`);
  }
}

export class FakeEventStore implements EventStore {
  readonly claims = new Map<string, EventClaim>();
  readonly items = new Map<string, EventItem>();
  readonly faults = new Faults();

  async claim(claim: EventClaim): Promise<boolean> {
    await this.faults.enter('claim');
    const key = `${claim.workspace_id}/${claim.id}`;
    if (this.claims.has(key)) return false;
    this.claims.set(key, claim);
    return true;
  }

  async getClaim(workspaceId: string, eventId: string): Promise<EventClaim | null> {
    await this.faults.enter('getClaim');
    return this.claims.get(`${workspaceId}/k#${eventId}`) ?? null;
  }

  async renewLease(workspaceId: string, eventId: string, seen: number, leaseUntil: number): Promise<boolean> {
    await this.faults.enter('renewLease');
    const key = `${workspaceId}/k#${eventId}`;
    const existing = this.claims.get(key);
    if (!existing || existing.done || existing.lease_until !== seen) return false;
    this.claims.set(key, { ...existing, lease_until: leaseUntil });
    return true;
  }

  async markDone(workspaceId: string, eventId: string): Promise<void> {
    await this.faults.enter('markDone');
    const key = `${workspaceId}/k#${eventId}`;
    const existing = this.claims.get(key);
    if (existing) this.claims.set(key, { ...existing, done: true });
  }

  async markFanOutFailed(workspaceId: string, eventKey: string, at: string, error: string): Promise<void> {
    await this.faults.enter('markFanOutFailed');
    const key = `${workspaceId}/e#${eventKey}`;
    const existing = this.items.get(key);
    if (existing)
      this.items.set(key, { ...existing, fanout_failed_at: at, fanout_error: error.slice(0, 500) });
  }

  async put(item: EventItem): Promise<void> {
    await this.faults.enter('put');
    this.items.set(`${item.workspace_id}/${item.id}`, item);
  }

  async get(workspaceId: string, eventKey: string): Promise<EventItem | null> {
    await this.faults.enter('get');
    return this.items.get(`${workspaceId}/e#${eventKey}`) ?? null;
  }

  async getMany(workspaceId: string, eventKeys: string[]): Promise<Map<string, EventItem>> {
    await this.faults.enter('getMany');
    const found = new Map<string, EventItem>();
    for (const key of eventKeys) {
      const item = this.items.get(`${workspaceId}/e#${key}`);
      if (item) found.set(key, item);
    }
    return found;
  }

  async page(
    workspaceId: string,
    options: { atOrBelow?: string; from?: string; limit: number; next?: string },
  ): Promise<Page<EventItem>> {
    await this.faults.enter('page');
    const all = [...this.items.values()]
      .filter((item) => item.workspace_id === workspaceId)
      .filter((item) => options.atOrBelow === undefined || item.id.slice(2) <= options.atOrBelow)
      .filter((item) => options.from === undefined || item.id.slice(2) >= options.from)
      .sort((a, b) => (a.id < b.id ? 1 : -1));
    const start = Number(options.next ?? 0);
    const slice = all.slice(start, start + options.limit);
    return {
      items: slice,
      next: start + options.limit < all.length ? String(start + options.limit) : null,
      position: slice.at(-1)?.id ?? null,
    };
  }

  async range(
    workspaceId: string,
    options: { after?: string; from: string; below: string; limit: number },
  ): Promise<{ items: EventItem[]; position: string | null; more: boolean }> {
    await this.faults.enter('range');
    const all = [...this.items.values()]
      .filter((item) => item.workspace_id === workspaceId)
      .filter((item) => {
        const key = item.id.slice(2);
        return (
          key >= options.from && key < options.below && (options.after === undefined || key > options.after)
        );
      })
      .sort((a, b) => (a.id < b.id ? -1 : 1));
    const slice = all.slice(0, options.limit);
    return { items: slice, position: slice.at(-1)?.id.slice(2) ?? null, more: all.length > options.limit };
  }
}

export class FakeDeliveryLog implements DeliveryLog {
  readonly items = new Map<string, DeliveryRow>();
  readonly faults = new Faults();
  /** Rows appendAll leaves unwritten (as BatchWriteItem's UnprocessedItems would), for the next calls. */
  unprocessed: ((row: DeliveryRow) => boolean) | undefined;

  constructor(rows: DeliveryRow[] = []) {
    for (const row of rows) this.items.set(`${row.webhook_id}/${row.id}`, row);
  }

  async append(row: DeliveryRow): Promise<boolean> {
    await this.faults.enter('append');
    const key = `${row.webhook_id}/${row.id}`;
    if (this.items.has(key)) return false;
    this.items.set(key, row);
    return true;
  }

  async appendAll(rows: DeliveryRow[]): Promise<DeliveryRow[]> {
    await this.faults.enter('appendAll');
    const failed: DeliveryRow[] = [];
    for (const row of rows) {
      if (this.unprocessed?.(row)) failed.push(row);
      else this.items.set(`${row.webhook_id}/${row.id}`, row);
    }
    return failed;
  }

  async latest(webhookId: string, deliveryId: string): Promise<DeliveryRow | null> {
    await this.faults.enter('latest');
    return this.rowsOf(webhookId, deliveryId)[0] ?? null;
  }

  async rows(webhookId: string, deliveryId: string): Promise<DeliveryRow[]> {
    await this.faults.enter('rows');
    return this.rowsOf(webhookId, deliveryId);
  }

  async page(
    webhookId: string,
    options: { before?: string; eventType?: string; limit: number; next?: string },
  ): Promise<Page<DeliveryRow>> {
    await this.faults.enter('page');
    const all = [...this.items.values()]
      .filter((row) => row.webhook_id === webhookId)
      .filter((row) => options.before === undefined || row.id < options.before)
      .sort((a, b) => (a.id < b.id ? 1 : -1));
    const start = Number(options.next ?? 0);
    const slice = all.slice(start, start + options.limit);
    return {
      // Like a FilterExpression: applied after the limit, so a page can come back short.
      items: slice.filter((row) => options.eventType === undefined || row.event_type === options.eventType),
      next: start + options.limit < all.length ? String(start + options.limit) : null,
      position: slice.at(-1)?.id ?? null,
    };
  }

  /** A delivery's rows, newest first. */
  rowsOf(webhookId: string, deliveryId: string): DeliveryRow[] {
    return [...this.items.values()]
      .filter((row) => row.webhook_id === webhookId && deliveryIdOfRow(row) === deliveryId)
      .sort((a, b) => b.seq - a.seq);
  }
}

export class FakeDeliveryQueue implements DeliveryQueue {
  readonly messages: DeliveryMessage[] = [];
  readonly faults = new Faults();
  /** Messages the queue refuses (as SendMessageBatch's per-entry failures). */
  refuse: ((message: DeliveryMessage) => boolean) | undefined;

  async send(messages: DeliveryMessage[]): Promise<number[]> {
    await this.faults.enter('send');
    const failed: number[] = [];
    messages.forEach((message, index) => {
      if (this.refuse?.(message)) failed.push(index);
      else this.messages.push(message);
    });
    return failed;
  }
}

export class FakeQueueControl implements DeliveryQueueControl {
  readonly hidden: { handle: string; delaySeconds: number }[] = [];
  readonly deadLettered: { handle: string; body: string; reason: string }[] = [];
  readonly faults = new Faults();

  async retryLater(items: { handle: string; delaySeconds: number }[]): Promise<string[]> {
    await this.faults.enter('retryLater');
    this.hidden.push(...items);
    return [];
  }

  async deadLetter(items: { handle: string; body: string; reason: string }[]): Promise<string[]> {
    await this.faults.enter('deadLetter');
    this.deadLettered.push(...items);
    return [];
  }

  readonly requeued: { handle: string; body: string; groupId: string; delaySeconds: number }[] = [];

  async requeue(
    items: { handle: string; body: string; groupId: string; delaySeconds: number }[],
  ): Promise<string[]> {
    await this.faults.enter('requeue');
    this.requeued.push(...items);
    return [];
  }
}

export class FakeRecoveryStore implements RecoveryStore {
  readonly items = new Map<string, RecoveryRecord>();
  readonly faults = new Faults();

  async create(record: RecoveryRecord): Promise<void> {
    await this.faults.enter('create');
    const key = `${record.workspace_id}/${record.id}`;
    if (this.items.has(key)) throw new Error('recovery exists');
    this.items.set(key, record);
  }

  async get(workspaceId: string, recoveryId: string): Promise<RecoveryRecord | null> {
    await this.faults.enter('get');
    return this.items.get(`${workspaceId}/${recoveryItemId(recoveryId)}`) ?? null;
  }

  async advance(record: RecoveryRecord, seenStep: number): Promise<boolean> {
    await this.faults.enter('advance');
    const key = `${record.workspace_id}/${record.id}`;
    if (this.items.get(key)?.step !== seenStep) return false;
    this.items.set(key, record);
    return true;
  }
}

export class FakeTaskQueue implements TaskQueue {
  readonly tasks: { task: RecoveryTask; delaySeconds: number }[] = [];
  readonly faults = new Faults();

  async send(task: RecoveryTask, delaySeconds = 0): Promise<void> {
    await this.faults.enter('send');
    this.tasks.push({ task, delaySeconds });
  }
}

/** A per-second counter per webhook, like the DynamoDB adapter, on a clock the test moves. */
export class FakeRateLimiter implements DeliveryRateLimiter {
  readonly counts = new Map<string, number>();
  readonly faults = new Faults();

  async take(webhookId: string, perSecond: number, nowMs: number) {
    await this.faults.enter('take');
    const key = `${webhookId}#${Math.floor(nowMs / 1000)}`;
    const count = (this.counts.get(key) ?? 0) + 1;
    this.counts.set(key, count);
    if (count <= perSecond) return { ok: true } as const;
    return { ok: false, waitSeconds: Math.max(1, Math.ceil((count - perSecond) / perSecond)) } as const;
  }
}

export class FakePublisher implements EventPublisher {
  readonly published: EventMessageIn[] = [];
  readonly faults = new Faults();

  async publish(message: EventMessageIn): Promise<void> {
    await this.faults.enter('publish');
    this.published.push(message);
  }
}

export class FakeSender implements Sender {
  readonly requests: { url: string; headers: Record<string, string>; body: string }[] = [];
  private readonly outcomes: AttemptOutcome[];

  /** Answers with `outcomes` in order; the last one repeats. */
  constructor(...outcomes: AttemptOutcome[]) {
    this.outcomes = outcomes;
  }

  async send(request: {
    url: string;
    headers: Record<string, string>;
    body: string;
  }): Promise<AttemptOutcome> {
    this.requests.push(request);
    await tick();
    const outcome = this.outcomes[Math.min(this.requests.length - 1, this.outcomes.length - 1)];
    if (!outcome) throw new Error('FakeSender has no outcome configured');
    return outcome;
  }
}

export function response(status: number, body = '', retryAfter?: string): AttemptOutcome {
  return retryAfter === undefined
    ? { kind: 'response', status, body: Buffer.from(body) }
    : { kind: 'response', status, body: Buffer.from(body), retryAfter };
}
