/**
 * The webhook service's rules (list order, create, update, delete) and the typed publisher's, against
 * the in-memory stores.
 */
import { ConflictError, NotFoundError, ValidationError } from '../../../functions/core/errors.ts';
import { eventMessageSchema } from '../../../functions/core/events.ts';
import { webhookRef } from '../../../functions/core/ids.ts';
import type { SecretBox } from '../../../functions/core/ports.ts';
import {
  buildEventMessage,
  buildSystemEventMessage,
  SYSTEM_EVENT_ID_PREFIX,
} from '../../../functions/core/publish.ts';
import type { WebhookRecord } from '../../../functions/core/records.ts';
import { systemEventMessage } from '../../../functions/core/system-events.ts';
import { parseOrThrow } from '../../../functions/core/validation.ts';
import {
  createWebhook,
  deleteWebhook,
  listWebhooks,
  requireActiveWebhook,
  sortNewestFirst,
  updateWebhook,
  type WebhookPolicy,
} from '../../../functions/core/webhook-service.ts';
import { createWebhookSchema } from '../../../functions/core/webhooks.ts';
import { FakeWebhookStore, WORKSPACE, webhookRecord } from '../support/fakes.ts';

const caller = { workspaceId: WORKSPACE, keyId: 'key_1' };
const policy: WebhookPolicy = { maxPerWorkspace: 50, allowPrivateTargets: false };
const NOW = new Date('2026-11-30T12:00:00.000Z');
const URL_ = 'https://receiver.example.com/hooks';
const box: SecretBox = {
  encrypt: async (plaintext, context) => `enc(${context}:${plaintext})`,
  decrypt: async () => {
    throw new Error('not used');
  },
};

function service(records: WebhookRecord[] = []) {
  const webhooks = new FakeWebhookStore(records);
  return { ports: { webhooks, secretBox: box }, webhooks };
}

describe('sortNewestFirst and listWebhooks', () => {
  it('orders by creation, newest first, and by id within the same millisecond; it leaves the input alone', () => {
    const items = [
      { id: 'b', created_at: '2026-01-01T00:00:00.000Z' },
      { id: 'a', created_at: '2026-01-02T00:00:00.000Z' },
      { id: 'c', created_at: '2026-01-01T00:00:00.000Z' },
    ];
    const copy = [...items];
    expect(sortNewestFirst(items).map((i) => i.id)).toEqual(['a', 'c', 'b']);
    expect(items).toEqual(copy);
  });

  it('lists the caller’s workspace only, newest first, without secrets', async () => {
    const { ports } = service([
      webhookRecord({ id: 'old', created_at: '2026-01-01T00:00:00.000Z' }),
      webhookRecord({ id: 'new', created_at: '2026-02-01T00:00:00.000Z' }),
      webhookRecord({ id: 'foreign', workspace_id: 'ws_other' }),
    ]);
    const list = await listWebhooks(ports, caller);
    expect(list.map((w) => w.id)).toEqual(['new', 'old']);
    expect(JSON.stringify(list)).not.toContain('ciphertext');
  });
});

describe('createWebhook', () => {
  it('stores it active, encrypted, versioned, with the description defaulted and a ref no other webhook has', async () => {
    const existing = webhookRecord({ id: 'wh_existing' });
    const { ports, webhooks } = service([existing]);
    const out = await createWebhook(ports, caller, { url: URL_, events: ['credits.low'] }, policy, NOW);
    expect(out).toMatchObject({
      url: URL_,
      events: ['credits.low'],
      is_active: true,
      description: '',
      created_by: 'key_1',
      created_at: NOW.toISOString(),
      updated_at: NOW.toISOString(),
      headers: {},
      rate_limit: null,
      disabled_reason: null,
      secret: expect.stringMatching(/^whsec_[0-9a-f]{64}$/),
    });
    const stored = webhooks.items.get(`${WORKSPACE}/${out.id}`);
    expect(stored?.secret_ciphertext).toBe(`enc(${WORKSPACE}/${out.id}:${out.secret})`);
    expect(stored?.version).toBe(1);
    expect(webhookRef(WORKSPACE, out.id)).not.toBe(webhookRef(WORKSPACE, existing.id));
  });

  it('refuses a private target with the reason on `url`, unless the deployment allows them', async () => {
    const { ports } = service();
    const attempt = createWebhook(
      ports,
      caller,
      { url: 'https://127.0.0.1/hooks', events: ['credits.low'] },
      policy,
      NOW,
    );
    await expect(attempt).rejects.toBeInstanceOf(ValidationError);
    await expect(attempt).rejects.toMatchObject({
      message: 'Invalid webhook URL',
      details: [{ path: 'url', message: expect.any(String) }],
    });
    await expect(
      createWebhook(
        ports,
        caller,
        { url: 'https://127.0.0.1/hooks', events: ['credits.low'] },
        { ...policy, allowPrivateTargets: true },
        NOW,
      ),
    ).resolves.toMatchObject({ url: 'https://127.0.0.1/hooks' });
  });
});

