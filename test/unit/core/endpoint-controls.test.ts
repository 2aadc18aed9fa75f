/**
 * Endpoint controls (contract §2, §3, §5): custom headers, secret rotation, the per-webhook rate
 * limit and automatic disabling, through the webhook service and the dispatcher.
 */
import { Webhook } from 'standardwebhooks';
import { type DispatchOptions, type DispatchPorts, dispatchBatch } from '../../../functions/core/dispatch.ts';
import { ConflictError } from '../../../functions/core/errors.ts';
import { deliveryIdFor, eventKeyFor } from '../../../functions/core/ids.ts';
import type { SecretBox } from '../../../functions/core/ports.ts';
import {
  type DeliveryMessage,
  headersContext,
  snapshotOf,
  type WebhookRecord,
} from '../../../functions/core/records.ts';
import { signEncrata } from '../../../functions/core/signing.ts';
import {
  createWebhook,
  rotateSecret,
  updateWebhook,
  type WebhookPolicy,
} from '../../../functions/core/webhook-service.ts';
import { createWebhookSchema, updateWebhookSchema } from '../../../functions/core/webhooks.ts';
import {
  FakeDeliveryLog,
  FakeEventStore,
  FakePublisher,
  FakeQueueControl,
  FakeRateLimiter,
  FakeSender,
  FakeWebhookStore,
  response,
  WORKSPACE,
} from '../support/fakes.ts';

const caller = { workspaceId: WORKSPACE, keyId: 'key_1' };
const policy: WebhookPolicy = { maxPerWorkspace: 50, allowPrivateTargets: false };
const NOW = Date.parse('2026-11-30T12:00:00.000Z');
const URL_ = 'https://receiver.example.com/hooks';

/** Reversible, context-bound "encryption": enough to see what is stored and that contexts are kept apart. */
class FakeSecretBox implements SecretBox {
  async encrypt(plaintext: string, context: string) {
    return `box:${context}:${Buffer.from(plaintext).toString('base64')}`;
  }
  async decrypt(ciphertext: string, context: string) {
    const prefix = `box:${context}:`;
    if (!ciphertext.startsWith(prefix)) throw new Error('wrong context');
    return Buffer.from(ciphertext.slice(prefix.length), 'base64').toString();
  }
}

function service() {
  const webhooks = new FakeWebhookStore();
  const secretBox = new FakeSecretBox();
  return { ports: { webhooks, secretBox }, webhooks, secretBox };
}

async function created(
  ports: ReturnType<typeof service>['ports'],
  extra: Partial<Parameters<typeof createWebhook>[2]> = {},
) {
  return createWebhook(
    ports,
    caller,
    { url: URL_, events: ['lookup.completed'], ...extra },
    policy,
    new Date(NOW),
  );
}

