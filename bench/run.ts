/**
 * `npm run bench`: one run on this machine; every speed figure is a ratio against a baseline measured
 * in the same run, and every AWS request the functions make is counted on its way to the emulators.
 *
 * 1. CPU and throughput: the dispatcher handler against a bare loop that signs and POSTs the same
 *    bodies with the same HTTPS client to the same receiver, ten at a time.
 * 2. Requests and cost per delivery at 1, 10 and 100 webhooks per event, single attempt: the
 *    producer's send, the event source mapping's receives and deletes, fan-out, dispatcher — every
 *    billed line at us-east-1 list prices (bench/cost.ts).
 * 3. Publish → receipt latency through the local pipeline at a steady rate (p50/p99), and one event
 *    fanned out to 500 webhooks (time to the last receipt).
 * 4. Every function bundled as `cdk synth` bundles it: size, and cold init (boot + import + first call).
 *
 * Writes the table to stdout and the figures to bench/results/latest.json (and a dated copy);
 * `npm run bench -- --compare <file.json>` prints a previous run's figures beside this run's.
 * Options: BENCH_DELIVERIES (per cost scenario, default 1000), BENCH_RATE (events/s, default 10),
 * BENCH_SECONDS (default 10); `--only cpu` or `--only cold` runs part 1 or 4 alone (for bisecting); `--profile
 * <file.cpuprofile>` writes a V8 CPU profile of the dispatcher's timed run (open it in Chrome DevTools).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteMessageBatchCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import {
  DEFAULT_RETRY_SCHEDULE_SECONDS,
  FUNCTION_MEMORY_MB,
  FUNCTION_TIMEOUTS,
} from '../functions/resources.ts';
import { ROUTES } from '../functions/routes.ts';
import { functionEnvironment } from '../local/function-environment.ts';
import { lineChild } from './children.ts';
import { type ColdInit, type FunctionSample, measureColdInits } from './cold-init.ts';
import {
  type CostLines,
  costPerMillion,
  lambdaDurationMs,
  type PerDelivery,
  PLATFORM_LOG_BYTES_PER_INVOCATION,
  PRICES,
} from './cost.ts';
import { drain, type Invocation, invokeTimed } from './pipeline.ts';

const DELIVERIES = Number(process.env.BENCH_DELIVERIES ?? 1000);
const RATE = Number(process.env.BENCH_RATE ?? 10);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const RETENTION_DAYS = 30;
const option = (name: string) =>
  process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : undefined;
const compareFile = option('--compare');
const only = option('--only');
const profileFile = option('--profile');
if (only !== undefined && only !== 'cpu' && only !== 'cold') {
  throw new Error(`--only takes cpu or cold, not ${only}`);
}

// --- output: the bench's own lines go to the real stdout; the functions' logs are counted --------
const realWrite = process.stdout.write.bind(process.stdout);
let logBytes = 0;
process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
  logBytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
  const callback = rest.find((arg) => typeof arg === 'function') as (() => void) | undefined;
  callback?.();
  return true;
}) as typeof process.stdout.write;
const say = (line = '') => realWrite(`${line}\n`);
const fmt = (n: number, digits = 1) =>
  Number.isFinite(n)
    ? n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
    : '-';
const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// --- children: AWS (counted) and the receiver --------------------------------------------------
interface AwsInfo {
  dynamodbEndpoint: string;
  sqsEndpoint: string;
  tables: Record<string, string>;
  queues: Record<string, { url: string; arn: string; dlqUrl: string; dlqArn: string }>;
}
interface OperationCount {
  calls: number;
  units: number;
  failed: number;
  failedUnits: number;
  consistent: number;
  payloadBytes: number;
}
type Counts = Record<'dynamodb' | 'sqs', Record<string, OperationCount>>;

const aws = lineChild('bench/aws-counter.ts', { RETRIES: String(DEFAULT_RETRY_SCHEDULE_SECONDS.length) });
const receiver = lineChild('bench/receiver-process.ts');
const [info, receiverInfo] = await Promise.all([
  aws.next<AwsInfo>(),
  receiver.next<{ port: number; caFile: string }>(),
]);
const receipts: { at: number; createdAt: string }[] = [];
receiver.onLine((line) => {
  const [at, createdAt] = line.split(' ');
  receipts.push({ at: Number(at), createdAt: createdAt ?? '-' });
});
const queue = (name: string) => info.queues[name] ?? { url: '', arn: '', dlqUrl: '', dlqArn: '' };

const environment = {
  ...functionEnvironment(info, {
    secretKeyHex: randomBytes(32).toString('hex'),
    retrySchedule: DEFAULT_RETRY_SCHEDULE_SECONDS,
    // The receiver listens on 127.0.0.1; nothing else about delivery changes with this switch.
    allowPrivateTargets: true,
    // Production's level, so the log lines (and their cost) are the deployed ones.
    logLevel: 'INFO',
    rateLimitPerMinute: 1_000_000,
    maxWebhooks: 1000,
    extraCaFile: receiverInfo.caFile,
  }),
  // Deployed functions publish their metrics (EMF, into the logs): count those bytes too.
  POWERTOOLS_METRICS_DISABLED: 'false',
};
Object.assign(process.env, environment);

// Imported after the environment is set, as Lambda would load them.
const { handler: fanout } = await import('../functions/fanout/handler.ts');
const { handler: dispatcher } = await import('../functions/dispatcher/handler.ts');
const { buildDeliveryHeaders } = await import('../functions/core/signing.ts');
const { SNAPSHOT_FRESH_MS } = await import('../functions/core/dispatch.ts');
const { HttpsSender } = await import('../functions/adapters/http/sender.ts');
const { createEventPublisher } = await import('../functions/publisher.ts');
const { SqsEventSource, toSqsEvent } = await import('../local/event-source.ts');
const { invokeApi, toGatewayEvent } = await import('../local/api-gateway.ts');
const { ensureApiKey } = await import('../local/seed.ts');
const { createSqsClient } = await import('../functions/adapters/sqs/client.ts');
const { generateApiKey } = await import('../functions/core/ids.ts');

const esm = createSqsClient(info.sqsEndpoint); // the event source mapping's own client
const publisher = createEventPublisher({ queueUrl: queue('events').url, endpoint: info.sqsEndpoint });

// --- workspaces: one per fan-out width, webhooks pointing at the receiver ------------------------
async function api(key: string, method: string, url: string, body?: unknown) {
  const result = await invokeApi({
    method,
    url,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: Buffer.from(body === undefined ? '' : JSON.stringify(body)),
  });
  return { status: result.statusCode ?? 0, json: result.body ? JSON.parse(result.body) : undefined };
}

interface Workspace {
  id: string;
  key: string;
  webhookIds: string[];
}
async function workspace(name: string, webhooks: number): Promise<Workspace> {
  const id = `ws_bench_${name}`;
  const key = generateApiKey();
  await ensureApiKey({ key, workspaceId: id, name: 'bench' });
  const webhookIds: string[] = [];
  for (let i = 0; i < webhooks; i++) {
    const created = await api(key, 'POST', '/api/webhooks', {
      url: `https://127.0.0.1:${receiverInfo.port}/hook/${name}/${i}`,
      events: ['lookup.completed'],
    });
    if (created.status !== 201)
      throw new Error(`could not create a webhook: ${JSON.stringify(created.json)}`);
    webhookIds.push(created.json.id);
  }
  return { id, key, webhookIds };
}

const data = (i: number) => ({
  email: `user${i}@example.com`,
  lookup_id: `lu_${i}`,
  source: 'bench',
  score: 0.93,
});
async function publish(ws: Workspace, events: number, tag: string): Promise<void> {
  for (let i = 0; i < events; i += 20) {
    await Promise.all(
      Array.from({ length: Math.min(20, events - i) }, (_, j) =>
        publisher.publishEvent({
          workspaceId: ws.id,
          event: 'lookup.completed',
          data: data(i + j),
          id: `${tag}_${i + j}_${randomUUID()}`,
        }),
      ),
    );
  }
}

const counts = () => aws.ask<Counts>('counts');
const resetCounts = () => aws.ask('reset');
const storage = () => aws.ask<{ bytes: number; items: number }>('storage');

// --- 1. CPU and throughput -----------------------------------------------------------------------
async function prepareDeliveryBatches(ws: Workspace, events: number): Promise<SQSEvent[]> {
  await publish(ws, events, 'cpu');
  await drain({
    sqs: esm,
    queue: queue('events'),
    handler: fanout,
    name: 'fanout',
    timeoutSeconds: FUNCTION_TIMEOUTS.fanout,
    expected: events,
  });
  const batches: SQSEvent[] = [];
  for (let got = 0; got < events * ws.webhookIds.length; ) {
    const res = await esm.send(
      new ReceiveMessageCommand({
        QueueUrl: queue('deliveries').url,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: 600,
        WaitTimeSeconds: 1,
        MessageSystemAttributeNames: ['All'],
      }),
    );
    const messages = res.Messages ?? [];
    got += messages.length;
    if (messages.length) batches.push(toSqsEvent(messages, queue('deliveries').arn));
  }
  return batches;
}

async function timeDispatcher(batches: SQSEvent[]) {
  let n = 0;
  let wall = 0;
  let cpu = 0;
  for (const batch of batches) {
    const { invocation } = await invokeTimed(dispatcher, batch, 'dispatcher', FUNCTION_TIMEOUTS.dispatcher);
    if (invocation.failures) throw new Error('a delivery failed during the benchmark');
    n += invocation.records;
    wall += invocation.wallMs;
    cpu += invocation.cpuMs;
  }
  // Delivered: delete them as the event source mapping would (untimed).
  for (const batch of batches) {
    await esm.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queue('deliveries').url,
        Entries: batch.Records.map((r, i) => ({ Id: String(i), ReceiptHandle: r.receiptHandle })),
      }),
    );
  }
  return { n, wall, cpu, perSecond: (n / wall) * 1000, cpuMsPer: cpu / n };
}

/**
 * First attempts as a running pipeline hands them over: moments after fan-out made them, so each
 * carries a webhook snapshot fresh enough to use (SNAPSHOT_FRESH_MS). One event at a time is fanned
 * out, received and dispatched (only the dispatcher's invocations are timed).
 */
