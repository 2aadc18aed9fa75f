import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import {
  GetQueueAttributesCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import formats from 'ajv-formats';
import { Webhook } from 'standardwebhooks';
import { createLocalCertificate } from '../../local/certificates.ts';
import { verifyDelivery } from '../../scripts/verify.ts';
import {
  apiClient,
  changesApplied,
  eventually,
  type RunningStack,
  startStack,
  tempDataDir,
} from '../support/local-stack.ts';
import { type Behaviour, TestReceiver } from '../support/receiver.ts';

/**
 * Recovery and endpoint controls end to end (contract §2, §3, §5): resend, recover, secret rotation,
 * custom headers, the per-webhook rate limit, event types — and, on a stack of its own whose
 * automatic-disable window is seconds, automatic disabling. A real HTTPS receiver on 127.0.0.1,
 * events through the real events queue, retry schedule 1 s, 1 s (3 attempts).
 */
jest.setTimeout(60_000);

interface Delivery {
  id: string;
  status: string;
  attempts: number;
  error: string | null;
  payload: { event: string; data: Record<string, unknown> };
}

/** What every describe below needs: a stack, a receiver, an API client, the events queue. */
function harness(env: Record<string, string> = {}) {
  const h = {} as {
    stack: RunningStack;
    receiver: TestReceiver;
    api: ReturnType<typeof apiClient>;
    sqs: SQSClient;
  };
  beforeAll(async () => {
    const tls = await createLocalCertificate();
    const caFile = join(tempDataDir(), 'receiver-ca.pem');
    writeFileSync(caFile, tls.cert);
    h.receiver = await new TestReceiver(tls).start();
    h.stack = await startStack({
      env: { NODE_EXTRA_CA_CERTS: caFile, ENCRATA_RATE_LIMIT_PER_MINUTE: '100000', ...env },
    });
    h.api = apiClient(h.stack.info);
    h.sqs = new SQSClient({
      endpoint: h.stack.info.sqs_endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
  }, 60_000);
  afterAll(async () => {
    h.sqs?.destroy();
    await h.stack?.stop();
    await h.receiver?.stop();
  });

  const helpers = {
    async createWebhook(path: string, body: Record<string, unknown>, script?: (n: number) => Behaviour) {
      const url = h.receiver.on(path, script ?? (() => ({ status: 200, body: '{"ok":true}' })));
      const res = await h.api('POST', '/api/webhooks', { url, ...body });
      expect(res.status).toBe(201);
      return res.json as { id: string; secret: string; url: string; headers: Record<string, string> };
    },
    async publish(event: string, data: Record<string, unknown>, id?: string) {
      await h.sqs.send(
        new SendMessageCommand({
          QueueUrl: h.stack.info.events_queue_url,
          MessageBody: JSON.stringify({ id, workspace_id: h.stack.info.workspace_id, event, data }),
        }),
      );
    },
    async deliveries(webhookId: string): Promise<Delivery[]> {
      const res = await h.api('GET', `/api/webhooks/deliveries?webhook_id=${webhookId}&limit=250`);
      expect(res.status).toBe(200);
      return res.json as Delivery[];
    },
    settled(webhookId: string, count: number, status: string, timeoutMs = 20_000) {
      return eventually(async () => {
        const list = await helpers.deliveries(webhookId);
        return list.length === count && list.every((d) => d.status === status) ? list : undefined;
      }, timeoutMs);
    },
    /** Whether every message of the events queue was handled (none waiting, none in flight). */
    async eventsDrained(): Promise<true | undefined> {
      const res = await h.sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: h.stack.info.events_queue_url,
          AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
        }),
      );
      const a = res.Attributes ?? {};
      return a.ApproximateNumberOfMessages === '0' && a.ApproximateNumberOfMessagesNotVisible === '0'
        ? true
        : undefined;
    },
    async update(webhook: { id: string; url: string }, fields: Record<string, unknown>) {
      const res = await h.api('PUT', '/api/webhooks', { id: webhook.id, url: webhook.url, ...fields });
      expect(res.status).toBe(200);
    },
  };
  return { h, ...helpers };
}