describe('custom headers', () => {
  it.each([
    ['a reserved name', { 'X-Encrata-Signature': 'x' }, /set by the service/],
    ['a reserved name in another case', { 'content-TYPE': 'x' }, /set by the service/],
    ['a Standard Webhooks name', { 'Webhook-Signature': 'x' }, /set by the service/],
    ['Host', { Host: 'evil.example.com' }, /set by the service/],
    ['a name that is not a token', { 'Bad Name': 'x' }, /HTTP tokens/],
    ['a duplicate ignoring case', { 'X-Token': 'a', 'x-token': 'b' }, /unique/],
    ['a control character in a value', { 'X-Token': 'a\r\nInjected: 1' }, /visible ASCII/],
    ['a non-ASCII value', { 'X-Token': 'café' }, /visible ASCII/],
    ['an empty value', { 'X-Token': '' }, /visible ASCII/],
    ['a value over 1 KiB', { 'X-Token': 'a'.repeat(1025) }, /1024 bytes/],
    [
      'eleven headers',
      Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`X-H${i}`, 'v'])),
      /at most 10/,
    ],
  ])('refuses %s, naming the header', (_name, headers, message) => {
    for (const schema of [createWebhookSchema, updateWebhookSchema]) {
      const result = schema.safeParse({
        id: '0f8fad5b-d9cb-469f-a165-70867728950e',
        url: URL_,
        events: ['lookup.completed'],
        headers,
      });
      expect(result.success).toBe(false);
      expect(result.error?.issues.map((i) => i.message).join('; ')).toMatch(message);
      expect(result.error?.issues[0]?.path[0]).toBe('headers');
    }
  });

  it('accepts ten headers of 1 KiB each', () => {
    const headers = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`X-H${i}`, 'v'.repeat(1024)]));
    expect(createWebhookSchema.safeParse({ url: URL_, events: ['lookup.completed'], headers }).success).toBe(
      true,
    );
  });

  it('stores them encrypted with their own context, and answers with the names only', async () => {
    const { ports, webhooks, secretBox } = service();
    const out = await created(ports, { headers: { Authorization: 'Bearer s3cr3t', 'X-Tenant': 't-1' } });
    expect(out.headers).toEqual({ Authorization: '***', 'X-Tenant': '***' });
    const stored = [...webhooks.items.values()][0] as WebhookRecord;
    expect(JSON.stringify(stored)).not.toContain('s3cr3t');
    expect(stored.header_names).toEqual(['Authorization', 'X-Tenant']);
    expect(
      JSON.parse(
        await secretBox.decrypt(stored.headers_ciphertext ?? '', headersContext(WORKSPACE, stored.id)),
      ),
    ).toEqual({ Authorization: 'Bearer s3cr3t', 'X-Tenant': 't-1' });
  });

  it('keeps them on an update without headers, replaces them with new ones, clears them with {}', async () => {
    const { ports, webhooks } = service();
    const { id } = await created(ports, { headers: { Authorization: 'one' } });
    const stored = () => webhooks.items.get(`${WORKSPACE}/${id}`) as WebhookRecord;
    await updateWebhook(ports, caller, { id, url: URL_, headers: null }, policy, new Date(NOW));
    expect(stored().header_names).toEqual(['Authorization']);
    await updateWebhook(
      ports,
      caller,
      { id, url: URL_, headers: { 'X-Other': 'two' } },
      policy,
      new Date(NOW),
    );
    expect(stored().header_names).toEqual(['X-Other']);
    await updateWebhook(ports, caller, { id, url: URL_, headers: {} }, policy, new Date(NOW));
    expect(stored().header_names).toBeUndefined();
    expect(stored().headers_ciphertext).toBeUndefined();
  });
});

describe('rate_limit', () => {
  it('takes 1 to 1000 or null on create, and 0 on update to remove it', async () => {
    for (const value of [0, 1001, 1.5, '5']) {
      expect(
        createWebhookSchema.safeParse({ url: URL_, events: ['lookup.completed'], rate_limit: value }).success,
      ).toBe(false);
    }
    for (const value of [1, 1000, null]) {
      expect(
        createWebhookSchema.safeParse({ url: URL_, events: ['lookup.completed'], rate_limit: value }).success,
      ).toBe(true);
    }
    const { ports, webhooks } = service();
    const { id } = await created(ports, { rate_limit: 5 });
    const stored = () => webhooks.items.get(`${WORKSPACE}/${id}`) as WebhookRecord;
    await updateWebhook(ports, caller, { id, url: URL_, rate_limit: null }, policy, new Date(NOW));
    expect(stored().rate_limit).toBe(5);
    await updateWebhook(ports, caller, { id, url: URL_, rate_limit: 0 }, policy, new Date(NOW));
    expect(stored().rate_limit).toBeNull();
  });
});

describe('rotateSecret', () => {
  it('shows a new secret once and keeps the previous one signing until it expires', async () => {
    const { ports, webhooks, secretBox } = service();
    const { id, secret: first } = await created(ports);
    const out = await rotateSecret(ports, caller, { id, previous_expires_in_hours: 2 }, new Date(NOW));
    expect(out.secret).toMatch(/^whsec_[0-9a-f]{64}$/);
    expect(out.secret).not.toBe(first);
    expect(out.previous_expires_at).toBe(new Date(NOW + 2 * 3_600_000).toISOString());
    const stored = webhooks.items.get(`${WORKSPACE}/${id}`) as WebhookRecord;
    expect(JSON.stringify(stored)).not.toContain(out.secret);
    const context = `${WORKSPACE}/${id}`;
    expect(await secretBox.decrypt(stored.secret_ciphertext, context)).toBe(out.secret);
    expect(await secretBox.decrypt(stored.previous_secret_ciphertext ?? '', context)).toBe(first);
  });

  it('defaults the overlap to 24 hours, and 0 hours switches at once', async () => {
    const { ports, webhooks } = service();
    const { id } = await created(ports);
    expect((await rotateSecret(ports, caller, { id }, new Date(NOW))).previous_expires_at).toBe(
      new Date(NOW + 24 * 3_600_000).toISOString(),
    );
    await rotateSecret(ports, caller, { id, previous_expires_in_hours: 0 }, new Date(NOW));
    expect(
      (webhooks.items.get(`${WORKSPACE}/${id}`) as WebhookRecord).previous_secret_ciphertext,
    ).toBeUndefined();
  });

  it('loses no change to a concurrent writer: it applies its change to what the other wrote', async () => {
    const { ports, webhooks } = service();
    const { id } = await created(ports);
    // Another writer pauses the webhook between this rotation's read and its write, once.
    const update = webhooks.update.bind(webhooks);
    let raced = false;
    webhooks.update = async (record, expected) => {
      if (!raced) {
        raced = true;
        const current = webhooks.items.get(`${WORKSPACE}/${id}`) as WebhookRecord;
        await update({ ...current, is_active: false, version: (current.version ?? 0) + 1 }, current.version);
      }
      return update(record, expected);
    };
    await rotateSecret(ports, caller, { id }, new Date(NOW));
    const stored = webhooks.items.get(`${WORKSPACE}/${id}`) as WebhookRecord;
    expect(stored.is_active).toBe(false);
    expect(stored.previous_secret_ciphertext).toBeDefined();
    expect(stored.version).toBe(3);
  });

  it('gives up with 409 when the webhook keeps changing under it', async () => {
    const { ports, webhooks } = service();
    const { id } = await created(ports);
    webhooks.update = async () => 'conflict';
    await expect(rotateSecret(ports, caller, { id }, new Date(NOW))).rejects.toBeInstanceOf(ConflictError);
  });
});