async function timeDispatcherFresh(ws: Workspace, events: number) {
  let n = 0;
  let wall = 0;
  let cpu = 0;
  let stale = 0;
  for (let i = 0; i < events; i++) {
    const batches = await prepareDeliveryBatches(ws, 1);
    const oldest = Math.min(
      ...batches.flatMap((b) => b.Records.map((r) => JSON.parse(r.body).queued_at as number)),
    );
    if (Date.now() - oldest > SNAPSHOT_FRESH_MS) stale++;
    const timed = await timeDispatcher(batches);
    n += timed.n;
    wall += timed.wall;
    cpu += timed.cpu;
  }
  if (stale > events / 10) throw new Error(`${stale} of ${events} fresh batches were not fresh`);
  return { n, perSecond: (n / wall) * 1000, cpuMsPer: cpu / n };
}

async function timeBareLoop(n: number) {
  const sender = new HttpsSender({ allowPrivateTargets: true, extraCaFile: receiverInfo.caFile });
  const secret = `whsec_${randomBytes(32).toString('hex')}`;
  const bodies = Array.from({ length: n }, (_, i) =>
    JSON.stringify({ event: 'lookup.completed', data: data(i), created_at: new Date().toISOString() }),
  );
  const cpu = process.cpuUsage();
  const start = performance.now();
  for (let i = 0; i < n; i += 10) {
    await Promise.all(
      bodies.slice(i, i + 10).map(async (body, j) => {
        const headers = buildDeliveryHeaders({
          secret,
          deliveryId: `dlv_${i + j}`,
          eventType: 'lookup.completed',
          body,
          timestampSeconds: Math.floor(Date.now() / 1000),
        });
        const outcome = await sender.send({
          url: `https://127.0.0.1:${receiverInfo.port}/hook/bare/${j}`,
          headers,
          body,
        });
        if (outcome.kind !== 'response' || outcome.status !== 200) throw new Error('bare loop send failed');
      }),
    );
  }
  const ms = performance.now() - start;
  const used = process.cpuUsage(cpu);
  sender.close();
  return { n, perSecond: (n / ms) * 1000, cpuMsPer: (used.user + used.system) / 1000 / n };
}

