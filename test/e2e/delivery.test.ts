import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { Webhook } from 'standardwebhooks';
import { createLocalCertificate } from '../../local/certificates.ts';
import { verifyEncrataSignature } from '../../scripts/verify.ts';
import {
  apiClient,
  changesApplied,
  eventually,
  type RunningStack,
  startStack,
  tempDataDir,
} from '../support/local-stack.ts';
import { TestReceiver } from '../support/receiver.ts';

/**
 * The event pipeline end to end (contract §4–§5): the local stack in its own process, a real
 * HTTPS receiver on 127.0.0.1 with a self-signed certificate trusted through NODE_EXTRA_CA_CERTS,
 * events published through the real events queue, retry schedule 1 s, 1 s (3 attempts).
 */
jest.setTimeout(30_000);

describe('event pipeline against the local stack', () => {
  let stack: RunningStack;
  let receiver: TestReceiver;
  let api: ReturnType<typeof apiClient>;
  let sqs: SQSClient;
  let caFile: string;

  beforeAll(async () => {
    const tls = await createLocalCertificate();
    caFile = join(tempDataDir(), 'receiver-ca.pem');
    writeFileSync(caFile, tls.cert);
    receiver = await new TestReceiver(tls).start();
    stack = await startStack({
      env: { NODE_EXTRA_CA_CERTS: caFile, ENCRATA_RATE_LIMIT_PER_MINUTE: '100000' },
    });
    api = apiClient(stack.info);
    sqs = new SQSClient({
      endpoint: stack.info.sqs_endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
  }, 60_000);

  afterAll(async () => {
    sqs?.destroy();
    await stack?.stop();
    await receiver?.stop();
  });

  async function createWebhook(path: string, events: string[], script?: Parameters<TestReceiver['on']>[1]) {
    const url = receiver.on(path, script ?? (() => ({ status: 200, body: '{"ok":true}' })));
    const res = await api('POST', '/api/webhooks', { url, events });
    expect(res.status).toBe(201);
    return res.json as { id: string; secret: string };
  }

  async function publish(event: string, data: Record<string, unknown>, id?: string) {
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: stack.info.events_queue_url,
        MessageBody: JSON.stringify({ id, workspace_id: stack.info.workspace_id, event, data }),
      }),
    );
  }

  async function deliveries(webhookId: string) {
    return (await api('GET', `/api/webhooks/deliveries?webhook_id=${webhookId}`)).json as {
      id: string;
      status: string;
      attempts: number;
      response_status: number | null;
      error: string | null;
      payload: unknown;
    }[];
  }

  interface Attempt {
    attempt: number;
    started_at: string;
    duration_ms: number;
    status_code: number | null;
    next_attempt_at: string | null;
  }
  /** The delivery's attempt history as the API records it, oldest first. */
  async function attemptsOf(deliveryId: string): Promise<Attempt[]> {
    const res = await api('GET', `/api/webhooks/deliveries/attempts?delivery_id=${deliveryId}`);
    expect(res.status).toBe(200);
    return [...(res.json as Attempt[])].reverse();
  }

  /** Whether every message of the events queue was handled (none waiting, none in flight). */
  async function eventsQueueDrained(): Promise<true | undefined> {
    const res = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: stack.info.events_queue_url,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    const a = res.Attributes ?? {};
    return a.ApproximateNumberOfMessages === '0' && a.ApproximateNumberOfMessagesNotVisible === '0'
      ? true
      : undefined;
  }

  const settled = (webhookId: string, status: string) =>
    eventually(async () => {
      const list = await deliveries(webhookId);
      return list.length > 0 && list.every((d) => d.status === status) ? list : undefined;
    }, 20_000);

  it('sends a signed POST that verifies with Encrata’s algorithm and with standardwebhooks', async () => {
    const hook = await createWebhook('/signed', ['lookup.completed']);
    await changesApplied();
    await publish('lookup.completed', { email: 'a@b.c', lookup_id: 'lu_1', extra: 'kept' });
    const [request] = await eventually(async () =>
      receiver.received('/signed').length ? receiver.received('/signed') : undefined,
    );
    if (!request) throw new Error('no request');
    const envelope = JSON.parse(request.body);
    expect(Object.keys(envelope)).toEqual(['event', 'data', 'created_at']);
    expect(envelope).toMatchObject({
      event: 'lookup.completed',
      data: { email: 'a@b.c', lookup_id: 'lu_1', extra: 'kept' },
    });
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.headers['user-agent']).toMatch(/^Encrata-Webhooks\/\d+\.\d+\.\d+$/);
    expect(request.headers['x-encrata-event']).toBe('lookup.completed');
    expect(request.headers['x-encrata-delivery']).toMatch(/^dlv_/);
    expect(
      verifyEncrataSignature(hook.secret, request.body, String(request.headers['x-encrata-signature'])),
    ).toBe(true);
    expect(
      verifyEncrataSignature(hook.secret, `${request.body} `, String(request.headers['x-encrata-signature'])),
    ).toBe(false);
    expect(() =>
      new Webhook(hook.secret).verify(request.body, {
        'webhook-id': String(request.headers['webhook-id']),
        'webhook-timestamp': String(request.headers['webhook-timestamp']),
        'webhook-signature': String(request.headers['webhook-signature']),
      }),
    ).not.toThrow();
    expect(request.headers['webhook-id']).toBe(request.headers['x-encrata-delivery']);

    const [logged] = await settled(hook.id, 'success');
    expect(logged).toMatchObject({
      id: request.headers['x-encrata-delivery'],
      attempts: 1,
      response_status: 200,
    });
    expect(logged?.payload).toEqual(envelope);
  });

  it('fans out to every active subscribed webhook and to nobody else', async () => {
    const a = await createWebhook('/fan-a', ['credits.low']);
    const b = await createWebhook('/fan-b', ['credits.low', 'credits.exhausted']);
    const unsubscribed = await createWebhook('/fan-unsubscribed', ['credits.exhausted']);
    const paused = await createWebhook('/fan-paused', ['credits.low']);
    await api('PUT', '/api/webhooks', {
      id: paused.id,
      url: `${receiver.origin}/fan-paused`,
      is_active: false,
    });
    await changesApplied();
    await publish('credits.low', { balance: 5, threshold: 10 });
    await settled(a.id, 'success');
    await settled(b.id, 'success');
    // Fan-out decided once, for good: the workspace's log lists this event's deliveries, and only
    // a's and b's. So the others can never get it; no waiting is needed to know it.
    const forEvent = await eventually(async () => {
      const all = (await api('GET', '/api/webhooks/deliveries?event_type=credits.low&limit=250')).json as {
        webhook_id: string;
        payload: { data: { balance: number } };
      }[];
      const mine = all.filter((d) => d.payload.data.balance === 5);
      return mine.length >= 2 ? mine : undefined;
    });
    expect(forEvent.map((d) => d.webhook_id).sort()).toEqual([a.id, b.id].sort());
    expect(receiver.received('/fan-a')).toHaveLength(1);
    expect(receiver.received('/fan-b')).toHaveLength(1);
    expect(receiver.received('/fan-unsubscribed')).toHaveLength(0);
    expect(receiver.received('/fan-paused')).toHaveLength(0);
    expect(await deliveries(unsubscribed.id)).toEqual([]);
    expect(await deliveries(paused.id)).toEqual([]);
    expect(receiver.received('/fan-a')[0]?.headers['x-encrata-delivery']).not.toBe(
      receiver.received('/fan-b')[0]?.headers['x-encrata-delivery'],
    );
  });

  it('retries 500, 500, 200 with the same delivery id, on the schedule, and logs success/3', async () => {
    const hook = await createWebhook('/flaky', ['lookup.completed'], (n) =>
      n < 2 ? { status: 500, body: 'down' } : { status: 200 },
    );
    await changesApplied();
    await publish('lookup.completed', { email: 'r@b.c', lookup_id: 'lu_retry' });
    const [logged] = await settled(hook.id, 'success');
    const requests = receiver.received('/flaky');
    expect(requests).toHaveLength(3);
    expect(new Set(requests.map((a) => a.headers['x-encrata-delivery'])).size).toBe(1);
    expect(new Set(requests.map((a) => a.body)).size).toBe(1);
    expect(logged).toMatchObject({ attempts: 3, response_status: 200, status: 'success' });
    // Three rows in the attempt history, each retry made no sooner than the one before scheduled it.
    const history = await attemptsOf(logged?.id ?? '');
    expect(history.map((a) => [a.attempt, a.status_code])).toEqual([
      [1, 500],
      [2, 500],
      [3, 200],
    ]);
    for (let i = 1; i < history.length; i++) {
      const due = Date.parse(history[i - 1]?.next_attempt_at ?? '');
      // Schedule 1 s, 1 s: the delay is counted from the end of the previous attempt.
      expect(due - Date.parse(history[i - 1]?.started_at ?? '')).toBeGreaterThanOrEqual(1000);
      expect(Date.parse(history[i]?.started_at ?? '')).toBeGreaterThanOrEqual(due);
    }
    expect(history[2]?.next_attempt_at).toBeNull();
  });

  it('lists a delivery as pending, with no attempts, from fan-out until its first attempt is recorded', async () => {
    const hook = await createWebhook('/slow-first', ['monitor.run.completed'], () => ({
      status: 200,
      delayMs: 2500,
    }));
    await changesApplied();
    await publish('monitor.run.completed', {
      monitor_id: 'm1',
      monitor_name: 'weekly',
      run_id: 'r1',
      total_records: 10,
      changes_detected: 2,
      credits_used: 1,
    });
    // The receiver holds the request: the attempt is under way, nothing is recorded yet.
    await eventually(async () => (receiver.received('/slow-first').length ? true : undefined));
    const [listed] = await deliveries(hook.id);
    expect(listed).toMatchObject({ status: 'pending', attempts: 0, response_status: null });
    expect(await attemptsOf(listed?.id ?? '')).toEqual([]);
    const [done] = await settled(hook.id, 'success');
    expect(done?.id).toBe(listed?.id);
  });

  it('gives up after exactly the scheduled attempts: failed, and the message in the DLQ', async () => {
    const hook = await createWebhook('/always-500', ['credits.exhausted'], () => ({
      status: 500,
      body: 'nope',
    }));
    await changesApplied();
    await publish('credits.exhausted', { balance: 0 });
    const [logged] = await settled(hook.id, 'failed');
    expect(logged).toMatchObject({ attempts: 3, response_status: 500 });
    expect((await attemptsOf(logged?.id ?? '')).map((a) => a.status_code)).toEqual([500, 500, 500]);
    const dead = await eventually(async () => {
      const res = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: stack.info.deliveries_dlq_url,
          MaxNumberOfMessages: 10,
          MessageAttributeNames: ['All'],
          VisibilityTimeout: 0,
        }),
      );
      return res.Messages?.find((m) => JSON.parse(m.Body ?? '{}').delivery_id === logged?.id);
    });
    expect(dead.MessageAttributes?.reason?.StringValue).toBe('gave up after 3 attempts');
    // Its message is in the DLQ, so no attempt can follow: exactly the scheduled three were made.
    expect(receiver.received('/always-500')).toHaveLength(3);
  });

  it('honours Retry-After on 429', async () => {
    const hook = await createWebhook('/busy', ['lookup.completed'], (n) =>
      n === 0 ? { status: 429, headers: { 'retry-after': '3' } } : { status: 200 },
    );
    await changesApplied();
    await publish('lookup.completed', { email: 'busy@b.c', lookup_id: 'lu_busy' });
    const [logged] = await settled(hook.id, 'success');
    const [first, second] = await attemptsOf(logged?.id ?? '');
    expect(first?.status_code).toBe(429);
    // Retry-After: 3 beats the schedule's 1 s, and the retry waited for it.
    const due = Date.parse(first?.next_attempt_at ?? '');
    // (duration_ms is rounded to the millisecond; next_attempt_at is not)
    expect(
      Math.abs(due - Date.parse(first?.started_at ?? '') - (first?.duration_ms ?? 0) - 3000),
    ).toBeLessThanOrEqual(1);
    expect(Date.parse(second?.started_at ?? '')).toBeGreaterThanOrEqual(due);
  });

  it('delivers an event id published twice only once', async () => {
    const hook = await createWebhook('/dedupe', ['lookup.completed']);
    await changesApplied();
    await publish('lookup.completed', { email: 'd@b.c', lookup_id: 'lu_d' }, 'producer-key-1');
    await publish('lookup.completed', { email: 'd@b.c', lookup_id: 'lu_d' }, 'producer-key-1');
    await settled(hook.id, 'success');
    // Both publications were handled by fan-out once the events queue holds neither.
    await eventually(eventsQueueDrained);
    expect(receiver.received('/dedupe')).toHaveLength(1);
    expect(await deliveries(hook.id)).toHaveLength(1);
  });

  it('moves an invalid message to the events DLQ without holding up valid ones', async () => {
    const hook = await createWebhook('/after-invalid', ['credits.low']);
    await sqs.send(
      new SendMessageCommand({ QueueUrl: stack.info.events_queue_url, MessageBody: 'not json' }),
    );
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: stack.info.events_queue_url,
        MessageBody: JSON.stringify({
          workspace_id: stack.info.workspace_id,
          event: 'credits.low',
          data: { balance: 'x' },
        }),
      }),
    );
    await changesApplied();
    await publish('credits.low', { balance: 1, threshold: 2 });
    await settled(hook.id, 'success');
    const reasons = await eventually(async () => {
      const res = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: stack.info.events_dlq_url,
          MaxNumberOfMessages: 10,
          MessageAttributeNames: ['All'],
          VisibilityTimeout: 0,
        }),
      );
      const found = (res.Messages ?? []).map((m) => m.MessageAttributes?.reason?.StringValue ?? '');
      return found.length >= 2 ? found : undefined;
    });
    expect(reasons).toContain('message body is not valid JSON');
    expect(reasons.some((r) => r.startsWith('data.balance'))).toBe(true);
  });

  describe('failed attempts (through the test endpoint, which uses the same sender)', () => {
    const RESET = { reset: true as const };
    it.each([
      [
        'a 302 redirect (never followed)',
        { status: 302, headers: { location: 'https://example.com/' } },
        302,
        null,
      ],
      ['a connection reset', RESET, null, 'connection reset by the receiver'],
      [
        'an answer slower than 5 s',
        { status: 200, delayMs: 6000 },
        null,
        'timeout: no complete answer within 5000 ms',
      ],
    ])(
      'treats %s as a failure',
      async (_name, behaviour, statusCode, error) => {
        const path = `/fail-${Math.random().toString(36).slice(2)}`;
        const hook = await createWebhook(path, ['lookup.completed'], () => behaviour);
        const res = await api('POST', '/api/webhooks/test', { id: hook.id });
        expect(res.status).toBe(200);
        expect(res.json).toMatchObject({ status: 'failed', status_code: statusCode, error });
        // A reset on a kept-alive connection is retried once on a fresh one (it may have been the
        // receiver's idle close); the body is the same either way.
        const received = receiver.received(path);
        expect(received.length).toBeGreaterThanOrEqual(1);
        expect(received.length).toBeLessThanOrEqual(behaviour === RESET ? 2 : 1);
        expect(new Set(received.map((r) => r.body)).size).toBe(1);
        const [logged] = await deliveries(hook.id);
        expect(logged).toMatchObject({ status: 'failed', attempts: 1, response_status: statusCode, error });
      },
      15_000,
    );

    it('reports success, the signature and an excerpt of the answer', async () => {
      const hook = await createWebhook('/test-ok', ['lookup.completed'], () => ({
        status: 202,
        body: 'x'.repeat(6000),
      }));
      const res = await api('POST', '/api/webhooks/test', { id: hook.id });
      expect(res.json).toMatchObject({
        status: 'sent',
        status_code: 202,
        error: null,
        url: `${receiver.origin}/test-ok`,
      });
      expect(res.json.response_body).toHaveLength(4096);
      const [request] = receiver.received('/test-ok');
      expect(JSON.parse(request?.body ?? '{}')).toMatchObject({
        event: 'test',
        data: { message: 'This is a test webhook from Encrata' },
      });
      expect(res.json.signature).toBe(request?.headers['x-encrata-signature']);
      expect(verifyEncrataSignature(hook.secret, request?.body ?? '', res.json.signature)).toBe(true);
      expect((await deliveries(hook.id))[0]).toMatchObject({
        event_type: 'test',
        status: 'success',
        attempts: 1,
      });
    });
  });
});