describe('enabling a disabled webhook', () => {
  it('clears disabled_reason and the failing clock', async () => {
    const { ports, webhooks } = service();
    const { id } = await created(ports);
    const key = `${WORKSPACE}/${id}`;
    const current = webhooks.items.get(key) as WebhookRecord;
    webhooks.items.set(key, {
      ...current,
      is_active: false,
      disabled_reason: 'failing',
      failing_since: '2026-11-20T00:00:00.000Z',
    });
    await updateWebhook(ports, caller, { id, url: URL_, is_active: true }, policy, new Date(NOW));
    const after = webhooks.items.get(key) as WebhookRecord;
    expect(after).toMatchObject({ is_active: true, disabled_reason: null });
    expect(after.failing_since).toBeUndefined();
  });
});

// --- the dispatcher ---------------------------------------------------------------------------

const CREATED = new Date(NOW - 500).toISOString();
const BODY = '{"event":"lookup.completed","data":{"email":"a@example.com","lookup_id":"l"},"created_at":"x"}';

async function dispatchSetup(webhookFields: Partial<WebhookRecord> = {}) {
  const { ports: service_, webhooks, secretBox } = service();
  const out = await created(service_, { headers: { Authorization: 'Bearer s3cr3t' } });
  const key = `${WORKSPACE}/${out.id}`;
  webhooks.items.set(key, { ...(webhooks.items.get(key) as WebhookRecord), ...webhookFields });
  const webhook = () => webhooks.items.get(key) as WebhookRecord;
  const eventKey = eventKeyFor(Date.parse(CREATED), WORKSPACE, 'evt_1');
  const message = (overrides: Partial<DeliveryMessage> = {}): DeliveryMessage => ({
    workspace_id: WORKSPACE,
    webhook_id: out.id,
    delivery_id: deliveryIdFor(eventKey, WORKSPACE, out.id),
    event_type: 'lookup.completed',
    event_key: eventKey,
    event_id: 'evt_1',
    created_at: CREATED,
    queued_at: NOW - 100,
    body: BODY,
    webhook: snapshotOf(webhook()),
    ...overrides,
  });
  const ports: DispatchPorts & {
    sender: FakeSender;
    queue: FakeQueueControl;
    publisher: FakePublisher;
    rateLimiter: FakeRateLimiter;
  } = {
    webhooks,
    events: new FakeEventStore(),
    log: new FakeDeliveryLog(),
    secrets: (ciphertext, context) => secretBox.decrypt(ciphertext, context),
    sender: new FakeSender(response(200)),
    queue: new FakeQueueControl(),
    rateLimiter: new FakeRateLimiter(),
    publisher: new FakePublisher(),
  };
  return { ports, webhook, message, secret: out.secret, id: out.id };
}

const options = (overrides: Partial<DispatchOptions> = {}): DispatchOptions => ({
  schedule: [5, 10],
  now: () => NOW,
  random: () => 0.5,
  maxReceives: 6,
  autoDisableAfterMs: 60_000,
  ...overrides,
});