// --- 2. requests and cost per delivery -----------------------------------------------------------
interface Scenario {
  webhooksPerEvent: number;
  deliveries: number;
  events: number;
  dynamodb: Record<string, { calls: number; units: number; failed: number; failedUnits: number }>;
  sqs: Record<string, { calls: number; billed: number; empty: number }>;
  perDelivery: PerDelivery & {
    dynamoReads: number;
    dynamoWrites: number;
    failedConditionalWrites: number;
    sqsCalls: number;
  };
  cost: CostLines;
}

const READ_OPERATIONS = new Set(['GetItem', 'Query', 'Scan', 'BatchGetItem', 'TransactGetItems']);

function gbSeconds(invocations: Invocation[], memoryMb: number): number {
  return invocations.reduce(
    (sum, i) => sum + (lambdaDurationMs(i.wallMs, i.cpuMs, memoryMb) / 1000) * (memoryMb / 1024),
    0,
  );
}

async function costScenario(ws: Workspace): Promise<Scenario> {
  const k = ws.webhookIds.length;
  const events = Math.max(1, Math.ceil(DELIVERIES / k));
  const deliveries = events * k;
  const storedBefore = await storage();
  await resetCounts();
  logBytes = 0;
  await publish(ws, events, `cost${k}`);
  const fanouts = await drain({
    sqs: esm,
    queue: queue('events'),
    handler: fanout,
    name: 'fanout',
    timeoutSeconds: FUNCTION_TIMEOUTS.fanout,
    expected: events,
  });
  const dispatches = await drain({
    sqs: esm,
    queue: queue('deliveries'),
    handler: dispatcher,
    name: 'dispatcher',
    timeoutSeconds: FUNCTION_TIMEOUTS.dispatcher,
    expected: deliveries,
  });
  const failures = dispatches.reduce((sum, i) => sum + i.failures, 0);
  if (failures) throw new Error(`${failures} deliveries failed in the ${k}-webhook scenario`);
  const functionLogBytes = logBytes;
  const c = await counts();
  const storedAfter = await storage();

  const per = (n: number) => n / deliveries;
  const dynamo = Object.values(c.dynamodb);
  const isRead = (op: string) => READ_OPERATIONS.has(op);
  const readUnits = Object.entries(c.dynamodb)
    .filter(([op]) => isRead(op))
    .reduce((s, [, v]) => s + v.units, 0);
  const writeUnits = Object.entries(c.dynamodb)
    .filter(([op]) => !isRead(op))
    .reduce((s, [, v]) => s + v.units + v.failedUnits, 0);
  // Empty receives are the event source mapping's idle polling, a fixed cost: reported apart.
  const sqsBilled = Object.values(c.sqs).reduce((s, v) => s + v.units, 0);
  const sqsCalls = Object.values(c.sqs).reduce((s, v) => s + v.calls - v.failed, 0);
  const invocations = [...fanouts, ...dispatches];
  const usage: Scenario['perDelivery'] = {
    dynamoReadUnits: per(readUnits),
    dynamoWriteUnits: per(writeUnits),
    dynamoReads: per(
      Object.entries(c.dynamodb)
        .filter(([op]) => isRead(op))
        .reduce((s, [, v]) => s + v.calls, 0),
    ),
    dynamoWrites: per(
      Object.entries(c.dynamodb)
        .filter(([op]) => !isRead(op))
        .reduce((s, [, v]) => s + v.calls, 0),
    ),
    failedConditionalWrites: per(dynamo.reduce((s, v) => s + v.failed, 0)),
    storedBytes: per(storedAfter.bytes - storedBefore.bytes),
    sqsBilledRequests: per(sqsBilled),
    sqsCalls: per(sqsCalls),
    lambdaInvocations: per(invocations.length),
    lambdaGbSeconds: per(
      gbSeconds(fanouts, FUNCTION_MEMORY_MB.fanout) + gbSeconds(dispatches, FUNCTION_MEMORY_MB.dispatcher),
    ),
    logBytes: per(functionLogBytes + invocations.length * PLATFORM_LOG_BYTES_PER_INVOCATION),
  };
  return {
    webhooksPerEvent: k,
    deliveries,
    events,
    dynamodb: Object.fromEntries(
      Object.entries(c.dynamodb).map(([op, v]) => [
        op,
        { calls: v.calls, units: v.units, failed: v.failed, failedUnits: v.failedUnits },
      ]),
    ),
    sqs: Object.fromEntries(
      Object.entries(c.sqs).map(([op, v]) => [op, { calls: v.calls, billed: v.units, empty: v.failed }]),
    ),
    perDelivery: usage,
    cost: costPerMillion(usage, RETENTION_DAYS),
  };
}