describe('recovery and endpoint controls against the local stack', () => {
  const { h, createWebhook, publish, settled, eventsDrained, update } = harness({
    ENCRATA_LOG_LEVEL: 'DEBUG',
  });

  it('resends a failed delivery: same id and body, pending again, then delivered, with both runs in its history', async () => {
    const hook = await createWebhook('/resend', { events: ['lookup.completed'] }, (n) =>
      n < 3 ? { status: 500, body: 'down' } : { status: 200, body: 'back' },
    );
    await changesApplied();
    await publish('lookup.completed', { email: 'resend@example.com', lookup_id: 'lk_resend' });
    const [failed] = await settled(hook.id, 1, 'failed');
    if (!failed) throw new Error('no delivery');
    expect(failed.attempts).toBe(3);

    // Under the CLI's prefix too: every endpoint is served under each.
    const res = await h.api('POST', '/api/cli/webhooks/deliveries/resend', { delivery_id: failed.id });
    expect(res.status).toBe(202);
    expect(res.json).toEqual({ status: 'queued', delivery_id: failed.id });

    const [done] = await settled(hook.id, 1, 'success');
    expect(done).toMatchObject({ id: failed.id, attempts: 4 });
    const requests = h.receiver.received('/resend');
    expect(requests).toHaveLength(4);
    expect(new Set(requests.map((r) => r.body)).size).toBe(1);
    expect(new Set(requests.map((r) => r.headers['x-encrata-delivery']))).toEqual(new Set([failed.id]));
    const attempts = (await h.api('GET', `/api/webhooks/deliveries/attempts?delivery_id=${failed.id}`))
      .json as {
      attempt: number;
      status_code: number;
    }[];
    expect(attempts.map((a) => [a.attempt, a.status_code])).toEqual([
      [4, 200],
      [3, 500],
      [2, 500],
      [1, 500],
    ]);
  });

  it('answers resend with 400 for a malformed id, 404 for an unknown or foreign one, 409 while paused', async () => {
    const hook = await createWebhook('/resend-refused', { events: ['lookup.completed'] }, () => ({
      status: 500,
    }));
    await changesApplied();
    await publish('lookup.completed', { email: 'r@example.com', lookup_id: 'lk_refused' });
    const [delivery] = await settled(hook.id, 1, 'failed');
    if (!delivery) throw new Error('no delivery');

    const bad = await h.api('POST', '/api/webhooks/deliveries/resend', { delivery_id: 'nope' });
    expect(bad.status).toBe(400);
    expect(bad.json).toMatchObject({
      code: 'validation_error',
      details: [expect.objectContaining({ path: 'delivery_id' })],
    });
    const unknown = await h.api('POST', '/api/webhooks/deliveries/resend', {
      delivery_id: `dlv_${'0'.repeat(26)}`,
    });
    expect(unknown.status).toBe(404);

    await update(hook, { is_active: false });
    const paused = await h.api('POST', '/api/webhooks/deliveries/resend', { delivery_id: delivery.id });
    expect(paused.status).toBe(409);
    expect(paused.json).toMatchObject({ code: 'conflict', error: expect.stringMatching(/paused/) });
  });

  it('recovers what a webhook missed while paused: each event once, and nothing new the second time', async () => {
    const hook = await createWebhook('/recover', { events: ['monitor.run.completed'] });
    await changesApplied();
    const since = new Date().toISOString();
    const run = (n: number) => ({
      monitor_id: 'mon_1',
      monitor_name: 'Recovery',
      run_id: `run_${n}`,
      total_records: n,
      changes_detected: 1,
      credits_used: 1,
    });
    await publish('monitor.run.completed', run(0), 'recover-0');
    await settled(hook.id, 1, 'success');

    await update(hook, { is_active: false });
    await changesApplied();
    for (const n of [1, 2, 3]) await publish('monitor.run.completed', run(n), `recover-${n}`);
    await eventually(eventsDrained);
    expect(h.receiver.received('/recover')).toHaveLength(1);

    await update(hook, { is_active: true });
    const refused = await h.api('POST', '/api/webhooks/recover', { id: hook.id, since: 'yesterday' });
    expect(refused.status).toBe(400);
    const started = await h.api('POST', '/api/webhooks/recover', { id: hook.id, since });
    expect(started.status).toBe(202);
    expect(started.json).toMatchObject({ status: 'started', recovery_id: expect.stringMatching(/^rcv_/) });
    const status = await eventually(async () => {
      const res = await h.api('GET', `/api/webhooks/recover?recovery_id=${started.json.recovery_id}`);
      return res.json?.status === 'done' ? res.json : undefined;
    });
    expect(status).toMatchObject({ queued: 3, skipped: 1, stopped_reason: null });

    await settled(hook.id, 4, 'success');
    const runs = h.receiver
      .received('/recover')
      .map((r) => (JSON.parse(r.body) as { data: { run_id: string } }).data.run_id);
    expect(runs.sort()).toEqual(['run_0', 'run_1', 'run_2', 'run_3']);

    const again = await h.api('POST', '/api/webhooks/recover', { id: hook.id, since });
    expect(again.status).toBe(202);
    const second = await eventually(async () => {
      const res = await h.api('GET', `/api/webhooks/recover?recovery_id=${again.json.recovery_id}`);
      return res.json?.status === 'done' ? res.json : undefined;
    });
    expect(second).toMatchObject({ queued: 0, skipped: 4 });
    await eventually(eventsDrained);
    expect(h.receiver.received('/recover')).toHaveLength(4);

    const foreign = await h.api('GET', `/api/webhooks/recover?recovery_id=rcv_${'0'.repeat(26)}`);
    expect(foreign.status).toBe(404);
  });

  it('signs with both secrets during a rotation’s overlap and with the new one only after it', async () => {
    const hook = await createWebhook('/rotate', { events: ['credits.low'] });
    const rotated = await h.api('POST', '/api/webhooks/rotate-secret', {
      id: hook.id,
      // 9 seconds of overlap.
      previous_expires_in_hours: 0.0025,
    });
    expect(rotated.status).toBe(200);
    const { secret: fresh, previous_expires_at } = rotated.json as {
      secret: string;
      previous_expires_at: string;
    };
    expect(fresh).not.toBe(hook.secret);
    // The new secret is shown once: never again in any answer.
    expect((await h.api('GET', `/api/webhooks?id=${hook.id}`)).text).not.toContain(fresh);
    await changesApplied();

    await publish('credits.low', { balance: 1, threshold: 2 });
    const during = await eventually(async () => h.receiver.received('/rotate')[0]);
    const headers = during.headers as Record<string, string>;
    expect(headers['webhook-signature']?.split(' ')).toHaveLength(2);
    for (const secret of [fresh, hook.secret]) {
      expect(() => new Webhook(secret).verify(during.body, headers)).not.toThrow();
    }
    // The receiver's procedure (docs/delivery.md): the Encrata header is still the previous secret's.
    expect(verifyDelivery([fresh, hook.secret], during.body, headers)).toEqual({ encrata: 1, standard: 0 });

    await new Promise((resolve) =>
      setTimeout(resolve, Math.max(0, Date.parse(previous_expires_at) - Date.now() + 200)),
    );
    await publish('credits.low', { balance: 0, threshold: 2 });
    const after = await eventually(async () => h.receiver.received('/rotate')[1]);
    const afterHeaders = after.headers as Record<string, string>;
    expect(afterHeaders['webhook-signature']?.split(' ')).toHaveLength(1);
    expect(() => new Webhook(fresh).verify(after.body, afterHeaders)).not.toThrow();
    expect(() => new Webhook(hook.secret).verify(after.body, afterHeaders)).toThrow();
    expect(verifyDelivery([fresh, hook.secret], after.body, afterHeaders)).toEqual({
      encrata: 0,
      standard: 0,
    });
    expect(verifyDelivery([hook.secret], after.body, afterHeaders)).toEqual({
      encrata: null,
      standard: null,
    });

    const badHours = await h.api('POST', '/api/webhooks/rotate-secret', {
      id: hook.id,
      previous_expires_in_hours: 73,
    });
    expect(badHours.status).toBe(400);
  });

  it('runs `npm run receiver` with --secret twice, saying which secret verified each header', async () => {
    const port = await freePort();
    const url = `https://127.0.0.1:${port}/webhooks`;
    const created = await h.api('POST', '/api/webhooks', { url, events: ['credits.exhausted'] });
    const rotated = await h.api('POST', '/api/webhooks/rotate-secret', { id: created.json.id });
    // The receiver serves the certificate of the stack's data dir, which the stack trusts.
    const child = spawn(
      process.execPath,
      [
        'scripts/receiver.ts',
        '--port',
        String(port),
        '--secret',
        rotated.json.secret,
        '--secret',
        created.json.secret,
      ],
      { env: { ...process.env, ENCRATA_DATA_DIR: h.stack.dataDir }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const out: string[] = [];
    createInterface({ input: child.stdout }).on('line', (line) => out.push(line));
    child.stderr.on('data', (chunk: Buffer) => out.push(`stderr: ${chunk}`));
    try {
      await eventually(async () => (out.some((l) => l.startsWith('Receiving webhooks')) ? true : undefined));
      await changesApplied();
      await publish('credits.exhausted', { balance: 0 });
      const verdict = await eventually(async () => out.find((l) => l.includes('verified:'))).catch(
        (error) => {
          throw new Error(`${error}\n${out.join('\n')}\n${JSON.stringify(h.stack.output.slice(-20))}`);
        },
      );
      expect(verdict).toContain('X-Encrata-Signature valid (second --secret)');
      expect(verdict).toContain('Standard Webhooks valid (first --secret)');
    } finally {
      child.kill();
    }
  });

  it('sends custom headers on every attempt and never shows their values in an answer or a log line', async () => {
    const value = 'Bearer e2e-custom-header-value-7Q2K9D';
    const hook = await createWebhook(
      '/headers',
      { events: ['apikey.created'], headers: { Authorization: value, 'X-Tenant': 'acme-tenant-value' } },
      (n) => (n === 0 ? { status: 500 } : { status: 200 }),
    );
    expect(hook.headers).toEqual({ Authorization: '***', 'X-Tenant': '***' });
    await changesApplied();
    await publish('apikey.created', { key_id: 'k_1', name: 'n', key_preview: '...abcd' });
    const [delivery] = await settled(hook.id, 1, 'success');
    const requests = h.receiver.received('/headers');
    expect(requests).toHaveLength(2);
    for (const r of requests) {
      expect(r.headers.authorization).toBe(value);
      expect(r.headers['x-tenant']).toBe('acme-tenant-value');
    }

    const reserved = await h.api('PUT', '/api/webhooks', {
      id: hook.id,
      url: hook.url,
      headers: { 'X-Encrata-Event': 'forged' },
    });
    expect(reserved.status).toBe(400);
    expect(reserved.json.details).toEqual([expect.objectContaining({ path: 'headers.X-Encrata-Event' })]);

    const answers = [
      await h.api('GET', '/api/webhooks'),
      await h.api('GET', `/api/webhooks?id=${hook.id}`),
      await h.api('GET', `/api/webhooks/deliveries?webhook_id=${hook.id}`),
      await h.api('GET', `/api/webhooks/deliveries/attempts?delivery_id=${delivery?.id}`),
      await h.api('GET', '/api/cli/webhooks'),
    ];
    for (const answer of answers) {
      expect(answer.status).toBe(200);
      expect(answer.text).not.toContain('e2e-custom-header-value');
      expect(answer.text).not.toContain('acme-tenant-value');
    }
    // The stack runs with ENCRATA_LOG_LEVEL=DEBUG: not even its debug output shows them.
    const logs = h.stack.output.join('');
    expect(logs).toContain('"level":"DEBUG"');
    expect(logs).not.toContain('e2e-custom-header-value');
    expect(logs).not.toContain('acme-tenant-value');
  });

  it('holds a burst of 20 deliveries to a rate_limit of 2/s, failing none and using no attempt', async () => {
    const hook = await createWebhook('/limited', { events: ['credits.exhausted'], rate_limit: 2 });
    await changesApplied();
    for (let batch = 0; batch < 2; batch++) {
      await h.sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: h.stack.info.events_queue_url,
          Entries: Array.from({ length: 10 }, (_, i) => ({
            Id: String(i),
            MessageBody: JSON.stringify({
              workspace_id: h.stack.info.workspace_id,
              event: 'credits.exhausted',
              data: { balance: 0, n: batch * 10 + i },
            }),
          })),
        }),
      );
    }
    const done = await settled(hook.id, 20, 'success', 45_000);
    expect(done.every((d) => d.attempts === 1)).toBe(true);
    const times = h.receiver
      .received('/limited')
      .map((r) => r.at)
      .sort((a, b) => a - b);
    expect(times).toHaveLength(20);
    // ~2/s: twenty take about ten seconds, and no second sees more than the limit (plus one second's
    // edge: the limiter's seconds are the dispatcher's, the receiver's clock sees them a moment later).
    const spanMs = (times.at(-1) ?? 0) - (times[0] ?? 0);
    expect(spanMs).toBeGreaterThanOrEqual(8_000);
    for (const start of times)
      expect(times.filter((t) => t >= start && t < start + 1000).length).toBeLessThanOrEqual(4);
    const perSecond = 20 / (spanMs / 1000 + 1);
    expect(perSecond).toBeLessThanOrEqual(2.5);

    const out = await h.api('POST', '/api/webhooks', {
      url: hook.url,
      events: ['credits.low'],
      rate_limit: 1001,
    });
    expect(out.status).toBe(400);
    expect(out.json.details).toEqual([expect.objectContaining({ path: 'rate_limit' })]);
  });

  it('describes every event type with a JSON Schema its example validates against, and tests with that example', async () => {
    const res = await h.api('GET', '/api/webhooks/event-types');
    expect(res.status).toBe(200);
    const types = res.json as {
      event: string;
      description: string;
      schema: Record<string, unknown>;
      example: { event: string; data: Record<string, unknown>; created_at: string };
    }[];
    expect(types.map((t) => t.event).sort()).toEqual(
      [
        'apikey.created',
        'apikey.revoked',
        'credits.exhausted',
        'credits.low',
        'lookup.completed',
        'monitor.run.completed',
        'webhook.disabled',
      ].sort(),
    );
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    // ajv-formats is CommonJS: its plugin is the module itself, or its default.
    const addFormats = ((formats as unknown as { default?: unknown }).default ?? formats) as (
      a: Ajv2020,
    ) => void;
    addFormats(ajv);
    for (const type of types) {
      const validate = ajv.compile(type.schema);
      expect({
        event: type.event,
        valid: validate(type.example.data),
        errors: validate.errors ?? null,
      }).toEqual({
        event: type.event,
        valid: true,
        errors: null,
      });
      expect(type.example.event).toBe(type.event);
      // And the schema is not vacuous: the example without its required fields fails it.
      expect(validate({})).toBe(false);
    }

    const hook = await createWebhook('/typed-test', { events: ['lookup.completed'] });
    const tested = await h.api('POST', '/api/webhooks/test', { id: hook.id, event: 'monitor.run.completed' });
    expect(tested.status).toBe(200);
    const [request] = h.receiver.received('/typed-test');
    expect(request?.headers['x-encrata-event']).toBe('monitor.run.completed');
    const sent = JSON.parse(request?.body ?? '{}');
    const example = types.find((t) => t.event === 'monitor.run.completed')?.example;
    expect(sent.data).toEqual(example?.data);
  });
});