describe('updateWebhook', () => {
  async function created() {
    const env = service();
    const out = await createWebhook(
      env.ports,
      caller,
      { url: URL_, events: ['credits.low'], description: 'first', rate_limit: 3 },
      policy,
      NOW,
    );
    const stored = () => env.webhooks.items.get(`${WORKSPACE}/${out.id}`) as WebhookRecord;
    return { ...env, id: out.id, stored };
  }

  it('keeps every field it is not given (absent or null) and applies the ones it is', async () => {
    const { ports, id, stored } = await created();
    const later = new Date(NOW.getTime() + 1000);
    await updateWebhook(
      ports,
      caller,
      { id, url: `${URL_}/v2`, events: null, description: null },
      policy,
      later,
    );
    expect(stored()).toMatchObject({
      url: `${URL_}/v2`,
      events: ['credits.low'],
      description: 'first',
      rate_limit: 3,
      is_active: true,
      updated_at: later.toISOString(),
      version: 2,
    });
    await updateWebhook(
      ports,
      caller,
      { id, url: URL_, events: ['lookup.completed'], description: '' },
      policy,
      later,
    );
    expect(stored()).toMatchObject({ events: ['lookup.completed'], description: '' });
  });

  it('records when it was paused, only on the change from active to paused', async () => {
    const { ports, id, stored } = await created();
    const pausedAt = new Date(NOW.getTime() + 1000);
    await updateWebhook(ports, caller, { id, url: URL_, is_active: false }, policy, pausedAt);
    expect(stored().paused_at).toBe(pausedAt.toISOString());
    // Paused again: the first pause's time stands. Resumed: it stays (deliveries made before it stay stopped).
    await updateWebhook(
      ports,
      caller,
      { id, url: URL_, is_active: false },
      policy,
      new Date(NOW.getTime() + 2000),
    );
    expect(stored().paused_at).toBe(pausedAt.toISOString());
    await updateWebhook(
      ports,
      caller,
      { id, url: URL_, is_active: true },
      policy,
      new Date(NOW.getTime() + 3000),
    );
    expect(stored()).toMatchObject({ is_active: true, paused_at: pausedAt.toISOString() });
    // An update that does not touch is_active keeps the failing clock of an active webhook.
    const key = `${WORKSPACE}/${id}`;
    const { webhooks } = { webhooks: ports.webhooks };
    webhooks.items.set(key, { ...stored(), failing_since: '2026-11-29T00:00:00.000Z' });
    await updateWebhook(ports, caller, { id, url: URL_, description: 'x' }, policy, NOW);
    expect(stored().failing_since).toBe('2026-11-29T00:00:00.000Z');
  });

  it('checks the new URL, and answers 404 for a missing or foreign webhook', async () => {
    const { ports, id } = await created();
    await expect(
      updateWebhook(ports, caller, { id, url: 'https://10.0.0.1/hooks' }, policy, NOW),
    ).rejects.toBeInstanceOf(ValidationError);
    await expect(
      updateWebhook(ports, { workspaceId: 'ws_other', keyId: 'k' }, { id, url: URL_ }, policy, NOW),
    ).rejects.toBeInstanceOf(NotFoundError);
  });

  it('answers 404 when the webhook is deleted between its read and its write', async () => {
    const { ports, id, webhooks } = await created();
    webhooks.update = async () => 'missing';
    await expect(updateWebhook(ports, caller, { id, url: URL_ }, policy, NOW)).rejects.toThrow(
      new NotFoundError('Webhook not found'),
    );
  });

  it('tries a conflicting write five times before a 409', async () => {
    const { ports, id, webhooks } = await created();
    let writes = 0;
    webhooks.update = async () => {
      writes++;
      return 'conflict';
    };
    await expect(updateWebhook(ports, caller, { id, url: URL_ }, policy, NOW)).rejects.toBeInstanceOf(
      ConflictError,
    );
    expect(writes).toBe(5);
  });
});

describe('deleteWebhook and requireActiveWebhook', () => {
  it('deletes a webhook of the workspace and answers 404 for a missing or foreign one', async () => {
    const { ports, webhooks } = service([webhookRecord({ id: 'wh_1' })]);
    await expect(
      deleteWebhook(ports, { workspaceId: 'ws_other', keyId: 'k' }, 'wh_1'),
    ).rejects.toBeInstanceOf(NotFoundError);
    expect(webhooks.items.size).toBe(1);
    await deleteWebhook(ports, caller, 'wh_1');
    expect(webhooks.items.size).toBe(0);
    await expect(deleteWebhook(ports, caller, 'wh_1')).rejects.toThrow(
      new NotFoundError('Webhook not found'),
    );
  });

  it('lets an active webhook through and refuses a paused or disabled one, saying which', async () => {
    const { ports } = service([
      webhookRecord({ id: 'on' }),
      webhookRecord({ id: 'paused', is_active: false }),
      webhookRecord({ id: 'disabled', is_active: false, disabled_reason: 'failing' }),
    ]);
    await expect(requireActiveWebhook(ports, caller, 'on')).resolves.toMatchObject({ id: 'on' });
    await expect(requireActiveWebhook(ports, caller, 'paused')).rejects.toThrow(
      new ConflictError('The webhook is paused; resume it (is_active: true) first'),
    );
    await expect(requireActiveWebhook(ports, caller, 'disabled')).rejects.toThrow(
      new ConflictError(
        'The webhook was disabled because it kept failing; enable it (is_active: true) first',
      ),
    );
  });
});