// --- 3. latency through the running pipeline ----------------------------------------------------
function pipelineSources() {
  return [
    new SqsEventSource({
      sqs: esm,
      queueUrl: queue('events').url,
      queueArn: queue('events').arn,
      functionName: 'fanout',
      timeoutSeconds: FUNCTION_TIMEOUTS.fanout,
      handler: fanout,
    }),
    new SqsEventSource({
      sqs: esm,
      queueUrl: queue('deliveries').url,
      queueArn: queue('deliveries').arn,
      functionName: 'dispatcher',
      timeoutSeconds: FUNCTION_TIMEOUTS.dispatcher,
      handler: dispatcher,
      concurrency: 4,
    }),
  ];
}

async function waitForReceipts(createdAt: (value: string) => boolean, expected: number, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const got = receipts.filter((r) => createdAt(r.createdAt));
    if (got.length >= expected || Date.now() > deadline) return got;
    await sleep(20);
  }
}

async function steadyLatency(ws: Workspace) {
  receipts.length = 0;
  await resetCounts();
  const total = RATE * SECONDS;
  const startedAt = Date.now();
  for (let i = 0; i < total; i++) {
    const wait = startedAt + (i * 1000) / RATE - Date.now();
    if (wait > 0) await sleep(wait);
    await publisher.publishEvent({ workspaceId: ws.id, event: 'lookup.completed', data: data(i) });
  }
  const expected = total * ws.webhookIds.length;
  const got = await waitForReceipts((c) => Date.parse(c) >= startedAt, expected, 60_000);
  const elapsedSeconds = (Date.now() - startedAt) / 1000;
  const c = await counts();
  const latencies = got.map((r) => r.at - Date.parse(r.createdAt)).sort((a, b) => a - b);
  return {
    received: got.length,
    expected,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: latencies.at(-1) ?? Number.NaN,
    emptyPolls: c.sqs.ReceiveMessage?.failed ?? 0,
    pollSeconds: elapsedSeconds,
  };
}