describe('automatic disabling against the local stack (a 3-second window)', () => {
  const { h, createWebhook, publish, deliveries, update } = harness({
    ENCRATA_AUTO_DISABLE_AFTER_SECONDS: '3',
  });

  it('disables a webhook failing for the window, stops its deliveries and tells another webhook', async () => {
    const failing = await createWebhook(
      '/dead',
      { events: ['lookup.completed', 'webhook.disabled'] },
      () => ({
        status: 500,
      }),
    );
    await createWebhook('/watcher', { events: ['webhook.disabled'] });
    await changesApplied();

    // One event a second until the webhook is disabled (bounded).
    const disabled = await eventually(
      async () => {
        await publish('lookup.completed', { email: 'dead@example.com', lookup_id: `lk_${Date.now()}` });
        const res = await h.api('GET', `/api/webhooks?id=${failing.id}`);
        return res.json?.is_active === false ? res.json : undefined;
      },
      25_000,
      1000,
    );
    expect(disabled).toMatchObject({ is_active: false, disabled_reason: 'failing' });

    const notice = await eventually(async () => h.receiver.received('/watcher')[0], 15_000);
    const body = JSON.parse(notice.body);
    expect(notice.headers['x-encrata-event']).toBe('webhook.disabled');
    expect(body.data).toMatchObject({ webhook_id: failing.id, url: failing.url, reason: 'failing' });
    expect(Date.parse(body.data.failing_since)).toBeLessThan(Date.now() - 3000);
    // Never to the webhook it is about.
    expect(
      h.receiver.received('/dead').every((r) => r.headers['x-encrata-event'] !== 'webhook.disabled'),
    ).toBe(true);

    // Its waiting deliveries stop, with the reason recorded.
    const stopped = await eventually(async () => {
      const list = await deliveries(failing.id);
      return list.length > 0 && list.every((d) => d.status !== 'pending') ? list : undefined;
    }, 15_000);
    expect(stopped.some((d) => d.error === 'webhook disabled: failing')).toBe(true);

    // Recover and resend are refused while disabled; enabling clears the reason.
    const refused = await h.api('POST', '/api/webhooks/recover', {
      id: failing.id,
      since: new Date(Date.now() - 60_000).toISOString(),
    });
    expect(refused.status).toBe(409);
    expect(refused.json.error).toMatch(/disabled/);
    await update(failing, { is_active: true });
    expect((await h.api('GET', `/api/webhooks?id=${failing.id}`)).json).toMatchObject({
      is_active: true,
      disabled_reason: null,
    });
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