describe('the typed publisher', () => {
  const input = { workspaceId: WORKSPACE, event: 'credits.low' as const, data: { balance: 1, threshold: 5 } };

  it('builds a valid message, with a generated id and now as created_at when none is given', () => {
    const message = buildEventMessage(input, NOW);
    expect(message).toEqual({
      id: expect.stringMatching(/^evt_/),
      workspace_id: WORKSPACE,
      event: 'credits.low',
      data: { balance: 1, threshold: 5 },
      created_at: NOW.toISOString(),
    });
    expect(buildEventMessage({ ...input, id: 'order-1', createdAt: new Date(0) }, NOW)).toMatchObject({
      id: 'order-1',
      created_at: '1970-01-01T00:00:00.000Z',
    });
    expect(buildEventMessage({ ...input, createdAt: '2026-01-01T00:00:00.000Z' }, NOW).created_at).toBe(
      '2026-01-01T00:00:00.000Z',
    );
  });

  it('refuses an id in the namespace of the service’s own events, naming the field', () => {
    expect(() =>
      buildEventMessage({ ...input, id: `${SYSTEM_EVENT_ID_PREFIX}apikey.created:k1` }, NOW),
    ).toThrow(
      expect.objectContaining({
        message: 'Invalid credits.low event',
        details: [
          {
            path: 'id',
            message: `ids starting with ${SYSTEM_EVENT_ID_PREFIX} are reserved for Encrata's own events`,
          },
        ],
      }),
    );
    // An id that merely contains the prefix is the producer's.
    expect(buildEventMessage({ ...input, id: `order-${SYSTEM_EVENT_ID_PREFIX}1` }, NOW).id).toBe(
      `order-${SYSTEM_EVENT_ID_PREFIX}1`,
    );
    const system = {
      workspaceId: 'ws_1',
      event: 'apikey.created' as const,
      data: { key_id: 'k1', name: 'CI', key_preview: '...abcd' },
    };
    expect(buildSystemEventMessage({ ...system, id: 'x' }, NOW).id).toBe(`${SYSTEM_EVENT_ID_PREFIX}x`);
    // The queue's schema holds producers to it too: only the service's own event types carry it.
    expect(() => buildSystemEventMessage({ ...input, id: 'x' }, NOW)).toThrow('Invalid credits.low event');
  });

  it('builds the dispatcher’s webhook.disabled without the schema, exactly as the validating form does', () => {
    const input = {
      workspaceId: 'ws_1',
      event: 'webhook.disabled' as const,
      id: 'webhook.disabled:w1:2026-11-25T00:00:00.000Z',
      data: {
        webhook_id: 'w1',
        url: 'https://example.com/hook',
        reason: 'failing' as const,
        failing_since: '2026-11-25T00:00:00.000Z',
      },
    };
    const built = systemEventMessage(input, NOW);
    expect(built).toEqual(buildSystemEventMessage(input, NOW));
    expect(built.id).toBe(`${SYSTEM_EVENT_ID_PREFIX}${input.id}`);
    // Fan-out validates every message it reads: this one passes.
    expect(eventMessageSchema.safeParse(built).success).toBe(true);
  });

  it('refuses invalid data with the event type in the message and the field in details', () => {
    expect(() =>
      buildEventMessage(
        { ...input, data: { balance: 'low' } as unknown as { balance: number; threshold: number } },
        NOW,
      ),
    ).toThrow(
      expect.objectContaining({
        message: 'Invalid credits.low event',
        details: expect.arrayContaining([expect.objectContaining({ path: 'data.balance' })]),
      }),
    );
  });
});

describe('parseOrThrow', () => {
  it('answers the parsed value, or a ValidationError with one detail per issue and a default message', () => {
    expect(parseOrThrow(createWebhookSchema, { url: URL_, events: ['credits.low'] })).toMatchObject({
      url: URL_,
    });
    let error: unknown;
    try {
      parseOrThrow(createWebhookSchema, { url: 'http://x', events: [] });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toMatchObject({
      message: 'Invalid request',
      details: expect.arrayContaining([
        { path: 'url', message: expect.any(String) },
        { path: 'events', message: expect.any(String) },
      ]),
    });
  });
});