async function fanOutLatency(ws: Workspace, runs = 3) {
  const results: number[] = [];
  for (let run = 0; run < runs; run++) {
    const createdAt = new Date(Date.now() + run).toISOString();
    const start = performance.now();
    await publisher.publishEvent({
      workspaceId: ws.id,
      event: 'lookup.completed',
      data: data(run),
      createdAt,
    });
    const got = await waitForReceipts((c) => c === createdAt, ws.webhookIds.length, 30_000);
    if (got.length < ws.webhookIds.length) throw new Error(`fan-out of 500: ${got.length} received`);
    results.push(performance.now() - start);
    await sleep(500);
  }
  return results.sort((a, b) => a - b);
}

// --- 4. cold init of every bundled function ------------------------------------------------------
async function coldInitSamples(ws: Workspace): Promise<FunctionSample[]> {
  const hook = ws.webhookIds[0] ?? '';
  const httpEvent = (method: string, url: string, body?: unknown, key: string | null = ws.key) =>
    toGatewayEvent(
      {
        method,
        url,
        headers: {
          'content-type': 'application/json',
          ...(key ? { authorization: `Bearer ${key}` } : {}),
        },
        body: Buffer.from(body === undefined ? '' : JSON.stringify(body)),
      },
      `${method} ${url.split('?')[0]}`,
    );
  const newWebhook = async () =>
    (
      await api(ws.key, 'POST', '/api/webhooks', {
        url: `https://127.0.0.1:${receiverInfo.port}/hook/cold`,
        events: ['lookup.completed'],
      })
    ).json.id as string;
  const newKeyId = async () => (await api(ws.key, 'POST', '/api/keys', { name: 'cold' })).json.id as string;
  const webhookUrl = `https://127.0.0.1:${receiverInfo.port}/hook/cold`;
  const requests: Record<string, () => Promise<unknown> | unknown> = {
    health: () => httpEvent('GET', '/api/health', undefined, null),
    openapi: () => httpEvent('GET', '/api/openapi.json', undefined, null),
    fallback: () => httpEvent('GET', '/api/nothing-here'),
    'webhooks-get': () => httpEvent('GET', '/api/webhooks'),
    'webhooks-create': () =>
      httpEvent('POST', '/api/webhooks', { url: webhookUrl, events: ['lookup.completed'] }),
    'webhooks-update': () => httpEvent('PUT', '/api/webhooks', { id: hook, url: webhookUrl }),
    'webhooks-delete': async () => httpEvent('DELETE', `/api/webhooks?id=${await newWebhook()}`),
    'webhooks-test': () => httpEvent('POST', '/api/webhooks/test', { id: hook }),
    'deliveries-list': () => httpEvent('GET', `/api/webhooks/deliveries?webhook_id=${hook}`),
    'keys-create': () => httpEvent('POST', '/api/keys', { name: 'cold' }),
    'keys-list': () => httpEvent('GET', '/api/keys'),
    'keys-revoke': async () => httpEvent('DELETE', `/api/keys?id=${await newKeyId()}`),
    'keys-update': async () => httpEvent('PUT', '/api/keys', { id: await newKeyId(), name: 'renamed' }),
    'keys-status': async () => httpEvent('PATCH', `/api/keys?id=${await newKeyId()}&action=disable`),
    'keys-limit': () => httpEvent('POST', '/api/keys/limit', { id: 'x', credit_limit: 5 }),
    'deliveries-attempts': async () => {
      const test = await api(ws.key, 'POST', '/api/webhooks/test', { id: hook });
      return httpEvent('GET', `/api/webhooks/deliveries/attempts?delivery_id=${test.json.delivery_id}`);
    },
  };
  const eventBody = (i: number) =>
    JSON.stringify({
      id: `cold_${i}_${randomUUID()}`,
      workspace_id: ws.id,
      event: 'lookup.completed',
      data: data(i),
    });
  const sqsEvent = (body: string, arn: string): SQSEvent =>
    toSqsEvent([{ MessageId: randomUUID(), ReceiptHandle: 'cold', Body: body }], arn);
  const deliveryMessage = async (i: number) => {
    // A real delivery message: an event fanned out to the workspace's one webhook, not yet sent.
    const event = sqsEvent(eventBody(100 + i), queue('events').arn);
    await invokeTimed(fanout, event, 'fanout', FUNCTION_TIMEOUTS.fanout);
    const res = await esm.send(
      new ReceiveMessageCommand({
        QueueUrl: queue('deliveries').url,
        MaxNumberOfMessages: 1,
        VisibilityTimeout: 600,
        WaitTimeSeconds: 2,
        MessageSystemAttributeNames: ['All'],
      }),
    );
    const messages = res.Messages ?? [];
    if (!messages.length) throw new Error('no delivery message for the cold init sample');
    return toSqsEvent(messages, queue('deliveries').arn);
  };
  return [
    ...ROUTES.map((route) => ({
      name: route.name,
      entry: `functions/api/${route.name}.ts`,
      event: async () => (requests[route.name] ?? (() => httpEvent(route.method, `/api${route.path}`)))(),
    })),
    { name: 'fallback', entry: 'functions/api/fallback.ts', event: () => requests.fallback?.() },
    {
      name: 'fanout',
      entry: 'functions/fanout/handler.ts',
      event: (i: number) => sqsEvent(eventBody(i), queue('events').arn),
    },
    { name: 'dispatcher', entry: 'functions/dispatcher/handler.ts', event: deliveryMessage },
  ];
}

