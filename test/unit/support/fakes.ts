/**
 * Tiny in-memory implementations of the core ports, for the unit tests of fan-out and dispatch.
 * They keep the conditional-write semantics the ports document, and nothing more.
 */
import type { AttemptOutcome } from '../../../functions/core/attempt.ts';
import type {
  DeliveryMessage,
  DeliveryRecord,
  DeliveryStatus,
  EventRecord,
} from '../../../functions/core/deliveries.ts';
import type {
  DeliveryPage,
  DeliveryQueue,
  DeliveryStore,
  EventStore,
  Sender,
  WebhookStore,
} from '../../../functions/core/ports.ts';
import type { WebhookRecord } from '../../../functions/core/webhooks.ts';

export const WORKSPACE = 'ws_1';
export const SECRET = 'whsec_00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff';

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

export function deliveryRecord(overrides: Partial<DeliveryRecord> = {}): DeliveryRecord {
  return {
    webhook_id: 'wh_1',
    id: 'dlv_01HZZZZZZZZZZZZZZZZZZZZZZZ',
    workspace_id: WORKSPACE,
    event_type: 'lookup.completed',
    event_id: 'evt_1',
    status: 'pending',
    attempts: 0,
    response_status: null,
    response_body: null,
    error: null,
    last_attempt_at: null,
    next_attempt_at: '2024-01-01T00:00:00.000Z',
    created_at: '2024-01-01T00:00:00.000Z',
    expires_at: 1_900_000_000,
    ...overrides,
  };
}

export class FakeWebhookStore implements WebhookStore {
  readonly items = new Map<string, WebhookRecord>();

  constructor(records: WebhookRecord[] = []) {
    for (const record of records) this.items.set(`${record.workspace_id}/${record.id}`, record);
  }

  async list(workspaceId: string): Promise<WebhookRecord[]> {
    return [...this.items.values()].filter((record) => record.workspace_id === workspaceId);
  }

  async get(workspaceId: string, id: string): Promise<WebhookRecord | null> {
    return this.items.get(`${workspaceId}/${id}`) ?? null;
  }

  async create(record: WebhookRecord): Promise<void> {
    this.items.set(`${record.workspace_id}/${record.id}`, record);
  }

  async update(record: WebhookRecord): Promise<boolean> {
    const key = `${record.workspace_id}/${record.id}`;
    if (!this.items.has(key)) return false;
    this.items.set(key, record);
    return true;
  }

  async delete(workspaceId: string, id: string): Promise<boolean> {
    return this.items.delete(`${workspaceId}/${id}`);
  }
}

export class FakeEventStore implements EventStore {
  readonly items = new Map<string, EventRecord>();
  markFannedOutCalls = 0;

  constructor(records: EventRecord[] = []) {
    for (const record of records) this.items.set(`${record.workspace_id}/${record.id}`, record);
  }

  async putIfAbsent(record: EventRecord): Promise<{ record: EventRecord; created: boolean }> {
    const key = `${record.workspace_id}/${record.id}`;
    const existing = this.items.get(key);
    if (existing) return { record: existing, created: false };
    this.items.set(key, record);
    return { record, created: true };
  }

  async get(workspaceId: string, id: string): Promise<EventRecord | null> {
    return this.items.get(`${workspaceId}/${id}`) ?? null;
  }

  async markFannedOut(workspaceId: string, id: string, at: string): Promise<void> {
    this.markFannedOutCalls++;
    const key = `${workspaceId}/${id}`;
    const existing = this.items.get(key);
    if (existing) this.items.set(key, { ...existing, fanned_out_at: at });
  }

  async renewLease(
    workspaceId: string,
    id: string,
    seenLeaseUntil: number | undefined,
    leaseUntil: number,
  ): Promise<boolean> {
    const key = `${workspaceId}/${id}`;
    const existing = this.items.get(key);
    if (!existing || existing.fanned_out_at !== undefined || existing.fanout_lease_until !== seenLeaseUntil) {
      return false;
    }
    this.items.set(key, { ...existing, fanout_lease_until: leaseUntil });
    return true;
  }

  async getMany(workspaceId: string, ids: string[]): Promise<Map<string, EventRecord>> {
    const found = new Map<string, EventRecord>();
    for (const id of ids) {
      const record = this.items.get(`${workspaceId}/${id}`);
      if (record) found.set(id, record);
    }
    return found;
  }
}

export class FakeDeliveryStore implements DeliveryStore {
  readonly items = new Map<string, DeliveryRecord>();
  createCalls = 0;
  readonly saved: DeliveryRecord[] = [];

  constructor(records: DeliveryRecord[] = []) {
    for (const record of records) this.items.set(`${record.webhook_id}/${record.id}`, record);
  }

  async createIfAbsent(record: DeliveryRecord): Promise<boolean> {
    this.createCalls++;
    const key = `${record.webhook_id}/${record.id}`;
    if (this.items.has(key)) return false;
    this.items.set(key, record);
    return true;
  }

  async get(webhookId: string, id: string): Promise<DeliveryRecord | null> {
    return this.items.get(`${webhookId}/${id}`) ?? null;
  }

  async saveAttempt(record: DeliveryRecord, expectedAttempts: number): Promise<boolean> {
    const key = `${record.webhook_id}/${record.id}`;
    const existing = this.items.get(key);
    if (!existing || existing.attempts !== expectedAttempts) return false;
    this.items.set(key, record);
    this.saved.push(record);
    return true;
  }

  async list(
    webhookId: string,
    options: { limit: number; status?: DeliveryStatus; before?: string; nowMs: number },
  ): Promise<DeliveryPage> {
    const items = [...this.items.values()]
      .filter((record) => record.webhook_id === webhookId)
      .filter((record) => options.status === undefined || record.status === options.status)
      .sort((a, b) => (a.id < b.id ? 1 : -1))
      .slice(0, options.limit);
    return { items, nextCursor: null };
  }
}

export class FakeDeliveryQueue implements DeliveryQueue {
  readonly messages: DeliveryMessage[] = [];
  /** Number of upcoming enqueue calls that throw (to simulate an interrupted run). */
  failNext = 0;

  async enqueue(messages: DeliveryMessage[]): Promise<void> {
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('queue unavailable');
    }
    this.messages.push(...messages);
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