describe('dispatch: custom headers and rotation', () => {
  it('sends the decrypted custom headers with the signed delivery', async () => {
    const { ports, message, secret } = await dispatchSetup();
    await dispatchBatch(
      ports,
      [{ message: message(), messageId: 'm', handle: 'h', receiveCount: 1 }],
      options(),
    );
    const headers = ports.sender.requests[0]?.headers ?? {};
    expect(headers.Authorization).toBe('Bearer s3cr3t');
    expect(headers['X-Encrata-Signature']).toBe(signEncrata(secret, BODY));
  });

  it('signs with both secrets during the overlap and the new one only after it', async () => {
    const { ports, message, secret: old, id } = await dispatchSetup();
    // Real time: the standardwebhooks library checks the timestamp against the clock.
    const now = Date.now();
    const { secret: fresh } = await rotateSecret(
      { webhooks: ports.webhooks as FakeWebhookStore, secretBox: new FakeSecretBox() },
      caller,
      { id, previous_expires_in_hours: 1 },
      new Date(now - 1000),
    );
    const during = await attemptAt(ports, message, now);
    expect(during['X-Encrata-Signature']).toBe(signEncrata(old, BODY));
    for (const s of [old, fresh]) expect(() => new Webhook(s).verify(BODY, during)).not.toThrow();

    const after = await attemptAt(ports, message, now + 3_600_000);
    expect(after['X-Encrata-Signature']).toBe(signEncrata(fresh, BODY));
    expect((after['webhook-signature'] ?? '').split(' ')).toHaveLength(1);
  });
});

/** A first attempt that reads the webhook as it is now (no snapshot), at `nowMs`: the headers sent. */
async function attemptAt(
  ports: Awaited<ReturnType<typeof dispatchSetup>>['ports'],
  message: Awaited<ReturnType<typeof dispatchSetup>>['message'],
  nowMs: number,
) {
  const before = ports.sender.requests.length;
  const { webhook: _snapshot, ...withoutSnapshot } = message({
    delivery_id: `dlv_${String(before).padStart(26, '0')}`,
  });
  await dispatchBatch(
    ports,
    [{ message: withoutSnapshot, messageId: `m${before}`, handle: 'h', receiveCount: 1 }],
    options({ now: () => nowMs }),
  );
  return ports.sender.requests[before]?.headers ?? {};
}

describe('dispatch: the rate limit', () => {
  it('lets the limit through each second and holds the rest back without an attempt', async () => {
    const { ports, message } = await dispatchSetup({ rate_limit: 2 });
    const batch = Array.from({ length: 5 }, (_, i) => ({
      message: message({ delivery_id: `dlv_${String(i).padStart(26, '0')}` }),
      messageId: `m${i}`,
      handle: `h${i}`,
      receiveCount: 1,
    }));
    const results = await dispatchBatch(ports, batch, options());
    expect(results.filter((r) => r.outcome === 'delivered')).toHaveLength(2);
    const throttled = results.filter((r) => r.outcome === 'throttled');
    expect(throttled).toHaveLength(3);
    // Each waits in proportion to how far over the limit it came: 1, 1, 2 seconds.
    expect(throttled.map((r) => r.delaySeconds).sort()).toEqual([1, 1, 2]);
    expect(throttled.every((r) => r.disposition === 'keep' && r.row === undefined)).toBe(true);
    expect(ports.sender.requests).toHaveLength(2);
    expect((ports.log as FakeDeliveryLog).items.size).toBe(2);
  });

  it('waits as a fresh copy near the end of a message’s receives, so waiting never dead-letters it', async () => {
    const { ports, message } = await dispatchSetup({ rate_limit: 1 });
    const { webhook: _s, ...retry } = message();
    await ports.rateLimiter.take((retry as DeliveryMessage).webhook_id, 1, NOW);
    const [result] = await dispatchBatch(
      ports,
      [{ message: retry, messageId: 'm', handle: 'h', receiveCount: 5 }],
      options(),
    );
    expect(result).toMatchObject({ outcome: 'throttled', disposition: 'delete' });
    expect(ports.queue.requeued).toEqual([
      { handle: 'h', body: expect.any(String), groupId: retry.webhook_id, delaySeconds: 1 },
    ]);
    const copy = JSON.parse(ports.queue.requeued[0]?.body ?? '{}');
    expect(copy).toMatchObject({ delivery_id: retry.delivery_id, recheck: true });
    expect(ports.queue.hidden).toEqual([]);
  });

  it('costs nothing for a webhook without a limit', async () => {
    const { ports, message } = await dispatchSetup();
    await dispatchBatch(
      ports,
      [{ message: message(), messageId: 'm', handle: 'h', receiveCount: 1 }],
      options(),
    );
    expect(ports.rateLimiter.faults.count('take')).toBe(0);
  });
});