/** Runs `work` under the V8 profiler and writes the profile to `file`. */
async function profiled<T>(file: string, work: () => Promise<T>): Promise<T> {
  const session = new Session();
  session.connect();
  const post = (method: string) =>
    new Promise<unknown>((resolve, reject) =>
      session.post(method, (error, result) => (error ? reject(error) : resolve(result))),
    );
  await post('Profiler.enable');
  await post('Profiler.start');
  const result = await work();
  const { profile } = (await post('Profiler.stop')) as { profile: unknown };
  writeFileSync(file, JSON.stringify(profile));
  session.disconnect();
  return result;
}

/** Part 4: every function bundled as `cdk synth` bundles it, cold-started against the emulators. */
async function measureAllColdInits(ws: Workspace): Promise<ColdInit[]> {
  const coldDir = mkdtempSync(join(tmpdir(), 'encrata-bench-bundles-'));
  try {
    return await measureColdInits(
      await coldInitSamples(ws),
      Object.fromEntries(
        Object.entries({ ...process.env, ...environment }).filter(([, v]) => v !== undefined),
      ) as Record<string, string>,
      coldDir,
    );
  } finally {
    rmSync(coldDir, { recursive: true, force: true });
  }
}

// biome-ignore lint/suspicious/noExplicitAny: a previous run's JSON, read loosely
function sayColdInits(coldInits: ColdInit[], before: any): void {
  say(
    '4. Functions as `cdk synth` bundles them: size, and cold init (boot + import + first call, median of 3)',
  );
  for (const f of coldInits) {
    const old = before?.functions?.find((b: ColdInit) => b.name === f.name);
    say(
      `   ${f.name.padEnd(18)} ${fmt(f.bytes / 1024, 0).padStart(5)} KiB (${fmt(f.gzipBytes / 1024, 0).padStart(3)} gz)  ${fmt(f.bootMs, 0).padStart(3)} + ${fmt(f.importMs, 0).padStart(3)} + ${fmt(f.firstCallMs, 0).padStart(3)} = ${fmt(f.totalMs, 0).padStart(4)} ms  [${f.outcome}]${old ? `  (was ${fmt(old.bytes / 1024, 0)} KiB, ${fmt(old.totalMs, 0)} ms)` : ''}`,
    );
  }
}

/** Stops the emulators and the receiver, and the run with them. */
async function finish(): Promise<never> {
  esm.destroy();
  aws.stop();
  receiver.stop();
  await sleep(300);
  process.exit(0);
}

// --- the run ---------------------------------------------------------------------------------------
say(`encrata-webhooks benchmark — Node ${process.version}, ${new Date().toISOString()}`);
if (only === 'cold') {
  sayColdInits(
    await measureAllColdInits(await workspace('cold', 1)),
    compareFile ? JSON.parse(readFileSync(compareFile, 'utf8')) : undefined,
  );
  await finish();
}
const workspaces = {
  w1: await workspace('1', 1),
  w10: await workspace('10', 10),
  w100: await workspace('100', 100),
  w500: await workspace('500', 500),
  cold: await workspace('cold', 1),
};

// 1.
await timeDispatcher(await prepareDeliveryBatches(workspaces.w10, 5)); // warm-up: connections, JIT, caches
await timeBareLoop(50);
const cpuEvents = Math.ceil(DELIVERIES / 10);
const bareBefore = await timeBareLoop(cpuEvents * 10);
const dispatched = await timeDispatcherFresh(workspaces.w10, cpuEvents);
// A backlog: every first attempt is older than SNAPSHOT_FRESH_MS and re-checks its webhook.
const backlogBatches = await prepareDeliveryBatches(workspaces.w10, cpuEvents);
await sleep(SNAPSHOT_FRESH_MS + 100);
const backlog = profileFile
  ? await profiled(profileFile, () => timeDispatcher(backlogBatches))
  : await timeDispatcher(backlogBatches);
const bareAfter = await timeBareLoop(cpuEvents * 10);
const bare = {
  perSecond: (bareBefore.perSecond + bareAfter.perSecond) / 2,
  cpuMsPer: (bareBefore.cpuMsPer + bareAfter.cpuMsPer) / 2,
};

if (only === 'cpu') {
  const ratio = dispatched.cpuMsPer / bare.cpuMsPer;
  say(
    `1. CPU per delivery (${dispatched.n}): bare ${fmt(bare.cpuMsPer, 3)} ms, dispatcher ${fmt(dispatched.cpuMsPer, 3)} ms, ratio ${fmt(ratio, 2)}×; backlog ${fmt(backlog.cpuMsPer, 3)} ms, ${fmt(backlog.cpuMsPer / bare.cpuMsPer, 2)}×`,
  );
  await finish();
}

// 2.
const scenarios: Scenario[] = [];
for (const ws of [workspaces.w1, workspaces.w10, workspaces.w100]) scenarios.push(await costScenario(ws));

// 3.
const sources = pipelineSources();
for (const source of sources) source.start();
const steady = await steadyLatency(workspaces.w10);
const fanOut500 = await fanOutLatency(workspaces.w500);
for (const source of sources) await source.stop();

// 4.
const coldInits = await measureAllColdInits(workspaces.cold);

// --- report ----------------------------------------------------------------------------------------
const results = {
  at: new Date().toISOString(),
  node: process.version,
  cpu: {
    deliveries: dispatched.n,
    bareDeliveriesPerSecond: bare.perSecond,
    bareCpuMsPerDelivery: bare.cpuMsPer,
    dispatcherDeliveriesPerSecond: dispatched.perSecond,
    dispatcherCpuMsPerDelivery: dispatched.cpuMsPer,
    cpuRatio: dispatched.cpuMsPer / bare.cpuMsPer,
    throughputRatio: dispatched.perSecond / bare.perSecond,
    backlogCpuMsPerDelivery: backlog.cpuMsPer,
    backlogCpuRatio: backlog.cpuMsPer / bare.cpuMsPer,
    backlogDeliveriesPerSecond: backlog.perSecond,
  },
  scenarios,
  latency: { rate: RATE, seconds: SECONDS, ...steady },
  fanOut500Ms: fanOut500,
  functions: coldInits,
  prices: PRICES,
};
// biome-ignore lint/suspicious/noExplicitAny: a previous run's JSON, read loosely
let before: any;
if (compareFile) before = JSON.parse(readFileSync(compareFile, 'utf8'));
const was = (value: unknown, digits = 2) =>
  before !== undefined && typeof value === 'number' ? `  (was ${fmt(value, digits)})` : '';