describe('dispatch: automatic disabling', () => {
  const failingSender = () => new FakeSender(response(500));

  it('costs nothing on success while the webhook is healthy, and starts the clock on a first failure', async () => {
    const { ports, message, webhook } = await dispatchSetup();
    await dispatchBatch(
      ports,
      [{ message: message(), messageId: 'm', handle: 'h', receiveCount: 1 }],
      options(),
    );
    expect(
      ['markFailing', 'clearFailing', 'disableFailing'].map((m) =>
        (ports.webhooks as FakeWebhookStore).faults.count(m),
      ),
    ).toEqual([0, 0, 0]);

    ports.sender = failingSender();
    await dispatchBatch(
      ports,
      [
        {
          message: message({ delivery_id: `dlv_${'1'.repeat(26)}` }),
          messageId: 'm2',
          handle: 'h',
          receiveCount: 1,
        },
      ],
      options(),
    );
    expect(webhook().failing_since).toBe(new Date(NOW).toISOString());
  });

  it('disables the webhook at a failure past the window, stops its waiting deliveries, and tells the others', async () => {
    const failingSince = new Date(NOW - 61_000).toISOString();
    const { ports, message, webhook, id } = await dispatchSetup({ failing_since: failingSince });
    ports.sender = failingSender();
    // The first publish is lost: it is tried again (the event's id is derived, so it stays one event).
    ports.publisher.faults.failNext('publish');
    const [first] = await dispatchBatch(
      ports,
      [{ message: message(), messageId: 'm', handle: 'h', receiveCount: 1 }],
      options(),
    );
    expect(first).toMatchObject({ outcome: 'retry', webhookDisabled: true });

    expect(webhook()).toMatchObject({ is_active: false, disabled_reason: 'failing' });
    expect(ports.publisher.published).toEqual([
      expect.objectContaining({
        workspace_id: WORKSPACE,
        event: 'webhook.disabled',
        data: { webhook_id: id, url: URL_, reason: 'failing', failing_since: failingSince },
      }),
    ]);
    // Its waiting delivery comes back for its retry and stops, with the reason.
    const { webhook: _s, ...retry } = message();
    const [result] = await dispatchBatch(
      ports,
      [{ message: retry, messageId: 'm', handle: 'h', receiveCount: 2 }],
      options({ now: () => NOW + 6000 }),
    );
    expect(result).toMatchObject({ outcome: 'stopped', reason: 'webhook disabled: failing' });
    expect(result?.row).toMatchObject({ status: 'failed', error: 'webhook disabled: failing' });
  });

  it('does not disable inside the window, and a success resets the clock', async () => {
    const failingSince = new Date(NOW - 30_000).toISOString();
    const { ports, message, webhook } = await dispatchSetup({ failing_since: failingSince });
    ports.sender = failingSender();
    await dispatchBatch(
      ports,
      [{ message: message(), messageId: 'm', handle: 'h', receiveCount: 1 }],
      options(),
    );
    expect(webhook()).toMatchObject({ is_active: true, failing_since: failingSince });
    ports.sender = new FakeSender(response(200));
    await dispatchBatch(
      ports,
      [
        {
          message: message({ delivery_id: `dlv_${'2'.repeat(26)}`, webhook: snapshotOf(webhook()) }),
          messageId: 'm2',
          handle: 'h',
          receiveCount: 1,
        },
      ],
      options(),
    );
    expect(webhook().failing_since).toBeUndefined();
    expect(ports.publisher.published).toEqual([]);
  });

  it('publishes webhook.disabled once even when two dispatchers fail at once', async () => {
    const failingSince = new Date(NOW - 61_000).toISOString();
    const { ports, message } = await dispatchSetup({ failing_since: failingSince });
    ports.sender = failingSender();
    const batch = [0, 1].map((i) => ({
      message: message({ delivery_id: `dlv_${String(i).repeat(26)}` }),
      messageId: `m${i}`,
      handle: `h${i}`,
      receiveCount: 1,
    }));
    await dispatchBatch(ports, batch, options());
    expect(ports.publisher.published).toHaveLength(1);
  });

  it('records the attempt even when the clock cannot be written', async () => {
    const { ports, message } = await dispatchSetup();
    ports.sender = failingSender();
    (ports.webhooks as FakeWebhookStore).faults.failNext('markFailing');
    const [result] = await dispatchBatch(
      ports,
      [{ message: message(), messageId: 'm', handle: 'h', receiveCount: 1 }],
      options(),
    );
    expect(result).toMatchObject({ outcome: 'retry' });
    expect((ports.log as FakeDeliveryLog).items.size).toBe(1);
  });
});