say();
say(
  `1. CPU per delivery (${dispatched.n} deliveries, batches of 10, one container; first attempts moments after fan-out)`,
);
say(
  `   bare sign+POST loop  ${fmt(bare.cpuMsPer, 3)} ms CPU, ${fmt(bare.perSecond, 0)}/s${was(before?.cpu?.bareCpuMsPerDelivery, 3)}`,
);
say(
  `   dispatcher           ${fmt(dispatched.cpuMsPer, 3)} ms CPU, ${fmt(dispatched.perSecond, 0)}/s${was(before?.cpu?.dispatcherCpuMsPerDelivery, 3)}`,
);
say(
  `   ratio                ${fmt(results.cpu.cpuRatio, 2)}× the bare loop's CPU, ${fmt(results.cpu.throughputRatio, 2)}× its throughput${was(before?.cpu?.cpuRatio)}`,
);
say(
  `   backlog (first attempts > ${SNAPSHOT_FRESH_MS / 1000} s old, each re-reading its webhook) ${fmt(backlog.cpuMsPer, 3)} ms CPU, ${fmt(results.cpu.backlogCpuRatio, 2)}×, ${fmt(backlog.perSecond, 0)}/s${was(before?.cpu?.backlogCpuRatio)}`,
);
say();
say('2. Per delivery, single attempt, counted on the wire (SDK retries, failed conditional writes,');
say("   the producer's send and the event source mapping's receives/deletes included)");
const header = ['webhooks per event', ...scenarios.map((s) => String(s.webhooksPerEvent))];
const rows: [string, (s: Scenario) => number, number][] = [
  ['DynamoDB read requests', (s) => s.perDelivery.dynamoReads, 3],
  ['DynamoDB read units (RRU)', (s) => s.perDelivery.dynamoReadUnits, 3],
  ['DynamoDB write requests', (s) => s.perDelivery.dynamoWrites, 3],
  ['DynamoDB write units (WRU)', (s) => s.perDelivery.dynamoWriteUnits, 3],
  ['  of which failed conditions', (s) => s.perDelivery.failedConditionalWrites, 3],
  ['SQS billed requests', (s) => s.perDelivery.sqsBilledRequests, 3],
  ['Lambda invocations', (s) => s.perDelivery.lambdaInvocations, 3],
  ['Lambda GB-ms', (s) => s.perDelivery.lambdaGbSeconds * 1000, 3],
  ['log bytes', (s) => s.perDelivery.logBytes, 0],
  ['stored bytes (30 days)', (s) => s.perDelivery.storedBytes, 0],
  ['$/1M  DynamoDB requests', (s) => s.cost.dynamoRequests, 3],
  ['$/1M  DynamoDB storage+PITR', (s) => s.cost.dynamoStorage, 3],
  ['$/1M  SQS', (s) => s.cost.sqs, 3],
  ['$/1M  Lambda', (s) => s.cost.lambda, 3],
  ['$/1M  CloudWatch Logs', (s) => s.cost.logs, 3],
  ['$/1M  X-Ray', (s) => s.cost.xray, 3],
  ['$/1M  total', (s) => s.cost.total, 3],
];
say(
  `   ${header[0]?.padEnd(30)}${header
    .slice(1)
    .map((h) => h.padStart(12))
    .join('')}`,
);
for (const [label, value, digits] of rows) {
  const previous = before?.scenarios
    ? ` (was ${before.scenarios.map((s: Scenario) => fmt(value(s), digits)).join(' / ')})`
    : '';
  say(
    `   ${label.padEnd(30)}${scenarios.map((s) => fmt(value(s), digits).padStart(12)).join('')}${previous}`,
  );
}
for (const s of scenarios) {
  say(
    `   at ${s.webhooksPerEvent}: SQS ${Object.entries(s.sqs)
      .map(([op, v]) => `${op} ${fmt(v.billed / s.deliveries, 3)}`)
      .join(', ')}; DynamoDB ${Object.entries(s.dynamodb)
      .map(([op, v]) => `${op} ${fmt(v.calls / s.deliveries, 3)}`)
      .join(', ')}`,
  );
}
say('   Lambda duration: wall time here with CPU time stretched to the vCPU share of the configured memory');
say(
  `   (${Object.entries(FUNCTION_MEMORY_MB)
    .map(([f, mb]) => `${f} ${mb} MB`)
    .join(', ')}); receivers here answer at once: a slow receiver adds its latency × memory.`,
);
say(
  `   Fixed, not per delivery: the mappings' idle polling (${steady.emptyPolls} empty receives in ${fmt(steady.pollSeconds, 0)} s here; on AWS ≈ 5 pollers × 3/min per mapping ≈ $${fmt(2 * 5 * 3 * 60 * 24 * 30.4375 * PRICES.sqsRequest, 2)}/month), custom metrics, alarms, the secret.`,
);
say();
say(`3. Latency through the local pipeline (${RATE} events/s × ${SECONDS} s, 10 webhooks each)`);
say(
  `   received ${steady.received}/${steady.expected}; p50 ${fmt(steady.p50, 0)} ms, p99 ${fmt(steady.p99, 0)} ms, max ${fmt(steady.max, 0)} ms${was(before?.latency?.p99, 0)}`,
);
say(
  `   one event → 500 webhooks, last receipt: ${fanOut500.map((ms) => `${fmt(ms, 0)} ms`).join(', ')}${before?.fanOut500Ms ? `  (was ${before.fanOut500Ms.map((ms: number) => fmt(ms, 0)).join(', ')})` : ''}`,
);
say();
sayColdInits(coldInits, before);

mkdirSync('bench/results', { recursive: true });
const json = `${JSON.stringify(results, null, 2)}\n`;
writeFileSync('bench/results/latest.json', json);
writeFileSync(`bench/results/${results.at.replace(/[:.]/g, '-')}.json`, json);
say();
say('Figures written to bench/results/latest.json');
await finish();
